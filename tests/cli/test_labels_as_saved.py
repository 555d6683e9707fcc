"""Labels as people save them (``np.save`` of a 1-D integer array, a .npz key holding one, a JSON
list of whole numbers) read by ``ce`` and ``distill`` as a column of class indices is; torch's
argument order (``ce LOGITS LABELS``) refused with the order to use; and every message about an
operand that could be labels names ``--p-as labels`` before ``--normalize``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

RNG = np.random.default_rng(20)


def reference_ce(labels: np.ndarray, logits: np.ndarray) -> float:
    """torch's F.cross_entropy(logits, labels) (mean), in float64 with a shifted log-sum-exp."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_softmax[np.arange(labels.size), labels].mean())


@pytest.fixture
def files(tmp_path):
    """8 rows: logits of 5 classes (N ≠ C) and of 8 classes (N = C), the labels saved four ways."""
    labels = np.array([0, 1, 2, 3, 4, 0, 1, 2])
    paths = {
        "logits5": tmp_path / "logits5.npy", "logits8": tmp_path / "logits8.npy",
        "npy": tmp_path / "labels.npy", "npz": tmp_path / "labels.npz", "json": tmp_path / "labels.json",
        "float": tmp_path / "float_labels.npy", "teacher": tmp_path / "teacher.npy",
    }
    np.save(paths["logits5"], RNG.normal(size=(8, 5)))
    np.save(paths["logits8"], RNG.normal(size=(8, 8)))
    np.save(paths["teacher"], RNG.normal(size=(8, 5)))
    np.save(paths["npy"], labels)
    np.savez(paths["npz"], y=labels, other=np.zeros((2, 2)))
    paths["json"].write_text(json.dumps(labels.tolist()))
    np.save(paths["float"], labels.astype(np.float64))
    return labels, {name: str(path) for name, path in paths.items()}


@pytest.mark.parametrize("saved", ["npy", "npz", "json"])
@pytest.mark.parametrize("logits", ["logits5", "logits8"])
def test_ce_reads_saved_labels_as_labels(run, files, saved, logits):
    """N ≠ C and N = C alike (with N = C the row of labels used to be read as one distribution)."""
    labels, paths = files
    operand = paths[saved] + (":y" if saved == "npz" else "")
    result = run("ce", operand, paths[logits], "--q-as", "logits", "-q")
    assert result.exit_code == 0, result.stderr
    expected = reference_ce(labels, np.load(paths[logits]))
    assert math.isclose(float(result.stdout), expected, rel_tol=1e-13)
    explicit = run("ce", operand, paths[logits], "--p-as", "labels", "--q-as", "logits", "-q")
    assert float(explicit.stdout) == float(result.stdout)


def test_ce_says_the_saved_labels_were_read_as_labels(run_json, run, files):
    _, paths = files
    document = run_json("ce", paths["npy"], paths["logits8"], "--q-as", "logits")
    assert document["p"]["kind"] == "labels"
    table = run("ce", paths["npy"], paths["logits8"], "--q-as", "logits", env={"COLUMNS": "200"})
    assert "read as labels (class indices, one per row)" in " ".join(table.stdout.split())


@pytest.mark.parametrize("saved", ["npy", "npz", "json"])
def test_distill_reads_saved_labels(run, files, saved):
    labels, paths = files
    operand = paths[saved] + (":y" if saved == "npz" else "")
    result = run("distill", paths["teacher"], paths["logits5"], operand, "-T", "2", "--alpha", "0.5", "-q")
    assert result.exit_code == 0, result.stderr
    from_csv = run("distill", paths["teacher"], paths["logits5"], ";".join(map(str, labels)), "-T", "2",
                   "--alpha", "0.5", "-q")
    assert float(result.stdout) == float(from_csv.stdout)


def test_a_one_hot_row_saved_as_integers_stays_a_distribution(run, tmp_path):
    """[0, 1, 0] against one row of 3 classes is that row's one-hot target, not three labels."""
    np.save(tmp_path / "onehot.npy", np.array([0, 1, 0]))
    result = run("ce", tmp_path / "onehot.npy", "0.2,0.3,0.5", "-q")
    assert result.exit_code == 0, result.stderr
    assert math.isclose(float(result.stdout), -math.log(0.3), rel_tol=1e-14)


