"""The adapter's errors, one tree; each class carries its HTTP `status` and its GraphQL `code`.

Domain code raises these; the web layer answers with the class's status in the chat's JSON error
shape (`web/responses.py`), and the GraphQL layer shows the message with the class's code
(`web/graphql/errors.py`). A subclass answers with its parent's status and code unless it sets
its own; `status` None: the error never reaches the web layer.

    AdapterError
    ├── ConfigError ............... the configuration cannot be used (start-up only; never
    │                               reaches the web layer)
    ├── RequestRejected ........... the caller asked for something we refuse (400)
    │   ├── InvalidUserIds ........ an id that is not valid for the configured id type
    │   ├── UnsupportedBody ....... a body in a media type the route does not read (415)
    │   ├── BodyTooLarge .......... a body larger than the route reads (413)
    │   ├── HeaderRejected ........ a credential header that cannot be passed on to the site
    │   └── RequestRefused ........ a GraphQL request refused before it runs, with its code
    │                               (web/graphql/errors.py)
    ├── NotAuthenticated .......... the chat server's credentials are missing or wrong (401)
    ├── SignatureRejected ......... a signed webhook whose signature does not check out (401)
    ├── LoginRejected ............. the site refused a password login (403)
    ├── NotSignedIn ............... a page asked for a widget token with no signed-in viewer (401)
    ├── RateLimited ............... a token budget (per address or per viewer) is spent (429)
    ├── Unanswerable .............. understood, but the site cannot answer it (422)
    │   ├── FriendsUnavailable .... no friends operation, or the site has no such user
    │   └── NotificationRefused ... the site did not take the notification
    ├── UpstreamError ............. the site's GraphQL API failed us (502)
    │   ├── UpstreamUnavailable ... connection refused, timeout, or the circuit breaker is open
    │   ├── UpstreamStatusError ... an HTTP status that is not 200
    │   ├── UpstreamProtocolError . not JSON, or not the shape of a GraphQL response
    │   ├── UpstreamGraphQLError .. `errors` and no usable `data`
    │   └── ViewerIdInvalid ....... the site named a viewer whose id is no chat user id
    ├── CacheError ................ the cache backend failed (503); reads and writes fail open,
    │                               an eviction that did not happen raises it
    └── InitError ................. `init` cannot go on (the CLI only, never reaches the web
                                    layer)

Four exceptions stay outside the tree on purpose, each caught where named:

- `web.graphql.errors.ExpectedError`: the face these errors show inside a GraphQL answer, a
  message and a code; graphql-core puts it, unmasked, in the answer's `errors`.
- `bounded.TooLarge`: a body past a reader's bound. `upstream.py`, `init/introspect.py` and
  `web/webhooks.py` turn it into their own error; raised into any other handler by the edge's
  counting `receive`, it is answered 413 by `web/edge.error_answer`, which the edge calls for
  its routes and app.py's exception handler for FastAPI's.
- `bounded.UnsupportedEncoding`: a Content-Encoding the reader does not undo; `upstream.py`
  and `init/introspect.py` turn it into their own error.
- `feed.subscription.FeedError`: the site ended or refused the subscription; `feed/runner.py`
  catches it as any failure to follow the feed: the feed is down, and reconnects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AdapterError",
    "BodyTooLarge",
    "CacheError",
    "ConfigError",
    "FriendsUnavailable",
    "HeaderRejected",
    "InitError",
    "InvalidUserIds",
    "LoginRejected",
    "NotAuthenticated",
    "NotSignedIn",
    "NotificationRefused",
    "RateLimited",
    "RequestRejected",
    "SignatureRejected",
    "Unanswerable",
    "UnsupportedBody",
    "UpstreamError",
    "UpstreamGraphQLError",
    "UpstreamProtocolError",
    "UpstreamStatusError",
    "UpstreamUnavailable",
    "ViewerIdInvalid",
]


class AdapterError(Exception):
    """Base of every error the adapter raises on purpose; subclasses set `status` and `code` as
    class keywords (see the module's docstring)."""

    status: int | None = None
    code = "INTERNAL_SERVER_ERROR"
    # Headers of its HTTP answer, and what its GraphQL error shows beside message and code.
    headers: Mapping[str, str] = {}
    extensions: Mapping[str, Any] = {}

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None) -> None:
        super().__init_subclass__()
        cls.status = status or cls.status
        cls.code = code or cls.code

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(AdapterError):
    """The configuration cannot be used; `problems` lists each one as `path: what is wrong`."""

    def __init__(self, problems: Sequence[str], *, source: str = "configuration") -> None:
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{source} is not valid:\n{lines}")


