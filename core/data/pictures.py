"""From a drawing or an uploaded picture to an MNIST-format digit.

A drawing arrives as an RGBA array or as the PNG data URL the Draw page's
canvas sends (:func:`drawing_to_rgba`); an upload as the file's bytes
(:func:`image_to_mnist`). :func:`canvas_to_mnist` then makes the digit the way
MNIST was made: cropped, fitted into a 20x20 box and centred by its centre of
mass at (14, 14). Every failure is an :class:`ImageError` whose message says
what to do.

Examples
--------
>>> import numpy as np
>>> canvas = np.zeros((280, 280), dtype=np.uint8)
>>> canvas[60:220, 130:150] = 255
>>> canvas_to_mnist(canvas).shape
(28, 28)
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from core.data.preprocess import _moments

MNIST_SIZE = 28
MNIST_BOX = 20
MIN_CONTRAST = 0.1
MIN_INK_FRACTION = 1e-4
BOX_THRESHOLD = 0.05
MAX_UPLOAD_SIDE = 1024
#: Larger uploads are refused from their header, before decoding (a 12,000 x 12,000 PNG of 581 KB
#: took the server from 266 MB to 1.97 GB when decoded in full).
MAX_UPLOAD_PIXELS = 16_000_000
#: A drawing's PNG data URL may be at most this long (a 280x280 digit is 3-10 KB).
MAX_DRAWING_CHARS = 2_000_000
MAX_DRAWING_SIDE = 1024
_PNG_URL = "data:image/png;base64,"
_LUMA = np.array([0.299, 0.587, 0.114])


class ImageError(ValueError):
    """An uploaded image could not be turned into a digit; the message says what to do."""


def _unit_scale(image: np.ndarray, channels: slice = slice(None)) -> np.ndarray:
    """Check a drawing's shape and dtype and return its ``channels`` as float64 in [0, 1] with a channel axis
    (only those: a canvas's RGBA drawing needs its alpha plane alone, a quarter of the work)."""
    if image.ndim not in (2, 3) or image.size == 0:
        raise ValueError(
            f"Expected a non-empty image of shape (height, width) or (height, width, channels), "
            f"got shape {image.shape}."
        )
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise ValueError(f"Expected 1 (grey), 3 (RGB) or 4 (RGBA) channels, got {image.shape[2]}.")
    part = (image if image.ndim == 3 else image[:, :, None])[:, :, channels]
    if image.dtype.kind == "b":
        return part.astype(np.float64)
    if image.dtype.kind in "ui" and image.min() >= 0 and image.max() <= 255:
        return part / 255.0
    if image.dtype.kind == "f" and np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1:
        return part.astype(np.float64)
    raise ValueError(
        f"Expected integer pixels in 0-255 or floats in [0, 1], got dtype {image.dtype} "
        f"with values in [{image.min()}, {image.max()}]."
    )


def _border(plane: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels of a 2-D plane."""
    return np.concatenate([plane[0], plane[-1], plane[:, 0], plane[:, -1]])


def _ink(image: np.ndarray) -> np.ndarray:
    """Stroke strength in [0, 1] (0 = background), whatever the colours, polarity or transparency.

    With a transparent background (RGBA whose border is mostly transparent) the
    alpha channel carries the strokes; otherwise luminance does. The background
    level and its noise are read from the border and removed.
    """
    channels = image.shape[2] if image.ndim == 3 else 1
    alpha = _unit_scale(image, slice(3, 4))[:, :, 0] if channels == 4 else None
    if alpha is not None and np.median(_border(alpha)) < 0.5:
        signal = alpha
    elif channels >= 3:
        signal = _unit_scale(image, slice(0, 3)) @ _LUMA
    else:
        signal = _unit_scale(image)[:, :, 0]
    border = _border(signal)
    background = np.median(border)
    noise = np.percentile(np.abs(border - background), 90)
    contrast = background - signal if background > 0.5 else signal - background
    return np.clip(contrast - noise, 0.0, None)


def _fit_into_box(patch: np.ndarray, box: int) -> np.ndarray:
    """Resize ``patch`` so its longer side is ``box`` pixels, keeping the aspect ratio (area averaging)."""
    height, width = patch.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    method = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(patch.astype(np.float32)).resize(size, method), dtype=np.float64)


def canvas_to_mnist(rgba, *, size: int = MNIST_SIZE, box: int = MNIST_BOX) -> np.ndarray | None:
    """Turn a drawing of any size into a ``(size, size)`` uint8 digit the way MNIST was made.

    Light-on-dark, dark-on-light and strokes on a transparent background are all
    recognised. The ink is cropped to its bounding box (pixels above
    ``BOX_THRESHOLD`` of the peak, so a faint anti-aliased fringe does not shrink
    the digit), resized (area averaging)
    to fit a ``box`` x ``box`` square keeping its aspect ratio, scaled so its
    brightest pixel is 255, and placed so its centre of mass lands within half a
    pixel of ``(size/2, size/2)`` -- moved by whole pixels, as MNIST's digits
    were (their mean centre of mass on the test set is (13.99, 14.01)).

    Parameters
    ----------
    rgba : array (height, width), (height, width, 1), (height, width, 3) or (height, width, 4);
        integers in 0-255 or floats in [0, 1]
    size : side of the output image
    box : side of the square the digit is fitted into

    Returns
    -------
    ndarray of uint8, shape (size, size), white digit on black, or ``None`` when
    nothing was drawn.

    Raises
    ------
    ValueError
        For a wrong number of dimensions or channels, an empty array or out-of-range values.
    """
    ink = _ink(np.asarray(rgba))
    peak = ink.max()
    if peak < MIN_CONTRAST or ink.sum() < MIN_INK_FRACTION * ink.size:
        return None
    inked = ink > BOX_THRESHOLD * peak
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    patch = _fit_into_box(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] / peak, box)
    height, width = patch.shape
    cy, cx, _ = _moments(patch[None], (height / 2, width / 2))
    top = int(np.clip(np.floor(size / 2 - cy[0] + 0.5), 0, size - height))
    left = int(np.clip(np.floor(size / 2 - cx[0] + 0.5), 0, size - width))
    out = np.zeros((size, size))
    out[top : top + height, left : left + width] = patch
    return np.rint(np.clip(out, 0.0, 1.0) * 255).astype(np.uint8)


_ORIENTATION = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270,
                7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90}


def _decode_small(data: bytes) -> Image.Image:
    """Decode a picture to RGBA at most :data:`MAX_UPLOAD_SIDE` on its longer side, without ever holding
    more than one copy of it at full size.

    The size is read from the header first and a picture of more than
    :data:`MAX_UPLOAD_PIXELS` is refused before any pixel is decoded; a JPEG
    is decoded at a reduced scale (``draft``), others reduced by a whole
    factor right after decoding. The EXIF orientation is applied to the small copy.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked right below
        opened = Image.open(io.BytesIO(data))
    with opened:
        width, height = opened.size
        if width * height > MAX_UPLOAD_PIXELS:
            raise ImageError(f"The picture is {width:,}x{height:,} pixels; a digit needs far fewer. Upload one of "
                             f"at most {MAX_UPLOAD_PIXELS / 1e6:.0f} megapixels (e.g. 4000x4000, or a crop).")
        orientation = opened.getexif().get(0x0112)
        opened.draft("RGB", (MAX_UPLOAD_SIDE, MAX_UPLOAD_SIDE))
        factor = max(1, max(opened.size) // MAX_UPLOAD_SIDE)
        picture = opened.reduce(factor) if factor > 1 else opened.copy()
    if orientation in _ORIENTATION:
        picture = picture.transpose(_ORIENTATION[orientation])
    picture = picture.convert("RGBA")
    picture.thumbnail((MAX_UPLOAD_SIDE, MAX_UPLOAD_SIDE))
    return picture


def image_to_mnist(data: bytes) -> np.ndarray:
    """Decode an uploaded image file (PNG, JPEG, BMP, GIF, ...) into a 28x28 uint8 MNIST digit.

    Raises
    ------
    ImageError
        For an empty file, bytes that are not an image, or an image with no visible digit.
    """
    if not data:
        raise ImageError("The uploaded file is empty (0 bytes). Upload a PNG or JPEG picture of one digit.")
    try:
        picture = _decode_small(data)
    except ImageError:
        raise
    except UnidentifiedImageError as error:
        raise ImageError("The uploaded file is not a picture Digit Lens can read. Upload a PNG, JPEG, BMP, GIF "
                         "or WebP file of one handwritten digit.") from error
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageError(
            f"The uploaded picture is damaged ({error}). "
            "Upload a PNG, JPEG, BMP or GIF file of one handwritten digit."
        ) from error
    digit = canvas_to_mnist(np.asarray(picture))
    if digit is None:
        raise ImageError(
            "The image looks blank: no strokes stand out from the background. Upload a picture of "
            "one digit in dark ink on a light background, or light on dark, filling most of the frame."
        )
    return digit


def drawing_to_rgba(data_url: str) -> np.ndarray:
    """Decode the PNG data URL a drawing canvas sends into an ``(h, w, 4)`` uint8 RGBA array.

    Raises
    ------
    ImageError
        For anything but a PNG data URL of at most :data:`MAX_DRAWING_SIDE` pixels a side.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> Image.new("L", (4, 4)).save(buffer, format="PNG")
    >>> drawing_to_rgba("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()).shape
    (4, 4, 4)
    """
    retry = "Clear the canvas and draw the digit again."
    if not isinstance(data_url, str) or not data_url.startswith(_PNG_URL) or len(data_url) > MAX_DRAWING_CHARS:
        raise ImageError(f"The drawing did not arrive as a PNG of at most {MAX_DRAWING_CHARS:,} characters. {retry}")
    try:
        with Image.open(io.BytesIO(base64.b64decode(data_url[len(_PNG_URL):], validate=True))) as opened:
            kind, (width, height) = opened.format, opened.size
            if kind == "PNG" and max(width, height) <= MAX_DRAWING_SIDE:
                return np.asarray(opened.convert("RGBA"))
    except (binascii.Error, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageError(f"The drawing arrived damaged ({error}). {retry}") from error
    raise ImageError(f"The drawing is a {kind} of {width}x{height} pixels, not a PNG of at most "
                     f"{MAX_DRAWING_SIDE} a side. {retry}")


def png_data_url(image) -> str:
    """A greyscale uint8 image as an inline PNG ``data:`` URL (a 28x28 digit is ~300 bytes).

    Examples
    --------
    >>> png_data_url(np.zeros((2, 2), dtype=np.uint8)).startswith("data:image/png;base64,")
    True
    """
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def mosaic(images, *, gap: int = 1) -> np.ndarray:
    """Tile a ``(rows, cols, h, w)`` stack into one 2-D image with ``gap`` blank pixels between tiles."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must be (rows, cols, height, width), got shape {images.shape}.")
    rows, cols, height, width = images.shape
    out = np.zeros((rows * (height + gap) - gap, cols * (width + gap) - gap), dtype=images.dtype)
    for r in range(rows):
        for c in range(cols):
            top, left = r * (height + gap), c * (width + gap)
            out[top: top + height, left: left + width] = images[r, c]
    return out
