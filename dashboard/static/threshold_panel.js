// The Thresholds panel: slider, operating point, charts and the images nearest the threshold.
// A view's table (every slider position's counts, rates, chart pixels and gallery rows) arrives
// once and is kept per view in the tab, so a slider step redraws here at once, without the server.
// The position goes to Python only when the gallery images of it or a neighbour are not here yet;
// Python answers with the images around it that the tab lacks. The tab also keeps each view's
// position, so a revisited page shows the slider where it was. data-position, data-asked and
// data-server on the panel tell where the slider is, which position awaits Python's answer and
// which one Python last answered.
import { onActivate } from "./lib/activate.js";

const VIEWS = (globalThis.__digitLensThresholds = globalThis.__digitLensThresholds || {});
const GAP_MS = 150;

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// Thousands with commas, as toLocaleString("en-US") writes them, without Intl's cost on every step.
const count = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

function build(parentElement, view, text, charts, last) {
  const root = document.createElement("div");
  root.className = "dl-thr";
  root.innerHTML =
    `<label>${esc(text.label)}<output></output></label>` +
    `<input type="range" min="0" max="${last}" step="1" aria-label="${esc(text.label)}">` +
    `<p class="dl-detail"></p>${text.metrics}` +
    `<div class="dl-charts">${charts.join("")}</div>` +
    `<h4>${esc(text.fpTitle)}</h4><div style="${text.grid}" data-g="fp"></div>` +
    `<h4>${esc(text.fnTitle)}</h4><div style="${text.grid}" data-g="fn"></div>`;
  root.view = view;
  const svgs = root.querySelectorAll(".dl-charts svg");
  root.refs = {
    input: root.querySelector("input"), output: root.querySelector("output"),
    detail: root.querySelector(".dl-detail"), rule: svgs[0].querySelector('[data-role="rule"]'),
    prPoint: svgs[1].querySelector('[data-role="point"]'), rocPoint: svgs[2].querySelector('[data-role="point"]'),
    fp: root.querySelector('[data-g="fp"]'), fn: root.querySelector('[data-g="fn"]'),
    metrics: Object.fromEntries([...root.querySelectorAll("[data-m]")].map((e) => [e.dataset.m, e])),
  };
  // Streamlit keeps the component's <style> in parentElement: swap the panel only.
  parentElement.querySelector("div.dl-thr")?.remove();
  parentElement.appendChild(root);
  return root;
}

// A tile from the markup Python rendered (the image's own tile, or the placeholder for its row).
function tile(markup, row, loaded) {
  const holder = document.createElement("template");
  holder.innerHTML = markup;
  const figure = holder.content.firstElementChild;
  figure.dataset.index = row;
  figure.dataset.loaded = String(loaded);
  figure.tabIndex = 0;
  figure.setAttribute("role", "button");
  return figure;
}

// A gallery's tiles for rows, kept per row: a step rebuilds only the tiles whose row or image changed,
// so a move of one position (the nearest mistakes shift by a row or two) parses and decodes little.
function tiles(holder, rows, images, placeholder) {
  if (!rows.length) {
    if (holder.dataset.rows !== "") holder.innerHTML = "<p>None.</p>";
    holder.dataset.rows = "";
    return;
  }
  const held = new Map([...holder.querySelectorAll("figure")].map((figure) => [figure.dataset.index, figure]));
  const figures = rows.map((row) => {
    const image = images[row];
    const kept = held.get(String(row));
    if (kept && kept.dataset.loaded === String(Boolean(image))) return kept;
    return image ? tile(image, row, true) : tile(placeholder.replaceAll("{row}", row), row, false);
  });
  const key = rows.join(",");
  if (holder.dataset.rows === key && figures.every((figure, i) => holder.children[i] === figure)) return;
  holder.replaceChildren(...figures);
  holder.dataset.rows = key;
}

