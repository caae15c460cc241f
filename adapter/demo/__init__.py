"""The demo upstream: a stand-in for a site's GraphQL user API. Never imported by the core."""

from adapter.demo.app import create_demo_upstream_app
from adapter.demo.sessions import DEMO_PASSWORD

__all__ = ["DEMO_PASSWORD", "create_demo_upstream_app"]
