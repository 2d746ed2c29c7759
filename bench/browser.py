"""Time the dashboard as a user feels it: a real ``streamlit run`` server and Debian's chromium.

For every interaction it prints, over repeats (median and 95th percentile):

* ``frame``: milliseconds from the user's action (key press, mouse release,
  file chosen; navigation start for a cold open) to the websocket frame that
  ends the rerun (Streamlit's ``script_finished``), on the page's own clock;
* ``drawn``: milliseconds until the page stopped changing (no running script,
  no stale element, every image loaded, every chart drawn, no DOM change for
  250 ms), measured to the last DOM change;
* ``KiB``: websocket bytes the tab received for it;
* ``x trivial``: the frame time as a ratio to the slider step of a trivial
  Streamlit app (``bench/trivial_app.py``, a slider and one metric) timed in
  the same run, interleaved, so the figures hold on a noisy machine.

The Thresholds slider lives in a component that redraws in the tab, without
the server: its ``threshold step`` is timed from the key press to the panel's
DOM change (``frame``: the data is there, as a rerun's last frame brings it)
and to the first paint after it (``drawn``), and, for the steps that asked
Python for gallery images the tab lacked, ``threshold: answer`` from the
panel sending the position to the last frame of Python's answer; the step's
KiB count both. Arrow-key steps stay among the images the tab holds; jumps of
20 positions (PageUp/PageDown) need Python's answer.

The Errors page's matrix panel holds the first gallery page of a model's
likeliest cells (and every page it was sent): ``cell click -> gallery`` is
timed from the mouse release to the panel showing the cell's images (at once
for a page in the tab, else with Python's answer) and to the paint after;
``cell: Python's answer`` to the last frame of the rerun each click starts,
which confirms the cell (the URL) or brings the page.

Interactions: every page opened cold (new tab) and warm (sidebar switch), a
Thresholds slider step, a model switch, a confusion-cell click to its gallery,
a gallery page change, a lasso on the Explore map to its gallery, a colour
switch of the map, a gallery image to its story dialog, a drawn stroke to
every model's answer and an upload.
``--sessions N`` then runs N tabs at once (each its own session) that open the
Thresholds page and step its slider, and prints p50/p95, errors and the
server's memory. Its baseline is one session alone taking as many steps the
same way (same pacing, same waits), so both p95s are over the same number of
steps; the trivial app's sessions are run and printed alike. Everything talks to 127.0.0.1 only and every wait
is bounded.
The waits are promises in the page (``bench/page_js.py``), answered in one
round trip, not polls: the instrument's own work in ten tabs took as much CPU
as the steps it timed and made the ten-session p95 its own.

Usage::

    python -m bench.browser --artifacts DIR [--repeat 20] [--sessions 10]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.async_api import async_playwright

from bench.page_js import HELD_JS, QUIET_JS, SETTLED_WATCH_JS, SINCE_JS, STEP_DONE_JS, WATCH_JS
from bench.wsprobe import INIT_JS, Tap
from core.artifacts import ArtifactError, default_artifacts_dir, open_artifacts
from core.analysis.evaluation import confusion

REPO_ROOT = Path(__file__).resolve().parents[1]

APP = REPO_ROOT / "dashboard" / "streamlit_app.py"
TRIVIAL = REPO_ROOT / "bench" / "trivial_app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PAGES = ["data", "models", "errors", "explore", "labels", "slices", "thresholds", "draw", "concepts"]
QUIET_MS = 250
TIMEOUT_MS = 60_000
SLIDER = '[data-testid="stSlider"] input[type="range"]'
TARGETS = {"threshold step": "<= 1.5x trivial, <= 30 KiB", "cell click -> gallery": "<= 2x trivial",
           "drawn stroke -> answers": "<= 3x trivial", "warm open": "frame <= 800 ms",
           "warm open /explore": "frame <= 1,500 ms", "map selection -> gallery": "<= 3x trivial",
           "map colour switch": "<= 150 KiB"}


@dataclass(frozen=True)
class Sample:
    """One timed interaction: ms to the run's last frame, ms until drawn, bytes received."""

    frame_ms: float
    drawn_ms: float
    nbytes: int


