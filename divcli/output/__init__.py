"""Reports → text: records (the per-row fields, once), the sinks of each format, the one registry.

    records.py     the per-row fields of every report, and the records and texts made from them
    texts.py       numbers as text: ``repr`` for programs (fast for long columns), ``fmt`` for people
    registry.py    the one sink registry: format name → its module, whose ``SINKS`` map each kind of
                   report (:class:`~divcli.output.registry.Content`) to the sink class that writes it
    csv.py, json.py, quiet.py, parquet.py   the machine formats (never through Rich)
    tables.py, measure_tables.py, explain_tables.py   the tables for people (Rich)

Adding an output format is one module with a ``SINKS`` dict and one line in
:data:`divcli.output.registry.FORMATS` (or :func:`divcli.output.registry.register` at run time).
Nothing here is imported by ``divcli --help`` but :mod:`registry` (no numpy, no Rich).
"""
