"""Every real fixture validates, and each kind of malformed file gets its own reason code."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from app.errors import ModelError
from app.models.validate import REASONS, inspect_file, read_meta
from tests.conftest import REAL_FIXTURES, real_vrm_files
from tests.unit.models.glbkit import Glb, build_glb, split_glb

#: What each real fixture says about itself (read from the files' JSON by hand).
EXPECTED = {
    "cryptovoxels_vrm0.vrm": ("0.x", "cryptovoxels", ["jin"], "other licence"),
    "debug_robot_vrm1.vrm": (
        "1.0",
        "VRM Animation Debug Robot",
        ["@saturday06"],
        "VRM Public License 1.0",
    ),
    "godette_vrm0.vrm": ("0.x", "Low-Poly Godette", ["SirRichard94"], "CC BY"),
    "isBinary_overrides_vrm1.vrm": (
        "1.0",
        "isBinary overrides",
        ["pixiv Inc."],
        "VRM Public License 1.0",
    ),
    "mtoon_uv_animation_vrm1.vrm": (
        "1.0",
        "VRMC_materials_mtoon UV Animation Test",
        ["pixiv Inc."],
        "VRM Public License 1.0",
    ),
    "sphere_vrm0.vrm": ("0.x", "sphere", ["FMS_Cat"], "CC0"),
}


def _expected_thumbnail(glb: Glb) -> bytes | None:
    """The thumbnail bytes found by walking the spec's references independently."""
    ext = glb.doc["extensions"]
    if "VRM" in ext:
        texture = ext["VRM"]["meta"].get("texture", -1)
        if texture is None or texture < 0:
            return None
        image = glb.doc["textures"][texture]["source"]
    else:
        image = ext["VRMC_vrm"]["meta"].get("thumbnailImage")
        if image is None:
            return None
    view = glb.doc["bufferViews"][glb.doc["images"][image]["bufferView"]]
    start = view.get("byteOffset", 0)
    return glb.bin[start : start + view["byteLength"]]


@pytest.mark.parametrize("path", real_vrm_files(), ids=lambda p: p.name)
def test_real_fixture_validates_with_its_metadata(path: Path) -> None:
    result = inspect_file(path, max_bytes=1 << 30)
    assert result.ok, result.message
    assert result.reason is None
    meta = result.meta
    assert meta is not None
    vrm_version, title, authors, licence = EXPECTED[path.name]
    assert (meta.vrm_version, meta.title, meta.authors) == (vrm_version, title, authors)
    assert meta.licence_summary.startswith(licence)
    glb = split_glb(path.read_bytes())
    assert meta.thumbnail == _expected_thumbnail(glb)
    if meta.thumbnail is not None:
        assert meta.thumbnail_mime in ("image/png", "image/jpeg")
    assert meta.mesh_count == len(glb.doc["meshes"])
    assert meta.material_count == len(glb.doc["materials"])
    ext = glb.doc["extensions"]["VRM" if vrm_version == "0.x" else "VRMC_vrm"]
    assert meta.humanoid_bone_count == len(ext["humanoid"]["humanBones"]) > 10
    assert result.size == path.stat().st_size
    as_json = result.to_json()
    assert as_json["vrmVersion"] == vrm_version and as_json["title"] == title
    json.dumps(as_json)  # serialisable, thumbnail as a size only


def test_godette_is_vrm0_despite_listing_vrmc_mtoon() -> None:
    path = REAL_FIXTURES / "godette_vrm0.vrm"
    assert "VRMC_materials_mtoon" in split_glb(path.read_bytes()).doc["extensionsUsed"]
    meta = read_meta(path)
    assert meta.vrm_version == "0.x"
    assert meta.thumbnail is not None and meta.thumbnail.startswith(b"\xff\xd8\xff")
    assert meta.licence["licenseName"] == "CC_BY"
    assert meta.contact == "https://github.com/SirRichard94/low-poly-godette"


def test_vrm1_licence_fields_are_kept_raw() -> None:
    meta = read_meta(REAL_FIXTURES / "debug_robot_vrm1.vrm")
    assert meta.licence["avatarPermission"] == "everyone"
    assert meta.licence["commercialUsage"] == "corporation"
    assert meta.licence["allowRedistribution"] == "true"
    assert meta.spec_version == "1.0"


