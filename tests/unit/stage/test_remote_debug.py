"""Which remote-debugger address Godot gets: flag, then environment, then setting."""

from __future__ import annotations

import pytest

from app.errors import StageError
from app.stage.remote_debug import DEFAULT_REMOTE_DEBUG, REMOTE_DEBUG_ENV, resolve_remote_debug


def test_off_unless_asked() -> None:
    assert resolve_remote_debug(None, {}, "") is None


def test_flag_wins_over_env_and_setting() -> None:
    env = {REMOTE_DEBUG_ENV: "tcp://127.0.0.1:7000"}
    assert (
        resolve_remote_debug("tcp://127.0.0.1:6008", env, "tcp://127.0.0.1:6009")
        == "tcp://127.0.0.1:6008"
    )
    assert resolve_remote_debug(None, env, "tcp://127.0.0.1:6009") == "tcp://127.0.0.1:7000"
    assert resolve_remote_debug(None, {}, "tcp://127.0.0.1:6009") == "tcp://127.0.0.1:6009"


def test_default_and_shorthands_are_loopback() -> None:
    assert resolve_remote_debug(None, {REMOTE_DEBUG_ENV: "1"}, "") == DEFAULT_REMOTE_DEBUG
    assert DEFAULT_REMOTE_DEBUG.startswith("tcp://127.0.0.1:")
    assert resolve_remote_debug("6010", {}, "") == "tcp://127.0.0.1:6010"
    assert resolve_remote_debug(None, {}, "localhost:6011") == "tcp://localhost:6011"


def test_env_can_switch_a_setting_off() -> None:
    assert resolve_remote_debug(None, {REMOTE_DEBUG_ENV: "0"}, "tcp://127.0.0.1:6009") is None


def test_other_hosts_only_when_named() -> None:
    assert resolve_remote_debug("tcp://192.168.1.20:6007", {}, "") == "tcp://192.168.1.20:6007"


@pytest.mark.parametrize(
    "bad", ["http://127.0.0.1:6007", "tcp://127.0.0.1", "tcp://h:99999", "tcp://a b:1"]
)
def test_bad_addresses_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(StageError) as exc:
        resolve_remote_debug(bad, {}, "")
    assert exc.value.reason == "bad-remote-debug"
    assert "--godot-remote-debug" in exc.value.message
