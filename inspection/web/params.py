"""Reading a request's parameters before anything reaches the database.

- Path ids use the ``{name:id}`` convertor: only a numeral an id column can hold matches, so a
  larger number answers like any page that does not exist (404) and never reaches a query.
- Ids and numbers in forms and query strings are read here, one way: a value that is not a
  number is refused with a plain message (400, shown in the GOV.UK error summary); a number too
  large to be an id names nothing (404, like any id that does not exist).
- Text is read here too, without NUL characters (never typed; PostgreSQL cannot store them).
"""

from __future__ import annotations

from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.datastructures import FormData, QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request

from inspection.models.ids import ROW_ID, is_numeral
from inspection.web.access import not_found


class DatabaseIdConvertor(IntegerConvertor):
    """``{name:id}``: a row id, 0 to the largest an id column holds."""

    regex = ROW_ID.regex


register_url_convertor("id", DatabaseIdConvertor())


def bad_request(message: str) -> HTTPException:
    """A refused form: 400 with ``message`` in the error summary; nothing was changed."""
    return HTTPException(status_code=400, detail=message)


def _text(value: object) -> str:
    # NUL is never typed, and PostgreSQL cannot store it in text: it is dropped where read.
    return value.replace("\x00", "") if isinstance(value, str) else ""


def form_text(form: FormData | QueryParams, name: str) -> str:
    """The text of field ``name`` ("" when absent or a file), in a form or a query string."""
    return _text(form.get(name))


def query_text(request: Request, name: str) -> str:
    """The text of query parameter ``name`` ("" when absent)."""
    return _text(request.query_params.get(name))


def form_id_or_none(form: FormData, name: str) -> int | None:
    """The id in field ``name``, or None when it is blank, not a number or too large to be one
    (for a route that shows its own message beside the form)."""
    return ROW_ID.parse(form_text(form, name))


def form_id(form: FormData, name: str, message: str) -> int:
    """The id in field ``name``; ``message`` says what to do when it is blank or not a number."""
    found = form_id_or_none(form, name)
    if found is not None:
        return found
    if is_numeral(form_text(form, name)):
        raise not_found()
    raise bad_request(message)


def form_number(form: FormData, name: str, message: str) -> int:
    """A whole number kept in an integer column (an audit's version), else 400 ``message``."""
    found = ROW_ID.parse(form_text(form, name))
    if found is None:
        raise bad_request(message)
    return found


def query_id(request: Request, name: str) -> int | None:
    """The id in query parameter ``name``; None when absent or blank; 404 when not an id."""
    text = query_text(request, name).strip()
    if not text:
        return None
    found = ROW_ID.parse(text)
    if found is None:
        raise not_found()
    return found


def query_ids(request: Request, name: str) -> list[int]:
    """The comma-separated ids in query parameter ``name``; 404 if any is not an id."""
    ids = []
    for part in query_text(request, name).split(","):
        if part.strip():
            found = ROW_ID.parse(part)
            if found is None:
                raise not_found()
            ids.append(found)
    return ids
