"""The client's TypeScript declarations compile under `tsc --strict`, and catch misuse.

TypeScript comes from npm (scripts/ensure-npm typescript, pinned by its package-lock.json).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from adapter.web.graphql.ide import CLIENT
from tests.npm import npm_tool

pytestmark = pytest.mark.slow

USAGE = """
import {
  ChatApiError, CHAT_WIDGET, ImbaChatClient, type ChatState, type ChatUser,
} from "./client/imbachat.js";

const chat = new ImbaChatClient({
  graphqlUrl: "https://chat.example.com/graphql",
  headers: async () => ({ Authorization: "Bearer t" }),
  onChange: (state: ChatState) => console.log(state.userId, state.expiresAt),
  onError: (error: ChatApiError) => console.log(error.code, error.extensions),
});
async function main(): Promise<void> {
  const state: ChatState = await chat.start();
  const id: string | null = state.userId;
  await chat.refresh();
  await chat.openDialog(2);
  await chat.openDialog("7");
  const users: ChatUser[] = await chat.chatUsers([6, "7"]);
  const name: string = users[0].name;
  const stop: () => void = chat.onChange(() => undefined);
  const data = await chat.request<{ chatWidget: { userId: string | null } }>(CHAT_WIDGET);
  console.log(id, name, stop, data.chatWidget.userId, chat.signedIn);
  chat.stop();
}
void main();
"""
MISUSE = {
    "a dialog with an object": "chat.openDialog({ id: 2 });",
    "an unknown option": 'new ImbaChatClient({ graphqlURL: "/graphql" });',
    "a state that is written": 'chat.state.userId = "6";',
    "ids that are not ids": "chat.chatUsers([{}]);",
}


def compile_ts(
    tsc: Path, folder: Path, sources: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`tsc --noEmit --strict` over files (name: source) that import the client from ./client/.

    Each file is a module of its own, so an error is reported against the file that has it; one
    compiler run checks them all (node and the compiler start once).
    """
    shutil.copytree(CLIENT, folder / "client", dirs_exist_ok=True)
    for name, source in sources.items():
        (folder / name).write_text(source)
    return subprocess.run(
        [
            "node",
            str(tsc),
            "--noEmit",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
            "--lib",
            "es2022,dom",
            *(str(folder / name) for name in sources),
        ],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def tsc() -> Path:
    """The TypeScript compiler, or a skip naming why it cannot be installed."""
    return npm_tool("typescript") / "node_modules" / "typescript" / "bin" / "tsc"


def _misuse_file(case: str) -> str:
    return f"misuse-{list(MISUSE).index(case)}.ts"


@pytest.fixture(scope="module")
def compiled(tsc: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The compiler's report over the documented use and one file per misuse (each a module
    importing the client), in one compiler run."""
    sources = {
        "usage.ts": USAGE,
        **{
            _misuse_file(case): (
                'import { ImbaChatClient } from "./client/imbachat.js";\n'
                f"const chat = new ImbaChatClient();\n{line}\nvoid chat;\n"
            )
            for case, line in MISUSE.items()
        },
    }
    result = compile_ts(tsc, tmp_path_factory.mktemp("client-types"), sources)
    assert result.returncode != 0
    return result.stdout + result.stderr


def test_the_documented_use_compiles(compiled: str) -> None:
    """Every method and option the README shows type-checks under --strict: the compiler's only
    complaints are about the misuse files (none about usage.ts or the declarations)."""
    misuse = tuple(_misuse_file(case) for case in MISUSE)
    # Lines indented under an error continue it; every error line names its file first.
    errors = [line for line in compiled.splitlines() if line and not line[0].isspace()]
    others = [line for line in errors if not line.startswith(misuse)]
    assert others == [], compiled


@pytest.mark.parametrize("case", MISUSE.keys())
def test_misuse_is_a_type_error(compiled: str, case: str) -> None:
    """A wrong call is refused by the declarations, so they are not `any` in disguise."""
    # tsc reports `file(line,col): error TSnnnn: ...`; the misuse is on line 3 of its file.
    errors = [
        line
        for line in compiled.splitlines()
        if line.startswith(f"{_misuse_file(case)}(3,") and "error TS" in line
    ]
    assert errors, compiled
