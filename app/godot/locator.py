"""Pick the Godot the stage runs on, and say exactly where it looked when there is none.

Order: the ``godot.path`` setting, env ``COMPANION_STAGE_GODOT``, the runtime
``godot fetch`` unpacked, then ``godot4``/``godot`` on PATH. Each candidate must answer
``--version`` with 4.3 or newer; a candidate that is set but unusable is logged and
skipped, so one stale setting does not stop the app when another Godot works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app import log
from app.errors import GodotRuntimeError
from app.godot.launcher import LAUNCHER_NAME
from app.godot.places import runtime_dirs
from app.godot.version import MIN_GODOT_VERSION, parse_godot_version
from app.paths import resolve_data_dir
from app.settings.sections.godot import GodotSettings
from app.settings.store import SettingsStore

__all__ = ["GODOT_ENV", "GodotRuntime", "godot_home_env", "locate_godot", "save_godot_choice"]

GODOT_ENV: Final = "COMPANION_STAGE_GODOT"
PROBE_TIMEOUT_S: Final = 30.0


@dataclass(frozen=True)
class GodotRuntime:
    command: list[str]  # argv prefix that starts Godot
    version: str  # first line of ``--version``
    env: dict[str, str]  # extra environment for every Godot run (private XDG folders)
    source: str  # which place it was found, for logs and `godot locate`

    def argv(self, *args: str) -> list[str]:
        return [*self.command, *args]


@dataclass(frozen=True)
class _Candidate:
    place: str
    path: Path | None
    absent: str = "not found"


def godot_home_env(home: Path) -> dict[str, str]:
    """XDG folders below home, so Godot, Mesa and PulseAudio leave $HOME alone."""
    env = {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    for folder in env.values():
        Path(folder).mkdir(parents=True, exist_ok=True)
    return env


def _which(name: str, environ: Mapping[str, str]) -> Path | None:
    found = shutil.which(name, path=environ.get("PATH", os.defpath))
    return Path(found) if found else None


def _named(value: str, environ: Mapping[str, str]) -> Path | None:
    if os.sep in value:
        return Path(value).expanduser()
    return _which(value, environ)


def _candidates(settings: GodotSettings, environ: Mapping[str, str],
                fetched: Sequence[Path]) -> list[_Candidate]:
    places = [
        _Candidate("setting godot.path",
                   _named(settings.path, environ) if settings.path else None,
                   f"{settings.path!r} not found" if settings.path else "not set"),
        _Candidate(f"env {GODOT_ENV}",
                   _named(environ[GODOT_ENV], environ) if environ.get(GODOT_ENV) else None,
                   f"{environ[GODOT_ENV]!r} not found" if environ.get(GODOT_ENV) else "not set"),
    ]
    places += [_Candidate(f"fetched runtime {folder / LAUNCHER_NAME}", folder / LAUNCHER_NAME)
               for folder in fetched]
    for name in ("godot4", "godot"):
        places.append(_Candidate(f"{name} on PATH", _which(name, environ)))
    return places


def _probe(path: Path, env: Mapping[str, str]) -> tuple[str | None, str]:
    """(version line, "") when path is a usable Godot, else (None, why not)."""
    if not path.is_file():
        return None, f"{path} not found"
    if not os.access(path, os.X_OK):
        return None, f"{path} is not executable"
    try:
        done = subprocess.run([str(path), "--headless", "--version"], capture_output=True,
                              text=True, timeout=PROBE_TIMEOUT_S, env=dict(env))
    except subprocess.TimeoutExpired:
        return None, f"{path} --version did not answer within {PROBE_TIMEOUT_S:.0f} s"
    except OSError as exc:
        return None, f"{path} cannot run: {exc.strerror or exc}"
    version = parse_godot_version(done.stdout)
    if done.returncode != 0 or version is None:
        tail = (done.stderr.strip().splitlines() or done.stdout.strip().splitlines() or [""])[-1]
        return None, f"{path} --version failed (exit {done.returncode}): {tail[:200]}"
    if version < MIN_GODOT_VERSION:
        return None, f"{path} is Godot {version}, older than {MIN_GODOT_VERSION}"
    return done.stdout.strip().splitlines()[0], ""


def _private_env(environ: Mapping[str, str], home: Path | None) -> dict[str, str]:
    """Godot's private XDG folders (default: ``godot/`` in the data folder)."""
    return godot_home_env(home if home is not None
                          else resolve_data_dir(None, environ).root / "godot")


