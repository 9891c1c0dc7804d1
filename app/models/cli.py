"""``companion-stage models …``: inspect, import, list, remove and select VRM models.

Every sub-command takes ``--json`` and then prints one JSON object a line, so
scripts and tests read the same facts a person reads. Model ids may be given as
any unique prefix, as with git.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from app.cli import print_json
from app.context import AppContext
from app.errors import CompanionError
from app.models.library import ModelLibrary
from app.models.validate import human_size, inspect_file

__all__ = ["register"]

#: Words ``models select`` accepts for the built-in default avatar.
DEFAULT_WORDS = ("default", "builtin", "built-in")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = subparsers.add_parser("models", help="the VRM model library")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    inspect = actions.add_parser("inspect", help="validate .vrm files and show their metadata")
    inspect.add_argument("files", nargs="+", type=Path, metavar="FILE")
    inspect.set_defaults(run=run_inspect)

    import_ = actions.add_parser("import", help="add .vrm files to the library")
    import_.add_argument("files", nargs="+", type=Path, metavar="FILE")
    import_.add_argument("--quiet", action="store_true", help="no progress on stderr")
    import_.set_defaults(run=run_import)

    list_ = actions.add_parser("list", help="list the library (built-in default first)")
    list_.set_defaults(run=run_list)

    remove = actions.add_parser("remove", help="delete an imported model")
    remove.add_argument("model_id", metavar="ID", help="model id or a unique prefix")
    remove.set_defaults(run=run_remove)

    select = actions.add_parser("select", help="choose the avatar the stage shows")
    select.add_argument("model_id", metavar="ID", help="model id, a unique prefix, or 'default'")
    select.set_defaults(run=run_select)

    for parser in (inspect, import_, list_, remove, select):
        parser.add_argument("--json", action="store_true", help="one JSON object a line")


def open_library(ctx: AppContext) -> ModelLibrary:
    settings = ctx.settings.load().settings
    return ModelLibrary(ctx.paths.models_dir, max_bytes=settings.models.max_import_bytes)


def run_inspect(ctx: AppContext) -> int:
    max_bytes = ctx.settings.load().settings.models.max_import_bytes
    failed = 0
    for path in ctx.args.files:
        result = inspect_file(path, max_bytes=max_bytes)
        failed += not result.ok
        if ctx.args.json:
            print_json({"file": str(path), **result.to_json()})
        elif result.meta is None:
            print(f"FAIL {path}: {result.message} [{result.reason}]")
        else:
            meta = result.meta
            by = f" by {', '.join(meta.authors)}" if meta.authors else ""
            thumb = f", thumbnail {human_size(len(meta.thumbnail))}" if meta.thumbnail else ""
            print(
                f"OK   {path}: {meta.title or '(untitled)'}{by} — VRM {meta.vrm_version}, "
                f"{meta.mesh_count} mesh(es), {meta.humanoid_bone_count} humanoid bones{thumb}"
            )
            print(f"     licence: {meta.licence_summary}")
    return 1 if failed else 0


def run_import(ctx: AppContext) -> int:
    library = open_library(ctx)
    failed = 0
    for path in ctx.args.files:
        reporter = None if ctx.args.quiet else _ProgressReporter(path.name, sys.stderr)
        try:
            outcome = library.import_file(path, progress=reporter)
        except CompanionError as exc:
            failed += 1
            if reporter is not None:
                reporter.abandon()
            if ctx.args.json:
                print_json(
                    {"ok": False, "file": str(path), "reason": exc.reason, "message": exc.message}
                )
            else:
                print(f"FAIL {path}: {exc.message} [{exc.reason}]", file=sys.stderr)
            continue
        entry = outcome.entry
        if ctx.args.json:
            print_json({"ok": True, "file": str(path), "added": outcome.added, **entry.to_json()})
        else:
            verb = "imported" if outcome.added else "already in the library"
            print(f"{entry.id[:12]}  {entry.title}  ({verb})")
    return 1 if failed else 0


def run_list(ctx: AppContext) -> int:
    library = open_library(ctx)
    selected = _selected_id(ctx, library)
    for entry in library.list():
        if ctx.args.json:
            print_json({**entry.to_json(), "selected": entry.id == selected})
        else:
            mark = "*" if entry.id == selected else " "
            kind = "built-in" if entry.builtin else human_size(entry.size)
            authors = ", ".join(entry.authors) or "unknown author"
            print(
                f"{mark} {entry.id[:12]}  VRM {entry.vrm_version:<3}  {entry.title} — {authors} "
                f"[{kind}] {entry.licence_summary}"
            )
    return 0


def run_remove(ctx: AppContext) -> int:
    library = open_library(ctx)
    entry = library.find(ctx.args.model_id)
    library.remove(entry.id)
    reset = False
    if ctx.settings.load().settings.models.selected == entry.id:
        ctx.settings.update(lambda s: setattr(s.models, "selected", ""))
        reset = True
    if ctx.args.json:
        print_json({"ok": True, "removed": entry.id, "title": entry.title, "selectionReset": reset})
    else:
        print(f"Removed {entry.title} ({entry.id[:12]}).")
        if reset:
            print("It was the selected avatar; the built-in default is selected now.")
    return 0


def run_select(ctx: AppContext) -> int:
    library = open_library(ctx)
    wanted: str = ctx.args.model_id
    entry = library.builtin_entry() if wanted.lower() in DEFAULT_WORDS else None
    if entry is None:
        entry = library.find(wanted)
    stored = "" if entry.builtin else entry.id
    ctx.settings.update(lambda s: setattr(s.models, "selected", stored))
    if ctx.args.json:
        print_json(
            {"ok": True, "selected": entry.id, "builtin": entry.builtin, "title": entry.title}
        )
    else:
        print(f"Selected {entry.title} ({entry.id[:12]}).")
    return 0


def _selected_id(ctx: AppContext, library: ModelLibrary) -> str:
    """The selected model's id; "" (or a model that is gone) means the built-in default."""
    chosen = ctx.settings.load().settings.models.selected
    ids = {entry.id for entry in library.list()}
    if chosen and chosen in ids:
        return chosen
    builtin = library.builtin_entry()
    return builtin.id if builtin else ""



class _ProgressReporter:
    """Prints import progress on stderr: a rewritten line on a terminal, every 10 % otherwise."""

    def __init__(self, name: str, stream: TextIO) -> None:
        self._name = name
        self._stream = stream
        self._tty = stream.isatty()
        self._last_step = -1
        self._last_time = 0.0

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total <= 0 else done * 100 // total
        now = time.monotonic()
        if self._tty:
            if percent < 100 and now - self._last_time < 0.1:
                return
            self._last_time = now
            end = "\n" if percent >= 100 else ""
            self._stream.write(
                f"\rimporting {self._name}: {percent:3d}% "
                f"({human_size(done)} of {human_size(total)}){end}"
            )
        else:
            step = percent // 10
            if step == self._last_step:
                return
            self._last_step = step
            self._stream.write(f"importing {self._name}: {percent}%\n")
        self._stream.flush()

    def abandon(self) -> None:
        if self._tty and self._last_time:
            self._stream.write("\n")
            self._stream.flush()
