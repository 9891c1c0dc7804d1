"""The user's VRM models, stored content-addressed as ``models/<sha256>.vrm``.

An import validates the file, stream-copies it into a temporary file in the
library folder while hashing it, validates the copy (so what is stored is what
was checked), then renames it into place and records it in ``index.json``.
Identical files are stored once. A failed or cancelled import leaves nothing
behind and never touches existing entries. The built-in default avatar (package
data of :mod:`app.avatar`) appears as a read-only entry whose id is its sha256.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

from app import log
from app.atomic import atomic_write_text
from app.digest import sha256_file
from app.errors import LibraryError, ModelError
from app.models.index import IndexRecord, load_index, save_index
from app.models.validate import DEFAULT_MAX_BYTES, inspect_file

__all__ = [
    "COPY_CHUNK_BYTES",
    "ImportOutcome",
    "ModelEntry",
    "ModelLibrary",
    "Progress",
    "builtin_meta_path",
    "default_builtin_path",
    "write_builtin_meta",
]

#: Copy and hash in pieces of this size: memory stays flat whatever the model's size.
COPY_CHUNK_BYTES: Final = 1024 * 1024
INDEX_NAME: Final = "index.json"
TEMP_PREFIX: Final = ".import-"
_ID_FILE: Final = re.compile(r"[0-9a-f]{64}\.vrm")
_STALE_TEMP_SECONDS: Final = 24 * 3600

#: ``progress(done_bytes, total_bytes)``, called from the importing thread.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ModelEntry:
    """One model the user can select."""

    id: str  # sha256 hex of the file
    title: str
    authors: list[str]
    vrm_version: str
    licence_summary: str
    size: int
    original_name: str
    imported_at: float
    path: Path
    builtin: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "authors": list(self.authors),
            "vrmVersion": self.vrm_version,
            "licenceSummary": self.licence_summary,
            "size": self.size,
            "originalName": self.original_name,
            "importedAt": self.imported_at,
            "path": str(self.path),
            "builtin": self.builtin,
        }


@dataclass(frozen=True)
class ImportOutcome:
    """The entry for the imported file; ``added`` is False when it was already there."""

    entry: ModelEntry
    added: bool


def builtin_meta_path(path: Path) -> Path:
    """Where the built-in avatar's shipped metadata lives: beside it, ``<name>.meta.json``."""
    return path.with_name(path.name + ".meta.json")


def write_builtin_meta(path: Path) -> Path:
    """Write what the library shows for the built-in avatar, so it is never inspected at run
    time: pygltflib's parse costs ~140 ms, paid by every first selection of the default.

    The file names the avatar's sha256; a stale one (the avatar changed, the metadata did not)
    is ignored and the avatar inspected as before.
    """
    result = inspect_file(path, max_bytes=max(DEFAULT_MAX_BYTES, _size(path)), thumbnail=False)
    if result.meta is None:
        raise LibraryError(f"{path.name} is not a valid VRM: {result.message}",
                           reason="builtin-invalid")
    digest = sha256_file(path)
    meta = result.meta
    target = builtin_meta_path(path)
    atomic_write_text(target, json.dumps({
        "sha256": digest, "title": meta.title, "authors": meta.authors,
        "vrmVersion": meta.vrm_version, "licenceSummary": meta.licence_summary,
    }, indent=2, sort_keys=True) + "\n")
    return target


