"""The `imbachat-adapter init` command: from a GraphQL endpoint to a working configuration."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from adapter.exit_codes import ExitCode
from adapter.urls import may_carry_credentials

if TYPE_CHECKING:
    from adapter.init.discover import Discovery
    from adapter.init.plan import Plan
    from adapter.init.propose import Proposal
    from adapter.init.sample import Samples
    from adapter.init.verify import Verification

__all__ = ["init_command"]

_HEADER = re.compile(r"^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:\s*(.*)$")


def _headers(raw: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in raw:
        match = _HEADER.match(item)
        if match is None or not match.group(2).strip():
            # The value may be a secret: the message shows neither it nor the option's text.
            raise typer.BadParameter("expected 'Name: value', e.g. 'Authorization: Bearer …'")
        headers[match.group(1)] = match.group(2).strip()
    return headers


def _sample_ids(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    ids = [item.strip() for item in raw.split(",") if item.strip()]
    if not ids:
        raise typer.BadParameter("give ids separated by commas, e.g. 1,2,3")
    return ids


def terminal_attached() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _explain_discovery(discovery: Discovery) -> None:
    typer.echo(f"\nUser type: {discovery.user_type.name}")
    typer.echo(f"  {discovery.reason}")
    if discovery.runners_up:
        typer.echo(f"  (also looked user-like: {', '.join(discovery.runners_up)})")
    typer.echo("Fetching users (best first):")
    for number, fetcher in enumerate(discovery.fetchers):
        mark = "*" if number == 0 else " "
        typer.echo(f"  {mark} {fetcher.signature} [{fetcher.strategy}]: {fetcher.reason}")
    for title, found in (("Search", discovery.searches), ("Signed-in user", discovery.viewers)):
        if found:
            typer.echo(f"{title}: {found[0].signature}: {found[0].reason}")
        else:
            typer.echo(f"{title}: none found")


def _explain_proposal(proposal: Proposal, samples: Samples) -> None:
    typer.echo(f"Sample users: {samples.note}")
    if proposal.global_id is not None:
        typer.echo(f"Global ids: {orjson.dumps(proposal.global_id.settings).decode()}")
        typer.echo(f"  {proposal.global_id.reason}")
    typer.echo(f"Chat ids: {proposal.id_type} ({proposal.id_reason})")
    typer.echo("Mapping:")
    for guess in proposal.guesses:
        if guess.spec is None:
            shown = "-"
        else:
            shown = orjson.dumps(guess.spec).decode()
            if not guess.enabled:
                shown = f"off ({shown})"
        typer.echo(f"  {guess.field:<12} {shown}\n  {'':<12} {guess.reason}")
    if proposal.profiles is not None:
        shown = orjson.dumps(proposal.profiles).decode()
        typer.echo(f"  {'profiles':<12} {shown}\n  {'':<12} {proposal.profiles_reason}")


def _integer_viewer(plan: Plan) -> Plan:
    """The plan without its viewer when the chat's ids are text: the widget's token carries
    the site's integer user id, so no token could name a user the users call finds."""
    if plan.viewer is None or plan.proposal.id_type != "str":
        return plan
    why = (
        f"the chat's ids are text ({plan.proposal.id_field}: {plan.proposal.id_reason}), and the "
        "widget's token carries the site's integer user id, so `"
        f"{plan.viewer.name}` cannot name a user the users call finds; give the users an "
        "integer key that the users field filters on and the viewer selects (README: "
        '"Integer chat ids"), then run init again'
    )
    return replace(plan, viewer=None, viewer_refused=why)


def chat_ids(proposal: Proposal, samples: Samples, id_field: str) -> tuple[str, ...]:
    """The sampled users' ids as the chat will ask for them."""
    if proposal.global_id is not None:
        return proposal.global_id.local_ids
    if proposal.id_field == id_field:
        return samples.ids
    found = (user.get(proposal.id_field) for user in samples.users)
    return tuple(str(value) for value in found if value is not None)