class Server:
    """``streamlit run SCRIPT`` from folder ``cwd`` on a free loopback port, stopped on exit; its output goes to
    ``log``."""

    def __init__(self, script: Path, env: dict[str, str], *, log: Path | None = None, cwd: Path = REPO_ROOT):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                   "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
        with open(log or os.devnull, "wb") as out:
            self.process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=out,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        output = log.read_text() if log else ""
        raise RuntimeError(f"streamlit run {script} did not start within 90 s (exit {self.process.returncode})"
                           f"\n{output}")

    def memory_mb(self) -> tuple[float, float]:
        """Current and peak resident memory of the server process, in MB."""
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def running(script: Path, env: dict[str, str]):
    server = Server(script, env)
    try:
        yield server
    finally:
        server.stop()


class Tab:
    """A browser tab (own context, own Streamlit session) with the frame probe installed."""

    def __init__(self, context, page):
        self.context, self.page = context, page
        self.tap = Tap(page)

    @classmethod
    async def open(cls, browser, base_url: str, *, height: int = 2400) -> Tab:
        context = await browser.new_context(viewport={"width": 1400, "height": height}, base_url=base_url)
        await context.add_init_script(INIT_JS)
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        return cls(context, page)

    async def close(self) -> None:
        await self.context.close()

    async def drawn(self) -> int:
        """Wait until the page is drawn (:data:`bench.wsprobe.DRAWN_JS`, checked in the page every 50 ms); the
        probe's frame
        count then."""
        return await self.promised(QUIET_JS, QUIET_MS)

    async def settle(self) -> None:
        """Wait until the page is drawn and no frame is in flight."""
        await self.caught_up(await self.drawn())

    async def caught_up(self, count: int) -> None:
        """Wait until this side has decoded the ``count`` frames the page received."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while len(self.tap.kinds) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count - len(self.tap.kinds)} websocket frames not seen within the time limit")
            await asyncio.sleep(0.005)

    async def measure(self, act, *, cold: bool = False) -> Sample:
        """Run ``act()`` and time it from the user's input (or navigation start) to the end of its rerun."""
        if cold:
            start, mark = 0, 0.0
        else:
            await self.settle()
            start, mark = await self.page.evaluate("[window.__probe.frames.length, performance.now()]")
        await act()
        end = await self.finished(start)
        await self.drawn()
        probe = await self.since(start, mark)
        inputs = [t for _, t in probe["inputs"]]
        t0 = 0.0 if cold else (max(inputs) if inputs else mark)
        last = probe["frames"][end - start][0]
        return Sample(frame_ms=last - t0, drawn_ms=max(last, probe["lastMutation"]) - t0,
                      nbytes=sum(size for _, size in probe["frames"]))

    async def finished(self, start: int) -> int:
        """Wait for the ``script_finished`` frame at or after frame ``start``; its index."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while (end := self.tap.finished_after(start)) is None:
            if time.monotonic() > deadline:
                raise TimeoutError("no script_finished frame within the time limit")
            await asyncio.sleep(0.005)
        return end

    async def since(self, start: int, mark: float) -> dict:
        """What the probe recorded from frame ``start`` and page time ``mark`` on (``frames[0]`` is frame
        ``start``): only that travels, so measuring ten tabs does not serialise every tab's whole history on
        every step."""
        return await self.page.evaluate(SINCE_JS, [start, mark])

    async def promised(self, script: str, arg=None):
        """What the promise ``script`` returns resolves to, within the time limit."""
        return await asyncio.wait_for(self.page.evaluate(script, arg), TIMEOUT_MS / 1000)

    async def goto(self, path: str) -> Sample:
        """Open ``path`` in this tab; timed from navigation start."""
        self.tap.reset()
        return await self.measure(lambda: self.page.goto(path), cold=True)

    async def errors(self) -> int:
        return await self.page.locator('[data-testid="stException"]').count()


def png_bytes(image: np.ndarray, side: int = 280) -> bytes:
    """A test digit as a photo-sized PNG, as a user would upload it."""
    buffer = io.BytesIO()
    Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR).save(buffer, format="PNG")
    return buffer.getvalue()


async def slider_step(tab: Tab, key: str = "ArrowRight") -> Sample:
    slider = tab.page.locator(SLIDER).first
    await slider.focus()
    return await tab.measure(lambda: slider.press(key))


async def panel_step(tab: Tab, key: str) -> tuple[Sample, Sample | None]:
    """One step of the Thresholds panel's slider, which redraws in the tab without the server.

    Returns the step (key press to the panel's DOM change, the counterpart of a rerun's last frame, and
    to the first paint after it; bytes until Python has answered, if it was asked) and Python's answer
    when the step asked for gallery images (the panel sending the position to the last frame of that
    fragment run), else None.
    """
    start, mark, sent_before = await tab.promised(SETTLED_WATCH_JS, [".dl-thr", None, "input[type=range]", QUIET_MS])
    await tab.page.keyboard.press(key)
    probe = await tab.promised(STEP_DONE_JS, [".dl-thr", start, mark, QUIET_MS])
    await tab.caught_up(probe["count"])
    t0 = max(t for _, t in probe["inputs"])
    nbytes = sum(size for _, size in probe["frames"])
    step = Sample(probe["changed"] - t0, probe["painted"] - t0, nbytes)
    end = tab.tap.finished_after(start)
    sent_at = probe["sentAt"]
    if sent_at == sent_before or end is None:
        return step, None
    last = probe["frames"][end - start][0] - sent_at
    return step, Sample(last, last, nbytes)


async def click_cell(tab: Tab, true: int, predicted: int, n_classes: int) -> tuple[Sample, Sample, bool]:
    """Click confusion cell (true, predicted) of the Errors page's matrix panel (not the cell shown).

    Returns the click (to the panel showing the cell's images: at once when the tab holds its page, else with
    Python's answer; and to the first paint after), Python's answer (the click to the last frame of the rerun
    it starts; both count its bytes) and whether the tab held the page.
    """
    index = true * n_classes + predicted
    panel = tab.page.locator(".st-key-errors_matrix .dl-cells")
    cell = panel.locator(f'td[data-cell="{index}"]')
    await cell.wait_for()
    await tab.settle()
    held = await panel.evaluate(HELD_JS, index)
    start, mark, _ = await tab.page.evaluate(WATCH_JS, [".dl-cells", index, None])
    await cell.click()
    watched = await tab.promised("window.__watched")
    end = await tab.finished(start)
    await tab.settle()
    probe = await tab.since(start, mark)
    t0 = max(t for _, t in probe["inputs"])
    nbytes = sum(size for _, size in probe["frames"])
    last = probe["frames"][end - start][0] - t0
    return Sample(watched["changed"] - t0, watched["painted"] - t0, nbytes), Sample(last, last, nbytes), held


async def switch_model(tab: Tab, title: str) -> Sample:
    await tab.page.locator(".st-key-errors_model_pick [role='combobox']").click()
    return await tab.measure(lambda: tab.page.get_by_role("option", name=title, exact=True).click())


async def turn_gallery_page(tab: Tab) -> Sample:
    """The gallery's next page, or the previous one on its last page."""
    button = tab.page.get_by_role("button", name="Next page").first
    if await button.is_disabled():
        button = tab.page.get_by_role("button", name="Previous page").first
    return await tab.measure(lambda: button.click())


async def drag(tab: Tab, target, shape: list[tuple[float, float]], *, steps: int) -> Sample:
    """Press, move through ``shape`` (fractions of ``target``'s box) and release; timed from the release."""
    await target.wait_for()
    box = await target.bounding_box()
    points = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in shape]

    async def draw():
        await tab.page.mouse.move(*points[0])
        await tab.page.mouse.down()
        for x, y in points[1:]:
            await tab.page.mouse.move(x, y, steps=steps)
        await tab.page.mouse.up()

    return await tab.measure(draw)


