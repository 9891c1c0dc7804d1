"""Benchmark: import throughput and peak memory of the model library on a big VRM.

Generates a VRM-shaped GLB (valid VRM 1.0 JSON, a PNG thumbnail, hundreds of
buffer views over a large BIN chunk) of ``--size-mb`` megabytes, then measures
validation alone, a full import (copy + sha256 + re-validation), a duplicate
import, and a plain copy+hash of the same file as the yardstick. Prints figures
and ratios; asserts nothing (targets are read by people, not by timed tests).

    python bench/models_import.py [--size-mb 200] [--dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import struct
import sys
import tempfile
import time
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.models.library import ModelLibrary
from app.models.validate import inspect_file

__all__ = ["main"]

MIB = 1024 * 1024
T = TypeVar("T")


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0\xff\x80\x40")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def generate(path: Path, size_mb: int) -> int:
    """Write a valid VRM 1.0 of about ``size_mb`` MiB without holding it in memory."""
    png = tiny_png()
    png_padded = png + b"\0" * (-len(png) % 4)
    block = os.urandom(MIB)
    views = [{"buffer": 0, "byteOffset": 0, "byteLength": len(png)}]
    accessors = []
    offset = len(png_padded)
    for _ in range(size_mb):
        views.append({"buffer": 0, "byteOffset": offset, "byteLength": MIB})
        accessors.append(
            {
                "bufferView": len(views) - 1,
                "componentType": 5126,
                "count": MIB // 12,
                "type": "VEC3",
            }
        )
        offset += MIB
    doc = {
        "asset": {"version": "2.0", "generator": "companion-stage bench"},
        "extensionsUsed": ["VRMC_vrm"],
        "extensions": {
            "VRMC_vrm": {
                "specVersion": "1.0",
                "meta": {
                    "name": "Bench",
                    "authors": ["bench"],
                    "licenseUrl": "https://vrm.dev/licenses/1.0/",
                    "avatarPermission": "everyone",
                    "commercialUsage": "corporation",
                    "thumbnailImage": 0,
                },
                "humanoid": {"humanBones": {"hips": {"node": 0}}},
            }
        },
        "nodes": [{"name": "hips"}],
        "buffers": [{"byteLength": offset}],
        "bufferViews": views,
        "accessors": accessors,
        "images": [{"bufferView": 0, "mimeType": "image/png"}],
        "meshes": [],
        "materials": [],
    }
    payload = json.dumps(doc).encode()
    payload += b" " * (-len(payload) % 4)
    total = 12 + 8 + len(payload) + 8 + offset
    with path.open("wb") as out:
        out.write(struct.pack("<4sII", b"glTF", 2, total))
        out.write(struct.pack("<II", len(payload), 0x4E4F534A) + payload)
        out.write(struct.pack("<II", offset, 0x004E4942) + png_padded)
        for _ in range(size_mb):
            out.write(block)
    return total


def measure(
    label: str, fn: Callable[[], T], reset: Callable[[], object] = lambda: None
) -> tuple[T, float, int]:
    """Time ``fn`` untraced, then run it again under tracemalloc for its peak allocations.

    ``reset`` undoes the first run's effect (tracemalloc slows allocation-heavy code
    several-fold, so one traced run would misstate the time).
    """
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    reset()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<28} {seconds:8.3f} s   peak Python allocations {peak / MIB:8.2f} MiB")
    return result, seconds, peak


def outcome_id(library: ModelLibrary) -> str:
    return library.list()[0].id


def copy_and_hash(src: Path, dst: Path) -> str:
    hasher = hashlib.sha256()
    with src.open("rb") as inp, dst.open("wb") as out:
        while chunk := inp.read(MIB):
            hasher.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return hasher.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument(
        "--dir", type=Path, default=None, help="scratch folder (default: a temp dir)"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="models-bench-", dir=args.dir))
    try:
        source = scratch / "big.vrm"
        start = time.perf_counter()
        size = generate(source, args.size_mb)
        print(
            f"generated {source.name}: {size / MIB:.1f} MiB in {time.perf_counter() - start:.2f} s"
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        mb = size / 1e6

        inspection, t_inspect, _ = measure("validate (inspect_file)", lambda: inspect_file(source))
        assert inspection.ok, inspection.message
        library = ModelLibrary(scratch / "models", max_bytes=2 * size, builtin=None)
        calls: list[int] = []
        outcome, t_import, peak_import = measure(
            "import (copy+hash+verify)",
            lambda: library.import_file(source, progress=lambda d, t: calls.append(d)),
            reset=lambda: library.remove(outcome_id(library)),
        )
        assert outcome.added
        again, _, _ = measure("import again (duplicate)", lambda: library.import_file(source))
        assert not again.added
        digest, t_plain, _ = measure(
            "plain copy+sha256", lambda: copy_and_hash(source, scratch / "plain.bin")
        )
        assert digest == outcome.entry.id
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        print()
        print(f"file size                    {mb:8.1f} MB")
        print(f"validation throughput        {mb / t_inspect:8.1f} MB/s")
        print(
            f"import throughput            {mb / t_import:8.1f} MB/s  "
            f"({len(calls) // 2} progress callbacks)"
        )
        print(f"plain copy+hash throughput   {mb / t_plain:8.1f} MB/s")
        print(f"import / plain copy ratio    {t_import / t_plain:8.2f} x the time")
        print(
            f"peak Python memory (import)  {peak_import / MIB:8.2f} MiB "
            f"= {peak_import / size * 100:.2f} % of the file"
        )
        print(
            f"max RSS before / after       {rss_before / 1024:8.1f} / {rss_after / 1024:.1f} MiB "
            f"(grew {(rss_after - rss_before) / 1024:.1f} MiB)"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