class RequestRejected(AdapterError, status=400, code="BAD_REQUEST"):
    """The request is malformed or out of bounds."""


class InvalidUserIds(RequestRejected):
    """A user id in the request is not valid for the configured id type."""


class UnsupportedBody(RequestRejected, status=415, code="UNSUPPORTED_MEDIA_TYPE"):
    """The body's media type is not one the route reads."""


class BodyTooLarge(RequestRejected, status=413):
    """The body is larger than the route reads."""


class HeaderRejected(RequestRejected):
    """Raised before anything is sent: the caller's problem alone, never counted by the breaker."""


class NotAuthenticated(AdapterError, status=401, code="UNAUTHENTICATED"):
    """The chat server did not prove who it is."""

    def __init__(self, message: str = "Authenticate required!") -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": 'Basic realm="Backend"'}


class SignatureRejected(AdapterError, status=401, code="UNAUTHENTICATED"):
    """A signed request (the site's webhook) whose signature is missing, wrong, old or reused."""


class LoginRejected(AdapterError, status=403, code="FORBIDDEN"):
    """The site did not accept a login and password."""


class NotSignedIn(AdapterError, status=401, code="UNAUTHENTICATED"):
    """401 without a Basic challenge: a browser would show a password dialog."""

    def __init__(self, message: str = "Sign in to the site first.") -> None:
        super().__init__(message)


class RateLimited(AdapterError, status=429, code="RATE_LIMITED"):
    """Over a token budget: try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many token requests; try again later.")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}
        self.extensions = {"retryAfterSeconds": retry_after}


class Unanswerable(AdapterError, status=422, code="UNPROCESSABLE"):
    """The request is well formed, but the site has nothing to answer it with."""


class FriendsUnavailable(Unanswerable):
    """The site offers no friends, or has no such user; the plugins' words are kept."""

    def __init__(self, message: str = "Friends are not available!") -> None:
        super().__init__(message)


class NotificationRefused(Unanswerable):
    """The site answered, but did not take the notification (no such recipient, say)."""


class UpstreamError(AdapterError, status=502, code="UPSTREAM_UNAVAILABLE"):
    """The site's GraphQL API did not give a usable answer."""


class UpstreamUnavailable(UpstreamError):
    """The site's GraphQL API could not be reached in time, or the breaker is open."""


class UpstreamStatusError(UpstreamError):
    """The site's GraphQL API answered with a status other than 200."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class UpstreamProtocolError(UpstreamError):
    """The answer was not a GraphQL response (not JSON, or the wrong shape)."""


class UpstreamGraphQLError(UpstreamError):
    """`site_messages` (the site's own) are for whoever runs the adapter (the `users` command
    prints them); `message` never carries them, as it may reach a client."""

    def __init__(self, message: str, *, site_messages: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.site_messages = tuple(site_messages)


class ViewerIdInvalid(UpstreamError, code="VIEWER_ID_INVALID"):
    """In the viewer query's answer or the JWT; a widget token needs an id in the chat's range."""


class CacheError(AdapterError, status=503, code="CACHE_UNAVAILABLE"):
    """Reads and writes fail open (`FailOpenCache`); an eviction that did not happen raises it,
    and the webhook (503) and the GraphQL admin mutation tell their caller to retry."""


class InitError(AdapterError):
    """`init` cannot go on; the message, for the person at the terminal, says why and, where it
    can, what to do."""
