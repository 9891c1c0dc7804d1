"""One settings section per concern; each concern owns and extends its own module here."""

from __future__ import annotations

__all__: list[str] = []
