"""The dashboard in a real browser: every page, a confusion-cell click and a drawn stroke."""

from __future__ import annotations

import base64
import io
import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image

from bench.wsprobe import INIT_JS, Tap
from core.analysis import evaluation, map_selection, operating_points
from core.analysis.thresholds import OneVsRest
from core.artifacts import open_artifacts
from dashboard import registry
from tests.e2e.browsing import IDLE, assert_no_exception, confusion_counts, open_page, tile_rows, wait_for_run_end

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("index", range(len(registry.PAGES)), ids=[p.url_path for p in registry.PAGES])
def test_every_page_renders_without_an_exception(page, index):
    spec = registry.PAGES[index]
    open_page(page, f"/{spec.url_path}", spec.title)
    page.locator(".js-plotly-plot .main-svg, [data-testid='stHtml'] img, .dl-clickable img, .dl-cells td, "
                 ".st-key-explore_map canvas, .st-key-draw_canvas canvas, .dl-thr svg, "
                 ".dl-clickable svg").first.wait_for()
    assert_no_exception(page)
    assert page.get_by_text("Page not found").count() == 0


def test_the_root_url_opens_the_data_page_at_its_own_path(page, server):
    open_page(page, "/", "Data")
    page.wait_for_url("**/data")
    icon = page.evaluate("document.querySelector('link[rel~=icon]').href")
    assert icon.startswith(server), f"the page icon comes from {icon}, not from the app (offline use)"
    assert page.get_by_text("Page not found").count() == 0
    assert_no_exception(page)


def _busiest_cell(root, *, mistakes: bool) -> tuple[int, int, int]:
    """The random forest's confusion cell with the most test images (among its mistakes when ``mistakes``)."""
    counts = confusion_counts(open_artifacts(root).predictions("rf"))
    if mistakes:
        np.fill_diagonal(counts, 0)
    true, predicted = np.unravel_index(counts.argmax(), counts.shape)
    return int(true), int(predicted), int(counts[true, predicted])


def test_clicking_a_confusion_cell_shows_its_images_and_the_link_reopens_them(page, e2e_artifacts):
    # The fullest cell (a diagonal one on this set) has more than a page of images, so its pager is proved too.
    true, predicted, n = _busiest_cell(e2e_artifacts, mistakes=False)
    assert n > 18, f"the fullest cell has {n} images: the set is too small to page a cell"
    open_page(page, "/errors?model=rf", "Errors")
    cell = page.locator(f'.st-key-errors_matrix td[data-cell="{true * 10 + predicted}"]')
    assert cell.get_attribute("title") == f"true {true} → predicted {predicted}: {n:,} images"
    cell.click()
    heading = f"True {true} → predicted {predicted}: {n} images ({'correct' if true == predicted else 'mistakes'})"
    page.get_by_role("heading", name=heading).wait_for()
    page.wait_for_function(IDLE)
    gallery = page.locator(".st-key-errors_matrix")
    assert gallery.locator("img").count() == min(n, 18)
    assert gallery.get_by_text(f"true {true} → {predicted} (", exact=False).count() == min(n, 18)
    page.wait_for_url(f"**cell={true}-{predicted}**")
    assert page.locator(f'.st-key-errors_matrix td[data-cell="{true * 10 + predicted}"]').get_attribute(
        "aria-pressed") == "true"
    first_page = tile_rows(gallery)
    gallery.get_by_role("button", name="Next page").click()
    gallery.get_by_text(f"Page 2 of {-(-n // 18)}.", exact=False).wait_for()
    page.wait_for_function(IDLE)
    assert gallery.locator("img").count() == min(n - 18, 18)
    second_page = tile_rows(gallery)
    assert not set(first_page) & set(second_page), "the second page shows other images than the first"
    assert_no_exception(page)

    link = page.url
    page.goto("about:blank")
    page.goto(link)
    page.get_by_role("heading", name=heading).wait_for()
    assert_no_exception(page)


#: What a click on a cell whose page the tab holds may cost on the wire: Python's answer, which only confirms the
#: cell (the URL, the panel's arguments), with no image.
HELD_CELL_BUDGET = 4 * 1024


