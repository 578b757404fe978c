"""Stored JSON read back: the fast path gives what ``json.loads`` gives, errors included."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.codec import from_json, to_json

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(values, st.sampled_from(["", " ", "\n", "\t "]))
def test_stored_json_reads_back_as_json_loads_reads_it(value: object, space: str) -> None:
    text = to_json(value)
    assert from_json(text) == value
    assert from_json(f"{space}{text}{space}") == json.loads(f"{space}{text}{space}")


@pytest.mark.parametrize("text", ["", "{", "{}x", "[1,]", "nope", "1 2"])
def test_what_is_not_json_raises_as_json_loads_does(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        from_json(text)
