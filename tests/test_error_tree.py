"""Every error of the tree carries its status and GraphQL code; the web layer answers with them."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import orjson
import pytest

import adapter
from adapter import errors
from adapter.errors import AdapterError, ConfigError, InitError, NotAuthenticated, RateLimited
from adapter.web.graphql.errors import expected_from
from adapter.web.responses import response_for

# They never reach the web layer: no status, on purpose.
NEVER_REACHES_WEB: frozenset[type[AdapterError]] = frozenset({ConfigError, InitError})


def every_error() -> list[type[AdapterError]]:
    """Every subclass of AdapterError in the package, once each of its modules is imported."""
    for module in pkgutil.walk_packages(adapter.__path__, "adapter."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[AdapterError]] = []
    pending: list[type[AdapterError]] = [AdapterError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        # The package's own: a test may subclass one for its own purposes.
        pending.extend(sub for sub in cls.__subclasses__() if sub.__module__.startswith("adapter."))
    return found


def raised(cls: type[AdapterError]) -> AdapterError:
    """An instance of `cls` with a message of its own, whatever its constructor takes."""
    exc = cls.__new__(cls)
    AdapterError.__init__(exc, f"{cls.__name__} happened")
    return exc


def test_every_error_is_in_the_drawing() -> None:
    """The tree drawn in errors.py's docstring names each class of the package's tree."""
    assert errors.__doc__ is not None
    missing = [cls.__name__ for cls in every_error() if f"── {cls.__name__} " not in errors.__doc__]
    assert missing == ["AdapterError"]  # the root, drawn without a branch


def test_every_exception_outside_the_tree_is_listed() -> None:
    """errors.py's docstring names, as `module.Class`, each exception class the package defines
    outside the tree (and says where it is caught)."""
    assert errors.__doc__ is not None
    every_error()  # imports every module
    outside = {
        f"{cls.__module__.removeprefix('adapter.')}.{cls.__name__}"
        for module in list(sys.modules.values())
        if module is not None and module.__name__.startswith("adapter.")
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, BaseException)
        and not issubclass(cls, AdapterError)
        and cls.__module__ == module.__name__
    }
    assert outside  # the walk found them
    assert [name for name in sorted(outside) if f"`{name}`" not in errors.__doc__] == []


@pytest.mark.parametrize("cls", every_error()[1:], ids=lambda cls: cls.__name__)
def test_every_error_has_a_deliberate_status_and_code(cls: type[AdapterError]) -> None:
    """A class reaching the web layer carries a 4xx or 5xx status and a GraphQL code of its
    own; the two that never reach it carry no status."""
    if cls in NEVER_REACHES_WEB:
        assert cls.status is None
        return
    assert cls.status is not None
    assert 400 <= cls.status < 600
    assert cls.code.isupper()
    assert cls.code != AdapterError.code


@pytest.mark.parametrize("cls", every_error()[1:], ids=lambda cls: cls.__name__)
def test_the_chat_and_graphql_see_the_class_status_code_and_message(
    cls: type[AdapterError],
) -> None:
    """REST answers with the class's status and the error's message; GraphQL with its code."""
    exc = raised(cls)
    response = response_for(exc)
    if cls in NEVER_REACHES_WEB:  # should one arrive after all, its message stays server-side
        assert response.status_code == 500
        assert orjson.loads(response.body)["error"] == "Internal error"
        return
    assert response.status_code == cls.status
    assert orjson.loads(response.body)["error"] == f"{cls.__name__} happened"
    shown = expected_from(exc)
    assert (shown.message, shown.extensions) == (exc.message, {"code": cls.code})


def test_the_chats_credentials_answer_with_a_basic_challenge() -> None:
    """401 for the chat server carries the Basic challenge its client answers."""
    response = response_for(NotAuthenticated())
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Backend"'


def test_a_spent_budget_says_when_to_come_back() -> None:
    """429 with Retry-After in REST, retryAfterSeconds beside the code in GraphQL."""
    exc = RateLimited(7)
    response = response_for(exc)
    assert (response.status_code, response.headers["retry-after"]) == (429, "7")
    assert expected_from(exc).extensions == {"code": "RATE_LIMITED", "retryAfterSeconds": 7}
