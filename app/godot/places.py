"""Where the lock, the fetched runtime and the apt cache live.

From a checkout they sit in ``vendor/godot/`` (git-ignored except the lock), so a
clone is self-contained; an installed copy keeps them in the user's cache folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import platformdirs

from app.paths import APP_NAME

__all__ = ["checkout_root", "default_apt_dir", "default_runtime_dir", "lock_path", "runtime_dirs"]

_PACKAGE_DIR: Final = Path(__file__).resolve().parent.parent


def checkout_root() -> Path | None:
    """The repository folder when the app runs from a source checkout, else None."""
    candidate = _PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").is_file() and (candidate / "vendor" / "godot").is_dir():
        return candidate
    return None


def _user_cache() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "godot"


def lock_path() -> Path:
    root = checkout_root()
    return (root if root else _PACKAGE_DIR.parent) / "vendor" / "godot" / "godot.lock"


def default_runtime_dir() -> Path:
    root = checkout_root()
    return root / "vendor" / "godot" / "runtime" if root else _user_cache() / "runtime"


def default_apt_dir() -> Path:
    root = checkout_root()
    return root / "vendor" / "godot" / "cache" if root else _user_cache() / "apt"


def runtime_dirs() -> list[Path]:
    """Every place `godot fetch` puts a runtime by default (the locator looks in each)."""
    dirs = [default_runtime_dir(), _user_cache() / "runtime"]
    return list(dict.fromkeys(dirs))
