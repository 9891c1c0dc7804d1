"""Take real VRM files apart and put (deliberately broken) ones back together, for tests."""

from __future__ import annotations

import copy
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Glb", "build_glb", "split_glb"]

JSON_KIND = 0x4E4F534A
BIN_KIND = 0x004E4942


@dataclass
class Glb:
    """A GLB's JSON (as a dict) and its BIN payload."""

    doc: dict[str, Any]
    bin: bytes

    def clone(self) -> Glb:
        return Glb(copy.deepcopy(self.doc), self.bin)

    def to_bytes(self) -> bytes:
        return build_glb(self.doc, self.bin)

    def write(self, path: Path) -> Path:
        path.write_bytes(self.to_bytes())
        return path

    @property
    def json_chunk_end(self) -> int:
        """Offset just after the JSON chunk payload (where the BIN chunk header starts)."""
        return 20 + len(_json_payload(self.doc))


def split_glb(data: bytes) -> Glb:
    (json_length,) = struct.unpack_from("<I", data, 12)
    doc = json.loads(data[20 : 20 + json_length])
    bin_start = 20 + json_length
    (bin_length,) = struct.unpack_from("<I", data, bin_start)
    return Glb(doc, data[bin_start + 8 : bin_start + 8 + bin_length])


def build_glb(doc: dict[str, Any] | bytes, binary: bytes | None, *, version: int = 2) -> bytes:
    """A GLB from parts, padded as the spec says; ``doc`` may be raw JSON bytes."""
    payload = doc if isinstance(doc, bytes) else _json_payload(doc)
    chunks = struct.pack("<II", len(payload), JSON_KIND) + payload
    if binary is not None:
        padded = binary + b"\0" * (-len(binary) % 4)
        chunks += struct.pack("<II", len(padded), BIN_KIND) + padded
    return struct.pack("<4sII", b"glTF", version, 12 + len(chunks)) + chunks


def _json_payload(doc: dict[str, Any]) -> bytes:
    raw = json.dumps(doc, separators=(",", ":")).encode()
    return raw + b" " * (-len(raw) % 4)
