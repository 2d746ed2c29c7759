// The one place the dashboard's components turn a click, or Enter or Space on a focused element, into that
// element's marks (data-index: a test row, data-cell: a matrix cell, data-page: a pager button).
export const MARKS = "[data-index], [data-cell], [data-page]";

export function onActivate(root, handle, marks = MARKS) {
  const activate = (event) => {
    const target = event.target.closest(marks);
    if (!target || !root.contains(target)) return false;
    handle(target.dataset);
    return true;
  };
  root.onclick = activate;
  root.onkeydown = (event) => {
    if ((event.key === "Enter" || event.key === " ") && activate(event)) event.preventDefault();
  };
}
