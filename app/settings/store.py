"""Loading and saving ``settings.json`` without ever losing what the user had.

A file that cannot be parsed is moved aside as ``settings.json.corrupt-<timestamp>``
and defaults are used; an older layout is brought forward (``migrations``); a file
from a newer version is copied aside before it is overwritten; a single ill-typed value
falls back to its default. Every such event
becomes a :class:`LoadNotice` the UI shows the user.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app import log
from app.atomic import atomic_write_text
from app.errors import SettingsError
from app.settings.fields import FieldProblem, from_dict, to_dict
from app.settings.migrations import migrate
from app.settings.schema import SCHEMA_VERSION, Settings

__all__ = ["LoadNotice", "LoadResult", "SettingsStore"]


@dataclass(frozen=True)
class LoadNotice:
    """Something about the settings file the user should be told."""

    kind: str  # "corrupt" | "newer-version" | "invalid-value"
    message: str
    kept_as: Path | None = None


@dataclass
class LoadResult:
    settings: Settings
    notices: list[LoadNotice] = field(default_factory=list)


class SettingsStore:
    """Reads and atomically writes one settings file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> LoadResult:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return LoadResult(Settings())
        except (OSError, UnicodeDecodeError) as exc:
            return self._keep_aside(f"could not be read ({exc})")
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            return self._keep_aside(f"is not valid JSON (line {exc.lineno}: {exc.msg})")
        if not isinstance(data, dict):
            return self._keep_aside("does not hold a JSON object")
        notices: list[LoadNotice] = []
        version = data.get("schema_version")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            kept = self._copy_aside("newer")
            notices.append(LoadNotice(
                "newer-version",
                f"Settings were written by a newer Companion Stage (schema {version}); "
                f"a copy was kept as {kept.name} and the known values were used.",
                kept,
            ))
        for change in migrate(data, SCHEMA_VERSION):
            log.settings.info("settings from an older version: %s", change)
        problems: list[FieldProblem] = []
        settings = from_dict(Settings, data, problems)
        settings.schema_version = SCHEMA_VERSION
        for problem in problems:
            notices.append(LoadNotice(
                "invalid-value", f"Setting {problem.path}: {problem.message}; using the default."
            ))
        for notice in notices:
            log.settings.warning(notice.message)
        return LoadResult(settings, notices)

    def save(self, settings: Settings) -> None:
        try:
            text = json.dumps(to_dict(settings), indent=2, sort_keys=True) + "\n"
            atomic_write_text(self.path, text)
        except OSError as exc:
            raise SettingsError(f"Could not save settings to {self.path}: {exc}") from exc

    def update(self, change: Callable[[Settings], None]) -> Settings:
        """Load, apply ``change``, save: the one way code edits settings.

        Serialised within the process, because the UI thread, the stage bridge's reader thread
        (window geometry) and workers all update the same file: without the lock two
        read-modify-write cycles could interleave and one change would be lost.
        """
        with _UPDATE_LOCK:
            settings = self.load().settings
            change(settings)
            self.save(settings)
            return settings

    def _keep_aside(self, why: str) -> LoadResult:
        kept = self.path.with_name(f"{self.path.name}.corrupt-{_stamp()}")
        try:
            self.path.replace(kept)
        except OSError as exc:
            raise SettingsError(
                f"Settings file {self.path} {why}, and it could not be moved aside: {exc}"
            ) from exc
        message = f"Settings file {why}; it was kept as {kept.name} and defaults are in use."
        log.settings.warning(message)
        return LoadResult(Settings(), [LoadNotice("corrupt", message, kept)])

    def _copy_aside(self, label: str) -> Path:
        kept = self.path.with_name(f"{self.path.name}.{label}-{_stamp()}")
        shutil.copy2(self.path, kept)
        return kept


_UPDATE_LOCK = threading.RLock()


def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"


