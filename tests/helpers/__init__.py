"""What the tests share besides fixtures (those are in tests/conftest.py): optional packages taken
through :func:`helpers.extras.needs`, operand files, signals sent to a long run, the comparator of
documented examples, the fuzz target, runs as another user, the sampling of reference sweeps.

tests/ is on the path (pyproject's ``pythonpath``), so every test module, in whichever folder,
imports them as ``from helpers.files import write_rows``.
"""