async def stroke(tab: Tab, shape: list[tuple[float, float]]) -> Sample:
    sample = await drag(tab, tab.page.locator(".st-key-draw_canvas canvas.dl-ink").first, shape, steps=6)
    await tab.measure(lambda: tab.page.get_by_role("button", name="Clear", exact=True).click())
    return sample


SHAPES = [[(0.28, 0.2), (0.72, 0.2), (0.62, 0.4), (0.52, 0.62), (0.45, 0.85)],
          [(0.5, 0.15), (0.5, 0.85)],
          [(0.3, 0.25), (0.6, 0.2), (0.7, 0.4), (0.3, 0.8), (0.75, 0.8)]]


async def upload(tab: Tab, payload: bytes) -> Sample:
    chooser = tab.page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    return await tab.measure(lambda: chooser.set_input_files(
        files=[{"name": "digit.png", "mimeType": "image/png", "buffer": payload}]))


def summary(samples: list[Sample], reference: float) -> dict[str, float]:
    frame = np.array([s.frame_ms for s in samples])
    drawn = np.array([s.drawn_ms for s in samples])
    return {"n": len(samples), "frame50": np.median(frame), "frame95": np.percentile(frame, 95),
            "ratio": np.median(frame) / reference, "drawn50": np.median(drawn),
            "drawn95": np.percentile(drawn, 95), "kib": np.median([s.nbytes for s in samples]) / 1024}


