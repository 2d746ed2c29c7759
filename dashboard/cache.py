"""The dashboard's only cache layer: artifacts, models and derived arrays, keyed by fingerprint.

``st.cache_resource`` holds the large, shared, read-only objects (the opened
artifact set with its arrays, fitted models, sorted one-vs-rest scores); the
arrays are read-only (``core.artifacts`` reads them so, derived ones are marked
here) so no page can mutate them. ``st.cache_data``
holds small frames. Every cached function takes the artifact fingerprint
(SHA-256 of ``manifest.json``), so a rebuild is picked up on the next rerun;
the tuning results, which live beside the manifest, are keyed by their file's
modification time and size, so a re-tune is picked up too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import streamlit as st

from core.analysis import (answers, concept_views, curves, embedding, evaluation, label_quality,
                           map_selection, operating_points, report, slices, thresholds)
from core.data import pictures
from core.data import properties
from core.artifacts import reviews
from core.models import quick, tuning

from dashboard.render import matrix, threshold_table
from core.artifacts import (MANIFEST, ArtifactError, ArtifactSet, DataBundle, Predictions, default_artifacts_dir,
                            open_artifacts, sha256_file)
from core.data.eda import DataSummary

#: Test images a quick scorer must reproduce before it replaces its model (see :func:`quick_scorer`).
QUICK_CHECK_ROWS = 8

@dataclass(frozen=True, eq=False)
class Loaded:
    """An opened artifact set with everything the pages read, loaded once.

    Attributes
    ----------
    artifacts : the :class:`core.artifacts.ArtifactSet`
    data : test images and labels
    summary : the dataset summary the Data page draws
    predictions : model name to its stored :class:`core.artifacts.Predictions`
    fingerprint : SHA-256 of ``manifest.json``
    warnings : version differences (models cannot be unpickled, stored results still show)
    """

    artifacts: ArtifactSet
    data: DataBundle
    summary: DataSummary
    predictions: Mapping[str, Predictions]
    fingerprint: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def multiclass(self) -> list[str]:
        """Names of the models that predict every class."""
        return [n for n in self.artifacts.model_names if self.artifacts.model_info(n)["task"] == "multiclass"]

    @property
    def binary(self) -> list[str]:
        """Names of the one-digit detectors."""
        return [n for n in self.artifacts.model_names if self.artifacts.model_info(n)["task"] == "binary"]

    def title(self, name: str) -> str:
        """Human name of a model."""
        return self.artifacts.model_info(name)["title"]


@dataclass(frozen=True)
class Status:
    """What the app found in the artifact folder: a :class:`Loaded` set or the problem."""

    root: Path
    loaded: Loaded | None
    problem: ArtifactError | None


def artifacts_root() -> Path:
    """The folder core uses: ``$DIGIT_LENS_ARTIFACTS`` or ``artifacts/``."""
    return default_artifacts_dir().resolve()


def manifest_fingerprint(root: Path) -> str | None:
    """SHA-256 of ``root/manifest.json`` (the same value as ``ArtifactSet.fingerprint``), None if absent."""
    try:
        return sha256_file(root / MANIFEST)
    except OSError:
        return None


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@st.cache_resource(max_entries=4, show_spinner="Loading artifacts...")
def _load(root: str, fingerprint: str) -> Loaded | ArtifactError:
    """Open and read the artifact set once per fingerprint; a problem is returned (and cached), not raised."""
    try:
        aset = open_artifacts(root, strict=False)
        data = aset.data()
        summary = DataSummary.from_arrays(data.summary)
        predictions = {name: aset.predictions(name) for name in aset.model_names}
    except ArtifactError as exc:
        return exc
    except KeyError as exc:
        return ArtifactError(f"{root} holds an incomplete artifact set ({exc}). Rebuild with: python -m core build")
    return Loaded(artifacts=aset, data=data, summary=summary, predictions=MappingProxyType(predictions),
                  fingerprint=fingerprint, warnings=tuple(aset.problems))


def status(root: Path | None = None) -> Status:
    """Open the artifact folder (cached per manifest fingerprint) and report what was found."""
    root = artifacts_root() if root is None else Path(root).resolve()
    fingerprint = manifest_fingerprint(root)
    if fingerprint is None:
        return Status(root=root, loaded=None, problem=open_problem(root))
    result = _load(str(root), fingerprint)
    if isinstance(result, ArtifactError):
        return Status(root=root, loaded=None, problem=result)
    return Status(root=root, loaded=result, problem=None)


def open_problem(root: Path) -> ArtifactError | None:
    """The error opening ``root`` raises, or None."""
    try:
        open_artifacts(root, strict=False)
    except ArtifactError as exc:
        return exc
    return None


def clear() -> None:
    """Forget every cached artifact, model and frame (after a build)."""
    st.cache_resource.clear()
    st.cache_data.clear()


@st.cache_resource(max_entries=32, show_spinner="Loading model...")
def _model(root: str, fingerprint: str, name: str):
    return open_artifacts(root, strict=False).load_model(name)


def model(loaded: Loaded, name: str):
    """The fitted Pipeline ``name``, loaded once per artifact fingerprint.

    Raises
    ------
    core.artifacts.ArtifactError
        When the model cannot be trusted or read (version mismatch, checksum).
    """
    return _model(str(loaded.artifacts.root), loaded.fingerprint, name)


@st.cache_resource(max_entries=64, show_spinner=False)
def _quick_scorer(root: str, fingerprint: str, name: str, n_classes: int, _model, _check: np.ndarray) -> quick.Scorer:
    return quick.quick_scorer(_model, n_classes=n_classes, check=_check)


@st.cache_resource(max_entries=16, show_spinner=False)
def _quick_scorers(root: str, fingerprint: str, names: tuple[str, ...], _loaded: Loaded) -> Mapping[str, quick.Scorer]:
    n_classes, check = len(_loaded.data.class_names), _loaded.data.X_test[:QUICK_CHECK_ROWS]
    return MappingProxyType({name: _quick_scorer(root, fingerprint, name, n_classes, model(_loaded, name), check)
                             for name in names})


def quick_scorers(loaded: Loaded, names) -> Mapping[str, quick.Scorer]:
    """Scorers of models ``names`` for a few new rows (:func:`core.models.quick.quick_scorer`), each checked once
    per server against its model on 8 test images. One cache lookup for all of them: a Streamlit cache
    lookup costs ~0.15 ms, and two per model were ~3.5 ms of a drawn stroke's run (py-spy).

    Raises
    ------
    core.artifacts.ArtifactError
        When a model cannot be loaded (see :func:`model`).
    """
    return _quick_scorers(str(loaded.artifacts.root), loaded.fingerprint, tuple(names), loaded)


@st.cache_data(max_entries=8, show_spinner=False)
def _comparison(fingerprint: str, _aset: ArtifactSet) -> pd.DataFrame:
    return report.comparison(_aset)


def comparison(loaded: Loaded) -> pd.DataFrame:
    """The model comparison table of :func:`core.analysis.report.comparison`."""
    return _comparison(loaded.fingerprint, loaded.artifacts)


@st.cache_resource(max_entries=512, show_spinner=False)
def _pngs(fingerprint: str, split: str, rows: tuple[int, ...], _images: np.ndarray,
          shape: tuple[int, int]) -> tuple[str, ...]:
    return tuple(pictures.png_data_url(_images[i].reshape(shape)) for i in rows)


def test_images(loaded: Loaded, rows) -> list[str]:
    """Test images ``rows`` as PNG ``data:`` URLs at their own size.

    Cached per list of rows (a gallery page): one cache lookup costs about as much as encoding
    three 28x28 PNGs (~90 us each), so a lookup per image cost more than it saved.
    """
    return list(_pngs(loaded.fingerprint, "test", tuple(int(i) for i in rows), loaded.data.X_test,
                      tuple(loaded.data.image_shape)))


@st.cache_resource(max_entries=16, show_spinner=False)
def _probabilities(fingerprint: str, name: str, _pred: Predictions) -> np.ndarray:
    return _read_only(evaluation.probabilities(_pred.scores, score_kind=_pred.score_kind,
                                               temperature=_pred.temperature))


def probabilities(loaded: Loaded, name: str) -> np.ndarray:
    """Every test row's class probabilities for model ``name`` (decision values through the model's
    temperature softmax), read-only."""
    return _probabilities(loaded.fingerprint, name, loaded.predictions[name])


@st.cache_resource(max_entries=64, show_spinner=False)
def _one_vs_rest(fingerprint: str, name: str, cls: int, _pred: Predictions,
                 _proba: np.ndarray) -> thresholds.OneVsRest:
    return thresholds.OneVsRest.from_scores(_pred.y_true, _proba, cls=cls)


def one_vs_rest(loaded: Loaded, name: str, cls: int) -> thresholds.OneVsRest:
    """Sorted probabilities of class ``cls`` of model ``name`` against the rest, for fast threshold queries."""
    return _one_vs_rest(loaded.fingerprint, name, int(cls), loaded.predictions[name], probabilities(loaded, name))


@st.cache_resource(max_entries=64, show_spinner=False)
def _threshold_curves(fingerprint: str, name: str, cls: int, _ovr: thresholds.OneVsRest) -> curves.ThresholdCurves:
    return curves.threshold_curves(_ovr)


def threshold_curves(loaded: Loaded, name: str, cls: int) -> curves.ThresholdCurves:
    """The reduced PR, ROC and precision/recall-against-threshold curves of class ``cls`` of ``name``."""
    return _threshold_curves(loaded.fingerprint, name, int(cls), one_vs_rest(loaded, name, cls))


@st.cache_resource(max_entries=64, show_spinner=False)
def _slider_table(fingerprint: str, name: str, cls: int, by: str,
                  _ovr: thresholds.OneVsRest) -> operating_points.SliderTable:
    return operating_points.slider_table(_ovr, by=by)


def slider_table(loaded: Loaded, name: str, cls: int, by: str) -> operating_points.SliderTable:
    """Every operating point of the Thresholds slider set ``by`` a probability, precision or recall."""
    return _slider_table(loaded.fingerprint, name, int(cls), by, one_vs_rest(loaded, name, cls))


@st.cache_resource(max_entries=64, show_spinner=False)
def _threshold_payload(fingerprint: str, name: str, cls: int, by: str, _table: operating_points.SliderTable,
                       _pred: Predictions) -> dict:
    decision = _table.of_nearest(_pred.scores[:, cls]) if _pred.score_kind == "decision" else None
    return threshold_table.table_payload(_table, decision=decision)


def threshold_payload(loaded: Loaded, name: str, cls: int, by: str) -> dict:
    """:func:`slider_table` as the Thresholds panel reads it (do not mutate)."""
    return _threshold_payload(loaded.fingerprint, name, int(cls), by, slider_table(loaded, name, cls, by),
                              loaded.predictions[name])


@st.cache_resource(max_entries=64, show_spinner=False)
def _confidence(fingerprint: str, name: str, _proba: np.ndarray) -> np.ndarray:
    return _read_only(_proba.max(axis=1))


def confidence(loaded: Loaded, name: str) -> np.ndarray:
    """Largest pseudo-probability of every test row for model ``name`` (read-only)."""
    return _confidence(loaded.fingerprint, name, probabilities(loaded, name))


@st.cache_resource(max_entries=32, show_spinner=False)
def _confusions(fingerprint: str, name: str, _pred: Predictions) -> tuple[np.ndarray, np.ndarray]:
    n_classes = len(_pred.class_names)
    return (_read_only(evaluation.confusion(_pred.y_true, _pred.y_pred, n_classes=n_classes)),
            _read_only(evaluation.confusion(_pred.y_true, _pred.y_pred, n_classes=n_classes, normalize="true")))


@st.cache_data(max_entries=64, show_spinner=False)
def _confusion_table(fingerprint: str, name: str, normalise: bool, show_diagonal: bool, _pred: Predictions) -> str:
    counts, shares = _confusions(fingerprint, name, _pred)
    return matrix.confusion_html(shares if normalise else counts, counts, class_names=_pred.class_names,
                                 show_diagonal=show_diagonal)


def confusion_table(loaded: Loaded, name: str, *, normalise: bool, show_diagonal: bool) -> str:
    """The clickable confusion matrix of model ``name`` as HTML (:func:`dashboard.render.matrix.confusion_html`); the
    Errors matrix panel marks the selected cell in the browser."""
    return _confusion_table(loaded.fingerprint, name, normalise, show_diagonal, loaded.predictions[name])


@st.cache_resource(max_entries=16, show_spinner=False)
def _cell_pages(fingerprint: str, name: str, budget: int, _pred: Predictions,
                _render: Callable[[int, int], str]) -> Mapping[str, str]:
    counts, _ = _confusions(fingerprint, name, _pred)
    n, pages, size = counts.shape[0], {}, 0
    for true, predicted in evaluation.cells_by_interest(counts).tolist():
        markup = _render(true, predicted)
        size += len(markup)
        if size > budget:
            break
        pages[f"{true * n + predicted}:1"] = markup
    return MappingProxyType(pages)


def cell_pages(loaded: Loaded, name: str, *, budget: int, render: Callable[[int, int], str]) -> Mapping[str, str]:
    """The first gallery page of model ``name``'s confusion cells, ``"cell:1"`` to ``render(true, predicted)``,
    for the cells a reader is likely to open (:func:`core.analysis.evaluation.cells_by_interest`) while
    their markup stays within ``budget`` characters. ``render`` must depend on the model alone."""
    return _cell_pages(loaded.fingerprint, name, budget, loaded.predictions[name], render)


@st.cache_data(max_entries=32, show_spinner=False)
def _coverage(fingerprint: str, name: str, _pred: Predictions, _conf: np.ndarray) -> pd.DataFrame:
    return curves.reduced_coverage(thresholds.coverage_curve(_pred.y_true, _pred.y_pred, _conf))


def coverage(loaded: Loaded, name: str) -> pd.DataFrame:
    """Accuracy against coverage over the confidence thresholds of model ``name``, cut to what a chart shows."""
    return _coverage(loaded.fingerprint, name, loaded.predictions[name], confidence(loaded, name))


@st.cache_data(max_entries=8, show_spinner=False)
def _ablation(fingerprint: str, _aset: ArtifactSet) -> pd.DataFrame:
    return report.ablation_steps(report.ablation_table(_aset), n_test=int(_aset.dataset["n_test"]))


def ablation(loaded: Loaded) -> pd.DataFrame:
    """The built ablation steps in order (:func:`core.analysis.report.ablation_steps` of :func:`core.analysis.report.ablation_table`)."""
    return _ablation(loaded.fingerprint, loaded.artifacts)


@dataclass(frozen=True)
class Tuning:
    """Stored search results: the summary (:func:`core.analysis.report.tuning_table`) and each model's candidates."""

    table: pd.DataFrame
    candidates: Mapping[str, pd.DataFrame]


