"""The launcher starts sid's Godot through its own loader, Mesa and XDG folders, from any path."""

from __future__ import annotations

import subprocess
from pathlib import Path

from app.godot.launcher import write_launcher

LIB = Path("usr/lib/x86_64-linux-gnu")


def _root(tmp_path: Path, *, mesa: bool) -> Path:
    """A runtime folder whose 'loader' is a script reporting how it was started."""
    root = tmp_path / "runtime folder"  # a space: the launcher must quote its paths
    (root / LIB).mkdir(parents=True)
    loader = root / LIB / "ld-linux-x86-64.so.2"
    loader.write_text('#!/bin/sh\nfor a in "$@"; do echo "arg=$a"; done\n'
                      'echo "dri=${LIBGL_DRIVERS_PATH-unset}"\n'
                      'echo "egl=${__EGL_VENDOR_LIBRARY_DIRS-unset}"\n'
                      'echo "data=$XDG_DATA_HOME"\necho "cache=$XDG_CACHE_HOME"\n'
                      'echo "config=$XDG_CONFIG_HOME"\n')
    loader.chmod(0o755)
    if mesa:
        (root / LIB / "dri").mkdir()
    return root


def _run(launcher: Path, env: dict[str, str], *args: str) -> dict[str, list[str]]:
    out = subprocess.run([str(launcher), *args], capture_output=True, text=True, check=True,
                         env=env, cwd="/").stdout
    seen: dict[str, list[str]] = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        seen.setdefault(key, []).append(value)
    return seen


def test_starts_godot_through_the_runtime_loader(tmp_path: Path) -> None:
    root = _root(tmp_path, mesa=False)
    launcher = write_launcher(root)
    seen = _run(launcher, {"PATH": "/usr/bin:/bin"}, "--headless", "--script", "a b.gd")
    lib = root / LIB
    assert seen["arg"] == ["--library-path", f"{lib}:{lib}/pulseaudio", str(root / "usr/bin/godot"),
                           "--headless", "--script", "a b.gd"]
    assert seen["dri"] == ["unset"] and seen["egl"] == ["unset"]  # no Mesa of its own
    assert seen["data"] == [str(root / "home/data")]
    assert seen["cache"] == [str(root / "home/cache")]
    assert seen["config"] == [str(root / "home/config")]


def test_uses_its_own_mesa_and_respects_given_xdg_folders(tmp_path: Path) -> None:
    root = _root(tmp_path, mesa=True)
    launcher = write_launcher(root)
    seen = _run(launcher, {"PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": "/elsewhere"})
    assert seen["dri"] == [str(root / LIB / "dri")]
    assert seen["egl"] == [str(root / "usr/share/glvnd/egl_vendor.d")]
    assert seen["config"] == ["/elsewhere"]
    assert seen["data"] == [str(root / "home/data")]


def test_works_when_started_through_symlinks(tmp_path: Path) -> None:
    root = _root(tmp_path, mesa=False)
    write_launcher(root)
    link = tmp_path / "link"
    link.symlink_to(root)
    seen = _run(link / "godot", {"PATH": "/usr/bin:/bin"})
    assert seen["arg"][2].endswith("usr/bin/godot")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "godot4").symlink_to(root / "godot")  # e.g. ~/.local/bin/godot4 -> launcher
    seen = _run(bin_dir / "godot4", {"PATH": "/usr/bin:/bin"})
    assert seen["arg"][2] == str(root / "usr/bin/godot")
