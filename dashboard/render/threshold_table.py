"""The Thresholds panel's table as the tab reads it (pure: no Streamlit)."""

from __future__ import annotations

import numpy as np

from core.analysis.operating_points import SliderTable
from dashboard.render import svg


def table_payload(table: SliderTable, *, decision: np.ndarray | None) -> dict:
    """``table`` as the panel reads it: columns as lists, chart pixels of each position's operating point,
    and ``decision`` (the decision value of each position's nearest image) when the model gives them."""
    frame = table.frame
    rule_x, _ = svg.pixels(frame["threshold"].to_numpy(), np.zeros(len(frame)))
    pr_x, pr_y = svg.pixels(frame["recall"].to_numpy(), frame["precision"].to_numpy())
    roc_x, roc_y = svg.pixels(frame["fpr"].to_numpy(), frame["recall"].to_numpy())
    columns = {name: frame[name].round(6).tolist() for name in ("value", "threshold", "precision", "recall", "f1",
                                                                  "fpr")}
    columns.update({name: frame[name].astype(int).tolist() for name in ("tp", "fp", "fn", "tn")})
    columns.update({name: np.round(pixels, 1).tolist() for name, pixels in
                    (("rule", rule_x), ("prX", pr_x), ("prY", pr_y), ("rocX", roc_x), ("rocY", roc_y))})
    columns["falsePos"] = [[int(r) for r in rows if r >= 0] for rows in table.false_pos]
    columns["falseNeg"] = [[int(r) for r in rows if r >= 0] for rows in table.false_neg]
    if decision is not None:
        columns["decision"] = [None if np.isnan(v) else round(float(v), 4) for v in decision]
    return columns