def tuning_stamp(root: Path) -> tuple[int, int] | None:
    """Modification time (ns) and size of ``root/tuning.json``, None when there is none."""
    try:
        stat = (root / tuning.TUNING_FILE).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@st.cache_data(max_entries=4, show_spinner=False)
def _tuning(root: str, stamp: tuple[int, int], dataset_hash: str) -> Tuning:
    results = tuning.load_results(root)
    return Tuning(table=report.tuning_table(results, dataset_hash=dataset_hash),
                  candidates={r.model: r.candidates for r in results})


def tuning_results(loaded: Loaded) -> Tuning | None:
    """What ``python -m core tune`` stored beside the manifest, None when it was never run.

    Raises
    ------
    core.artifacts.ArtifactError
        When ``tuning.json`` is unreadable or of another format (the message says how to redo it).
    """
    stamp = tuning_stamp(loaded.artifacts.root)
    if stamp is None:
        return None
    return _tuning(str(loaded.artifacts.root), stamp, loaded.artifacts.dataset["hash"])


@st.cache_data(max_entries=8, show_spinner=False)
def _decided_by_scores(fingerprint: str, _predictions: Mapping[str, Predictions]) -> frozenset[str]:
    return frozenset(name for name, pred in _predictions.items() if answers.scores_decide(pred.y_pred, pred.scores))