def test_a_cell_whose_page_the_tab_holds_shows_in_the_click_and_python_sends_no_image(page, e2e_artifacts):
    page.context.add_init_script(INIT_JS)
    tap = Tap(page)
    true, predicted, n = _busiest_cell(e2e_artifacts, mistakes=True)
    open_page(page, "/errors?model=rf", "Errors")
    panel = page.locator('.st-key-errors_matrix .dl-cells[data-ahead="sent"]')
    panel.wait_for()
    page.wait_for_function(IDLE)
    before = page.evaluate("window.__probe.frames.length")
    shown = panel.locator(f'td[data-cell="{true * 10 + predicted}"]').evaluate("""(cell) => {
        cell.click();
        const right = cell.closest(".dl-cells").querySelector(".dl-cell");
        return [right.querySelector("h3")?.textContent ?? null,
                right.querySelectorAll("figure[data-index] img").length, right.getAttribute("aria-busy")];
    }""")
    assert shown == [f"True {true} → predicted {predicted}: {n} images (mistakes)", min(n, 18), None]
    wait_for_run_end(page, tap, before)
    page.wait_for_function(IDLE)
    page.wait_for_url(f"**cell={true}-{predicted}**")
    assert panel.get_attribute("data-asked") is None
    assert 0 < sum(page.evaluate(f"window.__probe.frames.slice({before}).map(f => f[1])")) <= HELD_CELL_BUDGET
    assert_no_exception(page)

    first = panel.locator(".dl-cell figure[data-index]").first
    row = first.get_attribute("data-index")
    first.click()
    page.get_by_role("dialog").get_by_text(f"Test image #{row}", exact=False).first.wait_for()
    assert_no_exception(page)


def test_drawing_a_seven_gets_it_recognised_and_clear_empties_the_canvas(page, e2e_artifacts):
    page.context.add_init_script(INIT_JS)
    tap = Tap(page)
    open_page(page, "/draw", "Draw")
    page.get_by_text("Nothing drawn yet").wait_for()
    canvas = page.locator(".st-key-draw_canvas canvas.dl-ink").first
    canvas.wait_for()
    box = canvas.bounding_box()
    seven = [(0.28, 0.2), (0.72, 0.2), (0.62, 0.4), (0.52, 0.62), (0.45, 0.85)]
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in seven]
    before = page.evaluate("window.__probe.frames.length")
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    page.get_by_text("what the models see").wait_for()
    verdict = page.locator('.st-key-draw_canvas [role="status"]')
    verdict.first.wait_for()
    page.wait_for_function(IDLE)
    assert page.get_by_text("Nothing drawn yet").count() == 0
    assert verdict.count() == 1
    assert re.search(r"models say 7\b|disagree: 7 \(", verdict.inner_text()), verdict.inner_text()
    assert_no_exception(page)
    # the CNN answers too: what the table says is what its ONNX graph says about the input the page shows
    seen = page.locator(".st-key-draw_canvas img[alt='the model input']").get_attribute("src")
    row = np.asarray(Image.open(io.BytesIO(base64.b64decode(seen.split(",", 1)[1]))).convert("L")).reshape(1, -1)
    cnn = open_artifacts(e2e_artifacts).load_model("cnn")
    said = page.locator('.st-key-draw_canvas td[data-model="cnn"]').inner_text()
    assert said == str(int(cnn.predict(row)[0])), said

    before = page.evaluate("window.__probe.frames.length")
    page.get_by_role("button", name="Clear", exact=True).click()
    page.get_by_text("Nothing drawn yet").wait_for()
    wait_for_run_end(page, tap, before)
    assert tap.kinds[before:].count("delta") == 2, "a drawing's rerun sends the fragment and its one element"
    assert page.get_by_text("what the models see").count() == 0
    assert_no_exception(page)


#: What one Thresholds slider step may cost the tab on the wire (issue: <= 30 KiB on the full MNIST set).
STEP_BUDGET = 30 * 1024


