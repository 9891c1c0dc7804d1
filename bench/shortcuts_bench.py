"""Latency of a global shortcut on X11: synthetic key event (XTest) to the service's handler.

Starts its own Xvfb (or uses --display), binds Ctrl+Shift+F12 through the real X11
backend, and presses it N times from a second X connection with XTest, taking a
time stamp just before each fake key event. Prints p50/p99/max of the time until
the handler runs, for the press and the release. Target: p99 <= 5 ms.

    python bench/shortcuts_bench.py [--presses 500] [--display :N]
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from Xlib import XK, X, display
from Xlib.ext import xtest

from app.shortcuts.backends.x11 import X11Backend
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding, TriggerEvent
from tests.xvfb import running_xvfb

__all__ = ["main"]

TARGET_P99_MS = 5.0


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _report(label: str, samples: list[float]) -> float:
    p50, p99 = _percentile(samples, 0.50), _percentile(samples, 0.99)
    print(f"{label:<8} n={len(samples)}  p50={p50:.3f} ms  p99={p99:.3f} ms  "
          f"max={max(samples):.3f} ms  mean={statistics.fmean(samples):.3f} ms")
    return p99


def run(display_name: str, presses: int) -> float:
    handled: queue.SimpleQueue[tuple[TriggerEvent, float]] = queue.SimpleQueue()
    service = ShortcutService([X11Backend(display_name)], why="benchmark")
    service.subscribe(lambda event: handled.put((event, time.perf_counter())))
    result = service.register(Binding("bench", "Ctrl+Shift+F12", receive_key_ups=True))
    if not result.ok:
        raise SystemExit(f"could not bind: {result.reason}: {result.message}")
    injector = display.Display(display_name)
    code = {name: injector.keysym_to_keycode(XK.string_to_keysym(name))
            for name in ("Control_L", "Shift_L", "F12")}
    for name in ("Control_L", "Shift_L"):
        xtest.fake_input(injector, X.KeyPress, code[name])
    injector.sync()
    latencies: dict[str, list[float]] = {"down": [], "up": []}
    for _ in range(presses):
        for kind, phase in ((X.KeyPress, "down"), (X.KeyRelease, "up")):
            before = time.perf_counter()
            xtest.fake_input(injector, kind, code["F12"])
            injector.flush()
            event, at = handled.get(timeout=5)
            assert event.phase == phase, (event, phase)
            latencies[phase].append((at - before) * 1000.0)
    for name in ("Shift_L", "Control_L"):
        xtest.fake_input(injector, X.KeyRelease, code[name])
    injector.sync()
    injector.close()
    service.close()
    print(f"X11 backend, {presses} presses of Ctrl+Shift+F12 via XTest on {display_name}")
    p99 = _report("down", latencies["down"])
    _report("up", latencies["up"])
    verdict = "meets" if p99 <= TARGET_P99_MS else "MISSES"
    print(f"down p99 {p99:.3f} ms {verdict} the target of {TARGET_P99_MS:.0f} ms "
          f"(ratio {p99 / TARGET_P99_MS:.3f})")
    return p99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=500)
    parser.add_argument("--display", help="an existing X display; default: start Xvfb")
    args = parser.parse_args(argv)
    if args.display is not None:
        p99 = run(args.display, args.presses)
    else:
        with running_xvfb("640x480x24") as server:
            p99 = run(server.display, args.presses)
    return 0 if p99 <= TARGET_P99_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
