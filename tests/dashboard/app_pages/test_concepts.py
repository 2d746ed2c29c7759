"""The Concepts page through AppTest, driving every slider, on the shared MNIST set and on the bundled digits.

Expected numbers come from the stored arrays through numpy and scikit-learn, and the denoiser's answer
from the stored model, not from the page's code.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import f1_score, precision_recall_curve, precision_score, recall_score

from core.artifacts import MANIFEST, open_artifacts
from core.artifacts.build import build
from core.data import load_dataset
from tests.dashboard.apptest import assert_clean, metrics, open_app, operating_point

PAGE = "app_pages/concepts.py"
HEADERS = ["Binary classifier: is it a 5?", "One-vs-rest against one-vs-one", "Multilabel: large and odd at once",
           "Multioutput: cleaning a noisy digit"]
SLIDERS = ["concepts_target_precision", "concepts_multilabel_index", "concepts_denoise_index",
           "concepts_noise_amplitude", "concepts_noise_seed"]


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory):
    """The concepts group on the bundled 8x8 digits."""
    root = tmp_path_factory.mktemp("concepts-digits")
    build(dataset=load_dataset("digits"), artifacts_dir=root, models="concepts")
    return root


def _images(at) -> dict[str, np.ndarray]:
    """Every inline PNG on the page, decoded, by its alt text."""
    found = {}
    for block in at.html:
        for src, alt in re.findall(r'<img src="data:image/png;base64,([^"]+)"[^>]*alt="([^"]*)"', block.value):
            found[alt] = np.asarray(Image.open(io.BytesIO(base64.b64decode(src))))
    return found


def _captions(at) -> str:
    return "\n".join(c.value for c in at.caption) + "\n" + "\n".join(h.value for h in at.html)


def _expected_threshold(stored, target: float) -> float:
    """The lowest training-CV threshold whose precision reaches ``target`` (scikit-learn's curve)."""
    precision, _, cuts = precision_recall_curve(stored["train_true"], stored["train_decision"])
    return float(cuts[np.flatnonzero(precision[:-1] >= target)[0]])


@pytest.mark.parametrize("which", ["mnist", "digits"])
def test_every_slider_moves_what_it_drives(monkeypatch, artifact_dir, digits_dir, which):
    root = artifact_dir if which == "mnist" else digits_dir
    aset = open_artifacts(root)
    at = open_app(monkeypatch, root, PAGE)
    assert_clean(at)
    assert [h.value for h in at.header] == HEADERS
    assert [s.key for s in at.slider] == SLIDERS

    detector = aset.arrays("is5")
    y_true = detector["y_true"]
    assert metrics(at)["Always 'not 5'"] == f"{np.mean(y_true == 0):.3f}"
    for target in (0.9, 0.97):
        at.slider(key="concepts_target_precision").set_value(target).run()
        assert_clean(at)
        threshold = _expected_threshold(detector, target)
        assert f"is **{threshold:.4g}**" in "\n".join(m.value for m in at.markdown)
        called = detector["scores"][:, 1] >= threshold
        shown = operating_point(at)
        assert shown["Precision"] == f"{precision_score(y_true, called, zero_division=0):.3f}"
        assert shown["Recall"] == f"{recall_score(y_true, called):.3f}"

    for name in ("multilabel_knn", "multilabel_chain"):
        stored = aset.predictions(name)
        macro = f1_score(stored.y_true, stored.y_pred, average="macro")
        assert f"Macro F1 {macro:.3f} on the test set" in _captions(at)
    y_test = aset.data().y_test
    for index in (1, len(y_test) - 1):
        at.slider(key="concepts_multilabel_index").set_value(index).run()
        assert_clean(at)
        rows = re.findall(r"<tr><th[^>]*>([^<]+)</th><td>(yes|no)</td><td>(yes|no)</td></tr>", _captions(at))
        answers = {title: (large == "yes", odd == "yes") for title, large, odd in rows}
        assert answers["truth"] == (y_test[index] >= 7, y_test[index] % 2 == 1)
        for name in ("multilabel_knn", "multilabel_chain"):
            assert answers[aset.model_info(name)["title"]] == tuple(aset.predictions(name).y_pred[index].astype(bool))

    denoiser = aset.load_model("denoise_knn")
    original = aset.data().X_test
    shape = tuple(aset.dataset["image_shape"])
    seen = []
    for key, value in [("concepts_denoise_index", 4), ("concepts_noise_amplitude", 150), ("concepts_noise_seed", 9),
                       ("concepts_noise_amplitude", 0)]:
        at.slider(key=key).set_value(value).run()
        assert_clean(at)
        images = _images(at)
        index = at.slider(key="concepts_denoise_index").value
        amplitude = at.slider(key="concepts_noise_amplitude").value
        source = original[index].reshape(shape).astype(int)
        np.testing.assert_array_equal(images["original"], source)
        added = images["noisy"].astype(int) - source
        assert added.min() >= 0 and added.max() <= amplitude
        cleaned = np.clip(np.rint(denoiser.predict(images["noisy"].reshape(1, -1))), 0, 255).reshape(shape)
        np.testing.assert_array_equal(images["cleaned"], cleaned)
        for label, image in (("noisy", images["noisy"]), ("cleaned", images["cleaned"])):
            assert f"{label}: error {np.abs(image.astype(float) - source).mean():.1f}" in _captions(at)
        seen.append(images["noisy"])
    assert not np.array_equal(seen[1], seen[2]), "another seed gives other noise"
    np.testing.assert_array_equal(seen[3], original[4].reshape(shape))


def test_stored_denoising_figures_are_shown(monkeypatch, artifact_dir):
    info = open_artifacts(artifact_dir).model_info("denoise_knn")["metrics"]
    at = open_app(monkeypatch, artifact_dir, PAGE)
    shown = metrics(at)
    assert shown["Noisy: mean absolute error"] == f"{info['mae_noisy']:.1f}"
    assert shown["Cleaned: mean absolute error"] == f"{info['mae_clean']:.1f}"


def test_drawing_mode_waits_for_a_drawing(monkeypatch, artifact_dir):
    at = open_app(monkeypatch, artifact_dir, PAGE)
    at.segmented_control(key="concepts_multilabel_source").set_value("draw").run()
    at.segmented_control(key="concepts_denoise_source").set_value("draw").run()
    assert_clean(at)
    assert sum("Nothing drawn yet" in i.value for i in at.info) == 2


def test_missing_concept_models_show_the_build_command(monkeypatch, tmp_path):
    build(dataset=load_dataset("digits"), artifacts_dir=tmp_path, models="sgd")
    at = open_app(monkeypatch, tmp_path, PAGE)
    assert_clean(at)
    hints = [c.value for c in at.caption if "--models concepts" in c.value]
    assert len(hints) == 4
    assert not at.slider


def test_an_edited_manifest_without_denoising_figures_gets_a_rebuild_hint(monkeypatch, digits_dir, tmp_path):
    root = tmp_path / "edited"
    shutil.copytree(digits_dir, root)
    manifest = json.loads((root / MANIFEST).read_text())
    del manifest["models"]["denoise_knn"]["metrics"]["mae_clean"]
    (root / MANIFEST).write_text(json.dumps(manifest))
    at = open_app(monkeypatch, root, PAGE)
    assert_clean(at)
    assert any("mae_clean" in w.value and "--models concepts" in w.value for w in at.warning)
    assert [s.key for s in at.slider] == SLIDERS[:2]
