"""Debian's Chromium, headless, driven by Playwright: the browser the page tests use (never a downloaded one)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def show_metadata_plots_by_event(page: Page) -> None:
    """On a Dagster asset's overview: its numeric metadata plotted over materialisations, not per partition."""
    page.get_by_text("Plots", exact=True).first.click()
    by_event = page.get_by_text("Events", exact=True)
    if by_event.count() > 1:
        by_event.nth(1).click()
    page.locator("canvas").first.wait_for(timeout=60_000)
