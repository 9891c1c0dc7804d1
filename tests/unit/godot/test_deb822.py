"""apt's sources and apt-cache's records are read by one stanza parser; its edge cases."""

from __future__ import annotations

from app.godot.deb822 import stanzas


def test_stanzas_fold_continuations_and_skip_comments() -> None:
    text = (
        "# leading comment\n"
        "Types: deb\nSuites: sid\n experimental\nURIs: http://a.example/debian\n"
        "   \t\n"  # a whitespace-only line separates stanzas too
        "Package: godot\n# inside\nDepends: libc6,\n\tlibx11-6\n\n\n"
    )
    first, second = stanzas(text)
    assert first == {"Types": "deb", "Suites": "sid\nexperimental",
                     "URIs": "http://a.example/debian"}
    assert first["Suites"].split() == ["sid", "experimental"]
    assert second == {"Package": "godot", "Depends": "libc6,\nlibx11-6"}


def test_lines_without_a_field_and_orphan_continuations_are_ignored() -> None:
    assert list(stanzas(" orphan\nnot a field\nKey: value\n")) == [{"Key": "value"}]
    assert list(stanzas("")) == []