def decided_by_scores(loaded: Loaded) -> frozenset[str]:
    """Models whose stored test predictions are all the argmax of their stored scores (see
    :func:`core.analysis.answers.scores_decide`): the Draw page asks them once, for scores only."""
    return _decided_by_scores(loaded.fingerprint, loaded.predictions)


@dataclass(frozen=True, eq=False)
class Explore:
    """The stored map and neighbour index of an artifact set (read-only arrays).

    Attributes
    ----------
    entry : the manifest's ``explore`` entry (method, trustworthiness, timings)
    grid : ``(n_test, 2)`` map coordinates on the integer grid of :func:`core.analysis.map_selection.grid_coords`
    neighbours, distances : ``(n_test, k)`` nearest training rows of every test image, and their distances
    train_images : the training images, for neighbour thumbnails
    index : the :class:`core.analysis.embedding.NeighbourIndex` for new images (drawn, uploaded)
    """

    entry: Mapping
    grid: np.ndarray
    neighbours: np.ndarray
    distances: np.ndarray
    train_images: np.ndarray
    index: embedding.NeighbourIndex


@st.cache_resource(max_entries=2, show_spinner="Loading the map and neighbour index...")
def _explore(fingerprint: str, _aset: ArtifactSet, _y_train: np.ndarray) -> Explore:
    arrays = _aset.explore()
    return Explore(entry=MappingProxyType(dict(_aset.manifest["explore"])),
                   grid=_read_only(map_selection.grid_coords(arrays["coords"])), neighbours=arrays["neighbours"],
                   distances=arrays["distances"], train_images=arrays["train_images"],
                   index=embedding.NeighbourIndex(arrays["train_features"], _y_train))


