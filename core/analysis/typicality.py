""""This does not look like a digit from the data set": how far an image lies from its nearest training image in
the Explore map's feature space, placed among the same distance of every test image.

The distance of a test image to its nearest training image is stored by the build (the neighbour index); a new
image (drawn, uploaded) gets the same distance through the same feature space. Its percentile among the test
images says how unusual it is; above the 99th the pages warn that the models' answers read an image unlike the
ones they were trained and tested on.

Examples
--------
>>> import numpy as np
>>> found = typicality(3.0, np.arange(1.0, 101.0))
>>> found.percentile, found.cutoff, found.unusual
(2.0, 99.01, False)
>>> typicality(150.0, np.arange(1.0, 101.0)).unusual
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The percentile of the test images' nearest distances above which an image is called unusual.
LEVEL = 99.0


@dataclass(frozen=True)
class Typicality:
    """An image's distance to its nearest training image against the test images' (same feature space).

    Attributes
    ----------
    distance : to the nearest training image
    percentile : share of the test images (0-100) whose nearest training image is nearer
    cutoff : the test images' :data:`LEVEL` percentile distance
    level : that percentile
    """

    distance: float
    percentile: float
    cutoff: float
    level: float = LEVEL

    @property
    def unusual(self) -> bool:
        """Whether the image lies farther from the training images than the cutoff."""
        return self.distance > self.cutoff

    def describe(self) -> str:
        """The finding in one sentence.

        Examples
        --------
        >>> Typicality(distance=2.5, percentile=40.0, cutoff=6.0).describe()
        'Distance 2.50 to the nearest training image: farther than 40.0% of the test images (99th percentile 6.00).'
        """
        return (f"Distance {self.distance:.2f} to the nearest training image: farther than {self.percentile:.1f}% of "
                f"the test images ({self.level:g}th percentile {self.cutoff:.2f}).")


def typicality(distance: float, test_nearest: np.ndarray, *, level: float = LEVEL) -> Typicality:
    """Place ``distance`` (an image's to its nearest training image) among ``test_nearest``, every test image's.

    Parameters
    ----------
    distance : the image's distance to its nearest training image in the feature space
    test_nearest : ``(n_test,)`` the same distance of every test image (the build's stored neighbours)
    level : the percentile above which the image is unusual
    """
    nearest = np.asarray(test_nearest, dtype=np.float64)
    return Typicality(distance=float(distance), percentile=float(100.0 * np.mean(nearest < distance)),
                      cutoff=float(np.percentile(nearest, level)), level=level)
