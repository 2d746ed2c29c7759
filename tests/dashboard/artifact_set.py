"""A small real artifact set for the dashboard and browser tests, built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

from core.artifacts.build import build
from core.data import load_dataset, subset
from core.models.tuning import save_results, tune

REPO_ROOT = Path(__file__).resolve().parents[2]
MNIST_DIR = Path(os.environ.get("MNIST_DIR") or REPO_ROOT.parent / "shared" / "data" / "mnist")
#: Two multiclass models, the CNN, the "is it a 5?" detector, both multiclass strategies and the multilabel and
#: multioutput models of the Concepts page (so every page runs with them present).
MODELS = "sgd,rf,cnn,is5,sgd_ovr,sgd_ovo,multilabel_knn,multilabel_chain,denoise_knn"
#: The CNN's epochs in the small set (about a second each on 2,000 images).
CNN_EPOCHS = 3
#: The first four accuracy ablation steps (quick to fit on the bundled digits).
ABLATION_MODELS = "sgd,rf,svc,svc_deskew"
#: A two-candidate grid per tuned model, so the search takes about a second.
TUNING_SPACES = {"sgd": {"clf__alpha": [1e-4, 1e-2]}, "svc": {"clf__C": [1.0, 10.0], "clf__gamma": ["scale"]}}


def build_small_set(root: Path) -> Path:
    """Build (or reuse) 2,000 train / 500 test MNIST images, or the bundled digits without MNIST.

    Builds reuse up-to-date models, so a second call with the same ``root`` is quick.
    """
    if MNIST_DIR.is_dir():
        dataset = subset(load_dataset("mnist", data_dir=MNIST_DIR), train_size=2000, test_size=500, seed=0)
    elif os.environ.get("CI"):
        raise RuntimeError(f"MNIST folder {MNIST_DIR} is missing; set MNIST_DIR.")
    else:
        dataset = load_dataset("digits")
    build(dataset=dataset, artifacts_dir=root, models=MODELS, epochs=CNN_EPOCHS)
    return root


def build_ablation_set(root: Path) -> Path:
    """Build the first ablation steps on the bundled digits and store a tiny tuning search beside them."""
    dataset = load_dataset("digits")
    build(dataset=dataset, artifacts_dir=root, models=ABLATION_MODELS)
    save_results(tune(dataset, models="sgd,svc", train_size=600, cv=3, seed=0, n_jobs=1, spaces=TUNING_SPACES), root)
    return root
