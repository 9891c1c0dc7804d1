"""The log level of each line Godot writes, from Godot's own severity prefixes.

Godot reports engine problems on stderr as ``ERROR: ...`` or ``WARNING: ...`` (``USER``/``SCRIPT``
variants for GDScript), each followed by indented ``at: function (file:line)`` lines that belong
to it. Logging every stderr line at one level would file an engine ERROR as a warning and tear a
message from its location; so each message keeps its own severity and its ``at:`` lines follow
it. Lines without a prefix on stderr (the stage's own ``printerr`` refusals) stay warnings, and
stdout is information.
"""

from __future__ import annotations

import logging
import re
from typing import Final

__all__ = ["LineClassifier"]

_PREFIXED: Final = re.compile(r"^(?:USER |SCRIPT )?(ERROR|WARNING):")
_CONTINUATION: Final = re.compile(r"^\s+(?:at:|GDScript backtrace|\[\d+\] )")
_LEVELS: Final = {"ERROR": logging.ERROR, "WARNING": logging.WARNING}


class LineClassifier:
    """Levels for one output stream's lines, in order (a continuation needs its message)."""

    def __init__(self, stream: str) -> None:
        self._default = logging.INFO if stream == "stdout" else logging.WARNING
        self._last = self._default

    def level(self, line: str) -> int:
        prefixed = _PREFIXED.match(line)
        if prefixed is not None:
            self._last = _LEVELS[prefixed.group(1)]
        elif _CONTINUATION.match(line) is None:
            self._last = self._default
        return self._last
