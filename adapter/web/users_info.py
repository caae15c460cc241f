"""The users-info call (docs/protocol.md section 2): its routes, credentials and id lists.

One implementation serves both ways in: the plain ASGI fast path in front of FastAPI
(`web/fast_path.py`) and the FastAPI routes that document the call (and answer it when the fast
path is off, under tracing). Each takes the request apart itself and hands this module text.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import parse_qsl

from adapter.config import Settings
from adapter.directory import Directory, UserId
from adapter.errors import RequestRejected
from adapter.web.auth import ChatServerAuth
from adapter.web.ids import parse_ids

__all__ = [
    "USERS_ROUTES",
    "UsersForm",
    "UsersInfo",
    "join_profiles",
    "path_parameter",
    "query_pairs",
]

UsersForm = Literal["query", "path"]

# The users-info routes under the chat prefix: a template and where its ids are. A path form's
# template ends in its one parameter; adding a route here adds it to both ways in.
USERS_ROUTES: tuple[tuple[str, UsersForm], ...] = (
    ("/users", "query"),
    ("/getusers/{user_ids}", "path"),
    # OctoberCMS's form; after the two above, so they match as early as before.
    ("/users/{user_ids}", "path"),
)
_QUERY_NAMES = ("user_ids", "ids")


def join_profiles(profiles: list[bytes]) -> bytes:
    """The chat's JSON array of profiles that were encoded when they were fetched."""
    return b"[" + b",".join(profiles) + b"]"


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The query's (name, value) pairs as Starlette's QueryParams reads them (latin-1,
    `parse_qsl` keeping blank values), without `parse_qsl`'s unquoting when nothing is quoted."""
    text = query_string.decode("latin-1")
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True)
    return [(name, value) for name, _, value in (p.partition("=") for p in text.split("&") if p)]


def path_parameter(template: str) -> tuple[str, str]:
    """`/getusers/{user_ids}` -> ("/getusers/", "user_ids")."""
    head, brace, rest = template.partition("{")
    name = rest.removesuffix("}")
    if not brace or not name or "/" in rest or not rest.endswith("}"):
        raise ValueError(f"a path form's template ends in one parameter: {template}")
    return head, name


class UsersInfo:
    """Credentials, then ids, then the joined answer: the same steps for every way in."""

    def __init__(self, settings: Settings) -> None:
        self.auth = ChatServerAuth(settings.chat)
        self._ids = settings.chat.ids
        self._token_parameter = self.auth.token_parameter

    def ids(
        self,
        form: UsersForm,
        *,
        query_string: bytes,
        path_value: str | None,
        authorization: str | None,
    ) -> list[UserId]:
        """The requested ids; NotAuthenticated before anything else, RequestRejected for bad ids."""
        # Decoded the way Starlette's QueryParams decodes it, so both ways in read the same values.
        pairs = query_pairs(query_string)
        token = None
        if self._token_parameter is not None:
            for name, value in pairs:
                if name == self._token_parameter:
                    token = value
        self.auth.check_values(authorization, token)
        if form == "path":
            raw = path_value or ""
        else:
            values = [v for wanted in _QUERY_NAMES for name, v in pairs if name == wanted]
            if not values:
                raise RequestRejected("give the user ids as user_ids=1,2,3")
            raw = self._ids.separator.join(values)
        return parse_ids(raw, self._ids)

    @staticmethod
    async def answer(directory: Directory, ids: list[UserId]) -> bytes:
        """The profiles, joined; they were encoded when they were fetched."""
        return join_profiles(await directory.lookup(ids))
