"""The exception divcli's library raises, and the words its messages use for options.

Exit codes, in one place (the command line's; :mod:`divcli.cli` applies them):

====  ==========================================================
0     success (a legitimate ``+inf`` included)
1     the data is wrong: :class:`DataError`
2     the command line is wrong: Click's usage errors
3     ``divcli drift --fail-above X``: a column's measure is above X
130   interrupted (Ctrl-C); 128 + N for the signals SIGTERM, SIGHUP
141   standard output is a pipe whose reader left early (128 + SIGPIPE)
====  ==========================================================

No Click here. :class:`DataError` is a plain ``ValueError``; the command line turns it into its
one-line ``Error: …`` (exit 1) in one place, the group's ``invoke`` in :mod:`divcli.cli`, as
sqlite-utils turns its library's errors into ``click.ClickException``.

A message names the option that fixes the data symbolically, with :func:`option`, because the two
sides spell it differently: ``option("p_as", "logits")`` is ``--p-as logits`` on the command line and
``p_as="logits"`` to a Python caller. An error keeps its parts as given (:attr:`DataError.template`,
placeholders included) and renders them on demand, one function per side: :func:`python_words` (the
default: ``str(error)``, ``.what`` and ``.hint``) and :func:`cli_words` (the CLI's
``error.message(cli_words)``). So a Python caller never reads "pass --p-as logits", and the command
line's text is the same as when the messages named flags.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

# An option in a message: \x1f NAME \x1d PYTHON-VALUE \x1d CLI-VALUE \x1f. Control characters, so no
# text from the data can make one: show_value and printable escape them.
_OPTION = re.compile("\x1f([A-Za-z_]+)\x1d([^\x1d\x1f]*)\x1d([^\x1d\x1f]*)\x1f")


def option(name: str, value: object = None, *, cli: str | None = None) -> str:
    """A placeholder for an option, to put in a message: ``name`` as the Python API spells it.

    ``option("normalize")`` → ``--normalize`` / ``normalize``; ``option("normalize", True)`` →
    ``--normalize`` / ``normalize=True``; ``option("p_as", "logits")`` → ``--p-as logits`` /
    ``p_as="logits"``. ``cli`` is the value as typed in a shell when it differs (``';'``).
    """
    if value is None or value is True:
        python, word = ("" if value is None else "True"), ""
    else:
        python = f'"{repr(value)[1:-1]}"' if isinstance(value, str) else repr(value)
        word = str(value)
    return f"\x1f{name}\x1d{python}\x1d{word if cli is None else cli}\x1f"


def python_words(text: str) -> str:
    """``text`` with each :func:`option` as a Python keyword argument (``p_as="logits"``)."""
    return _OPTION.sub(lambda m: f"{m[1]}={m[2]}" if m[2] else m[1], text)


def cli_words(text: str) -> str:
    """``text`` with each :func:`option` as a command-line flag (``--p-as logits``)."""
    return _OPTION.sub(lambda m: "--" + m[1].replace("_", "-") + (f" {m[3]}" if m[3] else ""), text)


class DataError(ValueError):
    """Bad input data: says where, what, and how to fix it when there is a fix.

    Parameters
    ----------
    where : str
        ``file:line:column``, ``<stdin>:3``, ``literal '0.2,0.8'``...; empty when unknown.
    what : str
        What is wrong, with the offending value as the user wrote it.
    hint : str, optional
        The fix, when there is one (``pass {option("normalize", True)} to rescale counts``).

    Attributes
    ----------
    where, what, hint : str
        As given, options in Python's words (``pass normalize=True to rescale counts``); ``hint``
        may be None. ``str(error)`` is ``"where: what; hint"``.
    template : tuple
        ``(where, what, hint)`` as given, :func:`option` placeholders kept: render it with
        :meth:`message`.
    """

    def __init__(self, where: str, what: str, hint: str | None = None):
        self.template = (where, what, hint)
        self.where = where
        self.what = python_words(what)
        self.hint = python_words(hint) if hint else hint
        super().__init__(self.message())

    def message(self, words: Callable[[str], str] = python_words) -> str:
        """The one-line message, options in ``words``' terms (:func:`python_words`, :func:`cli_words`)."""
        where, what, hint = self.template
        message = f"{where}: {words(what)}" if where else words(what)
        if hint:
            message = f"{message}; {words(hint)}"
        return printable(message)  # a file name in `where` may hold ESC too

    def __reduce__(self):  # pickled (a Dask worker's error) with its parts, not its message
        return (type(self), self.template)


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


class EngineError(Exception):
    """``--engine dask`` cannot run here: Dask is missing, or the scheduler cannot be reached.

    Exit 2, as for a command line that cannot work (the data are not at fault, so not 1), and one
    line, as every divcli error; the CLI says it (:func:`divcli.cli.run.run_streamed`)."""

    exit_code = 2


class EngineUsage(Exception):
    """A command line the Dask engine cannot take: the CLI turns it into Click's usage error (exit
    2, with the usage text), naming ``option`` when there is one (``'-o'``)."""

    def __init__(self, message: str, option: str | None = None):
        super().__init__(message)
        self.option = option
