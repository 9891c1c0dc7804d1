"""Rebuild docs/images/vrm-gallery.png: every real VRM fixture and both built-in avatars,
rendered front on by the stage's own VRM runtime in the real Godot (under a private Xvfb).

Run: python scripts/render_vrm_gallery.py  (env COMPANION_STAGE_FIXTURES names the fixtures
when they are not at ../shared/fixtures/vrm-real; COMPANION_STAGE_GODOT names a Godot).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.avatar import DEFAULT_AVATAR_VERSIONS, default_avatar_path  # noqa: E402
from app.stage.vrm_render import render_vrms  # noqa: E402
from tests.fixture_paths import real_fixtures_dir  # noqa: E402

__all__ = ["main"]


def main() -> int:
    fixtures = real_fixtures_dir(ROOT)
    files = [*sorted(fixtures.glob("*.vrm")),
            *(default_avatar_path(v) for v in DEFAULT_AVATAR_VERSIONS)]
    sheet = ROOT / "docs" / "images" / "vrm-gallery.png"
    sheet.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as out:
        report = render_vrms(files, Path(out), sheet=sheet)
    for row in report["files"]:
        print(f"{row['file']:32} {'ok' if row['ok'] else row.get('code')}")
    print(f"wrote {sheet.relative_to(ROOT)} (left to right, top to bottom: "
          f"{', '.join(row['file'] for row in report['files'])})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
