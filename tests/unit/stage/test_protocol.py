"""The protocol module, the JSON Schema and the shared samples agree on every frame."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.stage import protocol
from app.stage.protocol import (
    MESSAGE_TYPES,
    SCHEMA_PATH,
    Envelope,
    Ping,
    ProtocolError,
    SceneApply,
    parse,
    serialise,
)

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "bridge"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def sample_files() -> list[Path]:
    files = sorted(SAMPLES.glob("*.json"))
    assert len(files) >= 40
    return files


def expected(path: Path) -> str:
    return path.name.split("--", 1)[0]


def schema_accepts(text: str) -> bool:
    try:
        data = json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    except ValueError:
        return False
    return bool(VALIDATOR.is_valid(data))


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_message_type_is_in_the_schema_with_the_same_fields() -> None:
    assert set(SCHEMA["properties"]["type"]["enum"]) == set(MESSAGE_TYPES)
    for name, cls in MESSAGE_TYPES.items():
        definition = SCHEMA["$defs"][name]
        fields = {f.name for f in dataclasses.fields(cls)}
        assert set(definition["properties"]) == fields, name
        assert set(definition["required"]) == fields, name
        assert definition["additionalProperties"] is False


def test_directions_match_the_schema() -> None:
    for name in MESSAGE_TYPES:
        direction = SCHEMA["$defs"][name]["x-direction"]
        to_stage = name in protocol.HOST_TO_STAGE
        to_host = name in protocol.STAGE_TO_HOST
        assert (
            direction
            == {(True, False): "host->stage", (False, True): "stage->host", (True, True): "both"}[
                (to_stage, to_host)
            ]
        ), name


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.stem)
def test_sample_agrees_with_schema_and_parser(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    want = expected(path)
    if want == "ok":
        assert schema_accepts(text)
        envelope = parse(text)
        # Round trip: serialising the parsed envelope gives the same JSON value back.
        assert json.loads(serialise(envelope)) == json.loads(text)
    else:
        assert not schema_accepts(text)
        with pytest.raises(ProtocolError) as exc:
            parse(text)
        assert exc.value.code == want, exc.value.message
        assert exc.value.message


def test_error_names_the_offending_id_when_readable() -> None:
    with pytest.raises(ProtocolError) as exc:
        parse(json.dumps({"v": 1, "id": "abc", "type": "nope", "payload": {}}))
    assert exc.value.re == "abc"
    reply = protocol.error_reply(exc.value)
    assert reply.re == "abc"
    assert isinstance(reply.payload, protocol.ErrorMessage)
    assert reply.payload.code == "unknown-type"
    assert VALIDATOR.is_valid(json.loads(serialise(reply)))


def test_too_large_is_refused_before_parsing() -> None:
    frame = json.dumps(
        {
            "v": 1,
            "id": "m",
            "type": "log",
            "payload": {"level": "info", "message": "x" * protocol.MAX_FRAME_BYTES},
        }
    )
    with pytest.raises(ProtocolError) as exc:
        parse(frame.encode())
    assert exc.value.code == "too-large"
    assert parse(frame, max_bytes=2 * protocol.MAX_FRAME_BYTES).type == "log"


def test_accept_limits_the_direction() -> None:
    frame = serialise(Envelope("x1", Ping()))
    assert parse(frame, accept=protocol.HOST_TO_STAGE).type == "ping"
    with pytest.raises(ProtocolError) as exc:
        parse(frame, accept=protocol.STAGE_TO_HOST)
    assert exc.value.code == "unknown-type"


def test_typed_payloads() -> None:
    sha = "0" * 64
    env = parse(serialise(Envelope("a", SceneApply(sha, "vrm", "/p.vrm", sha, "n"))))
    assert isinstance(env.payload, SceneApply) and env.payload.path == "/p.vrm"
    hello = parse(
        '{"v":1,"id":"h","type":"hello","payload":{"token":"t","protocol":1.0,"engine":"e"}}'
    )
    assert hello.payload == protocol.Hello("t", 1, "e")
    assert isinstance(hello.payload.protocol, int)


# --- fuzzing -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _field_values(cls: type) -> st.SearchStrategy[dict[str, object]]:
    hints = typing.get_type_hints(cls)
    strategies: dict[str, st.SearchStrategy[object]] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if typing.get_origin(hint) is typing.Literal:
            base: st.SearchStrategy[object] = st.sampled_from(typing.get_args(hint))
        elif hint is int:
            base = st.integers(-5, 10**6)
        elif hint is float:
            base = st.floats(-2, 2, allow_nan=False)
        elif hint == tuple[str, ...]:
            base = st.lists(st.text(max_size=6), max_size=4)
        else:
            base = st.text(max_size=10) | st.just("a" * 64) | st.just("0123456789abcdef" * 4)
        strategies[f.name] = base | json_values
    return st.fixed_dictionaries(strategies)


envelopes = st.sampled_from(sorted(MESSAGE_TYPES)).flatmap(
    lambda name: st.fixed_dictionaries(
        {
            "v": st.sampled_from([1, 1, 1, 2, "1", True]),
            "id": st.text(max_size=70),
            "type": st.just(name) | st.text(max_size=12),
            "payload": _field_values(MESSAGE_TYPES[name]) | json_values,
        },
        optional={"re": st.text(max_size=70) | json_values, "extra": json_values},
    )
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(envelopes)
def test_fuzz_structured_frames_agree_with_the_schema(frame: dict[str, object]) -> None:
    text = json.dumps(frame)
    try:
        envelope = parse(text)
    except ProtocolError as exc:
        assert exc.code in {"bad-envelope", "unknown-type", "bad-payload"}
        assert not VALIDATOR.is_valid(frame), (exc.code, exc.message)
    else:
        assert VALIDATOR.is_valid(frame), list(VALIDATOR.iter_errors(frame))
        assert parse(serialise(envelope)) == envelope


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_fuzz_arbitrary_frames_never_crash(frame: bytes | str) -> None:
    try:
        parse(frame)
    except ProtocolError as exc:
        assert exc.code in {"bad-json", "bad-envelope", "unknown-type", "bad-payload"}
