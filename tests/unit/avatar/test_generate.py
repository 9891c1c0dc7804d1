"""The shipped default avatars are exactly what the generator builds, on any run."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from app.avatar import AVATAR_FILES, DEFAULT_AVATAR_VERSIONS, default_avatar_path
from app.avatar.generate import main

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_regenerated_files_match_the_shipped_ones_byte_for_byte(tmp_path: Path) -> None:
    # A separate interpreter with another hash seed: no ordering may depend on hashing.
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-m", "app.avatar.generate", "--out", str(tmp_path)],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for version in DEFAULT_AVATAR_VERSIONS:
        fresh = (tmp_path / AVATAR_FILES[version]).read_bytes()
        shipped = default_avatar_path(version).read_bytes()
        assert fresh == shipped, _explain(AVATAR_FILES[version], fresh, shipped)
        meta = AVATAR_FILES[version] + ".meta.json"
        assert (tmp_path / meta).read_text() == (default_avatar_path(version).parent / meta
                                                 ).read_text(), f"{meta} is stale"


def _explain(name: str, fresh: bytes, shipped: bytes) -> str:
    """Say where the bytes part: a stale file, or only the zlib-compressed thumbnail."""
    at = next((i for i, (a, b) in enumerate(zip(fresh, shipped, strict=False)) if a != b),
              min(len(fresh), len(shipped)))
    (json_len,) = struct.unpack_from("<I", shipped, 12)
    doc = json.loads(shipped[20:20 + json_len])
    view = doc["bufferViews"][doc["images"][0]["bufferView"]]
    image_start = 20 + json_len + 8 + view.get("byteOffset", 0)
    if len(fresh) == len(shipped) and image_start <= at < image_start + view["byteLength"]:
        where = "inside the thumbnail PNG: this zlib build compresses differently"
    else:
        where = ("the file is stale: run python -m app.avatar.generate --out app/avatar/data "
                 "and commit the result (unless only the PNG's length moved: another zlib)")
    return f"{name} differs from a fresh build at byte {at}; {where}"


def test_in_process_generation_is_repeatable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out", str(tmp_path / "a")]) == 0
    assert main(["--out", str(tmp_path / "b")]) == 0
    for name in AVATAR_FILES.values():
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert "VRM 0.x" in capsys.readouterr().out


@pytest.mark.parametrize("version", DEFAULT_AVATAR_VERSIONS)
def test_shipped_files_stay_small(version: str) -> None:
    assert default_avatar_path(version).stat().st_size < 300_000  # type: ignore[arg-type]


def test_default_avatar_path_defaults_to_vrm1_and_rejects_unknown_versions() -> None:
    assert default_avatar_path() == default_avatar_path("1.0")
    assert default_avatar_path("0.x").name == "default_vrm0.vrm"
    assert default_avatar_path().is_file()
    with pytest.raises(ValueError, match=r"0\.x, 1\.0"):
        default_avatar_path("2.0")  # type: ignore[arg-type]
