"""After writing: the same checks as `check-config`, then three users through the whole pipeline.

The users are fetched the way the chat fetches them: an HTTP request with the chat's Basic
credentials to the users-info route of an app built from the written file, served in-process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from graphql import GraphQLSchema

from adapter.app import create_app, served_in_process
from adapter.checks import CheckReport, run_checks
from adapter.errors import AdapterError

__all__ = ["ChatAnswer", "Verification", "verify"]


@dataclass(frozen=True)
class ChatAnswer:
    path: str
    status: int
    body: bytes


@dataclass(frozen=True)
class Verification:
    report: CheckReport
    answer: ChatAnswer | None
    # Why there is no answer, when there is none.
    skipped: str = ""


async def verify(
    config: Path,
    ids: Sequence[str],
    environ: Mapping[str, str],
    *,
    schema: GraphQLSchema | None = None,
) -> Verification:
    """Check the written configuration (against `schema`, from --schema, instead of the site's
    introspection when given), then ask it for `ids` as the chat would."""
    # The same checks as check-config: `environ` has throwaway values for what is still unset.
    report = await run_checks(config, environ=environ, schema=schema)
    settings = report.settings
    if not report.ok or settings is None:
        return Verification(report, None, "the checks failed")
    if not ids:
        return Verification(report, None, "no user ids to ask for")
    chat = settings.chat
    path = f"{chat.prefix}/users?user_ids={chat.ids.separator.join(ids)}"
    auth = (chat.api_login.get_secret_value(), chat.api_password.get_secret_value())
    try:
        async with (
            served_in_process(create_app(settings)) as (app, _),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://adapter.local"
            ) as client,
        ):
            response = await client.get(path, auth=auth)
    except AdapterError as exc:
        return Verification(report, None, exc.message)
    return Verification(report, ChatAnswer(path, response.status_code, response.content))
