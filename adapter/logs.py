"""Structured logs: one JSON object per line on stderr, with secrets redacted.

Two nets catch secrets: a value whose key names a secret (`password`, `token`, `cookie`, ...) is
replaced wherever it sits in the event, and text that looks like a credential (a JWT, the value
of a Basic or Bearer authorization, a `password=` pair, a URL's user info) is masked in every
string, including messages and tracebacks from libraries. Tracebacks are plain text: no local
variables, which could hold a password.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import re
import sys
import time
from collections.abc import Callable, MutableMapping
from contextvars import ContextVar, Token
from typing import Any

import orjson
import structlog

from adapter.memo import ComputedMemo

__all__ = [
    "REDACTED",
    "LogGate",
    "access_line",
    "bind_request_id",
    "configure_logging",
    "current_request_id",
    "detached_context",
    "redact_text",
    "unbind_request_id",
]

REDACTED = "[redacted]"
_SECRET_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "credential",
    "session",
)
_SECRET_TEXT = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"  # a JWT
    r"|(?<=Basic )[A-Za-z0-9+/=]{4,}"
    r"|(?<=Bearer )[A-Za-z0-9._~+/=-]{4,}"
    r"|(?<=://)[^/\s:@]*:[^/\s@]+(?=@)"  # user:password@ in a URL
    r"|(?:(?<=password=)|(?<=passwd=)|(?<=secret=)|(?<=token=))[^&\s\"']+",
    re.IGNORECASE,
)


_SECRET_KEY = re.compile("|".join(_SECRET_WORDS), re.IGNORECASE)


def _names_a_secret(key: object) -> bool:
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


# Every log line asks this of each of its keys; the keys are few and repeat.
_SECRET_KEYS: ComputedMemo[object, bool] = ComputedMemo(1024, _names_a_secret)


def redact_text(text: str) -> str:
    """`text` with anything that looks like a credential masked."""
    # Every pattern needs a character other than a letter or digit ("." "=" " " ":"); request
    # ids and most values have none, and skip the regex's cost.
    if text.isalnum():
        return text
    return _SECRET_TEXT.sub(REDACTED, text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_KEYS[k] else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        event[key] = REDACTED if _SECRET_KEYS[key] else _scrub(value)
    return event


# The request being answered, for every line logged while answering it. A variable of its own
# rather than structlog's bound context: set and reset per request cost a tenth of
# bind_contextvars/reset_contextvars, and the warm users-info call pays it on every request.
_REQUEST_ID: ContextVar[str | None] = ContextVar("imbachat_request_id", default=None)


def bind_request_id(request_id: str) -> Token[str | None]:
    """Lines logged from here on (in this context) carry `request_id`, until `unbind_request_id`."""
    return _REQUEST_ID.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _REQUEST_ID.reset(token)


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


def detached_context() -> contextvars.Context:
    """A context for work that outlives the request that started it (a listener, a background
    refresh): its lines carry no request id, which would name a request that has long ended."""
    return contextvars.Context()


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = _REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _json(event: Any, **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


class _StderrLogger(structlog.WriteLogger):
    """The rendered line straight to stderr, skipping the standard library's records, handlers
    and formatter (most of an access line's cost); only libraries' records take that road."""

    def __init__(self, *args: Any) -> None:  # the logger factory's: the name, if any
        super().__init__(sys.stderr)
        self.name = str(args[0]) if args else ""  # read by add_logger_name


class _AccessWriter:
    """The access line rendered by hand, while `configure_logging`'s JSON configuration is the
    active one: the fields structlog's chain would add, one write. Its own fields are safe by
    construction (a method from a fixed set, a route template, numbers); the request id and any
    bound context still go through redaction."""

    def __init__(self, minimum: int, processors: list[Any]) -> None:
        self.minimum = minimum
        self.processors = processors

    def write(self, level: int, fields: dict[str, Any]) -> bool:
        """Write `fields` as the event `request` unless structlog's road must take it."""
        if structlog.get_config()["processors"] is not self.processors:
            return False
        if level < self.minimum:
            return True
        bound = structlog.contextvars.get_contextvars()
        for key, value in bound.items():
            if key not in fields:
                fields[key] = REDACTED if _SECRET_KEYS[key] else _scrub(value)
        fields["event"] = "request"
        fields["level"] = _LEVEL_NAMES[level]
        fields["logger"] = "adapter.access"
        # Rendered by orjson as TimeStamper(fmt="iso", utc=True) renders it, at a third of the
        # cost of formatting the text here.
        fields["timestamp"] = datetime.datetime.now(datetime.UTC)
        stream = sys.stderr
        stream.write(orjson.dumps(fields, default=str, option=_LINE).decode())
        stream.flush()
        return True


_LEVEL_NAMES = {logging.DEBUG: "debug", logging.INFO: "info"}
_LINE = orjson.OPT_UTC_Z | orjson.OPT_APPEND_NEWLINE
_access_writer: _AccessWriter | None = None
_access_log = structlog.get_logger("adapter.access")


def access_line(*, debug: bool, request_id: str, **fields: Any) -> None:
    """One access line (event `request`) at info, or at debug for probes; a few microseconds
    with the JSON configuration, the same line as `structlog.get_logger("adapter.access")`."""
    level = logging.DEBUG if debug else logging.INFO
    fields["request_id"] = redact_text(request_id)
    writer = _access_writer
    if writer is not None and writer.write(level, fields):
        return
    emit = _access_log.debug if debug else _access_log.info
    emit("request", **fields)


class LogGate:
    """One log line per `interval` seconds for a failure that repeats; the rest are counted."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.held = 0  # lines held back since the last one logged
        self._last = float("-inf")

    def due(self) -> int | None:
        """When a line is due, how many were held back before it (counted from 0 again);
        else None, and this one is counted."""
        now = self.clock()
        if now - self._last < self.interval:
            self.held += 1
            return None
        self._last, held, self.held = now, self.held, 0
        return held


def configure_logging(level: str = "info", *, json: bool = True) -> None:
    """Render structlog's events and the standard library's (uvicorn) the same redacting way."""
    global _access_writer
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_json)
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    rendering: list[Any] = [structlog.processors.format_exc_info, _redact, renderer]
    processors = [*shared, *rendering]
    structlog.configure(
        processors=processors,
        logger_factory=_StderrLogger,
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=False,
    )
    _access_writer = _AccessWriter(numeric, processors) if json else None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx and httpcore log every request (httpcore with headers at debug); the adapter
    # counts upstream calls in its metrics instead.
    for name in ("httpx", "httpcore", "hpack"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # The adapter writes its own access line, with the route template and a request id.
    logging.getLogger("uvicorn.access").disabled = True
