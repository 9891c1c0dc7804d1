"""Sub-commands of the shell: installing the desktop entry (no Qt needed for that)."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import Any

from app.cli import print_json
from app.context import AppContext
from app.errors import CompanionError
from app.ui import desktop_entry

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "install-desktop-entry",
        help="add Companion Stage to the desktop's application menu (XDG .desktop file + icon)",
        description="Writes companion-stage.desktop and its icon below $XDG_DATA_HOME "
        "(default ~/.local/share) so the app starts by double-click.",
    )
    parser.add_argument("--uninstall", action="store_true", help="remove the entry and icon again")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=_run)


def _run(context: AppContext) -> int:
    args = context.args
    data_home = desktop_entry.xdg_data_home()
    if args.uninstall:
        removed = desktop_entry.uninstall(data_home)
        _refresh_menu_cache(data_home)
        if args.json:
            print_json({"ok": True, "removed": [str(path) for path in removed]})
        else:
            print("Removed " + ", ".join(map(str, removed)) if removed else "Nothing to remove.")
        return 0
    launcher = desktop_entry.launcher_command()
    if args.data_dir:
        launcher += ["--data-dir", str(context.paths.root)]
    try:
        paths = desktop_entry.install(data_home, launcher)
    except OSError as exc:
        raise CompanionError(
            f"Could not write the desktop entry below {data_home}: {exc}",
            reason="desktop-entry-unwritable",
        ) from exc
    _refresh_menu_cache(data_home)
    if args.json:
        print_json(
            {
                "ok": True,
                "desktopFile": str(paths.desktop_file),
                "iconFile": str(paths.icon_file),
                "exec": launcher,
            }
        )
    else:
        print(
            f"Installed {paths.desktop_file}\n      and {paths.icon_file}\n"
            f"Launches: {' '.join(launcher)}"
        )
    return 0


def _refresh_menu_cache(data_home: Path) -> None:
    """Best effort: desktops without the tool rescan the folder by themselves."""
    for command in (
        ["update-desktop-database", str(data_home / "applications")],
        ["gtk-update-icon-cache", "-q", "-t", str(data_home / "icons" / "hicolor")],
    ):
        try:
            subprocess.run(command, check=False, capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
