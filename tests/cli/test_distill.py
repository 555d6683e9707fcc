"""divcli distill: Hinton's distillation loss, its parts and the usual mistakes (issue 15, item 2)."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

import divcli
from helpers.files import write_rows


def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _kl(log_p, log_q):
    return float(np.sum(np.exp(log_p) * (log_p - log_q)))  # the sum over rows and classes


def close(a, b, rel=1e-12):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-300)


RNG = np.random.default_rng(15)
T_LOGITS = RNG.normal(0, 2, (300, 5))
S_LOGITS = RNG.normal(0, 2, (300, 5))
LABELS = RNG.integers(0, 5, 300)


def _formula(t, s, T, labels=None, alpha=1.0):
    n = len(t)
    kl = _kl(_log_softmax(t / T), _log_softmax(s / T)) / n
    loss = alpha * T * T * kl
    ce = None
    if labels is not None:
        ce = float(-np.mean(_log_softmax(s)[np.arange(n), labels]))
        loss += (1 - alpha) * ce
    return loss, kl, ce


@pytest.fixture
def files(tmp_path):
    return (write_rows(tmp_path / "t.csv", T_LOGITS.tolist()), write_rows(tmp_path / "s.csv", S_LOGITS.tolist()),
            write_rows(tmp_path / "y.csv", [[int(y)] for y in LABELS]))


def test_quiet_loss_without_labels(run, files):
    t, s, _ = files
    result = run("distill", t, s, "-T", "2", "-q")
    assert result.exit_code == 0, result.stderr
    assert close(result.stdout, _formula(T_LOGITS, S_LOGITS, 2.0)[0])
    kl = json.loads(run("kl", t, s, "--p-as", "logits", "--q-as", "logits", "-T", "2", "-f", "json").stdout)
    assert close(result.stdout, kl["reductions"]["kd_loss"])


def test_json_parts_with_labels(run, files):
    t, s, y = files
    document = json.loads(run("distill", t, s, y, "-T", "4", "--alpha", "0.7", "-f", "json").stdout)
    loss, kl, ce = _formula(T_LOGITS, S_LOGITS, 4.0, LABELS, 0.7)
    assert close(document["loss"], loss)
    assert close(document["kl_at_t"], kl)
    assert close(document["t_squared_kl"], 16 * kl)
    assert close(document["ce"], ce)
    assert document["soft_weight"] == 0.7 and close(document["hard_weight"], 0.3)
    assert document["n_rows"] == 300
    mistakes = document["mistakes"]
    assert close(mistakes["no_t_squared"]["loss"], 0.7 * kl + 0.3 * ce)
    assert close(mistakes["mean_not_batchmean"]["loss"], 0.7 * 16 * kl / 5 + 0.3 * ce)
    reversed_kl = _kl(_log_softmax(S_LOGITS / 4), _log_softmax(T_LOGITS / 4)) / 300
    assert close(mistakes["reversed"]["loss"], 0.7 * 16 * reversed_kl + 0.3 * ce)
    one_side = _kl(_log_softmax(T_LOGITS / 4), _log_softmax(S_LOGITS)) / 300
    assert close(mistakes["t_on_teacher_only"]["loss"], 0.7 * 16 * one_side + 0.3 * ce)


def test_csv_and_table(run, files):
    t, s, y = files
    records = dict(csv.reader(io.StringIO(run("distill", t, s, y, "-T", "2", "--alpha", "0.5", "-f", "csv").stdout)))
    assert close(records["loss"], _formula(T_LOGITS, S_LOGITS, 2.0, LABELS, 0.5)[0])
    table = run("distill", t, s, y, "-T", "2", "--alpha", "0.5", env={"COLUMNS": "200"})
    assert table.exit_code == 0
    for words in ("T² · KL", "mean instead of batchmean", "D(student‖teacher)", "T on the teacher only"):
        assert words in table.stdout


def test_python_api_agrees(files, run):
    t, s, y = files
    value = divcli.distillation_loss(T_LOGITS, S_LOGITS, 3.0, LABELS, alpha=0.25)
    assert close(value, _formula(T_LOGITS, S_LOGITS, 3.0, LABELS, 0.25)[0])
    assert close(value, float(run("distill", t, s, y, "-T", "3", "--alpha", "0.25", "-q").stdout))
    assert close(divcli.distillation_loss(T_LOGITS, S_LOGITS, 2.0), _formula(T_LOGITS, S_LOGITS, 2.0)[0])
    with pytest.raises(ValueError):
        divcli.distillation_loss(T_LOGITS, S_LOGITS, 2.0, alpha=0.5)


def test_hard_term_takes_ce_options(run, files):
    t, s, y = files
    weighted = float(run("distill", t, s, y, "-T", "2", "--alpha", "0", "--weight", "1,2,1,1,3", "-q").stdout)
    ce = float(run("ce", y, s, "--p-as", "labels", "--q-as", "logits", "--weight", "1,2,1,1,3", "-q").stdout)
    assert close(weighted, ce)


@pytest.mark.parametrize(("args", "words"), [
    (("--alpha", "0.5"), ("--alpha", "LABELS")),
    (("--alpha", "1.5", "LABELS"), ("--alpha", "1.5")),
])
def test_usage_errors(run, files, args, words):
    t, s, y = files
    args = tuple(y if a == "LABELS" else a for a in args)
    result = run("distill", t, s, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert all(word in result.stderr for word in words)


def test_stdin_is_refused_for_teacher_and_student(run, files):
    t, s, y = files
    result = run("distill", "-", s, input="1,2,3,4,5\n")
    assert result.exit_code == 2 and "standard input" in result.stderr
    labels = run("distill", t, s, "-", "-T", "2", "-q", input="\n".join(str(int(v)) for v in LABELS) + "\n")
    assert labels.exit_code == 0, labels.stderr


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_a_pipe_is_refused_for_teacher_and_student(run, files, tmp_path, role):
    """A FIFO (or /dev/stdin on a pipe) is read once: distill's second pass would find it empty, so
    it is refused before anything is read, as - is (opening the FIFO would wait for a writer)."""
    import os

    t, s, _ = files
    fifo = tmp_path / "operand.fifo"
    os.mkfifo(fifo)
    result = run("distill", *((fifo, s) if role == "teacher" else (t, fifo)), "-T", "2")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{role.upper()} once per part" in result.stderr and "(a pipe, read once)" in result.stderr


def _counting_passes(monkeypatch):
    """Count the engine's passes over the operands that distill makes (kl and ce, each one pass)."""
    import divcli.computations.distill

    passes = []
    real = divcli.computations.distill.run_divergence

    def counted(command, *args, **kwargs):
        passes.append(command.value)
        return real(command, *args, **kwargs)

    monkeypatch.setattr(divcli.computations.distill, "run_divergence", counted)
    return passes


