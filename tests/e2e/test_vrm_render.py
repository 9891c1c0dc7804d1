"""Rendered for real (Godot + Mesa under a private Xvfb): every real VRM fixture and both
built-in avatars are visible, centred, framed whole and upright (head above the middle)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.avatar import DEFAULT_AVATAR_VERSIONS, default_avatar_path
from app.stage.vrm_render import render_vrms
from tests.conftest import real_vrm_files

pytestmark = [pytest.mark.godot, pytest.mark.xvfb, pytest.mark.e2e]


def test_every_avatar_renders_visible_centred_and_upright(tmp_path: Path) -> None:
    files = [*real_vrm_files(), *(default_avatar_path(v) for v in DEFAULT_AVATAR_VERSIONS)]
    sheet = tmp_path / "sheet.png"
    report = render_vrms(files, tmp_path / "renders", sheet=sheet, size=(240, 360))
    assert [row["file"] for row in report["files"]] == [f.name for f in files]
    for row in report["files"]:
        assert row["ok"], row
        width, height = row["size"]
        x, y, w, h = row["used"]
        name = row["file"]
        assert w * h > 0.05 * width * height, f"{name}: hardly any avatar pixels {row['used']}"
        assert abs((x + w / 2) - width / 2) < 0.1 * width, f"{name}: not centred {row['used']}"
        assert y > 0 and y + h < height, f"{name}: cut off at the top or bottom {row['used']}"
        assert h > 0.5 * height, f"{name}: not framed to the window {row['used']}"
        head_y = row["head"][1]
        assert head_y < y + h / 2, f"{name}: head {row['head']} below the middle {row['used']}"
        assert Path(row["png"]).stat().st_size > 1000
    assert sheet.stat().st_size > 10_000
