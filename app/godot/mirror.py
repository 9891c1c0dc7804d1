"""Which Debian mirror to fetch from: the one the system's own apt sources already use.

The project never names a package registry itself; it reuses the mirror the machine is
configured for (deb822 ``*.sources`` files or one-line ``*.list`` files), and a user on
a machine without a Debian mirror names one in ``COMPANION_STAGE_DEBIAN_MIRROR``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.errors import GodotRuntimeError
from app.godot.deb822 import stanzas

__all__ = ["MIRROR_ENV", "AptSource", "find_mirror", "parse_deb822", "parse_one_line"]

MIRROR_ENV: Final = "COMPANION_STAGE_DEBIAN_MIRROR"
APT_SOURCES_DIR: Final = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    types: tuple[str, ...] = ("deb",)
    enabled: bool = True

    @property
    def is_main_archive(self) -> bool:
        """A binary source of a release suite (not -security/-updates/-backports) with main."""
        return (
            self.enabled
            and "deb" in self.types
            and "main" in self.components
            and any("-" not in suite and "/" not in suite for suite in self.suites)
        )


def parse_deb822(text: str) -> list[AptSource]:
    """Stanzas of a deb822 ``.sources`` file (comments and continuation lines handled)."""
    sources: list[AptSource] = []
    for stanza in stanzas(text):
        fields = {key.lower(): value for key, value in stanza.items()}
        uris = fields.get("uris", "").split()
        for uri in uris:
            sources.append(AptSource(
                uri=uri.rstrip("/"),
                suites=tuple(fields.get("suites", "").split()),
                components=tuple(fields.get("components", "").split()),
                types=tuple(fields.get("types", "deb").split()),
                enabled=fields.get("enabled", "yes").strip().lower() != "no",
            ))
    return sources


def parse_one_line(text: str) -> list[AptSource]:
    """Entries of a one-line ``sources.list`` file: ``deb [options] URI suite components…``."""
    sources: list[AptSource] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        kind, rest = parts[0], parts[1:]
        if rest and rest[0].startswith("["):
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
            rest = rest[1:]
        if kind not in ("deb", "deb-src") or len(rest) < 2:
            continue
        sources.append(AptSource(uri=rest[0].rstrip("/"), suites=(rest[1],),
                                 components=tuple(rest[2:]), types=(kind,)))
    return sources


def system_sources(etc: Path) -> list[AptSource]:
    found: list[AptSource] = []
    one_line = [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if path.is_file():
            found += parse_one_line(path.read_text(encoding="utf-8", errors="replace"))
    for path in sorted((etc / "sources.list.d").glob("*.sources")):
        found += parse_deb822(path.read_text(encoding="utf-8", errors="replace"))
    return found


def find_mirror(environ: Mapping[str, str] = os.environ, etc: Path | None = None) -> str:
    """The Debian mirror URI to use; GodotRuntimeError ``no-debian-mirror`` when there is none."""
    etc = APT_SOURCES_DIR if etc is None else etc
    named = environ.get(MIRROR_ENV, "").strip()
    if named:
        return named.rstrip("/")
    for source in system_sources(etc):
        if source.is_main_archive and source.uri.startswith(("http://", "https://", "file:/")):
            return source.uri
    raise GodotRuntimeError(
        f"No Debian mirror found in the apt sources under {etc}. The Godot runtime comes from "
        f"Debian's unstable suite; set {MIRROR_ENV} to a Debian mirror URI (the part before "
        "/dists/) and run `companion-stage godot fetch` again, or install Godot 4.3+ yourself "
        "and set COMPANION_STAGE_GODOT to its path.",
        reason="no-debian-mirror",
    )
