"""The bytes of a text file (an agency extract, a census) as text, decoded strictly.

Never mojibake: a character is stored only when the file's bytes mean it in the encoding they
were read in. How an encoding is found (docs/evidence.md, "Encodings"):

- a byte-order mark says it (UTF-8, UTF-16 or UTF-32, little- or big-endian);
- otherwise a file that is valid UTF-8 is UTF-8;
- a file that is UTF-8 except for some stray bytes (a row typed in a Windows-1252 editor, two
  extracts pasted together) is read as UTF-8, and each run of stray bytes as Windows-1252 when
  they are valid there: every row so repaired is reported (``Repair``), and a file with stray
  bytes that are not Windows-1252 either is refused, naming the lines;
- a file with no UTF-8 in it at all is a legacy export: Windows-1252 (of which Latin-1's
  printable characters are a part), if charset-normalizer finds it to be text in it, else it
  is refused as not text.

Statistical detection across every code page is not used to pick the legacy encoding: on
English names it prefers Central European Windows-1250, which reads the "Ø" of "Øberg" as
"Ř". English authorities' and agencies' systems write Windows-1252.
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata
from dataclasses import dataclass, field

import charset_normalizer

from inspection.evidence.staged import EvidenceFileError

UTF8 = "UTF-8"
WINDOWS_1252 = "Windows-1252"
_UTF8_BOM = b"\xef\xbb\xbf"
# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", UTF8),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
# Bytes that are not UTF-8, as the surrogateescape handler leaves them (U+DC80 to U+DCFF).
_STRAY = re.compile("[\udc80-\udcff]+")
# A character that only valid UTF-8 of more than one byte can have given.
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")
# What real text holds beyond ASCII: letters and their combining accents (not modifier
# letters), digits, punctuation, symbols (not modifier symbols) and spaces. Windows-1252 text
# sometimes forms valid UTF-8 by chance ("Ë’" is the UTF-8 of the modifier "˒"), but hardly
# ever UTF-8 of such characters.
_TEXT_CATEGORIES = frozenset(
    {"Lu", "Ll", "Lt", "Lo", "Mn", "Mc", "Nd", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"}
    | {"Sc", "Sm", "So", "Zs"}
)
_SAVE_AS = (
    "Save it from Excel as 'CSV UTF-8 (Comma delimited)' or as a workbook (.xlsx) and upload "
    "it again."
)
_LINES_NAMED = 5
# Control characters other than tab, line feed and carriage return; in the first _SAMPLE
# characters, more than one in a hundred makes a file binary.
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SAMPLE = 1 << 16


@dataclass(slots=True)
class Repair:
    """A run of bytes that was not UTF-8 in a UTF-8 file, read as Windows-1252."""

    line: int  # the file's line (1-based) that holds it
    original: bytes
    text: str
    # The repaired text with what surrounds it up to a delimiter or quote: a part of the one
    # cell that holds it, to find that cell once the line is parsed.
    word: str


@dataclass
class DecodedText:
    text: str
    encoding: str  # as people name it: UTF-8, UTF-16, UTF-32, Windows-1252
    bom: bool = False
    repairs: list[Repair] = field(default_factory=list)

    @property
    def described(self) -> str:
        """The encoding as a summary shows it: "UTF-8", "UTF-16 (with a byte-order mark)",
        "UTF-8, 3 rows repaired from Windows-1252"."""
        text = self.encoding + (" with a byte-order mark" if self.bom else "")
        if self.repairs:
            lines = len({r.line for r in self.repairs})
            text += f", {lines:,} line{'' if lines == 1 else 's'} read as {WINDOWS_1252}"
        return text


def hex_bytes(data: bytes) -> str:
    """b"\\xeb\\x92" → "0xEB 0x92", as messages name bytes."""
    return " ".join(f"0x{b:02X}" for b in data)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _lines_named(lines: list[int]) -> str:
    named = ", ".join(f"{n:,}" for n in lines[:_LINES_NAMED])
    more = len(lines) - _LINES_NAMED
    return named + (f" and {more:,} more" if more > 0 else "")


def decode_text(data: bytes, name: str, delimiters: str = ",\t;") -> DecodedText:
    """``data`` as text, or EvidenceFileError naming the file and the lines that are not text.

    ``delimiters`` end the ``word`` of a repair (with quotes and line ends)."""
    bom = data.startswith(_UTF8_BOM)
    if bom:
        data = data[len(_UTF8_BOM) :]
    else:
        for mark, codec, label in _BOMS:
            if data.startswith(mark):
                return _with_bom(data, mark, codec, label, name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        _refuse_binary(text, name, data)
        return DecodedText(text, UTF8, bom)
    escaped = data.decode("utf-8", errors="surrogateescape")
    _refuse_binary(escaped, name, data)
    # A mark says UTF-8; without one, a character that only UTF-8 gives says it.
    if bom or any(_is_text(found.group()) for found in _MULTIBYTE.finditer(escaped)):
        decoded = _repaired(data, escaped, name, delimiters)
        decoded.bom = bom
        return decoded
    return _legacy(data, name)


def _is_text(character: str) -> bool:
    return unicodedata.category(character) in _TEXT_CATEGORIES


def _with_bom(data: bytes, mark: bytes, codec: str, label: str, name: str) -> DecodedText:
    try:
        text = data[len(mark) :].decode(codec)
    except UnicodeDecodeError as exc:
        where = exc.start + len(mark)
        raise EvidenceFileError(
            f"{name} starts with the byte-order mark of {label} but is not {label} from byte "
            f"{where:,} on ({hex_bytes(data[where : where + 4])}): it may be damaged or "
            f"two files joined together. {_SAVE_AS}"
        ) from None
    _refuse_binary(text, name, data)
    return DecodedText(text, label, bom=True)


def _refuse_binary(text: str, name: str, data: bytes) -> None:
    """A text file holds no NUL (a file that does is binary, or UTF-16 without its mark),
    and hardly any other control character: binary data is full of them."""
    at = text.find("\x00")
    if at < 0:
        sample = text[:_SAMPLE]
        controls = list(itertools.islice(_CONTROL.finditer(sample), len(sample) // 100 + 1))
        if len(controls) > len(sample) // 100:
            at = controls[0].start()
    if at >= 0:
        raise EvidenceFileError(
            f"{name} is neither a CSV file nor a spreadsheet: it holds bytes that are not "
            f"text (from line {text.count(chr(10), 0, at) + 1:,}). {_SAVE_AS}"
        )


def _repaired(data: bytes, escaped: str, name: str, delimiters: str) -> DecodedText:
    """A UTF-8 file with stray bytes: each run read as Windows-1252, or the file refused."""
    parts: list[str] = []
    runs: list[tuple[int, int, bytes]] = []  # line, where in the text, the bytes
    refused: list[int] = []
    offset = 0
    line = 1
    position = 0  # of the next part in the repaired text
    for stray in _STRAY.finditer(escaped):
        start, end = stray.span()
        line += escaped.count("\n", offset, start)
        original = stray.group().encode("utf-8", errors="surrogateescape")
        try:
            repaired = original.decode("cp1252")
        except UnicodeDecodeError:
            if not refused or refused[-1] != line:
                refused.append(line)
            repaired = ""
        parts.append(escaped[offset:start])
        position += start - offset
        runs.append((line, position, original))
        parts.append(repaired)
        position += len(repaired)
        offset = end
    if refused:
        raise EvidenceFileError(
            f"{name} is UTF-8 except for bytes that are neither UTF-8 nor {WINDOWS_1252}, on "
            f"line{'' if len(refused) == 1 else 's'} {_lines_named(refused)}: the file may be "
            f"damaged. {_SAVE_AS}"
        )
    parts.append(escaped[offset:])
    text = "".join(parts)
    _refuse_binary(text, name, data)
    ends = re.escape(delimiters + '"\r\n')
    before, after = re.compile(f"[^{ends}]{{0,200}}$"), re.compile(f"[^{ends}]{{0,200}}")
    repairs = []
    for run_line, at, original in runs:
        size = len(original)  # Windows-1252 gives one character per byte
        head = before.search(text, max(0, at - 200), at)
        tail = after.match(text, at + size)
        word = (
            (head.group() if head else "") + text[at : at + size] + (tail.group() if tail else "")
        )
        repairs.append(Repair(run_line, original, text[at : at + size], word))
    return DecodedText(text, UTF8, repairs=repairs)


def _legacy(data: bytes, name: str) -> DecodedText:
    """A file with no UTF-8 in it: Windows-1252 if it is text in it, else refused."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise EvidenceFileError(
            f"{name} is neither a CSV file nor a spreadsheet: it is not text in UTF-8, UTF-16 "
            f"or {WINDOWS_1252} ({hex_bytes(data[exc.start : exc.start + 1])} on line "
            f"{_line_of(data, exc.start):,}). {_SAVE_AS}"
        ) from None
    _refuse_binary(text, name, data)
    if charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best() is None:
        raise EvidenceFileError(
            f"{name} is neither a CSV file nor a spreadsheet: its bytes do not read as text. "
            f"{_SAVE_AS}"
        )
    return DecodedText(text, WINDOWS_1252)


