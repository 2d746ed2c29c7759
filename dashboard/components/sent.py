"""What this session has sent to the tab, per view, so a rerun sends only what the tab lacks.

The panels that keep data in the browser (the Thresholds panel, the Errors
page's matrix panel) send a view's items (gallery rows, gallery pages) once.
Each panel keeps its record under its own session-state key: ``{view: set of
items}``. When the tab reports it lacks something the record says was sent (a
lost update, a reloaded component), :func:`forget` lets the next run send it
again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import streamlit as st


def unsent(record: str, view: str, items: Iterable[Hashable]) -> list:
    """Those of ``items`` (in their order, once each) the record ``record`` has not sent to ``view``; they
    count as sent now.

    Examples
    --------
    >>> st.session_state.clear()
    >>> unsent("demo_sent", "v", [3, 1, 3]), unsent("demo_sent", "v", [1, 2])
    ([3, 1], [2])
    """
    sent = st.session_state.setdefault(record, {}).setdefault(view, set())
    new = [item for item in dict.fromkeys(items) if item not in sent]
    sent.update(new)
    return new


def holds(record: str, view: str) -> bool:
    """True once the record ``record`` has sent anything of ``view`` (see :func:`unsent`)."""
    return view in st.session_state.get(record, {})


def has(record: str, view: str, item: Hashable) -> bool:
    """True once the record ``record`` has sent ``item`` of ``view``."""
    return item in st.session_state.get(record, {}).get(view, ())


def forget(record: str, view: str, items: Iterable[Hashable] | None = None) -> None:
    """The tab lacks ``items`` of ``view`` (every item of it for None): the next run sends them again."""
    sent = st.session_state.get(record, {})
    if items is None:
        sent.pop(view, None)
    elif view in sent:
        sent[view].difference_update(items)