def _report(verification: Verification, samples: Samples) -> ExitCode:
    typer.echo("\nChecks (as `imbachat-adapter check-config`):")
    for line in verification.report.lines():
        typer.echo(f"  {line}")
    answer = verification.answer
    if answer is None:
        typer.echo(f"\nNo users fetched: {verification.skipped}.")
        return ExitCode.CHECKS_FAILED
    typer.echo(f"\nThe chat's answer to GET {answer.path} (HTTP {answer.status}):")
    try:
        users = orjson.loads(answer.body)
        typer.echo(orjson.dumps(users, option=orjson.OPT_INDENT_2).decode())
    except orjson.JSONDecodeError:
        users = None
        typer.echo(answer.body.decode("utf-8", "replace"))
    if answer.status != 200:
        return ExitCode.CHECKS_FAILED
    if users == [] and samples.confirmed:
        typer.echo("No user came back, though the site has them: check the mapping's name field.")
        return ExitCode.CHECKS_FAILED
    if users == []:
        typer.echo("No user came back: pass ids the site has with --sample-ids to see some.")
    return ExitCode.OK


def _next_steps(output: Path) -> None:
    """The commands that take the written files to a running adapter, ready to paste."""
    from adapter.init.environment import ENV_FILE
    from adapter.init.render import CONFIG_FILE

    where = output.absolute()
    env_file, config = shlex.quote(str(where / ".env")), shlex.quote(str(where / CONFIG_FILE))
    typer.echo(
        f"\nNext: fill in {where / ENV_FILE} (each variable says where to find its value) and "
        "run:\n"
        f"  cp {shlex.quote(str(where / ENV_FILE))} {env_file}  # then edit {env_file}\n"
        f"  set -a; . {env_file}; set +a\n"
        f"  imbachat-adapter check-config --config {config}\n"
        f"  imbachat-adapter serve --config {config}"
    )


