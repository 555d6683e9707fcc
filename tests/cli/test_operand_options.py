"""One option per operand (--p-select/--q-select, --p-drop/--q-drop, --p-names/--q-names,
--p-delimiter/--q-delimiter), patterns of column names, and the one index rule: rows and columns given
to options are numbered from 1, classes without names from 0. Each file is written as a user's would
be, each number checked against a plain float64 numpy computation."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

OLD_COLS = "--p-cols and --q-cols are now --p-select and --q-select"


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.sum(p * (np.log(p) - np.log(q)), axis=1)


def _write(path, header: list[str], rows) -> str:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def _values(result, field: str) -> list[float]:
    assert result.exit_code == 0, result.stderr
    return [float(row[field]) for row in csv.DictReader(io.StringIO(result.stdout))]


@pytest.fixture
def run_file(tmp_path):
    """One file of a distillation run: an id, the teacher's logits, the student's (a pandas frame's
    to_csv(index=False))."""
    rng = np.random.default_rng(25)
    teacher, student = rng.normal(0, 2, (6, 4)), rng.normal(0, 2, (6, 4))
    header = ["id"] + [f"teacher_{i}" for i in range(4)] + [f"student_{i}" for i in range(4)]
    rows = [[f"r{i}", *map(repr, t), *map(repr, s)] for i, (t, s) in enumerate(zip(teacher.tolist(), student.tolist()))]
    return _write(tmp_path / "run.csv", header, rows), teacher, student


# --------------------------------------------------------------------------------------------
# one option per operand


def test_one_file_of_teacher_and_student_columns_by_pattern(run, run_file):
    path, teacher, student = run_file
    result = run("kl", path, path, "--p-select", "teacher_*", "--q-select", "student_*", "--p-as", "logits",
                 "--q-as", "logits", "--names", "id", "--reduction", "none", "-f", "csv")
    expected = _kl(np.exp(_log_softmax(teacher)), np.exp(_log_softmax(student)))
    np.testing.assert_allclose(_values(result, "kl_divergence"), expected, rtol=1e-12)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["name"] for row in rows] == [f"r{i}" for i in range(6)]


def test_the_classes_are_named_after_p_where_each_operand_chooses_its_own(run_json, run_file):
    path, _, _ = run_file
    document = run_json("kl", path, path, "--p-select", "teacher_*", "--q-select", "student_*", "--p-as", "logits",
                        "--q-as", "logits")
    assert document["classes"] == [f"teacher_{i}" for i in range(4)]


def test_where_one_operand_alone_chooses_the_names_are_still_compared(run, tmp_path):
    p = _write(tmp_path / "p.csv", ["id", "a", "b"], [["x", 0.5, 0.5]])
    q = _write(tmp_path / "q.csv", ["b", "a"], [[0.25, 0.75]])
    expected = 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)
    matched = run("kl", p, q, "--p-select", "a,b", "-q")  # Q's names compared: b,a is matched to P's a,b by name
    assert matched.exit_code == 0 and float(matched.stdout) == pytest.approx(expected, rel=1e-12)
    q_other = _write(tmp_path / "q_other.csv", ["b", "c"], [[0.25, 0.75]])
    result = run("kl", p, q_other, "--p-select", "a,b")
    assert result.exit_code == 1 and "the operands name different classes" in result.stderr
    paired = run("kl", p, q, "--p-select", "a,b", "--q-select", "a,b", "-q")  # both choose: names agree
    assert paired.exit_code == 0 and float(paired.stdout) == pytest.approx(expected, rel=1e-12)


def test_labels_with_ids_against_logits(run, tmp_path):
    """ce labels_with_ids.csv logits.csv --p-select label: the labels column alone, guessed as labels."""
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(0, 1, (5, 3)), [2, 0, 1, 1, 0]
    p = _write(tmp_path / "labels_with_ids.csv", ["id", "label"], [[f"img{i}", y] for i, y in enumerate(labels)])
    q = _write(tmp_path / "logits.csv", ["a", "b", "c"], [list(map(repr, row)) for row in logits.tolist()])
    result = run("ce", p, q, "--p-select", "label", "--q-as", "logits", "--reduction", "none", "-f", "csv")
    expected = -_log_softmax(logits)[np.arange(5), labels]
    np.testing.assert_allclose(_values(result, "cross_entropy"), expected, rtol=1e-12)


def test_an_operands_own_option_wins_over_the_shared_one_part_by_part(run, tmp_path):
    p = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
    q = np.array([[0.3, 0.3, 0.4], [0.25, 0.25, 0.5]])
    p_path = _write(tmp_path / "p.csv", ["id", "a", "b", "c", "note"], [["x", *row, "n"] for row in p.tolist()])
    q_path = _write(tmp_path / "q.csv", ["a", "b", "c", "id"], [[*row, "y"] for row in q.tolist()])
    # shared: columns 2-4 and the names in id; Q: its own 1-3, and its id dropped, not its names
    result = run("kl", p_path, q_path, "--select", "2-4", "--names", "id", "--q-select", "1-3", "--q-names", "4",
                 "--reduction", "none", "-f", "csv")
    np.testing.assert_allclose(_values(result, "kl_divergence"), _kl(p, q), rtol=1e-12)
    assert [row["name"] for row in csv.DictReader(io.StringIO(result.stdout))] == ["x", "x"]


def test_each_operand_its_own_delimiter(run, tmp_path):
    p, q = np.array([[0.2, 0.8]]), np.array([[0.5, 0.5]])
    (tmp_path / "p.txt").write_text("0.2;0.8\n")
    (tmp_path / "q.txt").write_text("0.5|0.5\n")
    result = run("kl", tmp_path / "p.txt", tmp_path / "q.txt", "--p-delimiter", ";", "--q-delimiter", "|",
                 "--reduction", "none", "-f", "csv")
    np.testing.assert_allclose(_values(result, "kl_divergence"), _kl(p, q), rtol=1e-12)
    shared = run("kl", tmp_path / "p.txt", tmp_path / "p.txt", "--delimiter", ";", "-q")
    assert shared.exit_code == 0 and float(shared.stdout) == 0


def test_q_options_read_every_operand_after_p_in_js(run, tmp_path):
    rows = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    p = _write(tmp_path / "p.csv", ["a", "b"], [rows[0].tolist()])
    others = [_write(tmp_path / f"{name}.csv", ["id", "a", "b"], [["k", *row.tolist()]]) for name, row in
              (("q", rows[1]), ("r", rows[2]))]
    result = run("js", p, *others, "--q-drop", "id", "-q")
    mixture = rows.mean(axis=0)
    entropy = -np.sum(rows * np.log(rows), axis=1)
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(-np.sum(mixture * np.log(mixture)) - entropy.mean(), rel=1e-12)


def test_the_whole_operand_commands_read_each_operand_with_its_own(run_json, run_file):
    path, teacher, student = run_file
    kl = _kl(np.exp(_log_softmax(teacher)), np.exp(_log_softmax(student)))
    own = ("--p-select", "teacher_*", "--q-select", "student_*", "--p-as", "logits", "--q-as", "logits")
    explained = run_json("explain", path, path, *own)
    assert explained["classes"] == [f"teacher_{i}" for i in range(4)]
    assert explained["kl_divergence"]["value"] == pytest.approx(kl[0], rel=1e-12)
    assert run_json("libraries", path, path, *own)["exact"] == pytest.approx(kl.mean(), rel=1e-12)


def test_uniform_takes_ps_classes_under_ps_own_choice(run, run_file):
    path, teacher, _ = run_file
    result = run("kl", path, "uniform", "--p-select", "teacher_*", "--q-select", "2", "--p-as", "logits",
                 "--reduction", "none", "-f", "csv")
    p = np.exp(_log_softmax(teacher))
    np.testing.assert_allclose(_values(result, "kl_divergence"), _kl(p, np.full_like(p, 0.25)), rtol=1e-12)


def test_a_message_names_the_option_the_user_gave(run, run_file):
    path, _, _ = run_file
    own = run("kl", path, path, "--p-select", "teacher_*", "--q-select", "pupil_*")
    assert own.exit_code == 1
    assert "--q-select: no column matches 'pupil_*'; its columns are 'id', 'teacher_0'" in own.stderr
    shared = run("kl", path, path, "--select", "nope")
    assert shared.exit_code == 1 and "--select: no column 'nope'" in shared.stderr


# --------------------------------------------------------------------------------------------
# a literal and --names


def test_names_against_a_literal_names_the_files_rows_with_a_note(run, tmp_path):
    p = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    path = _write(tmp_path / "p.csv", ["id", "a", "b", "c"], [[name, *row] for name, row in zip("xy", p.tolist())])
    result = run("kl", path, "0.3,0.3,0.4", "--names", "id", "--reduction", "none", "-f", "csv")
    np.testing.assert_allclose(_values(result, "kl_divergence"), _kl(p, np.array([[0.3, 0.3, 0.4]])), rtol=1e-12)
    assert [row["name"] for row in csv.DictReader(io.StringIO(result.stdout))] == ["x", "y"]
    assert result.stderr == "note: --names is not read from the literal '0.3,0.3,0.4': a literal has no column of names\n"


def test_a_literals_own_names_are_read(run):
    result = run("entropy", "7,0.5,0.5;8,0.25,0.75", "--drop", "1", "--reduction", "none", "-f", "csv")
    assert result.exit_code == 0 and result.stderr == ""
    named = run("kl", "7,0.5,0.5;8,0.25,0.75", "0.5,0.5", "--p-names", "1", "--reduction", "none", "-f", "csv")
    assert [row["name"] for row in csv.DictReader(io.StringIO(named.stdout))] == ["7", "8"]
    np.testing.assert_allclose(_values(named, "kl_divergence"), _kl(np.array([[0.5, 0.5], [0.25, 0.75]]),
                                                                    np.array([[0.5, 0.5]])), rtol=1e-12)


# --------------------------------------------------------------------------------------------
# patterns


def test_a_pattern_keeps_the_files_order(run_json, tmp_path):
    path = _write(tmp_path / "p.csv", ["c_2", "x", "c_1"], [[0.25, 0.5, 0.75]])
    document = run_json("entropy", path, "--select", "c_*", "--reduction", "none")
    assert document["classes"] == ["c_2", "c_1"]
    assert document["rows"][0]["entropy_p"] == pytest.approx(-0.25 * np.log(0.25) - 0.75 * np.log(0.75), rel=1e-12)


def test_a_pattern_that_matches_nothing_is_refused_naming_the_columns(run, tmp_path):
    path = _write(tmp_path / "p.csv", ["a", "b"], [[0.5, 0.5]])
    result = run("entropy", path, "--drop", "z*")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("--drop: no column matches 'z*'; its columns are 'a', 'b'")
    np.save(tmp_path / "p.npy", np.array([[0.5, 0.5]]))
    unnamed = run("entropy", tmp_path / "p.npy", "--select", "a*")
    assert unnamed.exit_code == 1 and "its columns have no names to match, only numbers 1 … 2" in unnamed.stderr


# --------------------------------------------------------------------------------------------
# the one index rule


def test_select_2_picks_the_second_column(run, tmp_path):
    p = np.array([[0.2, 0.8], [0.6, 0.4]])
    path = _write(tmp_path / "p.csv", ["id", "x", "y"], [[f"r{i}", 9.0, row[1]] for i, row in enumerate(p.tolist())])
    second = run("entropy", path, "--select", "2,3", "--reduction", "none", "-f", "csv", "--normalize")
    expected = np.array([[9.0, 0.8], [9.0, 0.4]])
    expected = expected / expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(_values(second, "entropy_p"), -np.sum(expected * np.log(expected), axis=1), rtol=1e-12)
    top = run("entropy", path, "--select", "2,3", "--normalize", "--top", "1", "--names", "1", "-f", "csv")
    assert top.exit_code == 0 and list(csv.DictReader(io.StringIO(top.stdout)))[0]["row"] == "1"  # rows from 1


def test_column_0_is_refused_with_the_rule(run, tmp_path):
    path = _write(tmp_path / "p.csv", ["a", "b"], [[0.5, 0.5]])
    result = run("entropy", path, "--select", "0,1")
    assert result.exit_code == 1
    assert "--select: no column '0'; columns are numbered from 1 (the first is 1, as in cut)" in result.stderr


def test_the_old_p_cols_reads_as_p_select_numbered_from_1_with_one_warning(run, run_file):
    path, teacher, student = run_file
    result = run("kl", path, path, "--p-cols", "2-5", "--q-cols", "student_*", "--p-as", "logits", "--q-as", "logits",
                 "--reduction", "none", "-f", "csv")
    expected = _kl(np.exp(_log_softmax(teacher)), np.exp(_log_softmax(student)))
    np.testing.assert_allclose(_values(result, "kl_divergence"), expected, rtol=1e-12)
    assert result.stderr.count("warning:") == 1 and OLD_COLS in result.stderr
    zero = run("kl", path, path, "--p-cols", "0", "--q-cols", "1")
    assert zero.exit_code == 1 and "columns are numbered from 1" in zero.stderr


def test_the_old_and_new_spelling_of_one_operand_are_refused_together(run):
    result = run("kl", "0.5,0.5", "0.5,0.5", "--q-cols", "1,2", "--q-select", "1,2")
    assert result.exit_code == 2 and "--q-cols is the old spelling of --q-select: give --q-select alone" in result.stderr


@pytest.mark.parametrize("command", ["kl", "ce", "js", "compare", "explain", "libraries"])
def test_help_shows_the_own_options_on_one_line(run, command):
    text = " ".join(run(command, "--help").stdout.split())
    assert "--p-select, --q-drop, … --select, --drop, --names or --delimiter for P alone, for Q alone" in text
    assert "--p-cols" not in text


def test_a_command_of_one_operand_has_no_own_options(run):
    result = run("entropy", "0.5,0.5", "--q-select", "1")
    assert result.exit_code == 2 and "No such option" in result.stderr
