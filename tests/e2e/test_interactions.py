"""The interactive elements in a real browser, each proved once: the Explore map's Box, Pan, wheel zoom, Reset view
and dot click, the Draw canvas's Undo, and the keyboard on gallery tiles and matrix cells.

Expectations come from the stored arrays through numpy (``tests/e2e/browsing.py``), not from the dashboard's code.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from playwright.sync_api import expect

from core.artifacts import open_artifacts
from tests.e2e.browsing import (IDLE, MapView, assert_no_exception, box_rows, canvas_picture, confusion_counts,
                                lonely_dot, map_grid, most_confident_first, open_page, probabilities, query,
                                tile_rows, url_box)

pytestmark = pytest.mark.e2e

MAP = ".st-key-explore_map"
INKED = "(c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v) => v > 0)"
#: In the page: the share of the pixels of ``canvas.__before`` (an ImageData kept earlier) that reappear moved by
#: (dx, dy) in the canvas now, over the pixels inked in either whose both places lie on the canvas.
SHIFTED_SHARE = """(canvas, [dx, dy]) => {
  const a = canvas.__before.data, b = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const w = canvas.width, h = canvas.height;
  let inked = 0, same = 0;
  for (let y = Math.max(0, -dy); y < Math.min(h, h - dy); y++) {
    for (let x = Math.max(0, -dx); x < Math.min(w, w - dx); x++) {
      const i = 4 * (y * w + x), j = 4 * ((y + dy) * w + x + dx);
      if (a[i + 3] === 0 && b[j + 3] === 0) continue;
      inked++;
      if (a[i] === b[j] && a[i + 1] === b[j + 1] && a[i + 2] === b[j + 2] && a[i + 3] === b[j + 3]) same++;
    }
  }
  return [same, inked];
}"""
#: In the page: the box [left, top, right, bottom] round a canvas's inked pixels.
INKED_BOX = """(canvas) => {
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data, w = canvas.width;
  const box = [Infinity, Infinity, -1, -1];
  for (let i = 3; i < d.length; i += 4) {
    if (d[i] === 0) continue;
    const x = ((i - 3) / 4) % w, y = Math.floor((i - 3) / 4 / w);
    box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y);
    box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
  }
  return box;
}"""
KEEP = "(canvas) => { canvas.__before = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height); }"


def _open_map(page):
    """The Explore map of the random forest, drawn: (dots canvas, overlay canvas, side in pixels)."""
    open_page(page, "/explore?model=rf", "Explore")
    dots = page.locator(f"{MAP} canvas.dl-points")
    page.wait_for_function(INKED, arg=dots.element_handle())
    return dots, page.locator(f"{MAP} canvas.dl-overlay"), dots.evaluate("(c) => c.width")


def _drag(page, overlay, start, end) -> None:
    """Press at ``start`` and release at ``end`` (pixels from the canvas's top-left corner)."""
    box = overlay.bounding_box()
    page.mouse.move(box["x"] + start[0], box["y"] + start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0], box["y"] + end[1], steps=8)
    page.mouse.up()


def _tool(page, name: str):
    button = page.locator(MAP).get_by_role("button", name=name, exact=True)
    button.click()
    return button


def _box_select(page, overlay, side: int):
    """Drag a box with the Box tool and wait for its images: (start, end) in canvas pixels."""
    assert _tool(page, "Box").get_attribute("aria-pressed") == "true"
    assert page.locator(MAP).get_by_role("button", name="Lasso").get_attribute("aria-pressed") == "false"
    start, end = (round(0.18 * side), round(0.22 * side)), (round(0.72 * side), round(0.66 * side))
    _drag(page, overlay, start, end)
    page.wait_for_url(lambda url: "region=b" in url)
    page.locator(".st-key-explore_gallery figure[data-index]").first.wait_for()
    page.wait_for_function(IDLE)
    return start, end


def _summary(page) -> str:
    return page.locator(".st-key-explore_summary p").first.inner_text()