function render(root, cache, at) {
  const { table, text, images } = cache;
  const refs = root.refs;
  const set = (name, value) => { refs.metrics[name].textContent = value; };
  refs.input.value = at;
  refs.output.textContent = table.value[at].toFixed(3);
  let detail = `Threshold: probability of '${text.positive}' ≥ ${table.threshold[at].toFixed(4)}.${text.detail}`;
  if (table.decision && table.decision[at] !== null) detail += ` The image nearest the threshold has decision value ${table.decision[at].toFixed(3)}.`;
  refs.detail.textContent = detail;
  set("precision", table.precision[at].toFixed(3));
  set("recall", table.recall[at].toFixed(3));
  set("f1", table.f1[at].toFixed(3));
  set("fpr", table.fpr[at].toFixed(4));
  set("called", count(table.tp[at] + table.fp[at]));
  for (const name of ["tp", "fn", "fp", "tn"]) set(name, count(table[name][at]));
  refs.rule.setAttribute("x1", table.rule[at]);
  refs.rule.setAttribute("x2", table.rule[at]);
  for (const [point, x, y] of [[refs.prPoint, "prX", "prY"], [refs.rocPoint, "rocX", "rocY"]]) {
    point.setAttribute("cx", table[x][at]);
    point.setAttribute("cy", table[y][at]);
  }
  tiles(refs.fp, table.falsePos[at], images, text.placeholder);
  tiles(refs.fn, table.falseNeg[at], images, text.placeholder);
  root.position = cache.position = at;
  root.dataset.position = at;
}

// The gallery rows of position at and its neighbours (cache.near either side) whose images the tab does not hold.
function lacking(cache, at) {
  const { table, images, near } = cache;
  const rows = [];
  for (let i = Math.max(0, at - near); i <= Math.min(table.value.length - 1, at + near); i++) {
    rows.push(...table.falsePos[i], ...table.falseNeg[i]);
  }
  return rows.filter((row) => !images[row]);
}

// Send the position when the gallery images of it or a neighbour are not here, at most every GAP_MS
// (a drag fires many inputs); data-asked holds it until Python has answered.
function ask(root) {
  clearTimeout(root.timer);
  if (!lacking(VIEWS[root.view], root.position).length || root.dataset.asked === String(root.position)) return;
  const send = () => {
    root.sentAt = performance.now();
    root.dataset.asked = root.position;
    root.setState("position", root.position);
  };
  const wait = (root.sentAt ?? -GAP_MS) + GAP_MS - performance.now();
  if (wait > 0) root.timer = setTimeout(send, wait);
  else send();
}

// The keys of a range input and the positions they move it by (Chromium's: a tenth of the range for
// PageUp/PageDown), handled in the keydown itself: the input event of the browser's own handling comes
// in a later task, which under load waited for other work (p95 4.6 ms with ten tabs on two cores).
function keyMove(key, at, last) {
  const big = Math.max(1, Math.round(last / 10));
  const moves = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: big, PageDown: -big };
  if (key === "Home") return 0;
  if (key === "End") return last;
  return key in moves ? Math.min(last, Math.max(0, at + moves[key])) : null;
}

function listen(root) {
  const slider = root.refs.input;
  const move = (at) => {
    render(root, VIEWS[root.view], at);
    ask(root);
  };
  slider.oninput = () => move(Number(slider.value));
  slider.onkeydown = (event) => {
    const at = keyMove(event.key, root.position, Number(slider.max));
    if (at === null || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    if (at !== root.position) move(at);
  };
  onActivate(root, ({ index }) => root.setTrigger("picked", Number(index)), "[data-index]");
}

export default function (component) {
  const { data, setStateValue, setTriggerValue, parentElement } = component;
  const cache = (VIEWS[data.view] = VIEWS[data.view] || { images: {} });
  if (data.table) Object.assign(cache, { table: data.table, charts: data.charts });
  cache.text = data.text;
  cache.near = data.near;
  Object.assign(cache.images, data.images);
  if (!cache.table) {
    setTriggerValue("missing", true);
    return;
  }
  let root = parentElement.querySelector("div.dl-thr");
  const fresh = !root || root.view !== data.view;
  if (fresh) root = build(parentElement, data.view, data.text, cache.charts, cache.table.value.length - 1);
  root.setState = setStateValue;
  root.setTrigger = setTriggerValue;
  if (fresh) listen(root);
  root.dataset.server = data.position;
  if (root.dataset.asked === String(data.position)) delete root.dataset.asked;
  render(root, cache, fresh ? cache.position ?? data.position : root.position);
  const missing = lacking(cache, root.position);
  if (!missing.length) return;
  if (data.position !== root.position) {
    ask(root);
  } else if (root.missed !== root.position) {
    // Python has answered this very position and still some images are not here (a lost update):
    // ask for them, once per position.
    root.missed = root.position;
    setTriggerValue("missing", missing);
  }
}
