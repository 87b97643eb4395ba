"""What every command receives from the entry point: the settings, read once."""

from __future__ import annotations

import typer

from lakehouse.settings import Settings


def settings_of(context: typer.Context) -> Settings:
    """The settings the ``lakehouse`` callback read for this invocation."""
    settings = context.find_root().obj
    assert isinstance(settings, Settings), "the lakehouse callback sets the settings before any command runs"
    return settings
