"""Where the shared real VRM fixtures are, for the tests, the benchmarks and the scripts.

``COMPANION_STAGE_FIXTURES`` names them; else ``shared/fixtures/vrm-real`` beside the checkout
(how CI lays it out), else beside the repository this checkout was cloned from, so a fresh
clone made elsewhere (``git clone /work/main /tmp/x``) still finds them. Read in place, never
copied into the repository.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Final

__all__ = ["FIXTURES_ENV", "real_fixtures_dir"]

FIXTURES_ENV: Final = "COMPANION_STAGE_FIXTURES"
_BESIDE: Final = Path("shared") / "fixtures" / "vrm-real"
_REPO_ROOT: Final = Path(__file__).resolve().parent.parent


def real_fixtures_dir(repo_root: Path = _REPO_ROOT) -> Path:
    """The fixtures folder (when none is found: the one beside the checkout, so a missing
    folder is reported where CI expects it)."""
    named = os.environ.get(FIXTURES_ENV)
    if named:
        return Path(named).resolve()
    for root in (repo_root, _cloned_from(repo_root)):
        if root is not None and (root.parent / _BESIDE).is_dir():
            return (root.parent / _BESIDE).resolve()
    return (repo_root.parent / _BESIDE).resolve()


def _cloned_from(repo_root: Path) -> Path | None:
    """The local repository ``origin`` points at, if it is one."""
    try:
        url = subprocess.run(["git", "-C", str(repo_root), "remote", "get-url", "origin"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(url.removeprefix("file://"))
    return path.resolve() if path.is_absolute() and path.is_dir() else None
