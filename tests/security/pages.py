"""The forms a rendered page offers: where each submits, and its fields with the values offered.

Used to find every form field of every route from the pages themselves (the names include the
rubric's domains, which a template only writes as expressions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Field:
    name: str
    kind: str  # text | hidden | radio | checkbox | select | textarea | file | submit
    offered: list[str] = field(default_factory=list)  # values a person can choose
    current: list[str] = field(default_factory=list)  # what the page sends as it stands
    disabled: bool = False  # inside a disabled fieldset: a browser does not send it


@dataclass
class Form:
    method: str
    targets: set[str]  # every path it submits to (action, hx-post/hx-get, formaction)
    fields: dict[str, Field] = field(default_factory=dict)
    form_id: str = ""

    @property
    def enabled(self) -> int:
        """How many of its fields a person can fill in."""
        return sum(not f.disabled for f in self.fields.values())

    def add(
        self, name: str, kind: str, value: str | None, chosen: bool, disabled: bool = False
    ) -> None:
        f = self.fields.setdefault(name, Field(name, kind, disabled=disabled))
        if value is not None and value not in f.offered:
            f.offered.append(value)
        if chosen and value is not None:
            f.current.append(value)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.open: Form | None = None
        self.select: tuple[Form, str] | None = None
        self.textarea: tuple[Form, str] | None = None
        self.loose: list[tuple[str, dict[str, str]]] = []  # fields naming a form by id
        self.fieldsets: list[bool] = []  # disabled or not, innermost last

    def _form_for(self, attrs: dict[str, str]) -> Form | None:
        if attrs.get("form"):
            return None  # resolved once every form is known
        return self.open

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attr_list}
        if tag == "fieldset":
            self.fieldsets.append("disabled" in attrs)
            return
        if tag == "form":
            method = attrs.get("method", "get").lower()
            targets = {attrs.get("action", "")}
            for hx, hx_method in (("hx-post", "post"), ("hx-get", "get")):
                if attrs.get(hx):
                    targets.add(attrs[hx])
                    method = hx_method if hx_method == "post" else method
            self.open = Form(method, {t for t in targets if t}, form_id=attrs.get("id", ""))
            self.forms.append(self.open)
            return
        off = any(self.fieldsets)
        if tag == "option" and self.select is not None:
            form, select = self.select
            form.add(select, "select", attrs.get("value", ""), "selected" in attrs, off)
            return
        name = attrs.get("name")
        if tag in ("input", "button", "select", "textarea") and attrs.get("form"):
            self.loose.append((tag, attrs))
        form = self._form_for(attrs)
        if form is None:
            return
        if tag == "button" or (tag == "input" and attrs.get("type") == "submit"):
            for key in ("formaction", "hx-post"):
                if attrs.get(key):
                    form.targets.add(attrs[key])
            if name:
                form.add(name, "submit", attrs.get("value", ""), chosen=False)
            return
        if not name:
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            value = attrs.get("value", "" if kind not in ("radio", "checkbox") else "on")
            chosen = kind not in ("radio", "checkbox", "file") or "checked" in attrs
            form.add(name, kind, value, chosen, off)
        elif tag == "select":
            form.fields.setdefault(name, Field(name, "select", disabled=off))
            self.select = (form, name)
        elif tag == "textarea":
            form.fields.setdefault(name, Field(name, "textarea", disabled=off))
            self.textarea = (form, name)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self.fieldsets:
            self.fieldsets.pop()
        elif tag == "form":
            self.open = None
        elif tag == "select" and self.select is not None:
            form, name = self.select
            f = form.fields[name]
            f.current = f.current[:1] or f.offered[:1]  # a select always sends one value
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            form, name = self.textarea
            f = form.fields[name]
            f.current = [(f.current[0] if f.current else "") + data]


def page_forms(html: str) -> list[Form]:
    """Every form of ``html``, with the fields inside it or naming it by ``form="id"``."""
    parser = _Parser()
    parser.feed(html)
    by_id = {f.form_id: f for f in parser.forms if f.form_id}
    for tag, attrs in parser.loose:
        form = by_id.get(attrs["form"])
        if form is None:
            continue
        if tag == "button":
            for key in ("formaction", "hx-post"):
                if attrs.get(key):
                    form.targets.add(attrs[key])
        if attrs.get("name"):
            form.add(attrs["name"], tag, attrs.get("value", ""), chosen=tag != "button")
    return parser.forms
