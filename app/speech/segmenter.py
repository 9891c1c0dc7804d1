# ruff: noqa: RUF001, RUF002  (CJK and typographic punctuation is the point here)
"""Cut streaming LLM text into speakable chunks as early as a natural pause allows.

Pure and incremental: ``feed`` takes text as it streams (in any split, even inside a
word or a ``...``) and returns the chunks that are complete; ``finish`` returns the
rest. The first chunks are "boosted" (cut at lower thresholds) so the first sound
comes quickly; later chunks are longer so the voice sounds natural.

Rules
- hard punctuation ``. 。 ? ？ ! ！ … ⋯ ～ ~`` and newlines end a chunk once it holds
  ``min_words`` words (1 while boosting); ``...`` counts as one ``…``;
- soft punctuation ``, ， 、 – — : ： ; ；`` ends a chunk once it holds ``min_words``
  words (2 while boosting);
- ``.`` and ``,`` between digits (3.14, 1,000) and an ASCII ``.`` directly followed by
  a letter (e.g., example.com) never end a chunk;
- a chunk is cut at a word boundary when it reaches ``max_words`` (``boost_words``
  while boosting);
- closing quotes and brackets stay with the punctuation they follow;
- :data:`FLUSH_MARKER` ends the chunk at once; :data:`SPECIAL_MARKER` (a special token
  such as an emotion tag, stripped by the caller) does the same with its own reason;
- markers never appear in chunk text; surrounding whitespace is trimmed; nothing else
  is ever dropped or repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from app.speech.words import count_words, is_cjk, is_kana, is_word_char

__all__ = [
    "FLUSH_MARKER",
    "HARD_PUNCTUATION",
    "SOFT_PUNCTUATION",
    "SPECIAL_MARKER",
    "Chunk",
    "Segmenter",
    "SegmenterOptions",
    "segment",
    "strip_markers",
]

#: In-band marker: "speak what you have now" (zero width space).
FLUSH_MARKER: Final = "\u200b"
#: In-band marker: a special token stood here (invisible separator).
SPECIAL_MARKER: Final = "\u2063"

HARD_PUNCTUATION: Final = frozenset(".。?？!！…⋯～~\n")
SOFT_PUNCTUATION: Final = frozenset(",，、–—:：;；")
_CLOSERS: Final = frozenset("\"'”’)]}）］｝」』》〉】〕»")

Reason = Literal["boost", "hard", "soft", "limit", "flush", "special", "final"]


@dataclass(frozen=True)
class Chunk:
    text: str
    words: int
    reason: Reason


@dataclass(frozen=True)
class SegmenterOptions:
    min_words: int = 4
    max_words: int = 12
    #: how many leading chunks are cut early for a fast first sound
    boost: int = 2
    #: word limit of a boosted chunk without punctuation
    boost_words: int = 4


class _Wait(Exception):
    """The decision at this position needs text that has not arrived yet."""


class Segmenter:
    """Incremental chunker; one instance per utterance."""

    def __init__(self, options: SegmenterOptions | None = None) -> None:
        self.options = options or SegmenterOptions()
        self._buf = ""
        self._emitted = 0

    @property
    def pending(self) -> str:
        return self._buf

    def feed(self, text: str) -> list[Chunk]:
        out: list[Chunk] = []
        for part, marker in _split_markers(text):
            self._buf += part
            out.extend(self._scan(final=False))
            if marker is not None:
                out.extend(
                    self._take(len(self._buf), "flush" if marker == FLUSH_MARKER else "special")
                )
        return out

    def flush(self) -> list[Chunk]:
        return self.feed(FLUSH_MARKER)

    def finish(self) -> list[Chunk]:
        out = self._scan(final=True)
        out.extend(self._take(len(self._buf), "final"))
        return out

    # -- internals -------------------------------------------------------------------------

    @property
    def _boosting(self) -> bool:
        return self._emitted < self.options.boost

    def _take(self, end: int, reason: Reason) -> list[Chunk]:
        text = self._buf[:end].strip()
        self._buf = self._buf[end:]
        if not text:
            return []
        if reason in ("hard", "soft", "limit") and self._boosting:
            reason = "boost"
        self._emitted += 1
        return [Chunk(text, count_words(text), reason)]

    def _scan(self, *, final: bool) -> list[Chunk]:
        out: list[Chunk] = []
        i = 0
        while i < len(self._buf):
            try:
                cut = self._cut_at(i, final=final)
            except _Wait:
                break
            if cut is None:
                i += 1
                continue
            end, reason = cut
            out.extend(self._take(end, reason))
            i = 0
        return out

    def _char(self, i: int, *, final: bool) -> str:
        """The character at ``i``; "" past the end when final, else wait for more text."""
        if i < len(self._buf):
            return self._buf[i]
        if final:
            return ""
        raise _Wait

    def _cut_at(self, i: int, *, final: bool) -> tuple[int, Reason] | None:
        buf = self._buf
        ch = buf[i]
        opts = self.options
        boosting = self._boosting
        if ch in HARD_PUNCTUATION:
            prev = buf[i - 1] if i else ""
            if ch == ".":
                nxt = self._char(i + 1, final=final)
                if prev.isdigit() and nxt.isdigit():
                    return None
                if nxt.isascii() and nxt.isalpha():
                    return None  # example.com, e.g.
            end = self._extend(i + 1, final=final)
            need = 1 if boosting else opts.min_words
            if count_words(buf[:end]) >= need:
                return end, "hard"
            return None
        if ch in SOFT_PUNCTUATION:
            if ch == ",":
                nxt = self._char(i + 1, final=final)
                if buf[i - 1 : i].isdigit() and nxt.isdigit():
                    return None
            end = self._extend(i + 1, final=final)
            need = 2 if boosting else opts.min_words
            if count_words(buf[:end]) >= need:
                return end, "soft"
            return None
        limit = opts.boost_words if boosting else opts.max_words
        # a word boundary: whitespace after text, or between two CJK characters
        prev = buf[i - 1] if i else ""
        at_boundary = ch.isspace() or (
            bool(prev)
            and is_cjk(prev)
            and (is_cjk(ch) or is_word_char(ch))
            and not (is_kana(prev) and is_kana(ch))  # never inside a run of kana
        )
        if at_boundary and count_words(buf[:i]) >= limit:
            return i, "limit"
        return None

    def _extend(self, end: int, *, final: bool) -> int:
        """Swallow the rest of a punctuation run and any closing quotes/brackets after it."""
        while True:
            nxt = self._char(end, final=final)
            if nxt and (
                nxt in _CLOSERS or (nxt in HARD_PUNCTUATION and nxt != "\n") or nxt in "?？!！"
            ):
                end += 1
                continue
            return end


def _split_markers(text: str) -> list[tuple[str, str | None]]:
    parts: list[tuple[str, str | None]] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in (FLUSH_MARKER, SPECIAL_MARKER):
            parts.append((text[start:i], ch))
            start = i + 1
    parts.append((text[start:], None))
    return parts


def strip_markers(text: str) -> str:
    return text.replace(FLUSH_MARKER, "").replace(SPECIAL_MARKER, "")


def segment(text: str, options: SegmenterOptions | None = None) -> list[Chunk]:
    """All chunks of a complete text (convenience for callers that have it whole)."""
    seg = Segmenter(options)
    return seg.feed(text) + seg.finish()