def test_the_box_tool_selects_exactly_the_images_inside_the_dragged_rectangle(page, e2e_artifacts):
    aset = open_artifacts(e2e_artifacts)
    pred = aset.predictions("rf")
    grid = map_grid(aset.explore()["coords"])
    dots, overlay, side = _open_map(page)
    start, end = _box_select(page, overlay, side)

    view = MapView.home(side)
    (x0, y0), (x1, y1) = view.to_grid(*start), view.to_grid(*end)
    drawn = (min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1))
    assert url_box(query(page, "region")) == drawn, "the URL names the rectangle drawn, in grid units"
    rows = box_rows(grid, drawn)
    assert 18 < rows.size < len(grid), "the rectangle is chosen to hold more than a page and less than all"
    wrong = pred.y_true[rows] != pred.y_pred[rows]
    assert _summary(page).startswith(f"{rows.size:,} images selected, {int(wrong.sum()):,} mistakes")

    confidence = probabilities(pred).max(axis=1)
    ordered = rows[np.lexsort((rows, -confidence[rows], ~wrong))]
    gallery = page.locator(".st-key-explore_gallery")
    assert tile_rows(gallery) == ordered[:18].tolist(), "mistakes first, most confident first"
    assert gallery.get_by_text(f"Page 1 of {-(-rows.size // 18)}.", exact=False).count() == 1
    assert overlay.evaluate(INKED), "the box stays drawn on the overlay"
    assert_no_exception(page)


def test_pan_moves_the_dots_by_the_drag_keeps_the_selection_and_reset_view_restores_the_picture(page):
    dots, overlay, side = _open_map(page)
    home = canvas_picture(dots)
    _box_select(page, overlay, side)
    region, summary = query(page, "region"), _summary(page)
    assert canvas_picture(dots) == home, "a selection leaves the dots as drawn"

    dots.evaluate(KEEP)
    outline = overlay.evaluate(INKED_BOX)
    assert _tool(page, "Pan").get_attribute("aria-pressed") == "true"
    dx, dy = 60, -45
    _drag(page, overlay, (side // 2, side // 2), (side // 2 + dx, side // 2 + dy))
    page.wait_for_function("([c, before]) => c.toDataURL() !== before", arg=[dots.element_handle(), home])
    # A shift one pixel off keeps about a fifth of the dots' pixels in place, the drag's own shift over 99%.
    same, inked = dots.evaluate(SHIFTED_SHARE, [dx, dy])
    assert inked > 1000 and same >= 0.95 * inked, f"the dots moved by the drag: {same} of {inked} pixels"
    moved = overlay.evaluate(INKED_BOX)
    assert moved == pytest.approx([outline[0] + dx, outline[1] + dy, outline[2] + dx, outline[3] + dy], abs=1), (
        "the selected box moved with the dots")
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE)
    assert query(page, "region") == region and _summary(page) == summary, "a pan selects nothing"

    page.locator(MAP).get_by_role("button", name="Reset view").click()
    assert canvas_picture(dots) == home, "Reset view draws the dots as first drawn"
    assert query(page, "region") == region
    assert_no_exception(page)


def test_the_wheel_zooms_about_the_pointer_a_click_then_picks_by_the_zoomed_view_and_reset_restores(
        page, e2e_artifacts):
    aset = open_artifacts(e2e_artifacts)
    grid = map_grid(aset.explore()["coords"])
    dots, overlay, side = _open_map(page)
    home_picture = canvas_picture(dots)
    overlay.evaluate("(c) => { c.__wheel = []; c.addEventListener('wheel', (e) => c.__wheel.push(e.deltaY)); }")
    box = overlay.bounding_box()
    pointer = (side * 0.4, side * 0.55)
    page.mouse.move(box["x"] + pointer[0], box["y"] + pointer[1])
    page.mouse.wheel(0, -400)
    page.wait_for_function("([c, before]) => c.toDataURL() !== before", arg=[dots.element_handle(), home_picture])
    deltas = overlay.evaluate("(c) => c.__wheel")
    factor = math.exp(-0.0015 * sum(deltas))
    assert factor > 1.5, deltas

    home, zoomed = MapView.home(side), MapView.home(side).zoomed(factor, pointer)
    on_screen = zoomed.to_screen(grid)
    row = lonely_dot(on_screen, clear=12, inside=(20, side - 20))
    at = on_screen[row]
    before = np.sqrt(((home.to_screen(grid) - at) ** 2).sum(axis=1))
    assert before[row] > 8, "without the zoom the click would miss this dot"
    page.mouse.click(box["x"] + at[0], box["y"] + at[1])
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"Test image #{row}", exact=True).wait_for()
    page.wait_for_url(f"**image={row}**")
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    page.wait_for_function(IDLE)

    page.locator(MAP).get_by_role("button", name="Reset view").click()
    assert canvas_picture(dots) == home_picture, "Reset view draws the dots as first drawn"
    assert_no_exception(page)


