"""The model zoo: named specs, each making one Pipeline from raw 0-255 pixel rows to a class (the CNN: an ONNX graph).

Examples
--------
>>> from core.models import REGISTRY, resolve_models
>>> resolve_models("quick")
['sgd', 'rf']
>>> pipe = REGISTRY["knn"].make(image_shape=(28, 28), seed=0)
>>> [name for name, _ in pipe.steps]
['scale', 'pca', 'clf']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sklearn.decomposition import PCA
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from core.models.ablation import make_svc_virtual, make_svc, make_svc_deskew, make_svc_hog, pca_components
from core.models.concepts import make_denoiser, make_multilabel_chain, make_multilabel_knn
from core.models.deep import make_cnn
from core.data.preprocess import PixelScaler

Factory = Callable[..., Pipeline]


@dataclass(frozen=True)
class ModelSpec:
    """A named model of the zoo.

    Attributes
    ----------
    name : registry key, used in file names and on the command line
    title : short human name
    description : one sentence for the dashboard
    factory : ``factory(*, image_shape, seed) -> Pipeline`` (unfitted)
    task : ``"multiclass"``, ``"binary"`` for a one-digit detector, ``"multilabel"`` (the labels of
        :data:`core.models.concepts.LABELS` at once) or ``"multioutput"`` (a denoiser: noisy pixels to clean pixels)
    positive_class : the detected class index when ``task == "binary"``
    groups : named sets this model belongs to (``quick``, ``study``, ``ablation``...)
    runtime : ``"sklearn"`` (``factory`` makes a Pipeline, pickled by the build) or ``"torch"`` (``factory`` makes
        the :class:`core.models.deep.CnnSettings` the build trains a network with and exports to ONNX)
    """

    name: str
    title: str
    description: str
    factory: Factory
    task: str = "multiclass"
    positive_class: int | None = None
    groups: tuple[str, ...] = ()
    runtime: str = "sklearn"

    def make(self, *, image_shape: tuple[int, int], seed: int = 0):
        """A fresh, unfitted Pipeline for images of ``image_shape`` (network settings for a ``torch`` model)."""
        return self.factory(image_shape=tuple(image_shape), seed=seed)


def _hinge_sgd(seed) -> SGDClassifier:
    """The study's linear classifier: hinge loss, 10 epochs of SGD."""
    return SGDClassifier(loss="hinge", max_iter=10, tol=None, random_state=seed)


def _standardised(clf) -> Pipeline:
    """``clf`` on pixels scaled to 0-1, then standardised per pixel."""
    return Pipeline([("scale", PixelScaler()), ("std", StandardScaler()), ("clf", clf)])


def make_sgd(*, image_shape, seed):
    """Linear SVM trained by SGD (hinge loss) on standardised pixels: the study's baseline."""
    return _standardised(_hinge_sgd(seed))


def make_rf(*, image_shape, seed):
    """Random forest on raw pixels, as in the study."""
    return Pipeline([
        ("scale", PixelScaler()),
        ("clf", RandomForestClassifier(n_estimators=100, random_state=seed)),
    ])


def make_extra_trees(*, image_shape, seed):
    return Pipeline([
        ("scale", PixelScaler()),
        ("clf", ExtraTreesClassifier(n_estimators=100, random_state=seed)),
    ])


def make_logreg(*, image_shape, seed):
    return Pipeline([
        ("scale", PixelScaler()),
        ("clf", LogisticRegression(C=0.1, max_iter=300, random_state=seed)),
    ])


def make_knn(*, image_shape, seed):
    """k nearest neighbours in a 40-dimensional PCA space (fast and more accurate than raw pixels)."""
    return Pipeline([
        ("scale", PixelScaler()),
        ("pca", PCA(n_components=pca_components(image_shape, 40), random_state=seed)),
        ("clf", KNeighborsClassifier(n_neighbors=4, weights="distance", algorithm="kd_tree")),
    ])


def make_mlp(*, image_shape, seed):
    return Pipeline([
        ("scale", PixelScaler()),
        ("clf", MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-4, batch_size=256, learning_rate_init=3e-3,
                              max_iter=15, early_stopping=True, n_iter_no_change=3, random_state=seed)),
    ])


def make_is5(*, image_shape, seed):
    """Binary "is it a 5?" detector: the study's first classifier."""
    return make_sgd(image_shape=image_shape, seed=seed)


def make_sgd_ovr(*, image_shape, seed):
    """Ten binary hinge-loss SGD classifiers, one per digit against the rest."""
    return _standardised(OneVsRestClassifier(_hinge_sgd(seed)))


