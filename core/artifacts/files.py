"""Writing the artifact folder safely: atomic writes, checksums and the build lock; and the errors and
commands every artifact message names.

A file is written beside its target and renamed into place, so a reader never
sees half a file; a build holds an OS file lock on the folder, so a second
build is refused at once, saying who holds it.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> write_json(folder / "a.json", {"ok": True})
>>> len(sha256_file(folder / "a.json"))
64
>>> with build_lock(folder):
...     build_holder(folder) is not None
True
>>> build_holder(folder) is None
True
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
from filelock import FileLock, Timeout


def python_command() -> str:
    """The interpreter running this code, as a user would type it: relative to the working folder when it
    lies inside it (``.venv/bin/python``), else absolute. A bare ``python`` can be another interpreter."""
    executable = Path(sys.executable)
    try:
        return shlex.quote(str(executable.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(executable))


def build_command(root) -> str:
    """The command that builds the artifact folder ``root``."""
    return f"{python_command()} -m core build --artifacts {shlex.quote(str(root))}"


class ArtifactError(Exception):
    """Artifacts cannot be used as they are; the message says what to do."""


class MissingArtifacts(ArtifactError):
    """No manifest, or a file the manifest names is gone."""


class IncompatibleArtifacts(ArtifactError):
    """Written by another artifact format or another scikit-learn version."""


class BuildInProgress(ArtifactError):
    """Another build holds the folder's lock."""


class CorruptArtifacts(ArtifactError):
    """A file does not match its checksum or cannot be parsed."""


class PredictionsOnly(ArtifactError):
    """The model was imported as test predictions only: there is nothing to score new images with."""


def sha256_file(path) -> str:
    """SHA-256 hex digest of the file at ``path``, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename into ``path``, so readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2)))


def write_npz(path: Path, arrays: dict) -> None:
    def write(tmp: Path):
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    atomic_write(path, write)


def write_model(path: Path, model) -> None:
    atomic_write(path, lambda tmp: joblib.dump(model, tmp))


LOCK_FILE = ".build.lock"
OWNER_FILE = ".build.owner"


@contextmanager
def build_lock(root: Path):
    """Hold the artifact folder's build lock (an OS file lock), or raise :class:`BuildInProgress` at once.

    Two builds into one folder would delete each other's files; the second is
    refused with who holds the lock (process, host, start time) so the user can
    wait for it or pick another folder. The lock dies with its process, so a
    killed build never leaves the folder locked.
    """
    if root.exists() and not root.is_dir():
        raise ArtifactError(f"{root} is a file, not a folder; name a folder for the artifacts with --artifacts.")
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(root / LOCK_FILE, timeout=0)
        lock.acquire()
    except Timeout:
        raise BuildInProgress(f"Another build is writing to {root} ({_owner(root)}). Wait for it to finish, "
                              "or build into another folder with --artifacts.") from None
    except OSError as exc:
        raise ArtifactError(f"Cannot write to {root} ({exc.strerror or exc}); nothing was trained. Choose a folder "
                            "you can write with --artifacts.") from None
    try:
        write_json(root / OWNER_FILE, {"pid": os.getpid(), "host": platform.node(),
                                       "started": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        yield
    finally:
        (root / OWNER_FILE).unlink(missing_ok=True)
        lock.release()


def build_holder(root) -> str | None:
    """Who is building into ``root`` right now (process, host, start), None when no build runs there."""
    path = Path(root) / LOCK_FILE
    if not path.is_file():
        return None
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return _owner(Path(root))
    except OSError:
        return None
    lock.release()
    return None


def _owner(root: Path) -> str:
    try:
        owner = json.loads((root / OWNER_FILE).read_text())
        return f"process {owner['pid']} on {owner['host']}, started {owner['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


__all__ = [
    "LOCK_FILE", "OWNER_FILE", "ArtifactError", "BuildInProgress", "CorruptArtifacts", "IncompatibleArtifacts",
    "MissingArtifacts", "PredictionsOnly", "atomic_write", "build_command", "build_holder", "build_lock",
    "python_command", "sha256_file", "write_json", "write_model", "write_npz",
]