def test_quiet_computes_the_loss_only(run, files, monkeypatch):
    """-q prints the loss: one KL pass at T and one CE pass, not the mistakes' two extra KL passes;
    the table (and JSON) still computes every mistake, and the loss is the same number."""
    t, s, y = files
    passes = _counting_passes(monkeypatch)
    quiet = run("distill", t, s, y, "-T", "2", "--alpha", "0.5", "-q")
    assert quiet.exit_code == 0, quiet.stderr
    assert sorted(passes) == ["ce", "kl"]
    passes.clear()
    assert run("distill", t, s, "-T", "2", "-q").exit_code == 0
    assert passes == ["kl"]
    passes.clear()
    document = json.loads(run("distill", t, s, y, "-T", "2", "--alpha", "0.5", "-f", "json").stdout)
    assert sorted(passes) == ["ce", "kl", "kl", "kl"]
    assert set(document["mistakes"]) == {"no_t_squared", "mean_not_batchmean", "reversed", "t_on_teacher_only"}
    assert close(quiet.stdout, document["loss"])
    assert close(document["loss"], _formula(T_LOGITS, S_LOGITS, 2.0, LABELS, 0.5)[0])


def test_python_api_computes_the_loss_only(monkeypatch):
    passes = _counting_passes(monkeypatch)
    value = divcli.distillation_loss(T_LOGITS, S_LOGITS, 2.0, LABELS, alpha=0.5)
    assert sorted(passes) == ["ce", "kl"]
    assert close(value, _formula(T_LOGITS, S_LOGITS, 2.0, LABELS, 0.5)[0])


@pytest.mark.parametrize("args, named, not_named", [
    (["0.5,0.6;0.3,0.7", "1,2;3,4", "--teacher-as", "probs"], "--teacher-as logits", "--p-as"),
    (["1,2;3,4", "0.5,0.6;0.1,0.2", "--student-as", "probs"], "--student-as logits", "--q-as"),
    (["1,2;3,4", "2,1;0,1", "0.5,0.6;0.3,0.7", "--labels-as", "probs", "--alpha", "0.5"], "--normalize", "-as logits"),
])
def test_errors_name_distills_own_options(run, args, named, not_named):
    """distill has --teacher-as, --student-as and --labels-as, not --p-as and --q-as: a hint naming
    those failed with 'No such option'."""
    result = run("distill", *args)
    assert result.exit_code == 1 and named in result.stderr and not_named not in result.stderr, result.stderr
