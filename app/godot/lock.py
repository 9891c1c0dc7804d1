"""The lock file that pins the Godot runtime to exact Debian packages and their sha256.

A runtime built from a moving suite (Debian unstable) is only reproducible when every
package is pinned; the lock is what a fetch checks each download against. It is JSON
(see docs/godot-runtime.md) so the standard library reads and writes it, and it holds
no registry hostname: the mirror comes from the system's apt sources at run time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from app.atomic import atomic_write_text
from app.errors import GodotRuntimeError

__all__ = [
    "LOCK_FORMAT",
    "PACKAGE_SETS",
    "GodotLock",
    "LockedPackage",
    "deb_file_name",
    "dump_lock",
    "load_lock",
    "parse_lock",
    "write_lock",
]

LOCK_FORMAT: Final = 1
#: "headless" runs Godot without a display; "render" adds Mesa so it can draw under X.
PACKAGE_SETS: Final = ("headless", "render")

_NAME_RE: Final = re.compile(r"^[a-z0-9][a-z0-9+.\-]+$")
_VERSION_RE: Final = re.compile(r"^[0-9A-Za-z.+~:\-]+$")
_SHA256_RE: Final = re.compile(r"^[0-9a-f]{64}$")
_ARCH_RE: Final = re.compile(r"^[a-z0-9\-]+$")


@dataclass(frozen=True)
class LockedPackage:
    """One Debian binary package, as the mirror's signed index describes it."""

    name: str
    version: str
    arch: str
    filename: str  # path below the mirror root, e.g. pool/main/g/godot/godot_…_amd64.deb
    size: int
    sha256: str

    @property
    def spec(self) -> str:
        """What apt-get download takes to fetch exactly this version."""
        return f"{self.name}={self.version}"

    @property
    def deb_name(self) -> str:
        return deb_file_name(self.name, self.version, self.arch)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "arch": self.arch,
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class GodotLock:
    suite: str
    arch: str
    roots: dict[str, list[str]]
    packages: dict[str, list[LockedPackage]]
    godot_version: str = ""
    generated: str = ""
    format: int = LOCK_FORMAT
    sha256: str = field(default="", compare=False)  # of the file it was read from

    def selected(self, render: bool) -> list[LockedPackage]:
        """The packages to unpack: headless always, render when asked."""
        chosen = list(self.packages.get("headless", []))
        if render:
            chosen += self.packages.get("render", [])
        return chosen

    def all_packages(self) -> list[LockedPackage]:
        return self.selected(render=True)


def deb_file_name(name: str, version: str, arch: str) -> str:
    """The file name apt-get download gives a package (an epoch's colon becomes %3a)."""
    return f"{name}_{version.replace(':', '%3a')}_{arch}.deb"


def _bad(where: str, problem: str) -> GodotRuntimeError:
    return GodotRuntimeError(f"Godot lock {where}: {problem}", reason="bad-lock")


def _text(data: Mapping[str, Any], key: str, where: str,
          pattern: re.Pattern[str] | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(where, f"'{key}' must be a non-empty string")
    if pattern is not None and not pattern.match(value):
        raise _bad(where, f"'{key}' has an invalid value {value!r}")
    return value


def _package(data: Any, where: str) -> LockedPackage:
    if not isinstance(data, dict):
        raise _bad(where, "each package must be an object")
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise _bad(where, "'size' must be a positive integer")
    filename = _text(data, "filename", where)
    if filename.startswith("/") or ".." in filename.split("/") or "://" in filename:
        raise _bad(where, f"'filename' must be a path below the mirror root, not {filename!r}")
    return LockedPackage(
        name=_text(data, "name", where, _NAME_RE),
        version=_text(data, "version", where, _VERSION_RE),
        arch=_text(data, "arch", where, _ARCH_RE),
        filename=filename,
        size=size,
        sha256=_text(data, "sha256", where, _SHA256_RE),
    )


def parse_lock(text: str, *, source: str = "godot.lock") -> GodotLock:
    """Parse and validate a lock; any defect is a GodotRuntimeError with reason ``bad-lock``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(source, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise _bad(source, "the top level must be an object")
    if data.get("format") != LOCK_FORMAT:
        raise _bad(source, f"unsupported format {data.get('format')!r} "
                           f"(this app reads {LOCK_FORMAT})")
    suite = _text(data, "suite", source, _NAME_RE)
    arch = _text(data, "arch", source, _ARCH_RE)
    raw_sets = data.get("packages")
    if not isinstance(raw_sets, dict) or set(raw_sets) != set(PACKAGE_SETS):
        raise _bad(source, f"'packages' must have exactly the sets {', '.join(PACKAGE_SETS)}")
    packages: dict[str, list[LockedPackage]] = {}
    seen: set[str] = set()
    for set_name in PACKAGE_SETS:
        entries = raw_sets[set_name]
        if not isinstance(entries, list):
            raise _bad(source, f"packages.{set_name} must be a list")
        parsed = [_package(entry, f"{source} packages.{set_name}[{i}]")
                  for i, entry in enumerate(entries)]
        for package in parsed:
            if package.name in seen:
                raise _bad(source, f"package {package.name} is listed twice")
            seen.add(package.name)
        packages[set_name] = parsed
    if not any(p.name == "godot" for p in packages["headless"]):
        raise _bad(source, "the headless set must contain the godot package")
    raw_roots = data.get("roots", {})
    if not isinstance(raw_roots, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in raw_roots.values()
    ):
        raise _bad(source, "'roots' must map set names to lists of package names")
    return GodotLock(
        suite=suite,
        arch=arch,
        roots={str(k): list(v) for k, v in raw_roots.items()},
        packages=packages,
        godot_version=str(data.get("godot_version", "")),
        generated=str(data.get("generated", "")),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_lock(path: Path) -> GodotLock:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GodotRuntimeError(
            f"The Godot lock file {path} does not exist; run from a checkout of Companion Stage "
            "or pass --lock FILE.", reason="lock-not-found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GodotRuntimeError(f"Cannot read the Godot lock file {path}: {exc}",
                                reason="bad-lock") from None
    return parse_lock(text, source=str(path))


def dump_lock(lock: GodotLock) -> str:
    """The lock as stable, diff-friendly JSON (sorted packages, one field a line)."""
    def ordered(entries: Iterable[LockedPackage]) -> list[dict[str, Any]]:
        return [p.to_json() for p in sorted(entries, key=lambda p: p.name)]

    document = {
        "format": lock.format,
        "suite": lock.suite,
        "arch": lock.arch,
        "godot_version": lock.godot_version,
        "generated": lock.generated,
        "roots": lock.roots,
        "packages": {name: ordered(lock.packages.get(name, [])) for name in PACKAGE_SETS},
    }
    return json.dumps(document, indent=2) + "\n"


def write_lock(path: Path, lock: GodotLock) -> None:
    atomic_write_text(path, dump_lock(lock))
    path.chmod(0o644)  # a committed file, readable like any other
