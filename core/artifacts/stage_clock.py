"""Where a build's time goes: a clock that turns the build's progress events into a per-stage breakdown.

The clock starts when the build starts and every stage runs until the next one begins, so the stages tile the
build's wall time: what falls between two models (``"done"`` to the next model's first stage) is counted under the
step ``"other"``. The build stores the breakdown in the manifest (``build``), prints it and ``report --json`` carries
it.

Examples
--------
>>> ticks = iter([0.0, 0.0, 1.0, 3.5, 4.0])
>>> clock = StageClock(lambda event: None, now=lambda: next(ticks))
>>> clock.begin("data", "load")
>>> clock.begin("sgd", "fit")
>>> clock.begin("sgd", "predict")
>>> clock.finish()["stages"]
[{'step': 'data', 'stage': 'load', 'seconds': 1.0}, {'step': 'sgd', 'stage': 'fit', 'seconds': 2.5}, {'step': 'sgd', 'stage': 'predict', 'seconds': 0.5}]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

#: The step under which time between two steps is counted.
OTHER = "other"


def step_seconds(breakdown: dict | None) -> dict[str, float]:
    """Seconds per step of a stored breakdown (a previous build's), ``{}`` for none.

    Examples
    --------
    >>> step_seconds({"wall_seconds": 3, "stages": [{"step": "sgd", "stage": "fit", "seconds": 2.0},
    ...                                             {"step": "sgd", "stage": "cv", "seconds": 1.0}]})
    {'sgd': 3.0}
    """
    totals: dict[str, float] = {}
    for row in (breakdown or {}).get("stages", []):
        totals[row["step"]] = totals.get(row["step"], 0.0) + float(row["seconds"])
    return totals


class StageClock:
    """Times the stages of a build; call it with each :class:`core.artifacts.build.BuildEvent` (it passes them on
    to ``notify``), or :meth:`begin` a stage the events do not name (loading data, writing the manifest).

    Once given the build's :meth:`plan` and the previous build's breakdown, it adds to each event it passes on
    the seconds the rest of the plan took last time (``eta_seconds``; None while a step ahead has no timing).
    """

    def __init__(self, notify: Callable, *, now: Callable[[], float] = time.perf_counter):
        self._notify, self._now = notify, now
        self._start = now()
        self._current: tuple[str, str] | None = (OTHER, "between steps")
        self._since = self._start
        self._stages: dict[tuple[str, str], float] = {}
        self._plan: list[str] = []
        self._expected: dict[str, float] = {}
        self._step_start: tuple[str, float] | None = None

    def plan(self, steps: list[str], previous: dict | None) -> None:
        """The steps this build will go through, in order, and the previous build's breakdown (or None)."""
        self._plan, self._expected = list(steps), step_seconds(previous)

    def __call__(self, event) -> None:
        if event.stage in ("done", "skip"):
            self.begin(OTHER, "between steps")
        else:
            self.begin(event.model, event.stage)
            if self._step_start is None or self._step_start[0] != event.model:
                self._step_start = (event.model, self._since)
        self._notify(replace(event, eta_seconds=self._eta(event)))

    def _eta(self, event) -> float | None:
        if not self._expected or event.model not in self._plan:
            return None
        ahead = self._plan[self._plan.index(event.model) + 1:]
        if any(step not in self._expected for step in ahead):
            return None
        later = sum(self._expected[step] for step in ahead)
        if event.stage in ("done", "skip"):
            return later
        if event.model not in self._expected:
            return None
        return later + max(0.0, self._expected[event.model] - (self._now() - self._step_start[1]))

    def begin(self, step: str, stage: str) -> None:
        """End the current stage and start ``stage`` of ``step`` (a stage met again adds to its time)."""
        now = self._now()
        if self._current is not None:
            self._stages[self._current] = self._stages.get(self._current, 0.0) + now - self._since
        self._current, self._since = (step, stage), now

    def finish(self) -> dict:
        """End the current stage: ``{"wall_seconds": ..., "stages": [{"step", "stage", "seconds"}, ...]}``, the
        stages in the order they first began."""
        self.begin(OTHER, "between steps")
        self._current = None
        stages = [{"step": step, "stage": stage, "seconds": round(seconds, 3)}
                  for (step, stage), seconds in self._stages.items() if seconds > 0 or step != OTHER]
        return {"wall_seconds": round(self._since - self._start, 3), "stages": stages}


def format_breakdown(breakdown: dict) -> str:
    """The breakdown as lines of text, a line per step with its total and its stages, slowest step first.

    Examples
    --------
    >>> print(format_breakdown({"wall_seconds": 4.0, "stages": [{"step": "data", "stage": "load", "seconds": 1.0},
    ...       {"step": "sgd", "stage": "fit", "seconds": 2.5}, {"step": "sgd", "stage": "cv", "seconds": 0.5}]}))
    where the time went (4.0 s wall):
      sgd     3.0 s  fit 2.5, cv 0.5
      data    1.0 s  load 1.0
    """
    steps: dict[str, list[dict]] = {}
    for row in breakdown["stages"]:
        steps.setdefault(row["step"], []).append(row)
    width = max((len(step) for step in steps), default=4)
    lines = [f"where the time went ({breakdown['wall_seconds']:.1f} s wall):"]
    for step, rows in sorted(steps.items(), key=lambda item: -sum(r["seconds"] for r in item[1])):
        parts = ", ".join(f"{r['stage']} {r['seconds']:.1f}" for r in rows)
        lines.append(f"  {step:<{width}}  {sum(r['seconds'] for r in rows):5.1f} s  {parts}")
    return "\n".join(lines)
