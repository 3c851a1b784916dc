"""Helpers for the theme's browser tests: the npm tools (axe-core, vnu) and page checks."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).parent.parent
NODE_MODULES = REPO / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
WIDTHS = {"phone": 390, "desktop": 1280}


def require(tool: Path) -> Path:
    """The tool's file; in CI a missing tool fails the test, elsewhere it says how to install."""
    if tool.is_file():
        return tool
    message = f"{tool.relative_to(REPO)} is missing: run `npm ci` in the repository"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def axe_violations(page) -> list[str]:
    """Run axe-core on the loaded page; one readable line per violating element."""
    # Served as a same-origin file, so the site's Content-Security-Policy (script-src 'self')
    # stays in force while axe runs.
    axe = require(AXE)
    if not getattr(page, "_axe_routed", False):
        page.route("**/__axe-core.min.js", lambda route: route.fulfill(path=str(axe)))
        page._axe_routed = True
    page.add_script_tag(url="/__axe-core.min.js")
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations']})""",
        AXE_TAGS,
    )
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} – {node['failureSummary']}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


def watch_requests(page) -> list[str]:
    """Collect every request that leaves 127.0.0.1 and every failed response."""
    problems: list[str] = []

    def on_request(request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:", "about:")):
            return
        if host != "127.0.0.1":
            problems.append(f"third-party request {request.url}")

    page.on("request", on_request)

    def on_response(response) -> None:
        # The 404 page itself arrives with status 404; everything it loads must work.
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems
