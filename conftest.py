"""Collection rules for the whole repository: modules that need PyTorch are skipped where it is not installed
(CI installs it, so there they always run)."""

import importlib.util
import os

collect_ignore = []
if importlib.util.find_spec("torch") is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install requirements-deep.txt (PyTorch) to test the CNN")
    collect_ignore = ["core/models/cnn.py"]