def _check_chosen(value: str, environ: Mapping[str, str]) -> GodotRuntime:
    """The Godot ``value`` names (a path or a name on PATH), or why it will not be saved:
    a typo must not become a setting that is only found out (and skipped) at the next start.
    """
    path = _named(value, environ)
    if path is None:
        raise GodotRuntimeError(
            f"Godot not saved: {value!r} is not a file and not a program on PATH",
            reason="godot-unusable")
    path = path.absolute()
    extra_env = _private_env(environ, None)
    version, why_not = _probe(path, {**environ, **extra_env})
    if version is None:
        raise GodotRuntimeError(f"Godot not saved: {why_not}", reason="godot-unusable")
    return GodotRuntime(command=[str(path)], version=version, env=extra_env,
                        source="setting godot.path")


def save_godot_choice(store: SettingsStore, value: str,
                      environ: Mapping[str, str] = os.environ) -> tuple[str, GodotRuntime | None]:
    """Check ``value`` and save it as ``godot.path`` ("" forgets it: find automatically).

    Returns what was saved (a path absolute, a name on PATH kept as a name so it follows
    PATH) and the checked runtime. GodotRuntimeError ``godot-unusable`` saves nothing.
    """
    runtime = _check_chosen(value, environ) if value else None
    saved = runtime.command[0] if runtime is not None and os.sep in value else value
    store.update(lambda settings: setattr(settings.godot, "path", saved))
    return saved, runtime


def locate_godot(godot_settings: GodotSettings, environ: Mapping[str, str] = os.environ, *,
                 home: Path | None = None, fetched_dirs: Sequence[Path] | None = None
                 ) -> GodotRuntime:
    """The first usable Godot 4.3+ (see the module docstring); GodotRuntimeError otherwise.

    ``home`` holds Godot's private XDG folders (default: ``godot/`` in the data folder);
    ``fetched_dirs`` overrides where fetched runtimes are looked for (tests).
    """
    extra_env = _private_env(environ, home)
    probe_env = {**environ, **extra_env}
    looked: list[str] = []
    for candidate in _candidates(godot_settings, environ,
                                 runtime_dirs() if fetched_dirs is None else fetched_dirs):
        if candidate.path is None:
            looked.append(f"{candidate.place}: {candidate.absent}")
            continue
        version, why_not = _probe(candidate.path, probe_env)
        if version is None:
            looked.append(f"{candidate.place}: {why_not}")
            if candidate.path.exists():
                log.godot.warning("skipping %s: %s", candidate.place, why_not)
            continue
        log.godot.info("using Godot %s from %s", version, candidate.place)
        return GodotRuntime(command=[str(candidate.path)], version=version, env=extra_env,
                            source=candidate.place)
    places = "\n".join(f"  {i}. {line}" for i, line in enumerate(looked, 1))
    raise GodotRuntimeError(
        f"No usable Godot {MIN_GODOT_VERSION.major}.{MIN_GODOT_VERSION.minor}+ was found. "
        f"Looked in, in order:\n{places}\n"
        "To fix it: run `companion-stage godot fetch` (downloads the pinned runtime; "
        "./scripts/run.sh does this), or point the godot.path setting or "
        f"{GODOT_ENV} at a Godot {MIN_GODOT_VERSION.major}.{MIN_GODOT_VERSION.minor}+ "
        "executable, or install godot4 on PATH.",
        reason="godot-not-found",
    )
