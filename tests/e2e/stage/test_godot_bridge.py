"""The GDScript side of the bridge: same envelope rules as Python, refusals, remote debugger."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.paths import DataPaths
from app.settings.sections.stage import StageSettings
from app.stage import protocol
from app.stage.bridge import CLOSE_BUSY, Message, PeerConnected, StageBridge
from app.stage.process import PROJECT_DIR, GodotProcess, LaunchOptions
from app.stage.protocol import Envelope, ProtocolError
from app.stage.runtime import Runtime
from app.stage.supervisor import StageState, StageSupervisor
from tests.conftest import REPO_ROOT, real_vrm_files
from tests.e2e.stage.conftest import Stage

pytestmark = [pytest.mark.godot, pytest.mark.e2e]

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "bridge"


def test_gdscript_parser_agrees_with_python_on_every_sample(godot_runtime: Runtime) -> None:
    out = subprocess.run(
        [
            *godot_runtime.command,
            "--headless",
            "--path",
            str(PROJECT_DIR),
            "--script",
            "res://tools/check_envelopes.gd",
            "--",
            f"--samples={SAMPLES}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**_env(godot_runtime)},
    )
    assert out.returncode == 0, out.stderr
    results = {
        r["file"]: r
        for r in (json.loads(line) for line in out.stdout.splitlines() if line.startswith("{"))
    }
    files = sorted(p.name for p in SAMPLES.glob("*.json"))
    assert sorted(results) == files
    for name in files:
        text = (SAMPLES / name).read_text(encoding="utf-8").strip()
        try:
            protocol.parse(text)
            python = ("", True)
        except ProtocolError as exc:
            python = (exc.code, False)
        gdscript = results[name]
        assert (gdscript["code"], gdscript["ok"]) == python, name
        assert gdscript["ok"] == name.startswith("ok--"), name


def test_gdscript_parser_agrees_with_python_on_mutated_frames(
    godot_runtime: Runtime, tmp_path: Path
) -> None:
    """Hundreds of seeded mutations of the valid samples: both parsers give the same verdict."""
    rng = random.Random(4)
    pool: list[object] = [
        None,
        True,
        False,
        0,
        1,
        1.0,
        1.5,
        -1,
        2,
        "",
        "x",
        "a" * 64,
        "vrm",
        "0.x",
        "1.0",
        "info",
        [],
        {},
        {"k": 1},
        "z" * 65,
    ]
    valid = [
        json.loads((SAMPLES / n).read_text())
        for n in sorted(os.listdir(SAMPLES))
        if n.startswith("ok--")
    ]
    for index in range(400):
        frame = json.loads(json.dumps(rng.choice(valid)))
        for _ in range(rng.randint(1, 3)):
            payload = frame.get("payload")
            target = payload if payload and rng.random() < 0.7 else frame
            if not isinstance(target, dict):
                break
            key = rng.choice([*target.keys(), "extra"])
            action = rng.random()
            if action < 0.2:
                target.pop(key, None)
            elif action < 0.3 and target is frame:
                frame["type"] = rng.choice([*protocol.MESSAGE_TYPES, "nope"])
            else:
                target[key] = rng.choice(pool)
        (tmp_path / f"m{index:03}.json").write_text(json.dumps(frame))
    out = subprocess.run(
        [
            *godot_runtime.command,
            "--headless",
            "--path",
            str(PROJECT_DIR),
            "--script",
            "res://tools/check_envelopes.gd",
            "--",
            f"--samples={tmp_path}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(godot_runtime),
    )
    gdscript = {
        r["file"]: r
        for r in (json.loads(line) for line in out.stdout.splitlines() if line.startswith("{"))
    }
    assert len(gdscript) == 400
    verdicts: dict[str, int] = {}
    for name, result in gdscript.items():
        text = (tmp_path / name).read_text()
        try:
            protocol.parse(text)
            python = ""
        except ProtocolError as exc:
            python = exc.code
        assert result["code"] == python, (text, result)
        verdicts[python or "ok"] = verdicts.get(python or "ok", 0) + 1
    assert verdicts.get("ok", 0) > 20 and verdicts.get("bad-payload", 0) > 100, verdicts


@pytest.mark.parametrize(
    ("frame", "code", "re"),
    [
        ("{not json", "bad-json", ""),
        ('{"v":1,"id":"t1","type":"scene.teleport","payload":{}}', "unknown-type", "t1"),
        ('{"v":1,"id":"t2","type":"pong","payload":{}}', "unknown-type", "t2"),  # wrong direction
        ('{"v":1,"id":"t3","type":"scene.apply","payload":{"modelId":"m"}}', "bad-payload", "t3"),
        ('{"v":2,"id":"t4","type":"ping","payload":{}}', "bad-envelope", "t4"),
        ("x" * (protocol.MAX_FRAME_BYTES + 16), "too-large", ""),
    ],
)
@pytest.mark.expected_log(
    r"^bridge: refused a frame \((bad-json|unknown-type|bad-payload|bad-envelope|too-large)\): ",
    r"^the stage refused our frame (t\d|None): "
    r"ErrorMessage\(code='(bad-json|unknown-type|bad-payload|bad-envelope|too-large)'",
)
def test_godot_answers_bad_frames_with_error_and_keeps_going(
    stage: Stage, frame: str, code: str, re: str
) -> None:
    stage.supervisor.bridge.send_text(frame)
    error = _next_message(stage, "error")
    assert error.payload.code == code  # type: ignore[union-attr]
    assert (error.re or "") == re
    # The stage is still there and answering.
    _, pong = stage.supervisor.bridge.request(protocol.Ping())
    assert pong.result(10).type == "pong"
    assert stage.supervisor.state is StageState.RUNNING


@pytest.mark.expected_log(r"^refused a peer: wrong token$")
def test_godot_with_a_wrong_token_is_refused_and_quits(
    godot_runtime: Runtime, data_dir: DataPaths
) -> None:
    events: list[object] = []
    with StageBridge() as bridge:
        bridge.add_listener(events.append)
        godot = GodotProcess(
            godot_runtime,
            LaunchOptions(bridge.url, "not-the-token", headless=True),
            logs_dir=data_dir.logs_dir,
        )
        code = godot.wait(20)
    assert code != 0
    assert not any(isinstance(e, PeerConnected) for e in events)
    assert any("4401" in line for line in godot.tail(40)), godot.tail(40)


@pytest.mark.expected_log(r"^refused a second stage while one is connected$")
def test_second_godot_is_refused_while_the_first_lives(
    stage: Stage, godot_runtime: Runtime, data_dir: DataPaths
) -> None:
    bridge = stage.supervisor.bridge
    second = GodotProcess(
        godot_runtime,
        LaunchOptions(bridge.url, bridge.token, headless=True),
        logs_dir=data_dir.logs_dir,
    )
    second.wait(20)
    assert any(str(CLOSE_BUSY) in line for line in second.tail(40)), second.tail(40)
    _, pong = bridge.request(protocol.Ping())
    assert pong.result(10).type == "pong"


def test_remote_debugger_is_connected_to(godot_runtime: Runtime, data_dir: DataPaths) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(30)
        port = listener.getsockname()[1]
        supervisor = StageSupervisor(
            settings=StageSettings(),
            headless=True,
            runtime=godot_runtime,
            remote_debug=f"tcp://127.0.0.1:{port}",
            logs_dir=data_dir.logs_dir,
        )
        with supervisor:
            connection, peer = listener.accept()
            with connection:
                assert peer[0] == "127.0.0.1"
                connection.settimeout(10)
                greeting = connection.recv(4096)  # Godot's debugger speaks first
                assert greeting
                assert supervisor.pid is not None


def test_cli_flag_passes_the_remote_debugger_to_godot(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(60)
        port = listener.getsockname()[1]
        cli = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app",
                f"--godot-remote-debug=tcp://127.0.0.1:{port}",
                "stage",
                "apply",
                str(real_vrm_files()[0]),
                "--headless",
                "--json",
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            connection, _ = listener.accept()
            connection.close()
        finally:
            cli.communicate(timeout=120)
    assert cli.returncode == 0


def test_hello_token_is_not_on_the_command_line(stage: Stage) -> None:
    pid = stage.supervisor.pid
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    assert stage.supervisor.bridge.token not in cmdline
    assert "--bridge-url=ws://127.0.0.1:" in cmdline


def _next_message(stage: Stage, kind: str) -> Envelope:
    deadline = time.monotonic() + 10
    while True:
        event = stage.events.get(timeout=max(0.1, deadline - time.monotonic()))
        if isinstance(event, Message) and event.envelope.type == kind:
            return event.envelope


def _env(runtime: Runtime) -> dict[str, str]:

    return {**os.environ, **runtime.env}
