// The clickable-HTML component (dashboard/clickable.py): shows HTML and reports the marked element a user
// clicks, or activates with Enter or Space: a data-page (pager button), data-cell (matrix cell) or data-index
// (test row).
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector("div.dl-clickable");
  if (!root) {
    root = document.createElement("div");
    root.className = "dl-clickable";
    parentElement.appendChild(root);
  }
  root.innerHTML = data;
  const pick = (event) => {
    const target = event.target.closest("[data-index], [data-cell], [data-page]");
    if (!target) return;
    const { index, cell, page } = target.dataset;
    if (page !== undefined) setTriggerValue("page", Number(page));
    else if (cell !== undefined) setTriggerValue("cell", Number(cell));
    else setTriggerValue("picked", Number(index));
  };
  root.onclick = pick;
  root.onkeydown = (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(event); }
  };
}
