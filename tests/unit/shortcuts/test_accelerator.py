"""Accelerator text parses to one canonical form, or fails saying what is wrong and where."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.shortcuts.accelerator import (
    MODIFIER_ALIASES,
    MODIFIERS,
    Accelerator,
    AcceleratorError,
    format_accelerator,
    parse_accelerator,
)
from app.shortcuts.keys import KEYS


@pytest.mark.parametrize(("text", "canonical"), [
    ("CmdOrCtrl+Shift+K", "CmdOrCtrl+Shift+K"),
    ("shift+cmdorctrl+k", "CmdOrCtrl+Shift+K"),
    ("mod+shift+KeyK", "CmdOrCtrl+Shift+K"),
    ("CommandOrControl+Comma", "CmdOrCtrl+Comma"),
    ("Alt+F4", "Alt+F4"),
    ("option+f4", "Alt+F4"),
    ("Super+Space", "Super+Space"),
    ("meta+space", "Super+Space"),
    ("Command+Digit1", "Super+1"),
    ("control+alt+delete", "Ctrl+Alt+Delete"),
    ("Ctrl + Shift + ArrowUp", "Ctrl+Shift+ArrowUp"),
    ("ctrl+up", "Ctrl+ArrowUp"),
    ("F24", "F24"),
    ("Shift+Esc", "Shift+Escape"),
    ("Ctrl+,", "Ctrl+Comma"),
    ("Alt+num5", "Alt+Numpad5"),
    ("Ctrl+Shift+Alt+Super+Z", "Ctrl+Alt+Shift+Super+Z"),
])
def test_parse_gives_canonical_form(text: str, canonical: str) -> None:
    assert format_accelerator(parse_accelerator(text)) == canonical


@pytest.mark.parametrize(("text", "kind", "position", "words"), [
    ("", "empty", None, "empty"),
    ("   ", "empty", None, "empty"),
    ("Ctrl++K", "empty-token", 6, "position 6"),
    ("+K", "empty-token", 1, "position 1"),
    ("Ctrl+Shift+", "empty-token", 12, "position 12"),
    ("Ctrl+Shift", "no-key", 10, "no key"),
    ("Ctrl+K+J", "two-keys", 8, "'K' at position 6 and 'J' at position 8"),
    ("Ctrl+Control+K", "repeated-modifier", 6, "'Control' repeats 'Ctrl' at position 1"),
    ("cmd+Super+K", "repeated-modifier", 5, "repeats 'cmd'"),
    ("CmdOrCtrl+Ctrl+K", "repeated-modifier", 11, "CmdOrCtrl is Command on macOS"),
    ("mod+CommandOrControl+K", "repeated-modifier", 5, "repeats 'mod'"),
    ("Ctrl+Foo", "unknown-key", 6, "Unknown key 'Foo' at position 6"),
    ("Ctrl+Plus", "unknown-key", 6, "Shift+Equal"),
    ("Ctrl+Escpe", "unknown-key", 6, "did you mean Escape"),
])
def test_errors_say_what_and_where(text: str, kind: str, position: int | None, words: str) -> None:
    with pytest.raises(AcceleratorError) as caught:
        parse_accelerator(text)
    error = caught.value
    assert (error.kind, error.position, error.reason) == (kind, position, "invalid")
    assert words in error.message


def test_accelerator_refuses_non_canonical_parts() -> None:
    with pytest.raises(ValueError):
        Accelerator(frozenset({"Ctrl"}), "k")


def test_cmd_or_ctrl_resolves_per_platform() -> None:
    accelerator = parse_accelerator("CmdOrCtrl+Alt+K")
    assert accelerator.physical_modifiers("linux") == {"Ctrl", "Alt"}
    assert accelerator.physical_modifiers("darwin") == {"Super", "Alt"}


_MODIFIER_SPELLINGS = {m: [a for a, c in MODIFIER_ALIASES.items() if c == m] for m in MODIFIERS}
_KEY_SPELLINGS = {k: [k, *aliases] for k, aliases in KEYS.items()}


def _random_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(word, flips, strict=True))


@st.composite
def accelerators(draw: st.DrawFn) -> tuple[Accelerator, str]:
    """A valid accelerator and one of its many spellings (aliases, case, order, spaces)."""
    modifiers = draw(st.sets(st.sampled_from(MODIFIERS)))
    if "CmdOrCtrl" in modifiers:
        modifiers -= {"Ctrl", "Super"}
    key = draw(st.sampled_from(sorted(KEYS)))
    tokens = [_random_case(draw, draw(st.sampled_from(_MODIFIER_SPELLINGS[m]))) for m in modifiers]
    tokens.append(_random_case(draw, draw(st.sampled_from(_KEY_SPELLINGS[key]))))
    tokens = draw(st.permutations(tokens))
    spaces = st.sampled_from(["", " ", "  "])
    text = "+".join(f"{draw(spaces)}{t}{draw(spaces)}" for t in tokens)
    return Accelerator(frozenset(modifiers), key), text


@given(accelerators())
def test_any_spelling_parses_to_the_same_accelerator(case: tuple[Accelerator, str]) -> None:
    accelerator, text = case
    assert parse_accelerator(text) == accelerator


@given(accelerators())
def test_format_parse_round_trips(case: tuple[Accelerator, str]) -> None:
    accelerator, text = case
    canonical = format_accelerator(parse_accelerator(text))
    assert parse_accelerator(canonical) == accelerator
    assert format_accelerator(parse_accelerator(canonical)) == canonical
    modifiers = canonical.split("+")[:-1]
    assert modifiers == [m for m in MODIFIERS if m in modifiers]  # fixed order


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_raises_accelerator_error(text: str) -> None:
    try:
        accelerator = parse_accelerator(text)
    except AcceleratorError as error:
        assert error.message
        assert error.position is None or 1 <= error.position <= len(text)
    else:
        assert parse_accelerator(format_accelerator(accelerator)) == accelerator