def print_table(results: dict[str, list[Sample]], reference: float) -> None:
    print(f"\n{'interaction':<28}{'n':>4}{'frame p50':>11}{'p95':>8}{'x trivial':>11}{'drawn p50':>11}{'p95':>8}"
          f"{'KiB':>8}   target")
    for name, samples in results.items():
        if not samples:
            continue
        s = summary(samples, reference)
        print(f"{name:<28}{s['n']:>4}{s['frame50']:>11.0f}{s['frame95']:>8.0f}{s['ratio']:>11.2f}"
              f"{s['drawn50']:>11.0f}{s['drawn95']:>8.0f}{s['kib']:>8.1f}   {TARGETS.get(name, '')}")


PARTS = ("open", "threshold", "errors", "explore", "draw")


async def single_session(browser, app: Server, trivial: Server, aset, repeat: int, cold: int,
                         parts=PARTS) -> dict:
    rng = random.Random(0)
    names = [n for n in aset.model_names if aset.model_info(n)["task"] == "multiclass"]
    results: dict[str, list[Sample]] = {"trivial slider step": []}
    for path in PAGES if "open" in parts else ():
        results[f"cold open /{path}"] = []
        for _ in range(cold):
            tab = await Tab.open(browser, app.url)
            results[f"cold open /{path}"].append(await tab.goto(f"/{path}"))
            await tab.close()

    reference = await Tab.open(browser, trivial.url)
    await reference.goto("/")
    tab = await Tab.open(browser, app.url)
    await tab.goto("/data")
    results["warm open"], results["warm open /explore"] = [], []
    for _ in range(max(1, repeat // len(PAGES)) if "open" in parts else 0):
        for path in PAGES[1:] + PAGES[:1]:
            link = tab.page.locator(f'[data-testid="stSidebarNavLink"][href$="/{path}"]')
            sample = await tab.measure(lambda: link.click())
            results["warm open"].append(sample)
            if path == "explore":
                results["warm open /explore"].append(sample)

    await tab.measure(lambda: tab.page.locator('[data-testid="stSidebarNavLink"][href$="/thresholds"]').click())
    results["threshold step"], results["threshold: answer"] = [], []
    for i in range(repeat if "threshold" in parts else 0):
        results["trivial slider step"].append(await slider_step(reference, rng.choice(["ArrowRight", "ArrowLeft"])))
        step, answer = await panel_step(tab, "ArrowRight" if i % 4 < 2 else "ArrowLeft")
        results["threshold step"].append(step)
        results["threshold: answer"] += [answer] if answer else []
    results["threshold jump (PageUp/Down)"] = []
    for i in range(min(repeat, 10) if "threshold" in parts else 0):
        step, answer = await panel_step(tab, "PageUp" if i % 4 < 2 else "PageDown")
        results["threshold jump (PageUp/Down)"].append(step)
        results["threshold: answer"] += [answer] if answer else []

    if "errors" in parts:
        await errors_page(tab, reference, aset, names, results, repeat, rng)
    if "explore" in parts:
        await explore_page(tab, reference, aset, names, results, repeat, rng)
    if "draw" in parts:
        await draw_page(tab, reference, aset, results, repeat)
    errors = await tab.errors()
    await tab.close()
    await reference.close()
    return {"results": results, "errors": errors}


async def errors_page(tab: Tab, reference: Tab, aset, names: list[str], results: dict, repeat: int, rng) -> None:
    model = "rf" if "rf" in names else names[0]
    await tab.goto(f"/errors?model={model}")
    await tab.page.locator('.st-key-errors_matrix .dl-cells[data-ahead="sent"]').wait_for()
    pred = aset.predictions(model)
    counts = confusion(pred.y_true, pred.y_pred, n_classes=len(pred.class_names))
    cells = [tuple(c) for c in np.argwhere(counts > 0)]
    for name in ("cell click -> gallery", "cell: page in the tab", "cell: page from Python", "cell: Python's answer"):
        results[name] = []
    shown = None
    for _ in range(repeat):
        results["trivial slider step"].append(await slider_step(reference))
        true, predicted = cells[rng.randrange(len(cells))]
        while (true, predicted) == shown:
            true, predicted = cells[rng.randrange(len(cells))]
        click, answer, held = await click_cell(tab, int(true), int(predicted), counts.shape[0])
        shown = (true, predicted)
        results["cell click -> gallery"].append(click)
        results["cell: page in the tab" if held else "cell: page from Python"].append(click)
        results["cell: Python's answer"].append(answer)
    busiest = int(np.argmax(np.diag(counts)))
    if (busiest, busiest) != shown:
        await click_cell(tab, busiest, busiest, counts.shape[0])
    results["gallery page change"] = []
    for _ in range(min(repeat, 10)):
        results["gallery page change"].append(await turn_gallery_page(tab))
    results["model switch"] = []
    for i in range(min(repeat, 10)):
        other = names[(names.index(model) + 1 + i) % len(names)]
        results["model switch"].append(await switch_model(tab, aset.model_info(other)["title"]))


async def lasso(tab: Tab, rng) -> Sample:
    """A lasso around a random rectangle of the map, timed from the mouse release."""
    x0, y0 = rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.6)
    x1, y1 = x0 + rng.uniform(0.1, 0.3), y0 + rng.uniform(0.1, 0.3)
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return await drag(tab, tab.page.locator(".st-key-explore_map canvas.dl-overlay"), corners, steps=4)


async def explore_page(tab: Tab, reference: Tab, aset, names: list[str], results: dict, repeat: int, rng) -> None:
    model = "rf" if "rf" in names else names[0]
    await tab.goto(f"/explore?model={model}")
    results["map selection -> gallery"] = []
    for _ in range(repeat):
        results["trivial slider step"].append(await slider_step(reference))
        results["map selection -> gallery"].append(await lasso(tab, rng))
    results["map colour switch"] = []
    for i in range(min(repeat, 8)):
        label = ["true digit", "prediction", "confidence", "right / wrong"][i % 4]
        button = tab.page.locator(".st-key-explore_colour_pick").get_by_role("radio", name=label, exact=True)
        results["map colour switch"].append(await tab.measure(lambda: button.click()))
    results["map gallery page change"] = []
    for _ in range(min(repeat, 8)):
        results["map gallery page change"].append(await turn_gallery_page(tab))
    results["gallery image -> story"] = []
    for i in range(min(repeat, 8)):
        figure = tab.page.locator(".st-key-explore_gallery figure").nth(i % 6)
        results["gallery image -> story"].append(await tab.measure(lambda: figure.click()))
        await tab.page.keyboard.press("Escape")
        await tab.page.get_by_role("dialog").wait_for(state="detached")


async def draw_page(tab: Tab, reference: Tab, aset, results: dict, repeat: int) -> None:
    await tab.goto("/draw")
    results["drawn stroke -> answers"] = []
    for i in range(repeat):
        results["trivial slider step"].append(await slider_step(reference))
        results["drawn stroke -> answers"].append(await stroke(tab, SHAPES[i % len(SHAPES)]))
    await tab.measure(lambda: tab.page.get_by_role("radio", name="Upload a picture").click())
    data = aset.data()
    side = data.image_shape[0]
    results["upload -> answers"] = []
    for i in range(min(repeat, 10)):
        results["upload -> answers"].append(await upload(tab, png_bytes(data.X_test[i].reshape(side, side))))


async def concurrent_sessions(browser, app: Server, n: int, steps: int, path: str = "/thresholds") -> dict:
    """``n`` tabs at once: each opens ``path`` cold and, once every tab has opened, steps its slider
    ``steps`` times (the Thresholds panel's on ``/thresholds``, where Python's answers are kept apart, else
    the page's first slider). The steps wait for all opens so that they measure ``n`` users interacting at
    once, not one user's step against nine tabs still loading Streamlit's bundle on the same cores."""
    opens, moves, answers, errors = [], [], [], []
    peak = [0.0]
    opened = asyncio.Barrier(n)

    async def one(i: int) -> None:
        tab = await Tab.open(browser, app.url, height=1400)
        try:
            try:
                opens.append(await tab.goto(path))
            finally:
                await asyncio.wait_for(opened.wait(), timeout=300)
            for step in range(steps):
                await asyncio.sleep(random.Random(i * 1000 + step).uniform(0.05, 0.4))
                key = "ArrowRight" if step % 4 < 2 else "ArrowLeft"
                if path == "/thresholds":
                    move, answer = await panel_step(tab, key)
                    answers.extend([answer] if answer else [])
                else:
                    move = await slider_step(tab, key)
                moves.append(move)
            if await tab.errors():
                errors.append(f"session {i}: exception shown")
        except Exception as exc:  # noqa: BLE001 - every failure is counted and printed, not raised
            errors.append(f"session {i}: {type(exc).__name__}: {exc}")
        finally:
            await tab.close()

    async def watch() -> None:
        while True:
            peak[0] = max(peak[0], app.memory_mb()[0])
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), timeout=600)
    watcher.cancel()
    return {"opens": opens, "moves": moves, "answers": answers, "errors": errors, "rss_peak": peak[0]}


