"""On a terminal: each guess shown with its reason, then confirmed (Enter) or changed.

A mapping answer is a field path (`avatar.url`), a template with `{field}` placeholders, fallbacks
separated by commas (`displayName, username`), a YAML rule (`{path: role, lookup: {...}}`), or
`-` for none. Answers are checked against the schema and asked again until they fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import typer
import yaml
from pydantic import TypeAdapter, ValidationError

from adapter.config import FieldSpec
from adapter.init.discover import RootField
from adapter.init.plan import Plan
from adapter.init.propose import Guess, IdType, guess_from_source, path_problem
from adapter.init.render import flow

__all__ = ["review", "source_text"]

NONE = "-"
_RULE_KEYS = frozenset({"path", "template", "const", "first_of"})
_Root = TypeVar("_Root", bound=RootField)


def source_text(spec: Any) -> str:
    """What the prompt shows as the default answer for a spec."""
    if spec is None:
        return NONE
    if isinstance(spec, str):
        return spec
    if isinstance(spec, list) and all(isinstance(i, str) and "{" not in i for i in spec):
        return ", ".join(spec)
    if isinstance(spec, dict) and set(spec) - {"convert"} in ({"path"}, {"template"}):
        return str(spec.get("path") or spec.get("template"))
    return flow(spec)


def _choose(title: str, options: Sequence[_Root], *, optional: bool) -> _Root | None:
    if not options:
        return None
    if len(options) == 1 and not optional:
        return options[0]
    typer.echo(f"\n{title}:")
    if optional:
        typer.echo("  0) none")
    for number, option in enumerate(options, start=1):
        typer.echo(f"  {number}) {option.signature}: {option.reason}")
    numbers = [str(n) for n in range(0 if optional else 1, len(options) + 1)]
    choice = int(_ask_choice(f"{title}: which one", numbers, "1", show_choices=False))
    return options[choice - 1] if choice else None


def _ask_choice(text: str, choices: Sequence[str], default: str, *, show_choices: bool) -> str:
    shown = f"{text} ({', '.join(choices)})" if show_choices else text
    while True:
        answer = str(typer.prompt(shown, default=default)).strip()
        if answer in choices:
            return answer
        typer.echo(f"  answer one of: {', '.join(choices)}")


def _parse(field: str, text: str, plan: Plan, samples: Sequence[Mapping[str, Any]]) -> Guess | str:
    """The guess for a typed answer, or the problem to show before asking again."""
    text = text.strip()
    if text == NONE:
        if field == "name":
            return "the chat needs a name; give a field or a template"
        return Guess(field, None, "none, your choice")
    try:
        parsed = yaml.safe_load(text) if text.startswith("{") else None
    except yaml.YAMLError:
        parsed = None
    if isinstance(parsed, dict) and _RULE_KEYS & set(parsed):
        return _rule(field, parsed, plan)
    if "," in text and "{" not in text:
        items = [item.strip() for item in text.split(",") if item.strip()]
        return guess_from_source(field, items, plan.discovery.user_type, samples)
    return guess_from_source(field, text, plan.discovery.user_type, samples)


def _rule(field: str, data: dict[str, Any], plan: Plan) -> Guess | str:
    try:
        spec = TypeAdapter(FieldSpec).validate_python(data)
    except ValidationError as exc:
        return f"not a valid rule: {exc.errors()[0]['msg']}"
    problem = path_problem(plan.discovery.user_type, spec)
    return Guess(field, data, "your rule") if problem is None else problem


def _ask_field(guess: Guess, plan: Plan, samples: Sequence[Mapping[str, Any]]) -> Guess:
    typer.echo(f"\n{guess.field}: {guess.reason}.")
    default = source_text(guess.spec)
    while True:
        answer: str = typer.prompt(f"{guess.field} (field, template, fallbacks, or -)", default)
        if answer.strip() == default:
            return guess
        parsed = _parse(guess.field, answer, plan, samples)
        if isinstance(parsed, Guess):
            return parsed
        typer.echo(f"  {parsed}")


def _ask_mail(guess: Guess) -> Guess:
    if guess.spec is None:
        return guess
    typer.echo(f"\nuser_mail: {guess.reason}.")
    send = typer.confirm(f"Send {guess.spec} to the chat as user_mail?", default=guess.enabled)
    return replace(guess, enabled=send)


def review(plan: Plan, samples: Sequence[Mapping[str, Any]] = ()) -> Plan:
    """The plan after the person has confirmed or changed each guess."""
    discovery = plan.discovery
    fetcher = _choose("Fetch users with", discovery.fetchers, optional=False)
    assert fetcher is not None  # discovery always finds at least one
    search = _choose("Search users with", discovery.searches, optional=True)
    viewer = _choose("Find the signed-in user with", discovery.viewers, optional=True)
    proposal = plan.proposal
    typer.echo(f"\nids: {proposal.id_reason}.")
    id_type: IdType = (
        "str"
        if _ask_choice("Chat ids are", ["int", "str"], proposal.id_type, show_choices=True) == "str"
        else "int"
    )
    proposal = replace(proposal, id_type=id_type)
    for guess in proposal.guesses:
        new = _ask_mail(guess) if guess.field == "user_mail" else _ask_field(guess, plan, samples)
        proposal = proposal.with_guess(new)
    return replace(plan, fetcher=fetcher, search=search, viewer=viewer, proposal=proposal)
