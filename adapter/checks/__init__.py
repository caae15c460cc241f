"""The checks behind `imbachat-adapter check-config`: is this configuration ready to deploy?

`run_checks(path)` returns a `CheckReport` instead of raising. Each problem carries its class, an
`ExitCode` (the list is `check-config --help`); the first problem found decides the exit code.
No message holds a secret's value: variables are named, never shown, and URLs lose their user
info.
"""

from adapter.checks.report import Check, CheckReport
from adapter.checks.stages import run_checks
from adapter.checks.startup import check_startup, startup_files
from adapter.exit_codes import ExitCode

__all__ = ["Check", "CheckReport", "ExitCode", "check_startup", "run_checks", "startup_files"]
