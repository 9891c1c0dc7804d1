"""Test inputs derived from the real fixtures at run time (nothing copied into the repo)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

__all__ = ["padded_vrm", "write_not_glb"]

_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
_BLOCK = 8 * 1024 * 1024


def padded_vrm(source: Path, dest: Path, extra_bytes: int) -> Path:
    """A still-valid VRM made big: the BIN chunk (and buffer 0) grow by ``extra_bytes`` zeros.

    Written in blocks, so making a 300 MB file never holds it in memory.
    """
    data = source.read_bytes()
    magic, version, _length = struct.unpack_from("<4sII", data, 0)
    json_length, json_type = struct.unpack_from("<II", data, 12)
    assert magic == b"glTF" and json_type == _CHUNK_JSON
    document = json.loads(data[20 : 20 + json_length])
    bin_offset = 20 + json_length
    bin_length, bin_type = struct.unpack_from("<II", data, bin_offset)
    assert bin_type == _CHUNK_BIN
    extra_bytes -= extra_bytes % 4
    document["buffers"][0]["byteLength"] = bin_length + extra_bytes
    json_bytes = json.dumps(document, separators=(",", ":")).encode()
    json_bytes += b" " * (-len(json_bytes) % 4)
    new_bin_length = bin_length + extra_bytes
    total = 12 + 8 + len(json_bytes) + 8 + new_bin_length
    with dest.open("wb") as out:
        out.write(struct.pack("<4sII", magic, version, total))
        out.write(struct.pack("<II", len(json_bytes), _CHUNK_JSON))
        out.write(json_bytes)
        out.write(struct.pack("<II", new_bin_length, _CHUNK_BIN))
        out.write(data[bin_offset + 8 : bin_offset + 8 + bin_length])
        zeros = bytes(_BLOCK)
        remaining = extra_bytes
        while remaining:
            step = min(remaining, _BLOCK)
            out.write(zeros[:step])
            remaining -= step
    return dest


def write_not_glb(dest: Path) -> Path:
    """A ZIP archive renamed to .vrm: the validator must say it is not a GLB."""
    dest.write_bytes(b"PK\x03\x04" + bytes(60))
    return dest
