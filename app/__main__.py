"""Lets `python -m app` behave exactly like the `companion-stage` command."""

from __future__ import annotations

import sys

from app.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
