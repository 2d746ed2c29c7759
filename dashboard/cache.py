"""The dashboard's only cache layer: artifacts, models and derived arrays, keyed by fingerprint.

One cached function per read. Each takes the opened set (:class:`Loaded`)
first, which Streamlit hashes by its fingerprint (SHA-256 of
``manifest.json``, :data:`BY_FINGERPRINT`), so a rebuild is picked up on the
next rerun and nothing else of the set is hashed. ``st.cache_resource``
holds the large, shared, read-only objects (fitted models, probabilities,
sorted one-vs-rest scores); their arrays are read-only (``core.artifacts``
reads them so, derived ones are marked here) so no page can mutate them.
``st.cache_data`` holds small frames and markup. The tuning results and the
review marks, which live beside the manifest, are keyed by their file's
modification time and size too, so a re-tune or a review is picked up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import streamlit as st

from core.analysis import (answers, calibration, cell_maps, concept_views, curves, embedding, evaluation, label_quality,
                           map_selection, operating_points, report, robustness, significance, slices, thresholds, trust)
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

    def strongest(self, names) -> str:
        """The most accurate of models ``names`` on the test set (the first of them on a tie)."""
        return max(names, key=lambda n: self.artifacts.model_info(n)["metrics"].get("test_accuracy") or 0.0)


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


def _fingerprint(loaded: Loaded) -> str:
    return loaded.fingerprint


#: How the cached functions hash an opened set: by its manifest's fingerprint alone.
BY_FINGERPRINT = {Loaded: _fingerprint}


def _resource(max_entries: int, spinner: str | bool = False):
    return st.cache_resource(max_entries=max_entries, show_spinner=spinner, hash_funcs=BY_FINGERPRINT)


def _data(max_entries: int):
    return st.cache_data(max_entries=max_entries, show_spinner=False, hash_funcs=BY_FINGERPRINT)


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


@_resource(32, "Loading model...")
def model(loaded: Loaded, name: str):
    """The fitted Pipeline ``name``, loaded once per artifact fingerprint.

    Raises
    ------
    core.artifacts.ArtifactError
        When the model cannot be trusted or read (version mismatch, checksum).
    """
    return loaded.artifacts.load_model(name)


@_resource(64)
def _quick_scorer(loaded: Loaded, name: str) -> quick.Scorer:
    return quick.quick_scorer(model(loaded, name), n_classes=len(loaded.data.class_names),
                              check=loaded.data.X_test[:QUICK_CHECK_ROWS])


@_resource(16)
def quick_scorers(loaded: Loaded, names: tuple[str, ...]) -> Mapping[str, quick.Scorer]:
    """Scorers of models ``names`` for a few new rows (:func:`core.models.quick.quick_scorer`), each checked once
    per server against its model on 8 test images. One cache lookup for all of them: a Streamlit cache
    lookup costs ~0.15 ms, and two per model were ~3.5 ms of a drawn stroke's run (py-spy).

    Raises
    ------
    core.artifacts.ArtifactError
        When a model cannot be loaded (see :func:`model`).
    """
    return MappingProxyType({name: _quick_scorer(loaded, name) for name in names})


@_data(8)
def comparison(loaded: Loaded) -> pd.DataFrame:
    """The model comparison table of :func:`core.analysis.report.comparison`."""
    return report.comparison(loaded.artifacts)


@_resource(512)
def _pngs(loaded: Loaded, split: str, rows: tuple[int, ...]) -> tuple[str, ...]:
    images = loaded.data.X_test if split == "test" else explore_data(loaded).train_images
    shape = tuple(loaded.data.image_shape)
    return tuple(pictures.png_data_url(images[i].reshape(shape)) for i in rows)


def test_images(loaded: Loaded, rows) -> list[str]:
    """Test images ``rows`` as PNG ``data:`` URLs at their own size.

    Cached per list of rows (a gallery page): one cache lookup costs about as much as encoding
    three 28x28 PNGs (~90 us each), so a lookup per image cost more than it saved.
    """
    return list(_pngs(loaded, "test", tuple(int(i) for i in rows)))


def train_images(loaded: Loaded, rows) -> list[str]:
    """Training images ``rows`` as PNG ``data:`` URLs at their own size (cached per list, as :func:`test_images`)."""
    return list(_pngs(loaded, "train", tuple(int(i) for i in rows)))


@_resource(16)
def probabilities(loaded: Loaded, name: str) -> np.ndarray:
    """Every test row's class probabilities for model ``name`` (decision values through the model's
    temperature softmax), read-only."""
    pred = loaded.predictions[name]
    return _read_only(evaluation.probabilities(pred.scores, score_kind=pred.score_kind, temperature=pred.temperature))


@_resource(64)
def confidence(loaded: Loaded, name: str) -> np.ndarray:
    """Largest pseudo-probability of every test row for model ``name`` (read-only)."""
    return _read_only(probabilities(loaded, name).max(axis=1))


@_resource(32)
def cell_maps_of(loaded: Loaded, name: str) -> cell_maps.CellMaps | None:
    """Model ``name``'s per-cell mean maps (read-only), None when its set was built without them."""
    arrays = loaded.artifacts.cell_maps(name)
    return None if arrays is None else cell_maps.CellMaps.from_arrays(arrays)


