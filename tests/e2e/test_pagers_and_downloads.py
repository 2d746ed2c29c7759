"""Pagers, pickers and downloads in a real browser, each proved once against numpy over the stored arrays: the
Errors matrix panel's gallery pager, the Labels page's pagination, the Slices page's model picker, and the content
of every CSV download button (the Models comparison, the Labels review marks).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from core.models.deep import CnnSettings
from core.artifacts import open_artifacts
from tests.e2e.browsing import (IDLE, assert_no_exception, confusion_counts, macro_f1, most_confident_first,
                                open_page, probabilities, query, tile_rows)

pytestmark = pytest.mark.e2e

PER_PAGE = 18


def _pages(n: int) -> int:
    return -(-n // PER_PAGE)


def test_the_matrix_panels_pager_walks_a_cells_pages_as_the_stored_predictions_order_them(page, e2e_artifacts):
    pred = open_artifacts(e2e_artifacts).predictions("rf")
    counts = confusion_counts(pred)
    true, predicted = (int(v) for v in np.unravel_index(counts.argmax(), counts.shape))
    n = int(counts[true, predicted])
    assert n > 2 * PER_PAGE, f"the fullest cell ({true}, {predicted}) has {n} images: fewer than three pages"
    rows = most_confident_first(np.flatnonzero((pred.y_true == true) & (pred.y_pred == predicted)),
                                probabilities(pred).max(axis=1))
    last = _pages(n)

    open_page(page, "/errors?model=rf", "Errors")
    panel = page.locator(".st-key-errors_matrix .dl-cells")
    panel.locator(f'td[data-cell="{true * 10 + predicted}"]').click()
    kind = "correct" if true == predicted else "mistakes"
    page.get_by_role("heading", name=f"True {true} → predicted {predicted}: {n} images ({kind})").wait_for()
    cell = panel.locator(".dl-cell")

    def shown(number: int) -> None:
        cell.get_by_text(f"Page {number} of {last}.", exact=False).wait_for()
        page.wait_for_function("(e) => e.dataset.asked === undefined && !e.querySelector('[aria-busy]')",
                               arg=panel.element_handle())
        page.wait_for_function(IDLE)
        assert cell.locator(".dl-pager span").inner_text() == f"{number} / {last}"
        assert tile_rows(cell) == rows[(number - 1) * PER_PAGE: number * PER_PAGE].tolist(), f"page {number}"

    shown(1)
    assert cell.get_by_role("button", name="Previous page").is_disabled()
    for button, number in (("Next page", 2), ("Last page", last), ("Previous page", last - 1), ("First page", 1)):
        cell.get_by_role("button", name=button).click()
        shown(number)
        if number == last:
            assert cell.get_by_role("button", name="Next page").is_disabled()
            assert cell.get_by_role("button", name="Last page").is_disabled()
    assert query(page, "cell") == f"{true}-{predicted}"
    assert_no_exception(page)


def _rf_label_ranking(pred) -> tuple[np.ndarray, np.ndarray]:
    """Test rows from the least to the most probable given label under the random forest (self-confidence, ties
    in row order), and the quality of every row."""
    proba = probabilities(pred)
    proba = proba / np.maximum(proba.sum(axis=1, keepdims=True), 1e-12)
    quality = proba[np.arange(len(proba)), pred.y_true]
    return np.argsort(quality, kind="stable"), quality


def test_the_labels_pagination_shows_the_ranked_rows_of_the_page_picked(page, e2e_artifacts):
    pred = open_artifacts(e2e_artifacts).predictions("rf")
    ranking, quality = _rf_label_ranking(pred)
    suggested = probabilities(pred).argmax(axis=1)
    last = _pages(len(ranking))
    open_page(page, "/labels?source=rf", "Labels")
    page.locator(".st-key-labels_which").get_by_text("every image", exact=True).click()
    pager = page.locator('[class*="st-key-labels_page_"]')
    gallery = page.locator(".st-key-labels_gallery")

    def shown(number: int) -> None:
        page.get_by_text(f"Page {number} of {last}.", exact=True).wait_for()
        rows = ranking[(number - 1) * PER_PAGE: number * PER_PAGE]
        tiles = gallery.locator("figure[data-index]")
        expect(tiles).to_have_count(rows.size)
        expect(tiles.first).to_have_attribute("data-index", str(rows[0]))
        page.wait_for_function(IDLE)
        assert tile_rows(gallery) == rows.tolist(), f"page {number}"
        captions = gallery.locator("figcaption").all_inner_texts()
        assert [c.split("\n")[0] for c in captions] == [
            f"#{r} · given {pred.y_true[r]} → suggested {suggested[r]}" for r in rows]
        assert [c.split("\n")[1].split(" · ")[0] for c in captions] == [f"quality {quality[r]:.3f}" for r in rows]

    shown(1)
    for button, number in (("Next page", 2), (f"Page {last}", last), ("Previous page", last - 1)):
        pager.get_by_role("button", name=button, exact=True).click()
        shown(number)
    assert_no_exception(page)


def _slices_shown(page, model: str) -> list[str]:
    rows = page.locator(f".st-key-slices_table_{model} tr[data-index]")
    rows.first.wait_for()
    return rows.all_inner_texts()


def test_the_slices_model_picker_shows_the_other_models_slices_and_a_slice_opens_its_images(page, e2e_artifacts):
    aset = open_artifacts(e2e_artifacts)
    titles = {name: aset.model_info(name)["title"] for name in ("rf", "sgd")}

    def caption(name: str) -> str:
        pred = aset.predictions(name)
        wrong = int(np.sum(pred.y_true != pred.y_pred))
        return f"{titles[name]} errs on {wrong:,} of {len(pred.y_true):,} test images ({wrong / len(pred.y_true):.2%})."

    open_page(page, "/slices?model=rf", "Slices")
    page.get_by_text(caption("rf"), exact=False).wait_for()
    first = _slices_shown(page, "rf")
    page.locator(".st-key-slices_model_pick [role='combobox']").click()
    page.get_by_role("option", name=titles["sgd"], exact=True).click()
    page.wait_for_url("**model=sgd**")
    page.get_by_text(caption("sgd"), exact=False).wait_for()
    expect(page.locator(".st-key-slices_table_rf")).to_have_count(0)
    expect(page.get_by_text(caption("rf"), exact=False)).to_have_count(0)
    page.wait_for_function(IDLE)
    other = _slices_shown(page, "sgd")
    assert other != first, "the picked model's slices replace the first model's"

    pred = aset.predictions("sgd")
    rule, images, errors = other[0].split("\t")[:3]
    images, errors = int(images.replace(",", "")), int(errors.replace(",", ""))
    page.locator(".st-key-slices_table_sgd tr[data-index]").first.click()
    page.get_by_role("heading", name=f"{rule}: {images:,} images, {errors:,} wrong").wait_for()
    tiles = page.locator(".st-key-slices_gallery figure[data-index]")
    tiles.nth(min(images, PER_PAGE) - 1).wait_for()
    page.wait_for_function(IDLE)
    shown = np.array(tile_rows(page.locator(".st-key-slices_gallery")))
    assert shown.size == min(images, PER_PAGE)
    wrong = pred.y_true[shown] != pred.y_pred[shown]
    assert wrong.tolist() == [True] * min(errors, shown.size) + [False] * (shown.size - min(errors, shown.size)), (
        "the slice's gallery shows its mistakes first, as many as the table says")
    assert_no_exception(page)


def _download(page, button) -> bytes:
    with page.expect_download() as info:
        button.click()
    path = info.value.path()
    with open(path, "rb") as handle:
        return handle.read()


def test_the_models_comparison_csv_holds_every_models_metrics_as_computed_from_its_predictions(page, e2e_artifacts):
    aset = open_artifacts(e2e_artifacts)
    open_page(page, "/models", "Models")
    table = pd.read_csv(io.BytesIO(_download(page, page.locator(".st-key-models_csv button"))))
    assert table["model"].tolist() == list(aset.model_names)
    checked = 0
    for record in table.to_dict("records"):
        name = record["model"]
        assert record["title"] == aset.model_info(name)["title"]
        held_out = aset.model_info(name)["metrics"].get("n_held_out", 0)  # the CNN's images for its curve
        assert record["n_train"] + held_out == aset.dataset["n_train"]
        assert held_out == (min(CnnSettings().held_out, aset.dataset["n_train"] // 10) if name == "cnn" else 0)
        pred = aset.predictions(name)
        y_true, y_pred = np.asarray(pred.y_true), np.asarray(pred.y_pred)
        if record["task"] == "multioutput":
            assert np.isnan(record["test_accuracy"])
            continue
        right = (y_true == y_pred).all(axis=1) if y_true.ndim == 2 else y_true == y_pred
        assert record["test_accuracy"] == pytest.approx(right.mean(), abs=1e-12), name
        checked += 1
        if record["task"] in ("multiclass", "binary"):
            assert record["macro_f1"] == pytest.approx(macro_f1(y_true, y_pred), abs=1e-12), name
        if record["task"] == "multiclass":
            counts = confusion_counts(pred)
            assert [record["9->4"], record["5->3"], record["7->1"]] == [counts[9, 4], counts[5, 3], counts[7, 1]]
    assert checked >= 4
    assert_no_exception(page)


@pytest.fixture()
def no_review_marks(e2e_artifacts):
    """The set's review marks, none before the test and none left after it (other tests read the same set)."""
    folder = e2e_artifacts / "reviews"
    assert not any(folder.glob("*.json")), f"review marks are left in {folder}"
    yield folder
    for path in list(folder.glob("*.json")) + list(folder.glob(".*.lock")):
        path.unlink()


