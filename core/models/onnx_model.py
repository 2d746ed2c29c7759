"""Imported ONNX classifiers: read the input signature, run the graph with onnxruntime (CPU).

:class:`OnnxClassifier` wraps an ONNX model as a small scikit-learn classifier
that, like every built model, takes raw 0-255 pixel rows: it turns them into
the tensor the graph declares (:class:`InputSpec`: layout, scale, element
type) and returns class probabilities (a softmax when the graph gives logits).
It is persisted as the ``.onnx`` bytes themselves plus the spec in the
manifest; the onnxruntime session is made when first needed and never pickled.

Examples
--------
>>> spec = inspect(Path("cnn.onnx").read_bytes(), image_shape=(28, 28), n_classes=10)  # doctest: +SKIP
>>> spec.layout, spec.scale                                                           # doctest: +SKIP
('nchw', 'unit')
>>> OnnxClassifier(Path("cnn.onnx").read_bytes(), spec=spec, n_classes=10).predict(X[:3])  # doctest: +SKIP
array([7, 2, 1])
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cached_property

import numpy as np
import onnxruntime as ort
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin

#: Input layouts, by the tensor shape they give ``n`` images of ``h`` x ``w`` pixels.
LAYOUTS = {"flat": "(N, h*w)", "hw": "(N, h, w)", "nchw": "(N, 1, h, w)", "nhwc": "(N, h, w, 1)"}
#: Pixel scales the graph may expect: floats 0-1, floats 0-255, or uint8 0-255.
SCALES = {"unit": "floats 0-1", "byte": "floats 0-255", "uint8": "uint8 0-255"}
#: What the graph's output holds; ``auto`` decides from the test-set output (rows of probabilities or not).
OUTPUTS = ("auto", "proba", "logits")
ELEMENT_TYPES = ("tensor(float)", "tensor(uint8)")
BATCH_ROWS = 1024
PROBA_TOLERANCE = 1e-3


class OnnxInputError(ValueError):
    """The ONNX graph cannot take this artifact set's images as declared; the message says what to change."""


@dataclass(frozen=True)
class InputSpec:
    """How raw pixel rows become the graph's input, and what its output holds.

    Attributes
    ----------
    input_name, output_name : the graph's input and the (N, classes) output used
    layout : a key of :data:`LAYOUTS`
    scale : a key of :data:`SCALES`
    image_shape : ``(h, w)``
    output : ``"proba"``, ``"logits"`` (softmax applied) or ``"auto"`` before it is decided
    batch : the graph's fixed batch size (1), or None when the batch axis is dynamic
    """

    input_name: str
    output_name: str
    layout: str
    scale: str
    image_shape: tuple[int, int]
    output: str = "auto"
    batch: int | None = None

    def to_dict(self) -> dict:
        return {**asdict(self), "image_shape": list(self.image_shape)}

    @classmethod
    def from_dict(cls, data: dict) -> InputSpec:
        """The spec stored in a manifest; raises ``ValueError`` for anything this module would not write."""
        try:
            spec = cls(**{**data, "image_shape": tuple(int(v) for v in data["image_shape"])})
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"bad ONNX input spec {data!r} ({exc})") from None
        if (spec.layout not in LAYOUTS or spec.scale not in SCALES or spec.output not in OUTPUTS[1:]
                or spec.batch not in (None, 1) or not all(isinstance(n, str) for n in (spec.input_name,
                                                                                      spec.output_name))):
            raise ValueError(f"bad ONNX input spec {data!r}")
        return spec

    def describe(self) -> str:
        """E.g. ``(N, 1, 28, 28) floats 0-1 -> logits``."""
        return f"{_shape_text(['N', *image_dims(self.layout, self.image_shape)])} {SCALES[self.scale]} -> {self.output}"

    def tensor(self, X) -> np.ndarray:
        """Raw 0-255 pixel rows ``(n, h*w)`` as the graph's input tensor."""
        X = np.asarray(X)
        pixels = self.image_shape[0] * self.image_shape[1]
        if X.ndim != 2 or X.shape[1] != pixels:
            raise ValueError(f"expected rows of {pixels} pixels, got an array of shape {X.shape}")
        if self.scale == "uint8":
            x = np.clip(X, 0, 255).astype(np.uint8)
        else:
            x = X.astype(np.float32) / (255.0 if self.scale == "unit" else 1.0)
        return x.reshape(len(x), *image_dims(self.layout, self.image_shape))


