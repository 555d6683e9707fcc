"""One registration in the catalogue of measures is enough: a throwaway measure, added at run time,
works through compare, matrix (``-m KEY`` and its alias), the JSON keys, ``divcli measures``, the
Python API and the Dask engine, and nothing else lists measures."""

from __future__ import annotations

import json

import numpy as np
import pytest

import divcli
from divcli.measures import catalogue as measures
from divcli.measures.catalogue import Measure

KEY = "l1_throwaway"
P, Q = "0.5,0.3,0.2;0.1,0.1,0.8", "0.2,0.3,0.5;0.3,0.3,0.4"


def _expected() -> np.ndarray:
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    q = np.array([[0.2, 0.3, 0.5], [0.3, 0.3, 0.4]])
    return np.abs(p - q).sum(axis=1)


@pytest.fixture
def throwaway():
    measure = measures.register(
        Measure(KEY, "L1 distance (a test's)", "Σ |p − q|", "[0, 2]", "twice the total variation",
                lambda pair: np.abs(pair.p - pair.q).sum(axis=1), log_power=0, symmetric=True),
        "l1x")
    yield measure
    measures.unregister(KEY)
    assert KEY not in measures.keys() and "l1x" not in measures.aliases()


def test_compare_json_and_api(run_json, throwaway):
    document = run_json("compare", P, Q, "--reduction", "none")
    rows = [row[KEY] for row in document["rows"]]
    assert rows == pytest.approx(_expected(), rel=1e-15)
    assert KEY in run_json("compare", P, Q)["value"]
    assert divcli.compare(np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]),
                          np.array([[0.2, 0.3, 0.5], [0.3, 0.3, 0.4]]))[KEY] == pytest.approx(_expected().mean())


@pytest.mark.parametrize("name", [KEY, "l1x"])
def test_matrix_takes_its_key_and_alias(run, throwaway, name):
    result = run("matrix", P, "-m", name, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["matrix"][0][1] == pytest.approx(1.2)
    assert divcli.divergence_matrix(np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]), name)[0, 1] == pytest.approx(1.2)


def test_measures_lists_it_and_completion_offers_it(run, throwaway):
    from divcli.cli.completion import complete_measure

    listed = json.loads(run("measures", "-f", "json").stdout)["measures"]
    assert listed[-1]["key"] == KEY
    assert {item.value for item in complete_measure("l1")} == {KEY, "l1x"}


def test_an_unknown_key_is_still_refused(run, throwaway):
    result = run("matrix", P, "-m", "l2_nothing")
    assert result.exit_code == 2 and KEY in result.stderr


@pytest.mark.dask
def test_the_dask_engine_computes_it(run_json, throwaway, tmp_path, dask_cluster):
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    for index, (p, q) in enumerate(zip(P.split(";"), Q.split(";"))):
        (tmp_path / "p" / f"part-{index}.csv").write_text(p + "\n")
        (tmp_path / "q" / f"part-{index}.csv").write_text(q + "\n")
    with dask_cluster(processes=True) as cluster:
        remote = run_json("compare", tmp_path / "p", tmp_path / "q", "--reduction", "none",
                          "--engine", "dask", "--scheduler", cluster.scheduler_address)
    assert [row[KEY] for row in remote["rows"]] == pytest.approx(_expected(), rel=1e-15)
