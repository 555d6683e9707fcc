"""What the screen can show: ASCII forms where the encoding has no Unicode, plain lines where a
table does not fit the width.

Encoding. Standard output or error in an encoding other than UTF-8 (``PYTHONIOENCODING=cp1252``, a
Windows console or redirection, ``ascii``) cannot write ‖, ┃, →, ✓ or ₂. Each character the stream
cannot encode gets its ASCII form (:data:`FORMS`: ``D(P||Q)``, ``ok``, ``log_2``; Greek letters by
name; accented letters without their accent; anything else escaped as ``\\u2016``):

* tables: Rich's ASCII box, and the forms put in before a table is measured, so its columns stay
  aligned (:func:`console`);
* messages, warnings, ``--help``: by the error handler ``divcli.ascii`` on the stream
  (:func:`fit_streams`). An ASCII stream is renamed ``divcli-ascii`` (the same codec): Click takes
  a stream named ASCII for a misconfigured one and writes UTF-8 to it instead;
* JSON: in ASCII, with ``\\uXXXX`` escapes (``divcli.json``): the document ``ensure_ascii`` gives;
* CSV: names kept exactly or not at all: a name the encoding cannot write is an error (exit 1).

Width. Below the width a table needs (its columns at their narrowest, every number whole), the
table is printed as plain lines instead, one value a line (``  D(P‖Q): 0.085300``) under its row's
name, and text is not wrapped: no number is ever cut or replaced by "…" (``COLUMNS=5``).

Rich is imported only when a table is drawn: ``--help`` needs neither it nor numpy.
"""

from __future__ import annotations

import codecs
import functools
import re
import sys
import unicodedata

#: ASCII forms of the characters divcli writes (others: Greek letters by name, accents dropped,
#: sub- and superscripts as _x and ^x, box drawing as - | +, the rest escaped).
FORMS = {
    "‖": "||", "−": "-", "–": "-", "—": "-", "·": "*", "×": "x", "÷": "/", "±": "+/-", "…": "...",
    "⋮": ":", "→": "->", "←": "<-", "◀": "<-", "▶": "->", "⇒": "=>", "✓": "ok", "✗": "fail",
    "≤": "<=", "≥": ">=", "≠": "!=", "≈": "~", "∞": "inf", "√": "sqrt", "½": "(1/2)", "Σ": "sum",
    "∑": "sum", "∈": "in", "█": "#", "“": '"', "”": '"', "‘": "'", "’": "'", "\u00a0": " ",
}
#: What a stream must encode for divcli's tables and messages to be written as they are.
SAMPLE = "‖┃━╇→✓−·₂"
_SUB_SUPER = re.compile(r"<(sub|super)> ([0-9A-F]{4,6})")
#: A word as Rich wraps text: a line's first one with its indent.
_WORD = re.compile(r"^[ \t]*\S+|\S+", re.MULTILINE)


def encodes(text: str, encoding: str | None) -> bool:
    """Whether ``encoding`` can write ``text`` (an unknown encoding: taken as UTF-8)."""
    if not encoding:
        return True
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    except LookupError:
        return True
    return True


def shows_unicode(stream) -> bool:
    """Whether ``stream`` (a text stream, or None) writes divcli's symbols as they are."""
    return stream is None or encodes(SAMPLE, getattr(stream, "encoding", None))


def _form(char: str, after: str) -> str:
    """The ASCII form of one character; ``after`` is the character replaced just before it (sub-
    and superscripts in a run share one ``_`` or ``^``)."""
    if char in FORMS:
        return FORMS[char]
    decomposition = _SUB_SUPER.fullmatch(unicodedata.decomposition(char))
    if decomposition:
        return _script_form(*decomposition.groups(), after)
    named = _named_form(unicodedata.name(char, ""))
    if named is not None:
        return named
    if unicodedata.category(char).startswith("L"):
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if plain.isascii() and plain.isalpha():
            return plain
    return char.encode("ascii", "backslashreplace").decode("ascii")


