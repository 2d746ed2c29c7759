"""The scripts the benchmark runs in the page: waits that the page resolves itself.

Each wait is a promise in the page answered in one round trip, not a poll from
Playwright: ten tabs measured at once then add little work of their own (a
poll every 5 ms and eight round trips a step took as much CPU as the steps).
They read what :data:`bench.wsprobe.INIT_JS` records.
"""

from __future__ import annotations

from bench.wsprobe import DRAWN_JS

#: The promise of :data:`DRAWN_JS`: the probe's frame count once the page is drawn.
QUIET_JS = """
(quiet) => new Promise((resolve) => {
  const drawn = %s;
  const check = () => (drawn(quiet) ? resolve(window.__probe.frames.length) : setTimeout(check, 50));
  check();
})
""" % DRAWN_JS.strip()

#: The probe's frames from index ``start`` and inputs from page time ``mark`` on (see :meth:`Tab.since`).
SINCE_JS = """
([start, mark]) => ({frames: window.__probe.frames.slice(start),
                     inputs: window.__probe.inputs.filter(([, t]) => t >= mark),
                     lastMutation: window.__probe.lastMutation})
"""


#: ``find(selector)``: the element in the page or in a component's shadow root, kept in ``window.__found``
#: while it stays in the page (a search of every shadow root costs more than the step it measures).
FIND_JS = """
  const deep = (root, selector) => root.querySelector(selector) ?? [...root.querySelectorAll("*")]
    .filter((e) => e.shadowRoot).map((e) => deep(e.shadowRoot, selector)).find(Boolean);
  const find = (selector) => {
    const found = (window.__found = window.__found || {});
    if (!found[selector]?.isConnected) found[selector] = deep(document, selector);
    return found[selector];
  };
"""


#: Before an interaction a panel answers in the tab: focus the element ``focus`` of the panel (a selector, or
#: null), then keep in the promise ``window.__watched`` when the panel's DOM next changes and the first paint
#: after that. With ``cell`` (the Errors matrix panel) only a change that leaves that cell shown with its
#: images counts. Returns the probe's frame count, the page time and the panel's ``sentAt``. The waits are
#: the page's own events, not polls: ten tabs measured at once add little work of their own.
WATCH_JS = """
([selector, cell, focus]) => {
%s  const panel = find(selector);
  if (focus) panel.querySelector(focus).focus();
  const shown = () => cell === null
    || (panel.dataset.cell === String(cell) && !panel.querySelector(".dl-cell").hasAttribute("aria-busy"));
  window.__watched = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (!shown()) return;
      observer.disconnect();
      const changed = performance.now();
      requestAnimationFrame(() => resolve({changed, painted: performance.now()}));
    });
    observer.observe(panel, {subtree: true, childList: true, attributes: true, characterData: true});
  });
  return [window.__probe.frames.length, performance.now(), panel.sentAt ?? null];
}
""" % FIND_JS

#: Once the page is drawn (:data:`QUIET_JS`), :data:`WATCH_JS`: one round trip before a step.
SETTLED_WATCH_JS = """
async ([selector, cell, focus, quiet]) => {
  await (%s)(quiet);
  return (%s)([selector, cell, focus]);
}
""" % (QUIET_JS.strip(), WATCH_JS.strip())

#: Once the Thresholds panel awaits no answer from Python (``data-asked`` gone): its ``sentAt``.
ANSWERED_JS = """
(selector) => new Promise((resolve) => {
%s  const panel = find(selector);
  const done = () => panel.dataset.asked === undefined && (resolve(panel.sentAt ?? null), true);
  if (done()) return;
  const observer = new MutationObserver(() => done() && observer.disconnect());
  observer.observe(panel, {attributes: true, attributeFilter: ["data-asked"]});
})
""" % FIND_JS

#: After a step of the Thresholds panel, once it changed and painted (``window.__watched``), Python answered
#: what it asked (:data:`ANSWERED_JS`) and the page is drawn (:data:`QUIET_JS`): what the probe recorded
#: (:data:`SINCE_JS`), the watched times, ``sentAt`` and the probe's frame count, in one round trip.
STEP_DONE_JS = """
async ([selector, start, mark, quiet]) => {
  const watched = await window.__watched;
  const sentAt = await (%s)(selector);
  const count = await (%s)(quiet);
  return {...(%s)([start, mark]), ...watched, sentAt, count};
}
""" % (ANSWERED_JS.strip(), QUIET_JS.strip(), SINCE_JS.strip())

#: Whether the tab holds the gallery page a click on ``cell`` would show.
HELD_JS = """
(panel, cell) => {
  const view = globalThis.__digitLensCells[panel.view];
  return view.pages[`${cell}:${view.at[cell] ?? 1}`] !== undefined;
}
"""
