"""Tests for core.data.preprocess on real MNIST slices and sklearn's 8x8 digits."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from PIL import Image, ImageFile
from scipy import ndimage
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from core.data.preprocess import (
    Deskew,
    ImageError,
    PixelScaler,
    ShiftAugmentedClassifier,
    canvas_to_mnist,
    image_to_mnist,
    shift_images,
    slant,
)

N_CANVAS = 300


@pytest.fixture(scope="module")
def knn(mnist_small):
    """A 3-NN classifier on the 3,000 training images of the slice."""
    return KNeighborsClassifier(n_neighbors=3).fit(mnist_small.X_train, mnist_small.y_train)


def upscaled(image: np.ndarray, factor: int = 10) -> np.ndarray:
    """A 28x28 digit enlarged ``factor`` times with crisp pixel blocks."""
    return np.kron(image.reshape(28, 28), np.ones((factor, factor), dtype=np.uint8))


def white_rgba(grey: np.ndarray) -> np.ndarray:
    """White strokes on an opaque black RGBA canvas, as the drawing widget returns them."""
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    return np.array(ndimage.center_of_mass(image.astype(float)))


def png_bytes(array: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt)
    return buffer.getvalue()


# PixelScaler


def test_pixel_scaler_maps_0_255_to_float32_unit_range(mnist_small):
    X = mnist_small.X_test
    out = PixelScaler().fit_transform(X)
    assert out.dtype == np.float32 and out.shape == X.shape
    np.testing.assert_allclose(out, X.astype(np.float64) / 255, atol=1e-6)
    assert out.min() == 0 and out.max() == 1


@pytest.mark.parametrize("bad", [np.array([[-1.0, 3.0]]), np.arange(4.0)])
def test_pixel_scaler_rejects_negative_or_1d_input(bad):
    with pytest.raises(ValueError):
        PixelScaler().fit(bad)


def test_pixel_scaler_must_be_fitted_first():
    with pytest.raises(NotFittedError):
        PixelScaler().transform(np.zeros((1, 4)))


# Deskew and slant


def test_slant_measures_a_known_shear():
    image = np.zeros((1, 20, 20))
    rows = np.arange(2, 18)
    image[0, rows, 3 + rows // 2] = 255
    assert slant(image)[0] == pytest.approx(0.5, abs=0.03)
    assert slant(image[:, :, ::-1])[0] == pytest.approx(-0.5, abs=0.03)


def test_deskew_reduces_slant_on_mnist(mnist_small):
    X = mnist_small.X_test
    out = Deskew(image_shape=(28, 28)).fit_transform(X)
    assert out.shape == X.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 255.001
    before = np.abs(slant(X, image_shape=(28, 28))).mean()
    after = np.abs(slant(out, image_shape=(28, 28))).mean()
    assert before > 0.1
    assert after < 0.1 * before


def test_deskew_matches_scipy_affine_transform(mnist_small):
    X = mnist_small.X_test[:40]
    out = Deskew().fit_transform(X).reshape(-1, 28, 28)
    for image, got in zip(X.reshape(-1, 28, 28).astype(float), out):
        cy, cx = ndimage.center_of_mass(image)
        rows, cols = np.mgrid[:28, :28]
        mu11 = (image * (rows - cy) * (cols - cx)).sum() / image.sum()
        mu02 = (image * (rows - cy) ** 2).sum() / image.sum()
        matrix = np.array([[1.0, 0.0], [mu11 / mu02, 1.0]])
        offset = np.array([cy, cx]) - matrix @ np.array([14.0, 14.0])
        expected = ndimage.affine_transform(image, matrix, offset=offset, order=1, mode="grid-constant")
        np.testing.assert_allclose(got, expected, atol=1e-3)


def test_deskew_works_on_8x8_digits(digits):
    X = digits.X_test
    out = Deskew(image_shape=(8, 8)).fit(digits.X_train).transform(X)
    assert out.shape == X.shape and out.dtype == np.float32
    before = np.abs(slant(X, image_shape=(8, 8))).mean()
    after = np.abs(slant(out, image_shape=(8, 8))).mean()
    assert after < 0.5 * before


def test_deskew_keeps_blank_images_blank_and_checks_shape():
    deskew = Deskew(image_shape=(8, 8)).fit(np.zeros((1, 64)))
    assert not deskew.transform(np.zeros((2, 64))).any()
    with pytest.raises(ValueError, match="image_shape"):
        Deskew().fit(np.zeros((2, 64)))


def test_deskew_pipeline_survives_pickle(mnist_small):
    X = mnist_small.X_test[:20]
    pipe = make_pipeline(Deskew(), PixelScaler()).fit(X)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.transform(X), pipe.transform(X))
    assert clone(pipe).get_params()["deskew__image_shape"] == (28, 28)


# shift_images and ShiftAugmentedClassifier


def rolled(X: np.ndarray, *, image_shape, dx: int, dy: int) -> np.ndarray:
    """Independent reference: np.roll, then zero the pixels that wrapped around."""
    images = np.roll(X.reshape(len(X), *image_shape), (dy, dx), axis=(1, 2)).copy()
    if dy > 0:
        images[:, :dy] = 0
    elif dy < 0:
        images[:, dy:] = 0
    if dx > 0:
        images[:, :, :dx] = 0
    elif dx < 0:
        images[:, :, dx:] = 0
    return images.reshape(X.shape)


@pytest.mark.parametrize("dx, dy", [(1, 0), (-1, 0), (0, 1), (0, -1), (2, -3), (-5, 4)])
def test_shift_images_equals_roll_with_zero_fill(mnist_small, dx, dy):
    X = mnist_small.X_test[:50]
    got = shift_images(X, image_shape=(28, 28), dx=dx, dy=dy)
    assert got.dtype == X.dtype
    np.testing.assert_array_equal(got, rolled(X, image_shape=(28, 28), dx=dx, dy=dy))


def test_shift_images_beyond_the_image_is_blank():
    X = np.ones((2, 64), dtype=np.uint8)
    assert not shift_images(X, image_shape=(8, 8), dx=8, dy=0).any()


class Recorder(ClassifierMixin, BaseEstimator):
    """Remembers what it was fitted on; predicts the first class."""

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X), np.asarray(y)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_shift_augmented_fit_sees_original_plus_four_shifts(digits):
    X, y = digits.X_train[:100], digits.y_train[:100]
    model = ShiftAugmentedClassifier(Recorder(), image_shape=(8, 8), shift=2).fit(X, y)
    seen, labels = model.estimator_.X_, model.estimator_.y_
    assert seen.shape == (500, 64)
    np.testing.assert_array_equal(labels, np.tile(y, 5))
    blocks = {seen[i * 100 : (i + 1) * 100].tobytes() for i in range(5)}
    expected = [X] + [rolled(X, image_shape=(8, 8), dx=dx, dy=dy) for dx, dy in [(2, 0), (-2, 0), (0, 2), (0, -2)]]
    assert blocks == {block.tobytes() for block in expected}
    assert not hasattr(model, "predict_proba")


def test_shift_augmented_delegates_to_fitted_estimator(mnist_small):
    data = mnist_small
    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    model = ShiftAugmentedClassifier(forest, shift=1).fit(data.X_train[:1000], data.y_train[:1000])
    assert model.estimator_.n_features_in_ == 784
    np.testing.assert_array_equal(model.classes_, np.arange(10))
    np.testing.assert_array_equal(model.predict(data.X_test), model.estimator_.predict(data.X_test))
    np.testing.assert_array_equal(model.predict_proba(data.X_test), model.estimator_.predict_proba(data.X_test))
    assert model.score(data.X_test, data.y_test) > 0.8
    assert not hasattr(model, "decision_function")
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(data.X_test), model.predict(data.X_test))


def test_shift_augmented_exposes_decision_function_only_when_inner_has_it(digits):
    model = ShiftAugmentedClassifier(LinearSVC(), image_shape=(8, 8))
    assert hasattr(model, "decision_function") and not hasattr(model, "predict_proba")
    model.fit(digits.X_train / 16.0, digits.y_train)
    np.testing.assert_allclose(
        model.decision_function(digits.X_test / 16.0), model.estimator_.decision_function(digits.X_test / 16.0)
    )


def test_shift_augmented_checks_rows_and_labels(digits):
    with pytest.raises(ValueError, match="image_shape"):
        ShiftAugmentedClassifier(Recorder()).fit(digits.X_train, digits.y_train)
    with pytest.raises(ValueError, match="labels"):
        ShiftAugmentedClassifier(Recorder(), image_shape=(8, 8)).fit(digits.X_train, digits.y_train[:-1])


# canvas_to_mnist


def test_canvas_round_trip_recovers_mnist_digits(mnist_small, knn):
    X, y = mnist_small.X_test[:N_CANVAS], mnist_small.y_test[:N_CANVAS]
    trips = np.stack([canvas_to_mnist(white_rgba(upscaled(image))) for image in X])
    assert trips.dtype == np.uint8 and trips.shape == (N_CANVAS, 28, 28)
    flat = trips.reshape(N_CANVAS, -1).astype(float)
    assert np.abs(flat - X).mean() < 1.0
    assert np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(flat, X.astype(float))]) > 0.99
    untouched = (knn.predict(X) == y).mean()
    assert (knn.predict(flat) == y).mean() >= untouched - 0.02


def test_canvas_output_is_centred_like_mnist(mnist_small):
    mnist_centres = np.array([centre_of_mass(image.reshape(28, 28)) for image in mnist_small.X_test])
    canvas = np.zeros((300, 400), dtype=np.uint8)
    canvas[30:90, 250:280] = 255
    canvas[60:200, 280:300] = 255
    digit = canvas_to_mnist(canvas)
    assert np.all(np.abs(centre_of_mass(digit) - 14) <= 0.5)
    assert np.all(np.abs(mnist_centres.mean(axis=0) - 14) < 0.1)
    rows, cols = np.nonzero(digit)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 == 20
    assert digit.max() == 255


def placed(image: np.ndarray, *, side: int, top: int, left: int) -> np.ndarray:
    """A digit resized smoothly to ``side`` pixels and placed on a black 280x280 canvas."""
    canvas = np.zeros((280, 280), dtype=np.uint8)
    canvas[top : top + side, left : left + side] = np.asarray(
        Image.fromarray(image.reshape(28, 28)).resize((side, side), Image.Resampling.LANCZOS)
    )
    return canvas


@pytest.mark.parametrize(
    "draw",
    [
        pytest.param(lambda im: white_rgba(placed(im, side=70, top=5, left=200)), id="small-in-corner"),
        pytest.param(lambda im: white_rgba(placed(im, side=275, top=0, left=3)), id="large"),
        pytest.param(lambda im: np.dstack([255 - placed(im, side=190, top=60, left=20)] * 3), id="dark-on-light"),
        pytest.param(
            lambda im: np.dstack([np.zeros((280, 280, 3), np.uint8), placed(im, side=150, top=100, left=90)]),
            id="black-strokes-on-transparent",
        ),
        pytest.param(lambda im: placed(im, side=230, top=20, left=30) / 255.0, id="grey-float"),
    ],
)
def test_moved_and_scaled_drawings_still_classify(mnist_small, knn, draw):
    X, y = mnist_small.X_test[:100], mnist_small.y_test[:100]
    trips = np.stack([canvas_to_mnist(draw(image)) for image in X]).reshape(len(X), -1)
    assert (knn.predict(trips) == y).mean() >= (knn.predict(X) == y).mean() - 0.04


def test_canvas_custom_size_and_box(mnist_small):
    digit = canvas_to_mnist(upscaled(mnist_small.X_test[0]), size=16, box=12)
    rows, cols = np.nonzero(digit)
    assert digit.shape == (16, 16)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 == 12


@pytest.mark.parametrize(
    "canvas",
    [
        pytest.param(np.zeros((280, 280, 4), np.uint8), id="transparent"),
        pytest.param(np.zeros((280, 280), np.uint8), id="black"),
        pytest.param(np.full((280, 280, 3), 255, np.uint8), id="white-rgb"),
        pytest.param(np.full((50, 60, 1), 0.4), id="uniform-grey"),
    ],
)
def test_empty_canvas_gives_none(canvas):
    assert canvas_to_mnist(canvas) is None


def test_a_faint_or_tiny_mark_counts_as_empty():
    faint = np.zeros((280, 280), np.uint8)
    faint[100:150, 100:150] = 10
    speck = np.zeros((280, 280), np.uint8)
    speck[100, 100] = 255
    assert canvas_to_mnist(faint) is None
    assert canvas_to_mnist(speck) is None


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros(10, np.uint8), "shape"),
        (np.zeros((2, 2, 2, 2), np.uint8), "shape"),
        (np.zeros((0, 0, 4), np.uint8), "shape"),
        (np.zeros((10, 10, 2), np.uint8), "channels"),
        (np.zeros((10, 10, 5), np.uint8), "channels"),
        (np.full((10, 10), 2.0), "values"),
        (np.full((10, 10), -3), "values"),
        (np.full((10, 10), np.nan), "values"),
    ],
)
def test_malformed_canvas_raises_value_error(bad, message):
    with pytest.raises(ValueError, match=message):
        canvas_to_mnist(bad)


# image_to_mnist


def test_png_upload_round_trips(mnist_small):
    image = mnist_small.X_test[3]
    digit = image_to_mnist(png_bytes(upscaled(image)))
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    assert np.abs(digit.astype(float).ravel() - image).mean() < 1.0


def test_jpeg_photo_style_upload_classifies(mnist_small, knn):
    X, y = mnist_small.X_test[:30], mnist_small.y_test[:30]
    digits = [image_to_mnist(png_bytes(np.dstack([255 - upscaled(im, 12)] * 3), fmt="JPEG")) for im in X]
    assert (knn.predict(np.stack(digits).reshape(len(X), -1)) == y).mean() >= (knn.predict(X) == y).mean() - 0.07


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"this is not an image at all" * 10, "not a picture Digit Lens can read"),
        (png_bytes(np.full((100, 100), 255, np.uint8)), "blank"),
    ],
)
def test_bad_uploads_raise_image_error(data, message):
    with pytest.raises(ImageError, match=message) as caught:
        image_to_mnist(data)
    assert isinstance(caught.value, ValueError)
    assert "Upload" in str(caught.value) and "object at 0x" not in str(caught.value)


def test_a_huge_picture_is_refused_from_its_header_without_decoding(monkeypatch):
    buffer = io.BytesIO()
    Image.new("L", (12_000, 12_000)).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 1_000_000, "a small file that would decode to 144 megapixels"
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("the pixels were decoded"))
    with pytest.raises(ImageError, match="12,000x12,000 pixels.*at most 16 megapixels"):
        image_to_mnist(buffer.getvalue())


def test_a_large_photo_is_shrunk_while_decoding_and_keeps_its_orientation(mnist_small):
    digit = mnist_small.X_test[7].reshape(28, 28)
    big = np.asarray(Image.fromarray(255 - digit).resize((3000, 3000), Image.Resampling.BILINEAR))
    rotated = np.rot90(big)  # stored turned a quarter; the EXIF tag says to turn it back
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.ascontiguousarray(rotated)).convert("RGB").save(buffer, format="JPEG", exif=exif)
    upright = image_to_mnist(buffer.getvalue())
    straight = image_to_mnist(png_bytes(np.dstack([big] * 3)))
    assert np.abs(upright.astype(float) - straight).mean() < 8
    assert np.abs(upright.astype(float) - np.rot90(straight)).mean() > 2 * np.abs(upright.astype(float) - straight).mean()
