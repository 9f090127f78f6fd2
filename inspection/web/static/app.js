// Initialise GOV.UK Frontend components; no inline script anywhere (the CSP forbids it).
import { initAll } from "/static/vendor/govuk/govuk-frontend.min.js";

// GOV.UK Frontend only initialises when the body says the browser supports it; its template
// sets these classes with an inline snippet, which our CSP forbids. A module script runs only
// where ES modules work, which is exactly the support test that snippet makes.
document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Each table cell carries its column's header as data-label: on a small screen the rows stack
// and every value is shown with what it is (see _app-components.scss).
function labelTables(root) {
  for (const table of root.querySelectorAll(".govuk-table")) {
    const headers = [...table.querySelectorAll("thead tr:last-child th")].map((th) =>
      th.textContent.trim(),
    );
    if (!headers.length) continue;
    for (const row of table.querySelectorAll("tbody tr")) {
      let column = 0;
      for (const cell of row.children) {
        const label = headers[column];
        const single = !cell.hasAttribute("colspan");
        if (label && single && cell.tagName === "TD" && !cell.dataset.label) {
          cell.dataset.label = label;
        }
        column += Number(cell.getAttribute("colspan") || 1);
      }
    }
  }
}
labelTables(document);
document.body.addEventListener("htmx:load", (event) => labelTables(event.target));

// A radio that reveals a follow-up question (data-reveals: the id of its
// govuk-radios__conditional): shown while the radio is checked, hidden otherwise. GOV.UK
// Frontend's own reveal sets aria-expanded on the radio, which ARIA does not allow there
// (govuk-frontend issue 979) and axe reports; this keeps its markup and styles, and
// aria-controls only (the radios carry no data-module, so GOV.UK Frontend leaves them
// alone). Without scripts every question stays shown.
function syncReveals(root) {
  for (const radio of root.querySelectorAll('input[type="radio"][data-reveals]')) {
    const target = document.getElementById(radio.dataset.reveals);
    if (!target) continue;
    radio.setAttribute("aria-controls", target.id);
    target.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
  }
}
syncReveals(document);
document.addEventListener("change", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.type === "radio") {
    syncReveals(event.target.form || document);
  }
});
window.addEventListener("pageshow", () => syncReveals(document));
document.body.addEventListener("htmx:load", (event) => syncReveals(event.target));
