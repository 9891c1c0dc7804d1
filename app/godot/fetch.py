"""`godot fetch`: turn the lock into a runnable runtime folder, checking every byte.

Steps: read the lock; stop at once when the folder's stamp says this lock is already
unpacked; otherwise read the suite's signed index through a private apt, check each
pin is still there (substituting the current candidate with a warning when one left
the mirror), download what the cache lacks, verify every sha256 against the lock,
``dpkg -x`` into a staging folder, write the launcher, run ``--version``, then swap
the staging folder into place so a failed fetch never breaks a working runtime.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from app import log
from app.atomic import atomic_write_text
from app.digest import sha256_file
from app.errors import GodotRuntimeError
from app.godot.apt import AptRecord, PrivateApt, Progress, progress_to_stderr
from app.godot.launcher import LAUNCHER_NAME, launcher_script, write_launcher
from app.godot.lock import GodotLock, LockedPackage, load_lock, write_lock
from app.godot.mirror import find_mirror
from app.godot.resolve import HEADLESS_ROOTS, RENDER_ROOTS, resolve_lock
from app.godot.version import MIN_GODOT_VERSION, parse_godot_version

__all__ = [
    "STAMP_NAME",
    "FetchResult",
    "fetch_runtime",
    "read_stamp",
    "substitute_missing",
    "verify_debs",
]

STAMP_NAME: Final = ".companion-stage-runtime.json"


@dataclass(frozen=True)
class FetchResult:
    dest: Path
    launcher: Path
    godot_version: str
    render: bool
    fetched: bool  # False when the folder was already up to date
    packages: int
    download_bytes: int = 0
    unpacked_bytes: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dest": str(self.dest), "launcher": str(self.launcher),
            "godotVersion": self.godot_version, "render": self.render, "fetched": self.fetched,
            "packages": self.packages, "downloadBytes": self.download_bytes,
            "unpackedBytes": self.unpacked_bytes, "seconds": round(self.seconds, 2),
            "warnings": self.warnings,
        }


def read_stamp(dest: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((dest / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _up_to_date(dest: Path, lock: GodotLock, render: bool) -> dict[str, Any] | None:
    stamp = read_stamp(dest)
    complete = (dest / LAUNCHER_NAME).is_file() and (dest / "usr" / "bin" / "godot").is_file()
    if (stamp is None or stamp.get("lock_sha256") != lock.sha256
            or (render and not stamp.get("render")) or not complete):
        return None
    if (dest / LAUNCHER_NAME).read_text(encoding="utf-8", errors="replace") != launcher_script():
        write_launcher(dest)  # a newer app writes a newer launcher; the packages still fit
    return stamp


def substitute_missing(pins: Sequence[LockedPackage], records: Sequence[AptRecord]
                       ) -> tuple[list[LockedPackage], list[str]]:
    """Pins checked against the index: the same when present, the candidate when gone.

    A pinned version whose index record has another sha256 is refused outright (the
    mirror serves different bytes under the same version); a pinned version that left
    the mirror is replaced by the newest version of that package with a warning.
    """
    by_key = {(r.name, r.version): r for r in records}
    chosen: list[LockedPackage] = []
    warnings: list[str] = []
    for pin in pins:
        record = by_key.get((pin.name, pin.version))
        if record is not None:
            if record.sha256 != pin.sha256:
                raise GodotRuntimeError(
                    f"The mirror's signed index lists {pin.name} {pin.version} with sha256 "
                    f"{record.sha256}, but the lock pins {pin.sha256}. Refusing to use it; if "
                    "the archive really rebuilt the package, run `companion-stage godot fetch "
                    "--update-lock` and review the change.", reason="sha256-mismatch")
            chosen.append(pin)
            continue
        versions = [r for r in records if r.name == pin.name]
        if not versions:
            raise GodotRuntimeError(
                f"{pin.name} (pinned {pin.version}) is no longer in the suite at all; run "
                "`companion-stage godot fetch --update-lock` to resolve a new package set.",
                reason="package-gone")
        candidate = max(versions, key=lambda r: _version_key(r.version))
        warnings.append(f"{pin.name} {pin.version} has left the mirror; using the current "
                        f"candidate {candidate.version} (not pinned). Run `companion-stage godot "
                        "fetch --update-lock` to pin it.")
        chosen.append(replace(pin, version=candidate.version, arch=candidate.arch,
                              filename=candidate.filename, size=candidate.size,
                              sha256=candidate.sha256))
    return chosen, warnings


def _version_key(version: str) -> tuple[int, ...]:
    """A rough ordering for the rare choice between several versions of one package."""
    digits = "".join(c if c.isdigit() else " " for c in version)
    return tuple(int(part) for part in digits.split())


def verify_debs(packages: Sequence[LockedPackage], folder: Path) -> None:
    """Every package's file is in folder with the pinned sha256; a bad file is deleted."""
    for package in packages:
        path = folder / package.deb_name
        if not path.is_file():
            raise GodotRuntimeError(f"apt-get did not deliver {package.deb_name}",
                                    reason="download-failed")
        actual = sha256_file(path)
        if actual != package.sha256:
            path.unlink()
            raise GodotRuntimeError(
                f"{package.deb_name} has sha256 {actual}, but the lock pins {package.sha256}. "
                "The file was deleted and nothing was unpacked.", reason="sha256-mismatch")


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """One fetch at a time per apt folder (two test sessions may start together)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_dest(dest: Path) -> None:
    if dest.exists() and any(dest.iterdir()) and read_stamp(dest) is None \
            and not (dest / "usr" / "bin" / "godot").is_file():
        raise GodotRuntimeError(
            f"{dest} is not empty and is not a Godot runtime folder; choose another --dest "
            "(fetch replaces the folder's whole content).", reason="dest-not-runtime")


def _probe_version(launcher: Path) -> str:
    try:
        done = subprocess.run([str(launcher), "--headless", "--version"], capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GodotRuntimeError(f"The unpacked Godot does not start: {exc}",
                                reason="runtime-broken") from None
    version = parse_godot_version(done.stdout)
    if done.returncode != 0 or version is None or version < MIN_GODOT_VERSION:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise GodotRuntimeError(f"The unpacked Godot fails `--version` (exit {done.returncode}):\n"
                                f"{tail}", reason="runtime-broken")
    return done.stdout.strip().splitlines()[0]


def _unpack(packages: Sequence[LockedPackage], archives: Path, staging: Path,
            progress: Progress) -> None:
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for index, package in enumerate(packages, 1):
        done = subprocess.run(["dpkg", "-x", str(archives / package.deb_name), str(staging)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise GodotRuntimeError(f"dpkg -x {package.deb_name} failed: {done.stderr.strip()}",
                                    reason="unpack-failed")
        if index % 20 == 0 or index == len(packages):
            progress(f"godot fetch: unpacked {index}/{len(packages)} packages")


def _swap(staging: Path, dest: Path) -> None:
    old = dest.with_name(f".{dest.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _folder_bytes(root: Path) -> int:
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def _prune(archives: Path, keep: Sequence[LockedPackage]) -> None:
    wanted = {p.deb_name for p in keep}
    for path in archives.glob("*.deb"):
        if path.name not in wanted:
            path.unlink()


def _update_lock(apt: PrivateApt, lock_file: Path, old: GodotLock, progress: Progress) -> GodotLock:
    progress("godot fetch: resolving the current package set")
    new = resolve_lock(apt, headless_roots=old.roots.get("headless") or ["godot"],
                       render_roots=old.roots.get("render") or [])
    before = {p.name: p.version for p in old.all_packages()}
    after = {p.name: p.version for p in new.all_packages()}
    for name in sorted(before.keys() | after.keys()):
        if before.get(name) != after.get(name):
            progress(f"godot fetch: lock {name}: {before.get(name, '-')} -> {after.get(name, '-')}")
    if before == after:
        progress("godot fetch: the lock is current")
        return old
    write_lock(lock_file, new)
    progress(f"godot fetch: wrote {lock_file} ({len(after)} packages)")
    return load_lock(lock_file)


def _empty_lock() -> GodotLock:
    """The starting point of a first `--update-lock`: Debian unstable, this machine's arch."""
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=False).stdout.strip() or "amd64"
    return GodotLock(suite="sid", arch=arch,
                     roots={"headless": list(HEADLESS_ROOTS), "render": list(RENDER_ROOTS)},
                     packages={"headless": [], "render": []})


