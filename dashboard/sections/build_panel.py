"""What the app shows when the artifacts are missing or unusable: the problem and a build offer."""

from __future__ import annotations

import logging
import os
import shlex
from pathlib import Path

import streamlit as st

from core import artifacts
from core.artifacts import ArtifactError, MissingArtifacts, read_manifest
from core.artifacts.build import BuildEvent, build
from core.data import MNIST_ENV, DataError, default_cache_dir
from dashboard import cache

LOG = logging.getLogger(__name__)
TRAIN_SIZES = {"all": None, "20,000": 20_000, "5,000": 5_000, "2,000": 2_000}
DATASET_LABELS = {"mnist": "MNIST (28x28)", "digits": "Bundled digits (8x8, offline)"}


def build_command(root: Path, *, dataset: str, data_dir: str, train_size: int | None) -> str:
    """The shell command that builds the same artifacts as the form."""
    parts = ["--dataset", dataset, "--models", "quick"]
    if dataset == "mnist" and data_dir:
        parts += ["--data-dir", data_dir]
    if train_size:
        parts += ["--train-size", str(train_size)]
    return f"{artifacts.build_command(root)} {shlex.join(parts)}"


def mnist_source(data_dir: str) -> str:
    """Where the build will take MNIST from, in words."""
    if data_dir:
        return f"the folder `{data_dir}`"
    if os.environ.get(MNIST_ENV):
        return f"`${MNIST_ENV}` = `{os.environ[MNIST_ENV]}`"
    cached = default_cache_dir() / "mnist_784.npz"
    if cached.is_file():
        return f"the download cache `{cached}`"
    return "a download from OpenML (needs the network)"


def _previous_dataset(root: Path) -> str:
    try:
        return read_manifest(root)["dataset"]["name"]
    except (ArtifactError, KeyError, TypeError):
        return "mnist"


def run_build(root: Path, *, dataset: str, data_dir: str, train_size: int | None) -> bool:
    """Build the quick model set with a progress bar; True when it worked (the caches are then cleared)."""
    bar = st.progress(0.0, text="Loading the data...")

    def progress(event: BuildEvent) -> None:
        done = event.index + event.fraction
        left = "" if event.eta_seconds is None else f", about {event.eta_seconds:.0f} s left by the last build's times"
        bar.progress(min(done / event.total, 1.0),
                     text=f"{event.model}: {event.stage} ({event.index + 1}/{event.total}{left})")

    try:
        build(dataset=dataset, data_dir=data_dir or None, artifacts_dir=root, models="quick",
              train_size=train_size, progress=progress)
    except DataError as exc:
        bar.empty()
        st.session_state["setup_data_error"] = str(exc)
        return False
    except (ArtifactError, ValueError, OSError) as exc:
        bar.empty()
        st.error(f"The build failed: {exc}")
        return False
    except BaseException:
        # Streamlit stops a run whose tab closed or reran by raising inside it: the build deleted what it
        # wrote, and only the server's log can still say so.
        LOG.warning("The build into %s was cancelled (its browser tab closed or reran); nothing was left "
                    "behind and the previous artifacts are untouched.", root)
        raise
    bar.progress(1.0, text="Done.")
    st.session_state.pop("setup_data_error", None)
    cache.clear()
    return True


#: Set to 1 on a shared server: the app then never trains, and asks no visitor for a server path.
READ_ONLY_ENV = "DIGIT_LENS_READ_ONLY"


def read_only() -> bool:
    """Whether in-app building and path entry are off (``$DIGIT_LENS_READ_ONLY`` set to 1, true or yes)."""
    return os.environ.get(READ_ONLY_ENV, "").strip().lower() in {"1", "true", "yes"}


def build_form(root: Path) -> None:
    """Dataset choice, the exact command, and a button that builds the quick set here.

    On a read-only server (:func:`read_only`) only the command to run on the server is shown."""
    if read_only():
        st.info("This server is read-only: the app does not build. Whoever runs it can build on the server "
                "with:")
        st.code(build_command(root, dataset="mnist", data_dir="", train_size=None), language="bash")
        return
    previous = _previous_dataset(root)
    dataset = st.radio("Dataset", list(DATASET_LABELS), format_func=DATASET_LABELS.get, horizontal=True,
                       index=list(DATASET_LABELS).index(previous) if previous in DATASET_LABELS else 0,
                       key="setup_dataset")
    data_dir, train_size = "", None
    if dataset == "mnist":
        data_dir = st.text_input("MNIST folder (optional)", value=os.environ.get(MNIST_ENV, ""),
                                 key="setup_data_dir",
                                 help="A folder with the four IDX files. Empty: the download cache, else OpenML.")
        st.caption(f"MNIST will come from {mnist_source(data_dir)}.")
        train_size = TRAIN_SIZES[st.selectbox("Training images", list(TRAIN_SIZES), key="setup_train_size")]
    st.caption("Or build from a terminal in the repository:")
    st.code(build_command(root, dataset=dataset, data_dir=data_dir, train_size=train_size), language="bash")
    holder = artifacts.build_holder(root)
    if holder:
        st.info(f"A build into this folder is running ({holder}). Check the folder again when it has finished.")
    if st.button("Build the quick model set", type="primary", key="setup_build", disabled=bool(holder)):
        if run_build(root, dataset=dataset, data_dir=data_dir, train_size=train_size):
            st.rerun()
    data_error = st.session_state.get("setup_data_error")
    if data_error:
        st.error(f"MNIST is not available: {data_error}")
        if st.button("Build with the bundled digits dataset instead", key="setup_use_digits"):
            if run_build(root, dataset="digits", data_dir="", train_size=None):
                st.rerun()


def render(status: cache.Status) -> None:
    """The page shown instead of the dashboard when there is nothing usable to show."""
    st.title("Digit Lens")
    if isinstance(status.problem, MissingArtifacts) and cache.manifest_fingerprint(status.root) is None:
        st.info(f"No artifacts in `{status.root}` yet. Build the quick model set (SGD and random forest) "
                "to start; nothing is trained while you browse afterwards.")
    else:
        st.warning(f"The artifacts in `{status.root}` cannot be used. {status.problem}")
        if st.button("Check the folder again", key="setup_retry"):
            cache.clear()
            st.rerun()
    build_form(status.root)
