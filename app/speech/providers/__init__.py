"""Voices the companion can speak with, declared as data and created through one registry."""

from __future__ import annotations

__all__: list[str] = []