def _script_form(kind: str, code: str, after: str) -> str:
    """A sub- or superscript (``kind``) of the character ``code``: ``_2``, ``^2``, one mark a run."""
    inner = chr(int(code, 16))
    same_run = after and unicodedata.decomposition(after).startswith(f"<{kind}>")
    return ("" if same_run else "_" if kind == "sub" else "^") + (_form(inner, "") if not inner.isascii() else inner)


def _named_form(name: str) -> str | None:
    """The ASCII form of a Greek letter (by its name), a box-drawing line or a bar's block; None else."""
    if name.startswith("GREEK ") and " LETTER " in name:  # GREEK SMALL LETTER ALPHA WITH TONOS: alpha
        letter = name.partition(" LETTER ")[2].split(" ")[0].lower()
        return letter.capitalize() if "CAPITAL" in name else letter
    if name.startswith("BOX DRAWINGS "):
        return "-" if "HORIZONTAL" in name and "VERTICAL" not in name else \
            "|" if "VERTICAL" in name and "HORIZONTAL" not in name else "+"
    if name.endswith(" BLOCK"):
        return "+"  # the eighths of a bar
    return None


def ascii_forms(text: str, encoding: str | None = "ascii") -> str:
    """``text`` with every character ``encoding`` cannot write replaced by its ASCII form."""
    if encodes(text, encoding):
        return text
    out, before = [], ""  # before: the last character replaced, when it was the one just before
    for index, char in enumerate(text):
        kept = encodes(char, encoding)
        out.append(char if kept else _form(char, before))
        before = "" if kept else char
        if char == "√" and text[index + 1:index + 2].isalnum():
            out.append(" ")  # sqrt JS, not sqrtJS
    return "".join(out)


def _ascii_handler(error: UnicodeError):
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return ascii_forms(error.object[error.start:error.end], "ascii"), error.end


def _json_handler(error: UnicodeError):
    """JSON's own escapes (\\uXXXX, UTF-16 for characters past U+FFFF): valid only inside strings,
    which is where JSON holds every character that is not ASCII."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    units = error.object[error.start:error.end].encode("utf-16-be")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2)), error.end


ASCII = "divcli-ascii"
codecs.register_error("divcli.ascii", _ascii_handler)
codecs.register_error("divcli.json", _json_handler)


@codecs.register
def _ascii_by_another_name(name: str):
    """ASCII under the name ``divcli-ascii`` (see the module's docstring: Click's test is by name)."""
    if name.replace("_", "-") != ASCII:
        return None
    import encodings.ascii

    info = encodings.ascii.getregentry()
    return codecs.CodecInfo(info.encode, info.decode, info.streamreader, info.streamwriter,
                            info.incrementalencoder, info.incrementaldecoder, name=ASCII)


def fit_streams() -> None:
    """Standard output and error that cannot write divcli's symbols write their ASCII forms."""
    for stream in (sys.stdout, sys.stderr):
        if shows_unicode(stream) or not hasattr(stream, "reconfigure"):
            continue
        ascii_only = codecs.lookup(stream.encoding).name == "ascii"
        try:
            stream.reconfigure(encoding=ASCII if ascii_only else stream.encoding, errors="divcli.ascii")
        except (OSError, ValueError):  # already closed, or not a stream that can change
            pass


def fit_stdout_to(fmt: str) -> None:
    """Standard output's handling of a character it cannot write, for ``fmt``: the ASCII forms for
    a table, JSON's escapes for JSON, an error for CSV (a name is kept exactly or not written)."""
    if shows_unicode(sys.stdout) or not hasattr(sys.stdout, "reconfigure"):
        return
    errors = {"json": "divcli.json", "csv": "strict", "quiet": "strict"}.get(fmt, "divcli.ascii")
    try:  # JSON in ASCII: the same bytes in UTF-8, which is what JSON's readers expect
        sys.stdout.reconfigure(encoding=ASCII if fmt == "json" else sys.stdout.encoding, errors=errors)
    except (OSError, ValueError):
        pass