async def sessions_report(browser, app: Server, trivial: Server, n: int, steps: int, reference: float) -> None:
    """Print ``n`` concurrent sessions against one session alone taking as many steps, the same way (the
    trivial app's first): a p95 over the same number of steps, and the ratio the target is set on."""
    alone = {name: await concurrent_sessions(browser, server, 1, n * steps, path=path)
             for name, server, path in (("trivial", trivial, "/"), ("dashboard", app, "/thresholds"))}
    base = await concurrent_sessions(browser, trivial, n, steps, path="/")
    many = await concurrent_sessions(browser, app, n, steps)
    print(f"\n{n} concurrent sessions, {steps} slider steps each, after one session alone taking {n * steps} "
          "(the trivial app's first; all tabs share this machine's 2 cores with the servers):")
    print_table({"trivial: slider step, alone": alone["trivial"]["moves"], "trivial: cold open": base["opens"],
                 "trivial: slider step": base["moves"], "threshold step, alone": alone["dashboard"]["moves"],
                 "cold open /thresholds": many["opens"], "threshold step": many["moves"],
                 "threshold: answer": many["answers"]}, reference)
    p95 = {name: float(np.percentile([s.frame_ms for s in samples], 95)) for name, samples in (
        ("trivial alone", alone["trivial"]["moves"]), ("trivial", base["moves"]),
        ("alone", alone["dashboard"]["moves"]), ("many", many["moves"]))}
    print(f"threshold step p95: {p95['many']:.1f} ms = {p95['many'] / p95['alone']:.2f}x the one-session p95 "
          f"({p95['alone']:.1f} ms); target <= 4x. The trivial app's: {p95['trivial']:.0f} ms = "
          f"{p95['trivial'] / p95['trivial alone']:.2f}x its {p95['trivial alone']:.0f} ms")
    errors = [e for result in (*alone.values(), base, many) for e in result["errors"]]
    print(f"errors: {len(errors)}" + "".join(f"\n  {e}" for e in errors))
    print(f"server RSS peak during the run: {many['rss_peak']:.0f} MB")


