"""formats: what divcli reads and writes, and its measures, listed from the registries."""

from __future__ import annotations

import click

from ..console import whole_output
from ..help import SectionedCommand
from ..options import format_option


@click.command(cls=SectionedCommand, examples=(
    'divcli formats',
    'divcli formats -f json',
))
@format_option()
@click.option("-o", "--output", type=click.Path(readable=False), metavar="PATH",
              help="Write to PATH instead of standard output (atomically).")
def formats(fmt, output):
    """The input formats, the output formats of each command, and the measures.

    Input formats: the extensions of each, whether it is read in blocks (any size, in bounded memory)
    or whole, whether its reader applies --select, --drop and --names as it reads (or divcli after),
    and whether --engine dask takes it as shards. Listed from divcli's registries, so a format or a
    measure added to them is listed too.
    """
    from ..request import Writing
    from ...output.listing import document
    from ...output.registry import Content

    with whole_output(Writing(fmt, output=output), "divcli formats", Content.FORMATS) as writer:
        writer.write(document())
