"""What `run_checks` found: one `Check` per line, rendered for people (`lines`) and programs
(`as_dict`), with the exit code the first problem decides."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from graphql import GraphQLSchema

from adapter.config import Settings
from adapter.exit_codes import ExitCode
from adapter.runtime import Loaded

__all__ = ["Check", "CheckReport", "Status"]

Status = Literal["ok", "fail", "warn", "skip"]


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    stage: str
    status: Status
    message: str
    problem: ExitCode | None = None


@dataclass
class CheckReport:
    """What `run_checks` found; `settings`, `loaded` (the files the start-up check loaded, None
    when they or the mapping failed) and `schema` are kept for callers that go on."""

    source: Path
    checks: list[Check] = field(default_factory=list)
    settings: Settings | None = None
    loaded: Loaded | None = None
    schema: GraphQLSchema | None = None

    @property
    def problems(self) -> list[Check]:
        return [check for check in self.checks if check.status == "fail"]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def warnings(self) -> list[Check]:
        return [check for check in self.checks if check.status == "warn"]

    @property
    def strict_exit_code(self) -> int:
        """`exit_code`, or STRICT when nothing failed but something warned."""
        if self.ok and self.warnings:
            return int(ExitCode.STRICT)
        return self.exit_code

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, else the class of the first problem found."""
        first = next((c.problem for c in self.problems if c.problem is not None), None)
        return int(first) if first is not None else 0

    def add(
        self, stage: str, status: Status, message: str, problem: ExitCode | None = None
    ) -> None:
        self.checks.append(Check(stage, status, message, problem))

    def fail(self, stage: str, problem: ExitCode, messages: list[str]) -> None:
        for message in messages:
            self.add(stage, "fail", message, problem)

    def lines(self) -> Iterator[str]:
        """The report as text, one check per line."""
        yield f"{self.source}:"
        width = max((len(c.stage) for c in self.checks), default=0)
        for check in self.checks:
            code = f" [{int(check.problem)}]" if check.problem is not None else ""
            yield f"  {check.status.upper():<4}{code:>4}  {check.stage:<{width}}  {check.message}"
        if self.ok and self.warnings:
            count = len(self.warnings)
            yield f"all checks passed, with {count} warning{'s' if count > 1 else ''} (WARN above)"
        elif self.ok:
            yield "all checks passed"
        else:
            count = len(self.problems)
            name = ExitCode(self.exit_code).name.lower()
            yield f"{count} problem{'s' if count > 1 else ''}; exit code {self.exit_code} ({name})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "ok": self.ok,
            "exit_code": self.exit_code,
            "strict_exit_code": self.strict_exit_code,
            "checks": [
                {**asdict(c), "problem": c.problem.name.lower() if c.problem is not None else None}
                for c in self.checks
            ],
        }
