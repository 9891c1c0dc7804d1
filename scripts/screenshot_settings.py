#!/usr/bin/env python3
"""Screenshot of the settings window's Models page for the README, taken under a real X server.

Starts its own Xvfb (Xvfb picks a free display number via -displayfd), imports the
real VRM fixtures into a throw-away data folder with the real library, opens the
settings window exactly as the app builds it, and saves the grab to
docs/images/settings-models.png. Re-run it whenever the page's look changes.

Usage: scripts/screenshot_settings.py [--out PATH] [--fixtures DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.fixture_paths import real_fixtures_dir  # noqa: E402

__all__ = ["main", "take"]

DEFAULT_OUT = REPO_ROOT / "docs" / "images" / "settings-models.png"
SCREEN = "1280x900x24"
#: The model shown as "in use" in the picture.
SELECTED_STEM = "godette_vrm0"


def fixtures_dir(flag: str | None) -> Path:
    return Path(flag) if flag else real_fixtures_dir(REPO_ROOT)


def take(out: Path, fixtures: Path) -> None:
    from PySide6.QtGui import QCursor
    from PySide6.QtWidgets import QApplication

    from app.cli import build_parser
    from app.context import AppContext
    from app.models.library import ModelLibrary
    from app.paths import DataPaths
    from app.settings import SettingsStore
    from app.ui.app import Shell

    files = sorted(fixtures.glob("*.vrm"))
    if not files:
        raise SystemExit(f"No .vrm fixtures in {fixtures} (set COMPANION_STAGE_FIXTURES).")
    qt_app = QApplication([sys.argv[0], "-platform", "xcb"])
    with tempfile.TemporaryDirectory(prefix="cs-screenshot-") as tmp:
        paths = DataPaths(Path(tmp) / "data").ensure()
        library = ModelLibrary(paths.models_dir)
        selected = ""
        for path in files:
            entry = library.import_file(path).entry
            if path.stem == SELECTED_STEM:
                selected = entry.id
        store = SettingsStore(paths.settings_file)
        store.update(lambda settings: setattr(settings.models, "selected", selected))

        # The real shell's window, every page included (the stage is not started).
        context = AppContext.from_args(build_parser().parse_args(["--data-dir", str(paths.root)]))
        shell = Shell(context, context.settings.load())
        window, page = shell.window, shell.models_page
        window.notices.clear()  # Xvfb has no tray: that banner is not what this picture shows
        window.resize(1000, 880)
        window.show()
        # A real failed import, to show how errors appear inline.
        broken = Path(tmp) / "vacation-photos.vrm"
        broken.write_bytes(b"PK\x03\x04" + bytes(64))
        page.import_files([broken])
        while page.is_importing():
            qt_app.processEvents()
        page.wait_for_thumbnails()
        for _ in range(20):
            qt_app.processEvents()
        page.highlight(selected)
        page.list.scrollToTop()
        QCursor.setPos(0, 0)  # no hover highlight in the picture
        for _ in range(5):
            qt_app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out), "PNG"):
            raise SystemExit(f"Could not write {out}")
        shell.shutdown()
        window.hide()
    print(f"Wrote {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--fixtures", help="folder with .vrm files to import (default: the shared real fixtures)"
    )
    args = parser.parse_args()
    from tests.xvfb import XvfbError, running_xvfb

    try:
        with running_xvfb(SCREEN) as server:
            os.environ["DISPLAY"] = server.display
            os.environ["QT_QPA_PLATFORM"] = "xcb"
            take(args.out.resolve(), fixtures_dir(args.fixtures))
    except XvfbError as exc:
        raise SystemExit(str(exc)) from exc
    return 0


if __name__ == "__main__":
    sys.exit(main())
