"""The CNN on a real MNIST slice: its ONNX export, reproducibility, augmentation and training curve."""

import numpy as np
import pytest
import torch

from core.models import cnn, onnx_model
from core.models.deep import CnnSettings

ONE_EPOCH = CnnSettings(epochs=1, held_out=300)


@pytest.fixture(scope="module")
def trained(mnist_small):
    ds = mnist_small
    return cnn.train_cnn(ds.X_train, ds.y_train, n_classes=10, image_shape=ds.image_shape, seed=0,
                         settings=ONE_EPOCH)


def test_onnx_graph_gives_the_pytorch_probabilities(trained, mnist_small):
    ds = mnist_small
    spec = onnx_model.inspect(trained.onnx, image_shape=ds.image_shape, n_classes=10)
    assert (spec.layout, spec.scale, spec.batch) == ("nchw", "unit", None)  # dynamic batch axis
    exported = onnx_model.OnnxClassifier(trained.onnx, spec=spec, n_classes=10).raw_output(ds.X_test)
    with torch.no_grad():
        x = torch.as_tensor(ds.X_test.astype(np.float32) / 255).reshape(-1, 1, 28, 28)
        expected = torch.softmax(trained.net.eval()(x), dim=1).numpy()
    np.testing.assert_allclose(exported, expected, atol=1e-5)
    assert (expected.argmax(1) == ds.y_test).mean() > 0.5  # one epoch on 2,700 images learns something


def test_training_is_reproducible_with_a_seed_on_the_cpu(trained, mnist_small):
    ds = mnist_small
    again = cnn.train_cnn(ds.X_train, ds.y_train, n_classes=10, image_shape=ds.image_shape, seed=0,
                          settings=ONE_EPOCH)
    other = cnn.train_cnn(ds.X_train, ds.y_train, n_classes=10, image_shape=ds.image_shape, seed=1,
                          settings=ONE_EPOCH)
    first = cnn.probabilities(trained.net, ds.X_test, image_shape=ds.image_shape)
    assert np.array_equal(cnn.probabilities(again.net, ds.X_test, image_shape=ds.image_shape), first)
    assert again.history == {**trained.history, "seconds": again.history["seconds"]}
    assert not np.array_equal(cnn.probabilities(other.net, ds.X_test, image_shape=ds.image_shape), first)


def test_training_curve_has_one_entry_per_epoch_and_held_out_images_are_not_trained_on(mnist_small):
    ds = mnist_small
    result = cnn.train_cnn(ds.X_train, ds.y_train, n_classes=10, image_shape=ds.image_shape, seed=0,
                           settings=CnnSettings(epochs=2, held_out=300))
    assert result.n_held_out == 300 and result.n_train == len(ds.y_train) - 300
    assert result.history["epoch"] == [1, 2]
    assert {len(values) for values in result.history.values()} == {2}
    assert all(0 <= a <= 1 for a in result.history["held_out_accuracy"] + result.history["train_accuracy"])
    assert result.history["train_loss"][1] < result.history["train_loss"][0]


def test_augmentation_moves_the_digit_and_is_the_identity_at_strength_zero(mnist_small):
    x = torch.as_tensor(mnist_small.X_test[:8].astype(np.float32) / 255).reshape(-1, 1, 28, 28)
    still = CnnSettings(rotation=0.0, shift=0.0, zoom=0.0)
    same = cnn.augment(x, settings=still, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(same.numpy(), x.numpy(), atol=1e-5)
    moved = cnn.augment(x, settings=CnnSettings(), generator=torch.Generator().manual_seed(0))
    assert not torch.allclose(moved, x, atol=1e-2)
    # a shift of at most 2.5 pixels moves each digit's centre of mass by at most that much on each axis
    shifted = cnn.augment(x, settings=CnnSettings(rotation=0.0, shift=2.5, zoom=0.0),
                          generator=torch.Generator().manual_seed(1))
    moves = np.abs(_centre(shifted.numpy()) - _centre(x.numpy()))
    assert moves.max() <= 2.5 + 0.05 and moves.max() > 0.5


def _centre(images: np.ndarray) -> np.ndarray:
    """(row, column) centre of mass of each image of ``images`` (n, 1, h, w)."""
    ink = images[:, 0]
    rows, cols = np.indices(ink.shape[1:])
    total = ink.sum(axis=(1, 2))
    return np.column_stack([(ink * rows).sum(axis=(1, 2)) / total, (ink * cols).sum(axis=(1, 2)) / total])
