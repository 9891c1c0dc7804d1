"""Shared fixtures: every test gets its own data directory, an offscreen Qt, clean logging."""

from __future__ import annotations

import gc
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.log import ROOT_NAME
from app.paths import DATA_DIR_ENV, DataPaths
from tests.fixture_paths import real_fixtures_dir

__all__ = [
    "REAL_FIXTURES",
    "REPO_ROOT",
    "app_logging_restored",
    "data_dir",
    "real_vrm_files",
    "unexpected_warnings_fail",
]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The shared real VRM fixtures (tests/fixture_paths.py says where they are looked for).
REAL_FIXTURES = real_fixtures_dir(REPO_ROOT)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DataPaths]:
    """A fresh user-data folder; the real one in $HOME is never touched by tests."""
    root = tmp_path / "data"
    monkeypatch.setenv(DATA_DIR_ENV, str(root))
    yield DataPaths(root).ensure()


@pytest.fixture(autouse=True)
def app_logging_restored() -> Iterator[None]:
    """The app's loggers as the test found them.

    An in-process ``main()`` runs ``log.init``, whose handlers would otherwise outlive the
    test (writing to its closed capture stream) and stop propagation for later tests.
    """
    root = logging.getLogger(ROOT_NAME)
    handlers, level, propagate = list(root.handlers), root.level, root.propagate
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    root.propagate = propagate


@pytest.fixture(autouse=True)
def unexpected_warnings_fail(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """A WARNING or worse from the app's loggers fails the test unless it is expected.

    Mark a test ``@pytest.mark.expected_log("regex", ...)``: each such line must match one.
    """
    yield
    marks = request.node.iter_markers("expected_log")
    allowed = [re.compile(pattern) for mark in marks for pattern in mark.args]
    unexpected = [
        f"{record.name} {record.levelname}: {record.getMessage()}"
        for when in ("setup", "call")
        for record in caplog.get_records(when)
        if record.name.startswith(ROOT_NAME)
        and record.levelno >= logging.WARNING
        and not any(pattern.search(record.getMessage()) for pattern in allowed)
    ]
    if unexpected:
        pytest.fail("Unexpected log lines:\n" + "\n".join(unexpected), pytrace=False)


def real_vrm_files() -> list[Path]:
    """The six real VRM fixtures, read in place (never copied into the repo)."""
    files = sorted(REAL_FIXTURES.glob("*.vrm"))
    assert len(files) == 6, f"expected six real VRM fixtures in {REAL_FIXTURES}"
    return files


@pytest.fixture(autouse=True, scope="session")
def _collect_on_the_main_thread() -> Iterator[None]:
    """As the app does (app/ui/gc_guard.py): no cyclic GC in worker threads, where freeing a
    leftover QObject crashes Qt; each test's garbage is collected here, on the main thread."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    yield
    gc.collect()
