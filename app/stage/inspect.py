"""Ask the real Godot what the stage builds from a VRM file (`stage inspect FILE --json`).

Fidelity — which way the avatar faces, where its feet are, which blend shapes an expression
drives, which materials became toon, whether its hair settles — only exists inside the
engine, so this runs the Godot-side probe (engines/stage-godot/scripts/vrm/probe.gd) as a
short-lived headless child and returns its one JSON line. Tests and the benchmark use it too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from app import log
from app.context import AppContext
from app.errors import GodotRuntimeError, StageError
from app.stage.process import PROJECT_DIR
from app.stage.runtime import Runtime, find_runtime

__all__ = ["inspect_vrm", "register_inspect", "run_godot_script"]

PROBE_SCRIPT: Final = "res://scripts/vrm/probe.gd"
DEFAULT_TIMEOUT_S: Final = 120.0
#: Lines Godot prints for a broken script or shader: our scripts must never cause them.
ERROR_MARKERS: Final = ("SCRIPT ERROR:", "SHADER ERROR:")


def run_godot_script(godot: Runtime, script: str, args: Sequence[str], *,
                     timeout: float = DEFAULT_TIMEOUT_S, headless: bool = True,
                     extra_env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Runs a `--script` of the stage project and returns the last JSON line it printed;
    a script or shader error anywhere in Godot's output is a StageError, not a result."""
    argv = [*godot.command]
    if headless:
        argv.append("--headless")
    argv += ["--path", str(PROJECT_DIR), "--script", script, "--", *args]
    env = {**os.environ, **godot.env, **(extra_env or {})}
    log.godot.debug("running %s", " ".join(argv))
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise StageError(f"Godot did not finish {script} within {timeout:.0f} s.",
                         reason="probe-timeout") from exc
    except OSError as exc:
        raise GodotRuntimeError(f"Godot could not start: {exc.strerror or exc}.",
                                reason="godot-not-found") from exc
    output = done.stdout + done.stderr
    for marker in ERROR_MARKERS:
        if marker in output:
            at = output.index(marker)
            detail = output[max(0, at - 600):at + 400].strip()
            raise StageError(f"Godot reported an error while running {script}:\n{detail}",
                             reason="godot-script-error")
    for line in reversed(done.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                result: dict[str, Any] = json.loads(line)
            except json.JSONDecodeError:
                continue
            return result
    tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-12:])
    raise StageError(f"Godot ran {script} but printed no result (exit {done.returncode}):\n{tail}",
                     reason="probe-failed")


def inspect_vrm(path: Path, *, godot: Runtime | None = None, springs: bool = True,
                timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """The probe's report for one file: {"ok": true, "info", "boneMap", "facing", "feetY",
    "expressionBinds", "setExpressionAa", "materials", "springs"} or {"ok": false, "code",
    "message"} when the stage would refuse the file."""
    runner = godot if godot is not None else find_runtime()
    args = [str(Path(path).resolve())]
    if not springs:
        args.append("--no-springs")
    return run_godot_script(runner, PROBE_SCRIPT, args, timeout=timeout)


def _run_inspect(ctx: AppContext) -> int:
    args = ctx.args
    godot_settings = ctx.settings.load().settings.godot
    report = inspect_vrm(Path(args.file), godot=find_runtime(godot_settings),
                         springs=not args.no_springs)
    if not report.get("ok"):
        raise StageError(str(report.get("message", "The stage refused the file.")),
                         reason=str(report.get("code", "probe-failed")))
    if args.json:
        print(json.dumps(report))
    else:
        info = report["info"]
        print(f"{report['file']}: VRM {info['vrmVersion']}, "
              f"{info['humanoidBones']} humanoid bones, "
              f"{len(info['expressions'])} expressions, {info['mtoonMaterials']} MToon materials, "
              f"{info['springChains']} spring chains, imported in {info['importMs']} ms")
        print(f"  facing {report['facing']}, feet at y = {report['feetY']:.4f}")
    return 0


def register_inspect(stage_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `inspect` to the `stage` command's sub-commands."""
    parser = stage_subparsers.add_parser(
        "inspect", help="import a VRM in Godot and show what the stage builds from it")
    parser.add_argument("file", metavar="FILE", help="a .vrm file")
    parser.add_argument("--json", action="store_true", help="print the probe's JSON report")
    parser.add_argument("--no-springs", action="store_true",
                        help="skip the spring-bone simulation check")
    parser.set_defaults(run=_run_inspect)
