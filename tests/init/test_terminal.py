"""`init` on a terminal: each guess asked through a pseudo-terminal, answers end up in the files."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import yaml

from tests.commands import environment
from tests.servers import DemoUpstream

# A bound for a stuck session, not a speed requirement.
_WAIT_SECONDS = 60.0


class Terminal:
    """The controlling side of a pseudo-terminal: wait for text, type lines."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen = ""
        self._read_up_to = 0

    def _read(self) -> bool:
        ready, _, _ = select.select([self.fd], [], [], _WAIT_SECONDS)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the other side is closed
            return False
        self.seen += chunk.decode("utf-8", "replace")
        return bool(chunk)

    def expect(self, text: str) -> None:
        """Wait until `text` appears after what was matched before."""
        while text not in self.seen[self._read_up_to :]:
            if not self._read():
                raise AssertionError(f"never saw {text!r}; the session so far:\n{self.seen}")
        self._read_up_to = self.seen.index(text, self._read_up_to) + len(text)

    def answer(self, prompt: str, line: str) -> None:
        self.expect(prompt)
        os.write(self.fd, line.encode() + b"\r")

    def drain(self) -> None:
        while self._read():
            pass


def test_answers_on_a_terminal(demo_upstream: DemoUpstream, tmp_path: Path) -> None:
    """Answers that differ from the defaults (and one that is wrong, then fixed) are written."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "adapter", "init", "--upstream", demo_upstream.graphql_url],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=tmp_path,
        env=environment(TERM="dumb"),
        close_fds=True,
    )
    os.close(terminal)
    session = Terminal(controller)
    try:
        session.answer("Fetch users with: which one [1]", "3")  # user(id:), after usersPage
        session.answer("Search users with: which one [1]", "")
        session.answer("Find the signed-in user with: which one [1]", "0")
        session.answer("Chat ids are (int, str) [int]", "")
        session.answer("name (field, template, fallbacks, or -) [displayName, username]", "nick")
        session.expect("User has no field 'nick'")
        session.answer(
            "name (field, template, fallbacks, or -) [displayName, username]", "username"
        )
        session.answer("avatar_url (field, template, fallbacks, or -) [avatar.url]", "")
        session.answer(
            "profile_url (field, template, fallbacks, or -) [http", "https://x.example/u/{id}"
        )
        session.answer("lastlogin (field, template, fallbacks, or -) [lastLoginAt]", "lastSeenMs")
        session.answer("badge (field, template, fallbacks, or -) [badge]", "-")
        session.answer("chat_role (field, template, fallbacks, or -)", "")
        session.answer("Send email to the chat as user_mail? [y/N]", "y")
        session.answer("[Y/n]", "")
        session.expect("all checks passed")
        session.drain()
        assert process.wait(timeout=_WAIT_SECONDS) == 0, session.seen
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["upstream"]["batch"]["strategy"] == "alias"
    assert "viewer" not in config["upstream"]["operations"]
    assert not (tmp_path / "resolvers/viewer.graphql").exists()
    fields = config["mapping"]["fields"]
    assert fields["name"] == "username"
    assert fields["profile_url"] == "https://x.example/u/{id}"
    assert fields["lastlogin"] == {"path": "lastSeenMs", "convert": "epoch_ms_to_unix"}
    assert "badge" not in fields
    assert fields["user_mail"] == "email"
    document = (tmp_path / "resolvers/user_by_id.graphql").read_text()
    assert "user(id: $id)" in document
    assert "email" in document
    assert '"user_mail": "user1@example.com"' in session.seen
    assert '"profile_url": "https://x.example/u/1"' in session.seen
