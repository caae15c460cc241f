"""The frontend-facing schema: issueChatToken, chatWidget, chatUsers, invalidateChatUsers.

No operation takes a user id for the token: the viewer is whoever the site says is signed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.federation.schema import FederationAny
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext

from adapter.config import GraphQLSettings, IdSettings, Settings
from adapter.directory import UserId
from adapter.errors import AdapterError, NotSignedIn
from adapter.mapping import ChatUser as MappedUser
from adapter.web.graphql.context import ChatContext
from adapter.web.graphql.errors import (
    ExpectedError,
    code_document_error,
    hide_suggestion,
    should_mask,
)
from adapter.web.graphql.federation import (
    entity_type,
    federation_config,
    lowest_federation_version,
)
from adapter.web.ids import parse_ids

__all__ = ["ChatProfile", "ChatToken", "ChatUser", "ChatWidget", "build_schema"]

log = structlog.get_logger(__name__)

Info = strawberry.Info[ChatContext, None]


@strawberry.type(
    description="A widget token for the signed-in viewer (docs/protocol.md section 4)."
)
class ChatToken:
    token: str
    # ID (a string on the wire): the chat's ids reach 2**63-1, beyond GraphQL's 32-bit Int.
    user_id: strawberry.ID
    expires_at: int = strawberry.field(description="Unix seconds; ask for a new token before.")


@strawberry.type(description="What a page needs to load the chat widget for its viewer.")
class ChatWidget:
    script_url: str
    options: JSON = strawberry.field(
        description="The argument of ImbaChat.load: empty for an anonymous viewer."
    )
    user_id: strawberry.ID | None
    expires_at: int | None = strawberry.field(description="When the token in options expires.")


@strawberry.type(description="A sub-profile of a chat user.")
class ChatProfile:
    key: str
    user_id: strawberry.ID
    name: str
    avatar_url: str | None


@strawberry.type(description="A user as the chat sees them: the same mapped profile.")
class ChatUser:
    user_id: strawberry.ID
    name: str
    avatar_url: str | None
    profile_url: str | None
    last_login: int | None
    badge: str | None
    chat_role: str | None
    profiles: list[ChatProfile]
    chat_json: JSON = strawberry.field(
        description="The JSON object the chat's users-info call receives for this user."
    )

    @classmethod
    def from_profile(cls, profile: MappedUser) -> ChatUser:
        subs = profile.get("profiles")
        return cls(
            user_id=strawberry.ID(str(profile["user_id"])),
            name=str(profile["name"]),
            avatar_url=_text(profile.get("avatar_url")),
            profile_url=_text(profile.get("profile_url")),
            last_login=_integer(profile.get("lastlogin")),
            badge=_text(profile.get("badge")),
            chat_role=_text(profile.get("chat_role")),
            profiles=[
                ChatProfile(
                    key=str(key),
                    user_id=strawberry.ID(str(sub.get("user_id"))),
                    name=str(sub.get("name")),
                    avatar_url=_text(sub.get("avatar_url")),
                )
                for key, sub in (subs.items() if isinstance(subs, dict) else ())
                if isinstance(sub, dict)
            ],
            chat_json=JSON(profile),
        )


def _text(value: Any) -> str | None:
    # The chat's "no avatar" is `false`; GraphQL says null. An object or a list (a site's value
    # where text was mapped) is no text either: chatJson carries it as the chat receives it.
    if value is None or value is False or isinstance(value, dict | list):
        return None
    return str(value)


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _user_ids(ids: Sequence[str], settings: IdSettings, *, limit: int) -> list[UserId]:
    if len(ids) > limit:
        raise ExpectedError(f"at most {limit} ids per call", "BAD_USER_INPUT")
    parsed: dict[UserId, None] = {}
    for raw in ids:
        try:
            found = parse_ids(raw, settings)
        except AdapterError as exc:
            raise ExpectedError(exc.message, "BAD_USER_INPUT") from exc
        if len(found) != 1:
            raise ExpectedError(f"{raw[:40]!r} is not one user id", "BAD_USER_INPUT")
        parsed.setdefault(found[0], None)
    return list(parsed)


async def resolve_chat_widget(info: Info) -> ChatWidget | None:
    """The widget script URL, and init options with a fresh token when someone is signed in."""
    context = info.context
    frontend = context.frontend
    script_url = frontend.script_url
    try:
        issued = await context.viewer_token()
    except NotSignedIn:
        return ChatWidget(script_url=script_url, options=JSON({}), user_id=None, expires_at=None)
    options = {"user_id": issued.user_id, "token": issued.token, **frontend.widget.options}
    return ChatWidget(
        script_url=script_url,
        options=JSON(options),
        user_id=strawberry.ID(str(issued.user_id)),
        expires_at=issued.expires_at,
    )


async def resolve_chat_users(info: Info, ids: list[strawberry.ID]) -> list[ChatUser]:
    """Profiles through the directory (and its cache), batched per request by the DataLoader."""
    context = info.context
    await context.check_profiles_readable()
    wanted = _user_ids(ids, context.frontend.ids, limit=context.frontend.graphql.max_chat_users)
    profiles = await context.users.load_many(wanted)
    return [ChatUser.from_profile(p) for p in profiles if p is not None]


async def resolve_entity_profile(root: Any, info: Info) -> ChatUser | None:
    """The chat profile of a federated user entity (`root.key`), by the chatUsers rules."""
    context = info.context
    await context.check_profiles_readable()
    (wanted,) = _user_ids([str(root.key)], context.frontend.ids, limit=1)
    profile = await context.users.load(wanted)
    return None if profile is None else ChatUser.from_profile(profile)


async def resolve_issue_chat_token(info: Info) -> ChatToken:
    """A fresh token for whoever the site says is signed in; nobody else."""
    context = info.context
    issued = await context.viewer_token()
    return ChatToken(
        token=issued.token, user_id=strawberry.ID(str(issued.user_id)), expires_at=issued.expires_at
    )


async def resolve_invalidate_chat_users(info: Info, ids: list[strawberry.ID]) -> int:
    """Forget cached profiles; only for callers with the admin bearer token."""
    context = info.context
    context.require_admin()
    settings = context.frontend.ids
    wanted = _user_ids(ids, settings, limit=settings.max_per_call)
    await context.directory.invalidate(wanted)
    return len(wanted)


@strawberry.type
class Query:
    chat_widget: ChatWidget | None = strawberry.field(
        resolver=resolve_chat_widget,
        description="The widget script and init options for the viewer (empty when anonymous).",
    )
    chat_users: list[ChatUser] = strawberry.field(
        resolver=resolve_chat_users,
        description="Chat profiles of these users, in order; unknown ids left out.",
    )


@strawberry.type
class Mutation:
    issue_chat_token: ChatToken = strawberry.mutation(
        resolver=resolve_issue_chat_token,
        description="A fresh widget token for the signed-in viewer; ask again before expiresAt.",
    )
    invalidate_chat_users: int = strawberry.mutation(
        resolver=resolve_invalidate_chat_users,
        description="Forget cached profiles (admin bearer token only); the count of ids.",
    )


class _ErrorLog:
    hide_suggestions = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are answers, not incidents; only what gets masked is logged.
        for error in errors:
            code_document_error(error)
            if self.hide_suggestions:
                hide_suggestion(error)
            if should_mask(error):
                log.error(
                    "graphql_unexpected_error",
                    error=type(error.original_error).__name__,
                    path=error.path,
                    exc_info=error.original_error,
                )


class _ChatSchema(_ErrorLog, strawberry.Schema):
    pass


class _FederatedChatSchema(_ErrorLog, strawberry.federation.Schema):
    def entities_resolver(
        self, info: strawberry.Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        # The gateway batches every user of a response into one call: bounded like chatUsers.
        limit = info.context.frontend.graphql.max_chat_users
        if len(representations) > limit:
            raise ExpectedError(f"at most {limit} entities per request", "BAD_USER_INPUT")
        # A representation that names no entity of this subgraph is that entity's error (null
        # in the list, its own error at its index), as Strawberry answers a failed reference.
        resolve = super().entities_resolver
        results: list[Any] = []
        for representation in representations:
            refused = self._refused(representation)
            if refused is not None:
                results.append(refused)
                continue
            # Strawberry's resolver pops `__typename` from the dict it is given: give it a copy.
            results.append(resolve(info, [cast(Any, representation).copy()])[0])
        return results

    def _refused(self, representation: object) -> ExpectedError | None:
        if not isinstance(representation, dict):
            return ExpectedError("a representation must be an object", "BAD_USER_INPUT")
        name = representation.get("__typename")
        if not isinstance(name, str):
            return ExpectedError("a representation needs its __typename", "BAD_USER_INPUT")
        concrete = self.schema_converter.type_map.get(name)
        definition = getattr(concrete, "definition", None)
        if not hasattr(getattr(definition, "origin", None), "resolve_reference"):
            shown = name if len(name) <= 100 else name[:100] + "..."
            return ExpectedError(f"{shown!r} is not an entity of this subgraph", "BAD_USER_INPUT")
        return None


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema, a federation-2 subgraph when `graphql.federation.enabled` (the limits on
    documents are the endpoint's: limits.py)."""
    graphql = settings.graphql or GraphQLSettings()
    federation = graphql.federation
    schema: _ChatSchema | _FederatedChatSchema
    if not federation.enabled:
        schema = _ChatSchema(query=Query, mutation=Mutation)
    else:
        types = (
            []
            if federation.entity is None
            else [entity_type(federation.entity, resolve_entity_profile)]
        )

        def federated(version: Any) -> _FederatedChatSchema:
            return _FederatedChatSchema(
                query=Query,
                mutation=Mutation,
                types=types,
                config=federation_config(federation),
                federation_version=version,
            )

        # auto: built once at the newest version to see the directives in use, then again at
        # the lowest version they need.
        schema = federated("2.11" if federation.version == "auto" else federation.version)
        if federation.version == "auto":
            schema = federated(lowest_federation_version(schema))
    # Without introspection, "Did you mean ...?" would give the schema away one typo at a time.
    schema.hide_suggestions = not graphql.introspection
    return schema
