"""The glTF JSON chunk, parsed and type-checked before anything trusts it.

pygltflib turns the JSON into typed objects but coerces quietly (``"VRM"`` becomes
``["V", "R", "M"]``, ``1.5`` becomes ``1``), so the fields the bounds and image
checks rely on are type-checked here first; a wrong type is ``bad-json``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final, NoReturn

import pygltflib

from app.errors import ModelError
from app.muted_warnings import muted_warnings

__all__ = ["ACCESSOR_TYPE_SIZES", "COMPONENT_SIZES", "Document", "parse_document"]

#: Bytes per component, by accessor ``componentType``.
COMPONENT_SIZES: Final = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
#: Components per element, by accessor ``type``.
ACCESSOR_TYPE_SIZES: Final = {
    "SCALAR": 1,
    "VEC2": 2,
    "VEC3": 3,
    "VEC4": 4,
    "MAT2": 4,
    "MAT3": 9,
    "MAT4": 16,
}

#: The parts pygltflib types for the checks; the rest (nodes, meshes, animations…) stays raw,
#: as typing it costs ~0.25 ms per object and nothing here reads it.
_TYPED: Final = ("asset", "buffers", "bufferViews", "accessors", "images", "textures")
#: pygltflib (through dataclasses_json) warns about every optional glTF field it finds
#: absent; those warnings are muted while it parses (app/muted_warnings.py: imports on several
#: threads, and the shortcuts probe, take turns at the process-wide filter list).
_ARRAYS: Final = (
    "buffers",
    "bufferViews",
    "accessors",
    "images",
    "textures",
    "meshes",
    "materials",
    "nodes",
    "extensionsUsed",
)


@dataclass(frozen=True)
class Document:
    """The raw JSON (extensions stay plain dicts) and pygltflib's typed view of the data parts."""

    raw: dict[str, Any]
    gltf: pygltflib.GLTF2


def parse_document(payload: bytes) -> Document:
    """Parse a JSON chunk's bytes into a checked :class:`Document`.

    Raises:
        ModelError: ``bad-json`` naming the first problem (line/column or field path).
    """
    try:
        text = payload.rstrip(b" \t\r\n\0").decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelError(
            f"The model's JSON is not valid UTF-8 (byte {exc.start}).", reason="bad-json"
        ) from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(
            f"The model's JSON is broken at line {exc.lineno}, column {exc.colno}: {exc.msg}.",
            reason="bad-json",
        ) from exc
    except RecursionError as exc:
        raise ModelError(
            "The model's JSON is nested too deeply to read.", reason="bad-json"
        ) from exc
    if not isinstance(raw, dict):
        raise ModelError("The model's JSON is not an object.", reason="bad-json")
    _check_types(raw)
    try:
        with muted_warnings(Warning):
            gltf = pygltflib.GLTF2.from_dict({k: raw[k] for k in _TYPED if k in raw})
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"The model's JSON is not valid glTF: {exc}.", reason="bad-json") from exc
    return Document(raw=raw, gltf=gltf)


def _check_types(raw: dict[str, Any]) -> None:
    asset = raw.get("asset")
    if not isinstance(asset, dict) or not isinstance(asset.get("version"), str):
        _fail("asset.version", "a string such as \"2.0\" (the glTF 'asset' block is missing)")
    for key in _ARRAYS:
        value = raw.get(key)
        if value is not None and not isinstance(value, list):
            _fail(key, "a list")
    for index, name in enumerate(raw.get("extensionsUsed") or []):
        if not isinstance(name, str):
            _fail(f"extensionsUsed[{index}]", "a string")
    if raw.get("extensions") is not None and not isinstance(raw["extensions"], dict):
        _fail("extensions", "an object")
    for where, item in _items(raw, "buffers"):
        _int(item, where, "byteLength", required=True)
        _str(item, where, "uri")
    for where, item in _items(raw, "bufferViews"):
        _int(item, where, "buffer", required=True)
        _int(item, where, "byteOffset")
        _int(item, where, "byteLength", required=True, minimum=1)
        _int(item, where, "byteStride", minimum=1)
    for where, item in _items(raw, "accessors"):
        _int(item, where, "bufferView")
        _int(item, where, "byteOffset")
        _int(item, where, "count", required=True, minimum=1)
        _enum(item, where, "componentType", COMPONENT_SIZES)
        _enum(item, where, "type", ACCESSOR_TYPE_SIZES)
        sparse = item.get("sparse")
        if sparse is not None:
            _check_sparse(sparse, f"{where}.sparse")
    for where, item in _items(raw, "images"):
        _int(item, where, "bufferView")
        _str(item, where, "uri")
        _str(item, where, "mimeType")
    for where, item in _items(raw, "textures"):
        _int(item, where, "source")
    for key in ("meshes", "materials", "nodes"):
        _items(raw, key)  # each must at least be an object


def _check_sparse(sparse: Any, where: str) -> None:
    if not isinstance(sparse, dict):
        _fail(where, "an object")
    _int(sparse, where, "count", required=True, minimum=1)
    for part in ("indices", "values"):
        block = sparse.get(part)
        if not isinstance(block, dict):
            _fail(f"{where}.{part}", "an object")
        _int(block, f"{where}.{part}", "bufferView", required=True)
        _int(block, f"{where}.{part}", "byteOffset")
    _enum(sparse["indices"], f"{where}.indices", "componentType", (5121, 5123, 5125))


def _items(raw: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(raw.get(key) or []):
        if not isinstance(item, dict):
            _fail(f"{key}[{index}]", "an object")
        found.append((f"{key}[{index}]", item))
    return found


def _int(
    item: dict[str, Any], where: str, name: str, *, required: bool = False, minimum: int = 0
) -> None:
    value = item.get(name)
    if value is None:
        if required:
            _fail(f"{where}.{name}", "present")
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        _fail(f"{where}.{name}", f"an integer >= {minimum}, not {value!r}"[:120])


def _str(item: dict[str, Any], where: str, name: str) -> None:
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        _fail(f"{where}.{name}", "a string")


def _enum(item: dict[str, Any], where: str, name: str, allowed: Collection[Any]) -> None:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str) or value not in allowed:
        _fail(f"{where}.{name}", f"one of {', '.join(map(str, allowed))}, not {value!r}"[:160])


def _fail(path: str, expected: str) -> NoReturn:
    raise ModelError(
        f"The model's JSON is not valid glTF: {path} must be {expected}.", reason="bad-json"
    )
