"""Every registered input format, measure and output format keeps the contract of tests/helpers/contracts.py:
the tests are parametrised over the registries, so a format or a measure added to divcli is tested
without a line here. The built-in ones are checked for presence and order, never for equality: a
registration beside them changes nothing."""

from __future__ import annotations

import pytest

from divcli.measures.catalogue import catalogue, keys
from divcli.output import registry as outputs
from divcli.readers.registry import formats
from helpers.contracts import check_measure, check_measure_names, check_reader, check_reader_command, \
    check_reader_errors, check_sink, written_kinds

READERS = formats()
MEASURES = catalogue(ordered=True)
SINKS = [(name, kind) for name in outputs.FORMATS.names() for kind in written_kinds(name)]


@pytest.mark.parametrize("fmt", READERS, ids=lambda fmt: fmt.name)
def test_an_input_format_reads_its_sample_whole_in_blocks_and_selected(fmt, tmp_path):
    check_reader(fmt, tmp_path)


@pytest.mark.parametrize("fmt", READERS, ids=lambda fmt: fmt.name)
def test_an_input_format_reads_through_the_command_line(fmt, tmp_path):
    check_reader_command(fmt, tmp_path)


@pytest.mark.parametrize("fmt", READERS, ids=lambda fmt: fmt.name)
def test_a_broken_file_of_an_input_format_is_a_one_line_error(fmt, tmp_path):
    check_reader_errors(fmt, tmp_path)


@pytest.mark.parametrize("measure", MEASURES, ids=lambda measure: measure.key)
def test_a_measure_is_in_its_range_zero_on_equal_rows_and_finite(measure):
    check_measure(measure)


@pytest.mark.parametrize("key", keys())
def test_a_measure_is_found_by_its_key_and_aliases(key):
    check_measure_names(key)


@pytest.mark.parametrize("name, kind", SINKS, ids=lambda value: getattr(value, "value", value))
def test_an_output_format_writes_every_kind_it_declares(name, kind):
    check_sink(name, kind)


def _in_order(found: list[str], built_in: list[str]) -> list[str]:
    return [name for name in found if name in built_in]


def test_the_built_in_formats_and_measures_are_registered_in_order():
    built_in = ["CSV", "TSV", "text", "JSON", "JSON Lines", "npy", "npz", "Parquet"]
    assert _in_order([fmt.name for fmt in formats()], built_in) == built_in
    built_in = ["table", "csv", "json", "quiet", "parquet"]
    assert _in_order(outputs.FORMATS.names(), built_in) == built_in
    built_in = ["kl_pq", "kl_qp", "jeffreys", "js_divergence", "js_distance", "total_variation", "hellinger",
                "bhattacharyya_coefficient", "bhattacharyya_distance", "chi2_pearson", "chi2_neyman", "cross_entropy",
                "entropy_p", "entropy_q", "perplexity_p", "perplexity_q", "wasserstein_1"]
    assert _in_order(keys(), built_in) == built_in
