"""Where a glTF buffer's bytes live (the GLB BIN chunk or a data: URI), and their bounds.

The bounds checks are pure arithmetic over the JSON and the chunk table, so a
1 GiB model is checked without reading its binary payload; only
:meth:`BufferSource.read_view` touches the file, and only for the view asked for.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from typing import BinaryIO, NoReturn

import pygltflib

from app.errors import ModelError
from app.models.document import ACCESSOR_TYPE_SIZES, COMPONENT_SIZES, Document
from app.models.glb import GlbLayout

__all__ = ["BufferSource", "check_bounds", "decode_data_uri"]


def decode_data_uri(uri: str) -> bytes:
    """The bytes of a ``data:`` URI; raises ValueError when it is malformed."""
    header, sep, data = uri.partition(",")
    if not uri.startswith("data:") or not sep:
        raise ValueError("not a data: URI")
    if header.endswith(";base64"):
        try:
            return base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"bad base64 ({exc})") from exc
    return urllib.parse.unquote_to_bytes(data)


def check_bounds(doc: Document, layout: GlbLayout) -> list[int]:
    """Check every buffer, view and accessor fits where it points; returns buffer lengths.

    Raises:
        ModelError: ``bad-buffer-view`` naming the first element out of bounds.
    """
    gltf = doc.gltf
    lengths: list[int] = []
    for index, buffer in enumerate(gltf.buffers):
        declared = int(buffer.byteLength)
        if buffer.uri is None:
            if index != 0:
                _fail(f"buffer {index} has no uri, but only buffer 0 may use the GLB's BIN chunk")
            if layout.bin is None:
                _fail("buffer 0 uses the GLB's BIN chunk, but the file has none")
            if declared > layout.bin.length:
                _fail(
                    f"buffer 0 declares {declared} bytes, "
                    f"but the BIN chunk holds {layout.bin.length}"
                )
        elif buffer.uri.startswith("data:"):
            try:
                available = len(decode_data_uri(buffer.uri))
            except ValueError as exc:
                _fail(f"buffer {index} has a broken data: URI ({exc})")
            if declared > available:
                _fail(
                    f"buffer {index} declares {declared} bytes but its data: URI holds {available}"
                )
        else:
            _fail(
                f"buffer {index} refers to an external file ({buffer.uri[:80]!r}); "
                "a .vrm must carry all its data inside"
            )
        lengths.append(declared)
    views = gltf.bufferViews
    for index, view in enumerate(views):
        if view.buffer >= len(lengths):
            _fail(f"bufferView {index} refers to buffer {view.buffer}, which does not exist")
        end = (view.byteOffset or 0) + view.byteLength
        if end > lengths[view.buffer]:
            _fail(
                f"bufferView {index} ends at byte {end}, past the end of buffer {view.buffer} "
                f"({lengths[view.buffer]} bytes)"
            )
    for index, accessor in enumerate(gltf.accessors):
        component = COMPONENT_SIZES[accessor.componentType]
        element = _element_size(accessor.type, component)
        if accessor.bufferView is not None:
            view = _view(views, accessor.bufferView, f"accessor {index}")
            stride = view.byteStride or element
            need = (accessor.byteOffset or 0) + stride * (accessor.count - 1) + element
            if need > view.byteLength:
                _fail(
                    f"accessor {index} needs {need} bytes but bufferView {accessor.bufferView} "
                    f"has {view.byteLength}"
                )
        sparse = accessor.sparse
        if sparse is not None:
            indices = _view(views, sparse.indices.bufferView, f"accessor {index} sparse indices")
            need = (sparse.indices.byteOffset or 0) + sparse.count * COMPONENT_SIZES[
                sparse.indices.componentType
            ]
            if need > indices.byteLength:
                _fail(
                    f"accessor {index}'s sparse indices need {need} bytes, "
                    f"their bufferView has {indices.byteLength}"
                )
            values = _view(views, sparse.values.bufferView, f"accessor {index} sparse values")
            need = (sparse.values.byteOffset or 0) + sparse.count * element
            if need > values.byteLength:
                _fail(
                    f"accessor {index}'s sparse values need {need} bytes, "
                    f"their bufferView has {values.byteLength}"
                )
    return lengths


class BufferSource:
    """Reads the bytes of one buffer view at a time from the open model file."""

    def __init__(self, handle: BinaryIO, layout: GlbLayout, doc: Document) -> None:
        self._handle = handle
        self._layout = layout
        self._doc = doc
        self._decoded: dict[int, bytes] = {}

    def read_view(self, view_index: int, limit: int | None = None) -> bytes:
        """The view's bytes (at most ``limit`` of them); bounds were checked by check_bounds."""
        view = self._doc.gltf.bufferViews[view_index]
        start = view.byteOffset or 0
        length = view.byteLength if limit is None else min(limit, view.byteLength)
        buffer = self._doc.gltf.buffers[view.buffer]
        if buffer.uri is None:
            assert self._layout.bin is not None  # guaranteed by check_bounds
            self._handle.seek(self._layout.bin.offset + start)
            return self._handle.read(length)
        if view.buffer not in self._decoded:
            self._decoded[view.buffer] = decode_data_uri(buffer.uri)
        return self._decoded[view.buffer][start : start + length]


def _element_size(kind: str, component: int) -> int:
    count = ACCESSOR_TYPE_SIZES[kind]
    if kind.startswith("MAT"):
        columns = {"MAT2": 2, "MAT3": 3, "MAT4": 4}[kind]
        column_bytes = -(-(columns * component) // 4) * 4  # columns start on 4-byte boundaries
        return columns * column_bytes
    return count * component


def _view(views: list[pygltflib.BufferView], index: int, who: str) -> pygltflib.BufferView:
    if index >= len(views):
        _fail(f"{who} refers to bufferView {index}, which does not exist")
    return views[index]


def _fail(message: str) -> NoReturn:
    raise ModelError(
        f"The model's binary data is inconsistent: {message}.", reason="bad-buffer-view"
    )