def test_vrm1_thumbnail_image_is_read(tmp_path: Path) -> None:
    glb = split_glb((REAL_FIXTURES / "debug_robot_vrm1.vrm").read_bytes())
    glb.doc["extensions"]["VRMC_vrm"]["meta"]["thumbnailImage"] = 1
    meta = read_meta(glb.write(tmp_path / "thumb.vrm"))
    assert meta.thumbnail == _expected_thumbnail(glb)
    assert meta.thumbnail is not None and meta.thumbnail.startswith(b"\x89PNG")
    assert meta.thumbnail_mime == "image/png"


# -- the malformed corpus -------------------------------------------------------------------------


def _godette() -> Glb:
    return split_glb((REAL_FIXTURES / "godette_vrm0.vrm").read_bytes())


def _robot() -> Glb:
    return split_glb((REAL_FIXTURES / "debug_robot_vrm1.vrm").read_bytes())


def _with(base: Callable[[], Glb], change: Callable[[Glb], object]) -> bytes:
    glb = base()
    change(glb)
    return glb.to_bytes()


def _set_length(data: bytes) -> bytes:
    """Fix the header's total length after a cut, so only the chunk table is wrong."""
    return data[:8] + struct.pack("<I", len(data)) + data[12:]


def _cut_json(base: Callable[[], Glb], keep: int) -> bytes:
    """A GLB whose JSON chunk holds only the first ``keep`` bytes (all lengths consistent)."""
    glb = base()
    payload = json.dumps(glb.doc).encode()[:keep]
    return build_glb(payload + b" " * (-len(payload) % 4), glb.bin)


def _image_view(glb: Glb, image: int) -> tuple[int, int]:
    view = glb.doc["bufferViews"][glb.doc["images"][image]["bufferView"]]
    return view.get("byteOffset", 0), view["byteLength"]


def _patch_bin(glb: Glb, offset: int, data: bytes) -> None:
    glb.bin = glb.bin[:offset] + data + glb.bin[offset + len(data) :]


def _drop_vrm(glb: Glb) -> None:
    glb.doc["extensionsUsed"] = [
        e for e in glb.doc["extensionsUsed"] if e not in ("VRM", "VRMC_vrm")
    ]
    glb.doc["extensions"].pop("VRM", None)
    glb.doc["extensions"].pop("VRMC_vrm", None)


def _zip_of_vrm() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("avatar/godette.vrm", (REAL_FIXTURES / "godette_vrm0.vrm").read_bytes())
    return out.getvalue()


