"""The normalised view's fast test for "anything to normalise": never a different answer
from the pattern of runs it stands in for."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from privllm.redaction.normalize import NormalizedView, _has_special, _one_to_one, _special

SPECIAL = [*sorted(chr(code) for code in _one_to_one()), "\u200b", "\u00ad", "\U0001f600"]


def test_every_character_the_view_changes_is_found_by_the_fast_test():
    for ch in SPECIAL:
        assert _has_special().search(f"Grüße {ch} aus Köln") is not None, hex(ord(ch))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
def test_the_fast_test_agrees_with_the_runs(text):
    assert (_has_special().search(text) is None) == (_special().search(text) is None)


def test_non_ascii_text_without_special_characters_has_no_view():
    assert NormalizedView.of("Grüße aus Köln, Straße 5, 50667") is None
    view = NormalizedView.of("Grüße aus Köln, Straße\u00a05")
    assert view is not None
    assert view.text == "Grüße aus Köln, Straße 5"
