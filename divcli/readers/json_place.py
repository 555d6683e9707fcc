"""Where a value is in JSON text: the line and column of the value at a path of keys and indices
(:func:`json_position`), or of a number as written (:func:`number_position`), for a message.

Both scan the text only when something is to be said about it (an error, a warning), so reading
a correct file never pays for them.
"""

from __future__ import annotations

import json
import re


def number_position(text: str, number: str) -> tuple[int, int] | None:
    """The (line, column) of the first JSON number written ``number`` in ``text`` (for a warning)."""
    found = re.search(r"(?<![\w.+-])" + re.escape(number) + r"(?![\w.])", text)
    if found is None:
        return None
    start = found.start()
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1


def json_position(text: str, path: tuple) -> tuple[int, int] | None:
    """The (line, column) where the value at ``path`` starts in JSON ``text``, or None.

    ``path`` holds list indices and object keys (``(2, 1)``: row 3, item 2). A flat scan with an
    explicit stack, so any depth is fine; used only to locate an error.
    """
    # One loop over the tokens, so that the scan is flat and needs no recursion; what each token
    # does to the stack is in the helpers below.
    stack: list[list] = []  # [is_object, index or key, state]
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t\r\n":
            index += 1
            continue
        if char in ":,]}":
            _punctuate(stack, char)
            index += 1
            continue
        end = _string_end(text, index) if char == '"' else index + 1
        if char == '"' and _expects_key(stack):
            try:
                stack[-1][1] = json.loads(text[index:end])
            except ValueError:
                return None
            index = end
            continue
        if tuple(entry[1] for entry in stack) == path:
            return _line_column(text, index)
        if char in "[{":
            stack.append(_container(char))
            index = end
        else:
            index = _scalar_end(text, end)
    return None


def _punctuate(stack: list[list], char: str) -> None:
    """Move :func:`json_position`'s stack past ``:``, ``,``, ``]`` or ``}``: a colon leads to an
    object's value, a comma to its next key or a list's next index, a closer ends the container."""
    if char == ":":
        stack[-1][2] = "value"
    elif char == ",":
        if stack and stack[-1][0]:
            stack[-1][2] = "key"
        elif stack:
            stack[-1][1] += 1
    elif stack:
        stack.pop()


def _expects_key(stack: list[list]) -> bool:
    """Whether the innermost container is an object waiting for a key (so a string names the key)."""
    return bool(stack) and stack[-1][0] and stack[-1][2] == "key"


def _container(char: str) -> list:
    """A stack entry for a container opened by ``[`` (index 0, a value next) or ``{`` (a key next)."""
    if char == "{":
        return [True, None, "key"]
    return [False, 0, "value"]


def _string_end(text: str, index: int) -> int:
    """Just past the string that opens at ``index``, skipping escaped characters (or the text's end)."""
    end = index + 1
    while end < len(text) and text[end] != '"':
        end += 2 if text[end] == "\\" else 1
    return end + 1


def _scalar_end(text: str, end: int) -> int:
    """Where a scalar (number, ``true``, ``false``, ``null``, or the rest of a string) that runs
    through ``end`` stops: at the next delimiter or whitespace."""
    while end < len(text) and text[end] not in ",]} \t\r\n":
        end += 1
    return end


def _line_column(text: str, index: int) -> tuple[int, int]:
    """The 1-based (line, column) of ``index`` in ``text``."""
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1
