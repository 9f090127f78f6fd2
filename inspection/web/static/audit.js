// Audit form: keep an unsaved copy in this browser so nothing is lost when the tab closes or
// the connection drops, restore it on load with a notice, and show refused saves (409).
const form = document.getElementById("audit-form");

function snapshot(f) {
  const values = {};
  for (const [key, value] of new FormData(f)) {
    if (key === "version" || key === "overwrite_version") continue;
    (values[key] ||= []).push(String(value));
  }
  return values;
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function restore(f, values) {
  for (const el of f.elements) {
    if (!el.name || el.name === "version" || el.name === "overwrite_version") continue;
    const wanted = values[el.name] || [];
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = wanted.includes(el.value);
    } else if (el.tagName === "SELECT" || el.tagName === "TEXTAREA" || el.tagName === "INPUT") {
      el.value = wanted.length ? wanted[0] : "";
    }
  }
}

if (form && form.dataset.canEdit !== "yes") {
  // Submitted or read-only: any copy kept in this browser is no longer needed.
  window.localStorage.removeItem(`audit-draft-${form.dataset.auditDraft}`);
}

if (form && form.dataset.canEdit === "yes") {
  const key = `audit-draft-${form.dataset.auditDraft}`;
  const versionInput = () => document.getElementById("audit-version");
  const serverValues = snapshot(form);
  let inFlight = null;

  if (new URLSearchParams(window.location.search).has("discard")) {
    window.localStorage.removeItem(key);
  }

  const remember = () => {
    const values = snapshot(form);
    window.localStorage.setItem(key, JSON.stringify({
      version: versionInput().value, values, at: new Date().toISOString(),
    }));
  };

  const stored = window.localStorage.getItem(key);
  if (stored) {
    try {
      const draft = JSON.parse(stored);
      if (!same(draft.values, serverValues)) {
        restore(form, draft.values);
        versionInput().value = draft.version;
        const notice = document.getElementById("audit-restore-notice");
        notice.textContent = `Restored changes you made in this browser at ${new Date(draft.at).toLocaleTimeString()} that had not been saved. They are being saved now.`;
        notice.hidden = false;
        window.htmx && window.htmx.trigger(form, "change");
      } else {
        window.localStorage.removeItem(key);
      }
    } catch (e) {
      window.localStorage.removeItem(key);
    }
  }

  form.addEventListener("input", remember);
  form.addEventListener("change", remember);

  document.body.addEventListener("htmx:beforeRequest", (evt) => {
    if (evt.detail.elt === form || form.contains(evt.detail.elt)) inFlight = snapshot(form);
  });
  document.body.addEventListener("htmx:beforeSwap", (evt) => {
    // A refused save (409) carries both versions: show it rather than treating it as an error.
    if (evt.detail.xhr.status === 409 || evt.detail.xhr.status === 400) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:afterRequest", (evt) => {
    if (!(evt.detail.elt === form || form.contains(evt.detail.elt))) return;
    if (evt.detail.xhr.status === 200 && inFlight && same(inFlight, snapshot(form))) {
      window.localStorage.removeItem(key);
    } else {
      remember();
    }
  });
  document.body.addEventListener("htmx:sendError", remember);
  window.addEventListener("beforeunload", () => {
    if (!same(snapshot(form), serverValues)) remember();
  });
  for (const link of document.querySelectorAll("[data-discard-draft]")) {
    link.addEventListener("click", () => window.localStorage.removeItem(key));
  }
}
