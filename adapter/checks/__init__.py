"""The checks behind `imbachat-adapter check-config`: is this configuration ready to deploy?

`run_checks(path)` looks at a configuration the way `serve` would use it, stage by stage, and
returns a `CheckReport` instead of raising. Each problem carries its class, an `ExitCode` whose
value is the command's exit code; the report's `exit_code` is 0 when nothing failed, else the
class of the first problem found.

The start-up check (`startup.py`), which `serve` runs too and refuses to start on:

1. the file: readable, valid YAML (class 2, INVALID);
2. the environment: every `${NAME}` without a default is set (class 3, ENVIRONMENT);
3. the values: every setting valid (the models' validators), no sample or placeholder secret
   outside the embedded demo, tracing packages present when tracing is on (class 2,
   `tracing.py`);
4. the token API: text chat ids cannot name a token's user (class 2); a configuration without
   it (`tokens`, `viewer`, `graphql`) gives a warning;
5. the operation documents parse and fit their settings, the other files the configuration
   names are there (the viewer document, the trusted documents manifest, the demo page's
   folder), and every path the mapping reads is selected by the documents returning users
   (class 4, DOCUMENTS).

Then the stages that need the network (`stages.py`; not with `--offline`):

6. the site's GraphQL API answers (class 5, UPSTREAM), and, with `introspect`, its schema is
   introspected;
7. every document validates against that schema, and every field the mapping reads exists in
   it (class 6, SCHEMA, `schema.py`); a site that refuses introspection gives a warning, not a
   failure;
8. the cache answers a ping (class 7, CACHE).

A stage that the earlier ones make meaningless is reported as skipped. `strict_exit_code` is 8
(STRICT) when nothing failed but something warned, for `check-config --strict`. No message holds a
secret's value: environment variables are named, never shown, and URLs lose their user info.
The report itself, its text and its JSON, is `report.py`.
"""

from adapter.checks.report import Check, CheckReport
from adapter.checks.stages import run_checks
from adapter.checks.startup import check_startup, startup_settings
from adapter.exit_codes import ExitCode

__all__ = ["Check", "CheckReport", "ExitCode", "check_startup", "run_checks", "startup_settings"]
