"""A small convolutional network in PyTorch: trained with augmentation, exported to ONNX.

Two convolution blocks (convolution, batch norm, ReLU, 2x2 max-pool) and a
dense layer with dropout, the sizes of :data:`core.models.deep.ARCHITECTURES`.
Every batch is augmented by a random affine map per image (rotation, shift,
zoom). The exported graph takes ``(N, 1, h, w)`` floats 0-1 and returns class
probabilities (normalisation and softmax inside), so the dashboard scores it
with onnxruntime (:mod:`core.models.onnx_model`) and needs no PyTorch.

Only the build imports this module; it needs PyTorch (``requirements-deep.txt``).

Examples
--------
>>> from core.data import load_dataset
>>> from core.models.deep import CnnSettings
>>> ds = load_dataset("digits")
>>> trained = train_cnn(ds.X_train, ds.y_train, n_classes=10, image_shape=ds.image_shape, seed=0,
...                     settings=CnnSettings(epochs=2, held_out=100))
>>> len(trained.history["held_out_accuracy"]), trained.device
(2, 'cpu')
>>> probabilities(trained.net, ds.X_test[:3], image_shape=ds.image_shape).shape
(3, 10)
"""

from __future__ import annotations

import io
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from torch import nn

from core.models.deep import ARCHITECTURES, CnnSettings

#: MNIST's pixel mean and standard deviation on the 0-1 scale; the graph normalises with them.
MEAN, STD = 0.1307, 0.3081
EVAL_ROWS = 2000
#: The exported graph's input and output names.
INPUT, OUTPUT = "pixels", "proba"


