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