def test_a_click_on_a_dot_opens_the_story_of_the_image_under_it(page, e2e_artifacts):
    aset = open_artifacts(e2e_artifacts)
    pred = aset.predictions("rf")
    grid = map_grid(aset.explore()["coords"])
    dots, overlay, side = _open_map(page)
    on_screen = MapView.home(side).to_screen(grid)
    row = lonely_dot(on_screen, clear=10, inside=(20, side - 20))
    box = overlay.bounding_box()
    # A little off the dot's centre, still nearer to it than to any other dot.
    page.mouse.click(box["x"] + on_screen[row, 0] + 2, box["y"] + on_screen[row, 1] - 1)
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"Test image #{row}", exact=True).wait_for()
    assert f"Test image #{row} · labelled {pred.y_true[row]} ·" in dialog.inner_text()
    page.wait_for_url(f"**image={row}**")
    assert query(page, "region") is None, "a click selects no region"
    assert_no_exception(page)


def _stroke(page, canvas, points) -> None:
    box = canvas.bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()


def test_undo_takes_back_the_last_stroke_and_the_models_see_the_one_stroke_digit_again(page):
    open_page(page, "/draw", "Draw")
    page.get_by_text("Nothing drawn yet").wait_for()
    element = page.locator(".st-key-draw_canvas")
    canvas = element.locator("canvas.dl-ink")
    seen = element.locator("img[alt='the model input']")
    _stroke(page, canvas, [(0.5, 0.15), (0.5, 0.5), (0.5, 0.85)])
    seen.wait_for()
    page.wait_for_function(IDLE)
    one_stroke, one_seen = canvas_picture(canvas), seen.get_attribute("src")
    one_verdict = element.locator('[role="status"]').inner_text()

    _stroke(page, canvas, [(0.2, 0.3), (0.5, 0.3), (0.8, 0.3)])
    expect(seen).not_to_have_attribute("src", one_seen)
    page.wait_for_function(IDLE)
    assert canvas_picture(canvas) != one_stroke

    element.get_by_role("button", name="Undo", exact=True).click()
    assert canvas_picture(canvas) == one_stroke, "Undo paints the first stroke alone"
    expect(seen).to_have_attribute("src", one_seen)
    page.wait_for_function(IDLE)
    assert element.locator('[role="status"]').inner_text() == one_verdict

    element.get_by_role("button", name="Undo", exact=True).click()
    page.get_by_text("Nothing drawn yet").wait_for()
    assert seen.count() == 0
    assert_no_exception(page)


def test_enter_and_space_on_a_gallery_tile_open_its_story(page):
    open_page(page, "/labels", "Labels")
    tiles = page.locator(".st-key-labels_gallery figure[data-index]")
    tiles.first.wait_for()
    dialog = page.get_by_role("dialog")
    for nth, key in ((0, "Enter"), (tiles.count() - 1, " ")):  # the last tile: the first when only one is flagged
        tile = tiles.nth(nth)
        row = tile.get_attribute("data-index")
        tile.focus()
        page.keyboard.press(key)
        dialog.get_by_text(f"Test image #{row}", exact=True).wait_for()
        page.wait_for_url(f"**image={row}**")
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached")
        page.wait_for_function("() => !location.search.includes('image=')")
        page.wait_for_function(IDLE)
    assert_no_exception(page)


