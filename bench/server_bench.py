"""Speech server benchmark: time to first audio through the proxy vs straight to the upstream.

Starts, as real processes on loopback, a streaming engine with an instant synthesiser
(so synthesis time does not hide the proxy's cost) and ``companion-stage serve``
(SQLite) in front of it, then measures from the client's connect to the first audio
byte, N sessions one after the other on each path: p50/p99, the proxy's added p99
and the ratio (target: the proxy adds <= 5 ms p99). Then sessions per second the
server sustains with C concurrent clients. Prints the figures; asserts nothing.

    python bench/server_bench.py [--sessions 200] [--load 400] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from websockets.asyncio.client import connect  # noqa: E402

TEXT = "Hello there, this is a short sentence for the benchmark."


def tone(text: str, voice: str):  # type: ignore[no-untyped-def]
    from app.speech.audio import Audio

    rate = 22050
    pcm = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 220 * i / rate)))
        for i in range(rate // 10)
    )
    return Audio(pcm, rate)


def run_upstream(port: int) -> None:
    """Child process: the real streaming engine with the instant synthesiser."""
    from app.speech.engine import EngineOptions, StreamingEngine

    async def main() -> None:
        engine = StreamingEngine(EngineOptions(port=port, synthesize=tone))
        await engine.start()
        await asyncio.Event().wait()

    asyncio.run(main())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


async def one_session(url: str, token: str) -> float:
    """Seconds from connect to the first audio byte; reads the session to its end."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    started = time.perf_counter()
    first = 0.0
    async with connect(url, additional_headers=headers, compression=None, max_size=None) as ws:
        await ws.send(json.dumps({"event": "start", "model": "", "voice": ""}))
        await ws.send(json.dumps({"event": "text", "text": TEXT}))
        await ws.send(json.dumps({"event": "finish"}))
        async for message in ws:
            if isinstance(message, bytes) and not first:
                first = time.perf_counter() - started
            elif isinstance(message, str) and '"session.finished"' in message:
                break
    return first


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


async def measure(
    direct_url: str, proxy_url: str, token: str, n: int
) -> tuple[list[float], list[float]]:
    """Alternate direct and proxied sessions so both paths see the same machine load."""
    for _ in range(10):  # warm up both paths
        await one_session(direct_url, "")
        await one_session(proxy_url, token)
    direct, proxied = [], []
    for _ in range(n):
        direct.append(await one_session(direct_url, ""))
        proxied.append(await one_session(proxy_url, token))
    return direct, proxied


async def load(url: str, token: str, total: int, concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def guarded() -> None:
        async with gate:
            await one_session(url, token)

    started = time.perf_counter()
    await asyncio.gather(*(guarded() for _ in range(total)))
    return total / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--load", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--upstream-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upstream_child:
        run_upstream(args.upstream_child)
        return

    from app.cli import main as cli

    data = Path(tempfile.mkdtemp(prefix="cs-bench-"))
    env = {**os.environ, "COMPANION_STAGE_DATA_DIR": str(data)}
    db = f"sqlite:///{data / 'bench.db'}"
    up_port, port = free_port(), free_port()
    upstream_url = f"ws://127.0.0.1:{up_port}/api/v1/audio/speech/ws"
    procs = [
        subprocess.Popen([sys.executable, __file__, "--upstream-child", str(up_port)], env=env)
    ]
    try:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli(
                [
                    "--data-dir",
                    str(data),
                    "serve",
                    "--db",
                    db,
                    "token",
                    "create",
                    "--user",
                    "bench",
                    "--flux",
                    "100000000",
                    "--json",
                ]
            )
        token = json.loads(out.getvalue())["token"]
        with contextlib.redirect_stdout(io.StringIO()):
            cli(
                [
                    "--data-dir",
                    str(data),
                    "serve",
                    "--db",
                    db,
                    "seed-streaming-tts",
                    "--url",
                    upstream_url,
                    "--rate",
                    "1",
                ]
            )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app",
                    "--log-level",
                    "warning",
                    "serve",
                    "--port",
                    str(port),
                    "--db",
                    db,
                ],
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_port(up_port)
        wait_port(port)
        proxy_url = f"ws://127.0.0.1:{port}/api/v1/audio/speech/ws"

        direct, proxied = asyncio.run(measure(upstream_url, proxy_url, token, args.sessions))
        rate = asyncio.run(load(proxy_url, token, args.load, args.concurrency))
        direct_rate = asyncio.run(load(upstream_url, "", args.load, args.concurrency))


        def ms(seconds: float) -> float:
            return seconds * 1000

        print(
            f"time to first audio, {args.sessions} sessions on each path, alternating "
            "(connect -> first audio byte)"
        )
        print(
            f"  straight to upstream : p50 {ms(statistics.median(direct)):6.2f} ms   "
            f"p95 {ms(pct(direct, 0.95)):6.2f} ms   p99 {ms(pct(direct, 0.99)):6.2f} ms"
        )
        print(
            f"  through the proxy    : p50 {ms(statistics.median(proxied)):6.2f} ms   "
            f"p95 {ms(pct(proxied, 0.95)):6.2f} ms   p99 {ms(pct(proxied, 0.99)):6.2f} ms"
        )
        added50 = ms(statistics.median(proxied) - statistics.median(direct))
        added99 = ms(pct(proxied, 0.99) - pct(direct, 0.99))
        print(
            f"  proxy adds           : p50 {added50:6.2f} ms   p99 {added99:6.2f} ms   "
            f"(target <= 5 ms p99: {'met' if added99 <= 5 else 'NOT met'})"
        )
        print(
            f"  ratio proxy/direct   : "
            f"p50 {statistics.median(proxied) / statistics.median(direct):.2f}x   "
            f"p99 {pct(proxied, 0.99) / pct(direct, 0.99):.2f}x"
        )
        print(f"  machine load average : {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(
            f"sessions per second ({args.load} sessions, {args.concurrency} concurrent, "
            "billed on SQLite):"
        )
        print(f"  through the proxy    : {rate:7.1f} /s")
        print(f"  straight to upstream : {direct_rate:7.1f} /s")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
