"""`companion-stage godot …`: fetch the pinned Godot runtime and show which Godot is used."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli import print_json
from app.context import AppContext
from app.godot.fetch import fetch_runtime
from app.godot.locator import locate_godot, save_godot_choice
from app.godot.places import default_apt_dir, default_runtime_dir, lock_path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    godot = subparsers.add_parser("godot", help="the Godot 4 runtime the stage runs on")
    commands = godot.add_subparsers(dest="godot_command", metavar="ACTION", required=True)

    fetch = commands.add_parser(
        "fetch", help="download, verify and unpack the pinned Godot runtime (quick when present)")
    fetch.add_argument("--render", action="store_true",
                       help="add the Mesa packages needed to draw (under X or Xvfb)")
    fetch.add_argument("--update-lock", action="store_true",
                       help="resolve the suite's current packages and rewrite the lock first")
    fetch.add_argument("--dest", metavar="DIR", type=Path, default=None,
                       help=f"runtime folder (default {default_runtime_dir()})")
    fetch.add_argument("--lock", metavar="FILE", type=Path, default=None,
                       help=f"lock file (default {lock_path()})")
    fetch.add_argument("--json", action="store_true", help="print the outcome as JSON")
    fetch.set_defaults(run=_run_fetch)

    locate = commands.add_parser("locate", help="show which Godot the stage would run, and why")
    locate.add_argument("--json", action="store_true", help="print the outcome as JSON")
    locate.set_defaults(run=_run_locate)

    use = commands.add_parser(
        "use", help="save the Godot to run (checked first); --clear finds one automatically")
    which = use.add_mutually_exclusive_group(required=True)
    which.add_argument("godot", nargs="?", metavar="GODOT",
                       help="path of a Godot 4.3+ executable, or its name on PATH")
    which.add_argument("--clear", action="store_true",
                       help="forget the saved Godot (setting godot.path)")
    use.add_argument("--json", action="store_true", help="print the outcome as JSON")
    use.set_defaults(run=_run_use)


def _run_fetch(context: AppContext) -> int:
    args = context.args
    result = fetch_runtime(
        lock_file=args.lock or lock_path(),
        dest=args.dest or default_runtime_dir(),
        apt_dir=default_apt_dir(),
        render=args.render,
        update_lock=args.update_lock,
    )
    if args.json:
        print_json({"ok": True, **result.to_json()})
    elif result.fetched:
        print(f"{result.launcher}  (Godot {result.godot_version}, {result.packages} packages, "
              f"{result.unpacked_bytes / 1e6:.0f} MB, {result.seconds:.1f} s)")
    else:
        print(f"{result.launcher}  (up to date: Godot {result.godot_version})")
    return 0


def _run_locate(context: AppContext) -> int:
    runtime = locate_godot(context.settings.load().settings.godot)
    if context.args.json:
        print_json({"ok": True, "command": runtime.command, "version": runtime.version,
                    "source": runtime.source})
    else:
        print(f"{' '.join(runtime.command)}  (Godot {runtime.version}, from {runtime.source})")
    return 0


def _run_use(context: AppContext) -> int:
    """Check first, then save: a failed check leaves the saved setting as it was."""
    args = context.args
    saved, runtime = save_godot_choice(context.settings, "" if args.clear else args.godot)
    if runtime is None:
        if args.json:
            print_json({"ok": True, "path": ""})
        else:
            print("godot.path cleared: the stage finds Godot automatically")
        return 0
    if args.json:
        print_json({"ok": True, "path": saved, "version": runtime.version})
    else:
        print(f"godot.path = {saved}  (Godot {runtime.version})")
    return 0
