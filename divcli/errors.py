"""The exception types divcli raises.

Exit codes, in one place:

====  ==========================================================
0     success (a legitimate ``+inf`` included)
1     the data is wrong: :class:`DataError` (a ``click.ClickException``)
2     the command line is wrong: Click's usage errors
====  ==========================================================

The library raises :class:`DataError`; the CLI lets Click print it as one line on stderr.
"""

from __future__ import annotations

import unicodedata

import click


class DataError(click.ClickException):
    """Bad input data: says where, what, and how to fix it when there is a fix.

    Parameters
    ----------
    where : str
        ``file:line:column``, ``<stdin>:3``, ``literal '0.2,0.8'``...; empty when unknown.
    what : str
        What is wrong, with the offending value as the user wrote it.
    hint : str, optional
        The fix, when there is one (``pass --normalize to rescale counts``).
    """

    exit_code = 1

    def __init__(self, where: str, what: str, hint: str | None = None):
        self.where = where
        self.what = what
        self.hint = hint
        message = f"{where}: {what}" if where else what
        if hint:
            message = f"{message}; {hint}"
        super().__init__(printable(message))  # a file name in `where` may hold ESC too


def show_value(text: str, limit: int = 40) -> str:
    """The user's text, quoted, escaped and shortened for a one-line message."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(shown)


def printable(text: str) -> str:
    """A name from the data (a class, a row, a file) safe to show on a terminal: every character
    Python does not call printable (C0 and C1 controls, ESC, DEL, bidi overrides, line breaks) is
    escaped as :func:`show_value` escapes it (``\\x1b``), the rest is kept as written, unquoted."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def foreign_digit(text: str) -> str | None:
    """What to say when ``text`` holds a digit other than ASCII 0-9 (``'\\u0661' (ARABIC-INDIC
    DIGIT ONE) is not an ASCII digit; …``), which Python's ``float()`` would read; None otherwise."""
    if text.isascii():
        return None
    for char in text:
        if unicodedata.category(char) == "Nd" and not char.isascii():
            name = unicodedata.name(char, "a digit")
            return (f"{ascii(char)} ({name}) is not an ASCII digit; divcli reads numbers written with "
                    "the digits 0-9 only")
    return None
