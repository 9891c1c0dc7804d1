"""`companion-stage stage …`: run the stage once from the command line to apply or render a model.

`apply` and `screenshot` start a private stage (its own bridge and Godot child), do one
thing, print the outcome and stop it again, so they double as end-to-end checks of the
whole chain; `inspect` (app.stage.inspect) runs the VRM probe in the same Godot.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from app.context import AppContext
from app.errors import StageError
from app.settings.sections.stage import StageSettings
from app.stage.apply import ApplyResult
from app.stage.bridge import Message
from app.stage.inspect import register_inspect
from app.stage.service import StageService

__all__ = ["register"]

APPLY_TIMEOUT_S: Final = 120.0
_SIZE = re.compile(r"(\d{2,5})x(\d{2,5})")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stage = subparsers.add_parser("stage", help="run the Godot stage for one model")
    commands = stage.add_subparsers(dest="stage_command", metavar="ACTION", required=True)

    apply = commands.add_parser("apply", help="start the stage, apply a VRM, print the result")
    apply.add_argument("file", type=Path, metavar="FILE", help="a .vrm file")
    apply.add_argument("--headless", action="store_true", help="no window (no display needed)")
    apply.add_argument("--json", action="store_true", help="print the result as JSON")
    apply.set_defaults(run=_run_apply)

    shot = commands.add_parser("screenshot", help="render a VRM on the stage and save a PNG")
    shot.add_argument("file", type=Path, metavar="FILE", help="a .vrm file")
    shot.add_argument("--out", type=Path, required=True, metavar="PNG", help="where to save")
    shot.add_argument("--size", default="480x720", metavar="WxH", help="frame size (480x720)")
    shot.add_argument("--transparent", action="store_true", help="transparent background")
    shot.add_argument("--rendering-driver", default="opengl3", help="Godot rendering driver")
    shot.add_argument("--json", action="store_true", help="print the result as JSON")
    shot.set_defaults(run=_run_screenshot)

    register_inspect(commands)


def _run_apply(context: AppContext) -> int:
    args = context.args
    if not args.headless and not _has_display():
        raise StageError(
            "no display for the stage window: use --headless, or set DISPLAY", reason="no-display"
        )
    result = _apply_once(context, None, headless=args.headless, extra_user_args=())
    _print(result.to_json(), as_json=args.json)
    return 0 if result.ok else 1


def _run_screenshot(context: AppContext) -> int:
    args = context.args
    match = _SIZE.fullmatch(args.size)
    if match is None:
        raise StageError(f"--size must look like 480x720, not {args.size!r}", reason="bad-size")
    if not _has_display():
        raise StageError(
            "stage screenshot needs a display (set DISPLAY, e.g. run under Xvfb)",
            reason="no-display",
        )
    out = args.out.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    settings = dataclasses.replace(
        context.settings.load().settings.stage,
        borderless=True,
        always_on_top=False,
        transparent=args.transparent,
        window_x=-1,
        window_y=-1,
        window_width=int(match[1]),
        window_height=int(match[2]),
    )
    result = _apply_once(
        context,
        settings,
        headless=False,
        extra_user_args=(f"--screenshot={out}",),
        rendering_driver=args.rendering_driver,
        await_screenshot=True,
    )
    body = result.to_json()
    if result.ok and not out.is_file():
        body.update(
            ok=False,
            status="error",
            code="screenshot-failed",
            message="the stage did not save the screenshot",
        )
    elif result.ok:
        body["out"] = str(out)
    _print(body, as_json=args.json)
    return 0 if body["ok"] else 1


def _apply_once(
    context: AppContext,
    settings: StageSettings | None,
    *,
    headless: bool,
    extra_user_args: Sequence[str],
    rendering_driver: str | None = None,
    await_screenshot: bool = False,
) -> ApplyResult:
    source: Path = context.args.file.expanduser()
    if not source.is_file():
        raise StageError(f"no such file: {source}", reason="not-found")
    service = StageService(
        context.paths,
        context.settings,
        headless=headless,
        remote_debug_flag=getattr(context.args, "godot_remote_debug", None),
        settings=settings,
        rendering_driver=rendering_driver,
        extra_user_args=extra_user_args,
    )
    screenshot_logged: list[str] = []
    service.add_bridge_listener(
        lambda event: (
            screenshot_logged.append(event.envelope.re or "")
            if isinstance(event, Message) and event.envelope.type == "log"
            else None
        )
    )
    ready_timeout = (settings or context.settings.load().settings.stage).ready_timeout_s
    with service:
        service.wait_until_running(ready_timeout + 10)
        result = service.apply(source.resolve(), name=source.stem).result(APPLY_TIMEOUT_S)
        if await_screenshot and result.ok:
            _wait_until(lambda: result.request_id in screenshot_logged, timeout=30)
    return result


def _wait_until(predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _count(items: object) -> int:
    return len(items) if isinstance(items, (list, tuple)) else 0


def _print(body: dict[str, object], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(body, ensure_ascii=False))
        return
    if body.get("ok"):
        print(
            f"applied {body.get('modelId')} (VRM {body.get('vrmVersion')}, "
            f"{body.get('meshCount')} meshes, {body.get('boneCount')} bones, "
            f"{body.get('humanoidBones')} humanoid, "
            f"{_count(body.get('expressions'))} expressions, "
            f"{body.get('mtoonMaterials')} MToon materials, "
            f"{body.get('springChains')} spring chains) "
            f"in {body.get('importMs', 0):.1f} ms"
            + (f"; saved {body['out']}" if "out" in body else "")
        )
    else:
        print(f"refused: {body.get('message')} [{body.get('code')}]", file=sys.stderr)