_CHUNK = 1 << 20
_C1 = re.compile("[\x80-\x9f]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
# Encodings a declaration may name that give one character per byte, and the one of them
# whose printable characters stand where Latin-1 has control characters.
_LATIN_1 = frozenset({"latin_1", "iso8859_1"})


def _first_undecodable(data: bytes, codec: str) -> int | None:
    """Where ``data`` stops being ``codec`` (None if it never does), decoded a chunk at a time
    so that checking a large file holds no copy of its text."""
    decoder = codecs.getincrementaldecoder(codec)()
    for start in range(0, len(data), _CHUNK):
        try:
            decoder.decode(data[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            return start + exc.start
    return None


def _utf8_text_only(data: bytes) -> bool:
    """Whether every character beyond ASCII of ``data`` (valid UTF-8) is one of real text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _CHUNK):
        chunk = decoder.decode(data[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        if not all(map(_is_text, set(_MULTIBYTE.findall(chunk)))):
            return False
    return True


def _first_c1(data: bytes) -> int | None:
    for start in range(0, len(data), _CHUNK):
        found = _C1.search(data[start : start + _CHUNK].decode("latin-1"))
        if found:
            return start + found.start()
    return None


def check_declared_encoding(data: bytes, declared: str | None, name: str) -> None:
    """Refuse an XML file whose bytes are not in the encoding it declares (UTF-8 when it
    declares none), or are plainly in another: UTF-8 declared as Latin-1 or Windows-1252
    would be read as mojibake ("Zoë" as "ZoÃ«"), and Windows-1252 declared as Latin-1 would
    give control characters for its curly quotes and euro signs."""
    for mark, codec, label in _BOMS:
        if data.startswith(mark):
            at = _first_undecodable(data[len(mark) :], codec)
            if at is not None:
                raise EvidenceFileError(
                    f"{name} starts with the byte-order mark of {label} but is not {label} "
                    f"from byte {at + len(mark):,} on: it may be damaged."
                )
            return
    said = f"declares its encoding as {declared}" if declared else "declares no encoding"
    try:
        codec = codecs.lookup(declared or "utf-8").name.replace("-", "_")
    except LookupError:
        raise EvidenceFileError(
            f"{name} {said}, which is not an encoding this reader knows. Save the return as "
            "UTF-8 and upload it again."
        ) from None
    if data.isascii():
        return
    at = _first_undecodable(data, codec)
    if at is not None:
        raise EvidenceFileError(
            f"{name} {said}{'' if declared else ' (so it must be UTF-8)'}, but line "
            f"{_line_of(data, at):,} holds bytes that are not {declared or UTF8} "
            f"({hex_bytes(data[at : at + 2])}): the declaration is wrong or the file is "
            "damaged. Correct the declaration or save the return as UTF-8."
        )
    if codec.startswith(("utf_8", "utf_16", "utf_32")):
        return
    if _first_undecodable(data, "utf-8") is None and _utf8_text_only(data):
        at = _NON_ASCII.search(data).start()  # type: ignore[union-attr]  # not isascii()
        meant = data[at : at + 4].decode("utf-8", errors="ignore")[:1]
        raise EvidenceFileError(
            f"{name} {said}, but its text is UTF-8: line {_line_of(data, at):,} has "
            f"'{meant}', which read as {declared} would be "
            f"'{meant.encode().decode(codec, errors='replace')}'. Correct the declaration to "
            "UTF-8 and upload it again."
        )
    if codec in _LATIN_1:
        at = _first_c1(data)
        if at is not None:
            raise EvidenceFileError(
                f"{name} {said}, but line {_line_of(data, at):,} holds "
                f"{hex_bytes(data[at : at + 1])}, a control character in {declared} and "
                f"'{data[at : at + 1].decode('cp1252', 'replace')}' in {WINDOWS_1252}: the "
                "file is Windows-1252. Correct the declaration to windows-1252 or save the "
                "return as UTF-8."
            )