def explore_data(loaded: Loaded) -> Explore:
    """The map and neighbours of the set on show, read once per fingerprint.

    Raises
    ------
    core.artifacts.ArtifactError
        When the set has none (built before they existed) or its files fail their checks.
    """
    return _explore(loaded.fingerprint, loaded.artifacts, loaded.data.y_train)


@st.cache_resource(max_entries=2, show_spinner="Loading the feature space...")
def _feature_space(root: str, fingerprint: str):
    return open_artifacts(root, strict=False).load_feature_space()


def feature_space(loaded: Loaded):
    """The fitted Pipeline from raw pixel rows to the neighbour feature space (for drawn digits)."""
    return _feature_space(str(loaded.artifacts.root), loaded.fingerprint)


def train_images(loaded: Loaded, rows) -> list[str]:
    """Training images ``rows`` as PNG ``data:`` URLs at their own size (cached per list, as :func:`test_images`)."""
    return list(_pngs(loaded.fingerprint, "train", tuple(int(i) for i in rows), explore_data(loaded).train_images,
                      tuple(loaded.data.image_shape)))


@dataclass(frozen=True)
class MapLayer:
    """What the map component draws for one model and colouring (base64 arrays, see :func:`core.analysis.map_selection.encode`).

    Attributes
    ----------
    colours : uint8 colour value per test row (:func:`core.analysis.map_selection.colour_values`)
    sizes : uint8 dot diameter per test row in pixels (mistakes larger)
    """

    colours: str
    sizes: str


