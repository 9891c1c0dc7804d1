"""Builds the shipped default avatars: ``python -m app.avatar.generate --out app/avatar/data``.

Each ``.vrm`` gets a ``.vrm.meta.json`` beside it: the title, authors and licence the model
library lists, so the built-in avatar is never parsed at run time.

One figure, two writers: the VRM 0.x and 1.0 files differ only in facing and extensions.
The output is byte-identical across runs (no timestamps, rounded floats, sorted JSON), which
is what lets a test regenerate the files and compare them with the committed ones.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from app.atomic import atomic_write_bytes
from app.avatar import AVATAR_FILES, DEFAULT_AVATAR_VERSIONS, VrmVersion, vrm0, vrm1
from app.avatar.figure import Figure, build_figure
from app.avatar.gltf_writer import build_gltf, to_glb
from app.avatar.thumbnail import render_portrait
from app.models.library import write_builtin_meta

__all__ = ["build_all", "build_vrm", "main"]


def build_vrm(version: VrmVersion, figure: Figure, thumbnail_png: bytes) -> bytes:
    """The .vrm bytes of one variant."""
    if version == "1.0":
        layout = build_gltf(figure, frame=vrm1.frame, thumbnail_png=thumbnail_png,
                            material_extensions=vrm1.material_extension)
        return to_glb(layout, vrm1.vrm_extensions(layout))
    layout = build_gltf(figure, frame=vrm0.frame, thumbnail_png=thumbnail_png,
                        material_extensions=lambda _spec: None)
    return to_glb(layout, vrm0.vrm_extensions(layout, list(figure.materials)))


def build_all() -> dict[VrmVersion, bytes]:
    figure = build_figure()
    thumbnail = render_portrait(figure)
    return {version: build_vrm(version, figure, thumbnail) for version in DEFAULT_AVATAR_VERSIONS}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.avatar.generate",
                                     description="Regenerate the built-in default avatars.")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the .vrm files to")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for version, data in build_all().items():
        target = args.out / AVATAR_FILES[version]
        atomic_write_bytes(target, data)
        meta = write_builtin_meta(target)  # what the library lists, without parsing at run time
        print(f"{target} ({len(data)} bytes, VRM {version}) + {meta.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
