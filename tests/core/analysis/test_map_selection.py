import numpy as np
import pytest

from core.analysis import image_story, map_selection
from core.analysis.gallery import percent


@pytest.fixture(scope="module")
def grid():
    return map_selection.grid_coords(np.random.default_rng(0).normal(size=(2000, 2)) * [3.0, 1.0])


def test_grid_keeps_the_aspect_and_spans_the_grid(grid):
    assert grid.dtype == np.uint16 and grid.min() == 0 and grid[:, 0].max() == map_selection.GRID
    assert grid[:, 1].max() < map_selection.GRID * 0.6


def test_a_box_selects_exactly_the_points_inside_it(grid):
    region = map_selection.Region("b", (2000, 6000, 1000, 3000))
    rows = map_selection.select_region(grid, region)
    x, y = grid[:, 0].astype(int), grid[:, 1].astype(int)
    expected = np.flatnonzero((x >= 2000) & (x <= 6000) & (y >= 1000) & (y <= 3000))
    np.testing.assert_array_equal(rows, expected)
    assert rows.size > 100


def test_a_lasso_triangle_selects_by_the_even_odd_rule(grid):
    triangle = (0, 0, 10_000, 0, 0, 10_000)
    rows = map_selection.select_region(grid, map_selection.Region("l", triangle))
    x, y = grid[:, 0].astype(int), grid[:, 1].astype(int)
    inside = np.flatnonzero(x + y < 10_000)
    assert set(rows) <= set(np.flatnonzero(x + y <= 10_000)) and set(inside) <= set(rows)
    square = map_selection.Region("l", (2000, 1000, 6000, 1000, 6000, 3000, 2000, 3000))
    box = map_selection.Region("b", (2000, 6000, 1000, 3000))
    strictly = np.flatnonzero((x > 2000) & (x < 6000) & (y > 1000) & (y < 3000))
    inside_square, inside_box = map_selection.select_region(grid, square), map_selection.select_region(grid, box)
    assert set(strictly) <= set(inside_square) <= set(inside_box)


def test_region_round_trips_through_its_link_and_refuses_edited_links():
    lasso = map_selection.Region("l", (1, 2, 30, 4, 5, 600))
    assert map_selection.parse_region(lasso.url()) == lasso
    box = map_selection.Region("b", (0, 10, 20, 30))
    assert map_selection.parse_region(box.url()) == box
    for edited in ["", "b:1_2_3", "l:1_2_3_4", "l:1_2_3_4_5", "x:1_2_3_4", "b:1_2_3_4;drop", "b:1e9_2_3_4",
                   "b:１_2_3_4", "l:" + "_".join(["1"] * (2 * map_selection.MAX_VERTICES + 2)), None]:
        assert map_selection.parse_region(edited) is None, edited


def test_a_region_from_the_browser_is_checked_like_a_link():
    assert map_selection.region_from_browser({"kind": "b", "points": [100, 5000, 30, 900]}) == \
        map_selection.Region("b", (100, 5000, 30, 900))
    lasso = map_selection.region_from_browser({"kind": "l", "points": [0, 0, 10, 0, 5, 9, -3, 4]})
    assert lasso == map_selection.Region("l", (0, 0, 10, 0, 5, 9, -3, 4))
    for forged in [None, [], {"kind": "b"}, {"kind": "b", "points": [1, 2, 3]}, {"kind": "b", "points": "1_2_3_4"},
                   {"kind": "b", "points": [1.5, 2, 3, 4]}, {"kind": "b", "points": [True, 2, 3, 4]},
                   {"kind": "z", "points": [1, 2, 3, 4]}, {"kind": "l", "points": list(range(2 * 101))},
                   {"kind": "b", "points": [10 ** 7, 2, 3, 4]}]:
        assert map_selection.region_from_browser(forged) is None, forged


def test_encode_gives_the_little_endian_bytes_as_base64():
    import base64

    values = np.array([[1, 513], [65535, 0]], dtype=np.uint16)
    raw = base64.b64decode(map_selection.encode(values))
    assert raw == bytes([1, 0, 1, 2, 255, 255, 0, 0])
    assert np.array_equal(np.frombuffer(raw, dtype="<u2").reshape(2, 2), values)


def test_gallery_order_puts_confident_mistakes_first():
    y_true = np.array([1, 1, 2, 2, 3])
    y_pred = np.array([1, 2, 2, 1, 3])
    confidence = np.array([0.9, 0.6, 0.5, 0.8, 0.99])
    assert map_selection.gallery_order(np.arange(5), y_true=y_true, y_pred=y_pred, confidence=confidence).tolist() == \
        [3, 1, 4, 0, 2]


def test_selection_counts_cover_every_selected_image(mnist_small):
    rng = np.random.default_rng(1)
    y_pred = np.where(rng.random(len(mnist_small.y_test)) < 0.1, rng.integers(0, 10, len(mnist_small.y_test)),
                      mnist_small.y_test)
    rows = np.arange(0, 600, 3)
    counts = map_selection.selection_counts(rows, y_true=mnist_small.y_test, y_pred=y_pred,
                                      class_names=list(mnist_small.class_names))
    assert counts["images"].sum() == rows.size
    assert counts.loc[counts["mistake"], "images"].sum() == np.sum(y_pred[rows] != mnist_small.y_test[rows])
    assert list(counts["mistake"]) == sorted(counts["mistake"], reverse=True)


def test_colour_values_per_mode():
    y_true, y_pred, conf = np.array([3, 4]), np.array([3, 9]), np.array([0.5, 0.996])
    assert map_selection.colour_values("true", y_true=y_true, y_pred=y_pred, confidence=conf).tolist() == [3, 4]
    assert map_selection.colour_values("predicted", y_true=y_true, y_pred=y_pred, confidence=conf).tolist() == [3, 9]
    assert map_selection.colour_values("outcome", y_true=y_true, y_pred=y_pred, confidence=conf).tolist() == [0, 1]
    values = map_selection.colour_values("confidence", y_true=y_true, y_pred=y_pred, confidence=conf)
    assert values.tolist() == [50, 100]
    with pytest.raises(ValueError, match="colour by one of"):
        map_selection.colour_values("size", y_true=y_true, y_pred=y_pred, confidence=conf)


def test_answers_list_every_model_with_its_top_three():
    proba = {"a": np.array([[0.05, 0.15, 0.8], [0.3, 0.3, 0.4]]), "b": np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])}
    table = image_story.answers(0, probabilities=proba, y_true=np.array([2, 1]), class_names=["x", "y", "z"])
    assert table["model"].tolist() == ["a", "b"] and table["correct"].tolist() == [True, False]
    assert table.loc[0, "top"] == f"z {percent(0.8)} · y {percent(0.15)} · x {percent(0.05)}"


def test_deskewing_models_read_from_stored_parameters():
    params = {"svc": {"steps": "[('scale', 'PixelScaler'), ('clf', 'SVC')]"},
              "svc_virtual": {"steps": "[('deskew', 'Deskew'), ('model', 'VirtualSVClassifier')]"}, "odd": {},
              "imported": None}
    assert image_story.deskewing_models(params) == ["svc_virtual"]