@st.cache_data(max_entries=4, show_spinner=False)
def _map_coords(fingerprint: str, _grid: np.ndarray) -> str:
    return map_selection.encode(_grid)


def map_coords(loaded: Loaded) -> str:
    """The map's grid coordinates in test-row order, base64 uint16 pairs, encoded once per fingerprint."""
    return _map_coords(loaded.fingerprint, explore_data(loaded).grid)


@st.cache_data(max_entries=64, show_spinner=False)
def _map_layer(fingerprint: str, name: str, by: str, _pred: Predictions, _confidence: np.ndarray) -> MapLayer:
    colours = map_selection.colour_values(by, y_true=_pred.y_true, y_pred=_pred.y_pred, confidence=_confidence)
    sizes = np.where(_pred.y_true != _pred.y_pred, 7, 4).astype(np.uint8)
    return MapLayer(colours=map_selection.encode(colours), sizes=map_selection.encode(sizes))


def map_layer(loaded: Loaded, name: str, by: str) -> MapLayer:
    """The map's colours (``by``) and dot sizes for model ``name``."""
    return _map_layer(loaded.fingerprint, name, by, loaded.predictions[name], confidence(loaded, name))


@st.cache_resource(max_entries=16, show_spinner=False)
def _arrays(fingerprint: str, name: str, _aset: ArtifactSet) -> Mapping[str, np.ndarray]:
    return MappingProxyType(_aset.arrays(name))


def arrays(loaded: Loaded, name: str) -> Mapping[str, np.ndarray]:
    """Every stored output array of model ``name`` (:meth:`core.artifacts.ArtifactSet.arrays`), read-only."""
    return _arrays(loaded.fingerprint, name, loaded.artifacts)


@st.cache_resource(max_entries=8, show_spinner=False)
def _detector_curves(fingerprint: str, name: str, _stored: Mapping[str, np.ndarray]) -> concept_views.DetectorCurves:
    return concept_views.detector_curves(_stored["train_true"], _stored["train_decision"], _stored["y_true"],
                                         _stored["scores"][:, 1])


