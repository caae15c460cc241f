"""One table of exit codes for every command, each number what it always was."""

from __future__ import annotations

from adapter.exit_codes import ExitCode


def test_every_number_is_kept() -> None:
    """check-config's classes, serve's, and init's codes keep their numbers."""
    assert {code.name: int(code) for code in ExitCode.__members__.values()} == {
        "OK": 0,
        "NOTHING_WRITTEN": 1,
        "INVALID": 2,
        "ENVIRONMENT": 3,
        "DOCUMENTS": 4,
        "UPSTREAM": 5,
        "SCHEMA": 6,
        "CACHE": 7,
        "STRICT": 8,
    }
    assert (ExitCode.USAGE, ExitCode.CHECKS_FAILED, ExitCode.ADDRESS) == (2, 3, 4)


def test_another_commands_name_is_an_alias_of_the_class() -> None:
    """A number that init or serve names its own way still reads as check-config's class."""
    assert ExitCode["ADDRESS"] is ExitCode.DOCUMENTS
    assert ExitCode["USAGE"] is ExitCode.INVALID
    assert ExitCode(3).name == "ENVIRONMENT"
