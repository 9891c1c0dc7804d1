"""`companion-stage install-desktop-entry`, run as a real command on a temporary XDG_DATA_HOME."""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtSvg import QSvgRenderer

from app.ui.desktop_entry import DesktopEntryPaths, desktop_entry_text, quote_exec_argument
from tests.conftest import REPO_ROOT


def run_cli(data_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_DATA_HOME=str(data_home))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def parse_exec(value: str) -> list[str]:
    """Read an Exec value as a launcher does: undo the file's string escapes, then the quoting."""
    unescaped = re.sub(
        r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m[1], m[1]), value
    )
    arguments: list[str] = []
    current: list[str] | None = None
    chars = iter(unescaped)
    for char in chars:
        if char == '"':
            current = current if current is not None else []
            for quoted in chars:
                if quoted == '"':
                    break
                current.append(next(chars) if quoted == "\\" else quoted)
        elif char == " ":
            if current is not None:
                arguments.append("".join(current))
            current = None
        else:
            current = (current or []) + [char]
    if current is not None:
        arguments.append("".join(current))
    return [argument.replace("%%", "%") for argument in arguments]


def read_entry(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def test_install_writes_a_launchable_entry_and_icon_and_uninstall_removes_them(
    tmp_path: Path,
) -> None:
    data_home = tmp_path / "xdg-data"
    installed = run_cli(data_home, "install-desktop-entry", "--json")
    assert installed.returncode == 0, installed.stderr
    report = json.loads(installed.stdout)
    paths = DesktopEntryPaths.under(data_home)
    assert report["desktopFile"] == str(paths.desktop_file)
    assert paths.desktop_file == data_home / "applications" / "companion-stage.desktop"
    assert paths.icon_file == data_home / "icons/hicolor/scalable/apps/companion-stage.svg"

    entry = read_entry(paths.desktop_file)["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Companion Stage"
    assert entry["Icon"] == "companion-stage"
    assert entry["Terminal"] == "false"
    launcher = parse_exec(entry["Exec"])
    assert Path(launcher[0]).is_absolute()
    assert launcher == report["exec"]
    # The command the desktop would run really starts this installation.
    version = subprocess.run(
        [*launcher, "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
    )
    assert version.returncode == 0 and version.stdout.startswith("companion-stage "), version

    assert QSvgRenderer(str(paths.icon_file)).isValid()

    again = run_cli(data_home, "install-desktop-entry")  # re-installing overwrites, no error
    assert again.returncode == 0, again.stderr

    removed = run_cli(data_home, "install-desktop-entry", "--uninstall", "--json")
    assert removed.returncode == 0, removed.stderr
    assert sorted(json.loads(removed.stdout)["removed"]) == sorted(
        [str(paths.desktop_file), str(paths.icon_file)]
    )
    assert not paths.desktop_file.exists() and not paths.icon_file.exists()
    twice = run_cli(data_home, "install-desktop-entry", "--uninstall")
    assert twice.returncode == 0 and "Nothing to remove" in twice.stdout


def test_an_explicit_data_dir_is_kept_in_the_launcher(tmp_path: Path) -> None:
    data_home = tmp_path / "xdg data"
    portable = tmp_path / "my data $HOME"
    result = run_cli(data_home, "--data-dir", str(portable), "install-desktop-entry")
    assert result.returncode == 0, result.stderr
    entry = read_entry(DesktopEntryPaths.under(data_home).desktop_file)
    launcher = parse_exec(entry["Desktop Entry"]["Exec"])
    assert launcher[-2:] == ["--data-dir", str(portable.resolve())]
    assert parse_exec(entry["Desktop Action settings"]["Exec"]) == [*launcher, "--settings"]


def test_an_unwritable_target_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    result = run_cli(blocker, "install-desktop-entry")
    assert result.returncode == 1
    assert "[desktop-entry-unwritable]" in result.stderr


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("/usr/bin/companion-stage", "/usr/bin/companion-stage"),
        ("/home/a b/.venv/bin/python", '"/home/a b/.venv/bin/python"'),
        ('we"ird$`\\', '"we\\"ird\\$\\`\\\\"'),
        ("100%", '"100%%"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_says(
    argument: str, quoted: str
) -> None:
    assert quote_exec_argument(argument) == quoted


def test_the_entry_offers_a_settings_action() -> None:
    text = desktop_entry_text(["/opt/cs/companion-stage"])
    assert "Actions=settings;" in text
    assert "Exec=/opt/cs/companion-stage --settings" in text
