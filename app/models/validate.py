"""Is this file a VRM the stage can load? One verdict with a reason code, never an exception.

Checks run cheapest first and stop at the first failure, so the reason is the
most basic thing wrong: the file (not-found, unreadable, too-large), the GLB
container (not-glb, truncated), the JSON (bad-json), the VRM extension (not-vrm,
unsupported-vrm-version), then the binary payload (bad-buffer-view, bad-image).
Memory use is bounded by the JSON chunk plus the thumbnail: the BIN chunk is
never read whole.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app.errors import ModelError
from app.models.buffers import BufferSource, check_bounds
from app.models.document import Document, parse_document
from app.models.glb import read_layout
from app.models.images import check_images, read_image
from app.models.meta import (
    VRM0_EXTENSION,
    VRM1_EXTENSION,
    VrmMeta,
    VrmVersion,
    build_meta,
    thumbnail_image_index,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_JSON_BYTES",
    "REASONS",
    "Inspection",
    "human_size",
    "inspect_file",
    "read_meta",
]

DEFAULT_MAX_BYTES: Final = 1024 * 1024 * 1024
#: The JSON chunk is read into memory whole; real VRMs need a few MiB, so this is generous.
MAX_JSON_BYTES: Final = 256 * 1024 * 1024

#: Every reason code inspect_file can give, cheapest check first.
REASONS: Final = (
    "not-found",
    "unreadable",
    "too-large",
    "not-glb",
    "truncated",
    "bad-json",
    "not-vrm",
    "unsupported-vrm-version",
    "bad-buffer-view",
    "bad-image",
)

_VRM0_SPEC: Final = re.compile(r"0(\.\d+)*")
_VRM1_SPEC: Final = re.compile(r"1\.\d+")


@dataclass(frozen=True)
class Inspection:
    """The verdict on one file: ``meta`` is set exactly when ``ok``."""

    ok: bool
    reason: str | None
    message: str
    meta: VrmMeta | None
    size: int = 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": self.ok,
            "reason": self.reason,
            "message": self.message,
            "size": self.size,
        }
        if self.meta is not None:
            data.update(self.meta.to_json())
        return data


def inspect_file(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, thumbnail: bool = True
) -> Inspection:
    """Validate ``path`` as a VRM and read its metadata, without importing it.

    Never raises for bad input: every problem becomes ``ok=False`` with a reason
    code from :data:`REASONS` and a message saying what to do.
    """
    size = 0
    try:
        size = _stat_size(path, max_bytes)
        with path.open("rb") as handle:
            layout = read_layout(handle, size)
            if layout.json.length > MAX_JSON_BYTES:
                raise ModelError(
                    f"The model's JSON part is {human_size(layout.json.length)}, more than the "
                    f"{human_size(MAX_JSON_BYTES)} any real VRM needs; it is not loaded.",
                    reason="too-large",
                )
            handle.seek(layout.json.offset)
            doc = parse_document(handle.read(layout.json.length))
            vrm_version, spec_version = _vrm_version(doc.raw)
            check_bounds(doc, layout)
            source = BufferSource(handle, layout, doc)
            check_images(doc, source)
            image, mime = _thumbnail(doc, source, vrm_version) if thumbnail else (None, None)
    except ModelError as exc:
        prefix = "" if exc.reason == "not-found" else f"{path.name}: "
        return Inspection(False, exc.reason, f"{prefix}{exc.message}", None, size)
    except OSError as exc:
        return Inspection(
            False,
            "unreadable",
            f"{path.name} could not be read: {exc.strerror or exc}.",
            None,
            size,
        )
    meta = build_meta(doc.raw, vrm_version, spec_version, thumbnail=image, thumbnail_mime=mime)
    label = meta.title or path.name
    return Inspection(True, None, f"{label}: a valid VRM {vrm_version} model.", meta, size)


def read_meta(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> VrmMeta:
    """Metadata of a model that must be valid; raises ModelError(reason) otherwise."""
    result = inspect_file(path, max_bytes=max_bytes)
    if result.meta is None:
        raise ModelError(result.message, reason=result.reason or "invalid-model")
    return result.meta


def _stat_size(path: Path, max_bytes: int) -> int:
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:  # ValueError: NUL in path
        raise ModelError(f"There is no file at {path}.", reason="not-found") from exc
    if path.is_dir():
        raise ModelError(f"{path} is a folder, not a .vrm file.", reason="unreadable")
    if stat.st_size > max_bytes:
        raise ModelError(
            f"The file is {human_size(stat.st_size)}, larger than the "
            f"{human_size(max_bytes)} limit (setting models.max_import_bytes).",
            reason="too-large",
        )
    if zipfile.is_zipfile(path) and not _starts_with_glb(path):
        names = _vrm_names_in_zip(path)
        hint = f" It contains {', '.join(names)}: extract it and import that." if names else ""
        raise ModelError(
            f"This is not a VRM/GLB file: it is a ZIP archive.{hint}", reason="not-glb"
        )
    return stat.st_size


def _starts_with_glb(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"glTF"


def _vrm_names_in_zip(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [n for n in archive.namelist() if n.lower().endswith(".vrm")][:5]
    except (zipfile.BadZipFile, OSError, ValueError):
        return []


def _vrm_version(raw: dict[str, Any]) -> tuple[VrmVersion, str]:
    """Which VRM line the document is, checking ``VRM`` first (0.x files may list VRMC_* too)."""
    used = set(raw.get("extensionsUsed") or [])
    extensions = raw.get("extensions") or {}
    asset_version = raw["asset"]["version"]
    if not asset_version.startswith("2."):
        raise ModelError(
            f"This is a glTF {asset_version} model; VRM needs glTF 2.0.", reason="not-glb"
        )
    for name, version in ((VRM0_EXTENSION, "0.x"), (VRM1_EXTENSION, "1.0")):
        if name not in used and name not in extensions:
            continue
        data = extensions.get(name)
        if not isinstance(data, dict):
            raise ModelError(
                f"The model lists the {name} extension but carries no {name} data; "
                "export it again as VRM.",
                reason="not-vrm",
            )
        spec = data.get("specVersion")
        if version == "0.x":
            spec_text = "0.0" if spec is None else str(spec)
            if not _VRM0_SPEC.fullmatch(spec_text):
                raise ModelError(
                    f"The VRM 0.x extension says specVersion {spec_text!r}; "
                    "only 0.x is supported there.",
                    reason="unsupported-vrm-version",
                )
            return "0.x", spec_text
        if not isinstance(spec, str) or not _VRM1_SPEC.fullmatch(spec):
            raise ModelError(
                f"The model is VRM specVersion {spec!r}; Companion Stage reads VRM 0.x and 1.x. "
                "Re-export it with a current VRM exporter.",
                reason="unsupported-vrm-version",
            )
        return "1.0", spec
    raise ModelError(
        "This is a plain glTF/GLB model, not a VRM (no VRM or VRMC_vrm extension). "
        "Export it as VRM (for example with UniVRM or the VRM add-on for Blender).",
        reason="not-vrm",
    )


def _thumbnail(
    doc: Document, source: BufferSource, vrm_version: VrmVersion
) -> tuple[bytes | None, str | None]:
    index = thumbnail_image_index(doc.raw, vrm_version)
    if index is None:
        return None, None
    data, mime = read_image(doc, source, index)
    return data, mime


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
