"""Named loggers and their set-up, free of Qt so every layer can log.

Each concern logs through its own named logger (``log.stage``, ``log.speech`` …)
so a user or a test can filter one part of the app. ``init`` is called once by the
entry point; library code never configures logging itself.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import Final

__all__ = [
    "JsonFormatter",
    "app",
    "bridge",
    "godot",
    "init",
    "models",
    "server",
    "settings",
    "shortcuts",
    "speech",
    "stage",
    "ui",
]

ROOT_NAME: Final = "companion_stage"

app = logging.getLogger(ROOT_NAME)
settings = logging.getLogger(f"{ROOT_NAME}.settings")
models = logging.getLogger(f"{ROOT_NAME}.models")
stage = logging.getLogger(f"{ROOT_NAME}.stage")
bridge = logging.getLogger(f"{ROOT_NAME}.bridge")
godot = logging.getLogger(f"{ROOT_NAME}.godot")
shortcuts = logging.getLogger(f"{ROOT_NAME}.shortcuts")
speech = logging.getLogger(f"{ROOT_NAME}.speech")
server = logging.getLogger(f"{ROOT_NAME}.server")
ui = logging.getLogger(f"{ROOT_NAME}.ui")

LOG_FILE_BYTES: Final = 2 * 1024 * 1024
LOG_FILE_COUNT: Final = 3


class JsonFormatter(logging.Formatter):
    """One JSON object a line, so end-to-end tests and tools can parse the log."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "t": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name.removeprefix(f"{ROOT_NAME}.") or "app",
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init(level: str = "info", *, log_dir: Path | None = None, json_lines: bool = False) -> None:
    """Configure the app's loggers once: stderr, plus a rotating file under ``log_dir``."""
    app.setLevel(level.upper())
    app.propagate = False
    for handler in list(app.handlers):
        app.removeHandler(handler)
        handler.close()
    text = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(JsonFormatter() if json_lines else text)
    app.addHandler(console)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            log_dir / "companion-stage.log",
            maxBytes=LOG_FILE_BYTES,
            backupCount=LOG_FILE_COUNT,
            encoding="utf-8",
        )
        rotating.setFormatter(text)
        app.addHandler(rotating)
