# ruff: noqa: RUF001  (CJK and typographic punctuation is the point here)
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.speech.segmenter import (
    FLUSH_MARKER,
    SPECIAL_MARKER,
    Segmenter,
    SegmenterOptions,
    segment,
    strip_markers,
)
from app.speech.words import count_words

TABLE = [
    pytest.param(
        "Hi! How are you doing today? I hope everything is fine, and that the weather is nice "
        "where you are. Bye.",
        [
            "Hi!",
            "How are you doing",
            "today? I hope everything is fine,",
            "and that the weather is nice where you are.",
            "Bye.",
        ],
        id="english",
    ),
    pytest.param(
        "你好！今天天气很好，我们去公园散步吧。然后我们可以一起吃午饭，你觉得怎么样？",
        [
            "你好！",
            "今天天气",
            "很好，我们去公园散步吧。",
            "然后我们可以一起吃午饭，",
            "你觉得怎么样？",
        ],
        id="chinese",
    ),
    pytest.param(
        "こんにちは。今日はとてもいい天気ですね。一緒に散歩しませんか？",
        ["こんにちは。", "今日はとてもいい", "天気ですね。", "一緒に散歩しませんか？"],
        id="japanese",
    ),
    pytest.param(
        "我喜欢 Python 和 Godot。They are great tools for making games!",
        ["我喜欢 Python", "和 Godot。", "They are great tools for making games!"],
        id="mixed",
    ),
    pytest.param(
        "The price is 3.14 dollars, or 1,000 yen. Really? Yes.",
        ["The price is 3.14", "dollars, or 1,000 yen.", "Really? Yes."],
        id="numbers",
    ),
    pytest.param(
        "Well... I don't know... maybe we should wait and see what happens next time",
        ["Well...", "I don't know...", "maybe we should wait and see what happens next time"],
        id="ellipses",
    ),
    pytest.param(
        "I love this 😀 so much! It is great 🎉🎉 and fun.",
        ["I love this 😀 so", "much!", "It is great 🎉🎉 and fun."],
        id="emoji",
    ),
    pytest.param(
        'He said "hello." Then he left the room and never came back again.',
        ['He said "hello."', "Then he left the", "room and never came back again."],
        id="closing-quote",
    ),
    pytest.param(
        " ".join(f"w{i}" for i in range(1, 22)),
        ["w1 w2 w3 w4", "w5 w6 w7 w8", " ".join(f"w{i}" for i in range(9, 21)), "w21"],
        id="word-limits",
    ),
    pytest.param(
        "Okay. Sure. First line of the list\nsecond line here\nthird",
        ["Okay.", "Sure.", "First line of the list", "second line here\nthird"],
        id="newlines",
    ),
    pytest.param("Visit example.com today.", ["Visit example.com today."], id="dot-before-letter"),
    pytest.param(
        "Wait…what? Hm⋯ ok～ fine~ done",
        ["Wait…", "what?", "Hm⋯ ok～ fine~ done"],
        id="unicode-ellipsis-and-tilde",
    ),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_table(text: str, expected: list[str]) -> None:
    assert [c.text for c in segment(text)] == expected


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_table_token_by_token_gives_the_same_chunks(text: str, expected: list[str]) -> None:
    seg = Segmenter()
    chunks = [c for ch in text for c in seg.feed(ch)] + seg.finish()
    assert [c.text for c in chunks] == expected


def test_ellipsis_split_across_tokens_waits_for_the_whole_run() -> None:
    seg = Segmenter()
    assert seg.feed("Well.") == []
    assert seg.feed("..") == []
    chunks = seg.feed(" Then")
    assert [c.text for c in chunks] == ["Well..."]
    assert seg.finish()[0].text == "Then"


def test_decimal_split_across_tokens_is_not_cut() -> None:
    seg = Segmenter()
    assert seg.feed("It costs 3.") == []
    assert seg.pending == "It costs 3."
    out = seg.feed("5 euros") + seg.finish()
    assert [c.text for c in out] == ["It costs 3.5 euros"]


def test_flush_marker_cuts_at_once_and_is_never_spoken() -> None:
    seg = Segmenter()
    seg.feed("Hi! ")  # first boosted chunk
    out = seg.feed("just two" + FLUSH_MARKER + " more words here")
    assert [(c.text, c.reason) for c in out] == [("just two", "flush")]
    assert [c.text for c in seg.finish()] == ["more words here"]


def test_special_marker_cuts_with_its_own_reason() -> None:
    out = segment("first thing" + SPECIAL_MARKER + "second thing")
    assert [(c.text, c.reason) for c in out] == [
        ("first thing", "special"),
        ("second thing", "final"),
    ]


def test_boost_only_applies_to_the_first_chunks() -> None:
    chunks = segment("A. B. C. D. E.")
    assert [c.reason for c in chunks] == ["boost", "boost", "final"]
    assert [c.text for c in chunks] == ["A.", "B.", "C. D. E."]


def test_no_boost_waits_for_minimum_words() -> None:
    chunks = segment("Hi. Yes, sure thing, we can go now.", SegmenterOptions(boost=0))
    assert [c.text for c in chunks] == ["Hi. Yes, sure thing,", "we can go now."]


def test_word_counts_handle_cjk() -> None:
    assert count_words("hello world") == 2
    assert count_words("don't stop 3.14") == 3
    assert count_words("今天天气") == 4
    assert count_words("とても") == 2
    assert count_words("我喜欢 Python") == 4
    assert count_words("😀 🎉 ...") == 0


# -- properties ------------------------------------------------------------------------------

ALPHABET = st.sampled_from(
    [
        *list("abc xyz 12 .,!?…~\n"),
        "...",
        "。",
        "，",
        "、",
        "今天",
        "とても",
        "😀",
        "—",
        ":",
        ";",
        '"',
        "」",
        FLUSH_MARKER,
        SPECIAL_MARKER,
        "3.14",
        "1,000",
        "  ",
    ]
)
texts = st.lists(ALPHABET, max_size=80).map("".join)


def _assert_is_the_input(text: str, chunk_texts: list[str]) -> None:
    """Chunks appear in order; only whitespace (and markers) lie between them."""
    source = strip_markers(text)
    pos = 0
    for chunk in chunk_texts:
        assert chunk and chunk == chunk.strip()
        found = source.find(chunk, pos)
        assert found >= 0, (chunk, source[pos:])
        assert source[pos:found].strip() == "", f"text lost: {source[pos:found]!r}"
        pos = found + len(chunk)
    assert source[pos:].strip() == "", f"text lost at the end: {source[pos:]!r}"


@settings(max_examples=300, deadline=None)
@given(texts)
def test_no_text_lost_or_duplicated(text: str) -> None:
    chunks = [c.text for c in segment(text)]
    _assert_is_the_input(text, chunks)
    assert re.sub(r"\s", "", "".join(chunks)) == re.sub(r"\s", "", strip_markers(text))


@settings(max_examples=300, deadline=None)
@given(texts, st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_streaming_split_never_changes_the_chunks(text: str, cuts: list[int]) -> None:
    points = sorted({min(c, len(text)) for c in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    seg = Segmenter()
    streamed = [c.text for p in pieces for c in seg.feed(p)] + [c.text for c in seg.finish()]
    assert streamed == [c.text for c in segment(text)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta", ",", ".", "!"]), max_size=120))
def test_chunks_never_exceed_the_word_limit(words: list[str]) -> None:
    for chunk in segment(" ".join(words)):
        assert chunk.words <= 12
