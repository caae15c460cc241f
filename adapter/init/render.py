"""Write the plan: `config.yaml` and `resolvers/*.graphql`, each guess commented with its reason.

The YAML is written as text, not dumped, so that the comments sit beside what they explain; every
value goes through the YAML dumper, so quoting is always right. Header values given on the command
line are never written: the file refers to environment variables instead.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from adapter.errors import InitError
from adapter.init.documents import (
    BATCH_SIZE,
    feed_document,
    search_document,
    users_document,
    viewer_document,
)
from adapter.init.environment import (
    API_LOGIN_VARIABLE,
    API_PASSWORD_VARIABLE,
    ENV_FILE,
    SECRET_KEY_VARIABLE,
    WIDGET_ID_VARIABLE,
    environment_file,
    header_variable,
    variables,
)
from adapter.init.plan import Plan
from adapter.page_sizes import page_size_text
from adapter.urls import display_url

__all__ = ["CONFIG_FILE", "render", "write_files"]

CONFIG_FILE = "config.yaml"
_WIDTH = 96


def flow(value: Any) -> str:
    """`value` as one line of YAML, quoted as the dumper quotes it."""
    text: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.removesuffix("...\n").strip()


def _comment(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(
        text, width=_WIDTH, initial_indent=f"{pad}# ", subsequent_indent=f"{pad}#   "
    )


def _header(plan: Plan) -> list[str]:
    return [
        "# imbachat-adapter configuration, written by `imbachat-adapter init` from the schema of",
        f"# {display_url(plan.url)}.",
        "#",
        "# Each guess below says what was guessed and why. The variables it names are listed,",
        f"# each with where to find its value, in {ENV_FILE}. Set them, check, then serve:",
        "#   imbachat-adapter check-config --config config.yaml",
        "#   imbachat-adapter serve --config config.yaml",
        "# Every setting not written here (timeouts, retries, cache windows, limits) keeps its",
        "# default; the project's reference config.yaml explains each of them.",
        "",
    ]


def _chat(plan: Plan) -> list[str]:
    proposal = plan.proposal
    return [
        "chat:",
        '  # Set the widget\'s "Users info URL" to https://<this adapter>/imbachat/v1/users',
        "  prefix: /imbachat/v1",
        "  # The API login and password from the widget settings on imbachat.com.",
        f"  api_login: ${{{API_LOGIN_VARIABLE}}}",
        f"  api_password: ${{{API_PASSWORD_VARIABLE}}}",
        *(
            [
                "  # The widget's id from imbachat.com: the page loads the widget script by it.",
                f"  widget_id: ${{{WIDGET_ID_VARIABLE}}}",
            ]
            if plan.viewer is not None
            else []
        ),
        "  ids:",
        *_comment(f"{proposal.id_type}: {proposal.id_reason}", 4),
        f"    type: {proposal.id_type}",
        "",
    ]


def _upstream(plan: Plan) -> list[str]:
    fetcher = plan.fetcher
    lines = ["upstream:", f"  url: {flow(plan.url)}"]
    if plan.header_names:
        names = ", ".join(header_variable(n) for n in plan.header_names)
        lines += _comment(
            "The headers given with --header. Their values are not written here: set "
            f"{names} in the adapter's environment.",
            2,
        )
        lines.append("  headers:")
        lines += [
            f"    {flow(n)}: {flow('${' + header_variable(n) + '}')}" for n in plan.header_names
        ]
    lines += ["  batch:", *_comment(f"{fetcher.strategy}: {fetcher.reason}.", 4)]
    lines += [
        f"    strategy: {fetcher.strategy}",
        "    # Ids per upstream request; a call for N uncached ids costs ceil(N / size) requests.",
        f"    size: {BATCH_SIZE}",
    ]
    if fetcher.limit_argument:
        lines += _comment(
            f"The users document asks for "
            f"{page_size_text(fetcher.limit_argument, str(BATCH_SIZE))}, so that a page of "
            "the site's answer holds a whole batch; keep the two equal (check-config checks).",
            4,
        )
    global_id = plan.proposal.global_id
    if global_id is not None:
        lines += _comment(f"{global_id.reason}.", 2)
        lines.append(f"  global_id: {flow(global_id.settings)}")
    lines += [
        "  operations:",
        "    users:",
        f"      document: {plan.users_file}",
        f"      ids_variable: {'ids' if fetcher.strategy == 'list' else 'id'}",
        f"      result_path: {flow(fetcher.result_path)}",
    ]
    if plan.search is not None:
        lines += _comment(f"The chat's user search: {plan.search.reason}.", 4)
        lines += ["    search:", "      document: resolvers/search.graphql"]
        lines += ["      query_variable: query", f"      result_path: {plan.search.result_path}"]
    else:
        lines += _comment("search: no field takes a text and returns a list of users.", 4)
    if plan.viewer is not None:
        lines += _comment(f"Who is signed in, for widget tokens: {plan.viewer.reason}.", 4)
        lines += ["    viewer:", "      document: resolvers/viewer.graphql"]
        lines += [f"      result_path: {flow(plan.viewer.name + '.' + plan.proposal.id_field)}"]
    else:
        lines += _comment("viewer: no viewer/me field returns the signed-in user.", 4)
    return [*lines, ""]


def _mapping(plan: Plan) -> list[str]:
    proposal = plan.proposal
    lines = [
        "mapping:",
        f"  # The field of {plan.discovery.user_type.name} that holds the id the chat asks for.",
        f"  id: {flow(proposal.id_field)}",
        "  fields:",
    ]
    for guess in proposal.guesses:
        if guess.spec is None:
            lines += _comment(f"{guess.field}: {guess.reason}.", 4)
        elif not guess.enabled:
            lines += _comment(f"{guess.reason}.", 4)
            lines += [f"    # {guess.field}: {flow(guess.spec)}"]
            if guess.field == "user_mail":
                lines += _comment(
                    f"(to switch it on, also select {flow(guess.spec)} in {plan.users_file})", 4
                )
        else:
            lines += _comment(f"{guess.reason}.", 4)
            lines.append(f"    {guess.field}: {flow(guess.spec)}")
    if proposal.profiles is not None:
        lines += _comment(f"{proposal.profiles_reason}.", 2)
        lines.append(f"  profiles: {flow(proposal.profiles)}")
    return [*lines, ""]


def _frontend(plan: Plan) -> list[str]:
    tokens = [
        "tokens:",
        '  # The widget\'s "Secret key" from imbachat.com (32 bytes or more). It is not written',
        f"  # here: set {SECRET_KEY_VARIABLE} in the adapter's environment.",
        f"  secret_key: ${{{SECRET_KEY_VARIABLE}}}",
        "  lifetime_seconds: 3600",
    ]
    graphql = [
        "graphql:",
        "  path: /graphql",
        "  cors:",
        "    # The origins of your single page apps, e.g. https://app.example.com",
        "    allowed_origins: []",
    ]
    head = [
        "# --- the token API: POST /graphql, mutation { issueChatToken { token userId } } ------",
        "",
    ]
    if plan.viewer is not None:
        viewer = [
            "viewer:",
            *_comment(f"upstream: {plan.viewer.reason}; {plan.session.reason}.", 2),
            "  mode: upstream",
            "  upstream:",
            f"    forward_headers: [{', '.join(plan.session.headers)}]",
            f"    forward_cookies: [{', '.join(plan.session.cookies)}]",
        ]
        return [*head, *tokens, "", *viewer, "", *graphql, ""]
    why = (
        _comment(f"The token API is off: {plan.viewer_refused}.", 0)
        if plan.viewer_refused is not None
        else [
            "# No Query field returns the signed-in user, so the token API is off until the site's",
            "# session JWT is described here (check-config warns until then): fill in the jwt",
            "# section and remove the leading '# ' from these lines.",
        ]
    )
    off = [
        *why,
        *(f"# {line}" for line in tokens),
        "# viewer:",
        "#   mode: jwt",
        "#   jwt:",
        "#     header: Authorization        # or  cookie: <the session cookie's name>",
        "#     scheme: Bearer",
        "#     algorithms: [RS256]          # HS256 with secret, or RS/ES with jwks_url",
        "#     jwks_url: https://<your site>/.well-known/jwks.json",
        "#     issuer: https://<your site>",
        "#     audience: <the audience your site puts in its tokens>",
        "#     user_id_claim: sub",
        *(f"# {line}" for line in graphql),
    ]
    return [*head, *off, ""]


def _feed(plan: Plan) -> list[str]:
    feed = plan.feed
    if feed is None:
        return [
            "# No change feed: the schema has no subscription yielding users or their ids, and no",
            "# users field with a changed-since filter. A changed profile shows once its cached",
            "# copy expires (cache.fresh_seconds) or the site calls the users-changed webhook.",
            "",
        ]
    lines = ["feed:", *_comment(f"{feed.kind}: {feed.reason}.", 2), f"  kind: {feed.kind}"]
    lines += ["  document: resolvers/feed.graphql", f"  ids: {flow(feed.result_path)}"]
    lines.append(f"  users: {flow(feed.users)}")
    if feed.kind == "subscription":
        lines += _comment(
            "It connects to upstream.url as ws:// or wss://; set url: where the site serves its "
            "subscriptions elsewhere.",
            2,
        )
    else:
        lines += ["  since_variable: since", f"  cursor: {flow(feed.cursor)}"]
        lines += ["  interval_seconds: 5"]
    return [*lines, ""]


def _cache() -> list[str]:
    return [
        "cache:",
        "  # memory: per process. redis / redis-cluster: shared by every replica.",
        "  backend: ${IMBACHAT_CACHE_BACKEND:-memory}",
        "  redis:",
        "    url: ${REDIS_URL:-redis://127.0.0.1:6379/0}",
    ]


def _document(comment: str, body: str) -> str:
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
    return "\n".join(lines) + "\n" + body


def render(plan: Plan) -> dict[str, str]:
    """The files to write, by path relative to the output directory."""
    paths = plan.selected_paths()
    config = [
        *_header(plan),
        *_chat(plan),
        *_upstream(plan),
        *_mapping(plan),
        *_frontend(plan),
        *_feed(plan),
        *_cache(),
    ]
    files = {CONFIG_FILE: "\n".join(config) + "\n"}
    needed = variables(plan.header_names, token_api=plan.viewer is not None)
    files[ENV_FILE] = environment_file(needed)
    strategy = plan.fetcher.strategy
    how = (
        "one request asks for a whole chunk of ids (the `list` strategy)."
        if strategy == "list"
        else "the adapter repeats this field once per id, aliased u0, u1, …, in one request\n"
        "(the `alias` strategy)."
    )
    files[plan.users_file] = _document(
        "Written by `imbachat-adapter init`: how the adapter asks the site for users;\n"
        f"{how}\nEvery field the mapping in config.yaml reads is selected here "
        "(start-up checks it).",
        users_document(plan.fetcher, paths),
    )
    if plan.search is not None:
        files["resolvers/search.graphql"] = _document(
            "Written by `imbachat-adapter init`: the chat's user search; the text typed in the\n"
            "chat's search box arrives as $query. Results are mapped like users.",
            search_document(plan.search, paths),
        )
    if plan.viewer is not None:
        files["resolvers/viewer.graphql"] = _document(
            "Written by `imbachat-adapter init`: who is signed in; run with the page's own\n"
            "Authorization/Cookie headers forwarded.",
            viewer_document(plan.viewer, plan.proposal.id_field),
        )
    if plan.feed is not None:
        files["resolvers/feed.graphql"] = _document(
            "Written by `imbachat-adapter init`: the site's change feed; each change it reports\n"
            "refreshes that user's cached profile on every replica.",
            feed_document(plan.feed, paths),
        )
    return files


def write_files(directory: Path, files: Mapping[str, str], *, force: bool) -> list[Path]:
    """Write every file; refuse (before writing any) to overwrite without `force`."""
    taken = [directory / name for name in files if (directory / name).exists()]
    if taken and not force:
        names = ", ".join(str(p) for p in taken)
        raise InitError(f"not overwriting {names}: pass --force to replace them")
    written = []
    for name, text in files.items():
        target = directory / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InitError(f"cannot write {target}: {exc.strerror}") from None
        written.append(target)
    return written
