import json

import pytest

from core import artifacts as art
from core.artifacts import CorruptArtifacts, IncompatibleArtifacts, MissingArtifacts, load_model, open_artifacts
from core.artifacts.build import build


def test_default_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(art.ARTIFACTS_ENV, raising=False)
    assert art.default_artifacts_dir() == art.REPO_ROOT / "artifacts"
    monkeypatch.setenv(art.ARTIFACTS_ENV, str(tmp_path))
    assert art.default_artifacts_dir() == tmp_path
    with pytest.raises(MissingArtifacts, match="python -m core build"):
        open_artifacts()


def test_atomic_write_leaves_nothing_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.json"
    art.write_json(target, {"a": 1})

    def broken(tmp):
        tmp.write_text("half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        art.atomic_write(target, broken)
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_fingerprint_changes_when_a_build_changes_the_set(tmp_path, digits):
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd", seed=0)
    first = open_artifacts(tmp_path).fingerprint
    assert open_artifacts(tmp_path).fingerprint == first
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd", seed=1)
    assert open_artifacts(tmp_path).fingerprint != first


def test_checksum_mismatch_and_missing_files_are_reported(tmp_path, digits):
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd", seed=0)
    artifacts = open_artifacts(tmp_path)
    model_file = tmp_path / artifacts.model_info("sgd")["files"]["model"]
    model_file.write_bytes(model_file.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(CorruptArtifacts, match="checksum.*python -m core build"):
        load_model(tmp_path, "sgd")
    model_file.unlink()
    with pytest.raises(MissingArtifacts, match="missing"):
        load_model(tmp_path, "sgd")
    with pytest.raises(MissingArtifacts, match="--models knn"):
        artifacts.predictions("knn")
    with pytest.raises(MissingArtifacts, match="manifest.json not found"):
        open_artifacts(tmp_path / "nowhere")


def test_artifacts_from_another_version_are_refused_or_flagged(tmp_path, digits):
    build(dataset=digits, artifacts_dir=tmp_path, models="sgd", seed=0)
    manifest_path = tmp_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["versions"]["sklearn"] = "0.24.2"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IncompatibleArtifacts, match="sklearn 0.24.2"):
        open_artifacts(tmp_path)
    lenient = open_artifacts(tmp_path, strict=False)
    assert lenient.problems and lenient.predictions("sgd").y_pred.shape == (len(digits.y_test),)
    with pytest.raises(IncompatibleArtifacts):
        lenient.load_model("sgd")
    rebuilt = build(dataset=digits, artifacts_dir=tmp_path, models="sgd", seed=0)
    assert rebuilt.built == ["sgd"], "a version change forces a rebuild"
    manifest_path.write_text(json.dumps({**rebuilt.manifest, "format": 99}))
    with pytest.raises(IncompatibleArtifacts, match="format 99"):
        open_artifacts(tmp_path)
    manifest_path.write_text("{not json")
    with pytest.raises(CorruptArtifacts):
        open_artifacts(tmp_path)


def _point(root, name: str, kind: str, target: str, digest: str) -> None:
    """Make the manifest's ``kind`` file of model ``name`` point at ``target`` with a matching checksum."""
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["models"][name]["files"][kind] = target
    manifest["models"][name]["sha256"] = {target: digest}
    manifest["files"][target] = digest
    (root / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture()
def two_models(tmp_path, digits):
    root = tmp_path / "set"
    build(dataset=digits, artifacts_dir=root, models="sgd,rf", seed=0)
    return root


@pytest.mark.parametrize("target", ["../outside.joblib", "models/../../outside.joblib", "OUTSIDE",
                                    "models/sub/rf-x.joblib"])
def test_a_manifest_path_leaving_the_folder_is_refused_before_anything_is_opened(two_models, monkeypatch, target):
    outside = two_models.parent / "outside.joblib"
    outside.write_bytes((two_models / open_artifacts(two_models).model_info("rf")["files"]["model"]).read_bytes())
    target = str(outside) if target == "OUTSIDE" else target
    _point(two_models, "rf", "model", target, art.sha256_file(outside))
    opened = []
    monkeypatch.setattr(art, "sha256_file", lambda path: opened.append(path) or "x")
    monkeypatch.setattr(art.joblib, "load", lambda path: opened.append(path))
    with pytest.raises(CorruptArtifacts, match="edited or damaged"):
        open_artifacts(two_models, strict=False).load_model("rf")
    assert outside not in [art.Path(p).resolve() for p in opened if p is not None]


def test_a_link_out_of_the_folder_is_refused(two_models):
    outside = two_models.parent / "elsewhere.npz"
    outside.write_bytes((two_models / open_artifacts(two_models).model_info("sgd")["files"]["predictions"]).read_bytes())
    link = two_models / "models" / "sgd-link.npz"
    link.symlink_to(outside)
    _point(two_models, "sgd", "predictions", "models/sgd-link.npz", art.sha256_file(outside))
    with pytest.raises(CorruptArtifacts, match="leads outside"):
        open_artifacts(two_models).predictions("sgd")


def test_a_model_path_naming_another_models_file_is_refused(two_models):
    aset = open_artifacts(two_models)
    sgd_file = aset.model_info("sgd")["files"]["model"]
    _point(two_models, "rf", "model", sgd_file, art.sha256_file(two_models / sgd_file))
    with pytest.raises(CorruptArtifacts, match="not one of this folder's artifact files"):
        open_artifacts(two_models).load_model("rf")


def test_a_damaged_predictions_file_with_a_matching_checksum_is_corrupt_not_a_zip_error(two_models):
    relative = open_artifacts(two_models).model_info("sgd")["files"]["predictions"]
    (two_models / relative).write_bytes(b"PK\x03\x04 not really a zip")
    _point(two_models, "sgd", "predictions", relative, art.sha256_file(two_models / relative))
    with pytest.raises(CorruptArtifacts, match="unreadable"):
        open_artifacts(two_models).predictions("sgd")
