# ruff: noqa: RUF001, RUF002  (CJK and typographic punctuation is the point here)
"""Word counting that works for spaced scripts and for CJK, from Unicode categories alone.

A full word segmenter (ICU, jieba, MeCab) would need native libraries and dictionaries
for a job that only has to tell "about four words" from "about twelve": each Han
ideograph counts as a word, a run of kana counts one word per two characters, and in
every other script a run of letters and digits (joined by ``'`` ``’`` ``-`` ``.`` ``,``
between word characters, so "don't" and "3.14" are one word) counts as one word.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["count_words", "is_cjk", "is_kana", "is_word_char"]

_JOINERS: Final = frozenset("'’-.,_")


def is_cjk(ch: str) -> bool:
    """Han ideographs, kana and the CJK compatibility/extension blocks (no spaces between words)."""
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x31F0 <= code <= 0x31FF  # katakana extensions
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFF66 <= code <= 0xFF9D  # half-width katakana
        or 0x20000 <= code <= 0x3134F  # extensions B-G
    )


def is_kana(ch: str) -> bool:
    code = ord(ch)
    return 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D


def is_word_char(ch: str) -> bool:
    """A letter, digit or combining mark outside the CJK blocks."""
    return unicodedata.category(ch)[0] in "LNM" and not is_cjk(ch)


def count_words(text: str) -> int:
    words = 0
    kana_run = 0
    in_word = False
    n = len(text)
    for i, ch in enumerate(text):
        if (is_kana(ch) and ch != "ー") or (ch == "ー" and kana_run):
            kana_run += 1
            in_word = False
            continue
        if kana_run:
            words += (kana_run + 1) // 2
            kana_run = 0
        if is_cjk(ch):
            words += 1
            in_word = False
        elif is_word_char(ch):
            if not in_word:
                words += 1
                in_word = True
        elif ch in _JOINERS and in_word and i + 1 < n and is_word_char(text[i + 1]):
            continue  # "don't", "3.14", "well-known" stay one word
        else:
            in_word = False
    if kana_run:
        words += (kana_run + 1) // 2
    return words
