"""The build's feature cache on the bundled digits: two models that deskew the same training images deskew them
once, their stored Pipelines carry no cache and answer as freshly fitted ones, and the cache folder is gone after."""

import joblib
import numpy as np
import pytest

from core.artifacts import open_artifacts
from core.artifacts.build import build
from core.data.features import GradientHistogram
from core.data.preprocess import Deskew
from core.models import REGISTRY
from core.models.feature_cache import _pipelines


@pytest.fixture
def calls(monkeypatch, digits):
    """How often this process deskews, and makes the gradient histograms of, the whole training set."""
    counts = {"deskew": 0, "hog": 0}
    for name, cls in (("deskew", Deskew), ("hog", GradientHistogram)):
        def counted(self, X, _transform=cls.transform, _name=name):
            if len(X) == len(digits.y_train):
                counts[_name] += 1
            return _transform(self, X)

        monkeypatch.setattr(cls, "transform", counted)
    return counts


def test_two_models_and_the_map_deskew_the_training_images_once(tmp_path, digits, calls):
    build(dataset=digits, artifacts_dir=tmp_path, models="svc_deskew,svc_hog")
    # once to fit the first model's step, once for the explore map's neighbours (a transform, not cached)
    assert calls == {"deskew": 2, "hog": 2}
    assert not list(tmp_path.glob(".features-*")), "the cache lives for the build only"
    stored = open_artifacts(tmp_path)
    for name in ("svc_deskew", "svc_hog"):
        model = joblib.load(tmp_path / stored.model_info(name)["files"]["model"])
        assert all(p.memory is None for p in _pipelines(model)), "a stored Pipeline holds no cache"
        fresh = REGISTRY[name].make(image_shape=(8, 8), seed=0).fit(digits.X_train, digits.y_train)
        np.testing.assert_array_equal(stored.predictions(name).y_pred, fresh.predict(digits.X_test))


def test_without_the_cache_each_model_deskews_again(digits, calls):
    for name in ("svc_deskew", "svc_hog"):
        REGISTRY[name].make(image_shape=(8, 8), seed=0).fit(digits.X_train, digits.y_train)
    assert calls["deskew"] == 2
    assert len(list(_pipelines(REGISTRY["svc_hog"].make(image_shape=(8, 8), seed=0)))) == 2, "outer and nested"