def _mark(page, row: int, mark: str) -> None:
    """Open test ``row``'s dialog and review its label as ``mark`` (the button's words)."""
    open_page(page, f"/labels?image={row}", "Labels")
    control = page.get_by_role("dialog").locator(f".st-key-review_mark_{row}")
    control.get_by_role("radio", name=mark, exact=True).click()
    expect(control.get_by_role("radio", name=mark, exact=True)).to_have_attribute("aria-checked", "true")
    page.wait_for_function(IDLE)


def test_the_review_marks_csv_holds_the_marks_made_in_the_dialog(page, e2e_artifacts, no_review_marks):
    y_true = open_artifacts(e2e_artifacts).predictions("rf").y_true
    correct, wrong = 5, 17
    _mark(page, correct, "label correct")
    _mark(page, wrong, "label wrong")
    picker = page.get_by_role("dialog").locator(f".st-key-review_label_{wrong} [role='combobox']")
    given, suggested = str(y_true[wrong]), picker.input_value()
    right = next(str(d) for d in range(10) if str(d) not in (given, suggested))
    picker.click()
    page.get_by_role("option", name=right, exact=True).click()
    expect(picker).to_have_value(right)
    page.wait_for_function(IDLE)
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="detached")

    open_page(page, "/labels", "Labels")
    page.get_by_text("label correct: 1", exact=False).wait_for()
    assert page.get_by_text("label wrong: 1", exact=False).count() == 1
    marks = pd.read_csv(io.BytesIO(_download(page, page.locator(".st-key-labels_download button"))), dtype=str,
                        keep_default_na=False)
    assert marks[["test_row", "mark", "given_label", "right_label"]].values.tolist() == [
        [str(correct), "label correct", str(y_true[correct]), ""],
        [str(wrong), "label wrong", given, right]]
    assert all(pd.Timestamp(t).tzinfo is not None for t in marks["time"]), marks["time"].tolist()
    assert_no_exception(page)