@_resource(32)
def robustness_of(loaded: Loaded, name: str) -> robustness.Robustness | None:
    """Model ``name``'s answers to the perturbed test subset (read-only), None when its set was built without them
    or it has no model to perturb for (predictions only)."""
    arrays = loaded.artifacts.robustness(name)
    return None if arrays is None else robustness.Robustness.from_arrays(arrays)


@_data(8)
def robustness_summary(loaded: Loaded, names: tuple[str, ...]) -> pd.DataFrame:
    """:func:`core.analysis.robustness.summary` of models ``names`` (each measured)."""
    return robustness.summary({name: robustness_of(loaded, name) for name in names})


@_resource(4)
def _condition_images(loaded: Loaded, rows: tuple[int, ...], kind: str, strength: float) -> np.ndarray:
    shape = tuple(loaded.data.image_shape)
    images = loaded.data.X_test[list(rows)].reshape(len(rows), *shape)
    return _read_only(robustness.perturb(images, kind, strength, seed=loaded.artifacts.manifest["seed"]))


def condition_images(loaded: Loaded, name: str, index: int, positions) -> list[str]:
    """The subset's images at ``positions`` under condition ``index`` of model ``name``'s measurement, as the
    model saw them, as PNG ``data:`` URLs (the condition's whole subset is perturbed once and kept)."""
    found = robustness_of(loaded, name)
    images = _condition_images(loaded, tuple(int(r) for r in found.rows), str(found.kinds[index]),
                               float(found.strengths[index]))
    return [pictures.png_data_url(images[int(p)]) for p in positions]


@_data(4)
def trust_figures(loaded: Loaded) -> pd.DataFrame:
    """Every model's accuracy (Wilson) and macro F1 (seeded bootstrap) intervals and calibration scores
    (:func:`core.analysis.trust.trust_table`'s ``models``)."""
    return trust.trust_table(loaded.artifacts).models


@_data(16)
def pairwise(loaded: Loaded, names: tuple[str, ...]) -> pd.DataFrame:
    """The exact McNemar test for every pair of models ``names``, Holm-corrected over those pairs."""
    y_true = loaded.predictions[names[0]].y_true
    return significance.pairwise(y_true, {name: loaded.predictions[name].y_pred for name in names})


@_resource(64)
def model_calibration(loaded: Loaded, name: str) -> calibration.ModelCalibration:
    """Top-label calibration of model ``name`` at its stored temperature (and before it, for decision values)."""
    pred = loaded.predictions[name]
    return calibration.model_calibration(pred.y_true, pred.scores, score_kind=pred.score_kind,
                                         temperature=pred.temperature)


