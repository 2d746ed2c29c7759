"""Memory and time of turning uploads into a digit (``core.data.pictures.image_to_mnist``).

Each upload is decoded in a fresh Python process, and the process's peak resident memory above its
baseline (imports done, file in memory) is printed with the wall time of the call: a small file
that decodes to a huge picture must cost neither memory nor time.

Usage::

    python -m bench.upload_memory
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import resource, sys, time
from core.data.pictures import ImageError, image_to_mnist
data = open({path!r}, "rb").read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    image_to_mnist(data)
    outcome = "accepted"
except ImageError as exc:
    outcome = "refused: " + str(exc)[:60]
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{{(peak - base) / 1024:.1f}} {{elapsed * 1000:.0f}} {{outcome}}")
"""


def digit_picture(side: int) -> Image.Image:
    """A drawn 7 (dark on light, like a photo of paper) of ``side`` x ``side`` pixels."""
    canvas = np.full((280, 280), 235, dtype=np.uint8)
    canvas[50:70, 60:220] = 20
    for row in range(70, 250):
        column = int(200 - (row - 70) * 0.45)
        canvas[row, column - 10:column + 10] = 20
    return Image.fromarray(canvas).resize((side, side), Image.Resampling.BILINEAR)


def uploads() -> dict[str, bytes]:
    cases = {}
    for name, side, fmt in [("photo 4000x4000 JPEG", 4000, "JPEG"), ("scan 4000x4000 PNG", 4000, "PNG"),
                            ("blank 12000x12000 PNG", 12000, "PNG")]:
        buffer = io.BytesIO()
        image = Image.new("L", (side, side), 255) if name.startswith("blank") else digit_picture(side)
        image.save(buffer, format=fmt)
        cases[name] = buffer.getvalue()
    return cases


def main() -> int:
    print(f"{'upload':<24}{'file KB':>9}{'peak MB':>9}{'ms':>7}  outcome")
    with tempfile.TemporaryDirectory() as folder:
        for name, data in uploads().items():
            path = Path(folder) / "upload"
            path.write_bytes(data)
            result = subprocess.run([sys.executable, "-c", PROBE.format(root=str(REPO_ROOT), path=str(path))],
                                    capture_output=True, text=True, check=True)
            peak, ms, outcome = result.stdout.split(" ", 2)
            print(f"{name:<24}{len(data) / 1024:>9.0f}{float(peak):>9.1f}{int(ms):>7}  {outcome.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
