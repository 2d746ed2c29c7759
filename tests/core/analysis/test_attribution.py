"""Occlusion maps and deletion curves on real MNIST slices and the bundled digits, against expectations written
out here (a linear model's exact contributions, a zero map for a self baseline, random orders)."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from core.__main__ import main
from core.analysis import attribution
from core.analysis.explanations import explain_test_image
from core.artifacts import open_artifacts
from core.artifacts.build import build
from core.data.preprocess import PixelScaler
from core.models import REGISTRY
from core.models.training import model_scores


@pytest.fixture(scope="module")
def linear(mnist_small):
    pipe = Pipeline([("scale", PixelScaler()), ("clf", LogisticRegression(C=0.1, max_iter=200))])
    return pipe.fit(mnist_small.X_train, mnist_small.y_train)


def test_a_linear_scores_one_pixel_occlusion_is_its_weight_times_its_pixel(linear, mnist_small):
    weights = linear.named_steps["clf"].coef_
    row = mnist_small.X_test[0]
    target, other = 7, 1
    found = attribution.occlusion(linear.decision_function, row, image_shape=(28, 28), target=target, other=other,
                                  patch=1, stride=1)
    expected = ((weights[target] - weights[other]) * row / 255.0).reshape(28, 28)
    np.testing.assert_allclose(found.values, expected, atol=1e-6)


def test_the_probability_map_agrees_in_sign_with_weights_times_pixels_on_the_ink(linear, mnist_small):
    weights = linear.named_steps["clf"].coef_
    agree = []
    for row, label in zip(mnist_small.X_test[:20], mnist_small.y_test[:20]):
        proba = linear.predict_proba(row[None])[0]
        target = int(np.argmax(proba))
        other = attribution.contrast_class(proba, predicted=target, true=int(label))
        found = attribution.occlusion(linear.predict_proba, row, image_shape=(28, 28), target=target, other=other,
                                      patch=1, stride=1)
        exact = (weights[target] - weights[other]) * row / 255.0
        ink = (row > 0) & (np.abs(exact) > 0.05 * np.abs(exact).max())
        agree.append(np.mean(np.sign(found.values.ravel()[ink]) == np.sign(exact[ink])))
    assert np.mean(agree) > 0.95, agree


def test_a_map_against_the_image_itself_as_baseline_is_zero(linear, mnist_small):
    row = mnist_small.X_test[3]
    found = attribution.occlusion(linear.predict_proba, row, image_shape=(28, 28), target=2, baseline=row)
    assert found.baseline == "given" and not found.values.any()


def test_every_pixel_is_covered_and_blank_patches_are_not_scored(mnist_small):
    calls = []

    def proba(X):
        calls.append(len(X))
        return np.tile([0.5, 0.5], (len(X), 1))

    row = np.zeros(784, dtype=np.uint8)
    row[14 * 28 + 14] = 255  # one ink pixel: only the patches covering it are scored
    attribution.occlusion(proba, row, image_shape=(28, 28), target=0, patch=4, stride=2)
    assert calls == [1 + 4]  # the image, and the 2 x 2 patch positions whose 4x4 squares hold pixel (14, 14)
    assert attribution._starts(28, 4, 3)[-1] == 24 and attribution._starts(8, 2, 1) == list(range(7))


def test_the_maps_order_removes_the_answer_faster_than_random_on_mnist(mnist_small):
    model = REGISTRY["rf"].make(image_shape=(28, 28), seed=0).fit(mnist_small.X_train, mnist_small.y_train)
    areas = []
    for row in mnist_small.X_test[:25]:
        target = int(model.predict(row[None])[0])
        found = attribution.explain(model.predict_proba, row, image_shape=(28, 28), target=target, seed=1)
        curve = found.deletion
        assert curve.fractions[0] == 0 and curve.fractions[-1] == 1
        assert curve.by_map[0] == pytest.approx(model.predict_proba(row[None])[0, target])
        areas.append((curve.area_map, curve.area_random, curve.area_ink))
    mean_map, mean_random, mean_ink = np.mean(areas, axis=0)
    assert mean_map < mean_random and mean_map < mean_ink, (mean_map, mean_random, mean_ink)


def test_maps_work_on_the_bundled_8x8_digits(digits):
    model = REGISTRY["sgd"].make(image_shape=(8, 8), seed=0).fit(digits.X_train, digits.y_train)
    proba = attribution.scorer_proba(lambda X: model_scores(model, X, n_classes=10), temperature=1.0)
    found = attribution.explain(proba, digits.X_test[0], image_shape=(8, 8), target=int(digits.y_test[0]), other=1)
    assert found.attribution.values.shape == (8, 8) and (found.attribution.patch, found.attribution.stride) == (2, 1)
    assert np.abs(found.attribution.values).max() > 0


def test_the_explain_command_prints_the_map_and_its_deletion_areas(tmp_path, digits, capsys):
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd")
    assert main(["explain", "sgd", "--image", "5", "--artifacts", str(tmp_path), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert np.asarray(found["map"]).shape == (8, 8) and found["label"] == str(digits.y_test[5])
    assert set(found["deletion"]) == {"area_map", "area_ink", "area_random", "beats_ink", "beats_random"}
    assert found == {**explain_test_image(open_artifacts(tmp_path), "sgd", row=5), "seconds": found["seconds"]}
    assert main(["explain", "sgd", "--image", "5", "--artifacts", str(tmp_path)]) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == 2 + 8 + 2 and set("".join(text[2:10])) <= set("+-.")
    assert main(["explain", "sgd", "--image", "450", "--artifacts", str(tmp_path)]) == 2
    assert "--image must be a test row from 0 to 449" in capsys.readouterr().err
