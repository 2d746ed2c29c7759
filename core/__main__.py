"""Command line: ``python -m core build | report | explain | tune | import | remove``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

try:  # importing scikit-learn and pandas takes seconds: a Ctrl-C then gets one line, not a traceback
    import pandas as pd
    from tqdm import tqdm

    from core.artifacts import ArtifactError, open_artifacts
    from core.artifacts.build import BuildEvent, build, stop_workers
    from core.artifacts.stage_clock import format_breakdown
    from core.models.cluster import ENV, ClusterError, scheduler_address
    from core.data import DATASETS, DataError, load_dataset
    from core.artifacts.imports import import_model, import_predictions, remove_model
    from core.models import GROUPS, REGISTRY
    from core.models.onnx_model import LAYOUTS, OUTPUTS, SCALES
    from core.artifacts.predictions_file import SCORE_KINDS
    from core.analysis.report import report_json, report_text
    from core.analysis.explanations import explain_test_image, explanation_json, explanation_text
    from core.models.tuning import SEARCHES, SPACES, save_results, summary_table, tune
except KeyboardInterrupt:
    print("interrupted while starting: nothing was read or written", file=sys.stderr, flush=True)
    # Not SystemExit: for an interrupt landing in some imports (seen in namedtuple's exec, the regex
    # parser, numpy.testing), CPython 3.11 still ended the process by SIGINT (status -2) after the
    # one line, in 6 of 48 tries; os._exit gave 130 in 48 of 48. Nothing is open yet.
    os._exit(130)


def _positive(text: str) -> int:
    """A whole number of at least 1, or argparse's one-line usage error saying so."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of images, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}; leave it out to use every image")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core",
                                     description="Digit Lens: build, report, import your own model.")
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="train models and write the artifact folder")
    b.add_argument("--dataset", choices=DATASETS, default="mnist",
                   help="mnist (folder, cache or OpenML download), digits (bundled 8x8), idx (any IDX folder)")
    b.add_argument("--data-dir", help="folder with the four IDX files (default: $MNIST_DIR)")
    b.add_argument("--artifacts", help="artifact folder (default: $DIGIT_LENS_ARTIFACTS or artifacts/)")
    b.add_argument("--models", default="quick",
                   help=f"comma-separated names ({', '.join(REGISTRY)}) or a group ({', '.join(GROUPS)})")
    b.add_argument("--train-size", type=_positive, help="train on a stratified subset of this many images")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--cv", type=int, default=0, help="k-fold cross-validation on the training set (0 = off)")
    b.add_argument("--epochs", type=_positive, help="epochs of the CNN (default 10; it needs requirements-deep.txt)")
    b.add_argument("--threads", type=_positive,
                   help="PyTorch CPU threads of the CNN (default 1: with the other core busy, 2 ran 2.1x slower)")
    _scheduler_option(b, "every model is fitted there as one task, then saved here")
    r = commands.add_parser("report", help="print the model comparison")
    r.add_argument("--artifacts", help="artifact folder (default: $DIGIT_LENS_ARTIFACTS or artifacts/)")
    r.add_argument("--json", action="store_true", help="print one JSON object for scripts")
    r.add_argument("--ablation", action="store_true",
                   help="only the ablation steps, in order, with each step's accuracy gain")
    e = commands.add_parser("explain", help="which ink makes a model give its answer for a test image")
    e.add_argument("name", help="a multiclass model of the artifact set")
    e.add_argument("--image", type=int, required=True, help="test row (as in ?image=N)")
    e.add_argument("--target", help="the class to explain (default: the model's answer)")
    e.add_argument("--other", help="the class to contrast with (default: the true label when the answer is wrong, "
                                   "else the runner-up)")
    e.add_argument("--artifacts", help="artifact folder (default: $DIGIT_LENS_ARTIFACTS or artifacts/)")
    e.add_argument("--json", action="store_true", help="print one JSON object (the map as a list of rows)")
    t = commands.add_parser("tune", help="choose hyper-parameters by cross-validation on training images")
    t.add_argument("--dataset", choices=DATASETS, default="mnist", help="as for build")
    t.add_argument("--data-dir", help="folder with the four IDX files (default: $MNIST_DIR)")
    t.add_argument("--artifacts", help="folder for tuning.json (default: $DIGIT_LENS_ARTIFACTS or artifacts/)")
    t.add_argument("--models", default="sgd,rf,knn,svc", help=f"comma-separated, from {', '.join(SPACES)}")
    t.add_argument("--train-size", type=_positive, default=10_000,
                   help="search on a stratified subset of this many images")
    t.add_argument("--cv", type=int, default=3, help="number of stratified folds")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--search", choices=SEARCHES, default="grid",
                   help="grid: every candidate on all folds; halving: successive halving")
    t.add_argument("--n-jobs", type=int, default=-1, help="joblib workers (-1 = all cores, or all worker threads)")
    _scheduler_option(t, "the candidates' fits on every fold run there as tasks")
    _import_parser(commands)
    rm = commands.add_parser("remove", help="remove a model (e.g. an imported one) from the artifact folder")
    rm.add_argument("name")
    rm.add_argument("--artifacts", help="artifact folder (default: $DIGIT_LENS_ARTIFACTS or artifacts/)")
    return parser