@_data(8)
def calibration_table(loaded: Loaded, names: tuple[str, ...]) -> pd.DataFrame:
    """:func:`core.analysis.calibration.calibration_table` of models ``names``."""
    return calibration.calibration_table({name: model_calibration(loaded, name) for name in names})


@_data(64)
def class_reliability(loaded: Loaded, name: str, cls: int) -> pd.DataFrame:
    """Reliability bins of model ``name``'s probability of class ``cls`` (at its stored temperature)."""
    pred = loaded.predictions[name]
    return calibration.class_reliability(pred.y_true, probabilities(loaded, name), cls=cls)


@_resource(64)
def one_vs_rest(loaded: Loaded, name: str, cls: int) -> thresholds.OneVsRest:
    """Sorted probabilities of class ``cls`` of model ``name`` against the rest, for fast threshold queries."""
    return thresholds.OneVsRest.from_scores(loaded.predictions[name].y_true, probabilities(loaded, name), cls=cls)


@_resource(64)
def threshold_curves(loaded: Loaded, name: str, cls: int) -> curves.ThresholdCurves:
    """The reduced PR, ROC and precision/recall-against-threshold curves of class ``cls`` of ``name``."""
    return curves.threshold_curves(one_vs_rest(loaded, name, cls))


@_resource(64)
def slider_table(loaded: Loaded, name: str, cls: int, by: str) -> operating_points.SliderTable:
    """Every operating point of the Thresholds slider set ``by`` a probability, precision or recall."""
    return operating_points.slider_table(one_vs_rest(loaded, name, cls), by=by)


@_resource(64)
def threshold_payload(loaded: Loaded, name: str, cls: int, by: str) -> dict:
    """:func:`slider_table` as the Thresholds panel reads it (do not mutate)."""
    table, pred = slider_table(loaded, name, cls, by), loaded.predictions[name]
    decision = table.of_nearest(pred.scores[:, cls]) if pred.score_kind == "decision" else None
    return threshold_table.table_payload(table, decision=decision)


@_resource(32)
def _confusions(loaded: Loaded, name: str) -> tuple[np.ndarray, np.ndarray]:
    pred = loaded.predictions[name]
    n_classes = len(pred.class_names)
    return (_read_only(evaluation.confusion(pred.y_true, pred.y_pred, n_classes=n_classes)),
            _read_only(evaluation.confusion(pred.y_true, pred.y_pred, n_classes=n_classes, normalize="true")))


@_data(64)
def confusion_table(loaded: Loaded, name: str, *, normalise: bool, show_diagonal: bool) -> str:
    """The clickable confusion matrix of model ``name`` as HTML (:func:`dashboard.render.matrix.confusion_html`);
    the Errors matrix panel marks the selected cell in the browser."""
    counts, shares = _confusions(loaded, name)
    return matrix.confusion_html(shares if normalise else counts, counts,
                                 class_names=loaded.predictions[name].class_names, show_diagonal=show_diagonal)


@_resource(16)
def cell_pages(loaded: Loaded, name: str, *, budget: int, _render: Callable[[int, int], str]) -> Mapping[int, str]:
    """The first gallery page of model ``name``'s confusion cells, ``true * n + predicted`` to
    ``_render(true, predicted)``,
    for the cells a reader is likely to open (:func:`core.analysis.evaluation.cells_by_interest`) while
    their markup stays within ``budget`` characters. ``_render`` must depend on the model alone."""
    counts, _ = _confusions(loaded, name)
    n, pages, size = counts.shape[0], {}, 0
    for true, predicted in evaluation.cells_by_interest(counts).tolist():
        markup = _render(true, predicted)
        size += len(markup)
        if size > budget:
            break
        pages[true * n + predicted] = markup
    return MappingProxyType(pages)


