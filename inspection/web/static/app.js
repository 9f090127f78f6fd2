// Initialise GOV.UK Frontend components; no inline script anywhere (the CSP forbids it).
import { initAll } from "/static/vendor/govuk/govuk-frontend.min.js";

initAll();
