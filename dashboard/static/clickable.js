// The clickable-HTML component (dashboard/components/clickable.py): shows HTML and reports the marked element a user
// clicks, or activates with Enter or Space: a data-page (pager button), data-cell (matrix cell) or data-index
// (test row).
import { onActivate } from "./lib/activate.js";

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector("div.dl-clickable");
  if (!root) {
    root = document.createElement("div");
    root.className = "dl-clickable";
    parentElement.appendChild(root);
  }
  root.innerHTML = data;
  onActivate(root, ({ index, cell, page }) => {
    if (page !== undefined) setTriggerValue("page", Number(page));
    else if (cell !== undefined) setTriggerValue("cell", Number(cell));
    else setTriggerValue("picked", Number(index));
  });
}
