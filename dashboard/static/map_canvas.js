// The Explore map: every test image as a dot on a canvas, with lasso, box, pan and wheel zoom.
// Coordinates arrive once per session (base64 uint16, grid units) and colours and sizes once per
// model and colouring; the tab keeps them by key, so a selection sends neither again. A finished lasso or box is sent as a region in grid
// units; a click without a drag sends the drawn index of the nearest dot.
const CACHE = (globalThis.__digitLensMaps = globalThis.__digitLensMaps || {});

function decode(text, Type) {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new Type(bytes.buffer);
}

function build(parentElement) {
  const root = document.createElement("div");
  root.className = "dl-map";
  root.innerHTML =
    '<div class="dl-tools" role="toolbar" aria-label="map tools">' +
    '<button data-mode="lasso" aria-pressed="true">Lasso</button>' +
    '<button data-mode="box" aria-pressed="false">Box</button>' +
    '<button data-mode="pan" aria-pressed="false">Pan</button>' +
    '<button data-reset="1">Reset view</button></div>' +
    '<div class="dl-stage"><canvas class="dl-points"></canvas><canvas class="dl-overlay" ' +
    'aria-label="map of the test images"></canvas></div><div class="dl-legend"></div>';
  parentElement.appendChild(root);
  root.state = { mode: "lasso", view: null, path: null, region: null };
  return root;
}

function toScreen(view, x, y) {
  return [view.ox + x * view.k, view.oy - y * view.k];
}

function toGrid(view, sx, sy) {
  return [Math.round((sx - view.ox) / view.k), Math.round((view.oy - sy) / view.k)];
}

