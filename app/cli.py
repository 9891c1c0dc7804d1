"""The `companion-stage` command: global options, then one sub-command per concern.

Each concern registers its own sub-commands (``app/<concern>/cli.py`` exposes
``register(subparsers)``), so this module knows their names only. With no
sub-command the tray app starts.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import Final

from app import __version__, log
from app.context import AppContext
from app.errors import CompanionError

__all__ = ["build_parser", "main", "print_json"]

Command = Callable[[AppContext], int]

#: Modules whose ``register(subparsers)`` adds sub-commands.
COMMAND_MODULES: Final = (
    "app.models.cli",
    "app.godot.cli",
    "app.stage.cli",
    "app.shortcuts.cli",
    "app.speech.cli",
    "app.server.cli",
    "app.ui.cli",
)

DEFAULT_REMOTE_DEBUG: Final = "tcp://127.0.0.1:6007"


def print_json(data: object) -> None:
    """Print one ``--json`` result line, flushed at once so a reading script sees it live."""
    print(json.dumps(data, ensure_ascii=False), flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="companion-stage",
        description="A desktop companion that shows a VRM avatar and speaks.",
    )
    parser.add_argument("--version", action="version", version=f"companion-stage {__version__}")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="user data folder (env COMPANION_STAGE_DATA_DIR)"
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument(
        "--settings", action="store_true",
        help="open the settings window (of the running instance)",
    )
    parser.add_argument(
        "--godot-remote-debug", nargs="?", const=DEFAULT_REMOTE_DEBUG, default=None, metavar="URL",
        help=f"let Godot's remote debugger connect (default {DEFAULT_REMOTE_DEBUG}; "
             "env COMPANION_STAGE_GODOT_REMOTE_DEBUG)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    where = subparsers.add_parser("where", help="print where settings, models and logs live")
    where.add_argument("--json", action="store_true", help="print JSON")
    where.set_defaults(run=_run_where)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise  # a real missing dependency, not a concern that is not built yet
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        context = AppContext.from_args(args)
        log.init(args.log_level, log_dir=context.paths.logs_dir)
        run: Command = getattr(args, "run", None) or _run_gui
        return run(context)
    except CompanionError as exc:
        if getattr(args, "json", False):
            print_json({"ok": False, "reason": exc.reason, "message": exc.message})
        else:
            print(f"companion-stage: {exc.message} [{exc.reason}]", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run_where(context: AppContext) -> int:
    paths = context.paths
    places = {"dataDir": paths.root, "settings": paths.settings_file, "models": paths.models_dir,
              "stage": paths.stage_dir, "logs": paths.logs_dir}
    if context.args.json:
        print(json.dumps({name: str(path) for name, path in places.items()}))
    else:
        for name, path in places.items():
            print(f"{name:>9}: {path}")
    return 0


def _run_gui(context: AppContext) -> int:
    from app.ui.app import run_app

    return run_app(context)