def detector_curves(loaded: Loaded, name: str) -> concept_views.DetectorCurves | None:
    """Cross-validated training and test decision values of detector ``name``, sorted once; None when its
    build stored no training scores (artifacts built before they were added)."""
    stored = arrays(loaded, name)
    return _detector_curves(loaded.fingerprint, name, stored) if {"train_true", "train_decision"} <= set(stored) else None


@st.cache_resource(max_entries=16, show_spinner="Finding label issues...")
def _label_issues(fingerprint: str, source: str, _loaded: Loaded) -> label_quality.LabelIssues:
    if source == label_quality.COMBINED:
        accuracy = {n: _loaded.artifacts.model_info(n)["metrics"]["test_accuracy"] for n in _loaded.multiclass}
        chosen = label_quality.strongest(accuracy)
        proba = label_quality.combine({n: probabilities(_loaded, n) for n in chosen})
        words = "mean probabilities of the strongest models by test accuracy: " + ", ".join(map(_loaded.title, chosen))
    else:
        proba, words = probabilities(_loaded, source), f"probabilities of {_loaded.title(source)}"
    return label_quality.label_issues(_loaded.data.y_test, proba, source=words)


def label_issues(loaded: Loaded, source: str = label_quality.COMBINED) -> label_quality.LabelIssues:
    """cleanlab's verdict on every test label from ``source`` (a model name, or :data:`core.analysis.label_quality.COMBINED`
    for the strongest models together), computed once per fingerprint; read-only arrays."""
    return _label_issues(loaded.fingerprint, source, loaded)


@st.cache_resource(max_entries=4, show_spinner=False)
def _properties(fingerprint: str, _aset: ArtifactSet) -> pd.DataFrame:
    return properties.stored_properties(_aset)


def image_properties(loaded: Loaded) -> pd.DataFrame:
    """The stored properties of every test image (shared: never modify it).

    Raises
    ------
    core.artifacts.ArtifactError
        When the set has none (built before they existed) or the file fails its checks.
    """
    return _properties(loaded.fingerprint, loaded.artifacts)


@st.cache_resource(max_entries=32, show_spinner="Finding error slices...")
def _slices(fingerprint: str, name: str, _loaded: Loaded) -> slices.SliceReport:
    pred = _loaded.predictions[name]
    return slices.find_slices(image_properties(_loaded), y_true=pred.y_true, wrong=pred.y_true != pred.y_pred,
                              class_names=pred.class_names)


def error_slices(loaded: Loaded, name: str) -> slices.SliceReport:
    """The error slices of model ``name`` (:func:`core.analysis.slices.find_slices`), found once per model."""
    return _slices(loaded.fingerprint, name, loaded)


@st.cache_data(max_entries=32, show_spinner=False)
def _error_bins(fingerprint: str, name: str, _loaded: Loaded) -> dict[str, pd.DataFrame]:
    pred = _loaded.predictions[name]
    frame = image_properties(_loaded)
    return {column: slices.error_by_bins(frame[column], pred.y_true != pred.y_pred) for column in frame}


def error_bins(loaded: Loaded, name: str) -> dict[str, pd.DataFrame]:
    """Model ``name``'s error rate against each binned image property (:func:`core.analysis.slices.error_by_bins`)."""
    return _error_bins(loaded.fingerprint, name, loaded)


def review_stamp(loaded: Loaded) -> tuple[int, int] | None:
    """Modification time (ns) and size of the set's review file, None when nothing was reviewed."""
    try:
        stat = reviews.reviews_path(loaded.artifacts.root, loaded.artifacts.dataset["hash"]).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@st.cache_data(max_entries=8, show_spinner=False)
def _marks(root: str, dataset_hash: str, stamp: tuple[int, int] | None) -> pd.DataFrame:
    return reviews.load_marks(root, dataset_hash)


def review_marks(loaded: Loaded) -> pd.DataFrame:
    """Every review mark of the set's data (:func:`core.artifacts.reviews.load_marks`), re-read when the file changes.

    Raises
    ------
    core.artifacts.reviews.ReviewError
        When the review file is damaged (the message says what to do).
    """
    return _marks(str(loaded.artifacts.root), loaded.artifacts.dataset["hash"], review_stamp(loaded))
