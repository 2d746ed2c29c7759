"""Image properties, error slices and the two-model confusion difference on real MNIST and digits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import ndimage
from sklearn.decomposition import PCA
from sklearn.metrics import confusion_matrix
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from core.analysis import compare, slices
from core.data import properties, subset
from core.artifacts import open_artifacts
from core.artifacts.build import build
from core.data.preprocess import PixelScaler

OPS = {"<=": np.less_equal, ">": np.greater, "==": np.equal}


@pytest.fixture(scope="module")
def props(mnist_small):
    return properties.image_properties(mnist_small.X_test, image_shape=mnist_small.image_shape)


@pytest.fixture(scope="module")
def predictions(mnist_small):
    """Test predictions of two real models fitted on the training slice: 1 and 15 nearest neighbours."""
    out = {}
    for k in (1, 15):
        model = make_pipeline(PixelScaler(), PCA(30, random_state=0), KNeighborsClassifier(k))
        out[k] = model.fit(mnist_small.X_train, mnist_small.y_train).predict(mnist_small.X_test)
    return out


def test_properties_describe_the_digits(props, mnist_small):
    by_digit = props.groupby(mnist_small.y_test).mean()
    assert by_digit["loops"][8] > 1.3 and by_digit["loops"][0] > 0.8 and by_digit["loops"][1] < 0.05
    assert by_digit["width"].idxmin() == 1 and by_digit["aspect"].idxmin() == 1
    thick = ndimage.grey_dilation(mnist_small.X_test.reshape(-1, 28, 28), size=(1, 2, 2)).reshape(len(props), -1)
    wider = properties.image_properties(thick, image_shape=(28, 28))
    assert (wider["thickness"] > props["thickness"]).mean() > 0.95
    assert (props["height"] <= 20).all(), "MNIST digits were scaled into a 20x20 box"


def test_properties_of_the_bundled_digits(digits):
    frame = properties.image_properties(digits.X_test, image_shape=digits.image_shape)
    assert len(frame) == len(digits.y_test) and frame["touches_border"].mean() > 0.5
    with pytest.raises(ValueError, match="rows of 8\\*8 pixels"):
        properties.image_properties(digits.X_test[:, :10], image_shape=(8, 8))


def test_slice_rules_reproduce_their_error_rate(props, predictions, mnist_small):
    wrong = predictions[1] != mnist_small.y_test
    report = slices.find_slices(props, y_true=mnist_small.y_test, wrong=wrong, class_names=mnist_small.class_names)
    assert report.slices and report.overall_rate == pytest.approx(wrong.mean())
    frame = props.assign(true=mnist_small.y_test)
    for found in report.slices:
        mask = np.ones(len(frame), dtype=bool)
        for c in found.conditions:
            mask &= OPS[c.op](frame[c.feature].to_numpy(dtype=np.float64), c.value)
        assert (mask.sum(), wrong[mask].sum()) == (found.size, found.errors), found.describe()
        assert found.error_rate == pytest.approx(wrong[mask].mean())
        assert found.lift == pytest.approx(found.error_rate / wrong.mean()) and found.lift >= slices.MIN_LIFT
        assert found.share_of_errors == pytest.approx(found.errors / wrong.sum())
        assert len(found.words) >= 1 and all(w for w in found.words)


def test_a_planted_slice_is_found_first(props, mnist_small):
    wrong = np.zeros(len(props), dtype=bool)
    planted = (mnist_small.y_test == 7) & (props["slant"].to_numpy() > 0.1)
    wrong[planted] = True
    wrong[np.flatnonzero(~planted)[::50]] = True
    top = slices.find_slices(props, y_true=mnist_small.y_test, wrong=wrong,
                             class_names=mnist_small.class_names).slices[0]
    assert top.words[0] == "true 7" and "slant" in top.describe()
    assert top.error_rate > 0.9 and top.errors >= 0.9 * planted.sum()


def test_error_rate_by_bins_counts_every_image(props, predictions, mnist_small):
    wrong = predictions[15] != mnist_small.y_test
    for name in ("slant", "loops"):
        table = slices.error_by_bins(props[name], wrong)
        assert table["images"].sum() == len(props) and table["errors"].sum() == wrong.sum()
    assert slices.error_by_bins(props["loops"], wrong)["bin"].tolist() == [
        str(v) for v in np.unique(props["loops"])]


def test_each_bin_carries_its_wilson_interval_and_thin_mark(props, predictions, mnist_small):
    wrong = predictions[15] != mnist_small.y_test
    table = slices.error_by_bins(props["loops"], wrong)
    for row in table.itertuples():
        k, n, z = row.errors, row.images, 1.959963984540054
        centre, half = (k + z * z / 2) / (n + z * z), z * np.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
        assert row.low == pytest.approx(max(centre - half, 0.0)) and row.high == pytest.approx(min(centre + half, 1))
        assert row.thin == (n < 30)
    assert table["thin"].any() and not table["thin"].all(), "600 images over the loop counts: some bins are thin"
    assert len(slices.error_by_bins(np.full(len(wrong), 2.0), wrong)) == 1, "a property that does not vary: one bin"
    dominated = np.r_[np.full(len(wrong) - 20, 20.0), np.arange(20.0)]
    table = slices.error_by_bins(dominated, wrong)
    assert table["bin"].tolist() == [f"{v:g}" for v in range(21)], "one value dominates: a bin per value"


def test_the_difference_matrix_is_the_difference_of_the_matrices(predictions, mnist_small):
    y, a, b = mnist_small.y_test, predictions[1], predictions[15]
    diff = compare.confusion_difference(y, a, b, n_classes=10)
    expected = confusion_matrix(y, a, labels=range(10)) - confusion_matrix(y, b, labels=range(10))
    np.testing.assert_array_equal(diff, expected)
    assert diff.sum() == 0 and np.any(diff != 0)
    for true, predicted in zip(*np.nonzero(diff)):
        cell = compare.cell_images(y, a, b, true=true, predicted=predicted)
        assert cell.only_a.size - cell.only_b.size == diff[true, predicted]
        assert (a[cell.only_a] == predicted).all() and (b[cell.only_a] != predicted).all()
        assert (y[cell.only_b] == true).all()


def test_the_build_stores_properties_and_reuses_them(tmp_path, digits):
    small = subset(digits, train_size=200, test_size=60, seed=0)
    build(dataset=small, artifacts_dir=tmp_path, models="sgd")
    first = open_artifacts(tmp_path)
    stored = properties.stored_properties(first)
    pd.testing.assert_frame_equal(stored, properties.image_properties(small.X_test, image_shape=small.image_shape))
    build(dataset=small, artifacts_dir=tmp_path, models="rf")
    again = open_artifacts(tmp_path)
    assert again.manifest["properties"] == first.manifest["properties"]
    (tmp_path / again.manifest["properties"]["files"]["arrays"]).write_bytes(b"damaged")
    with pytest.raises(Exception, match="does not match its checksum"):
        properties.stored_properties(open_artifacts(tmp_path))
