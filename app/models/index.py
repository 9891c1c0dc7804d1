"""``models/index.json``: what the user imported, kept beside the content-addressed files.

The ``<sha256>.vrm`` files are the truth; the index only remembers what the files
cannot say (the original file name, when it was imported) and caches their
metadata for a fast list. A corrupt index is kept aside and rebuilt from the
files, so no imported model is ever lost to a bad index.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from app import log
from app.atomic import atomic_write_text

__all__ = ["INDEX_VERSION", "IndexRecord", "LoadedIndex", "load_index", "save_index"]

INDEX_VERSION: Final = 1


@dataclass(frozen=True)
class IndexRecord:
    """One imported model as stored in the index (camelCase on disk)."""

    id: str
    title: str
    authors: list[str]
    vrm_version: str
    licence_summary: str
    size: int
    original_name: str
    imported_at: float

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            "id": data["id"],
            "title": data["title"],
            "authors": data["authors"],
            "vrmVersion": data["vrm_version"],
            "licenceSummary": data["licence_summary"],
            "size": data["size"],
            "originalName": data["original_name"],
            "importedAt": data["imported_at"],
        }

    @classmethod
    def from_json(cls, data: Any) -> IndexRecord:
        """Raises ValueError when ``data`` is not a well-formed record."""
        if not isinstance(data, dict) or not isinstance(data.get("authors", []), list):
            raise ValueError("record is not an object with a list of authors")
        try:
            record = cls(
                id=str(data["id"]),
                title=str(data.get("title", "")),
                authors=[str(a) for a in data.get("authors", [])],
                vrm_version=str(data["vrmVersion"]),
                licence_summary=str(data.get("licenceSummary", "")),
                size=int(data["size"]),
                original_name=str(data.get("originalName", "")),
                imported_at=float(data.get("importedAt", 0.0)),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"record lacks {exc}") from exc
        return record


@dataclass
class LoadedIndex:
    """The records, and whether the file was missing or damaged (so files must be rescanned)."""

    records: dict[str, IndexRecord] = field(default_factory=dict)
    damaged: bool = False


def load_index(path: Path) -> LoadedIndex:
    """Read the index; a missing file is empty, a damaged one is moved aside and reported."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadedIndex(damaged=True)
    except (OSError, UnicodeDecodeError) as exc:
        return _keep_aside(path, f"could not be read ({exc})")
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            raise ValueError("no 'models' list")
        records = [IndexRecord.from_json(item) for item in data["models"]]
    except (ValueError, RecursionError) as exc:
        return _keep_aside(path, f"is damaged ({exc})")
    return LoadedIndex({record.id: record for record in records})


def save_index(path: Path, records: dict[str, IndexRecord]) -> None:
    """Write the index atomically: a crash leaves the old index or the new one."""
    ordered = sorted(records.values(), key=lambda r: r.imported_at, reverse=True)
    data = {"version": INDEX_VERSION, "models": [record.to_json() for record in ordered]}
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _keep_aside(path: Path, why: str) -> LoadedIndex:
    kept = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.replace(kept)
        where = f"kept as {kept.name}"
    except OSError:
        where = "left in place"
    log.models.warning(
        "Model index %s %s; %s, rebuilding it from the model files.", path, why, where
    )
    return LoadedIndex(damaged=True)
