"""The ``divcli`` command line: options → read → compute → render. No arithmetic here.

Exit codes: 0 success (a legitimate +inf included), 1 bad data, 2 bad command line.
numpy and Rich are imported inside the commands, so ``--help`` and usage errors stay fast.

The package: :mod:`.options` (parameter types, shared options), :mod:`.run` (checks and the
streaming runners), :mod:`.console` (warnings, progress bar, sinks), :mod:`.terminal` (atomic
output), :mod:`.help` and :mod:`.completion`, and :mod:`.commands` (one short function a command).
Each command is also an attribute here (``divcli.cli.kl``), as the documentation's pages name them.
"""

from __future__ import annotations

import click

from .commands.distill import distill
from .commands.divergences import ce, entropy, kl
from .commands.explain import explain, libraries
from .commands.measures import compare, js, matrix, measures

__all__ = ["cli", "main", "kl", "ce", "entropy", "distill", "js", "compare", "matrix", "measures", "libraries",
           "explain"]


class DivcliGroup(click.Group):
    """The group: the one place where the library's :class:`~divcli.errors.DataError` becomes the
    command line's one-line ``Error: …`` with exit 1, options named as flags (errors.cli_words)."""

    def invoke(self, ctx: click.Context):
        import os

        # divcli makes no use of BLAS: before numpy is imported, OpenBLAS is kept to one thread (unless
        # the caller says otherwise), so it reserves no memory for a thread per CPU at start.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from ..errors import DataError, cli_words

        try:
            return super().invoke(ctx)
        except DataError as error:
            raise click.ClickException(error.message(cli_words)) from None
        except (MemoryError, RuntimeError) as error:  # numpy's, pyarrow's ArrowMemoryError, Python's own
            from .run import out_of_memory

            if isinstance(error, RuntimeError) and str(error) != "can't start new thread":
                raise
            raise out_of_memory(self.get_command(ctx, ctx.invoked_subcommand or ""), ctx, error) from None


@click.group(cls=DivcliGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="divcli", prog_name="divcli")
def cli():
    """Exact KL divergence, entropy and cross-entropy from the shell, explained.

    P is the reference ("true", target) distribution, Q the model. Each operand is a file
    (.csv .tsv .txt .json .jsonl), - for standard input, or a literal such as "0.2,0.8;0.5,0.5".

    \b
    Examples:
      divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3"
      divcli ce samples/labels.csv samples/logits.csv --p-as labels --q-as logits
      divcli entropy "0.5,0.25,0.25" --base 2 -q

    Exit codes: 0 success, 1 bad data, 2 bad command line.
    """


for command in (kl, ce, entropy, distill, js, compare, matrix, measures, libraries, explain):
    cli.add_command(command)
del command


def main() -> None:
    """The console-script entry point."""
    cli.main(prog_name="divcli")
