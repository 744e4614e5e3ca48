"""Debian's Chromium driven by Playwright (which cannot download browsers here), or one line saying why not.

A machine without /usr/bin/chromium skips the browser tests with one visible line; CI sets
LETEXTO_TEST_REQUIRE_BROWSER=1, which turns that skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_ENV = "LETEXTO_TEST_REQUIRE_BROWSER"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def missing_browser() -> str | None:
    """What keeps the browser tests from running here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} missing"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (make install)"
    return None


def require_browser() -> None:
    """At the top of a browser test module: skip it (one line) or, when CI requires it, fail."""
    missing = missing_browser()
    if missing is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(
            f"browser tests required ({REQUIRE_ENV}=1) but {missing} — run `make browser`", pytrace=False
        )
    pytest.skip(f"browser tests skipped: {missing} — run `make browser`", allow_module_level=True)


# How long a page step may take before a test fails: a bound for a loaded 2-core machine (CI runs
# the whole suite at once), not a measure of speed.
STEP_TIMEOUT_MS = 30_000


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium for one test."""
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=STEP_TIMEOUT_MS)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
