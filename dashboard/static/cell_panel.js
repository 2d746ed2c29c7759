// The Errors page's matrix panel: a confusion matrix and the selected cell's gallery page beside it.
// The tab keeps every matrix and gallery page it is sent (per model view), so a click on a cell or
// pager button whose page is here shows it at once; each click then tells Python the cell and page
// ("select": [cell, page, stamp]), and Python answers with only what the tab lacks. Until the answer
// to the latest click arrives, older answers do not move the panel. Once a view is shown and the
// panel idle for AHEAD_MS, it asks once for the view's pages sent ahead (the likeliest cells' first
// pages). data-cell on the panel is the cell shown; data-asked is the page awaiting Python (gone
// once it answered); data-ahead is "sent" once Python has sent the view's pages ahead.
import { onActivate } from "./lib/activate.js";

const VIEWS = (globalThis.__digitLensCells = globalThis.__digitLensCells || {});
const MATRICES = (globalThis.__digitLensMatrices = globalThis.__digitLensMatrices || {});
const AHEAD_MS = 300;

// A gallery page's key in a payload, as dashboard/components/cell_panel.py's page_key writes it.
const pageKey = (separator, cell, page) => `${cell}${separator}${page}`;

function build(parentElement) {
  const root = document.createElement("div");
  root.className = "dl-cells";
  root.innerHTML = '<div class="dl-matrix"></div><div class="dl-cell" aria-live="polite"></div>';
  // Streamlit keeps the component's <style> in parentElement: swap the panel only.
  parentElement.querySelector("div.dl-cells")?.remove();
  parentElement.appendChild(root);
  return root;
}

function mark(root, cell) {
  root.querySelector('td[aria-pressed="true"]')?.setAttribute("aria-pressed", "false");
  if (cell !== null) root.querySelector(`td[data-cell="${cell}"]`)?.setAttribute("aria-pressed", "true");
}

// Show cell's page if the tab holds it, else dim the old one until Python's answer.
function show(root, cell, page) {
  const view = VIEWS[root.view];
  const right = root.querySelector(".dl-cell");
  mark(root, cell);
  root.cell = cell;
  root.page = page;
  root.dataset.cell = cell ?? "";
  const markup = cell === null ? root.hint : view.pages[pageKey(root.separator, cell, page)];
  if (markup === undefined) {
    right.setAttribute("aria-busy", "true");
    return;
  }
  right.removeAttribute("aria-busy");
  right.innerHTML = markup;
  if (cell !== null) view.at[cell] = page;
}

function select(root, cell, page) {
  show(root, cell, page);
  root.stamp = Math.max(Date.now(), (root.stamp ?? 0) + 1);
  root.dataset.asked = pageKey(root.separator, cell, page);
  root.setTrigger("select", [cell, page, root.stamp]);
}

// Ask for the view's pages ahead once the panel has been idle (no click awaiting Python) for AHEAD_MS.
function askAhead(root) {
  clearTimeout(root.aheadTimer);
  const view = VIEWS[root.view];
  if (view.ahead) return;
  root.aheadTimer = setTimeout(() => {
    if (!root.isConnected) return;
    if (root.dataset.asked !== undefined) return askAhead(root);
    view.ahead = true;
    root.setTrigger("ahead", true);
  }, AHEAD_MS);
}

function listen(root) {
  onActivate(root, ({ index, cell, page }) => {
    if (cell !== undefined) select(root, Number(cell), VIEWS[root.view].at[Number(cell)] ?? 1);
    else if (page !== undefined) select(root, root.cell, Number(page));
    else root.setTrigger("picked", Number(index));
  });
}

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  const view = (VIEWS[data.view] = VIEWS[data.view] || { pages: {}, at: {} });
  Object.assign(view.pages, data.pages);
  view.ahead = data.ahead || view.ahead;
  if (data.matrix !== null) MATRICES[data.matrixKey] = data.matrix;
  const wanted = data.selected === null ? "" : pageKey(data.separator, data.selected, data.page);
  if (MATRICES[data.matrixKey] === undefined || (wanted && view.pages[wanted] === undefined)) {
    // Python sent these to this session before, and the tab no longer has them: ask once per view.
    if (parentElement.missed !== `${data.matrixKey}/${wanted}`) {
      parentElement.missed = `${data.matrixKey}/${wanted}`;
      setTriggerValue("missing", true);
    }
    return;
  }
  let root = parentElement.querySelector("div.dl-cells");
  if (!root) {
    root = build(parentElement);
    listen(root);
  }
  root.setTrigger = setTriggerValue;
  root.hint = data.hint;
  root.separator = data.separator;
  root.dataset.ahead = data.ahead ? "sent" : "no";
  const moved = root.view !== data.view || root.matrixKey !== data.matrixKey;
  if (moved) {
    root.view = data.view;
    root.matrixKey = data.matrixKey;
    root.querySelector(".dl-matrix").innerHTML = MATRICES[data.matrixKey];
  }
  if (data.answered >= (root.stamp ?? 0)) delete root.dataset.asked;
  else if (!moved) return; // an answer to an earlier click: the latest one's is on its way
  if (moved || root.cell !== data.selected || root.page !== data.page || root.querySelector("[aria-busy]")) {
    show(root, data.selected, data.page);
  }
  askAhead(root);
}
