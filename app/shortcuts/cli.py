"""``companion-stage shortcuts ...``: check whether a combination can be bound, list bindings."""

from __future__ import annotations

import threading
import time
from typing import Any

from app.cli import print_json
from app.context import AppContext
from app.shortcuts.accelerator import AcceleratorError, parse_accelerator
from app.shortcuts.actions import APP_ACTIONS, saved_bindings
from app.shortcuts.select import open_service
from app.shortcuts.types import Binding, TriggerEvent

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
