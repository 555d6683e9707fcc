"""The ``divcli`` command line: options → read → compute → render. No arithmetic here.

Exit codes: 0 success (a legitimate +inf included), 1 bad data, 2 bad command line, 3 drift found
(``divcli drift --fail-above``), 130 interrupted
(Ctrl-C), 141 standard output's pipe closed early.
numpy and Rich are imported inside the commands, so ``--help`` and usage errors stay fast.

The package: :mod:`.options` (parameter types, shared options), :mod:`.request` (the typed request
a command makes once from its parameters, with the command line's checks), :mod:`.run` (reading the
operands, the one runner of the streamed computations), :mod:`.console` (warnings, progress bar,
sinks), :mod:`.terminal` (atomic output), :mod:`.help` and :mod:`.completion`, and :mod:`.commands`
(one short function a command).
Each command is also an attribute here (``divcli.cli.kl``), as the documentation's pages name them.
"""

from __future__ import annotations

import sys

import click

from .commands.distill import distill
from .commands.divergences import ce, entropy, kl
from .commands.drift import drift
from .commands.explain import explain, libraries
from .commands.formats import formats
from .commands.lm import lm
from .commands.measures import compare, js, matrix, measures
from .commands.mi import mi

__all__ = ["cli", "main", "kl", "ce", "entropy", "distill", "js", "compare", "matrix", "measures", "formats",
           "libraries", "explain", "lm", "drift", "mi"]


#: The exit status of a run stopped by Ctrl-C (SIGINT), as a shell reports one: 128 + 2.
INTERRUPTED = 130


class DivcliGroup(click.Group):
    """The group: the one place where the library's :class:`~divcli.errors.DataError` becomes the
    command line's one-line ``Error: …`` with exit 1, options named as flags (errors.cli_words), and
    where the exit codes are decided (:meth:`main`). Its help names the input formats' extensions
    from their registry (``{extensions}`` in the text), as they are when it is shown."""

    @property
    def help(self) -> str | None:
        if self._help is None or "{extensions}" not in self._help:
            return self._help
        from ..readers.registry import extensions

        return self._help.replace("{extensions}", " ".join(extensions()))

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value

    def get_command(self, ctx: click.Context, cmd_name: str):
        """The command ``cmd_name`` names, or is an alias of (:mod:`.names`)."""
        from .names import command_name

        return super().get_command(ctx, command_name(cmd_name))

    def resolve_command(self, ctx: click.Context, args: list[str]):
        """Click's, with a suggestion that fits a name that is no command (:mod:`.names`)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            from .names import no_such_command

            raise no_such_command(name, self.list_commands(ctx), ctx)
        return super().resolve_command(ctx, args)

    def shell_complete(self, ctx: click.Context, incomplete: str):
        """The commands and options Click completes, and the aliases."""
        from .names import alias_items

        return super().shell_complete(ctx, incomplete) + alias_items(incomplete)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """After the commands: their aliases, and how to turn on shell completion."""
        from .names import aliases_line

        formatter.write_paragraph()
        with formatter.indentation():  # as Click indents an epilog
            formatter.write_text(aliases_line())
            formatter.write_paragraph()
            formatter.write_text('Shell completion: eval "$(_DIVCLI_COMPLETE=bash_source divcli)" in ~/.bashrc '
                                 "(zsh_source in ~/.zshrc; fish_source, and a script saved once for a quicker "
                                 "start: the Install page).")

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Click's main, with divcli's exit codes kept whatever happens to the terminal: Ctrl-C is
        130 (not Click's 1, "Aborted!"), in every command and while reading or writing; an error
        whose message cannot be written (standard error closed, or a closed pipe) keeps its code
        (a usage error stays 2). Standard output and error that cannot encode divcli's symbols
        write their ASCII forms (:func:`.screen.fit_streams`)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        from .screen import fit_streams

        fit_streams()
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.Abort as abort:  # Click's word for Ctrl-C (or end of input at a prompt)
            code = INTERRUPTED if isinstance(abort.__cause__, KeyboardInterrupt) else 1
            if code != INTERRUPTED:
                _show(click.ClickException("aborted"))
        except click.ClickException as error:
            _show(error)
            code = error.exit_code
        except KeyboardInterrupt:
            code = INTERRUPTED
        sys.exit(code if isinstance(code, int) else 0)

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
        except KeyboardInterrupt:  # before Click makes it "Aborted!", exit 1
            raise click.exceptions.Exit(INTERRUPTED) from None
        except UnicodeEncodeError as error:  # a name in CSV that standard output's encoding has no letter for
            from .screen import unwritable

            raise click.ClickException(unwritable(error)) from None


def _show(error: click.ClickException) -> None:
    """``error``'s message on standard error, if it can be written there: with standard error
    closed (``2>&-``) or a closed pipe, the exit code alone tells."""
    if sys.stderr is None:
        return
    from ..errors import printable
    from .terminal import silence

    # what the user typed, echoed by Click ("Got unexpected extra argument (…)"), is shown escaped
    error.message = "\n".join(map(printable, error.message.split("\n")))
    try:
        error.show(file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError):
        silence(sys.stderr)


@click.group(cls=DivcliGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="divcli", prog_name="divcli")
def cli():
    """Exact KL divergence, entropy and cross-entropy from the shell, explained.

    P is the reference ("true", target) distribution, Q the model. Each operand is a file
    ({extensions}), - for standard input, or a literal such as "0.2,0.8;0.5,0.5".

    \b
    Examples:
      divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3"
      divcli ce samples/labels.csv samples/logits.csv --p-as labels --q-as logits
      divcli entropy "0.5,0.25,0.25" --base 2 -q

    Exit codes: 0 success, 1 bad data, 2 bad command line, 3 drift above --fail-above, 130 Ctrl-C,
    141 closed pipe.
    """


for command in (kl, ce, entropy, distill, lm, drift, mi, js, compare, matrix, measures, formats, libraries, explain):
    cli.add_command(command)
del command


def main() -> None:
    """The console-script entry point (and ``python -m divcli``'s)."""
    try:
        cli.main(prog_name="divcli")
    except SystemExit as done:
        # The process ends: what it made needs no more collecting. Once numba's kernels are loaded,
        # the interpreter's collections at exit would walk their tens of thousands of objects again,
        # 0.1-0.2 s of one CPU after the output is written, serial (a fifth of what a 1024 × 131072
        # float16 run does besides its kernel); frozen, they are only freed.
        import gc

        gc.freeze()
        if done.code != INTERRUPTED:
            raise
        # An interrupt that passed through code some C extension ran while importing (even caught
        # later) makes CPython kill itself with SIGINT after exiting, whatever code it was given:
        # the process ends here, with 130, its output flushed.
        import os

        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        os._exit(INTERRUPTED)
