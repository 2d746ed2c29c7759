"""Per-cell mean maps on a real MNIST slice: a cell's mean is over its most confident mistakes only."""

import numpy as np

from core.analysis import attribution, cell_maps
from core.models import REGISTRY


def test_a_cells_mean_is_over_its_most_confident_mistakes(mnist_small):
    forest = REGISTRY["rf"].make(image_shape=(28, 28), seed=0).fit(mnist_small.X_train, mnist_small.y_train)
    proba = forest.predict_proba(mnist_small.X_test)
    y_pred, y_true = proba.argmax(axis=1), mnist_small.y_test
    found = cell_maps.cell_maps(forest.predict_proba, mnist_small.X_test, y_true, y_pred,
                                confidence=proba.max(axis=1), image_shape=(28, 28), limit=3)
    k = int(np.argmax(found.counts))
    true, predicted = (int(v) for v in found.cells[k])
    rows = np.flatnonzero((y_true == true) & (y_pred == predicted))
    assert rows.size > 3 and found.counts[k] == rows.size and found.used[k] == 3
    top = rows[np.argsort(-proba[rows].max(axis=1), kind="stable")][:3]
    np.testing.assert_allclose(found.images[k], mnist_small.X_test[top].mean(axis=0).reshape(28, 28), atol=1e-4)
    maps = [attribution.occlusion(forest.predict_proba, mnist_small.X_test[i], image_shape=(28, 28),
                                  target=predicted, other=true).values for i in top]
    np.testing.assert_allclose(found.maps[k], np.mean(maps, axis=0), atol=1e-6)
    assert found.find(true, predicted) == k and found.find(true, true) is None
