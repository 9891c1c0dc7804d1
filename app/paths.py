"""Where the user's data lives, resolved once from flag, environment or platform default.

Everything the app keeps (settings, imported models, the files handed to the stage,
logs) sits below one data directory, so a test or a portable install can move all
of it with ``--data-dir`` or ``COMPANION_STAGE_DATA_DIR``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import platformdirs

__all__ = ["APP_NAME", "DATA_DIR_ENV", "DataPaths", "resolve_data_dir"]

APP_NAME: Final = "companion-stage"
DATA_DIR_ENV: Final = "COMPANION_STAGE_DATA_DIR"


@dataclass(frozen=True)
class DataPaths:
    """The fixed layout below the data directory."""

    root: Path

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def stage_dir(self) -> Path:
        return self.root / "stage"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def ensure(self) -> DataPaths:
        """Create the folders; returns self so it chains after construction."""
        for folder in (self.root, self.models_dir, self.stage_dir, self.logs_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resolve_data_dir(flag: str | None = None, env: Mapping[str, str] | None = None) -> DataPaths:
    """Pick the data directory: ``--data-dir`` wins, then the environment, then the platform."""
    environ = os.environ if env is None else env
    chosen = (
        flag or environ.get(DATA_DIR_ENV)
        or platformdirs.user_data_dir(APP_NAME, appauthor=False)
    )
    return DataPaths(Path(chosen).expanduser().resolve())
