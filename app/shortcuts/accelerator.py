"""Parse and format accelerators such as ``CmdOrCtrl+Shift+K`` (pure, no I/O).

One parser serves settings, the CLI, the devtools page and every backend, so an
accelerator means the same thing everywhere and every mistake gets one precise
message naming what is wrong and where (1-based character position).
The canonical form lists modifiers in a fixed order, then the key.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Final, Literal

from app.errors import ShortcutError
from app.shortcuts.keys import KEY_ALIASES, SHIFTED_CHARACTERS, canonical_key

__all__ = [
    "MODIFIERS",
    "MODIFIER_ALIASES",
    "Accelerator",
    "AcceleratorError",
    "ErrorKind",
    "format_accelerator",
    "parse_accelerator",
]

Modifier = Literal["CmdOrCtrl", "Ctrl", "Alt", "Shift", "Super"]
PhysicalModifier = Literal["Ctrl", "Alt", "Shift", "Super"]

#: Canonical modifier names in canonical order.
MODIFIERS: Final[tuple[Modifier, ...]] = ("CmdOrCtrl", "Ctrl", "Alt", "Shift", "Super")

MODIFIER_ALIASES: Final[dict[str, Modifier]] = {
    "mod": "CmdOrCtrl", "cmdorctrl": "CmdOrCtrl", "commandorcontrol": "CmdOrCtrl",
    "control": "Ctrl", "ctrl": "Ctrl",
    "option": "Alt", "alt": "Alt",
    "shift": "Shift",
    "command": "Super", "cmd": "Super", "meta": "Super", "super": "Super",
}

#: CmdOrCtrl is Command on macOS and Ctrl elsewhere: with either of those it would
#: name the same modifier twice on some platform.
_OVERLAPS: Final[dict[Modifier, frozenset[Modifier]]] = {
    "CmdOrCtrl": frozenset({"Ctrl", "Super"}),
    "Ctrl": frozenset({"CmdOrCtrl"}),
    "Super": frozenset({"CmdOrCtrl"}),
}

ErrorKind = Literal["empty", "empty-token", "no-key", "two-keys", "repeated-modifier",
                    "unknown-key"]


class AcceleratorError(ShortcutError):
    """An accelerator string that cannot be parsed; ``kind`` says what, ``position`` where."""

    reason = "invalid"

    def __init__(self, message: str, *, kind: ErrorKind, text: str, position: int | None) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.text = text
        self.position = position  # 1-based character position of the offending token


@dataclass(frozen=True)
class Accelerator:
    """A set of modifiers plus exactly one key, both in canonical spelling."""

    modifiers: frozenset[Modifier]
    key: str

    def __post_init__(self) -> None:
        unknown = set(self.modifiers) - set(MODIFIERS)
        if unknown or canonical_key(self.key) != self.key:
            raise ValueError(f"not canonical: modifiers {sorted(self.modifiers)}, key {self.key!r}")

    def physical_modifiers(self, platform: str) -> frozenset[PhysicalModifier]:
        """Modifiers as keys on ``platform`` (``sys.platform``): CmdOrCtrl becomes Super or Ctrl."""
        out: set[PhysicalModifier] = set()
        for modifier in self.modifiers:
            if modifier == "CmdOrCtrl":
                out.add("Super" if platform == "darwin" else "Ctrl")
            else:
                out.add(modifier)
        return frozenset(out)

    def __str__(self) -> str:
        return format_accelerator(self)


def format_accelerator(accelerator: Accelerator) -> str:
    """The canonical spelling: modifiers in :data:`MODIFIERS` order, then the key."""
    parts = [m for m in MODIFIERS if m in accelerator.modifiers]
    return "+".join([*parts, accelerator.key])


def parse_accelerator(text: str) -> Accelerator:
    """Parse an Electron-style or W3C-code accelerator; raise :class:`AcceleratorError`."""
    if not text or not text.strip():
        raise AcceleratorError("The accelerator is empty: write modifiers and one key, e.g. "
                               "CmdOrCtrl+Shift+K.", kind="empty", text=text, position=None)
    modifiers: dict[Modifier, tuple[str, int]] = {}
    key: tuple[str, str, int] | None = None  # canonical, as written, position
    offset = 0
    for index, raw in enumerate(text.split("+")):
        token = raw.strip()
        position = offset + (len(raw) - len(raw.lstrip())) + 1
        offset += len(raw) + 1
        if not token:
            raise AcceleratorError(
                f"Empty token at position {position} (part {index + 1}) of {text!r}: two '+' in a "
                "row or a '+' at an end. '+' separates parts; write the plus key as Equal "
                "(or Shift+Equal).", kind="empty-token", text=text, position=position)
        modifier = MODIFIER_ALIASES.get(token.lower())
        if modifier is not None:
            clash = _repeated(modifier, modifiers)
            if clash is not None:
                earlier, earlier_position = modifiers[clash]
                why = "" if clash == modifier else (
                    " (CmdOrCtrl is Command on macOS and Ctrl elsewhere; name one of them)")
                raise AcceleratorError(
                    f"Repeated modifier at position {position} of {text!r}: {token!r} repeats "
                    f"{earlier!r} at position {earlier_position}{why}.",
                    kind="repeated-modifier", text=text, position=position)
            modifiers[modifier] = (token, position)
            continue
        name = canonical_key(token)
        if name is None:
            raise AcceleratorError(_unknown_key_message(token, position, text),
                                   kind="unknown-key", text=text, position=position)
        if key is not None:
            raise AcceleratorError(
                f"Two keys in {text!r}: {key[1]!r} at position {key[2]} and {token!r} at position "
                f"{position}; an accelerator has modifiers and exactly one key.",
                kind="two-keys", text=text, position=position)
        key = (name, token, position)
    if key is None:
        raise AcceleratorError(
            f"{text!r} has no key, only modifiers: add one key, e.g. {text.strip()}+K.",
            kind="no-key", text=text, position=len(text))
    return Accelerator(frozenset(modifiers), key[0])


def _repeated(modifier: Modifier, seen: dict[Modifier, tuple[str, int]]) -> Modifier | None:
    if modifier in seen:
        return modifier
    for other in _OVERLAPS.get(modifier, frozenset()):
        if other in seen:
            return other
    return None


def _unknown_key_message(token: str, position: int, text: str) -> str:
    message = f"Unknown key {token!r} at position {position} of {text!r}"
    shifted = SHIFTED_CHARACTERS.get(token.lower())
    if shifted is not None:
        return f"{message}: it is a shifted character; name the physical key, e.g. {shifted}."
    close = difflib.get_close_matches(token.lower(), list(KEY_ALIASES), n=1, cutoff=0.75)
    if close:
        return f"{message}; did you mean {KEY_ALIASES[close[0]]}?"
    return (f"{message}. Keys are letters, digits, F1-F24, or W3C key codes such as ArrowUp, "
            "Space, Comma.")
