// Initialise GOV.UK Frontend components; no inline script anywhere (the CSP forbids it).
import { initAll } from "/static/vendor/govuk/govuk-frontend.min.js";

// GOV.UK Frontend only initialises when the body says the browser supports it; its template
// sets these classes with an inline snippet, which our CSP forbids. A module script runs only
// where ES modules work, which is exactly the support test that snippet makes.
document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
