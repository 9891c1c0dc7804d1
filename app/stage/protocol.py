"""Bridge protocol v1 without I/O: frames in, typed envelopes out, and back.

The host and the Godot stage exchange JSON envelopes over one WebSocket. Keeping
parsing and serialising free of sockets lets the fuzz tests and the GDScript
mirror check the very same rules; ``schema/bridge-v1.schema.json`` is the written
contract both sides are tested against.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final, Literal, TypeAlias

__all__ = [
    "HOST_TO_STAGE",
    "MAX_FRAME_BYTES",
    "MESSAGE_TYPES",
    "PROTOCOL_VERSION",
    "SCHEMA_PATH",
    "STAGE_TO_HOST",
    "AvatarExpression",
    "Envelope",
    "ErrorMessage",
    "Hello",
    "Log",
    "Payload",
    "Ping",
    "Pong",
    "ProtocolError",
    "SceneApplied",
    "SceneApply",
    "SceneError",
    "StageFatal",
    "StageReady",
    "StageShutdown",
    "StageWindow",
    "Welcome",
    "error_reply",
    "new_id",
    "parse",
    "serialise",
]

PROTOCOL_VERSION: Final = 1
MAX_FRAME_BYTES: Final = 1024 * 1024
MAX_ID_CHARS: Final = 64
SCHEMA_PATH: Final = Path(__file__).resolve().parent / "schema" / "bridge-v1.schema.json"

ErrorCode: TypeAlias = Literal[
    "bad-json", "bad-envelope", "unknown-type", "bad-payload", "too-large"
]


class ProtocolError(Exception):
    """A frame that is not a valid v1 envelope; ``code`` is what the ``error`` reply carries."""

    def __init__(self, code: ErrorCode, message: str, *, re: str | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        #: The id of the offending envelope when it could be read, so the reply can answer it.
        self.re = re


# --- payloads ------------------------------------------------------------------------------
# Each payload is a frozen dataclass; its fields (names are the wire's camelCase) and their
# types are the payload's schema. ``TYPE`` is the envelope ``type``.


@dataclass(frozen=True)
class Hello:
    TYPE: ClassVar[str] = "hello"
    token: str
    protocol: int
    engine: str


@dataclass(frozen=True)
class Welcome:
    TYPE: ClassVar[str] = "welcome"
    protocol: int
    app: str


@dataclass(frozen=True)
class SceneApply:
    TYPE: ClassVar[str] = "scene.apply"
    modelId: str
    format: Literal["vrm"]
    path: str
    sha256: str
    name: str


@dataclass(frozen=True)
class StageShutdown:
    TYPE: ClassVar[str] = "stage.shutdown"


@dataclass(frozen=True)
class Ping:
    TYPE: ClassVar[str] = "ping"


@dataclass(frozen=True)
class AvatarExpression:
    TYPE: ClassVar[str] = "avatar.expression"
    name: str
    weight: float


@dataclass(frozen=True)
class StageReady:
    TYPE: ClassVar[str] = "stage.ready"
    protocol: int
    godot: str
    renderer: str


@dataclass(frozen=True)
class SceneApplied:
    TYPE: ClassVar[str] = "scene.applied"
    modelId: str
    sha256: str
    vrmVersion: Literal["0.x", "1.0"]
    importMs: float
    meshCount: int
    boneCount: int
    #: VRM humanoid bones mapped onto the skeleton.
    humanoidBones: int
    #: Expression names the avatar answers to (VRM 1.0 vocabulary; avatar.expression uses them).
    expressions: tuple[str, ...]
    springChains: int
    mtoonMaterials: int


@dataclass(frozen=True)
class SceneError:
    TYPE: ClassVar[str] = "scene.error"
    modelId: str
    code: str
    message: str


@dataclass(frozen=True)
class StageWindow:
    TYPE: ClassVar[str] = "stage.window"
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class StageFatal:
    TYPE: ClassVar[str] = "stage.fatal"
    message: str


@dataclass(frozen=True)
class Pong:
    TYPE: ClassVar[str] = "pong"


@dataclass(frozen=True)
class Log:
    TYPE: ClassVar[str] = "log"
    level: Literal["debug", "info", "warning", "error"]
    message: str


@dataclass(frozen=True)
class ErrorMessage:
    TYPE: ClassVar[str] = "error"
    code: str
    message: str


Payload: TypeAlias = (
    Hello
    | Welcome
    | SceneApply
    | StageShutdown
    | Ping
    | AvatarExpression
    | StageReady
    | SceneApplied
    | SceneError
    | StageWindow
    | StageFatal
    | Pong
    | Log
    | ErrorMessage
)

HOST_TO_STAGE: Final[frozenset[str]] = frozenset(
    {"welcome", "scene.apply", "stage.shutdown", "ping", "avatar.expression", "error"}
)
STAGE_TO_HOST: Final[frozenset[str]] = frozenset(
    {
        "hello",
        "stage.ready",
        "scene.applied",
        "scene.error",
        "stage.window",
        "stage.fatal",
        "pong",
        "log",
        "error",
    }
)

MESSAGE_TYPES: Final[Mapping[str, type[Any]]] = {
    cls.TYPE: cls
    for cls in (
        Hello,
        Welcome,
        SceneApply,
        StageShutdown,
        Ping,
        AvatarExpression,
        StageReady,
        SceneApplied,
        SceneError,
        StageWindow,
        StageFatal,
        Pong,
        Log,
        ErrorMessage,
    )
}

_SHA256_CHARS: Final = frozenset("0123456789abcdef")
#: Payload fields with rules beyond their type (the schema says the same with pattern/enum).
_STRING_RULES: Final[Mapping[tuple[str, str], str]] = {
    ("scene.apply", "sha256"): "sha256",
    ("scene.applied", "sha256"): "sha256",
    ("scene.apply", "path"): "nonempty",
    ("avatar.expression", "name"): "nonempty",
    ("avatar.expression", "weight"): "unit",
    ("scene.applied", "importMs"): "non-negative",
    ("scene.applied", "meshCount"): "non-negative",
    ("scene.applied", "boneCount"): "non-negative",
    ("scene.applied", "humanoidBones"): "non-negative",
    ("scene.applied", "springChains"): "non-negative",
    ("scene.applied", "mtoonMaterials"): "non-negative",
    ("stage.window", "width"): "positive",
    ("stage.window", "height"): "positive",
}


@dataclass(frozen=True)
class Envelope:
    """One v1 frame: ``payload`` is typed by ``type``; ``re`` names the envelope it answers."""

    id: str
    payload: Payload
    re: str | None = None
    v: int = field(default=PROTOCOL_VERSION)

    @property
    def type(self) -> str:
        return self.payload.TYPE


_counter = itertools.count(1)
_prefix = os.urandom(4).hex()


def new_id() -> str:
    """A short id unique within this process (and unlikely to repeat across runs)."""
    return f"{_prefix}-{next(_counter)}"


def serialise(envelope: Envelope) -> str:
    """The envelope as one compact JSON text frame."""
    payload = envelope.payload
    frame: dict[str, Any] = {
        "v": envelope.v,
        "id": envelope.id,
        "type": envelope.type,
        # payloads are flat (tuples become arrays): no need for asdict's deep copy
        "payload": {name: getattr(payload, name) for name in _hints(type(payload))},
    }
    if envelope.re is not None:
        frame["re"] = envelope.re
    return _ENCODER.encode(frame)


def error_reply(error: ProtocolError) -> Envelope:
    """The ``error`` envelope that answers a refused frame."""
    return Envelope(new_id(), ErrorMessage(code=error.code, message=error.message), re=error.re)


def parse(
    frame: bytes | str, *, accept: frozenset[str] | None = None, max_bytes: int = MAX_FRAME_BYTES
) -> Envelope:
    """Read one frame; raise :class:`ProtocolError` saying exactly what is wrong with it.

    ``accept`` limits the types this side may receive (e.g. ``STAGE_TO_HOST``); any
    other type is refused as ``unknown-type``, as the peer could not have meant it.
    """
    size = len(frame) if isinstance(frame, bytes) else len(frame.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ProtocolError("too-large", f"frame of {size} bytes exceeds the limit of {max_bytes}")
    try:
        text = frame.decode(json.detect_encoding(frame)) if isinstance(frame, bytes) else frame
        data = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("bad-json", f"frame is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError("bad-envelope", f"envelope must be an object, got {_kind(data)}")
    raw_id = data.get("id")
    known_id = raw_id if _is_id(raw_id) else None
    raw_re = data.get("re")
    re = known_id

    def refuse(code: ErrorCode, message: str) -> ProtocolError:
        return ProtocolError(code, message, re=re)

    extra = set(data) - {"v", "id", "type", "payload", "re"}
    if extra:
        raise refuse("bad-envelope", f"unknown envelope field(s): {', '.join(sorted(extra))}")
    if data.get("v") != PROTOCOL_VERSION or isinstance(data.get("v"), bool):
        raise refuse(
            "bad-envelope", f"envelope version must be {PROTOCOL_VERSION}, got {data.get('v')!r}"
        )
    if known_id is None:
        raise refuse("bad-envelope", f"envelope id must be a string of 1-{MAX_ID_CHARS} characters")
    if "re" in data and not _is_id(raw_re):
        raise refuse("bad-envelope", f"envelope re must be a string of 1-{MAX_ID_CHARS} characters")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise refuse("bad-envelope", "envelope type must be a string")
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise refuse("bad-envelope", f"envelope payload must be an object, got {_kind(payload)}")
    cls = MESSAGE_TYPES.get(kind)
    if cls is None or (accept is not None and kind not in accept):
        raise refuse("unknown-type", f"unknown message type {kind[:64]!r}")
    return Envelope(id=known_id, payload=_payload(cls, kind, payload, refuse), re=raw_re)


def _payload(cls: type[Any], kind: str, payload: dict[str, Any], refuse: Any) -> Payload:
    hints = _hints(cls)
    extra = payload.keys() - hints.keys()
    if extra:
        raise refuse("bad-payload", f"{kind}: unknown field(s) {', '.join(sorted(extra))}")
    values: dict[str, Any] = {}
    for name, hint in hints.items():
        if name not in payload:
            raise refuse("bad-payload", f"{kind}: missing field {name!r}")
        value = payload[name]
        problem = _check(hint, value)
        if problem is None:
            problem = _rule(_STRING_RULES.get((kind, name)), value)
        if problem is not None:
            raise refuse("bad-payload", f"{kind}.{name}: {problem}")
        if hint == "float":
            value = float(value)
        elif hint == "int":
            value = int(value)
        elif hint == "strings":
            value = tuple(value)
        values[name] = value
    return cls(**values)  # type: ignore[no-any-return]


_HINT_CACHE: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    hints = _HINT_CACHE.get(cls)
    if hints is None:
        resolved = typing.get_type_hints(cls)
        hints = {}
        for f in dataclasses.fields(cls):
            name, hint = f.name, resolved[f.name]
            if typing.get_origin(hint) is Literal:
                hints[name] = tuple(typing.get_args(hint))
            elif hint == tuple[str, ...]:
                hints[name] = "strings"
            else:
                hints[name] = {str: "str", int: "int", float: "float"}[hint]
        _HINT_CACHE[cls] = hints
    return hints


def _check(hint: Any, value: Any) -> str | None:
    if isinstance(hint, tuple):
        return None if isinstance(value, str) and value in hint else f"must be one of {list(hint)}"
    if hint == "str":
        return None if isinstance(value, str) else f"must be a string, got {_kind(value)}"
    if hint == "strings":
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        return None if ok else f"must be an array of strings, got {_kind(value)}"
    if hint == "int":  # 1.0 is an integer in JSON Schema, and GDScript reads every number as float
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
        return None if ok else f"must be an integer, got {_kind(value)}"
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return None if ok else f"must be a number, got {_kind(value)}"


def _rule(rule: str | None, value: Any) -> str | None:
    if rule == "sha256" and not (len(value) == 64 and set(value) <= _SHA256_CHARS):
        return "must be 64 lowercase hex digits"
    if rule == "nonempty" and not value:
        return "must not be empty"
    if rule == "unit" and not 0.0 <= value <= 1.0:
        return "must be between 0 and 1"
    if rule == "non-negative" and value < 0:
        return "must not be negative"
    if rule == "positive" and value < 1:
        return "must be at least 1"
    return None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: Built once: ``json.loads``/``dumps`` with options build a new coder on every call, a
#: quarter of a small frame's cost (every ping pays it twice).
_DECODER: Final = json.JSONDecoder(parse_constant=_refuse_constant)
_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
