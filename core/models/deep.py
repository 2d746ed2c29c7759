"""The network models' settings and whether their library (PyTorch) is installed; imports no PyTorch.

:mod:`core.models.cnn` trains and exports the network; this module is what
the registry, the build and the CLI read without it, so Digit Lens runs, and
builds every other model, where PyTorch is not installed.

Examples
--------
>>> settings = CnnSettings(epochs=1)
>>> settings.get_params()["architecture"], settings.get_params()["epochs"]
('wide', 1)
>>> isinstance(torch_version(), (str, type(None)))
True
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import asdict, dataclass, replace

#: The one-line advice for a build that needs PyTorch where it is missing.
MISSING = ("the CNN needs PyTorch, which is not installed: pip install -r requirements-deep.txt "
           "(see README, 'The CNN'), or build the other models")

#: Layer sizes of each architecture: (kernel size, channels of the two convolution blocks, dense units).
#: ``wide`` is the default (99.46% on the MNIST test set in 10 epochs); ``small`` (99.36% in 15) and ``lenet5``
#: (LeNet-5's sizes, 99.24% in 15) are the cheaper alternatives ``bench.cnn`` measured (docs/PERFORMANCE.md).
ARCHITECTURES = {
    "small": (3, (16, 32), 128),
    "lenet5": (5, (6, 16), 120),
    "wide": (3, (32, 64), 128),
}


@dataclass(frozen=True)
class CnnSettings:
    """How :func:`core.models.cnn.train_cnn` trains the network; all of it goes into the build's model key.

    Attributes
    ----------
    architecture : a key of :data:`ARCHITECTURES`
    epochs : passes over the training images
    batch_size : images per step
    learning_rate : peak of the one-cycle schedule (AdamW)
    weight_decay : AdamW's decoupled weight decay
    rotation : augmentation: largest rotation, degrees either way
    shift : augmentation: largest shift, pixels of a 28-pixel side either way (scaled for other sizes)
    zoom : augmentation: largest relative change of size either way (0.1 = 0.9-1.1)
    held_out : training images kept out of training for the per-epoch held-out curve (at most a tenth)
    threads : CPU threads for PyTorch (one is faster on a busy 2-core machine: see ``bench.cnn``)
    """

    architecture: str = "wide"
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 4e-3
    weight_decay: float = 1e-4
    rotation: float = 12.0
    shift: float = 2.5
    zoom: float = 0.12
    held_out: int = 5000
    threads: int = 1

    def __post_init__(self):
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.architecture!r}; choose from {', '.join(ARCHITECTURES)}")
        if self.epochs < 1 or self.batch_size < 1 or self.threads < 1:
            raise ValueError("epochs, batch_size and threads must be at least 1")

    def get_params(self, deep: bool = True) -> dict:
        """Every setting by name, as a scikit-learn estimator gives its parameters (for the model key)."""
        return asdict(self)

    def overridden(self, *, epochs: int | None = None, threads: int | None = None) -> CnnSettings:
        """These settings with ``epochs`` and ``threads`` where they are given (not None)."""
        given = {"epochs": epochs, "threads": threads}
        return replace(self, **{name: value for name, value in given.items() if value is not None})


def make_cnn(*, image_shape, seed) -> CnnSettings:
    """The registry's factory: the default settings (the network is made by the build, which has PyTorch)."""
    return CnnSettings()


def torch_version() -> str | None:
    """The installed PyTorch's version, None when it is not installed (PyTorch itself is not imported)."""
    if importlib.util.find_spec("torch") is None:
        return None
    return importlib.metadata.version("torch")
