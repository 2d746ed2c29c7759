"""ONNX models for the import tests, made from real fitted scikit-learn models.

- :func:`sklearn_onnx`: a fitted Pipeline on raw 0-255 float rows, converted by skl2onnx (input ``(N, h*w)``).
- :func:`conv_graph`: a tiny convolutional graph built with ``onnx.helper``: one Conv whose kernel covers the
  whole image, carrying a logistic regression's weights, then Flatten -> logits. Its input is image-shaped
  (``(N, 1, h, w)``, or ``(N, h, w, 1)`` through a Transpose), 0-1 floats, so its softmax is the regression's
  ``predict_proba`` on ``X / 255``.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx

OPSET = 17
IR_VERSION = 8  # what every onnxruntime in requirements.txt reads


def sklearn_onnx(pipeline, n_features: int) -> bytes:
    """``pipeline`` (fitted on float rows) as ONNX bytes with a float ``(N, n_features)`` input and a
    probabilities output (no ZipMap)."""
    model = to_onnx(pipeline, np.zeros((1, n_features), dtype=np.float32), options={"zipmap": False},
                    target_opset=OPSET)
    return model.SerializeToString()


def conv_graph(coef: np.ndarray, intercept: np.ndarray, *, image_shape=(28, 28), layout: str = "nchw",
               batch: str | int = "N") -> bytes:
    """A Conv -> Flatten graph giving ``coef @ x + intercept`` logits for 0-1 images in ``layout``."""
    h, w = image_shape
    k = len(intercept)
    shape = [batch, 1, h, w] if layout == "nchw" else [batch, h, w, 1]
    nodes = []
    source = "image"
    if layout == "nhwc":
        nodes.append(helper.make_node("Transpose", ["image"], ["image_nchw"], perm=[0, 3, 1, 2]))
        source = "image_nchw"
    nodes += [helper.make_node("Conv", [source, "W", "B"], ["conv"], kernel_shape=[h, w]),
              helper.make_node("Flatten", ["conv"], ["logits"], axis=1)]
    graph = helper.make_graph(
        nodes, "linear_conv",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, k])],
        initializer=[numpy_helper.from_array(coef.reshape(k, 1, h, w).astype(np.float32), "W"),
                     numpy_helper.from_array(intercept.astype(np.float32), "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model.SerializeToString()
