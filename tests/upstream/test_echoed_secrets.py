"""A site that echoes what it was sent never puts our credentials into our log lines."""

from __future__ import annotations

import pytest
import structlog

from adapter.errors import UpstreamGraphQLError
from adapter.upstream import UpstreamClient
from tests.sites import misbehaving_site
from tests.support import SettingsFactory

SERVICE_TOKEN = "service-token-5f1c9e"
PASSWORD = "hunter2-pw-81ad"
SESSION = "session-cookie-0b7e42"
LOGIN = (
    "mutation($login: String!, $password: String!) "
    "{ login(login: $login, password: $password) { id } }"
)


async def test_echoed_password_cookie_and_service_token_are_hidden_in_the_log_line(
    make_settings: SettingsFactory,
) -> None:
    """The chat user's password, the visitor's cookie and the service token, quoted back in the
    site's GraphQL errors, show as [redacted] in `upstream_graphql_errors`; the rest stays."""
    async with misbehaving_site() as site:
        site.echo_in_errors()
        settings = make_settings(
            {
                "upstream": {
                    "embedded_demo": False,
                    "url": site.url,
                    "retry": {"attempts": 1},
                    "headers": {"Authorization": f"Bearer {SERVICE_TOKEN}"},
                }
            }
        )
        async with UpstreamClient(settings.upstream) as client:
            with structlog.testing.capture_logs() as logs, pytest.raises(UpstreamGraphQLError):
                await client.execute(
                    LOGIN,
                    {"login": "ann", "password": PASSWORD},
                    headers={"cookie": f"sid={SESSION}; theme=dark"},
                    mutation=True,
                )
    (line,) = [entry for entry in logs if entry["event"] == "upstream_graphql_errors"]
    text = " ".join(line["messages"])
    for secret in (SERVICE_TOKEN, PASSWORD, SESSION):
        assert secret not in text
    assert "[redacted]" in text
    # What is not a credential is still shown: the document, and texts shorter than four
    # characters (no credential is that short; hiding them would only mangle messages).
    assert "login(login: $login, password: $password)" in text
    assert '"login":"ann"' in text
