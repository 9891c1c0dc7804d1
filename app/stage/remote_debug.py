"""Which Godot remote-debugger address to pass, from flag, environment or setting.

Developers attach Godot's editor to the running stage; the address defaults to
loopback so the debugger port is never exposed unless the user names another host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from app.errors import StageError

__all__ = ["DEFAULT_REMOTE_DEBUG", "REMOTE_DEBUG_ENV", "resolve_remote_debug"]

DEFAULT_REMOTE_DEBUG: Final = "tcp://127.0.0.1:6007"
REMOTE_DEBUG_ENV: Final = "COMPANION_STAGE_GODOT_REMOTE_DEBUG"
_URL = re.compile(r"tcp://(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):(?P<port>\d{1,5})")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def resolve_remote_debug(flag: str | None, environ: Mapping[str, str], setting: str) -> str | None:
    """The debugger URL or None: the flag wins, then the environment, then the setting.

    Each may be a ``tcp://host:port`` URL, a bare ``host:port`` or port, or (env) a
    yes/no word; a bare port means loopback.
    """
    for source, value in (
        ("--godot-remote-debug", flag),
        (REMOTE_DEBUG_ENV, environ.get(REMOTE_DEBUG_ENV)),
        ("stage.remote_debug", setting),
    ):
        if value is None:
            continue
        text = value.strip()
        if text.lower() in _FALSE:
            if source == "--godot-remote-debug":
                return DEFAULT_REMOTE_DEBUG
            if source == REMOTE_DEBUG_ENV and text:
                return None  # explicitly off: the setting does not apply either
            continue
        if text.lower() in _TRUE:
            return DEFAULT_REMOTE_DEBUG
        return _normalise(text, source)
    return None


def _normalise(text: str, source: str) -> str:
    if text.isdigit():
        text = f"127.0.0.1:{text}"
    if "://" not in text:
        text = f"tcp://{text}"
    match = _URL.fullmatch(text)
    if match is None or not 0 < int(match["port"]) < 65536:
        raise StageError(
            f"{source}: {text!r} is not a remote debugger address like {DEFAULT_REMOTE_DEBUG}",
            reason="bad-remote-debug",
        )
    return text
