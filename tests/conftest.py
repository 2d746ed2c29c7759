"""Shared fixtures: real MNIST slices from ``$MNIST_DIR`` (default ``../shared/data/mnist``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.data import load_dataset, subset

REPO_ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(os.environ.get("MNIST_DIR") or REPO_ROOT.parent / "shared" / "data" / "mnist")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """Folder of the four MNIST IDX files; CI always has it, so it is never skipped there."""
    if not MNIST_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"MNIST folder {MNIST_DIR} is missing; set MNIST_DIR.")
        pytest.skip(f"MNIST folder {MNIST_DIR} not found; set MNIST_DIR to run MNIST tests.")
    return MNIST_DIR


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    """Full MNIST (60,000 train / 10,000 test) as a :class:`core.data.Dataset`."""
    return load_dataset("mnist", data_dir=mnist_dir)


@pytest.fixture(scope="session")
def mnist_small(mnist):
    """A stratified slice: 3,000 train and 600 test images."""
    return subset(mnist, train_size=3000, test_size=600, seed=0)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's bundled 8x8 digits with the fixed split."""
    return load_dataset("digits")
