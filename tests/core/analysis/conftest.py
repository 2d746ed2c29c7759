"""Models shared by the view and answer tests."""

import pytest

from core.models import REGISTRY


@pytest.fixture(scope="module")
def fitted(digits):
    """Two quick models fitted on digits, with their test predictions and scores."""
    out = {}
    for name in ("logreg", "sgd"):
        model = REGISTRY[name].make(image_shape=digits.image_shape, seed=0).fit(digits.X_train, digits.y_train)
        scores = (model.predict_proba(digits.X_test) if hasattr(model, "predict_proba")
                  else model.decision_function(digits.X_test))
        out[name] = (model, model.predict(digits.X_test), scores)
    return out
