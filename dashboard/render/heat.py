"""Attribution maps as small images: red where ink supports the explained class, blue where it speaks against.

A map travels as one PNG of the image's own size (a 28x28 map is about 1 KiB), drawn over a faint copy of the
digit and enlarged by the browser without smoothing, not as a chart of 784 points.
"""

from __future__ import annotations

import numpy as np

from core.data.pictures import png_data_url

SUPPORT = np.array([214, 39, 40], dtype=np.float64)
AGAINST = np.array([31, 119, 180], dtype=np.float64)
#: How dark the digit under the map is drawn (0: not at all, 1: black ink).
DIGIT_SHADE = 0.35


def signed_map(values, image) -> np.ndarray:
    """The RGB picture of a signed map over a faint ``image`` (both ``(h, w)``; the image 0-255).

    Colour strength is the value over the map's largest absolute value.

    Examples
    --------
    >>> picture = signed_map(np.array([[1.0, -0.5], [0.0, 0.0]]), np.zeros((2, 2)))
    >>> picture[0, 0].tolist(), picture[1, 1].tolist()
    ([214, 39, 40], [255, 255, 255])
    """
    values = np.asarray(values, dtype=np.float64)
    scale = float(np.abs(values).max()) or 1.0
    grey = 255.0 - DIGIT_SHADE * np.asarray(image, dtype=np.float64)
    picture = np.repeat(grey[..., None], 3, axis=2)
    for colour, strength in ((SUPPORT, np.clip(values / scale, 0, 1)), (AGAINST, np.clip(-values / scale, 0, 1))):
        picture += (colour - picture) * strength[..., None]
    return np.rint(picture).astype(np.uint8)


def signed_map_png(values, image) -> str:
    """:func:`signed_map` as an inline PNG ``data:`` URL."""
    return png_data_url(signed_map(values, image))