@_data(32)
def coverage(loaded: Loaded, name: str) -> pd.DataFrame:
    """Accuracy against coverage over the confidence thresholds of model ``name``, cut to what a chart shows."""
    pred = loaded.predictions[name]
    return curves.reduced_coverage(thresholds.coverage_curve(pred.y_true, pred.y_pred, confidence(loaded, name)))


@_data(8)
def ablation(loaded: Loaded) -> pd.DataFrame:
    """The built ablation steps in order (:func:`core.analysis.report.ablation_steps` of
    :func:`core.analysis.report.ablation_table`)."""
    table = report.ablation_table(loaded.artifacts)
    return report.ablation_steps(table, n_test=int(loaded.artifacts.dataset["n_test"]))


@dataclass(frozen=True)
class Tuning:
    """Stored search results: the summary (:func:`core.analysis.report.tuning_table`) and each model's candidates."""

    table: pd.DataFrame
    candidates: Mapping[str, pd.DataFrame]


def _stamp(path: Path) -> tuple[int, int] | None:
    """Modification time (ns) and size of ``path``, None when there is none."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@_data(4)
def _tuning(loaded: Loaded, stamp: tuple[int, int]) -> Tuning:
    results = tuning.load_results(loaded.artifacts.root)
    return Tuning(table=report.tuning_table(results, dataset_hash=loaded.artifacts.dataset["hash"]),
                  candidates={r.model: r.candidates for r in results})


def tuning_results(loaded: Loaded) -> Tuning | None:
    """What ``python -m core tune`` stored beside the manifest, None when it was never run (re-read when the
    file changes).

    Raises
    ------
    core.artifacts.ArtifactError
        When ``tuning.json`` is unreadable or of another format (the message says how to redo it).
    """
    stamp = _stamp(loaded.artifacts.root / tuning.TUNING_FILE)
    return None if stamp is None else _tuning(loaded, stamp)


@_data(8)
def decided_by_scores(loaded: Loaded) -> frozenset[str]:
    """Models whose stored test predictions are all the argmax of their stored scores (see
    :func:`core.analysis.answers.scores_decide`): the Draw page asks them once, for scores only."""
    return frozenset(name for name, pred in loaded.predictions.items()
                     if answers.scores_decide(pred.y_pred, pred.scores))


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


@_resource(2, "Loading the map and neighbour index...")
def explore_data(loaded: Loaded) -> Explore:
    """The map and neighbours of the set on show, read once per fingerprint.

    Raises
    ------
    core.artifacts.ArtifactError
        When the set has none (built before they existed) or its files fail their checks.
    """
    arrays = loaded.artifacts.explore()
    return Explore(entry=MappingProxyType(dict(loaded.artifacts.manifest["explore"])),
                   grid=_read_only(map_selection.grid_coords(arrays["coords"])), neighbours=arrays["neighbours"],
                   distances=arrays["distances"], train_images=arrays["train_images"],
                   index=embedding.NeighbourIndex(arrays["train_features"], loaded.data.y_train))


@_resource(2, "Loading the feature space...")
def feature_space(loaded: Loaded):
    """The fitted Pipeline from raw pixel rows to the neighbour feature space (for drawn digits)."""
    return loaded.artifacts.load_feature_space()


@dataclass(frozen=True)
class MapLayer:
    """What the map component draws for one model and colouring (base64 arrays, see
    :func:`core.analysis.map_selection.encode`).

    Attributes
    ----------
    colours : uint8 colour value per test row (:func:`core.analysis.map_selection.colour_values`)
    sizes : uint8 dot diameter per test row in pixels (mistakes larger)
    """

    colours: str
    sizes: str


@_data(4)
def map_coords(loaded: Loaded) -> str:
    """The map's grid coordinates in test-row order, base64 uint16 pairs, encoded once per fingerprint."""
    return map_selection.encode(explore_data(loaded).grid)


