"""Measure the drawing path: MNIST test digits drawn on a 280x280 canvas, then ``canvas_to_mnist``.

Each test digit is drawn on a 280x280 RGBA canvas (as the drawing widget
returns it) in several ways, sent back through
:func:`core.data.pictures.canvas_to_mnist` and compared with the untouched digit:
accuracy of a RandomForest trained on MNIST train images, mean centre of mass
and mean absolute pixel difference. The "blur only" line is a control: the
smooth canvas shrunk straight back to 28x28, without ``canvas_to_mnist``.

Usage::

    python -m bench.canvas_path [--train 10000] [--test 1000] [--data-dir PATH]
"""

from __future__ import annotations

import argparse

import numpy as np
from PIL import Image
from sklearn.ensemble import RandomForestClassifier

from core.data import load_dataset, subset
from core.data.pictures import canvas_to_mnist

CANVAS = 280


def upscale(image: np.ndarray, factor: int, *, smooth: bool = False) -> np.ndarray:
    """A 28x28 uint8 digit enlarged ``factor`` times (crisp blocks, or bilinear when ``smooth``)."""
    if smooth:
        side = 28 * factor
        return np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR))
    return np.kron(image, np.ones((factor, factor), dtype=np.uint8))


def white_on_black(grey: np.ndarray) -> np.ndarray:
    """White strokes on an opaque black RGBA canvas."""
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def scenarios(image: np.ndarray) -> dict[str, np.ndarray]:
    """The ways one digit is drawn on the canvas, by name."""
    big = upscale(image, 10)
    small = np.zeros((CANVAS, CANVAS), dtype=np.uint8)
    small[8 : 8 + 84, 180 : 180 + 84] = upscale(image, 3)
    return {
        "crisp x10, black background": white_on_black(big),
        "crisp x10, transparent background": np.dstack([np.full((CANVAS, CANVAS, 3), 255, np.uint8), big]),
        "crisp x10, dark on light RGB": np.dstack([255 - big] * 3),
        "small in a corner (x3)": white_on_black(small),
        "smooth x10 (bilinear)": white_on_black(upscale(image, 10, smooth=True)),
    }


def blur_only(image: np.ndarray) -> np.ndarray:
    """Control: the bilinear x10 canvas shrunk straight back to 28x28 by area averaging."""
    smooth = Image.fromarray(upscale(image, 10, smooth=True).astype(np.float32))
    return np.rint(np.asarray(smooth.resize((28, 28), Image.Resampling.BOX))).astype(np.uint8)


def centre_of_mass(images: np.ndarray) -> tuple[float, float]:
    """Mean intensity-weighted (row, col) centre of mass, 0-based."""
    images = images.reshape(len(images), 28, 28).astype(np.float64)
    mass = images.sum(axis=(1, 2))
    idx = np.arange(28)
    return float((images.sum(axis=2) @ idx / mass).mean()), float((images.sum(axis=1) @ idx / mass).mean())


def report(name, images, reference, labels, forest, *, base=None) -> float:
    """Print accuracy, centre of mass and pixel agreement of ``images`` against ``reference``."""
    images = images.reshape(len(images), -1)
    accuracy = float((forest.predict(images) == labels).mean())
    diff = np.abs(images.astype(float) - reference).mean()
    corr = np.mean([np.corrcoef(a, b)[0, 1] for a, b in zip(images.astype(float), reference.astype(float))])
    row, col = centre_of_mass(images)
    gap = "" if base is None else f"  gap {100 * (base - accuracy):+.1f} points"
    print(f"{name:34s} acc {accuracy:.4f}{gap}  centre ({row:.3f}, {col:.3f})  |diff| {diff:4.2f}/255  corr {corr:.4f}")
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=10_000)
    parser.add_argument("--test", type=int, default=1_000)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    data = subset(load_dataset("mnist", data_dir=args.data_dir), train_size=args.train, test_size=args.test, seed=0)
    forest = RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0).fit(data.X_train, data.y_train)
    print(f"{len(data.X_test)} MNIST test digits; RandomForest(100) trained on {len(data.X_train)} train digits")
    images = data.X_test.reshape(-1, 28, 28)
    base = report("untouched", data.X_test, data.X_test, data.y_test, forest)
    drawn = [scenarios(image) for image in images]
    for name in drawn[0]:
        trip = np.stack([canvas_to_mnist(canvas[name]) for canvas in drawn])
        report(name, trip, data.X_test, data.y_test, forest, base=base)
    control = np.stack([blur_only(image) for image in images])
    report("control: smooth x10, blur only", control, data.X_test, data.y_test, forest, base=base)


if __name__ == "__main__":
    main()
