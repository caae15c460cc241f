"""The checks behind `imbachat-adapter check-config`: is this configuration ready to deploy?

`run_checks(path)` returns a `CheckReport` instead of raising: first the start-up check that
`serve` runs too (`startup.py`: file, environment, values, token API, documents, mapping; no
network), then the stages that need the network (`stages.py`: the site, its schema against the
documents and the mapping, `schema.py`; the cache). Each problem carries its class, an
`ExitCode` whose value is the command's exit code (the list is `check-config --help`); the first
problem found decides, and a stage that the earlier ones make meaningless is reported as skipped.
No message holds a secret's value: variables are named, never shown, and URLs lose their user
info. The report itself, its text and its JSON, is `report.py`.
"""

from adapter.checks.report import Check, CheckReport
from adapter.checks.stages import run_checks
from adapter.checks.startup import check_startup, startup_settings
from adapter.exit_codes import ExitCode

__all__ = ["Check", "CheckReport", "ExitCode", "check_startup", "run_checks", "startup_settings"]
