"""A real PostGraphile (with the connection-filter plugin) over the machine's PostgreSQL.

`scripts/ensure-npm postgraphile` installs it from npm into a cached folder (`tests.npm`);
`start_postgraphile` creates a database of its own (dropped afterwards), fills a `members` table,
and starts PostGraphile on a port the system picks, reading the port from its first line of
output. With `subscriptions`, the table also stamps `updated_at` and tells every change to
PostGraphile's simple subscriptions (`listen(topic: "members")`) through `pg_notify`.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import stop_process

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
_START_SECONDS = 60.0

MEMBERS_SQL = """
create type member_role as enum ('owner', 'moderator', 'member', 'banned');
create table members (
  id serial primary key,
  username text not null,
  display_name text,
  avatar_url text,
  role member_role not null default 'member'
);
insert into members (id, username, display_name, avatar_url, role) values
  (5, 'ada', 'Ada Lovelace', 'https://img.example.org/ada.png', 'owner'),
  (6, 'grace', null, null, 'member'),
  (8, 'alan', 'Alan Turing', null, 'moderator'),
  (9, 'edsger', 'Edsger Dijkstra', 'https://img.example.org/edsger.png', 'member');
"""

# The change feed's recipe: a trigger that names the changed row as PostGraphile's `__node__`.
FEED_SQL = """
alter table members add column updated_at timestamptz not null default now();
create function members_changed() returns trigger language plpgsql as $$
begin
  new.updated_at := clock_timestamp();
  perform pg_notify('postgraphile:members',
    json_build_object('__node__', json_build_array('members', new.id))::text);
  return new;
end $$;
create trigger members_changed before insert or update on members
  for each row execute procedure members_changed();
"""


class Unavailable(Exception):
    """PostGraphile or PostgreSQL cannot be had here; the message says why."""


@dataclass(frozen=True)
class PostGraphile:
    url: str
    database_url: str


def psql(database_url: str, sql: str) -> None:
    """Run `sql` in the database, or raise Unavailable with PostgreSQL's message."""
    binary = shutil.which("psql")
    if binary is None:
        raise Unavailable("psql is not installed (Debian: apt-get install postgresql-client)")
    done = subprocess.run(
        [binary, database_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        raise Unavailable(f"PostgreSQL at {POSTGRES_URL} refused: {done.stderr.strip()[:200]}")


def _read_port(process: subprocess.Popen[bytes]) -> int:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], _START_SECONDS)
    line = process.stdout.readline() if ready else b""
    try:
        port = int(json.loads(line)["port"])
    except (ValueError, KeyError, TypeError):
        raise Unavailable(f"PostGraphile did not start: {line[:200]!r}") from None
    return port


@contextmanager
def start_postgraphile(folder: Path, *, subscriptions: bool = False) -> Iterator[PostGraphile]:
    """PostGraphile (installed in `folder`) over a fresh database holding `members`; both gone
    afterwards. `subscriptions`: with FEED_SQL's trigger, and serving `listen` over WebSocket."""
    node = shutil.which("node")
    if node is None:
        raise Unavailable("node is not installed")
    name = f"imbachat_test_{secrets.token_hex(4)}"
    base, _, _ = POSTGRES_URL.rpartition("/")
    database_url = f"{base}/{name}"
    psql(POSTGRES_URL, f"create database {name}")
    try:
        psql(database_url, MEMBERS_SQL + (FEED_SQL if subscriptions else ""))
        mode = ["subscriptions"] if subscriptions else []
        process = subprocess.Popen(
            [node, str(folder / "serve.js"), database_url, "public", *mode],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = _read_port(process)
            yield PostGraphile(f"http://127.0.0.1:{port}/graphql", database_url)
        finally:
            stop_process(process)
            if process.stdout is not None:
                process.stdout.close()
    finally:
        psql(POSTGRES_URL, f"drop database if exists {name} with (force)")
