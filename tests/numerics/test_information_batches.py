"""The values of many joint tables at once (the bootstrap's resamples) against each table's own:
:func:`information` for the plug-in, :func:`estimated_information` for the estimators, a class a
table never saw left out as they leave it out (shrink's K counts the classes seen alone)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from divcli.numerics.information import AVERAGES, information
from divcli.numerics.information_batches import batch_information
from divcli.numerics.information_estimators import estimated_information
from divcli.numerics.estimators import ESTIMATORS

pytestmark = pytest.mark.numeric


def _tables():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.full(12, 0.5)).reshape(3, 4)
    tables = rng.multinomial(15, p.ravel(), size=300).reshape(-1, 3, 4).astype(np.float64)
    tables[0] = [[3, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]  # one class a side
    tables[1] = [[3, 0, 0, 0], [0, 2, 0, 0], [0, 0, 0, 0]]  # Y determines X, a row and columns unseen
    tables[2] = [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]  # independent
    tables[3] = [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]  # one pair
    return tables


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_each_tables_values_are_its_own(estimator):
    tables = _tables()
    batch = batch_information(tables, estimator)
    for index, table in enumerate(tables):
        alone = information(table) if estimator == "plugin" else estimated_information(table, estimator)
        for key in ("h_x", "h_y", "h_xy", "h_x_given_y", "h_y_given_x", "mi"):
            assert getattr(batch, key)[index] == pytest.approx(getattr(alone, key), rel=1e-12, abs=1e-13), (index, key)
        for average in AVERAGES:
            expected = alone.normalised(average)
            found = batch.normalised(average)[index]
            assert (math.isnan(found) and math.isnan(expected)) or found == pytest.approx(expected, rel=1e-12,
                                                                                            abs=1e-13)
        assert (batch.x_classes[index], batch.y_classes[index]) == (alone.x_classes, alone.y_classes)


def test_the_plugin_keeps_its_bounds():
    batch = batch_information(_tables())
    assert np.all(batch.mi >= 0) and np.all(batch.mi <= np.minimum(batch.h_x, batch.h_y))
    assert np.all(batch.h_x_given_y >= 0) and np.all(batch.h_y_given_x >= 0)
    assert batch.mi[1] == batch.h_x[1] == pytest.approx(math.log(5) - (3 * math.log(3) + 2 * math.log(2)) / 5)
