"""Fixtures shared by the evaluation and threshold tests: real model outputs on digits and MNIST."""

import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier


def _outputs(model, dataset):
    X_train, X_test = dataset.X_train / 255.0, dataset.X_test / 255.0
    model.fit(X_train, dataset.y_train)
    return {"y_true": dataset.y_test, "y_pred": model.predict(X_test),
            "proba": model.predict_proba(X_test), "decision": model.decision_function(X_test)}


@pytest.fixture(scope="module")
def digits_run(digits):
    """Multinomial logistic regression: softmax(decision) equals predict_proba."""
    return _outputs(LogisticRegression(max_iter=300), digits)


@pytest.fixture(scope="module")
def mnist_run(mnist_small):
    """One-vs-rest SGD logistic regression: proba and decision rank rows differently."""
    return _outputs(SGDClassifier(loss="log_loss", random_state=0, max_iter=15, tol=None),
                    mnist_small)


@pytest.fixture(params=["digits_run", "mnist_run"])
def run(request):
    return request.getfixturevalue(request.param)