def _shown_table(root, title: str, cls: int):
    """The slider table of the model titled ``title`` for class ``cls``, as the page computes it."""
    aset = open_artifacts(root)
    name = next(n for n in aset.model_names if aset.model_info(n)["title"] == title)
    pred = aset.predictions(name)
    proba = evaluation.probabilities(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature)
    return operating_points.slider_table(OneVsRest.from_scores(pred.y_true, proba, cls=cls), by="probability")


def test_the_threshold_panel_steps_in_the_tab_and_fetches_only_the_images_it_lacks(page, e2e_artifacts):
    page.context.add_init_script(INIT_JS)
    tap = Tap(page)
    # A multiclass model, whose panel opens on digit 0 (the page opens on the most accurate model otherwise, which
    # may be the binary "is it a 5?" detector, fixed on its positive class).
    open_page(page, "/thresholds?model=rf", "Thresholds")
    panel = page.locator(".dl-thr")
    slider = panel.locator("input[type=range]")
    slider.wait_for()
    title = page.locator(".st-key-thresholds_model [role='combobox']").input_value()
    table = _shown_table(e2e_artifacts, title, cls=0)
    tops = [round(box["y"]) for box in (svg.bounding_box() for svg in panel.locator(".dl-charts svg").all())]
    assert len(tops) == 3 and len(set(tops)) == 1, f"the panel's style puts its three charts in a row: {tops}"
    slider.focus()
    for key, position, quiet in (("ArrowRight", 101, True), ("ArrowLeft", 100, True), ("PageUp", 120, False)):
        before = page.evaluate("window.__probe.frames.length")
        slider.press(key)
        panel.locator(f"output:text-is('{table.frame['value'][position]:.3f}')").wait_for()
        page.wait_for_function("(e) => e.dataset.asked === undefined", arg=panel.element_handle())
        if not quiet:
            wait_for_run_end(page, tap, before)
        page.wait_for_function(IDLE)
        page.wait_for_timeout(200)
        step = sum(page.evaluate(f"window.__probe.frames.slice({before}).map(f => f[1])"))
        assert step == 0 if quiet else 0 < step <= STEP_BUDGET, (key, step)
        row = table.frame.iloc[position]
        shown = dict(zip(["Precision", "Recall", "F1", "False positive rate"],
                         [float(panel.locator(f'[data-m="{m}"]').inner_text()) for m in ("precision", "recall", "f1",
                                                                                          "fpr")]))
        assert shown == pytest.approx({"Precision": row["precision"], "Recall": row["recall"], "F1": row["f1"],
                                       "False positive rate": row["fpr"]}, abs=6e-4)
        assert panel.locator('[data-m="fp"]').inner_text() == f"{int(row['fp']):,}"
        rows = [r for r in np.r_[table.false_pos[position], table.false_neg[position]] if r >= 0]
        assert panel.locator("figure img").count() == len(rows), "every tile has its image, none is loading"
        assert sorted(int(a.split()[-1]) for a in panel.locator("figure img").evaluate_all(
            "(images) => images.map((i) => i.alt)")) == sorted(rows)
    assert_no_exception(page)

    panel.locator("figure").first.click()
    page.get_by_role("dialog").get_by_text("Test image #", exact=False).first.wait_for()
    assert_no_exception(page)


def _lasso(page) -> None:
    """Draw a lasso round the middle-left of the Explore map and wait until its images are shown."""
    box = page.locator(".st-key-explore_map canvas.dl-overlay").bounding_box()
    corners = [(0.2, 0.2), (0.6, 0.2), (0.6, 0.7), (0.2, 0.7), (0.2, 0.2)]
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in corners]
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
    page.wait_for_url("**region=**")
    page.locator(".st-key-explore_gallery img").first.wait_for()
    page.wait_for_function(IDLE)


