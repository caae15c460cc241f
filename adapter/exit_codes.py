"""The exit codes of every `imbachat-adapter` command, in one table.

`check-config` gives one code per class of problem, and its report names the class
(`ExitCode(report.exit_code).name`); `serve`, `users` and `token` give those that fit them, and
`init` adds its own. Where a command gives a number a meaning of its own, its name is an alias
of the check-config class with that number (`ExitCode.ADDRESS is ExitCode.DOCUMENTS`), so the
classes keep their names in reports and every number stays what it always was.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode"]


class ExitCode(IntEnum):
    """What a command ended with; its value is the process's exit code."""

    OK = 0
    NOTHING_WRITTEN = 1  # init: the site could not be read or has no usable user type
    INVALID = 2  # the file cannot be read, is not YAML, or holds an invalid value
    ENVIRONMENT = 3  # a `${NAME}` without a default names an unset variable
    DOCUMENTS = 4  # an operation document or the mapping does not fit
    UPSTREAM = 5  # the site's GraphQL API cannot be reached or does not answer
    SCHEMA = 6  # a document or the mapping asks for a field the site's schema lacks
    CACHE = 7  # the cache backend does not answer
    STRICT = 8  # check-config --strict: nothing failed, but a check warned
    # Another command's meaning of a number above (aliases: see the module's docstring).
    USAGE = 2  # init: a bad option, or files exist without --force
    CHECKS_FAILED = 3  # init: written, but the checks failed or no user came back
    ADDRESS = 4  # serve: the host and port cannot be listened on
