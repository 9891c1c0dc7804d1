#!/usr/bin/env python3
"""Screenshots of the two shortcut pages for the docs, taken under a real X server.

Starts its own Xvfb, builds the real shell (real X11 key grabs), rebinds one app
action, registers a demo binding on the developer page, presses it with xdotool so
the trigger log has rows, and saves docs/images/settings-shortcuts.png and
docs/images/shortcuts-devtools.png. Re-run it whenever either page's look changes.

Usage: scripts/screenshot_shortcuts.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

__all__ = ["main", "take"]

SCREEN = "1280x900x24"


def take(out_dir: Path, press: object) -> None:
    from PySide6.QtGui import QCursor
    from PySide6.QtWidgets import QApplication

    from app.cli import build_parser
    from app.context import AppContext
    from app.ui.app import Shell

    qt_app = QApplication([sys.argv[0], "-platform", "xcb"])

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            qt_app.processEvents()
            time.sleep(0.001)  # the trigger log shows delivery latency: stay responsive

    with tempfile.TemporaryDirectory(prefix="cs-screenshot-") as tmp:
        context = AppContext.from_args(build_parser().parse_args(["--data-dir", tmp]))
        shell = Shell(context, context.settings.load())
        window = shell.window
        window.notices.clear()  # Xvfb has no tray: that banner is not what these show
        window.resize(1000, 880)
        window.show()
        QCursor.setPos(0, 0)

        page = shell.app_shortcuts_page
        page.rebind("toggle-stage", "CmdOrCtrl+Alt+S")
        settle(1.0)
        window.show_page("Shortcuts")
        settle()
        _save(window.grab(), out_dir / "settings-shortcuts.png")

        dev = shell.shortcuts_page
        dev.id_edit.setText("wave")
        dev.accelerator_edit.setText("CmdOrCtrl+Shift+W")
        dev.description_edit.setText("Make the avatar wave")
        dev.key_ups_check.setChecked(True)
        dev.register_from_form()
        settle(1.0)
        for _ in range(3):
            press("ctrl+shift+w")  # type: ignore[operator]
            settle(0.2)
        window.show_page("Developer › Shortcuts")
        settle()
        _save(window.grab(), out_dir / "shortcuts-devtools.png")
        shell.shutdown()
        window.hide()


def _save(pixmap: object, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(out), "PNG"):  # type: ignore[attr-defined]
        raise SystemExit(f"Could not write {out}")
    print(f"Wrote {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=REPO_ROOT / "docs" / "images")
    args = parser.parse_args()
    from tests.xvfb import XvfbError, running_xvfb

    try:
        with running_xvfb(SCREEN) as server:
            os.environ["DISPLAY"] = server.display
            os.environ["QT_QPA_PLATFORM"] = "xcb"
            os.environ.pop("WAYLAND_DISPLAY", None)
            os.environ.pop("COMPANION_STAGE_SHORTCUTS_BACKEND", None)
            take(args.out_dir.resolve(), lambda keys: server.xdotool("key", keys))
    except XvfbError as exc:
        raise SystemExit(str(exc)) from exc
    return 0


if __name__ == "__main__":
    sys.exit(main())
