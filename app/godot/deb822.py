"""Debian's RFC 822 style stanzas, read one way for apt's sources and apt-cache's records."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["stanzas"]


def stanzas(text: str) -> Iterator[dict[str, str]]:
    """Yield each blank-line separated stanza as field -> value (names as written).

    ``#`` comment lines are skipped; a continuation line (leading space or tab) is
    joined to its field with a newline, so folded fields still ``split()`` into words.
    """
    stanza: dict[str, str] = {}
    key = ""
    for raw in [*text.splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if stanza:
                yield stanza
            stanza, key = {}, ""
            continue
        if raw[0] in " \t" and key:
            stanza[key] += "\n" + raw.strip()
            continue
        name, sep, value = raw.partition(":")
        if sep:
            key = name.strip()
            stanza[key] = value.strip()
