"""What a page fetched in the browser tests, and screenshots of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@dataclass
class Traffic:
    """Every request a page made, and those that failed or answered 4xx/5xx."""

    origin: str
    urls: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("requestfailed", lambda request: self.failures.append(request.url))
        page.on(
            "response",
            lambda r: self.failures.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def off_origin(self) -> list[str]:
        """Requests that left the adapter's origin (data: URLs stay in the page)."""
        return [u for u in self.urls if not u.startswith((self.origin + "/", "data:"))]


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot of the page as tests/browser/artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    print(f"screenshot: {path}")
    return path