def _scheduler_option(command, what: str) -> None:
    command.add_argument("--scheduler", metavar="ADDRESS",
                         help=f"a Dask scheduler, e.g. tcp://host:8786 (default: ${ENV}): {what} "
                              "(needs: pip install -r requirements-cluster.txt)")


IMPORT_HELP = """Add your own classifier to a built artifact set: its test-set predictions, an ONNX model or a fitted
scikit-learn model. It then shows on every page like a built model. Warning: --model FILE.joblib unpickles the
file, which runs code from it; only import files you trust."""


def _import_parser(commands) -> None:
    i = commands.add_parser("import", help="add your own model: a predictions file, an ONNX or a scikit-learn model",
                            description=IMPORT_HELP)
    i.add_argument("name", help="the model's name in Digit Lens (letters, digits, _)")
    source = i.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", metavar="FILE",
                        help="CSV, Parquet or NPZ, one row per test image (in test order or with an 'index' column): "
                             "a column per class named by the class (0..9), optionally 'predicted'")
    source.add_argument("--model", metavar="FILE",
                        help="FILE.onnx (run with onnxruntime on CPU) or FILE.joblib (a fitted scikit-learn estimator "
                             "on raw 0-255 pixel rows; loading it runs code from the file)")
    i.add_argument("--artifacts", help="artifact folder (default: $DIGIT_LENS_ARTIFACTS or artifacts/)")
    i.add_argument("--title", help="the name shown in the dashboard (default: NAME)")
    i.add_argument("--scores", choices=SCORE_KINDS, default="proba",
                   help="predictions file: the class columns hold probabilities (default) or decision values/logits")
    i.add_argument("--input-layout", choices=LAYOUTS,
                   help="ONNX input: " + ", ".join(f"{k} {v}" for k, v in LAYOUTS.items()) + " (default: from the "
                        "model's input shape)")
    i.add_argument("--input-scale", choices=SCALES,
                   help="ONNX input: " + ", ".join(f"{k} ({v})" for k, v in SCALES.items()) + " (default: uint8 for "
                        "a uint8 input, else unit, or byte where unit is near chance on a sample of the test images "
                        "and byte clearly is not; a declared scale near chance on the test set is refused)")
    i.add_argument("--output", choices=OUTPUTS, default="auto",
                   help="ONNX output: proba, logits (a softmax is applied) or auto (probabilities when every test "
                        "row is)")