def _chunk_boundary_cuts() -> dict[str, tuple[bytes, str, str]]:
    cases: dict[str, tuple[bytes, str, str]] = {}
    for name, base in (("godette", _godette), ("robot", _robot)):
        data = base().to_bytes()
        json_end = base().json_chunk_end
        boundaries = {
            "header": 12,
            "json-header": 20,
            "bin-header": json_end,
            "bin-start": json_end + 8,
        }
        for where, offset in boundaries.items():
            cases[f"{name}-cut-at-{where}"] = (data[:offset], "truncated", "cut off")
        for fraction in (1, 2, 3):  # inside the JSON
            offset = 20 + (json_end - 20) * fraction // 4
            cases[f"{name}-cut-in-json-{fraction}/4"] = (data[:offset], "truncated", "cut off")
        cases[f"{name}-cut-last-byte"] = (data[:-1], "truncated", "cut off")
        cases[f"{name}-cut-in-header"] = (data[:7], "truncated", "12")
        # The same cuts with the total length patched: the chunk table must catch them.
        cases[f"{name}-header-only"] = (_set_length(data[:12]), "bad-json", "no JSON chunk")
        cases[f"{name}-no-bin-chunk"] = (_set_length(data[:json_end]), "bad-buffer-view", "BIN")
        cases[f"{name}-empty-bin-chunk"] = (
            _set_length(data[: json_end + 8]),
            "truncated",
            "chunk 1",
        )
        cases[f"{name}-cut-in-chunk-header"] = (
            _set_length(data[: json_end + 4]),
            "truncated",
            "header of chunk 1",
        )
        cases[f"{name}-json-cut-consistently"] = (
            _cut_json(base, (json_end - 20) // 2),
            "bad-json",
            "line",
        )
    return cases


def _corpus() -> dict[str, tuple[bytes, str, str]]:
    godette = _godette().to_bytes()
    cases = _chunk_boundary_cuts()
    cases.update(
        {
            "empty-file": (b"", "not-glb", "empty"),
            "wrong-magic": (b"gLTF" + godette[4:], "not-glb", "not a binary glTF"),
            "glb-version-1": (
                godette[:4] + struct.pack("<I", 1) + godette[8:],
                "not-glb",
                "version 1",
            ),
            "gltf-json-file": (json.dumps(_godette().doc).encode(), "not-glb", ".gltf"),
            "zip-file": (_zip_of_vrm(), "not-glb", "avatar/godette.vrm"),
            "fbx-file": (b"Kaydara FBX Binary  \0\x1a\0" + bytes(100), "not-glb", "FBX"),
            "declared-length-too-big": (
                godette[:8] + struct.pack("<I", len(godette) + 4096) + godette[12:],
                "truncated",
                "cut off",
            ),
            "declared-length-too-small": (
                godette[:8] + struct.pack("<I", len(godette) - 4) + godette[12:],
                "truncated",
                "stray bytes",
            ),
            "json-chunk-length-huge": (
                godette[:12] + struct.pack("<I", 0x7FFFFFF0) + godette[16:],
                "truncated",
                "chunk 0 (JSON)",
            ),
            "bin-chunk-length-huge": (
                _bin_length(godette, 0x7FFFFFF0),
                "truncated",
                "chunk 1 (BIN)",
            ),
            "stray-trailing-bytes": (
                _set_length(godette + b"\0\0\0"),
                "truncated",
                "header of chunk 2",
            ),
            "first-chunk-is-bin": (_first_chunk_bin(godette), "bad-json", "BIN"),
            "json-not-parseable": (
                build_glb(b"{not json}  ", _godette().bin),
                "bad-json",
                "line 1",
            ),
            "json-not-utf8": (build_glb(b'{"a":"\xff"} ', _godette().bin), "bad-json", "UTF-8"),
            "json-is-a-list": (build_glb(b"[1, 2]", _godette().bin), "bad-json", "not an object"),
            "json-no-asset": (_with(_godette, lambda g: g.doc.pop("asset")), "bad-json", "asset"),
            "json-views-not-list": (
                _with(_godette, lambda g: g.doc.update(bufferViews="x")),
                "bad-json",
                "bufferViews must be a list",
            ),
            "json-view-length-string": (
                _with(_godette, lambda g: g.doc["bufferViews"][0].update(byteLength="9")),
                "bad-json",
                "bufferViews[0].byteLength",
            ),
            "json-extensions-used-string": (
                _with(_godette, lambda g: g.doc.update(extensionsUsed="VRM")),
                "bad-json",
                "extensionsUsed",
            ),
            "json-accessor-bad-type": (
                _with(_godette, lambda g: g.doc["accessors"][0].update(type="VEC7")),
                "bad-json",
                "accessors[0].type",
            ),
            "json-deeply-nested": (
                build_glb(b"[" * 100_000 + b"]" * 100_000, None),
                "bad-json",
                "nested",
            ),
            "gltf-1-asset": (
                _with(_godette, lambda g: g.doc["asset"].update(version="1.0")),
                "not-glb",
                "glTF 1.0",
            ),
            "plain-gltf-0x": (_with(_godette, _drop_vrm), "not-vrm", "Export it as VRM"),
            "plain-gltf-1": (_with(_robot, _drop_vrm), "not-vrm", "Export it as VRM"),
            "vrm-listed-without-data": (
                _with(_robot, lambda g: g.doc["extensions"].pop("VRMC_vrm")),
                "not-vrm",
                "no VRMC_vrm data",
            ),
            "vrm1-spec-2.0": (
                _with(_robot, lambda g: g.doc["extensions"]["VRMC_vrm"].update(specVersion="2.0")),
                "unsupported-vrm-version",
                "'2.0'",
            ),
            "vrm1-spec-beta": (
                _with(
                    _robot, lambda g: g.doc["extensions"]["VRMC_vrm"].update(specVersion="1.0-beta")
                ),
                "unsupported-vrm-version",
                "1.0-beta",
            ),
            "vrm1-spec-missing": (
                _with(_robot, lambda g: g.doc["extensions"]["VRMC_vrm"].pop("specVersion")),
                "unsupported-vrm-version",
                "None",
            ),
            "vrm0-spec-1.0": (
                _with(_godette, lambda g: g.doc["extensions"]["VRM"].update(specVersion="1.0")),
                "unsupported-vrm-version",
                "0.x",
            ),
            "view-past-buffer": (
                _with(_godette, lambda g: g.doc["bufferViews"][3].update(byteOffset=len(g.bin))),
                "bad-buffer-view",
                "bufferView 3",
            ),
            "view-of-missing-buffer": (
                _with(_godette, lambda g: g.doc["bufferViews"][0].update(buffer=5)),
                "bad-buffer-view",
                "buffer 5",
            ),
            "buffer-longer-than-bin": (
                _with(_godette, lambda g: g.doc["buffers"][0].update(byteLength=len(g.bin) + 64)),
                "bad-buffer-view",
                "BIN chunk holds",
            ),
            "buffer-external-uri": (
                _with(_godette, lambda g: g.doc["buffers"][0].update(uri="model.bin")),
                "bad-buffer-view",
                "external file",
            ),
            "accessor-count-too-big": (
                _with(_godette, lambda g: g.doc["accessors"][0].update(count=10**7)),
                "bad-buffer-view",
                "accessor 0",
            ),
            "accessor-of-missing-view": (
                _with(_godette, lambda g: g.doc["accessors"][0].update(bufferView=9999)),
                "bad-buffer-view",
                "bufferView 9999",
            ),
            "accessor-offset-past-view": (
                _with(_robot, lambda g: g.doc["accessors"][0].update(byteOffset=1 << 20)),
                "bad-buffer-view",
                "accessor 0",
            ),
            "image-bytes-zeroed": (
                _with(_godette, lambda g: _patch_bin(g, _image_view(g, 0)[0], bytes(16))),
                "bad-image",
                "image 0",
            ),
            "image-mime-mismatch": (
                _with(_godette, lambda g: g.doc["images"][1].update(mimeType="image/png")),
                "bad-image",
                "bytes are image/jpeg",
            ),
            "image-view-out-of-range": (
                _with(_robot, lambda g: g.doc["images"][0].update(bufferView=9999)),
                "bad-image",
                "bufferView 9999",
            ),
            "image-external-uri": (
                _with(_robot, lambda g: g.doc["images"][0].update(bufferView=None, uri="skin.png")),
                "bad-image",
                "external file",
            ),
            "texture-of-missing-image": (
                _with(_robot, lambda g: g.doc["textures"][0].update(source=42)),
                "bad-image",
                "image 42",
            ),
            "thumbnail-bytes-broken": (_with(_godette, _break_thumbnail), "bad-image", "image 1"),
        }
    )
    return cases


def _bin_length(data: bytes, length: int) -> bytes:
    (json_length,) = struct.unpack_from("<I", data, 12)
    at = 20 + json_length
    return data[:at] + struct.pack("<I", length) + data[at + 4 :]


def _first_chunk_bin(data: bytes) -> bytes:
    return data[:16] + struct.pack("<I", 0x004E4942) + data[20:]


def _break_thumbnail(glb: Glb) -> None:
    image = glb.doc["textures"][glb.doc["extensions"]["VRM"]["meta"]["texture"]]["source"]
    assert image == 1
    _patch_bin(glb, _image_view(glb, image)[0], b"GIF89a")


CORPUS = _corpus()


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_malformed_file_gets_its_exact_reason(case: str, tmp_path: Path) -> None:
    data, reason, fragment = CORPUS[case]
    path = tmp_path / f"{case.replace('/', '-')}.vrm"
    path.write_bytes(data)
    result = inspect_file(path, max_bytes=1 << 30)
    assert (result.ok, result.reason) == (False, reason), result.message
    assert fragment.lower() in result.message.lower()
    assert result.meta is None
    with pytest.raises(ModelError) as raised:
        read_meta(path)
    assert raised.value.reason == reason


def test_corpus_covers_every_reason_but_the_file_system_ones() -> None:
    covered = {reason for _, reason, _ in CORPUS.values()}
    assert covered == set(REASONS) - {"not-found", "unreadable", "too-large"}


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    result = inspect_file(tmp_path / "nope.vrm", max_bytes=1 << 30)
    assert (result.ok, result.reason) == (False, "not-found")
    assert "nope.vrm" in result.message


def test_folder_is_unreadable(tmp_path: Path) -> None:
    result = inspect_file(tmp_path, max_bytes=1 << 30)
    assert (result.ok, result.reason) == (False, "unreadable")
    assert "folder" in result.message


def test_limit_is_configurable_and_checked_before_reading(tmp_path: Path) -> None:
    path = REAL_FIXTURES / "sphere_vrm0.vrm"
    size = path.stat().st_size
    assert inspect_file(path, max_bytes=size).ok
    result = inspect_file(path, max_bytes=size - 1)
    assert (result.ok, result.reason) == (False, "too-large")
    assert "models.max_import_bytes" in result.message
    # A huge "file" of nothing but zeros is refused by size, not parsed.
    sparse = tmp_path / "huge.vrm"
    with sparse.open("wb") as handle:
        handle.truncate((1 << 30) + 1)
    assert inspect_file(sparse, max_bytes=1 << 30).reason == "too-large"


def test_big_file_is_validated_without_reading_its_payload(tmp_path: Path) -> None:
    """A 512 MiB model (sparse file) is checked with a few MiB of memory, thumbnail included."""
    import tracemalloc

    glb = split_glb((REAL_FIXTURES / "debug_robot_vrm1.vrm").read_bytes())
    glb.doc["extensions"]["VRMC_vrm"]["meta"]["thumbnailImage"] = 0
    small = glb.bin + b"\0" * (-len(glb.bin) % 4)
    tail = 512 * 1024 * 1024
    glb.doc["buffers"][0]["byteLength"] = len(small) + tail
    glb.doc["bufferViews"].append({"buffer": 0, "byteOffset": len(small), "byteLength": tail})
    glb.doc["accessors"].append(
        {
            "bufferView": len(glb.doc["bufferViews"]) - 1,
            "componentType": 5126,
            "count": tail // 12,
            "type": "VEC3",
        }
    )
    head = build_glb(glb.doc, small)
    path = tmp_path / "big.vrm"
    with path.open("wb") as handle:
        handle.write(head[:8] + struct.pack("<I", len(head) + tail) + head[12:])
        handle.seek(len(head) - len(small) - 8)
        handle.write(struct.pack("<II", len(small) + tail, 0x004E4942))
        handle.truncate(len(head) + tail)
    tracemalloc.start()
    try:
        result = inspect_file(path, max_bytes=1 << 30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok, result.message
    assert result.meta is not None and result.meta.thumbnail is not None
    assert result.size > tail
    assert peak < 16 * 1024 * 1024, f"validation allocated {peak} bytes"


def test_oversized_json_chunk_is_refused_unread(tmp_path: Path) -> None:
    from app.models.validate import MAX_JSON_BYTES

    length = MAX_JSON_BYTES + 4
    path = tmp_path / "json-bomb.vrm"
    with path.open("wb") as handle:
        handle.write(
            struct.pack("<4sII", b"glTF", 2, 20 + length) + struct.pack("<II", length, 0x4E4F534A)
        )
        handle.truncate(20 + length)  # sparse: nothing is really written
    result = inspect_file(path, max_bytes=1 << 30)
    assert (result.ok, result.reason) == (False, "too-large")
    assert "JSON" in result.message


@pytest.mark.parametrize("vrm_version", ["0.x", "1.0"])
def test_builtin_default_avatars_validate(vrm_version: str) -> None:
    from app.avatar import DEFAULT_AVATAR_VERSIONS, default_avatar_path

    assert vrm_version in DEFAULT_AVATAR_VERSIONS
    result = inspect_file(default_avatar_path(vrm_version), max_bytes=1 << 30)
    assert result.ok, result.message
    assert result.meta is not None and result.meta.vrm_version == vrm_version
    assert result.meta.thumbnail is not None and result.meta.humanoid_bone_count >= 15
