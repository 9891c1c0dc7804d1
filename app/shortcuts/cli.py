"""``companion-stage shortcuts ...``: check a combination, list, set, clear or reset app shortcuts.

``set`` saves the new shortcut only after making sure no other application holds it
(a brief grab, where a global backend exists); a running shell follows the saved
change at once and, should it still fail there, keeps the old shortcut and writes it
back. Nothing here touches a binding the running app holds.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from app.cli import print_json
from app.context import AppContext
from app.settings.sections.shortcuts import DEFAULT_BINDINGS
from app.shortcuts.accelerator import AcceleratorError, parse_accelerator
from app.shortcuts.actions import APP_ACTIONS, saved_bindings
from app.shortcuts.select import open_service
from app.shortcuts.types import Binding, Result, TriggerEvent

__all__ = ["register"]

CHECK_ID = "shortcuts-check"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("shortcuts", help="global shortcuts")
    commands = parser.add_subparsers(dest="shortcuts_command", metavar="ACTION", required=True)
    check = commands.add_parser(
        "check", help="parse an accelerator, try to bind it system-wide for a moment, report")
    check.add_argument("accelerator", metavar="ACCEL", help="e.g. CmdOrCtrl+Shift+K")
    check.add_argument("--seconds", type=float, default=1.0, help="how long to hold it (default 1)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(run=_check)
    listing = commands.add_parser("list", help="the app actions and their saved shortcuts")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_list)
    action_ids = [a.id for a in APP_ACTIONS]
    setter = commands.add_parser("set", help="give an app action a new shortcut")
    setter.add_argument("action", choices=action_ids, metavar="ACTION",
                        help=f"one of: {', '.join(action_ids)}")
    setter.add_argument("accelerator", metavar="ACCEL", help="e.g. CmdOrCtrl+Alt+S")
    setter.add_argument("--json", action="store_true", help="print one JSON object")
    setter.set_defaults(run=_set)
    for name, helptext, run in (("clear", "leave an app action without a shortcut", _clear),
                                ("reset", "give an app action its default shortcut", _reset)):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("action", choices=action_ids, metavar="ACTION",
                             help=f"one of: {', '.join(action_ids)}")
        command.add_argument("--json", action="store_true", help="print one JSON object")
        command.set_defaults(run=run)


def _check(context: AppContext) -> int:
    args = context.args
    report: dict[str, Any]
    try:
        canonical = str(parse_accelerator(args.accelerator))
    except AcceleratorError as exc:
        report = {"ok": False, "id": CHECK_ID, "accelerator": None, "reason": "invalid",
                  "message": exc.message, "error": {"kind": exc.kind, "position": exc.position},
                  "backend": None}
        return _print(report, args.json)
    preference = context.settings.load().settings.shortcuts.backend
    service = open_service(preference, allow_in_app=False)  # a CLI has no window to focus
    presses: list[TriggerEvent] = []
    lock = threading.Lock()

    def seen(event: TriggerEvent) -> None:
        with lock:
            presses.append(event)

    service.subscribe(seen)
    try:
        result = service.register(Binding(CHECK_ID, canonical, "companion-stage shortcuts check",
                                          receive_key_ups=True))
        if result.ok:
            time.sleep(max(args.seconds, 0.0))
    finally:
        service.close()
    report = {**result.to_json(), "backend": service.info.to_json(),
              "heldSeconds": args.seconds if result.ok else 0.0,
              "triggered": [{"phase": e.phase} for e in presses]}
    return _print(report, args.json)


def _print(report: dict[str, Any], as_json: bool) -> int:
    if as_json:
        print_json(report)
    elif report["ok"]:
        backend = report["backend"]
        print(f"OK: {report['message']} Backend {backend['name']}: {backend['why']}")
    else:
        print(f"FAILED [{report['reason']}]: {report['message']}")
    return 0 if report["ok"] else 1


def _list(context: AppContext) -> int:
    saved = saved_bindings(context.settings)
    rows = [{"id": a.id, "description": a.description, "accelerator": saved[a.id]}
            for a in APP_ACTIONS]
    if context.args.json:
        print_json(rows)
    else:
        for row in rows:
            print(f"{row['id']:<16} {row['accelerator'] or '(unbound)':<28} {row['description']}")
    return 0


def _set(context: AppContext) -> int:
    return _save(context, context.args.action, context.args.accelerator)


def _reset(context: AppContext) -> int:
    return _save(context, context.args.action, DEFAULT_BINDINGS[context.args.action])


def _clear(context: AppContext) -> int:
    action_id = context.args.action
    context.settings.update(lambda s: s.shortcuts.bindings.__setitem__(action_id, ""))
    report = {"ok": True, "id": action_id, "accelerator": None, "reason": None,
              "message": f"{action_id} has no shortcut now.", "backend": None}
    return _print_saved(report, context.args.json)


def _save(context: AppContext, action_id: str, accelerator: str) -> int:
    """Validate, refuse what another action or application holds, then save."""
    args = context.args

    def fail(reason: str, message: str, canonical: str | None = None) -> int:
        report = {"ok": False, "id": action_id, "accelerator": canonical, "reason": reason,
                  "message": message, "backend": None}
        return _print_saved(report, args.json)

    try:
        canonical = str(parse_accelerator(accelerator))
    except AcceleratorError as exc:
        return fail("invalid", exc.message)
    saved = saved_bindings(context.settings)
    if _same(saved[action_id], canonical):
        report = {"ok": True, "id": action_id, "accelerator": canonical, "reason": None,
                  "message": f"{action_id} already uses {canonical}.", "backend": None}
        return _print_saved(report, args.json)
    for other, held in saved.items():
        if other != action_id and _same(held, canonical):
            return fail("conflict", f"{canonical} is already the shortcut for {other}; "
                                    f"change or clear that one first.", canonical)
    note = _probe(context, action_id, canonical)
    if isinstance(note, Result):
        return fail(note.reason or "conflict", note.message, canonical)
    context.settings.update(lambda s: s.shortcuts.bindings.__setitem__(action_id, canonical))
    report = {"ok": True, "id": action_id, "accelerator": canonical, "reason": None,
              "message": f"{action_id} is now {canonical}. {note}".strip(), "backend": None}
    return _print_saved(report, args.json)


def _probe(context: AppContext, action_id: str, canonical: str) -> Result | str:
    """Grab the combination for a moment: a conflict is a Result; anything else a note."""
    preference = context.settings.load().settings.shortcuts.backend
    service = open_service(preference, allow_in_app=False)
    try:
        result = service.register(Binding(f"{action_id}-probe", canonical, "probe"))
    finally:
        service.close()
    if result.ok:
        return "Checked: no other application holds it."
    if result.reason == "conflict":
        return result
    return f"Not checked here ({result.reason}: {result.message})."


def _same(a: str, b: str) -> bool:
    try:
        return bool(a) and str(parse_accelerator(a)) == b
    except AcceleratorError:
        return False


def _print_saved(report: dict[str, Any], as_json: bool) -> int:
    if as_json:
        print_json(report)
    elif report["ok"]:
        print(f"OK: {report['message']}")
    else:
        print(f"FAILED [{report['reason']}]: {report['message']}")
    return 0 if report["ok"] else 1