@_data(64)
def map_layer(loaded: Loaded, name: str, by: str) -> MapLayer:
    """The map's colours (``by``) and dot sizes for model ``name``."""
    pred = loaded.predictions[name]
    colours = map_selection.colour_values(by, y_true=pred.y_true, y_pred=pred.y_pred,
                                          confidence=confidence(loaded, name))
    sizes = map_selection.dot_sizes(y_true=pred.y_true, y_pred=pred.y_pred)
    return MapLayer(colours=map_selection.encode(colours), sizes=map_selection.encode(sizes))


@_resource(16)
def arrays(loaded: Loaded, name: str) -> Mapping[str, np.ndarray]:
    """Every stored output array of model ``name`` (:meth:`core.artifacts.ArtifactSet.arrays`), read-only."""
    return MappingProxyType(loaded.artifacts.arrays(name))


@_resource(8)
def detector_curves(loaded: Loaded, name: str) -> concept_views.DetectorCurves | None:
    """Cross-validated training and test decision values of detector ``name``, sorted once; None when its
    build stored no training scores (artifacts built before they were added)."""
    stored = arrays(loaded, name)
    if not {"train_true", "train_decision"} <= set(stored):
        return None
    return concept_views.detector_curves(stored["train_true"], stored["train_decision"], stored["y_true"],
                                         stored["scores"][:, 1])


@_resource(16, "Finding label issues...")
def label_issues(loaded: Loaded, source: str = label_quality.COMBINED) -> label_quality.LabelIssues:
    """cleanlab's verdict on every test label from ``source`` (a model name, or
    :data:`core.analysis.label_quality.COMBINED` for the strongest models together), computed once per
    fingerprint; read-only arrays."""
    if source == label_quality.COMBINED:
        accuracy = {n: loaded.artifacts.model_info(n)["metrics"]["test_accuracy"] for n in loaded.multiclass}
        chosen = label_quality.strongest(accuracy)
        proba = label_quality.combine({n: probabilities(loaded, n) for n in chosen})
        words = "mean probabilities of the strongest models by test accuracy: " + ", ".join(map(loaded.title, chosen))
    else:
        proba, words = probabilities(loaded, source), f"probabilities of {loaded.title(source)}"
    return label_quality.label_issues(loaded.data.y_test, proba, source=words)


@_resource(4)
def image_properties(loaded: Loaded) -> pd.DataFrame:
    """The stored properties of every test image (shared: never modify it).

    Raises
    ------
    core.artifacts.ArtifactError
        When the set has none (built before they existed) or the file fails its checks.
    """
    return properties.stored_properties(loaded.artifacts)


@_resource(32, "Finding error slices...")
def error_slices(loaded: Loaded, name: str) -> slices.SliceReport:
    """The error slices of model ``name`` (:func:`core.analysis.slices.find_slices`), found once per model."""
    pred = loaded.predictions[name]
    return slices.find_slices(image_properties(loaded), y_true=pred.y_true, wrong=pred.y_true != pred.y_pred,
                              class_names=pred.class_names)


@_data(32)
def error_bins(loaded: Loaded, name: str) -> dict[str, pd.DataFrame]:
    """Model ``name``'s error rate against each binned image property (:func:`core.analysis.slices.error_by_bins`)."""
    pred = loaded.predictions[name]
    frame = image_properties(loaded)
    return {column: slices.error_by_bins(frame[column], pred.y_true != pred.y_pred) for column in frame}


@_data(8)
def _marks(loaded: Loaded, stamp: tuple[int, int] | None) -> pd.DataFrame:
    return reviews.load_marks(loaded.artifacts.root, loaded.artifacts.dataset["hash"])


def review_marks(loaded: Loaded) -> pd.DataFrame:
    """Every review mark of the set's data (:func:`core.artifacts.reviews.load_marks`), re-read when the file
    changes.

    Raises
    ------
    core.artifacts.reviews.ReviewError
        When the review file is damaged (the message says what to do).
    """
    return _marks(loaded, _stamp(reviews.reviews_path(loaded.artifacts.root, loaded.artifacts.dataset["hash"])))
