// The drawing canvas: white strokes on black, like MNIST. When a stroke ends (pointer released) the
// drawing goes to Python at once as one PNG data URL (a few KB, see picture()); there is no debounce.
// Undo and Clear act here and send the new drawing (or null when it is empty). The strokes are
// kept per key in the tab, so leaving the page and coming back shows the same drawing; whenever
// Python's copy disagrees with the canvas (a fresh session, a page revisited), the canvas is sent again.
// data.caption goes above the canvas; data.beside (HTML the dashboard built, outside strings escaped; the
// Draw page's answer) to its right, in this same element, so a stroke's rerun redraws one element.
const STROKES = (globalThis.__digitLensDrawings = globalThis.__digitLensDrawings || {});

function build(parentElement, data) {
  const root = document.createElement("div");
  root.className = "dl-draw";
  root.innerHTML =
    '<div><p class="dl-draw-caption"></p>' +
    `<canvas class="dl-ink" width="${data.size}" height="${data.size}" role="img" ` +
    'aria-label="drawing area: draw one digit"></canvas>' +
    '<div class="dl-draw-tools"><button type="button" data-act="undo">Undo</button>' +
    '<button type="button" data-act="clear">Clear</button></div></div><div class="dl-beside"></div>';
  parentElement.appendChild(root);
  return root;
}

function paint(canvas, strokes, width) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#fff";
  ctx.fillStyle = "#fff";
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const points of strokes) {
    if (points.length === 2) {
      ctx.beginPath();
      ctx.arc(points[0], points[1], width / 2, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(points[0], points[1]);
    for (let i = 2; i < points.length; i += 2) ctx.lineTo(points[i], points[i + 1]);
    ctx.stroke();
  }
}

// The drawing as a PNG data URL: the box around the ink with MARGIN black pixels each side when that box
// stays inside the canvas (Python reads the background from the picture's border, black either way, so
// the digit it makes is the same; the PNG to decode is a third of the canvas), else the whole canvas.
const MARGIN = 4;

function picture(canvas, strokes, width) {
  const xs = strokes.flatMap((points) => points.filter((_, i) => i % 2 === 0));
  const ys = strokes.flatMap((points) => points.filter((_, i) => i % 2 === 1));
  const reach = Math.ceil(width / 2) + MARGIN;
  const left = Math.min(...xs) - reach, top = Math.min(...ys) - reach;
  const right = Math.max(...xs) + reach, bottom = Math.max(...ys) + reach;
  if (left < 0 || top < 0 || right >= canvas.width || bottom >= canvas.height) return canvas.toDataURL("image/png");
  const box = document.createElement("canvas");
  box.width = right - left + 1;
  box.height = bottom - top + 1;
  box.getContext("2d").putImageData(canvas.getContext("2d").getImageData(left, top, box.width, box.height), 0, 0);
  return box.toDataURL("image/png");
}

function listen(root) {
  const canvas = root.querySelector("canvas.dl-ink");
  const state = root.state;
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    const scale = canvas.width / box.width;
    return [Math.round((event.clientX - box.left) * scale), Math.round((event.clientY - box.top) * scale)];
  };
  const send = (root.send = () => {
    const strokes = STROKES[state.key];
    state.setState("image", strokes.length ? picture(canvas, strokes, state.width) : null);
  });
  canvas.onpointerdown = (event) => {
    canvas.setPointerCapture(event.pointerId);
    state.current = at(event);
    STROKES[state.key].push(state.current);
    paint(canvas, STROKES[state.key], state.width);
  };
  canvas.onpointermove = (event) => {
    if (!state.current) return;
    state.current.push(...at(event));
    paint(canvas, STROKES[state.key], state.width);
  };
  const finish = () => {
    if (!state.current) return;
    state.current = null;
    send();
  };
  canvas.onpointerup = finish;
  canvas.onpointercancel = finish;
  root.querySelector(".dl-draw-tools").onclick = (event) => {
    const act = event.target.closest("button")?.dataset.act;
    if (!act) return;
    const strokes = STROKES[state.key];
    if (act === "clear") strokes.length = 0;
    else strokes.pop();
    paint(canvas, strokes, state.width);
    send();
  };
}

export default function (component) {
  const { data, setStateValue, parentElement } = component;
  let root = parentElement.querySelector("div.dl-draw");
  const fresh = !root;
  if (fresh) {
    root = build(parentElement, data);
    root.state = { current: null };
  }
  const state = root.state;
  if (root.caption !== data.caption) {
    root.caption = data.caption;
    root.querySelector(".dl-draw-caption").textContent = data.caption;
  }
  if (root.beside !== data.beside) {
    root.beside = data.beside;
    root.classList.toggle("dl-with-beside", data.beside !== null);
    root.querySelector(".dl-beside").innerHTML = data.beside ?? "";
  }
  state.key = data.key;
  state.width = data.stroke;
  state.setState = setStateValue;
  const strokes = (STROKES[data.key] = STROKES[data.key] || []);
  paint(root.querySelector("canvas.dl-ink"), strokes, state.width);
  if (fresh) listen(root);
  if (Boolean(data.drawn) !== strokes.length > 0 && !state.current) root.send();
}
