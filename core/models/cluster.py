"""Run the fits of a build or a search on a Dask cluster the user already has.

``python -m core build|tune --scheduler tcp://host:8786`` (or
``$DASK_SCHEDULER_ADDRESS``) connects a :class:`dask.distributed.Client` and
sends joblib's work through its Dask backend: one model, one CV fold or one
search candidate per task. Everything is written by the submitting process.
Dask is imported here only, and only when a scheduler is given; it is an
optional extra (``pip install -r requirements-cluster.txt``).

Examples
--------
>>> from core.models.cluster import connect, scheduler_address
>>> scheduler_address("tcp://10.0.0.5:8786")
'tcp://10.0.0.5:8786'
>>> with connect("tcp://10.0.0.5:8786") as cluster:  # doctest: +SKIP
...     print(cluster.workers)                        # joblib now runs on the cluster
2
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import joblib

from core.artifacts import runtime_versions

ENV = "DASK_SCHEDULER_ADDRESS"
REQUIREMENTS = "requirements-cluster.txt"
CONNECT_SECONDS = 10
_ON_WORKERS = "from the project folder with its venv (the same requirements as here)"


class ClusterError(Exception):
    """The scheduler cannot be used; the message names the address and what to do."""


@dataclass(frozen=True)
class Cluster:
    """A connected scheduler: its ``address`` and how many ``workers`` and ``threads`` it has."""

    address: str
    workers: int
    threads: int


def scheduler_address(option: str | None) -> str | None:
    """The scheduler to use: ``option``, else ``$DASK_SCHEDULER_ADDRESS``, else None (fit here)."""
    return option or os.environ.get(ENV) or None


def fits_on(scheduler: str | None):
    """:func:`connect` to ``scheduler``, or a context that changes nothing (and imports no dask) for None."""
    return nullcontext() if scheduler is None else connect(scheduler)


@contextmanager
def connect(address: str, *, timeout: float | None = None) -> Iterator[Cluster]:
    """Within the block, joblib (and so scikit-learn's ``n_jobs``) runs on the scheduler at ``address``.

    ``timeout`` (default :data:`CONNECT_SECONDS`) bounds the wait for the
    scheduler and then for its first worker.

    Raises
    ------
    ClusterError
        When dask is not installed, the scheduler does not answer within
        ``timeout`` seconds, it has no workers, or its workers cannot unpickle
        this machine's models (another scikit-learn, numpy or Python, or no
        ``core`` package).
    """
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(f"--scheduler needs dask.distributed, which is not installed: "
                           f"pip install -r {REQUIREMENTS}") from None
    timeout = CONNECT_SECONDS if timeout is None else timeout
    try:
        client = Client(address, timeout=f"{timeout}s")
    except Exception as exc:  # noqa: BLE001 - any failure to connect (timeout, refused, not a scheduler) is one line
        raise ClusterError(f"cannot use the Dask scheduler at {address} ({_first_line(exc)}): check the address "
                           f"(tcp://host:8786) and that 'dask scheduler' runs there, or leave out --scheduler "
                           f"to run here") from None
    try:
        cluster = _check(client, address, timeout=timeout)
        with joblib.parallel_config(backend="dask"):
            yield cluster
    finally:
        client.close()


def _check(client, address: str, *, timeout: float) -> Cluster:
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise ClusterError(f"the Dask scheduler at {address} has no workers after {timeout:g} s: start some with "
                           f"'dask worker {address}' {_ON_WORKERS}") from None
    try:
        versions = client.run(runtime_versions)
    except ImportError as exc:
        raise ClusterError(f"the workers of {address} cannot import Digit Lens ({_first_line(exc)}): start "
                           f"'dask worker {address}' {_ON_WORKERS}") from None
    here = runtime_versions()
    for worker, theirs in versions.items():
        if theirs != here:
            differ = ", ".join(f"{k} {theirs.get(k)} (here {v})" for k, v in here.items() if theirs.get(k) != v)
            raise ClusterError(f"worker {worker} of {address} has {differ}: models fitted there would not load "
                               f"here; start 'dask worker {address}' {_ON_WORKERS}")
    threads = client.nthreads()
    return Cluster(address=address, workers=len(threads), threads=sum(threads.values()))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


__all__ = ["CONNECT_SECONDS", "ENV", "REQUIREMENTS", "Cluster", "ClusterError", "connect", "fits_on",
           "scheduler_address"]