def test_the_map_redraws_its_dots_for_another_colouring_and_keeps_them_through_a_lasso(page):
    open_page(page, "/explore?model=rf", "Explore")
    dots = page.locator(".st-key-explore_map canvas.dl-points")
    dots.wait_for()
    picture = "(canvas) => canvas.toDataURL()"
    outcome = dots.evaluate(picture)
    page.locator(".st-key-explore_colour_pick").get_by_role("radio", name="true digit", exact=True).click()
    page.wait_for_url("**colour=true**")
    page.wait_for_function(IDLE)
    page.wait_for_function("([canvas, before]) => canvas.toDataURL() !== before", arg=[dots.element_handle(), outcome])
    coloured = dots.evaluate(picture)
    area = page.locator(".st-key-explore_map canvas.dl-overlay")
    _lasso(page)
    assert dots.evaluate(picture) == coloured, "a selection keeps the dots as they were drawn"
    assert area.evaluate("(c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v) => v > 0)")
    region = parse_qs(urlparse(page.url).query)["region"][0]
    page.get_by_role("button", name="Clear the selection").click()
    page.get_by_text("Draw a lasso or a box on the map").wait_for()
    assert "region=" not in page.url
    _lasso(page)
    assert parse_qs(urlparse(page.url).query)["region"][0] == region, "the same lasso drawn again selects again"
    assert_no_exception(page)


#: What a map selection may cost the tab on the wire: the summary and a gallery page (the coordinates travelled
#: with the page and are not sent again).
SELECTION_BUDGET = 40 * 1024


def test_a_lasso_on_the_map_shows_the_images_inside_it_and_opens_one_images_story(page, e2e_artifacts):
    page.context.add_init_script(INIT_JS)
    open_page(page, "/explore?model=rf", "Explore")
    page.locator(".st-key-explore_map canvas.dl-overlay").wait_for()
    before = page.evaluate("window.__probe.frames.length")
    _lasso(page)
    assert "region=l" in page.url
    gallery = page.locator(".st-key-explore_gallery")
    assert sum(page.evaluate(f"window.__probe.frames.slice({before}).map(f => f[1])")) <= SELECTION_BUDGET

    region = map_selection.parse_region(parse_qs(urlparse(page.url).query)["region"][0])
    assert region is not None and region.kind == "l"
    grid = map_selection.grid_coords(open_artifacts(e2e_artifacts).explore()["coords"])
    inside = map_selection.select_region(grid, region)
    assert 0 < inside.size < len(grid)
    shown = [int(alt.split()[-1]) for alt in gallery.locator("img").evaluate_all("els => els.map(e => e.alt)")]
    assert len(shown) == min(18, inside.size) and set(shown) <= set(inside)
    assert page.get_by_text(f"{inside.size:,} images selected").count() == 1

    gallery.locator("figure").first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"Test image #{shown[0]}").wait_for()
    page.wait_for_url(f"**image={shown[0]}**")
    neighbours = dialog.locator("img[alt^='training image']")
    neighbours.nth(9).wait_for()
    assert neighbours.count() == 10
    assert_no_exception(page)


def test_an_image_link_opens_its_story_on_the_errors_page(page, e2e_artifacts):
    label = open_artifacts(e2e_artifacts).predictions("rf").y_true[12]
    open_page(page, "/errors?image=12", "Errors")
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Test image #12").wait_for()
    assert f"Test image #12 · labelled {label} ·" in dialog.inner_text(), "the dialog tells the linked image's label"
    neighbours = dialog.locator("img[alt^='training image']")
    neighbours.nth(9).wait_for()
    assert neighbours.count() == 10, "and shows its 10 nearest training images"
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    page.wait_for_function("() => !location.search.includes('image=')")
    assert page.get_by_role("dialog").count() == 0
    assert_no_exception(page)


def test_the_calibration_view_switches_from_the_answers_diagram_to_one_digits(page, e2e_artifacts):
    open_page(page, "/calibration", "Calibration")
    aset = open_artifacts(e2e_artifacts)
    strongest = max((n for n in aset.model_names if aset.model_info(n)["task"] == "multiclass"),
                    key=lambda n: aset.model_info(n)["metrics"]["test_accuracy"])
    title = aset.model_info(strongest)["title"]
    page.get_by_role("img", name=f"reliability diagram of {title} for its answer").wait_for()
    page.locator(".st-key-calibration_view").get_by_role("radio", name="digit 3", exact=True).click()
    page.get_by_role("img", name=f"reliability diagram of {title} for digit 3").wait_for()
    page.wait_for_function(IDLE)
    assert page.get_by_role("img", name=f"reliability diagram of {title} for its answer").count() == 0
    assert_no_exception(page)
