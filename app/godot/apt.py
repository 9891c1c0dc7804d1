"""apt-get and apt-cache run against a private state folder, so the system stays untouched.

The Godot runtime comes from a different suite than the host's. Pointing apt at its
own sources list, package lists, cache and an empty dpkg status keeps every fetch
away from /var/lib/apt and makes dependency resolution independent of what the host
has installed. apt still checks the suite's signature with the system keyring.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app import log
from app.errors import GodotRuntimeError
from app.godot.deb822 import stanzas

__all__ = ["AptRecord", "PrivateApt", "Progress", "parse_records", "progress_to_stderr"]

KEYRING: Final = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
_INST_RE: Final = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) ")

#: Receives one human-readable line per step of a long apt or fetch run.
Progress = Callable[[str], None]


def progress_to_stderr(line: str) -> None:
    """The default Progress: stdout stays free for a command's --json result."""
    print(line, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class AptRecord:
    """The fields of one ``apt-cache show`` record that a lock needs."""

    name: str
    version: str
    arch: str
    filename: str
    size: int
    sha256: str
    depends: str = ""


def parse_records(text: str) -> list[AptRecord]:
    """Records of ``apt-cache show`` output (blank-line separated, RFC 822 style)."""
    records: list[AptRecord] = []
    for fields in stanzas(text):
        if {"Package", "Version", "Architecture", "Filename", "Size", "SHA256"} <= fields.keys():
            records.append(AptRecord(
                name=fields["Package"], version=fields["Version"], arch=fields["Architecture"],
                filename=fields["Filename"], size=int(fields["Size"]), sha256=fields["SHA256"],
                depends=fields.get("Depends", ""),
            ))
    return records


class PrivateApt:
    """apt-get/apt-cache over ``state_dir`` with one source: ``mirror`` ``suite`` main."""

    def __init__(self, state_dir: Path, *, mirror: str, suite: str, arch: str,
                 progress: Progress = progress_to_stderr) -> None:
        self.state_dir = state_dir
        self.mirror = mirror
        self.suite = suite
        self.arch = arch
        self.progress = progress
        for tool in ("apt-get", "apt-cache", "dpkg"):
            if shutil.which(tool) is None:
                raise GodotRuntimeError(
                    f"`{tool}` is not installed; fetching the Godot runtime needs a Debian-based "
                    "system with apt. Install Godot 4.3+ yourself and set COMPANION_STAGE_GODOT.",
                    reason="no-apt")
        if not KEYRING.is_file():
            raise GodotRuntimeError(
                f"The Debian archive keyring {KEYRING} is missing; install the package "
                "debian-archive-keyring (scripts/bootstrap.sh does).", reason="no-keyring")

    @property
    def archives_dir(self) -> Path:
        return self.state_dir / "archives"

    def _prepare(self) -> None:
        lists = self.state_dir / "lists"
        for folder in (lists / "partial", self.state_dir / "cache" / "archives" / "partial",
                       self.archives_dir):
            folder.mkdir(parents=True, exist_ok=True)
        sources = self.state_dir / "sources.list"
        line = f"deb [signed-by={KEYRING}] {self.mirror} {self.suite} main\n"
        if not sources.is_file() or sources.read_text(encoding="utf-8") != line:
            sources.write_text(line, encoding="utf-8")
        (self.state_dir / "status").touch()

    def _options(self) -> list[str]:
        state = self.state_dir
        options = [
            f"-oDir::Etc::SourceList={state / 'sources.list'}",
            "-oDir::Etc::SourceParts=/dev/null",
            "-oDir::Etc::Preferences=/dev/null",
            "-oDir::Etc::PreferencesParts=/dev/null",
            f"-oDir::State::Lists={state / 'lists'}",
            f"-oDir::State::status={state / 'status'}",
            f"-oDir::Cache={state / 'cache'}",
            f"-oAPT::Architecture={self.arch}",
            "-oAcquire::Languages=none",
        ]
        if os.geteuid() == 0:
            options.append("-oAPT::Sandbox::User=root")  # the private folders are not _apt's
        return options

    def _run(self, tool: str, args: Sequence[str], *, cwd: Path | None = None,
             stream: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
        self._prepare()
        argv = [tool, *self._options(), *args]
        log.godot.debug("running %s", " ".join(argv))
        env = {**os.environ, "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
        if stream:
            lines: list[str] = []
            with subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:
                    lines.append(line)
                    self.progress("  " + line.rstrip())
            result = subprocess.CompletedProcess(argv, proc.returncode, "".join(lines), "")
        else:
            result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        if check and result.returncode != 0:
            tail = "\n".join((result.stdout + (result.stderr or "")).strip().splitlines()[-8:])
            raise GodotRuntimeError(
                f"{tool} {args[0] if args else ''} failed (exit {result.returncode}):\n{tail}",
                reason="apt-failed")
        return result

    def update(self) -> None:
        """Download the suite's signed package index into the private state."""
        self.progress(f"godot fetch: reading the {self.suite} package index")
        self._run("apt-get", ["-q", "update"], stream=True)

    def show(self, names: Iterable[str]) -> list[AptRecord]:
        """Every version of each named package that the index holds."""
        wanted = sorted(set(names))
        if not wanted:
            return []
        result = self._run("apt-cache", ["show", *wanted], check=False)
        return [r for r in parse_records(result.stdout) if r.arch in (self.arch, "all")]

    def simulate_install(self, roots: Sequence[str]) -> list[tuple[str, str]]:
        """(name, version) apt would install from scratch for roots, without Recommends."""
        result = self._run("apt-get", ["-s", "-q", "install", "--no-install-recommends", *roots])
        matches = map(_INST_RE.match, result.stdout.splitlines())
        return [(m.group(1), m.group(2)) for m in matches if m]

    def depends_closure(self, roots: Sequence[str]) -> set[str]:
        """Names reachable through Depends/Pre-Depends (every alternative and virtual)."""
        result = self._run("apt-cache", [
            "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
            "--no-breaks", "--no-replaces", "--no-enhances", *roots])
        lines = result.stdout.splitlines()
        return {line.strip() for line in lines if line and not line[0].isspace()}

    def download(self, specs: Sequence[str]) -> None:
        """apt-get download ``name=version`` specs into ``archives_dir`` (progress on stderr)."""
        if specs:
            self._run("apt-get", ["download", *specs], cwd=self.archives_dir, stream=True)