def _shipped_meta(path: Path, digest: str) -> dict[str, Any] | None:
    """The shipped metadata when it is there, well-formed and about these very bytes."""
    try:
        data = json.loads(builtin_meta_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fields = {"title": str, "vrmVersion": str, "licenceSummary": str, "authors": list}
    if (not isinstance(data, dict) or data.get("sha256") != digest
            or not all(isinstance(data.get(k), t) for k, t in fields.items())
            or not all(isinstance(a, str) for a in data["authors"])):
        return None
    return data


def default_builtin_path() -> Path:
    """The built-in default avatar shipped with the app."""
    from app.avatar import default_avatar_path  # the avatar package is optional for this module

    return Path(default_avatar_path())


class ModelLibrary:
    """The models folder: list, import, remove, thumbnails.

    Args:
        models_dir: the library folder (``DataPaths.models_dir``).
        max_bytes: the largest file accepted (``settings.models.max_import_bytes``).
        builtin: returns the built-in avatar's path; None for a library without one.
    """

    def __init__(
        self,
        models_dir: Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        builtin: Callable[[], Path] | None = default_builtin_path,
    ) -> None:
        self.models_dir = models_dir
        self.max_bytes = max_bytes
        self._builtin_source = builtin
        self._builtin_cache: tuple[tuple[str, int, int], ModelEntry] | None = None
        self._builtin_digest: tuple[tuple[str, int, int], str] | None = None
        self._lock = threading.RLock()
        self._thumbnails: dict[str, bytes | None] = {}  # ids are content hashes: never stale
        self._rejected: set[str] = set()  # stray files already found invalid (warn once)

    @property
    def index_path(self) -> Path:
        return self.models_dir / INDEX_NAME

    # -- reading -----------------------------------------------------------------

    def list(self) -> list[ModelEntry]:
        """The built-in default first, then imported models, newest first."""
        entries = [self._entry(r) for r in self._records().values()]
        entries.sort(key=lambda e: e.imported_at, reverse=True)
        builtin = self.builtin_entry()
        return ([builtin] if builtin else []) + [
            e for e in entries if not builtin or e.id != builtin.id
        ]

    def get(self, model_id: str) -> ModelEntry:
        """The entry with exactly this id; LibraryError ``unknown-model`` otherwise."""
        if model_id == self._builtin_id():
            builtin = self.builtin_entry()
            assert builtin is not None
            return builtin
        record = self._records().get(model_id)
        if record is None:
            raise LibraryError(
                f"There is no model with id {model_id!r} in the library.", reason="unknown-model"
            )
        return self._entry(record)

    def find(self, prefix: str) -> ModelEntry:
        """The one entry whose id starts with ``prefix`` (like a git hash).

        Raises:
            LibraryError: ``unknown-model`` when none matches, ``ambiguous-model``
                when several do (the message lists them).
        """
        wanted = prefix.strip().lower()
        if not wanted:
            raise LibraryError(
                "Give a model id (or a unique prefix of one).", reason="unknown-model"
            )
        # ids first: the built-in avatar's entry (its metadata file, or ~140 ms of parsing
        # without one) is only built when it is the match
        ids = dict.fromkeys([i for i in (self._builtin_id(),) if i] + list(self._records()))
        matches = [self.get(i) for i in ids if i.startswith(wanted)]
        if not matches:
            raise LibraryError(
                f"No model id starts with {prefix!r}; `companion-stage models list` shows them.",
                reason="unknown-model",
            )
        if len(matches) > 1:
            names = ", ".join(f"{e.id[:12]} ({e.title})" for e in matches)
            raise LibraryError(
                f"{prefix!r} matches several models: {names}.", reason="ambiguous-model"
            )
        return matches[0]

    def thumbnail(self, model_id: str) -> bytes | None:
        """The model's embedded thumbnail image bytes (PNG/JPEG), or None if it has none."""
        entry = self.get(model_id)
        if entry.id not in self._thumbnails:
            result = inspect_file(entry.path, max_bytes=max(self.max_bytes, entry.size))
            self._thumbnails[entry.id] = result.meta.thumbnail if result.meta else None
        return self._thumbnails[entry.id]

    def _builtin_file(self) -> tuple[Path, tuple[str, int, int]] | None:
        """The built-in avatar's path and its version key (path, size, mtime)."""
        if self._builtin_source is None:
            return None
        path = self._builtin_source()
        stat = path.stat()
        return path, (str(path), stat.st_size, stat.st_mtime_ns)

    def _builtin_id(self) -> str | None:
        """The built-in avatar's id (its sha256) without inspecting it: a CLI lookup of any
        model needs the id, and inspecting the glTF costs a command ~250 ms."""
        found = self._builtin_file()
        return None if found is None else self._builtin_digest_of(*found)

    def _builtin_digest_of(self, path: Path, key: tuple[str, int, int]) -> str:
        if self._builtin_digest is None or self._builtin_digest[0] != key:
            self._builtin_digest = (key, sha256_file(path))
        return self._builtin_digest[1]

    def builtin_entry(self) -> ModelEntry | None:
        """The built-in default avatar's entry (inspected once per file version)."""
        found = self._builtin_file()
        if found is None:
            return None
        path, key = found
        size = key[1]
        if self._builtin_cache is not None and self._builtin_cache[0] == key:
            return self._builtin_cache[1]
        digest = self._builtin_digest_of(path, key)
        shipped = _shipped_meta(path, digest)
        if shipped is not None:
            title, authors = shipped["title"], list(shipped["authors"])
            vrm_version, licence = shipped["vrmVersion"], shipped["licenceSummary"]
        else:
            result = inspect_file(path, max_bytes=max(self.max_bytes, size), thumbnail=False)
            if result.meta is None:
                raise LibraryError(
                    f"The built-in avatar is damaged: {result.message}", reason="builtin-invalid"
                )
            title, authors = result.meta.title, result.meta.authors
            vrm_version, licence = result.meta.vrm_version, result.meta.licence_summary
        entry = ModelEntry(
            id=digest,
            title=title or "Default avatar",
            authors=authors,
            vrm_version=vrm_version,
            licence_summary=licence,
            size=size,
            original_name=path.name,
            imported_at=0.0,
            path=path,
            builtin=True,
        )
        self._builtin_cache = (key, entry)
        return entry

    # -- changing ------------------------------------------------------------------

    def import_file(
        self,
        src: Path,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> ImportOutcome:
        """Validate ``src`` and add it to the library (or find it already there).

        Raises:
            ModelError: the file is not an importable VRM (``reason`` as in
                :data:`app.models.validate.REASONS`), or ``cancelled``.
            LibraryError: ``write-failed`` when the library folder cannot be written.
        """
        _check_cancel(cancel, src)
        checked = inspect_file(src, max_bytes=self.max_bytes, thumbnail=False)
        if not checked.ok:
            log.models.warning(
                "Refused to import %s: %s [%s]", src, checked.message, checked.reason
            )
            raise ModelError(checked.message, reason=checked.reason or "invalid-model")
        try:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=self.models_dir)
        except OSError as exc:
            raise LibraryError(
                f"Cannot write into the model library {self.models_dir}: {exc}",
                reason="write-failed",
            ) from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                digest = self._copy(src, out, checked.size, progress, cancel)
            copy = inspect_file(tmp, max_bytes=self.max_bytes, thumbnail=False)
            if copy.meta is None:
                raise ModelError(
                    f"{src.name} changed while it was being imported; try again. ({copy.message})",
                    reason=copy.reason or "invalid-model",
                )
            meta = copy.meta
            _check_cancel(cancel, src)  # last chance: nothing is committed yet
            with self._lock:
                records = self._records()
                builtin = self.builtin_entry()
                if builtin is not None and builtin.id == digest:
                    return ImportOutcome(builtin, added=False)
                final = self.models_dir / f"{digest}.vrm"
                if digest in records and final.is_file():
                    return ImportOutcome(self._entry(records[digest]), added=False)
                existed = final.exists()
                _fsync_file(tmp)  # only now: a duplicate is dropped without waiting for the disk
                record = IndexRecord(
                    id=digest,
                    title=meta.title or src.stem,
                    authors=meta.authors,
                    vrm_version=meta.vrm_version,
                    licence_summary=meta.licence_summary,
                    size=copy.size,
                    original_name=src.name,
                    imported_at=time.time(),
                )
                os.replace(tmp, final)
                try:
                    save_index(self.index_path, {**records, digest: record})
                except OSError:
                    if not existed:
                        final.unlink(missing_ok=True)
                    raise
        except OSError as exc:
            raise LibraryError(
                f"Could not store {src.name} in the model library: {exc}", reason="write-failed"
            ) from exc
        finally:
            tmp.unlink(missing_ok=True)
        log.models.info(
            "Imported %s as %s (%s, %d bytes).", src.name, digest[:12], record.title, record.size
        )
        return ImportOutcome(self._entry(record), added=True)

    def remove(self, model_id: str) -> None:
        """Delete an imported model; the built-in default cannot be removed."""
        with self._lock:
            entry = self.get(model_id)
            if entry.builtin:
                raise LibraryError(
                    "The built-in default avatar cannot be removed.", reason="builtin-model"
                )
            try:
                entry.path.unlink(missing_ok=True)
                records = self._records()
                records.pop(entry.id, None)
                save_index(self.index_path, records)
            except OSError as exc:
                raise LibraryError(
                    f"Could not remove {entry.title}: {exc}", reason="write-failed"
                ) from exc
        log.models.info("Removed model %s (%s).", entry.id[:12], entry.title)

    # -- internals -----------------------------------------------------------------

    def _copy(
        self,
        src: Path,
        out: BinaryIO,
        total: int,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> str:
        hasher = hashlib.sha256()
        done = 0
        if progress is not None:
            progress(0, total)
        try:
            source = src.open("rb")
        except OSError as exc:
            raise ModelError(f"{src.name} could not be read: {exc}", reason="unreadable") from exc
        with source:
            buffer = bytearray(COPY_CHUNK_BYTES)
            view = memoryview(buffer)
            while True:
                _check_cancel(cancel, src)
                try:
                    count = source.readinto(buffer)
                except OSError as exc:
                    raise ModelError(
                        f"{src.name} could not be read: {exc}", reason="unreadable"
                    ) from exc
                if not count:
                    break
                chunk = view[:count]
                hasher.update(chunk)
                out.write(chunk)
                done += count
                if progress is not None:
                    progress(done, max(total, done))
        out.flush()
        return hasher.hexdigest()

    def _records(self) -> dict[str, IndexRecord]:
        """The index, with files on disk reconciled: vanished files dropped, strays adopted."""
        with self._lock:
            loaded = load_index(self.index_path)
            records = {
                rid: r
                for rid, r in loaded.records.items()
                if (self.models_dir / f"{rid}.vrm").is_file()
            }
            changed = loaded.damaged or len(records) != len(loaded.records)
            for path in self._stray_files(records):
                record = self._adopt(path)
                if record is not None:
                    records[record.id] = record
                    changed = True
            if changed and (records or self.index_path.exists()):
                try:
                    save_index(self.index_path, records)
                except OSError as exc:
                    log.models.warning("Could not rewrite the model index: %s", exc)
            return records

    def _stray_files(self, records: dict[str, IndexRecord]) -> builtins.list[Path]:
        try:
            names = os.listdir(self.models_dir)
        except OSError:
            return []
        now = time.time()
        strays: builtins.list[Path] = []
        for name in names:
            path = self.models_dir / name
            if _ID_FILE.fullmatch(name) and name[:-4] not in records and name not in self._rejected:
                strays.append(path)
            elif name.startswith(TEMP_PREFIX):
                _remove_if_stale(path, now)
        return strays

    def _adopt(self, path: Path) -> IndexRecord | None:
        """Re-index a model file the index lost (crash, damaged index)."""
        result = inspect_file(path, max_bytes=max(self.max_bytes, _size(path)), thumbnail=False)
        if result.meta is None:
            log.models.warning("Ignoring %s in the model library: %s", path.name, result.message)
            self._rejected.add(path.name)
            return None
        meta = result.meta
        log.models.info("Re-indexed model file %s (%s).", path.name, meta.title)
        return IndexRecord(
            id=path.stem,
            title=meta.title or path.stem[:12],
            authors=meta.authors,
            vrm_version=meta.vrm_version,
            licence_summary=meta.licence_summary,
            size=result.size,
            original_name=path.name,
            imported_at=path.stat().st_mtime,
        )

    def _entry(self, record: IndexRecord) -> ModelEntry:
        return ModelEntry(
            id=record.id,
            title=record.title,
            authors=list(record.authors),
            vrm_version=record.vrm_version,
            licence_summary=record.licence_summary,
            size=record.size,
            original_name=record.original_name,
            imported_at=record.imported_at,
            path=self.models_dir / f"{record.id}.vrm",
            builtin=False,
        )


def _check_cancel(cancel: threading.Event | None, src: Path) -> None:
    if cancel is not None and cancel.is_set():
        raise ModelError(f"Import of {src.name} was cancelled.", reason="cancelled")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _remove_if_stale(path: Path, now: float) -> None:
    """Temporary files of imports that crashed a day ago or more; live imports are younger."""
    try:
        if now - path.stat().st_mtime > _STALE_TEMP_SECONDS:
            path.unlink()
    except OSError:
        pass
