"""Tests for core.data.pictures: drawings and uploads to MNIST digits, on real MNIST slices."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageFile
from scipy import ndimage
from sklearn.neighbors import KNeighborsClassifier

from core.data import pictures
from core.data.pictures import ImageError, canvas_to_mnist, drawing_to_rgba, image_to_mnist

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
    rotated = np.abs(upright.astype(float) - np.rot90(straight)).mean()
    assert rotated > 2 * np.abs(upright.astype(float) - straight).mean()


# drawing_to_rgba


def data_url(payload: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(payload).decode("ascii")


def test_a_drawing_sent_as_a_png_data_url_round_trips_to_its_digit(mnist_small, knn):
    """As the Draw page's canvas sends it: the whole 280x280 canvas, opaque white ink on black."""
    X, y = mnist_small.X_test[:40], mnist_small.y_test[:40]
    rows = [canvas_to_mnist(drawing_to_rgba(data_url(png_bytes(white_rgba(upscaled(im.reshape(28, 28)))))))
            for im in X]
    assert all(r.shape == (28, 28) for r in rows)
    assert (knn.predict(np.stack(rows).reshape(len(rows), -1)) == y).mean() >= 0.9


def test_the_ink_box_the_canvas_sends_gives_the_digit_of_the_whole_canvas(mnist_small):
    """The canvas sends the box around the ink with 4 black pixels each side when it stays inside the canvas
    (dashboard/static/draw_canvas.js): the digit must be the one the whole canvas makes, to the pixel."""
    for image in mnist_small.X_test[:60]:
        canvas = white_rgba(np.pad(upscaled(image.reshape(28, 28), factor=8), 28))
        rows, cols = np.nonzero(canvas[:, :, 0])
        box = canvas[rows.min() - 4:rows.max() + 5, cols.min() - 4:cols.max() + 5]
        sent = drawing_to_rgba(data_url(png_bytes(box)))
        assert sent.shape[0] * sent.shape[1] < canvas.shape[0] * canvas.shape[1]
        np.testing.assert_array_equal(canvas_to_mnist(sent), canvas_to_mnist(canvas))


def test_drawing_to_rgba_keeps_every_pixel():
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(30, 20, 4), dtype=np.uint8)
    assert np.array_equal(drawing_to_rgba(data_url(png_bytes(rgba))), rgba)


@pytest.mark.parametrize(
    "payload, message",
    [
        (None, "did not arrive as a PNG"),
        ("data:image/jpeg;base64,AAAA", "did not arrive as a PNG"),
        ("data:image/png;base64," + "A" * 2_000_001, "did not arrive as a PNG"),
        ("data:image/png;base64,@@not base64@@", "arrived damaged"),
        (data_url(b"\x89PNG\r\n\x1a\n but cut short"), "arrived damaged"),
        (data_url(png_bytes(np.zeros((8, 8), np.uint8), fmt="JPEG")), "is a JPEG of 8x8 pixels, not a PNG"),
        (data_url(png_bytes(np.zeros((1, 1500), np.uint8))), "is a PNG of 1500x1 pixels, not a PNG of at most 1024"),
    ],
)
def test_a_malformed_drawing_raises_one_line_image_error(payload, message):
    with pytest.raises(ImageError, match=message) as caught:
        drawing_to_rgba(payload)
    text = str(caught.value)
    assert "\n" not in text and text.endswith("Clear the canvas and draw the digit again.")


def test_mosaic_places_tiles_with_gaps(mnist_small):
    images = mnist_small.images("test")[:6].reshape(2, 3, 28, 28)
    out = pictures.mosaic(images, gap=2)
    assert out.shape == (2 * 30 - 2, 3 * 30 - 2)
    assert np.array_equal(out[30:58, 60:88], images[1, 2])
    assert out[28:30].max() == 0
    with pytest.raises(ValueError, match="rows, cols"):
        pictures.mosaic(images[0])


def test_png_data_url_round_trips_a_digit(mnist_small):
    digit = mnist_small.images("test")[0]
    url = pictures.png_data_url(digit)
    assert url.startswith("data:image/png;base64,")
    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))))
    assert np.array_equal(decoded, digit)
    assert len(url) < 1000