def image_dims(layout: str, image_shape) -> tuple[int, ...]:
    """The dimensions after the batch axis of one image in ``layout``, e.g. ``(1, 28, 28)`` for nchw."""
    h, w = image_shape
    return {"flat": (h * w,), "hw": (h, w), "nchw": (1, h, w), "nhwc": (h, w, 1)}[layout]


def session(model: bytes) -> ort.InferenceSession:
    """An onnxruntime CPU session for the serialised model ``model``."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def inspect(model: bytes, *, image_shape: tuple[int, int], n_classes: int, layout: str | None = None,
            scale: str | None = None) -> InputSpec:
    """Read the input spec from the graph's signature, checked against the declared ``layout``/``scale``.

    The layout follows from the input's rank (and which axis is 1 for rank 4);
    ``uint8`` from the element type. A float graph does not say whether it
    wants 0-1 or 0-255, so ``scale`` defaults to ``"unit"`` (0-1). Raises
    :class:`OnnxInputError` when the graph cannot take ``image_shape`` images
    as declared.
    """
    sess = session(model)
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise OnnxInputError(f"the model has {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); "
                             "Digit Lens feeds it one image tensor")
    source = inputs[0]
    if source.type not in ELEMENT_TYPES:
        raise OnnxInputError(f"input {source.name!r} is {source.type}; export the model with a float32 or uint8 input")
    found = _layout(source.shape, image_shape)
    if layout is not None and found is not None and layout != found:
        raise OnnxInputError(f"--input-layout {layout} {LAYOUTS[layout]} does not match the model's input "
                             f"{source.name!r} of shape {_shape_text(source.shape)} ({found} {LAYOUTS[found]})")
    layout = layout or found
    if layout is None:
        raise OnnxInputError(f"cannot tell the layout of input {source.name!r} of shape {_shape_text(source.shape)}; "
                             f"give it with --input-layout ({', '.join(LAYOUTS)})")
    _check_dims(source.shape, layout, image_shape)
    wants_uint8 = source.type == "tensor(uint8)"
    if scale is not None and (scale == "uint8") != wants_uint8:
        raise OnnxInputError(f"--input-scale {scale} does not match the model's input {source.name!r} of type "
                             f"{source.type}; use --input-scale {'uint8' if wants_uint8 else 'unit or byte'}")
    batch = source.shape[0]
    if isinstance(batch, int) and batch != 1:
        raise OnnxInputError(f"the model's batch size is fixed at {batch}; export it with a dynamic batch axis "
                             "(torch.onnx.export(..., dynamic_axes={'input': {0: 'batch'}})) or with batch 1")
    return InputSpec(input_name=source.name, output_name=_output_name(sess, n_classes), layout=layout,
                     scale="uint8" if wants_uint8 else scale or "unit", image_shape=tuple(image_shape),
                     batch=1 if batch == 1 else None)


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(d) if isinstance(d, int) else "N" if i == 0 else "?" for i, d in enumerate(shape)) + ")"


def _layout(shape, image_shape) -> str | None:
    """The layout an input shape implies, None when it does not tell."""
    if len(shape) == 2:
        return "flat"
    if len(shape) == 3:
        return "hw"
    if len(shape) == 4:
        channels_first, channels_last = shape[1] == 1, shape[3] == 1
        if channels_first != channels_last:
            return "nchw" if channels_first else "nhwc"
        if shape[1:3] == list(image_shape):
            return "nhwc"
        if shape[2:4] == list(image_shape):
            return "nchw"
        return None
    raise OnnxInputError(f"the model's input has shape {_shape_text(shape)}; Digit Lens feeds "
                         + ", ".join(LAYOUTS.values()))


def _check_dims(shape, layout: str, image_shape) -> None:
    h, w = image_shape
    expected = image_dims(layout, image_shape)
    dims = list(shape[1:])
    if len(dims) != len(expected) or any(isinstance(d, int) and d != e for d, e in zip(dims, expected)):
        raise OnnxInputError(f"the model's input has shape {_shape_text(shape)}, but this artifact set's {h}x{w} "
                             f"images in layout {layout} are {_shape_text(['N', *expected])}")


def _output_name(sess: ort.InferenceSession, n_classes: int) -> str:
    """The first float output of shape (N, classes)."""
    for output in sess.get_outputs():
        shape = output.shape
        if output.type == "tensor(float)" and len(shape) == 2 and (shape[1] == n_classes
                                                                   or not isinstance(shape[1], int)):
            return output.name
    found = ", ".join(f"{o.name} {o.type} {_shape_text(o.shape)}" for o in sess.get_outputs())
    raise OnnxInputError(f"no float output of shape (N, {n_classes}) among the model's outputs ({found}); "
                         "for skl2onnx use options={'zipmap': False}")


def resolve_output(raw: np.ndarray, declared: str) -> str:
    """``"proba"`` or ``"logits"``: what ``raw`` (the graph's test-set output) holds, checked against ``declared``."""
    sums = raw.sum(axis=1)
    is_proba = bool(np.all(raw >= -PROBA_TOLERANCE) and np.all(raw <= 1 + PROBA_TOLERANCE)
                    and np.all(np.abs(sums - 1) <= PROBA_TOLERANCE))
    if declared == "proba" and not is_proba:
        row = int(np.argmax(np.abs(sums - 1) > PROBA_TOLERANCE)) if np.any(np.abs(sums - 1) > PROBA_TOLERANCE) \
            else int(np.argmax(np.any((raw < 0) | (raw > 1), axis=1)))
        raise OnnxInputError(f"--output proba, but the model's output for test image {row} is not probabilities "
                             f"(sum {sums[row]:.4g}); use --output logits")
    if declared == "auto":
        return "proba" if is_proba else "logits"
    return declared


def to_proba(raw: np.ndarray, output: str) -> np.ndarray:
    """Class probabilities from the graph's output (a softmax of logits)."""
    return (softmax(raw.astype(np.float64), axis=1) if output == "logits" else raw).astype(np.float32)


class OnnxClassifier(ClassifierMixin, BaseEstimator):
    """An ONNX graph as a fitted scikit-learn classifier on raw 0-255 pixel rows.

    Parameters
    ----------
    model : the serialised ONNX model (the artifact file's bytes)
    spec : how rows become the graph's input and what its output holds
    n_classes : number of classes; ``classes_`` is ``0..n_classes-1``

    Examples
    --------
    >>> clf = OnnxClassifier(onnx_bytes, spec=spec, n_classes=10)   # doctest: +SKIP
    >>> clf.predict_proba(X_test[:2]).shape                          # doctest: +SKIP
    (2, 10)
    """

    def __init__(self, model: bytes, *, spec: InputSpec, n_classes: int):
        self.model = model
        self.spec = spec
        self.n_classes = n_classes

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(self.n_classes)

    @cached_property
    def _session(self) -> ort.InferenceSession:
        return session(self.model)

    def __getstate__(self) -> dict:
        """Pickle the model bytes and the spec, never the onnxruntime session."""
        return {key: value for key, value in self.__dict__.items() if key != "_session"}

    def raw_output(self, X) -> np.ndarray:
        """The graph's output for rows ``X``, in batches (one row at a time for a batch-1 graph)."""
        x = self.spec.tensor(X)
        step = self.spec.batch or BATCH_ROWS
        parts = [self._session.run([self.spec.output_name], {self.spec.input_name: x[i:i + step]})[0]
                 for i in range(0, len(x), step)]
        return np.concatenate(parts) if parts else np.empty((0, self.n_classes), dtype=np.float32)

    def predict_proba(self, X) -> np.ndarray:
        return to_proba(self.raw_output(X), self.spec.output)

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


def load(model: bytes, spec: dict, *, n_classes: int) -> OnnxClassifier:
    """The classifier stored as ``model`` bytes with the manifest's ``spec``, its session open (so a graph
    onnxruntime cannot run fails here, not on first use); ``ValueError`` for a bad spec."""
    classifier = OnnxClassifier(model, spec=InputSpec.from_dict(spec), n_classes=n_classes)
    classifier._session
    return classifier
