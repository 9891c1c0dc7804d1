"""Mutated models must always get a verdict (ok, or a known reason), never an exception."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models.validate import REASONS, inspect_file
from tests.conftest import REAL_FIXTURES
from tests.unit.models.glbkit import split_glb

ROBOT = (REAL_FIXTURES / "debug_robot_vrm1.vrm").read_bytes()
GODETTE_DOC = split_glb((REAL_FIXTURES / "godette_vrm0.vrm").read_bytes())

_SCRATCH = Path(tempfile.mkdtemp(prefix="models-fuzz-"))  # module-wide: hypothesis reruns tests


@pytest.fixture(scope="module", autouse=True)
def _remove_scratch() -> Iterator[None]:
    yield
    shutil.rmtree(_SCRATCH, ignore_errors=True)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def _verdict(data: bytes) -> None:
    path = _SCRATCH / "mutant.vrm"
    path.write_bytes(data)
    result = inspect_file(path, max_bytes=1 << 30)
    assert result.ok or result.reason in REASONS, result
    assert result.ok == (result.meta is not None)
    assert result.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(ROBOT) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    cut=st.one_of(st.none(), st.integers(0, len(ROBOT))),
)
def test_byte_mutations_never_raise(edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(ROBOT)
    for offset, value in edits:
        data[offset] = value
    _verdict(bytes(data[:cut]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offset=st.integers(0, 40), value=st.integers(0, 2**32 - 1))
def test_header_word_mutations_never_raise(offset: int, value: int) -> None:
    """Lengths and magic live in the first 20 bytes and the BIN chunk header: hit them hard."""
    data = bytearray(ROBOT)
    data[offset : offset + 4] = value.to_bytes(4, "little")
    _verdict(bytes(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    array=st.sampled_from(
        [
            "buffers",
            "bufferViews",
            "accessors",
            "images",
            "textures",
            "meshes",
            "materials",
            "extensions",
            "extensionsUsed",
            "asset",
        ]
    ),
    index=st.integers(0, 5),
    key=st.sampled_from(
        [
            "buffer",
            "byteOffset",
            "byteLength",
            "byteStride",
            "count",
            "componentType",
            "type",
            "bufferView",
            "mimeType",
            "uri",
            "source",
            "sparse",
            "VRM",
            "version",
        ]
    ),
    value=json_values,
)
def test_json_field_mutations_never_raise(array: str, index: int, key: str, value: Any) -> None:
    glb = GODETTE_DOC.clone()
    target = glb.doc.get(array)
    if isinstance(target, list) and target:
        target = target[index % len(target)]
    if isinstance(target, dict):
        target[key] = value
    else:
        glb.doc[array] = value
    _verdict(glb.to_bytes())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=200))
def test_arbitrary_json_chunks_never_raise(payload: bytes) -> None:
    from tests.unit.models.glbkit import build_glb

    _verdict(build_glb(payload + b" " * (-len(payload) % 4), GODETTE_DOC.bin))
    _verdict(
        build_glb(json.dumps({"asset": {"version": "2.0"}, "x": payload.hex()}).encode(), None)
    )


ROBOT_DOC = split_glb(ROBOT)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    vrm1=st.booleans(),
    block=st.sampled_from(["meta", "humanoid", "specVersion", None]),
    key=st.sampled_from(
        [
            "texture",
            "thumbnailImage",
            "title",
            "name",
            "authors",
            "author",
            "humanBones",
            "licenseName",
            "commercialUsage",
            "allowRedistribution",
            "version",
        ]
    ),
    value=json_values,
)
def test_vrm_extension_mutations_never_raise(
    vrm1: bool, block: str | None, key: str, value: Any
) -> None:
    glb = (ROBOT_DOC if vrm1 else GODETTE_DOC).clone()
    extension = glb.doc["extensions"]["VRMC_vrm" if vrm1 else "VRM"]
    if block is None:
        glb.doc["extensions"]["VRMC_vrm" if vrm1 else "VRM"] = value
    elif isinstance(extension.get(block), dict):
        extension[block][key] = value
    else:
        extension[block] = value
    _verdict(glb.to_bytes())
