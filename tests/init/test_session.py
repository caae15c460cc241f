"""The command in-process: every kind of answer in the review, and every outcome of the report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from adapter.checks import CheckReport
from adapter.cli import app
from adapter.init import command
from adapter.init.sample import Samples
from adapter.init.verify import ChatAnswer, Verification, verify
from tests.init.schemas import RELAY_TOKEN, CountingSite
from tests.init.support import OPERATOR_ENVIRONMENT, SiteServer


@pytest.fixture(autouse=True)
def _keep_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command configures process-wide logging; in-process, leave the test run's alone."""
    monkeypatch.setattr("adapter.logs.configure_logging", lambda *_, **__: None)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave as if a terminal were attached."""
    monkeypatch.setattr(command, "terminal_attached", lambda: True)


def _init(*args: str, answers: list[str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["init", *args], input="\n".join(answers) + "\n" if answers else None
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_yes_in_process(serve_site: SiteServer, members: CountingSite, tmp_path: Path) -> None:
    """`--yes` with given ids writes a working configuration and shows those users."""
    url = serve_site(members) + "?site=crew"
    code, output = _init("--upstream", url, "--yes", "-o", str(tmp_path), "--sample-ids", "7,1")
    assert code == 0, output
    assert "upstream.url is written as given" in output
    assert '"name": "Lookout"' in output
    assert "the ids you gave (7, 1)" in output
    nothing = asyncio.run(verify(tmp_path / "config.yaml", (), OPERATOR_ENVIRONMENT))
    assert (nothing.answer, nothing.skipped) == (None, "no user ids to ask for")


def test_review_every_kind_of_answer(
    serve_site: SiteServer, members: CountingSite, tmp_path: Path, terminal: None
) -> None:
    """Wrong answers are explained and asked again; changed answers reach the files."""
    answers = [
        "maybe",  # ids: not a choice
        "str",
        "-",  # name: refused, the chat needs one
        "login, nickname",
        "{path: [",  # avatar_url: not YAML, not a field
        "{path: nope}",
        "{path: photo, convert: or_false}",
        "{oops} x",  # profile_url: unknown placeholder
        "https://m.example/{login}",
        "",  # lastlogin: keep
        "{path: login, const: 1}",  # badge: two sources
        "-",
        "",  # chat_role: keep
        "y",  # user_mail: on
        "",  # write
    ]
    code, output = _init("--upstream", serve_site(members), "-o", str(tmp_path), answers=answers)
    assert code == 0, output
    for problem in (
        "answer one of: int, str",
        "the chat needs a name",
        "has no field '{path: ['",
        "has no field 'nope'",
        "has no field 'oops'",
        "not a valid rule",
    ):
        assert problem in output
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["chat"]["ids"]["type"] == "str"
    assert config["mapping"]["fields"] == {
        "name": ["login", "nickname"],
        "avatar_url": {"path": "photo", "convert": "or_false"},
        "profile_url": "https://m.example/{login}",
        "lastlogin": {"path": "lastSeen", "convert": "iso8601_to_unix"},
        "chat_role": {"path": "isAdmin", "lookup": {"true": "admin"}, "default": "user"},
        "user_mail": "email",
    }
    assert '"user_id": "1"' in output  # string ids, as chosen
    assert '"user_mail": "c@x.net"' in output


def test_review_then_decline(
    serve_site: SiteServer, relay: CountingSite, tmp_path: Path, terminal: None
) -> None:
    """Declining the write at the end writes nothing; header values are never echoed."""
    answers = ["0", "", "", "", "", "", "", "", "", "n"]
    code, output = _init(
        "--upstream",
        serve_site(relay),
        "-H",
        f"Authorization: Bearer {RELAY_TOKEN}",
        "-o",
        str(tmp_path),
        answers=answers,
    )
    assert code == 1, output
    assert "Search users with: which one" in output
    assert "Nothing written." in output
    assert RELAY_TOKEN not in output
    assert list(tmp_path.iterdir()) == []


def test_header_names_an_environment_variable(
    serve_site: SiteServer, relay: CountingSite, tmp_path: Path
) -> None:
    """The --header value is used, and .env.example names the variable that must hold it."""
    code, output = _init(
        "--upstream",
        serve_site(relay),
        "--yes",
        "-H",
        f"Authorization: Bearer {RELAY_TOKEN}",
        "-o",
        str(tmp_path),
    )
    assert code == 0, output
    environment = (tmp_path / ".env.example").read_text()
    assert "\nIMBACHAT_UPSTREAM_AUTHORIZATION=\n" in environment
    assert "Authorization header" in environment
    assert RELAY_TOKEN not in output + (tmp_path / "config.yaml").read_text() + environment


def test_empty_sample_ids() -> None:
    """Sample ids that are all separators are a usage error."""
    code, output = _init("--upstream", "http://127.0.0.1:9/graphql", "--sample-ids", ",")
    assert code == 2
    assert "give ids separated by commas" in output


def test_output_that_cannot_be_written(
    serve_site: SiteServer, members: CountingSite, tmp_path: Path
) -> None:
    """Without a terminal every guess is taken; an unwritable output is a clear error."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, output = _init("--upstream", serve_site(members), "-o", str(blocker / "sub"))
    assert code == 2
    assert "No terminal attached: taking every guess, as with --yes." in output
    assert "cannot write" in output


def _samples(*, confirmed: bool) -> Samples:
    return Samples(("1",), (), "", confirmed)


@pytest.mark.parametrize(
    ("answer", "confirmed", "code", "said"),
    [
        (None, True, 3, "No users fetched: the checks failed."),
        (ChatAnswer("/u", 502, b"<html>"), True, 3, "<html>"),
        (ChatAnswer("/u", 200, b"[]"), True, 3, "though the site has them"),
        (ChatAnswer("/u", 200, b"[]"), False, 0, "pass ids the site has with --sample-ids"),
        (ChatAnswer("/u", 200, orjson.dumps([{"user_id": 1, "name": "A"}])), True, 0, '"A"'),
    ],
)
def test_report_outcomes(
    answer: ChatAnswer | None,
    confirmed: bool,
    code: int,
    said: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Only a 200 answer with users (or none, when none were known) counts as working."""
    verification = Verification(CheckReport(Path("config.yaml")), answer, "the checks failed")
    assert command._report(verification, _samples(confirmed=confirmed)) == code
    assert said in capsys.readouterr().out
