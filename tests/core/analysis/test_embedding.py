import json

import numpy as np
import pytest

from core.analysis import embedding
from core.artifacts import CorruptArtifacts, open_artifacts
from core.artifacts.build import build


@pytest.fixture(scope="module")
def digits_space(digits):
    space = embedding.feature_space(image_shape=digits.image_shape, seed=0, rows=len(digits.X_train))
    space.fit(digits.X_train)
    return space, space.transform(digits.X_train).astype(np.float32), space.transform(digits.X_test)


@pytest.fixture(scope="module")
def mnist_space(mnist_small):
    space = embedding.feature_space(image_shape=mnist_small.image_shape, seed=0).fit(mnist_small.X_train)
    return space.transform(mnist_small.X_train), space.transform(mnist_small.X_test)


def test_feature_space_keeps_fifty_dimensions_on_mnist_and_fewer_when_data_is_small(mnist_space, digits):
    train, test = mnist_space
    assert train.shape == (3000, embedding.FEATURE_DIMS) and test.shape == (600, embedding.FEATURE_DIMS)
    tiny = embedding.feature_space(image_shape=digits.image_shape, seed=0, rows=20).fit(digits.X_train[:20])
    assert tiny.transform(digits.X_test[:3]).shape == (3, 20)


def test_map_has_one_point_per_image_and_is_the_same_for_the_same_seed(digits_space):
    _, _, test = digits_space
    first = embedding.compute_map(test, seed=0, n_jobs=1)
    again = embedding.compute_map(test, seed=0, n_jobs=1)
    other = embedding.compute_map(test, seed=1, n_jobs=1)
    assert first.coords.shape == (len(test), 2) and first.coords.dtype == np.float32
    np.testing.assert_array_equal(first.coords, again.coords)
    assert not np.allclose(first.coords, other.coords)
    assert first.trust_points == len(test)
    assert first.trustworthiness > 0.9


def test_a_training_image_is_its_own_nearest_neighbour_at_distance_zero(digits_space, digits):
    _, train, _ = digits_space
    index = embedding.NeighbourIndex(train, digits.y_train)
    rows = np.array([0, 17, 500, len(train) - 1])
    found = index.query(train[rows], k=5)
    assert found.indices.shape == (4, 5)
    np.testing.assert_array_equal(found.indices[:, 0], rows)
    np.testing.assert_allclose(found.distances[:, 0], 0, atol=1e-3)
    assert np.all(np.diff(found.distances, axis=1) >= 0)


def test_one_image_query_matches_the_batch_query(mnist_space, mnist_small):
    train, test = mnist_space
    index = embedding.NeighbourIndex(train, mnist_small.y_train)
    batch = index.query(test[:5], k=7)
    single = index.query(test[3], k=7)
    np.testing.assert_array_equal(single.indices[0], batch.indices[3])


def test_neighbour_vote_of_an_mnist_slice_mostly_carries_the_true_label(mnist_space, mnist_small):
    train, test = mnist_space
    index = embedding.NeighbourIndex(train, mnist_small.y_train)
    found = index.query(test, k=embedding.NEIGHBOURS)
    labels = mnist_small.y_train[found.indices]
    votes = [embedding.neighbour_vote(row, true=int(t), predicted=int(t)) for row, t in zip(labels, mnist_small.y_test)]
    majority = np.array([vote.majority for vote in votes])
    assert np.mean(majority == mnist_small.y_test) > 0.95
    shares = np.array([vote.share_true for vote in votes])
    np.testing.assert_allclose(shares, np.mean(labels == mnist_small.y_test[:, None], axis=1))


def test_neighbour_vote_tells_an_ambiguous_image_from_a_model_mistake():
    ambiguous = embedding.neighbour_vote(np.array([4, 4, 4, 9, 4]), true=9, predicted=4)
    assert (ambiguous.share_true, ambiguous.share_predicted, ambiguous.majority) == (0.2, 0.8, 4)
    assert "ambiguous" in ambiguous.verdict
    mistake = embedding.neighbour_vote(np.array([9, 9, 9, 9, 4]), true=9, predicted=4)
    assert "model's mistake" in mistake.verdict


@pytest.fixture(scope="module")
def digits_artifacts(tmp_path_factory, digits):
    root = tmp_path_factory.mktemp("explore-artifacts")
    build(dataset=digits, artifacts_dir=root, models="sgd")
    return root


def test_build_stores_the_map_and_the_neighbours_of_every_test_image(digits_artifacts, digits, digits_space):
    aset = open_artifacts(digits_artifacts)
    entry = aset.manifest["explore"]
    arrays = aset.explore()
    assert arrays["coords"].shape == (len(digits.y_test), 2)
    assert arrays["neighbours"].shape == arrays["distances"].shape == (len(digits.y_test), embedding.NEIGHBOURS)
    np.testing.assert_array_equal(arrays["train_images"], digits.X_train)
    space = aset.load_feature_space()
    index = embedding.NeighbourIndex(arrays["train_features"], digits.y_train)
    again = index.query(space.transform(digits.X_test[:20]), k=embedding.NEIGHBOURS)
    np.testing.assert_array_equal(again.indices, arrays["neighbours"][:20])
    assert entry["method"] == "openTSNE" and 0.9 < entry["trustworthiness"] <= 1
    assert set(entry["seconds"]) == {"features", "map", "neighbours"}


def test_a_rebuild_reuses_the_stored_analyses(digits_artifacts, digits):
    before = json.loads((digits_artifacts / "manifest.json").read_text())["explore"]
    events = []
    build(dataset=digits, artifacts_dir=digits_artifacts, models="sgd", progress=events.append)
    after = json.loads((digits_artifacts / "manifest.json").read_text())["explore"]
    assert after == before
    assert [e.stage for e in events if e.model == "explore"] == ["skip", "done"]


def test_a_manifest_pointing_the_map_outside_the_folder_is_refused(digits_artifacts, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(digits_artifacts, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["explore"]["files"]["arrays"] = "../../etc/passwd"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptArtifacts, match="not one of this folder's artifact files"):
        open_artifacts(copy).explore()