function drawPoints(root) {
  const { coords, colours, sizes, palette } = root.state;
  const canvas = root.querySelector("canvas.dl-points");
  const ctx = canvas.getContext("2d");
  const view = root.state.view;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.globalAlpha = 0.75;
  const n = colours.length;
  for (const large of [false, true]) {
    const groups = new Map();
    for (let i = 0; i < n; i++) {
      if ((sizes[i] > root.state.dot) !== large) continue;
      if (!groups.has(colours[i])) groups.set(colours[i], []);
      groups.get(colours[i]).push(i);
    }
    for (const [colour, rows] of groups) {
      ctx.fillStyle = palette[colour] || "#888";
      ctx.beginPath();
      for (const i of rows) {
        const [sx, sy] = toScreen(view, coords[2 * i], coords[2 * i + 1]);
        const r = sizes[i] / 2;
        ctx.moveTo(sx + r, sy);
        ctx.arc(sx, sy, r, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
  }
}

function drawOverlay(root) {
  const canvas = root.querySelector("canvas.dl-overlay");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const view = root.state.view;
  const shape = root.state.path || regionPath(root.state.region, view);
  if (!shape || shape.length < 2) return;
  ctx.strokeStyle = "#222";
  ctx.setLineDash([5, 4]);
  ctx.lineWidth = 1.5;
  ctx.fillStyle = "rgba(40, 80, 200, 0.08)";
  ctx.beginPath();
  ctx.moveTo(shape[0][0], shape[0][1]);
  for (const [x, y] of shape.slice(1)) ctx.lineTo(x, y);
  ctx.closePath();
  ctx.fill();
  ctx.stroke();
}

function regionPath(region, view) {
  if (!region) return null;
  const p = region.points;
  if (region.kind === "b") {
    const [x0, x1, y0, y1] = p;
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]].map(([x, y]) => toScreen(view, x, y));
  }
  const out = [];
  for (let i = 0; i + 1 < p.length; i += 2) out.push(toScreen(view, p[i], p[i + 1]));
  return out;
}

function redraw(root) {
  drawPoints(root);
  drawOverlay(root);
}

function nearest(root, sx, sy) {
  const { coords, view } = root.state;
  let best = -1;
  let bestDistance = 64;
  for (let i = 0; i < coords.length / 2; i++) {
    const [px, py] = toScreen(view, coords[2 * i], coords[2 * i + 1]);
    const d = (px - sx) ** 2 + (py - sy) ** 2;
    if (d <= bestDistance) {
      bestDistance = d;
      best = i;
    }
  }
  return best;
}

function thin(points, most) {
  if (points.length <= most) return points;
  const out = [];
  for (let i = 0; i < most; i++) out.push(points[Math.round((i * (points.length - 1)) / (most - 1))]);
  return out;
}

function listen(root) {
  const overlay = root.querySelector("canvas.dl-overlay");
  const state = root.state;
  const at = (event) => {
    const rect = overlay.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  };
  root.querySelectorAll("[data-mode]").forEach((button) => {
    button.onclick = () => {
      state.mode = button.dataset.mode;
      root.querySelectorAll("[data-mode]").forEach((b) => b.setAttribute("aria-pressed", b === button));
    };
  });
  root.querySelector("[data-reset]").onclick = () => {
    state.view = state.home;
    redraw(root);
  };
  overlay.onpointerdown = (event) => {
    overlay.setPointerCapture(event.pointerId);
    state.start = at(event);
    state.path = [state.start];
  };
  overlay.onpointermove = (event) => {
    if (!state.path) return;
    const [x, y] = at(event);
    if (state.mode === "pan") {
      const [px, py] = state.path[state.path.length - 1];
      state.view = { ...state.view, ox: state.view.ox + x - px, oy: state.view.oy + y - py };
      state.path.push([x, y]);
      drawPoints(root);
      return;
    }
    if (state.mode === "box") {
      const [x0, y0] = state.start;
      state.path = [[x0, y0], [x, y0], [x, y], [x0, y]];
    } else {
      state.path.push([x, y]);
    }
    drawOverlay(root);
  };
  overlay.onpointerup = (event) => {
    const [x, y] = at(event);
    const [x0, y0] = state.start;
    const path = state.path;
    state.path = null;
    const moved = Math.abs(x - x0) + Math.abs(y - y0) > 4 || (path && path.length > 4 && state.mode === "lasso");
    if (state.mode === "pan") {
      drawOverlay(root);
      return;
    }
    if (!moved) {
      drawOverlay(root);
      const index = nearest(root, x, y);
      if (index >= 0) state.setTrigger("point", index);
      return;
    }
    let region;
    if (state.mode === "box") {
      const [gx0, gy0] = toGrid(state.view, x0, y0);
      const [gx1, gy1] = toGrid(state.view, x, y);
      region = { kind: "b", points: [Math.min(gx0, gx1), Math.max(gx0, gx1), Math.min(gy0, gy1), Math.max(gy0, gy1)] };
    } else {
      region = { kind: "l", points: thin(path, 100).flatMap(([sx, sy]) => toGrid(state.view, sx, sy)) };
    }
    state.region = region;
    // Send first, draw after: Streamlit sends a trigger from a timer, and a canvas drawn in this handler
    // made the browser paint a frame before that timer ran (pointer release to websocket send 13-16 ms,
    // now 1-3 ms).
    state.setTrigger("region", region);
    setTimeout(() => drawOverlay(root), 0);
  };
  overlay.onwheel = (event) => {
    event.preventDefault();
    const [mx, my] = at(event);
    const f = Math.exp(-event.deltaY * 0.0015);
    const v = state.view;
    state.view = { k: v.k * f, ox: mx - (mx - v.ox) * f, oy: my - (my - v.oy) * f };
    redraw(root);
  };
}

function legend(root, entries) {
  root.querySelector(".dl-legend").innerHTML = entries
    .map(([label, colour]) => `<span><i style="background:${colour}"></i>${label}</span>`)
    .join("");
}

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector("div.dl-map");
  const fresh = !root;
  if (fresh) root = build(parentElement);
  const state = root.state;
  if (data.coords) CACHE[data.key] = decode(data.coords, Uint16Array);
  if (data.colours) CACHE[data.layer] = [decode(data.colours, Uint8Array), decode(data.sizes, Uint8Array)];
  if (!CACHE[data.key] || !CACHE[data.layer]) {
    setTriggerValue("missing", true);
    return;
  }
  // A rerun that only moved the region (a lasso, a page of its gallery) redraws the overlay alone: setting a
  // canvas's size clears it, and the 10,000 dots took the main thread while the rerun's other frames waited.
  const look = JSON.stringify([data.key, data.layer, data.palette]);
  const side = Math.max(240, Math.min(data.side, parentElement.clientWidth || data.side));
  const resized = state.side !== side;
  const dots = fresh || resized || state.look !== look;
  state.coords = CACHE[data.key];
  [state.colours, state.sizes] = CACHE[data.layer];
  state.palette = data.palette;
  state.dot = data.dot;
  state.region = data.region;
  state.look = look;
  if (resized) {
    root.querySelectorAll("canvas").forEach((canvas) => {
      canvas.width = side;
      canvas.height = side;
    });
  }
  const pad = 8;
  state.home = { k: (side - 2 * pad) / data.grid, ox: pad, oy: side - pad };
  if (fresh || !state.view || resized) state.view = state.home;
  state.side = side;
  const entries = JSON.stringify(data.legend);
  if (state.legend !== entries) legend(root, data.legend);
  state.legend = entries;
  state.setTrigger = setTriggerValue;
  if (fresh) listen(root);
  if (dots) redraw(root);
  else drawOverlay(root);
}