def unwritable(error: UnicodeEncodeError) -> str:
    """The message for a name standard output's encoding cannot write (CSV)."""
    char = error.object[error.start:error.end][:1]
    return (f"standard output's encoding ({error.encoding}) cannot write {ascii(char)} "
            f"({unicodedata.name(char, 'a character')}); set PYTHONIOENCODING=utf-8, or write a file with -o")


def console(encoding: str | None, **options):
    """Rich's console for a table on a stream in ``encoding`` (None: UTF-8): ASCII forms when the
    encoding has no Unicode, plain lines when a table does not fit the width."""
    return _console_class()(target_encoding=encoding, **options)


@functools.cache
def _console_class():
    from rich.cells import cell_len
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    class FittedConsole(Console):
        """A console that fits what it prints to the encoding and to the width."""

        def __init__(self, *args, target_encoding: str | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            self.target_encoding = target_encoding
            self.ascii_forms = not encodes(SAMPLE, target_encoding)

        @property
        def encoding(self) -> str:  # Rich draws an ASCII box for an encoding that is not UTF
            return self.target_encoding or super().encoding

        def print(self, *objects, **kwargs):
            if not objects:
                return super().print(**kwargs)
            for item in objects:
                item = self._fit(item)
                if isinstance(item, Table) and self._too_narrow(item):
                    self._print_plain(item, **kwargs)
                    continue
                if isinstance(item, (str, Text)) and self._too_narrow(item):
                    kwargs = {**kwargs, "soft_wrap": True}
                super().print(item, **kwargs)

        def _too_narrow(self, renderable) -> bool:
            """Whether ``renderable`` at its narrowest (every word whole; a line's first word with
            its indent, as Rich wraps it) is wider than the console."""
            if isinstance(renderable, (str, Text)):
                plain = renderable if isinstance(renderable, str) else renderable.plain
                return max(map(cell_len, _WORD.findall(plain)), default=0) > self.width
            wide = self.options.update_width(1 << 20)
            return Measurement.get(self, wide, renderable).minimum > self.width

        def _text(self, text: str) -> str:
            return ascii_forms(text, self.target_encoding) if self.ascii_forms else text

        def _fit(self, item):
            if not self.ascii_forms:
                return item
            if isinstance(item, str):
                return self._text(item)
            if isinstance(item, Text):
                return self._fit_text(item)
            if isinstance(item, Table):
                item.title, item.caption = self._fit(item.title), self._fit(item.caption)
                for column in item.columns:
                    column.header, column.footer = self._fit(column.header), self._fit(column.footer)
                    column._cells[:] = [self._fit(cell) for cell in column._cells]
            return item

        def _fit_text(self, text):
            if encodes(text.plain, self.target_encoding):
                return text
            cuts = sorted({cut for span in text.spans for cut in (span.start, span.end)})
            fitted = text.blank_copy()
            for piece in text.divide(cuts) if cuts else [text]:
                part = Text(self._text(piece.plain))
                for span in piece.spans:
                    part.stylize(span.style)
                fitted.append_text(part)
            return fitted

        def _print_plain(self, table, **kwargs) -> None:
            """``table`` as lines: its title, then per row its first column's header and cell and
            each other column's ``header: value`` (a column without a header, the bars, left
            out); the footer's cells under its first cell."""
            def plain(cell) -> str:
                if cell is None:
                    return ""
                return (self.render_str(cell) if isinstance(cell, str) else cell).plain

            headers = [plain(column.header) for column in table.columns]
            lines = [plain(table.title)] if table.title else []
            rows = [(headers[0], cells) for cells in zip(*(column._cells for column in table.columns))]
            if table.show_footer:
                rows.append(("", [column.footer for column in table.columns]))
            for label, cells in rows:
                name, *values = map(plain, cells)
                values = [(header, value) for header, value in zip(headers[1:], values) if header and value]
                lines.append(f"{label} {name}" if label and name and values else name or label)
                lines += [f"  {header}: {value}" for header, value in values]
            kwargs.pop("soft_wrap", None)
            for line in lines:
                super().print(Text(line), soft_wrap=True, **kwargs)

    return FittedConsole
