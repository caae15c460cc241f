"""The one error `init` raises on purpose: a message for the person at the terminal."""

from __future__ import annotations

from adapter.errors import AdapterError

__all__ = ["InitError"]


class InitError(AdapterError):
    """`init` cannot go on; the message says why and, where it can, what to do."""
