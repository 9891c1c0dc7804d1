"""The GLB container: header and chunk table, read without touching the binary payload.

A ``.vrm`` is a GLB file. Everything later (JSON parsing, bounds checks, image
sniffing) trusts the layout found here, so this module is strict about lengths
and reads only the 12-byte header and the 8-byte chunk headers; the JSON chunk is
read by the caller, the BIN chunk never in full.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Final

import pygltflib

from app.errors import ModelError

__all__ = [
    "CHUNK_BIN",
    "CHUNK_JSON",
    "GLB_MAGIC",
    "Chunk",
    "GlbLayout",
    "describe_foreign_bytes",
    "read_layout",
]

GLB_MAGIC: Final = pygltflib.MAGIC  # b"glTF"
GLB_VERSION: Final = pygltflib.GLTF_VERSION  # 2
CHUNK_JSON: Final = 0x4E4F534A  # "JSON" little-endian
CHUNK_BIN: Final = 0x004E4942  # "BIN\0" little-endian
MAX_CHUNKS: Final = 1024

_HEADER: Final = struct.Struct("<4sII")
_CHUNK_HEADER: Final = struct.Struct("<II")


@dataclass(frozen=True)
class Chunk:
    """One chunk's payload position inside the file."""

    kind: int
    offset: int
    length: int


@dataclass(frozen=True)
class GlbLayout:
    """Where the JSON and (optional) BIN payloads are; ``size`` is the file's real size."""

    size: int
    json: Chunk
    bin: Chunk | None


def read_layout(handle: BinaryIO, size: int) -> GlbLayout:
    """Read the header and chunk table of the GLB open in ``handle`` (``size`` bytes long).

    Raises:
        ModelError: ``not-glb`` for a wrong magic or version, ``truncated`` when a
            declared length does not match the bytes present, ``bad-json`` when
            there is no JSON chunk first.
    """
    handle.seek(0)
    head = handle.read(_HEADER.size)
    if len(head) < _HEADER.size:
        if head and head[:4] == GLB_MAGIC[: len(head[:4])]:
            raise ModelError(
                f"The file is only {len(head)} bytes long; a GLB header alone needs 12. "
                "It was probably cut off while downloading or copying.",
                reason="truncated",
            )
        what = "empty" if not head else describe_foreign_bytes(head)
        raise ModelError(f"This is not a VRM/GLB file: it is {what}.", reason="not-glb")
    magic, version, declared = _HEADER.unpack(head)
    if magic != GLB_MAGIC:
        handle.seek(0)
        raise ModelError(
            f"This is not a VRM/GLB file: it is {describe_foreign_bytes(handle.read(512))}.",
            reason="not-glb",
        )
    if version != GLB_VERSION:
        raise ModelError(
            f"This is a GLB container of version {version}; VRM needs glTF 2.0 (GLB version 2). "
            "Re-export the model as VRM.",
            reason="not-glb",
        )
    if declared != size:
        if declared > size:
            detail = f"is only {size} bytes long but its header says {declared}: it was cut off"
        else:
            detail = f"is {size} bytes long but its header says {declared}: it has stray bytes"
        raise ModelError(f"The file {detail} (damaged download or copy?).", reason="truncated")
    chunks = _read_chunks(handle, size)
    if not chunks or chunks[0].kind != CHUNK_JSON:
        found = (
            "no chunks at all" if not chunks else f"a chunk of type {_kind_name(chunks[0].kind)}"
        )
        raise ModelError(f"The GLB has no JSON chunk first (found {found}).", reason="bad-json")
    binary = next((c for c in chunks[1:] if c.kind == CHUNK_BIN), None)
    return GlbLayout(size=size, json=chunks[0], bin=binary)


def _read_chunks(handle: BinaryIO, size: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    position = _HEADER.size
    while position < size:
        if len(chunks) >= MAX_CHUNKS:
            raise ModelError(f"The GLB has more than {MAX_CHUNKS} chunks.", reason="not-glb")
        handle.seek(position)
        raw = handle.read(_CHUNK_HEADER.size)
        if len(raw) < _CHUNK_HEADER.size:
            raise ModelError(
                f"The file ends inside the header of chunk {len(chunks)} (byte {position}).",
                reason="truncated",
            )
        length, kind = _CHUNK_HEADER.unpack(raw)
        remaining = size - position - _CHUNK_HEADER.size
        if length > remaining:
            raise ModelError(
                f"Chunk {len(chunks)} ({_kind_name(kind)}) declares {length} bytes but only "
                f"{remaining} remain in the file: it was cut off.",
                reason="truncated",
            )
        chunks.append(Chunk(kind=kind, offset=position + _CHUNK_HEADER.size, length=length))
        position += _CHUNK_HEADER.size + length
    return chunks


def _kind_name(kind: int) -> str:
    raw = struct.pack("<I", kind)
    text = raw.rstrip(b"\0").decode("ascii", "replace")
    return text if text.isprintable() and text else f"0x{kind:08x}"


def describe_foreign_bytes(head: bytes) -> str:
    """Name what a non-GLB file most likely is, from its first bytes, with advice."""
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"{"):
        if b'"asset"' in head or b'"extensionsUsed"' in head or b'"scenes"' in head:
            return (
                "a glTF JSON text file (.gltf); import a single binary .vrm instead "
                "(export the model as VRM, or convert the .gltf to .glb/.vrm)"
            )
        return "a JSON text file, not a binary VRM model"
    if stripped.startswith(b"<"):
        return "a text/HTML/XML file (a download page instead of the model?)"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "a ZIP archive; extract it and import the .vrm file inside"
    if head.startswith(b"Kaydara FBX Binary"):
        return (
            "an FBX model; export it as VRM first (e.g. with UniVRM or the VRM add-on for Blender)"
        )
    if head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff"):
        return "an image, not a 3D model"
    return "not a binary glTF (its first bytes are not 'glTF')"
