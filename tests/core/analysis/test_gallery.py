"""core.analysis.gallery: pages, display order and captions of test images."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis import gallery


def test_paginate_covers_every_row_once_and_clips_the_page():
    rows = np.arange(47) * 3
    pages = [gallery.paginate(rows, page=p, per_page=10) for p in range(1, 6)]
    assert [p.n_pages for p in pages] == [5] * 5
    assert np.array_equal(np.concatenate([p.rows for p in pages]), rows)
    assert gallery.paginate(rows, page=99, per_page=10).page == 5
    assert gallery.paginate(rows, page=0, per_page=10).page == 1
    empty = gallery.paginate(np.array([], dtype=int), page=3, per_page=10)
    assert (empty.page, empty.n_pages, empty.rows.size) == (1, 1, 0)
    with pytest.raises(ValueError, match="per_page"):
        gallery.paginate(rows, page=1, per_page=0)


def test_by_confidence_orders_rows_descending_with_stable_ties():
    confidence = np.array([0.2, 0.9, 0.5, 0.9, 0.1])
    assert gallery.by_confidence([0, 1, 2, 3], confidence).tolist() == [1, 3, 2, 0]
    assert gallery.by_confidence([4, 3], confidence).tolist() == [3, 4]


def test_gallery_lists_labels_confidence_and_top_classes(digits, fitted):
    _, y_pred, scores = fitted["logreg"]
    rows = np.flatnonzero(y_pred != digits.y_test)[:5]
    table = gallery.gallery(rows, y_true=digits.y_test, y_pred=y_pred, scores=scores, score_kind="proba",
                          class_names=digits.class_names)
    assert table["index"].tolist() == rows.tolist()
    assert table["true"].tolist() == [str(v) for v in digits.y_test[rows]]
    assert table["predicted"].tolist() == [str(v) for v in y_pred[rows]]
    assert np.allclose(table["confidence"], scores[rows].max(axis=1))
    best = np.argsort(-scores[rows], axis=1)[:, :3]
    for text, classes, row in zip(table["top"], best, rows):
        parts = text.split(" · ")
        assert [p.split()[0] for p in parts] == [str(c) for c in classes]
        assert parts[0].split()[1] == gallery.percent(scores[row].max())
    assert gallery.gallery([], y_true=digits.y_test, y_pred=y_pred, scores=scores, score_kind="proba",
                         class_names=digits.class_names).empty


def test_percent_stays_within_its_rounding_and_never_claims_certainty():
    for p in np.linspace(0.0, 1.0, 20001):
        text = gallery.percent(p)
        if text == ">99.9%":
            assert p >= 0.9995
        elif text == "<0.1%":
            assert p < 0.0005
        else:
            value = float(text.rstrip("%")) / 100
            assert abs(value - p) <= (0.0005 if "." in text else 0.005) + 1e-12
            assert 0.0 < value < 1.0
