"""Log redaction: secrets are masked by key name and by shape, tracebacks included."""

from __future__ import annotations

import json
import logging
import re

import pytest
import structlog

from adapter.logs import REDACTED, LogGate, access_line, configure_logging, redact_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Basic cm9vdDphYmM=", "cm9vdDphYmM="),
        ("Authorization: Bearer s3ss10n-t0ken", "s3ss10n-t0ken"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJl here", "eyJhbGciOiJIUzI1NiJ9"),
        ("redis://:hunter2@cache:6379/0", "hunter2"),
        ("redis://admin:hunter2@cache:6379/0", "hunter2"),
        ("GET /users?user_ids=1&jwt_token=abc.def.ghi", "abc.def.ghi"),
        ("login=user5&password=hunter2", "hunter2"),
    ],
)
def test_credential_shapes_are_masked(text: str, secret: str) -> None:
    """A JWT, Basic/Bearer values, URL user info and secret query pairs are masked in text."""
    masked = redact_text(text)
    assert secret not in masked
    assert REDACTED in masked


def test_ordinary_text_is_left_alone() -> None:
    """Text without credentials is unchanged, templates and ids included."""
    text = "GET /imbachat/v1/getusers/{user_ids} https://www.example.com/members/{username}/"
    assert redact_text(text) == text


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_redact_by_key_and_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """Secret-named keys, nested ones too, are replaced; values shaped like secrets are masked."""
    configure_logging("info")
    structlog.get_logger("test").info(
        "calling",
        api_password="hunter2",
        headers={"Cookie": "demo_session=abc", "Accept": "application/json"},
        url="https://bob:pw123@site.test/graphql",
    )
    (line,) = capsys.readouterr().err.splitlines()
    event = json.loads(line)
    assert event["api_password"] == REDACTED
    assert event["headers"] == {"Cookie": REDACTED, "Accept": "application/json"}
    assert "pw123" not in line
    assert event["level"] == "info"
    assert event["logger"] == "test"


@pytest.mark.usefixtures("restore_logging")
def test_tracebacks_are_text_without_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    """An exception is logged as a plain traceback, with credential shapes masked in it."""
    configure_logging("info")
    try:
        raise RuntimeError("upstream said: Authorization: Bearer leaked-token-123")
    except RuntimeError:
        logging.getLogger("library").exception("failed")
    (line,) = [item for item in capsys.readouterr().err.splitlines() if item.strip()]
    event = json.loads(line)
    assert "RuntimeError" in event["exception"]
    assert "leaked-token-123" not in line


@pytest.mark.usefixtures("restore_logging")
def test_level_and_console_format(capsys: pytest.CaptureFixture[str]) -> None:
    """Below the configured level nothing is written; the console format is plain text."""
    configure_logging("warning", json=False)
    log = structlog.get_logger("test")
    log.info("quiet")
    log.warning("loud", token="abc")
    err = capsys.readouterr().err
    assert "quiet" not in err
    assert "loud" in err
    assert "abc" not in err


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    "request_id", ["0123456789abcdef0123456789abcdef", "id-with-Bearer abcdefgh", "eyJh.eyJi.sig"]
)
def test_the_access_line_is_the_line_structlog_would_write(
    capsys: pytest.CaptureFixture[str], request_id: str
) -> None:
    """The hand-written access line has structlog's fields, values and redaction, bound context
    included; at warning it is not written."""
    configure_logging("info")
    fields = {"method": "GET", "route": "/r/{x}", "status": 200, "duration_ms": 1.5, "ids": 3}
    with structlog.contextvars.bound_contextvars(tenant="t1", session_cookie="c00kie"):
        access_line(debug=False, request_id=request_id, **fields)
        by_hand = json.loads(capsys.readouterr().err)
        structlog.get_logger("adapter.access").info("request", request_id=request_id, **fields)
        by_structlog = json.loads(capsys.readouterr().err)
    # TimeStamper(fmt="iso", utc=True): no fraction in the one microsecond a second at .000000
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")
    assert stamp.fullmatch(by_hand.pop("timestamp"))
    assert re.fullmatch(r"[0-9T:.Z-]+", by_structlog.pop("timestamp"))
    assert by_hand == by_structlog
    assert "c00kie" not in json.dumps(by_hand)
    configure_logging("warning")
    access_line(debug=False, request_id=request_id, **fields)
    access_line(debug=True, request_id=request_id, **fields)
    assert capsys.readouterr().err == ""


def test_log_gate_lets_one_line_through_per_interval_and_counts_the_rest() -> None:
    """The first failure logs; those within the interval are held and counted in the next."""
    now = [100.0]
    gate = LogGate(30.0, clock=lambda: now[0])
    assert gate.due() == 0
    now[0] += 29.0
    assert (gate.due(), gate.due()) == (None, None)
    now[0] += 1.0
    assert gate.due() == 2
    assert gate.held == 0