async def run(args, aset) -> int:
    env = {"DIGIT_LENS_ARTIFACTS": str(aset.root)}
    with running(APP, env) as app, running(TRIVIAL, {}) as trivial:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            single = await single_session(browser, app, trivial, aset, args.repeat, args.cold, args.only)
            results = single["results"]
            reference = float(np.median([s.frame_ms for s in results["trivial slider step"]]))
            print(f"{aset.dataset['id']}: {aset.dataset['n_test']:,} test images, {len(aset.model_names)} models; "
                  f"{args.repeat} repeats; trivial slider step p50 {reference:.0f} ms")
            print_table(results, reference)
            rss, hwm = app.memory_mb()
            print(f"\nserver memory after one session: RSS {rss:.0f} MB (peak {hwm:.0f} MB); "
                  f"exceptions shown: {single['errors']}")
            if args.sessions:
                await sessions_report(browser, app, trivial, args.sessions, args.steps, reference)
            await browser.close()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=Path, default=None, help="artifact folder (default: as the app)")
    parser.add_argument("--repeat", type=int, default=20, help="repeats of each interaction")
    parser.add_argument("--cold", type=int, default=3, help="cold opens of each page")
    parser.add_argument("--sessions", type=int, default=0, help="then run this many sessions at once (max 20)")
    parser.add_argument("--steps", type=int, default=10, help="threshold steps per concurrent session")
    parser.add_argument("--only", type=lambda text: tuple(text.split(",")), default=PARTS,
                        help=f"comma-separated parts of the single-session run, from {','.join(PARTS)}")
    args = parser.parse_args(argv)
    if not 0 <= args.sessions <= 20:
        parser.error("--sessions takes 0 to 20")
    if not Path(CHROMIUM).is_file():
        print(f"error: {CHROMIUM} is missing; install Debian's chromium package.", file=sys.stderr)
        return 2
    root = (args.artifacts or default_artifacts_dir()).resolve()
    try:
        aset = open_artifacts(root)
    except ArtifactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run(args, aset))


if __name__ == "__main__":
    sys.exit(main())