def init_command(
    upstream: Annotated[
        str, typer.Option("--upstream", "-u", help="The site's GraphQL endpoint URL.")
    ],
    header: Annotated[
        list[str] | None,
        typer.Option(
            "--header",
            "-H",
            help="A header for the site, 'Name: value' (repeatable). Values are not written "
            "to config.yaml: it names an environment variable instead.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write config.yaml and resolvers/.")
    ] = Path("."),
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Take every guess without asking (for scripts).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Overwrite files that exist.")] = False,
    sample_ids: Annotated[
        str | None,
        typer.Option(
            help="Ids of users the site has (e.g. 1,2,3), to sample and to show at the end.",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for each answer from the site.", min=0.1)
    ] = 10.0,
    schema_file: Annotated[
        Path | None,
        typer.Option(
            "--schema",
            help="Read the site's schema from this file (SDL or introspection JSON) instead "
            "of introspecting it: for sites with introspection off.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write a working configuration for a site's GraphQL API, guessed from its schema.

    Introspects the schema, finds the user type and the fields that fetch, search and identify
    users, guesses the mapping from field names, types and a few sampled users, and writes
    config.yaml and resolvers/*.graphql (commented with every guess and its reason). With
    --schema, the schema comes from a file (SDL or introspection JSON) instead, for sites whose
    introspection is off; the site is still asked for a few sample users. On a
    terminal each guess is confirmed or changed; --yes takes them all. Then it runs the same
    checks as check-config and fetches three users through the whole pipeline.

    Exit codes: 0 written and working; 1 nothing written (the site could not be read or has no
    usable user type); 2 nothing written (a bad option, or files exist without --force);
    3 written, but the checks failed or no user came back.
    """
    # Imported here: the other commands should not pay for GraphQL, the app and the checks.
    from adapter.checks.schema import sees_less_hint
    from adapter.errors import InitError
    from adapter.init.discover import discover
    from adapter.init.environment import ENV_FILE, header_variable, variables
    from adapter.init.feeds import find_feed
    from adapter.init.introspect import Endpoint, read_schema_file
    from adapter.init.plan import Plan
    from adapter.init.propose import propose
    from adapter.init.render import CONFIG_FILE, render, write_files
    from adapter.init.review import review
    from adapter.init.sample import collect_samples
    from adapter.init.sessions import viewer_session
    from adapter.init.verify import verify
    from adapter.logs import configure_logging

    configure_logging("warning", json=False)
    headers = _headers(header or [])
    given_ids = _sample_ids(sample_ids)
    interactive = not yes and terminal_attached()
    if (output / CONFIG_FILE).exists() and not force:
        typer.echo(f"error: not overwriting {output / CONFIG_FILE}: pass --force", err=True)
        raise typer.Exit(ExitCode.USAGE)
    try:
        with Endpoint(upstream, headers, timeout=timeout) as endpoint:
            if schema_file is None:
                typer.echo(f"Introspecting {endpoint.where} …")
                schema = endpoint.schema()
            else:
                typer.echo(f"Reading the schema of {endpoint.where} from {schema_file} …")
                schema = read_schema_file(schema_file)
            discovery = discover(schema)
            _explain_discovery(discovery)
            hint = sees_less_hint(schema, headers)
            if hint is not None:
                typer.echo(f"Note: {hint}.")
            samples = collect_samples(endpoint, discovery, given=given_ids)
    except InitError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(ExitCode.NOTHING_WRITTEN) from None
    proposal = propose(discovery, samples.users, site=upstream, encoded_by=samples.encoded_by)
    _explain_proposal(proposal, samples)
    plan = Plan(
        url=upstream,
        header_names=tuple(headers),
        discovery=discovery,
        fetcher=discovery.fetcher,
        search=discovery.searches[0] if discovery.searches else None,
        viewer=discovery.viewers[0] if discovery.viewers else None,
        proposal=proposal,
        feed=find_feed(schema, discovery.user_type),
    )
    if plan.feed is not None:
        typer.echo(f"Change feed ({plan.feed.kind}): {plan.feed.reason}.")
    if interactive:
        typer.echo("\nConfirm each guess with Enter, or type another answer.")
        plan = review(plan, samples.users)
    elif not yes:
        typer.echo("\nNo terminal attached: taking every guess, as with --yes.")
    plan = _integer_viewer(plan)
    if plan.viewer is not None:
        # After the review: the session is that of the viewer field chosen.
        plan = replace(plan, session=viewer_session(schema, plan.viewer))
    files = render(plan)
    if interactive and not typer.confirm(f"\nWrite {', '.join(files)} in {output}?", default=True):
        typer.echo("Nothing written.")
        raise typer.Exit(ExitCode.NOTHING_WRITTEN)
    try:
        written = write_files(output, files, force=force)
    except InitError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    typer.echo("\nWrote " + ", ".join(str(path) for path in written))
    if may_carry_credentials(upstream):
        typer.echo(
            "Note: upstream.url is written as given, with its user info or query string; if that "
            "holds a credential, move it to a header or write it as ${VARIABLE}."
        )
    if plan.viewer is None:
        why = plan.viewer_refused or (
            "the site has no field for the signed-in user. Fill in the jwt section of "
            "config.yaml to switch it on"
        )
        typer.echo(f"The token API is written switched off: {why}.")
    environ = {**os.environ, **{header_variable(k): v for k, v in headers.items()}}
    needed = variables(plan.header_names, token_api=plan.viewer is not None)
    # A header's value is set from --header: it needs no stand-in (and has none).
    throwaway = {v.name: v.throwaway for v in needed if v.name not in environ and v.throwaway}
    if throwaway:
        typer.echo(
            f"\nThe checks below use throwaway values for {', '.join(throwaway)} (unset here); "
            f"{ENV_FILE} says where to find the real ones."
        )
    ids = chat_ids(plan.proposal, samples, discovery.id_field)
    given_schema = schema if schema_file is not None else None
    verification = asyncio.run(
        verify(output / CONFIG_FILE, ids, {**environ, **throwaway}, schema=given_schema)
    )
    code = _report(verification, samples)
    if code == 0:
        _next_steps(output)
    raise typer.Exit(code)