def test_enter_on_a_confusion_cell_shows_that_cells_images(page, e2e_artifacts):
    pred = open_artifacts(e2e_artifacts).predictions("rf")
    counts = confusion_counts(pred)
    np.fill_diagonal(counts, 0)
    true, predicted = (int(v) for v in np.unravel_index(counts.argmax(), counts.shape))
    n = int(counts[true, predicted])
    open_page(page, "/errors?model=rf", "Errors")
    cell = page.locator(f'.st-key-errors_matrix td[data-cell="{true * 10 + predicted}"]')
    cell.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"True {true} → predicted {predicted}: {n} images (mistakes)").wait_for()
    page.wait_for_url(f"**cell={true}-{predicted}**")
    confidence = probabilities(pred).max(axis=1)
    rows = np.flatnonzero((pred.y_true == true) & (pred.y_pred == predicted))
    assert tile_rows(page.locator(".st-key-errors_matrix .dl-cell")) == most_confident_first(rows, confidence).tolist()
    page.locator(f".st-key-errors_matrix img[alt='mean map of why Random forest says {predicted} and not {true}']"
                 ).wait_for()
    assert cell.get_attribute("aria-pressed") == "true"
    assert_no_exception(page)


def test_an_image_link_shows_the_map_behind_the_answer_and_a_picked_class_redraws_it(page, e2e_artifacts):
    pred = open_artifacts(e2e_artifacts).predictions("rf")
    row = int(np.flatnonzero(pred.y_pred != pred.y_true)[0])
    said, true = int(pred.y_pred[row]), int(pred.y_true[row])
    open_page(page, f"/errors?model=rf&image={row}", "Errors")
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(f"Test image #{row}", exact=True).wait_for()
    dialog.get_by_text("Why does", exact=False).first.click()
    picture = dialog.locator("img[alt^='map of why']")
    picture.wait_for()
    assert picture.get_attribute("alt").endswith(f"says {said} and not {true}")
    dialog.get_by_role("img", name="deletion curve", exact=False).wait_for()
    dialog.get_by_text("The edit that flips it: towards training image", exact=False).wait_for()
    flipped = dialog.locator("figcaption", has_text="flips")
    if flipped.count():  # the tile of the first step whose answer is the true label says so, as the caption below
        step = re.search(r"step (\d+)", flipped.first.inner_text())[1]
        dialog.get_by_text(f"first says {true} at step {step} of 20", exact=False).wait_for()
    first = picture.get_attribute("src")
    other = next(c for c in range(10) if c not in (said, true))
    dialog.locator('[data-testid="stSelectbox"]').filter(has_text=f"Why {said} and not").click()
    page.get_by_role("option", name=str(other), exact=True).click()
    expect(picture).not_to_have_attribute("src", first)
    assert picture.get_attribute("alt").endswith(f"says {said} and not {other}")
    assert_no_exception(page)


def test_the_draw_pages_map_follows_each_stroke_for_the_picked_model(page):
    open_page(page, "/draw", "Draw")
    page.get_by_text("Nothing drawn yet").wait_for()
    canvas = page.locator(".st-key-draw_canvas canvas.dl-ink").first
    canvas.wait_for()
    _stroke(page, canvas, [(0.5, 0.15), (0.5, 0.5), (0.5, 0.85)])
    page.get_by_text("Why? The ink behind one model's answer").click()
    picture = page.locator("img[alt^='map of why']")
    picture.wait_for()
    first = picture.get_attribute("src")
    _stroke(page, canvas, [(0.2, 0.3), (0.5, 0.3), (0.8, 0.3)])
    expect(picture).not_to_have_attribute("src", first)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").click()
    page.get_by_role("option", name="SGD (hinge)", exact=True).click()
    expect(picture).to_have_attribute("alt", re.compile(r"^map of why SGD \(hinge\) says"))
    assert_no_exception(page)