def make_sgd_ovo(*, image_shape, seed):
    """Forty-five binary hinge-loss SGD classifiers, one per pair of digits."""
    return _standardised(OneVsOneClassifier(_hinge_sgd(seed)))


_SPECS = [
    ModelSpec("sgd", "SGD (hinge)",
              "Linear SVM fitted by 10 epochs of stochastic gradient descent on standardised pixels.",
              make_sgd, groups=("quick", "study", "zoo", "ablation")),
    ModelSpec("rf", "Random forest", "100 trees on raw pixels.", make_rf,
              groups=("quick", "study", "zoo", "ablation")),
    ModelSpec("logreg", "Logistic regression", "Multinomial logistic regression on pixels scaled to 0-1.",
              make_logreg, groups=("zoo",)),
    ModelSpec("knn", "k-NN (PCA 40)", "4 nearest neighbours, distance-weighted, in 40 PCA dimensions.",
              make_knn, groups=("zoo",)),
    ModelSpec("extra_trees", "Extra trees", "100 extremely randomised trees on raw pixels.",
              make_extra_trees, groups=("zoo",)),
    ModelSpec("mlp", "MLP (256)", "One hidden layer of 256 ReLU units, Adam, at most 15 epochs with early stopping.",
              make_mlp, groups=("zoo",)),
    ModelSpec("svc", "RBF SVM (PCA 50)", "Support vector machine with an RBF kernel on 50 PCA components.",
              make_svc, groups=("zoo", "ablation")),
    ModelSpec("svc_deskew", "RBF SVM + deskew", "The RBF SVM on deskewed digits.",
              make_svc_deskew, groups=("ablation",)),
    ModelSpec("svc_hog", "RBF SVM + gradient histograms",
              "RBF SVM on gradient-orientation histograms of deskewed digits.", make_svc_hog, groups=("ablation",)),
    ModelSpec("svc_virtual", "RBF SVM on HOG, virtual support vectors",
              "Deskew, gradient histograms, RBF SVM refitted on its support vectors and their 1-pixel shifts.",
              make_svc_virtual, groups=("zoo", "ablation")),
    ModelSpec("cnn", "CNN (PyTorch)", "Two convolution blocks (3x3, 32 and 64 channels, batch norm, max-pool) and "
              "128 dense units, trained 10 epochs on randomly rotated, shifted and zoomed digits; scored as ONNX.",
              make_cnn, groups=("deep",), runtime="torch"),
    ModelSpec("is5", "Is it a 5?", "Binary SGD detector of the digit 5 against all others.",
              make_is5, task="binary", positive_class=5, groups=("study", "concepts")),
    ModelSpec("sgd_ovr", "SGD one-vs-rest", "OneVsRestClassifier around SGD: 10 binary classifiers.",
              make_sgd_ovr, groups=("study", "concepts")),
    ModelSpec("sgd_ovo", "SGD one-vs-one", "OneVsOneClassifier around SGD: 45 pairwise classifiers.",
              make_sgd_ovo, groups=("study", "concepts")),
    ModelSpec("multilabel_knn", "k-NN multilabel", "5 nearest neighbours in 40 PCA dimensions predict 'large' "
              "(digit >= 7) and 'odd' at once.", make_multilabel_knn, task="multilabel", groups=("concepts",)),
    ModelSpec("multilabel_chain", "SVM classifier chain", "A chain of RBF SVMs on 40 PCA dimensions of 10,000 "
              "images: 'large', then 'odd' given the predicted 'large'.", make_multilabel_chain, task="multilabel",
              groups=("concepts",)),
    ModelSpec("denoise_knn", "k-NN denoiser", "Noisy pixels to clean pixels: the mean of the 5 nearest noisy "
              "training images' clean versions (20,000 images, 40 PCA dimensions).", make_denoiser,
              task="multioutput", groups=("concepts",)),
]
REGISTRY: dict[str, ModelSpec] = {spec.name: spec for spec in _SPECS}
GROUPS = ("quick", "study", "zoo", "ablation", "deep", "concepts", "all")


def resolve_models(selection: str) -> list[str]:
    """Model names for ``"quick"``, ``"all"``, another group name, or ``"a,b,c"``.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    names: list[str] = []
    for token in (t.strip() for t in selection.split(",")):
        if not token:
            continue
        if token == "all":
            found = list(REGISTRY)
        elif token in GROUPS:
            found = [s.name for s in _SPECS if token in s.groups]
        elif token in REGISTRY:
            found = [token]
        else:
            raise ValueError(
                f"unknown model {token!r}; choose from {', '.join(REGISTRY)} or a group: {', '.join(GROUPS)}."
            )
        names += [n for n in found if n not in names]
    if not names:
        raise ValueError("no models selected; pass e.g. --models quick")
    return names
