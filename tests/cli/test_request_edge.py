"""Click's parameters stop at the command's edge: each command turns its ``params`` dictionary into one
typed request (divcli/cli/request.py), and everything below takes the request or its parts. So a
parameter's walk through a run goes down the layers and does not come back up to the dictionary.

The scan reads every module of divcli/ (no import) and allows the name ``params`` only where the
edge is: in the Click commands (divcli/cli/commands/) and in divcli/cli/request.py. There

* a function takes ``params`` only if it is a command or one of request.py's builders,
* ``params`` is handed on (as an argument, ``**params`` included) only to a function of request.py
  that takes it: its public builders (a command can import no private name), or their helpers,
* and nothing writes into it (``params[k] = …``, ``del params[k]``, ``params.update(…)``, …): the
  checks return what they decide.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "divcli"
NAME = "params"
COMMANDS = "cli/commands/"
EDGE = "cli/request.py"
WRITES = {"update", "pop", "popitem", "setdefault", "clear", "__setitem__", "__delitem__"}


def _takers(tree: ast.AST) -> set[str]:
    """The functions of ``tree`` that take ``params`` (request.py's builders and their helpers)."""
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and NAME in [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]}


def _callee(call: ast.Call) -> str:
    return call.func.id if isinstance(call.func, ast.Name) else ast.unparse(call.func)


def _hands_on(call: ast.Call) -> bool:
    """Whether ``call`` is given the dictionary itself (positionally, as a keyword's value, or ``**``)."""
    values = list(call.args) + [keyword.value for keyword in call.keywords]
    values = [value.value if isinstance(value, ast.Starred) else value for value in values]
    return any(isinstance(value, ast.Name) and value.id == NAME for value in values)


def crossings(source: str, where: str, edge_functions: set[str]) -> list[str]:
    """Every place in ``source`` (the module at ``where``, relative to divcli/) where Click's
    ``params`` goes past the edge or is written into, as ``where:line: what``."""
    tree = ast.parse(source)
    at_edge = where.startswith(COMMANDS) or where == EDGE
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            names = [a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs]
            names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
            if NAME in names and not at_edge:
                found.append((node.lineno, f"{getattr(node, 'name', 'lambda')} takes {NAME}"))
        elif isinstance(node, ast.Name) and node.id == NAME and not at_edge:
            found.append((node.lineno, f"{NAME} named below the edge"))
        elif isinstance(node, ast.Call) and _hands_on(node) and _callee(node) not in edge_functions:
            found.append((node.lineno, f"{NAME} handed to {_callee(node)}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == NAME:
            found.append((node.lineno, f"{NAME}.{node.func.attr}(…) writes into it"))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)) \
                and isinstance(node.value, ast.Name) and node.value.id == NAME:
            found.append((node.lineno, f"{ast.unparse(node)} written"))
    return [f"{where}:{line}: {what}" for line, what in sorted(set(found))]


def test_clicks_params_stop_at_the_commands_edge():
    edge_functions = _takers(ast.parse((ROOT / EDGE).read_text(encoding="utf-8")))
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        found += crossings(path.read_text(encoding="utf-8"), where, edge_functions)
    assert found == []


def test_the_edge_builds_the_request_from_params():
    """The builders take ``params`` (else the scan above would pass over nothing), and every command
    that has options hands its dictionary to one of them."""
    builders = {name for name in _takers(ast.parse((ROOT / EDGE).read_text(encoding="utf-8")))
                if not name.startswith("_")}
    assert builders == {"streamed_request", "whole_request", "positions_request", "drift_request"}
    handed = set()
    for path in sorted((ROOT / "cli" / "commands").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.args.kwarg is not None and node.args.kwarg.arg == NAME:
                calls = [call for call in ast.walk(node) if isinstance(call, ast.Call) and _hands_on(call)]
                assert len(calls) == 1 and _callee(calls[0]) in builders, node.name
                handed.add(node.name)
    assert handed == {"kl", "ce", "entropy", "js", "compare", "matrix", "libraries", "explain", "distill", "lm", "drift"}


def test_the_scan_finds_each_way_past_the_edge():
    edge = {"streamed_request", "_reading"}
    below = ("def run(request, params):\n"
             "    return params['fmt']\n"
             "check = lambda **params: 1\n")
    assert [line.split(": ", 1)[1] for line in crossings(below, "cli/run.py", edge)] == [
        "run takes params", "params named below the edge", "lambda takes params"]
    command = ("def kl(p, q, **params):\n"
               "    params['reduction'] = 'row'\n"
               "    params.update(p_as='probs')\n"
               "    check_top(params)\n"
               "    run(**params)\n"
               "    return streamed_request('kl', (p, q), params)\n")
    assert [line.split(": ", 1)[1] for line in crossings(command, "cli/commands/divergences.py", edge)] == [
        "params['reduction'] written", "params.update(…) writes into it", "params handed to check_top",
        "params handed to run"]
    builder = "def streamed_request(command, params):\n    return _reading(params)\n"
    assert crossings(builder, EDGE, edge) == []


def test_a_command_line_becomes_one_request(run, monkeypatch):
    """What the runner is given: the request, its checks' decisions in it (--top's reduction row), the
    numbers' options made from the command's words, and the operands as given."""
    import dataclasses

    import divcli.cli.commands.divergences as commands
    from divcli.vocabulary import Kind, Reduction

    seen = []
    monkeypatch.setattr(commands, "run_streamed", lambda request, computation, content: seen.append(request))
    result = run("ce", "2;0", "0,1,2;2,1,0", "--q-as", "logits", "--top", "1", "--weight", "1,2,1", "--base", "bits",
                 "-T", "2", "--label-smoothing", "0.25", "-f", "csv", "--select", "1-3")
    assert result.exit_code == 0, result.stderr
    (request,) = seen
    options = request.options
    assert (request.command, request.specs, request.weight) == ("ce", ("2;0", "0,1,2;2,1,0"), "1,2,1")
    assert (options.p_kind, options.q_kind, options.reduction) == (Kind.PROBS, Kind.LOGITS, Reduction.ROW)
    assert (options.base.text, options.conversion.temperature, options.label_smoothing) == ("2", 2.0, 0.25)
    assert options.conversion.ignore_index == -100 and options.infer_labels and options.refuse_one_class
    assert {"top", "weight", "select", "q_as"} <= options.conversion.given
    assert (request.writing.format, request.writing.top, request.reading.select) == ("csv", 1, "1-3")
    assert not request.engine.dask
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.options = None
