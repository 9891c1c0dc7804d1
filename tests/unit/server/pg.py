"""A private PostgreSQL cluster for the tests: initdb + pg_ctl on loopback in a temp dir.

The server binaries come from the Debian ``postgresql`` package (scripts/bootstrap.sh
installs it for tests). PostgreSQL refuses to run as root, so under root the
cluster belongs to ``nobody`` and its commands run through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "find_bin_dir", "start_cluster"]

RUN_AS = "nobody"


def find_bin_dir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    assert candidates, (
        "PostgreSQL is not installed: scripts/bootstrap.sh test installs `postgresql`"
    )
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    bin_dir: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "server.log"
            raise AssertionError(
                f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}"
                + (f"\nserver log:\n{log.read_text()[-2000:]}" if log.exists() else "")
            )
        return done

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    # under root the cluster's user must be able to reach the folder: /tmp, not $TMPDIR
    root = Path(tempfile.mkdtemp(prefix="cs-pg-", dir="/tmp" if os.geteuid() == 0 else None))
    if os.geteuid() == 0:
        shutil.chown(root, RUN_AS, "nogroup")
    cluster = Cluster(find_bin_dir(), root, _free_port())
    cluster.run(
        "initdb",
        "-D",
        str(cluster.data),
        "-U",
        "postgres",
        "--auth=trust",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
    )
    options = (
        f"-h 127.0.0.1 -p {cluster.port} -k {root} -F "
        "-c max_connections=200 -c shared_buffers=32MB -c fsync=off"
    )
    cluster.run(
        "pg_ctl",
        "-D",
        str(cluster.data),
        "-l",
        str(root / "server.log"),
        "-o",
        options,
        "-w",
        "-t",
        "60",
        "start",
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", cluster.port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return cluster
