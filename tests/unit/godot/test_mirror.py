"""The Debian mirror is read from this system's apt sources, so no hostname is committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import GodotRuntimeError
from app.godot.mirror import MIRROR_ENV, find_mirror, parse_deb822, parse_one_line

# Host names below are the reserved example domain: tests must not name a real registry.
DEB822 = """\
Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def _etc(tmp_path: Path, files: dict[str, str]) -> Path:
    etc = tmp_path / "etc-apt"
    (etc / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (etc / name).write_text(text)
    return etc


def test_deb822_stanzas() -> None:
    main, security = parse_deb822(DEB822)
    assert main.uri == "http://mirror.example/debian" and main.is_main_archive
    assert security.suites == ("bookworm-security",) and not security.is_main_archive


def test_deb822_disabled_and_source_only_stanzas_are_not_archives() -> None:
    text = "Types: deb-src\nURIs: http://a.example/debian\nSuites: sid\nComponents: main\n\n" \
           "Enabled: no\nTypes: deb\nURIs: http://b.example/debian\nSuites: sid\nComponents: main\n"
    assert [s.is_main_archive for s in parse_deb822(text)] == [False, False]


def test_one_line_format_with_options() -> None:
    text = ("# deb http://old.example/debian buster main\n"
            "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ trixie main contrib\n"
            "deb-src http://mirror.example/debian trixie main\n")
    binary, source = parse_one_line(text)
    assert binary.uri == "http://mirror.example/debian" and binary.is_main_archive
    assert source.types == ("deb-src",) and not source.is_main_archive


def test_finds_the_main_archive_not_security(tmp_path: Path) -> None:
    etc = _etc(tmp_path, {"sources.list.d/debian.sources": DEB822})
    assert find_mirror({}, etc) == "http://mirror.example/debian"


def test_the_environment_wins(tmp_path: Path) -> None:
    etc = _etc(tmp_path, {"sources.list.d/debian.sources": DEB822})
    assert find_mirror({MIRROR_ENV: "http://other.example/debian/"}, etc) \
        == "http://other.example/debian"


def test_no_mirror_says_how_to_fix(tmp_path: Path) -> None:
    line = "deb http://mirror.example/debian-security x-security main\n"
    etc = _etc(tmp_path, {"sources.list": line})
    with pytest.raises(GodotRuntimeError) as caught:
        find_mirror({}, etc)
    assert caught.value.reason == "no-debian-mirror"
    assert MIRROR_ENV in caught.value.message and "COMPANION_STAGE_GODOT" in caught.value.message


def test_this_machine_has_a_mirror() -> None:
    """The fetch in scripts/bootstrap.sh depends on it; a Debian host always has one."""
    assert find_mirror({}).startswith(("http://", "https://", "file:"))