def fetch_runtime(*, lock_file: Path, dest: Path, apt_dir: Path, render: bool = False,
                  update_lock: bool = False, environ: Mapping[str, str] = os.environ,
                  progress: Progress = progress_to_stderr) -> FetchResult:
    """Make dest a verified runtime for the lock (see the module docstring)."""
    started = time.monotonic()
    lock = _empty_lock() if update_lock and not lock_file.exists() else load_lock(lock_file)
    dest = dest.expanduser().absolute()

    def unchanged(stamp: dict[str, Any]) -> FetchResult:
        return FetchResult(dest=dest, launcher=dest / LAUNCHER_NAME,
                           godot_version=str(stamp.get("godot_version", "")),
                           render=bool(stamp.get("render")), fetched=False,
                           packages=int(stamp.get("packages", 0)),
                           seconds=time.monotonic() - started)

    stamp = _up_to_date(dest, lock, render)
    if stamp is not None and not update_lock:
        return unchanged(stamp)
    _check_dest(dest)
    with _exclusive(apt_dir / ".fetch-lock"):
        stamp = _up_to_date(dest, lock, render)  # another fetch may have finished meanwhile
        if stamp is not None and not update_lock:
            return unchanged(stamp)
        previous = read_stamp(dest)
        render = render or bool(previous and previous.get("render"))
        apt = PrivateApt(apt_dir, mirror=find_mirror(environ), suite=lock.suite, arch=lock.arch,
                         progress=progress)
        apt.update()
        if update_lock:
            lock = _update_lock(apt, lock_file, lock, progress)
            stamp = _up_to_date(dest, lock, render)
            if stamp is not None:
                return unchanged(stamp)
        pins = lock.selected(render)
        packages, warnings = substitute_missing(pins, apt.show(p.name for p in pins))
        for warning in warnings:
            log.godot.warning("%s", warning)
            progress(f"godot fetch: warning: {warning}")
        archives = apt.archives_dir
        missing = [p for p in packages if not (archives / p.deb_name).is_file()
                   or (archives / p.deb_name).stat().st_size != p.size]
        download_bytes = sum(p.size for p in missing)
        if missing:
            progress(f"godot fetch: downloading {len(missing)} of {len(packages)} packages "
                     f"({download_bytes / 1e6:.1f} MB)")
            apt.download([p.spec for p in missing])
        progress(f"godot fetch: verifying {len(packages)} sha256 sums")
        verify_debs(packages, archives)
        staging = dest.with_name(f".{dest.name}.partial")
        progress(f"godot fetch: unpacking into {dest}")
        _unpack(packages, archives, staging, progress)
        launcher = write_launcher(staging)
        version = _probe_version(launcher)
        stamp_data = {
            "lock_sha256": lock.sha256, "render": render, "godot_version": version,
            "packages": len(packages), "substituted": bool(warnings),
            "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        atomic_write_text(staging / STAMP_NAME, json.dumps(stamp_data, indent=2) + "\n")
        _swap(staging, dest)
        if not warnings:
            _prune(archives, lock.all_packages())
    unpacked = _folder_bytes(dest)
    progress(f"godot fetch: Godot {version} ready at {dest / LAUNCHER_NAME} "
             f"({len(packages)} packages, {unpacked / 1e6:.0f} MB)")
    return FetchResult(dest=dest, launcher=dest / LAUNCHER_NAME, godot_version=version,
                       render=render, fetched=True, packages=len(packages),
                       download_bytes=download_bytes, unpacked_bytes=unpacked,
                       seconds=time.monotonic() - started, warnings=warnings)
