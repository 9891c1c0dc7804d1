"""The key names an accelerator may use: one canonical name per key, plus aliases.

Names follow W3C ``KeyboardEvent.code`` (``Comma``, ``ArrowUp``, ``Numpad1``) with letters
and digits written short (``K``, ``1``) as Electron does; Electron's names (``Up``,
``Esc``, ``,``) are aliases. Like Electron, backends bind a key by what it types on the
current layout (its key symbol), so ``K`` is the key labelled K. Each backend maps the
canonical names to its own key names.
"""

from __future__ import annotations

import string
from typing import Final

__all__ = ["KEYS", "KEY_ALIASES", "SHIFTED_CHARACTERS", "canonical_key"]


def _table() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for letter in string.ascii_uppercase:
        table[letter] = (f"Key{letter}",)
    for digit in string.digits:
        table[digit] = (f"Digit{digit}",)
    for number in range(1, 25):
        table[f"F{number}"] = ()
    for number in range(10):
        table[f"Numpad{number}"] = (f"num{number}",)
    table.update({
        "ArrowUp": ("Up",), "ArrowDown": ("Down",), "ArrowLeft": ("Left",),
        "ArrowRight": ("Right",),
        "Space": (), "Enter": ("Return",), "Escape": ("Esc",), "Tab": (), "Backspace": (),
        "Delete": ("Del",), "Insert": ("Ins",), "Home": (), "End": (),
        "PageUp": ("PgUp",), "PageDown": ("PgDn",),
        "Minus": ("-",), "Equal": ("=", "Equals"), "BracketLeft": ("[",), "BracketRight": ("]",),
        "Backslash": ("\\",), "Semicolon": (";",), "Quote": ("'",), "Backquote": ("`", "Grave"),
        "Comma": (",",), "Period": (".", "Dot"), "Slash": ("/",),
        "CapsLock": (), "NumLock": (), "ScrollLock": (), "PrintScreen": ("PrtSc", "Print"),
        "Pause": (),
        "NumpadAdd": ("numadd",), "NumpadSubtract": ("numsub",), "NumpadMultiply": ("nummult",),
        "NumpadDivide": ("numdiv",), "NumpadDecimal": ("numdec",), "NumpadEnter": (),
        "AudioVolumeUp": ("VolumeUp",), "AudioVolumeDown": ("VolumeDown",),
        "AudioVolumeMute": ("VolumeMute",), "MediaTrackNext": ("MediaNextTrack",),
        "MediaTrackPrevious": ("MediaPreviousTrack",), "MediaStop": (),
        "MediaPlayPause": (), "ContextMenu": ("Menu",),
    })
    return table


#: Canonical key name -> its aliases (besides the canonical name itself).
KEYS: Final[dict[str, tuple[str, ...]]] = _table()

#: Lower-cased spelling -> canonical key name.
KEY_ALIASES: Final[dict[str, str]] = {
    spelling.lower(): name for name, aliases in KEYS.items() for spelling in (name, *aliases)
}

#: Characters that need Shift (US layout): an accelerator names the key, so write Shift+key.
SHIFTED_CHARACTERS: Final[dict[str, str]] = {
    "plus": "Shift+Equal", "!": "Shift+1", "@": "Shift+2", "#": "Shift+3", "$": "Shift+4",
    "%": "Shift+5", "^": "Shift+6", "&": "Shift+7", "*": "Shift+8", "(": "Shift+9",
    ")": "Shift+0", "_": "Shift+Minus", "{": "Shift+BracketLeft", "}": "Shift+BracketRight",
    "|": "Shift+Backslash", ":": "Shift+Semicolon", '"': "Shift+Quote", "~": "Shift+Backquote",
    "<": "Shift+Comma", ">": "Shift+Period", "?": "Shift+Slash",
}


def canonical_key(spelling: str) -> str | None:
    """The canonical name of a key spelled in any accepted way, case-insensitively."""
    return KEY_ALIASES.get(spelling.strip().lower())
