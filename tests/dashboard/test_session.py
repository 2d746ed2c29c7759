"""dashboard.session: the URL form of a confusion cell."""

from __future__ import annotations


import pytest

from dashboard import session


@pytest.mark.parametrize("cell", [(0, 0), (5, 3), (9, 1)])
def test_cell_codes_round_trip(cell):
    assert session.parse_cell(session.format_cell(*cell), 10) == cell


@pytest.mark.parametrize("text", [None, "", "5", "5-", "a-3", "3-5-1", "-1-3", "10-3", "3-10", " 3-5", "²-1", "1-²",
                                  "\u0663-1", "9" * 5000 + "-1"])
def test_bad_cell_codes_are_rejected(text):
    assert session.parse_cell(text, 10) is None