def _import(args) -> None:
    if args.predictions:
        result = import_predictions(args.artifacts, args.name, args.predictions, score_kind=args.scores,
                                    title=args.title)
    else:
        result = import_model(args.artifacts, args.name, args.model, layout=args.input_layout,
                              scale=args.input_scale, output=args.output, title=args.title)
    metrics = result.entry["metrics"]
    latency = "" if metrics["predict_ms"] is None else f", {metrics['predict_ms']:.3g} ms per image"
    print(f"added {result.entry['title']} as {result.name!r}: test accuracy {metrics['test_accuracy']:.4f}"
          f"{latency} ({result.seconds:.1f} s) -> {result.root}")
    print(result.entry["description"])


def _tune(args) -> None:
    dataset = load_dataset(args.dataset, data_dir=args.data_dir)
    results = tune(dataset, models=args.models, train_size=args.train_size, cv=args.cv, seed=args.seed,
                   n_jobs=args.n_jobs, search=args.search, scheduler=scheduler_address(args.scheduler),
                   progress=lambda name, index, total: print(f"[{index + 1}/{total}] tuning {name}",
                                                             file=sys.stderr, flush=True))
    path = save_results(results, args.artifacts)
    with pd.option_context("display.width", 200, "display.max_colwidth", 90, "display.precision", 4):
        print(summary_table(results).to_string(index=False))
    print(f"saved -> {path}")


class _Bars:
    """tqdm bars: one over the steps (the models, then the explore analyses), one over the current step's stages."""

    def __init__(self):
        self.overall = None
        self.stages = None

    def __call__(self, event: BuildEvent) -> None:
        if self.overall is None:
            self.overall = tqdm(total=event.total, desc="steps", unit="step", position=0)
        if event.eta_seconds is not None:
            minutes, seconds = divmod(int(round(event.eta_seconds)), 60)
            self.overall.set_postfix_str(f"about {minutes} min {seconds:02d} s left (last build's times)")
        if event.stage == "done":
            self.overall.update(1)
            if self.stages is not None:
                self.stages.close()
                self.stages = None
            return
        if self.stages is None:
            self.stages = tqdm(total=len(event.stages), desc=event.model, unit="stage", position=1, leave=False)
        if event.stage == "skip":
            self.stages.set_postfix_str("up to date")
        else:
            self.stages.n = event.stages.index(event.stage)
            self.stages.set_postfix_str(event.stage)
            self.stages.refresh()

    def close(self):
        if self.overall is not None:
            self.overall.close()


def _terminate(signum, frame) -> None:
    """SIGTERM (``kill``) ends the CLI like Ctrl-C: clean-up and worker shutdown run."""
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.command == "build":
            bars = _Bars()
            try:
                result = build(dataset=args.dataset, data_dir=args.data_dir, artifacts_dir=args.artifacts,
                               models=args.models, train_size=args.train_size, seed=args.seed, cv=args.cv,
                               progress=bars, scheduler=scheduler_address(args.scheduler), epochs=args.epochs,
                               threads=args.threads)
            finally:
                bars.close()
            print(f"built {', '.join(result.built) or 'nothing'}; up to date {', '.join(result.reused) or 'none'}"
                  f" -> {result.root}")
            for name, why in result.skipped.items():
                print(f"skipped {name}: {why}")
            print(format_breakdown(result.manifest["build"]))
            print(report_text(open_artifacts(result.root)))
        elif args.command == "explain":
            found = explain_test_image(open_artifacts(args.artifacts), args.name, row=args.image, target=args.target,
                                       other=args.other)
            print(explanation_json(found) if args.json else explanation_text(found))
        elif args.command == "tune":
            _tune(args)
        elif args.command == "import":
            _import(args)
        elif args.command == "remove":
            removed = remove_model(args.artifacts, args.name)
            print(f"removed {args.name}: deleted {', '.join(removed) or 'no files'}")
        else:
            artifacts = open_artifacts(args.artifacts, strict=False)
            print(report_json(artifacts) if args.json else report_text(artifacts, ablation=args.ablation))
    except (DataError, ArtifactError, ClusterError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the previous artifacts are untouched", file=sys.stderr)
        return 130
    finally:
        stop_workers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