def test_integer_counts_as_q_are_not_taken_for_labels(run, tmp_path):
    """A histogram of counts saved as integers is Q's one row, broadcast (not torch's order)."""
    np.save(tmp_path / "counts.npy", np.array([1, 2, 1]))
    result = run("ce", "0.2,0.3,0.5;0.1,0.8,0.1", tmp_path / "counts.npy", "--normalize", "-q")
    assert result.exit_code == 0, result.stderr
    q = np.array([0.25, 0.5, 0.25])
    expected = -(np.array([[0.2, 0.3, 0.5], [0.1, 0.8, 0.1]]) * np.log(q)).sum(axis=1).mean()
    assert math.isclose(float(result.stdout), expected, rel_tol=1e-14)


# --------------------------------------------------------------------------------------------
# torch's order, ce LOGITS LABELS


@pytest.mark.parametrize("labels_form", ["npy", "csv", "literal"])
@pytest.mark.parametrize("p_as", [[], ["--p-as", "logits"]])
def test_torch_order_is_refused_with_the_order_to_use(run, files, tmp_path, labels_form, p_as):
    labels, paths = files
    if labels_form == "csv":
        (tmp_path / "y.csv").write_text("".join(f"{label}\n" for label in labels))
        operand = str(tmp_path / "y.csv")
    else:
        operand = paths["npy"] if labels_form == "npy" else ";".join(map(str, labels))
    result = run("ce", paths["logits5"], operand, *p_as)
    assert result.exit_code == 1 and not result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "P comes first: the target (labels); Q second: the model's logits" in lines[0]
    suggested = "LABELS" if labels_form == "literal" else operand
    assert f"did you mean `divcli ce {suggested} {paths['logits5']} --q-as logits`, with your other options?" in lines[0]


def test_the_suggested_order_gives_torchs_number(run, files):
    labels, paths = files
    result = run("ce", paths["npy"], paths["logits5"], "--q-as", "logits", "-q")
    assert math.isclose(float(result.stdout), reference_ce(labels, np.load(paths["logits5"])), rel_tol=1e-13)


def test_a_q_column_of_non_labels_is_still_the_one_class_error(run):
    """Values that cannot be class indices of P's classes: not torch's order, one class a row."""
    result = run("ce", "0.2,0.3,0.5;0.1,0.8,0.1", "0.5;1.5")
    assert result.exit_code == 1 and "single class" in result.stderr and "P comes first" not in result.stderr


# --------------------------------------------------------------------------------------------
# the hint names --p-as labels first, never --normalize for a vector of labels


def test_float_labels_with_n_equal_c_name_p_as_labels_not_normalize(run, files):
    """Labels saved from a float tensor are not guessed (torch's targets are integers too), but the
    error says what to pass, and never --normalize, which would give a wrong cross-entropy."""
    _, paths = files
    result = run("ce", paths["float"], paths["logits8"], "--q-as", "logits")
    assert result.exit_code == 1 and not result.stdout
    assert "pass --p-as labels if these are class indices" in result.stderr
    assert result.stderr.index("--p-as labels") < result.stderr.index("--normalize")
    assert "pass --normalize" not in result.stderr


def test_float_labels_with_n_other_than_c_name_p_as_labels(run, files):
    _, paths = files
    for command in ("ce", "kl"):
        result = run(command, paths["float"], paths["logits5"], "--q-as", "logits")
        assert result.exit_code == 1 and not result.stdout
        assert "pass --p-as labels" in result.stderr and "--columns" not in result.stderr


def test_a_histogram_row_still_gets_the_normalize_hint(run):
    """Counts that cannot be class indices (a count of 7 with 3 classes) keep the old hint."""
    result = run("kl", "3,7,2", "0.2,0.3,0.5")
    assert result.exit_code == 1 and "pass --normalize" in result.stderr and "--p-as labels" not in result.stderr


def test_a_column_of_class_indices_under_kl_names_p_as_labels_first(run, tmp_path):
    (tmp_path / "y.csv").write_text("2\n0\n1\n")
    result = run("kl", tmp_path / "y.csv", "0.2,0.3,0.5;0.1,0.8,0.1;0.3,0.3,0.4")
    assert result.exit_code == 1 and not result.stdout
    assert result.stderr.index("--p-as labels") < result.stderr.index("--columns")


