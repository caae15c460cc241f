"""The mapping checked against the documents: every path it reads must be selected (by the
login document, only those the login answer reads).

Checked once, where configuration is checked, before anything opens: by the start-up check
(`checks/startup.py`, which `serve` runs and `check-config` reports as its mapping stage), or by
`prepare_runtime` for an app built from settings alone. A path the mapping reads that no
document selects would map every user without that field, silently; here it is a `ConfigError`
naming the setting, and the result path to configure when the field is selected elsewhere in the
document.
"""

from __future__ import annotations

from adapter.config import Settings
from adapter.errors import ConfigError
from adapter.mapping import referenced_paths
from adapter.operations import Operations

__all__ = ["check_mapping_paths", "covered"]

# A password login answers the user's id and name, and `authuser` the chat role too
# (web/chat.py): the login document need select only what those read, not the whole mapping.
_LOGIN_READS = frozenset({"mapping.id", "mapping.fields.name", "mapping.fields.chat_role"})


def covered(path: str, selected: frozenset[str]) -> bool:
    """Whether a document that selects `selected` gives the mapping `path`."""
    if path in selected:
        return True
    # A path into a selected leaf (a JSON scalar such as `permissions.canWrite`) is fine.
    parts = path.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in selected:
            return not any(other.startswith(prefix + ".") for other in selected)
    return False


def check_mapping_paths(settings: Settings, operations: Operations) -> None:
    """Every path the mapping reads must be selected by each document that returns users, and
    the paths the login answer reads by the login document."""
    reads = referenced_paths(settings.mapping)
    documents = [(*found, reads) for found in operations.returning_users()]
    login = operations.login
    if login is not None:
        login_reads = [(where, path) for where, path in reads if where in _LOGIN_READS]
        documents.append(("login", login.user_paths, login.operation, login.result, login_reads))
    problems = []
    for document, selected, operation, result, wanted in documents:
        for where, path in wanted:
            if covered(path, selected):
                continue
            problem = f"{where}: reads {path!r}, which the {document} document does not select"
            elsewhere = operation.selected_under(path, result)
            if elsewhere is not None:
                problem += (
                    f" under {'.'.join(result)!r}; it is selected under {elsewhere!r}: set "
                    f"upstream.operations.{document}.result_path: {elsewhere}"
                )
            problems.append(problem)
    if problems:
        raise ConfigError(problems, source="mapping")
