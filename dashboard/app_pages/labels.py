"""Labels page: test images whose label cleanlab doubts, most doubtful first; review them and export the marks."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import streamlit as st

from core.analysis import gallery, label_quality
from core.artifacts import reviews
from dashboard import cache, session
from dashboard.render import markup
from dashboard.sections import image_dialog, label_review, layout

PER_PAGE = 18
ALL = "all"

loaded = layout.artifacts()
names = layout.chosen_models(loaded)
class_names = list(loaded.data.class_names)
sources = [label_quality.COMBINED, *loaded.multiclass]


def _source_name(source: str) -> str:
    if source == label_quality.COMBINED:
        return f"the {label_quality.TOP_K} strongest models together"
    return loaded.title(source)


source = session.url_value("source", session_key="labels_source", valid=lambda v: v in sources, default=sources[0])


def _on_source() -> None:
    session.set_url_value("source", st.session_state["labels_source_pick"], session_key="labels_source")


st.title("Labels")
st.caption("Is it the model or the label? cleanlab ranks every test label by its quality (the out-of-sample "
           "probability the models give the label) and flags the likely wrong ones (confident learning). "
           "Click an image to review its label; marks are saved beside the artifacts and kept across rebuilds.")
st.session_state["labels_source_pick"] = source
top = st.columns([2, 2, 2])
top[0].selectbox("Probabilities from", sources, key="labels_source_pick", format_func=_source_name,
                 on_change=_on_source)
digit = top[1].selectbox("Given label", [ALL, *class_names], key="labels_digit")
which = top[2].radio("Show", ["flagged", "every image"], horizontal=True, key="labels_which")

issues = cache.label_issues(loaded, source)
marks = label_review.marks_or_warning(loaded)
marked = dict(zip(marks["row"], marks["mark"])) if marks is not None else {}
rows = issues.ranking
if which == "flagged":
    rows = rows[issues.flagged[rows]]
if digit != ALL:
    rows = rows[loaded.data.y_test[rows] == class_names.index(digit)]
st.markdown(f"cleanlab flags **{issues.n_flagged:,}** of {len(issues.ranking):,} test labels "
            f"({issues.n_flagged / len(issues.ranking):.2%}) from the {html.escape(issues.source)}. "
            f"**{len(rows):,}** shown, most doubtful first; {len(marked):,} reviewed.")


@st.fragment
def ranked_gallery(rows: np.ndarray) -> None:
    """One page of the ranked images (a page change reruns only this)."""
    n_pages = gallery.paginate(rows, page=1, per_page=PER_PAGE).n_pages
    number = st.pagination(n_pages, key=f"labels_page_{source}_{digit}_{which}") if n_pages > 1 else 1
    page = gallery.paginate(rows, page=number, per_page=PER_PAGE)
    table = issues.table(page.rows, labels=loaded.data.y_test, class_names=class_names)
    captions = [f'#{r.index} · given <b>{html.escape(r.given)}</b> → suggested <b>{html.escape(r.suggested)}</b>'
                f'<br>quality {r.quality:.3f}{" · " + markup.LABEL_BADGE if r.flagged else ""}'
                f'{" · <i>" + reviews.MARKS[marked[r.index]] + "</i>" if r.index in marked else ""}'
                for r in table.itertuples(index=False)]
    st.caption(f"Page {page.page} of {page.n_pages}.")
    with st.container(key="labels_gallery"):
        image_dialog.show_clickable(loaded, markup.tiles_html(cache.test_images(loaded, page.rows), captions,
                                                    [f"test image {i}" for i in page.rows], indexes=page.rows),
                              key="labels_tiles", model=source if source in names else names[0])


if rows.size:
    ranked_gallery(rows)
else:
    st.info("No image matches: pick another digit, or show every image.")

st.subheader("Your reviews")
if not marked:
    st.caption("No label reviewed yet: click an image and mark its label wrong, correct or unsure.")
else:
    counts = pd.Series(list(marked.values())).map(reviews.MARKS).value_counts()
    st.markdown(" · ".join(f"{mark}: **{count}**" for mark, count in counts.items()))
    st.download_button("Download the marks (CSV)", reviews.marks_csv(marks, class_names=class_names),
                       file_name=f"label-reviews-{loaded.artifacts.dataset['hash'][:12]}.csv", mime="text/csv",
                       key="labels_download")
    fixes = reviews.corrections(marks)
    accuracy = [(loaded.title(n), *label_quality.corrected_accuracy(loaded.predictions[n].y_true,
                                                             loaded.predictions[n].y_pred, fixes)) for n in names]
    st.dataframe(pd.DataFrame(accuracy, columns=["model", "accuracy", "with reviewed labels"]),
                 hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.4f")
                                                 for c in ("accuracy", "with reviewed labels")},
                 key="labels_accuracy")
