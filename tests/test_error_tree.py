"""The error tree drawn in `adapter/errors.py` is the real one, and the web layer maps all of it."""

from __future__ import annotations

import importlib
import pkgutil
import re

import orjson
import pytest

import adapter
from adapter import errors
from adapter.errors import AdapterError, ConfigError, NotAuthenticated
from adapter.init.errors import InitError
from adapter.web.responses import response_for, status_for

# Documented in the drawing as never reaching the web layer: no status, on purpose.
NEVER_REACHES_WEB: frozenset[type[AdapterError]] = frozenset({ConfigError, InitError})

_ENTRY = re.compile(r"^(?P<indent>[ │]*)[├└]── (?P<name>\w+) \.*(?P<text>.*)$")
_STATUS = re.compile(r"\((\d{3})\)")


def every_error() -> dict[str, type[AdapterError]]:
    """Every subclass of AdapterError in the package, once each of its modules is imported."""
    for module in pkgutil.walk_packages(adapter.__path__, "adapter."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, type[AdapterError]] = {}
    pending: list[type[AdapterError]] = [AdapterError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        # The package's own: a test may subclass one for its own purposes.
        pending.extend(sub for sub in cls.__subclasses__() if sub.__module__.startswith("adapter."))
    return found


def drawing() -> dict[str, tuple[str, str]]:
    """Each drawn class: its drawn parent and its text (continuation lines included)."""
    assert errors.__doc__ is not None
    drawn: dict[str, tuple[str, str]] = {}
    parents = ["AdapterError"]
    lines = iter(errors.__doc__.splitlines())
    for line in lines:
        if line.strip() == "AdapterError":
            break
    last = ""
    for raw in lines:
        line = raw.removeprefix("    ")
        if not line.strip():
            break  # the drawing ends at its first empty line
        entry = _ENTRY.match(line)
        if entry is None:
            parent, text = drawn[last]
            drawn[last] = (parent, f"{text} {line.strip(' │')}")
            continue
        depth = len(entry["indent"]) // 4
        del parents[depth + 1 :]
        last = entry["name"]
        drawn[last] = (parents[depth], entry["text"].strip())
        parents.append(last)
    return drawn


def test_every_error_is_drawn_under_its_real_parent() -> None:
    """The drawing lists each class of the tree, under the class it subclasses, and nothing else."""
    real = every_error()
    drawn = drawing()
    assert set(drawn) == set(real) - {"AdapterError"}
    for name, (parent, _) in drawn.items():
        assert real[name].__bases__ == (real[parent],), f"{name} is not drawn under its parent"


def test_every_error_has_a_deliberate_status() -> None:
    """Each class reaching the web layer answers with a mapped status, never a 500 by default."""
    for name, cls in every_error().items():
        if cls is AdapterError:
            continue
        text = drawing()[name][1]
        if cls in NEVER_REACHES_WEB:
            assert status_for(cls) is None
            assert "never reaches the web layer" in text, f"{name}: say it never reaches the web"
            continue
        status = status_for(cls)
        assert status is not None, f"{name} has no status: map it in web/responses.py"
        drawn_status = _STATUS.search(text)
        if drawn_status is not None:
            assert int(drawn_status[1]) == status, f"{name} is drawn with another status"


def test_response_for_answers_each_error_with_its_status_and_message() -> None:
    """The chat sees the mapped status and the error's own message (the chat's shape)."""
    for cls in every_error().values():
        if cls is AdapterError or cls in NEVER_REACHES_WEB or cls is NotAuthenticated:
            continue
        exc = cls.__new__(cls)
        AdapterError.__init__(exc, f"{cls.__name__} happened")
        response = response_for(exc)
        assert response.status_code == status_for(cls)
        assert orjson.loads(response.body)["error"] == f"{cls.__name__} happened"


@pytest.mark.parametrize("cls", [ConfigError, InitError])
def test_an_error_that_never_reaches_the_web_would_be_a_plain_500(cls: type[AdapterError]) -> None:
    """Should one arrive after all, its message stays server-side."""
    exc = cls.__new__(cls)
    AdapterError.__init__(exc, "a detail for the terminal")
    response = response_for(exc)
    assert response.status_code == 500
    assert orjson.loads(response.body)["error"] == "Internal error"
