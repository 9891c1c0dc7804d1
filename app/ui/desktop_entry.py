"""Installing the XDG desktop entry and icon, so the app starts by double-click from the menu.

Pure file work without Qt: the command runs on machines without a display, and
tests point it at a temporary ``XDG_DATA_HOME``. The launcher is the absolute path
of the installed ``companion-stage`` script when there is one (a menu does not
share the shell's PATH or activated virtualenv), else this interpreter with ``-m app``.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.atomic import atomic_write_bytes, atomic_write_text
from app.ui.resources import ICON_NAME, icon_path

__all__ = [
    "DESKTOP_FILE_NAME",
    "DesktopEntryPaths",
    "desktop_entry_text",
    "install",
    "launcher_command",
    "quote_exec_argument",
    "uninstall",
    "xdg_data_home",
]

DESKTOP_FILE_NAME: Final = f"{ICON_NAME}.desktop"
SCRIPT_NAME: Final = "companion-stage"
#: Characters the Desktop Entry spec reserves in Exec (quote the argument, escape these).
_RESERVED: Final = set(" \t\n\"'\\><~|&;$*?#()`")


@dataclass(frozen=True)
class DesktopEntryPaths:
    desktop_file: Path
    icon_file: Path

    @classmethod
    def under(cls, data_home: Path) -> DesktopEntryPaths:
        return cls(
            desktop_file=data_home / "applications" / DESKTOP_FILE_NAME,
            icon_file=data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{ICON_NAME}.svg",
        )


def xdg_data_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    value = env.get("XDG_DATA_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".local" / "share"


def launcher_command() -> list[str]:
    """The argv that starts this installation of Companion Stage."""
    beside_python = Path(sys.executable).parent / SCRIPT_NAME
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return [str(beside_python.absolute())]
    on_path = shutil.which(SCRIPT_NAME)
    if on_path:
        return [str(Path(on_path).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "app"]


def quote_exec_argument(argument: str) -> str:
    """Quote one argument as the Desktop Entry spec's Exec key wants it."""
    if argument and not (_RESERVED & set(argument)) and "%" not in argument:
        return argument
    escaped = "".join("\\" + char if char in '"`$\\' else char for char in argument)
    return '"' + escaped.replace("%", "%%") + '"'


def _exec_line(argv: Sequence[str]) -> str:
    """The Exec value as written in the file.

    Two layers, as the spec says: Exec quoting per argument, then the general
    string escaping of the file format (a backslash is written as two).
    """
    return " ".join(quote_exec_argument(argument) for argument in argv).replace("\\", "\\\\")


def desktop_entry_text(launcher: Sequence[str]) -> str:
    """The .desktop file; a "Settings" action opens the running instance's settings window."""
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.5",
            "Name=Companion Stage",
            "GenericName=Desktop companion",
            "Comment=A VRM avatar companion that lives in your tray and speaks",
            f"Exec={_exec_line(launcher)}",
            f"Icon={ICON_NAME}",
            "Terminal=false",
            "Categories=Utility;",
            "Keywords=VRM;avatar;companion;vtuber;",
            "StartupNotify=false",
            f"StartupWMClass={ICON_NAME}",
            "Actions=settings;",
            "",
            "[Desktop Action settings]",
            "Name=Settings",
            f"Exec={_exec_line([*launcher, '--settings'])}",
            "",
        ]
    )


def install(data_home: Path, launcher: Sequence[str]) -> DesktopEntryPaths:
    """Write (or overwrite) the entry and the icon below ``data_home``."""
    paths = DesktopEntryPaths.under(data_home)
    paths.desktop_file.parent.mkdir(parents=True, exist_ok=True)
    paths.icon_file.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(paths.icon_file, icon_path().read_bytes())
    atomic_write_text(paths.desktop_file, desktop_entry_text(launcher))
    paths.desktop_file.chmod(0o755)  # some desktops only launch "trusted" (executable) entries
    return paths


def uninstall(data_home: Path) -> list[Path]:
    """Remove what :func:`install` wrote; returns the files that were there."""
    paths = DesktopEntryPaths.under(data_home)
    removed = []
    for path in (paths.desktop_file, paths.icon_file):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