class Net(nn.Module):
    """Two convolution blocks and a dense layer; input ``(N, 1, h, w)`` floats 0-1, output logits."""

    def __init__(self, *, architecture: str, image_shape: tuple[int, int], n_classes: int):
        super().__init__()
        kernel, (first, second), dense = ARCHITECTURES[architecture]

        def block(inputs: int, outputs: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(inputs, outputs, kernel, padding=kernel // 2), nn.BatchNorm2d(outputs),
                                 nn.ReLU(), nn.MaxPool2d(2))

        h, w = image_shape
        self.features = nn.Sequential(block(1, first), block(first, second), nn.Flatten())
        self.classifier = nn.Sequential(nn.Dropout(0.25), nn.Linear(second * (h // 4) * (w // 4), dense), nn.ReLU(),
                                        nn.Dropout(0.5), nn.Linear(dense, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features((x - MEAN) / STD))


class _Probabilities(nn.Module):
    """The exported graph: the net followed by a softmax."""

    def __init__(self, net: Net):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)


@dataclass(frozen=True)
class TrainedCnn:
    """What :func:`train_cnn` returns.

    Attributes
    ----------
    net : the trained network, in eval mode
    onnx : the exported graph's bytes
    history : per epoch (lists of equal length): ``epoch``, ``seconds``, ``train_loss`` and ``train_accuracy``
        (on the augmented batches, during the epoch), ``held_out_loss`` and ``held_out_accuracy``
    n_train, n_held_out : training images used for steps, and kept out for the curve
    fit_seconds : wall time of the training and the export
    device : ``"cpu"`` or ``"cuda"``
    threads : PyTorch's CPU threads during training
    """

    net: Net
    onnx: bytes
    history: dict[str, list[float]]
    n_train: int
    n_held_out: int
    fit_seconds: float
    device: str
    threads: int


def train_cnn(X, y, *, n_classes: int, image_shape: tuple[int, int], seed: int, settings: CnnSettings,
              epoch_done: Callable[[int, Net], None] | None = None, device: str | None = None) -> TrainedCnn:
    """Train the network on raw 0-255 pixel rows ``X`` with labels ``y``; export it to ONNX.

    A stratified ``settings.held_out`` images (at most a tenth) are kept out of
    training and scored after every epoch. On the CPU the result is the same
    for the same seed, data, settings and thread count. ``epoch_done(epoch, net)``
    is called after each epoch (``bench.cnn`` scores the test images there).
    """
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    start = time.perf_counter()
    fit, held = _split(np.asarray(y), held_out=settings.held_out, seed=seed)
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.set_num_threads(settings.threads)
        try:
            net = Net(architecture=settings.architecture, image_shape=image_shape, n_classes=n_classes).to(device)
            history = _fit(net, _images(X[fit], image_shape, device), torch.as_tensor(y[fit], device=device),
                           _images(X[held], image_shape, device), torch.as_tensor(y[held], device=device),
                           settings=settings, seed=seed, epoch_done=epoch_done)
        finally:
            torch.set_num_threads(threads)
    net = net.cpu().eval()
    return TrainedCnn(net=net, onnx=export_onnx(net, image_shape), history=history, n_train=len(fit),
                      n_held_out=len(held), fit_seconds=time.perf_counter() - start, device=device,
                      threads=settings.threads)


def _split(y: np.ndarray, *, held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(len(y))
    size = min(held_out, len(y) // 10)
    fit, held = train_test_split(rows, test_size=size, stratify=y, random_state=seed)
    return np.sort(fit), np.sort(held)


def _images(X, image_shape, device) -> torch.Tensor:
    """Raw pixel rows as ``(N, 1, h, w)`` floats 0-1 on ``device``."""
    return torch.as_tensor(np.asarray(X, dtype=np.float32) / 255.0, device=device).reshape(-1, 1, *image_shape)


def _fit(net: Net, x, y, x_held, y_held, *, settings: CnnSettings, seed: int, epoch_done) -> dict[str, list[float]]:
    steps = math.ceil(len(x) / settings.batch_size)
    optimiser = torch.optim.AdamW(net.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=settings.learning_rate,
                                                   total_steps=settings.epochs * steps)
    generator = torch.Generator(device=x.device).manual_seed(seed)
    history: dict[str, list[float]] = {key: [] for key in ("epoch", "seconds", "train_loss", "train_accuracy",
                                                           "held_out_loss", "held_out_accuracy")}
    for epoch in range(1, settings.epochs + 1):
        began = time.perf_counter()
        net.train()
        order = torch.randperm(len(x), generator=generator, device=x.device)
        loss_sum, right = 0.0, 0
        for i in range(0, len(x), settings.batch_size):
            rows = order[i:i + settings.batch_size]
            logits = net(augment(x[rows], settings=settings, generator=generator))
            loss = F.cross_entropy(logits, y[rows])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            loss_sum += float(loss.detach()) * len(rows)
            right += int((logits.argmax(1) == y[rows]).sum())
        held_loss, held_accuracy = _evaluate(net, x_held, y_held)
        history["epoch"].append(epoch)
        for key, value in zip(list(history)[1:], (time.perf_counter() - began, loss_sum / len(x), right / len(x),
                                                  held_loss, held_accuracy)):
            history[key].append(round(float(value), 6))
        if epoch_done is not None:
            epoch_done(epoch, net)
    return history


def augment(x: torch.Tensor, *, settings: CnnSettings, generator: torch.Generator) -> torch.Tensor:
    """Each image of the batch ``x`` under its own random rotation, zoom and shift (bilinear, zero outside)."""
    n, _, h, w = x.shape
    uniform = torch.rand((n, 4), generator=generator, device=x.device) * 2 - 1
    angle = uniform[:, 0] * math.radians(settings.rotation)
    zoom = 1 + uniform[:, 1] * settings.zoom
    shift = uniform[:, 2:] * (2 * settings.shift / 28)  # affine_grid's coordinates run from -1 to 1
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, [n, 1, h, w], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@torch.no_grad()
def _evaluate(net: Net, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``net`` on ``x`` (eval mode, no augmentation)."""
    net.eval()
    loss, right = 0.0, 0
    for i in range(0, len(x), EVAL_ROWS):
        logits = net(x[i:i + EVAL_ROWS])
        loss += float(F.cross_entropy(logits, y[i:i + EVAL_ROWS], reduction="sum"))
        right += int((logits.argmax(1) == y[i:i + EVAL_ROWS]).sum())
    return loss / max(len(x), 1), right / max(len(x), 1)


@torch.no_grad()
def probabilities(net: Net, X, *, image_shape: tuple[int, int]) -> np.ndarray:
    """Class probabilities of the PyTorch ``net`` for raw 0-255 pixel rows ``X`` (what the ONNX graph gives)."""
    net.eval()
    x = _images(X, image_shape, next(net.parameters()).device)
    return np.concatenate([torch.softmax(net(x[i:i + EVAL_ROWS]), 1).cpu().numpy()
                           for i in range(0, len(x), EVAL_ROWS)])


def export_onnx(net: Net, image_shape: tuple[int, int]) -> bytes:
    """The ONNX graph of ``net`` with a softmax: input ``pixels`` (N, 1, h, w) floats 0-1, dynamic batch axis."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(_Probabilities(net).eval(), (torch.zeros(1, 1, *image_shape),), buffer, dynamo=False,
                          input_names=[INPUT], output_names=[OUTPUT], opset_version=17,
                          dynamic_axes={INPUT: {0: "N"}, OUTPUT: {0: "N"}})
    return buffer.getvalue()
