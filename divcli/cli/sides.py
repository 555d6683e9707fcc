"""One operand's own reading options: ``--p-select``/``--q-select``, ``--p-drop``/``--q-drop``,
``--p-names``/``--q-names`` and ``--p-delimiter``/``--q-delimiter``, each of which replaces the
shared ``--select``, ``--drop``, ``--names`` or ``--delimiter`` for its operand (option by option:
``--drop id --q-select 'student_*'`` still drops ``id`` from Q). Q's options are those of every
operand after P (js's R, S, …), as ``--q-as`` is.

``--p-cols``/``--q-cols``, the Dask engine's first spelling of ``--p-select``/``--q-select``, are
read as them, with a warning once per run: they numbered columns from 0, and every option now
numbers them from 1 (docs/inputs.md, "Numbers").
"""

from __future__ import annotations

from dataclasses import dataclass

import click

#: What one operand may choose for itself, by the shared option's Python name.
PARTS = ("select", "drop", "names", "delimiter")
#: The per-operand options' Python names (:func:`.options.own_reading_options`), and the old spelling.
OWN_OPTIONS = tuple(f"{side}_{part}" for part in PARTS for side in "pq") + ("p_cols", "q_cols")


@dataclass(frozen=True)
class Side:
    """One operand's own options as given (None: not given, the shared option holds); ``delimiter``
    is the character."""

    select: str | None = None
    drop: str | None = None
    names: str | None = None
    delimiter: str | None = None
    #: ``select`` was given as --p-cols or --q-cols, the old spelling: messages name it so
    old_cols: bool = False

    @property
    def given(self) -> frozenset[str]:
        """The parts this operand chose for itself (and ``cols`` where its select was spelled so)."""
        return frozenset(part for part in PARTS if getattr(self, part) is not None) | ({"cols"} if self.old_cols else set())


NO_SIDES = (Side(), Side())


def from_options(given: dict[str, str | None], delimiters: dict[str, str]) -> tuple[Side, Side]:
    """P's and Q's own options from their values by Python name (``p_select``, ``q_cols``, …; a command
    without them has none), ``--p-cols``/``--q-cols`` read as ``--p-select``/``--q-select`` (refused with
    them: the two would number the same columns differently); ``delimiters``: ``--delimiter``'s choices."""
    made = []
    for side in "pq":
        old, new = given.get(f"{side}_cols"), given.get(f"{side}_select")
        if old is not None and new is not None:
            raise click.UsageError(f"--{side}-cols is the old spelling of --{side}-select: give --{side}-select alone")
        made.append(Side(new if old is None else old, given.get(f"{side}_drop"), given.get(f"{side}_names"),
                         delimiters.get(given.get(f"{side}_delimiter")), old_cols=old is not None))
    return made[0], made[1]


#: Said once a run where --p-cols or --q-cols is given (divcli/cli/run.py).
OLD_COLS_WARNING = ("--p-cols and --q-cols are now --p-select and --q-select, which number columns from 1 as "
                    "--select does (the first column is 1, no longer 0): --p-cols 0,1 of old is --p-select 1,2")


def chosen(shared: str | None, side: Side, part: str) -> str | None:
    """An operand's value of ``part``: its own when given, else the shared one."""
    own = getattr(side, part)
    return shared if own is None else own
