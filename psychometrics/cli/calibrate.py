"""CLI commands of this domain (filled in by the issue that owns it)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
