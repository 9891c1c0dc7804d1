"""The keyboard package on this machine (no /dev/input): its bare errors become reasons."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.shortcuts.backends.keyboard_backend import KeyboardBackend, input_devices_cause
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding

REPO = Path(__file__).resolve().parents[3]


def test_no_input_devices_is_backend_unavailable_with_its_cause() -> None:
    assert not Path("/dev/input").is_dir(), "this test describes a machine without /dev/input"
    service = ShortcutService([KeyboardBackend(platform="linux")], why="test")
    result = service.register(Binding("a", "Ctrl+Shift+K"))
    assert result.reason == "backend-unavailable"
    assert "no readable /dev/input devices (/dev/input does not exist" in result.message
    assert service.info.tried[0][:2] == ("keyboard", "backend-unavailable")


def test_input_devices_cause_names_what_is_wrong(tmp_path: Path) -> None:
    assert "does not exist" in input_devices_cause(tmp_path / "missing")
    assert "has no event devices" in input_devices_cause(tmp_path)
    (tmp_path / "event0").write_bytes(b"")
    assert "among 1 readable" in input_devices_cause(tmp_path)


_AS_NOBODY = """
import json, os, sys
from pathlib import Path
import keyboard  # loaded while still allowed to read the interpreter's files
from app.shortcuts.backends.keyboard_backend import KeyboardBackend
from app.shortcuts.service import ShortcutService
from app.shortcuts.types import Binding
if os.geteuid() == 0:
    os.seteuid(65534)  # nobody: what a desktop user is to the keyboard package
service = ShortcutService([KeyboardBackend(platform="linux", input_dir=Path(sys.argv[1]))])
print(json.dumps(service.register(Binding("a", "Ctrl+K")).to_json()))
"""


def test_not_root_with_input_devices_is_denied(tmp_path: Path) -> None:
    devices = tmp_path / "input"
    devices.mkdir()
    (devices / "event0").write_bytes(b"")
    out = subprocess.run([sys.executable, "-c", _AS_NOBODY, str(devices)], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["reason"] == "denied"
    assert "needs root" in result["message"]
