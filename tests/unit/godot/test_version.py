"""Real Godot version strings parse, and anything older than 4.3 is refused."""

from __future__ import annotations

import pytest

from app.godot.version import MIN_GODOT_VERSION, GodotVersion, parse_godot_version


@pytest.mark.parametrize(("text", "expected"), [
    ("4.6.3.stable.debian4.6.3+ds-3\n", GodotVersion(4, 6, 3)),
    ("4.3.stable.official.77dcf97d8\n", GodotVersion(4, 3, 0)),
    ("4.2.2.stable.official.15073afe3", GodotVersion(4, 2, 2)),
    ("3.5.3.stable.official.6c814135b", GodotVersion(3, 5, 3)),
    ("WARNING: something\n4.4.1.stable.flathub\n", GodotVersion(4, 4, 1)),
    ("4.5-rc1\n", GodotVersion(4, 5, 0)),
])
def test_parses_real_version_strings(text: str, expected: GodotVersion) -> None:
    assert parse_godot_version(text) == expected


@pytest.mark.parametrize("text", ["", "Godot Engine", "v4.3", "4\n", "12345.stable"])
def test_rejects_what_is_not_a_version(text: str) -> None:
    assert parse_godot_version(text) is None


def test_minimum_is_4_3_and_ordering_is_numeric() -> None:
    assert GodotVersion(4, 3, 0) >= MIN_GODOT_VERSION
    assert GodotVersion(4, 10, 0) > GodotVersion(4, 9, 9)
    assert GodotVersion(4, 2, 9) < MIN_GODOT_VERSION
    assert GodotVersion(3, 99, 0) < MIN_GODOT_VERSION
    assert str(GodotVersion(4, 6, 3)) == "4.6.3"
