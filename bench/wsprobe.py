"""What a browser tab receives from a Streamlit server, frame by frame, timed in the page.

:data:`INIT_JS` is added to a Playwright context (``add_init_script``) before
the page loads. In the page it records, on the page's own clock
(``performance.now()``):

* every websocket message of Streamlit's stream: arrival time and size in bytes;
* every user input that starts an interaction (``keydown``, ``mouseup``,
  ``change``): type and event time;
* the time of the last DOM mutation, so "drawn" means the page stopped changing.

:class:`Tap` decodes the same frames on the Python side (Streamlit's own
``ForwardMsg`` protobuf) so a measurement knows which frame ends a run
(``script_finished``). Both lists see the frames of one websocket in the same
order, so frame ``i`` here is frame ``i`` in the page. It works with the sync
and the async Playwright API alike.
"""

from __future__ import annotations

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

STREAM = "_stcore/stream"
FINISHED = "script_finished"

INIT_JS = """
(() => {
  const probe = window.__probe = {frames: [], inputs: [], lastMutation: 0};
  const Native = window.WebSocket;
  class Recorded extends Native {
    constructor(...args) {
      super(...args);
      if (String(args[0]).includes('%s')) {
        this.addEventListener('message', (event) => {
          const data = event.data;
          probe.frames.push([performance.now(), data.byteLength ?? data.size ?? data.length]);
        });
      }
    }
  }
  window.WebSocket = Recorded;
  for (const type of ['keydown', 'mouseup', 'change']) {
    addEventListener(type, (event) => probe.inputs.push([type, performance.now()]), true);
  }
  new MutationObserver(() => { probe.lastMutation = performance.now(); })
    .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
""" % STREAM

#: True once the page shows no running script, no stale or placeholder element, and every image and chart is drawn.
DRAWN_JS = """
(quiet) => {
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
  if ([...document.images].some((img) => !img.complete)) return false;
  if ([...document.querySelectorAll('.js-plotly-plot')].some((p) => !p.querySelector('.main-svg'))) return false;
  return performance.now() - window.__probe.lastMutation > quiet;
}
"""


def frame_kind(payload) -> str:
    """The ``ForwardMsg`` type of one websocket frame (``"delta"``, ``"script_finished"``...)."""
    if isinstance(payload, str):
        return "text"
    return ForwardMsg.FromString(payload).WhichOneof("type") or "empty"


class Tap:
    """The kinds of the frames a page receives on Streamlit's stream, in order.

    Parameters
    ----------
    page : playwright Page (sync or async)
        Attach before the page opens its websocket (before ``goto``).

    Examples
    --------
    >>> tap = Tap(page)                                   # doctest: +SKIP
    >>> page.goto(url); tap.finished_after(0)             # doctest: +SKIP
    """

    def __init__(self, page):
        self.kinds: list[str] = []
        self._socket = None
        page.on("websocket", self._on_socket)

    def _on_socket(self, socket) -> None:
        if STREAM in socket.url:
            self.reset()
            self._socket = socket
            socket.on("framereceived", lambda payload: self._on_frame(socket, payload))

    def _on_frame(self, socket, payload) -> None:
        if socket is self._socket:
            self.kinds.append(frame_kind(payload))

    def reset(self) -> None:
        """Forget the current socket's frames (call before navigating: the new document starts again)."""
        self.kinds = []
        self._socket = None

    def finished_after(self, start: int) -> int | None:
        """Index of the first ``script_finished`` frame at or after ``start``, None if none arrived yet."""
        for index in range(start, len(self.kinds)):
            if self.kinds[index] == FINISHED:
                return index
        return None