@pytest.mark.parametrize("saved", ["npy", "json"])
def test_saved_labels_against_uniform_are_not_guessed(run, files, saved):
    """uniform is made over P's classes, and labels have none: N labels were taken for N classes
    (ce labels.npy uniform gave ln N). Refused, as with --p-as labels."""
    _, paths = files
    for given in ([], ["--p-as", "labels"]):
        result = run("ce", paths[saved], "uniform", *given, "-q")
        assert result.exit_code == 1 and not result.stdout, result.stdout
    assert "labels do not say how many classes there are" in result.stderr


@pytest.mark.parametrize("q", ["json", "npy", "onehot"])
def test_a_q_row_broadcast_against_a_table_of_probabilities_is_no_torch_order(run, tmp_path, q):
    """P a table of probabilities, Q one row of whole numbers as long as P has rows: Q's row is
    broadcast to every row of P (as the literal "2,0,1" is), not refused as torch's order."""
    p = "0.2,0.3,0.5;0.1,0.1,0.8;0.3,0.3,0.4"
    row = [1, 0, 0] if q == "onehot" else [2, 0, 1]
    if q == "npy":
        np.save(tmp_path / "q.npy", np.array(row))
        operand = tmp_path / "q.npy"
    else:
        operand = tmp_path / "q.json"
        operand.write_text(json.dumps(row))
    kind = [] if q == "onehot" else ["--q-as", "logits"]
    result = run("ce", p, operand, *kind, "-q")
    literal = run("ce", p, ",".join(map(str, row)), *kind, "-q")
    assert result.exit_code == 0 and literal.exit_code == 0, result.stderr
    assert float(result.stdout) == float(literal.stdout)


def test_saved_labels_with_one_out_of_range_name_p_as_labels_then_the_label(run, files, tmp_path):
    labels, paths = files
    bad = labels.copy()
    bad[0] = 5  # 5 classes: 0 … 4
    np.save(tmp_path / "bad.npy", bad)
    guessed = run("ce", tmp_path / "bad.npy", paths["logits5"], "--q-as", "logits")
    assert guessed.exit_code == 1 and "pass --p-as labels" in guessed.stderr and "--columns" not in guessed.stderr
    explicit = run("ce", tmp_path / "bad.npy", paths["logits5"], "--q-as", "logits", "--p-as", "labels")
    assert explicit.exit_code == 1 and "label '5' is out of range" in explicit.stderr


def test_a_vector_that_is_labels_and_one_hot_row_says_which_it_was_read_as(run, tmp_path):
    """[1, 0] against 2 rows of 2 classes: labels 1, 0 (torch's reading of integer targets) or the
    one-hot row (1, 0) for both rows; ce reads labels and says so, --p-as probs takes the row."""
    (tmp_path / "y.json").write_text("[1, 0]")
    q = "2,0;0,3"
    labels = run("ce", tmp_path / "y.json", q, "--q-as", "logits", "-q")
    assert labels.exit_code == 0
    log_softmax = np.array([[2, 0], [0, 3]]) - np.log(np.exp([[2, 0], [0, 3]]).sum(axis=1, keepdims=True))
    assert math.isclose(float(labels.stdout), -(log_softmax[0, 1] + log_softmax[1, 0]) / 2, rel_tol=1e-14)
    assert "read as labels" in labels.stderr and "pass --p-as probs" in labels.stderr
    row = run("ce", tmp_path / "y.json", q, "--q-as", "logits", "--p-as", "probs", "-q")
    assert math.isclose(float(row.stdout), -(log_softmax[0, 0] + log_softmax[1, 0]) / 2, rel_tol=1e-14)
    assert row.stderr == ""


def test_libraries_with_labels_say_what_p_stands_for(run_json, files):
    _, paths = files
    document = run_json("libraries", paths["npy"], paths["logits5"], "--p-as", "labels", "--q-as", "logits")
    assert "P in the calls stands for the labels' one-hot rows" in document["note"]
    assert "P in the calls stand for the probabilities" not in document["note"]
    assert "Q in the calls stands for the probabilities softmax(x)" in document["note"]
