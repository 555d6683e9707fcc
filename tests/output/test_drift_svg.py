"""The two-histogram picture: valid SVG, one bar per bin per side, heights proportional to the shares,
every bin labelled (the open outer bins and the missing values' bin too), the same bytes every time."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from divcli.output.drift_svg import COLOURS, HistogramPair, histograms_svg

SVG = "{http://www.w3.org/2000/svg}"
LABELS = ["< 0.5", "0.5 – 1", "1 – 2", "≥ 2", "NaN"]
REFERENCE = [0.1, 0.2, 0.4, 0.3, 0.0]
CURRENT = [0.05, 0.25, 0.3, 0.3, 0.1]


def _bars(root, side):
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == f"bar {side}"]


def _panels(root):
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "panel"]


def test_one_bar_per_bin_per_side_with_heights_proportional_to_the_shares():
    root = ET.fromstring(histograms_svg([HistogramPair("x", LABELS, REFERENCE, CURRENT)], "drift"))
    for side, shares in (("reference", REFERENCE), ("current", CURRENT)):
        bars = _bars(root, side)
        assert [int(bar.get("data-bin")) for bar in bars] == list(range(len(LABELS)))
        assert [float(bar.get("data-share")) for bar in bars] == shares
        assert {bar.get("fill") for bar in bars} == {COLOURS[side]}
        assert all(0 < float(bar.get("fill-opacity")) < 1 for bar in bars)
        heights = [float(bar.get("height")) for bar in bars]
        tallest = max(range(len(shares)), key=shares.__getitem__)
        for height, share in zip(heights, shares):
            assert height == pytest.approx(heights[tallest] * share / shares[tallest], abs=0.15)
        bottoms = {round(float(bar.get("y")) + float(bar.get("height")), 1) for bar in bars}
        assert len(bottoms) == 1  # every bar stands on the axis


def test_the_two_sides_share_each_bins_place():
    root = ET.fromstring(histograms_svg([HistogramPair("x", LABELS, REFERENCE, CURRENT)]))
    reference, current = _bars(root, "reference"), _bars(root, "current")
    assert [bar.get("x") for bar in reference] == [bar.get("x") for bar in current]
    xs = [float(bar.get("x")) for bar in reference]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)


def test_every_bin_is_labelled_and_the_legend_names_both_sides():
    root = ET.fromstring(histograms_svg([HistogramPair("income", LABELS, REFERENCE, CURRENT, note="PSI 0.1")]))
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "bin"] == LABELS
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"] == ["reference", "current"]
    assert "income" in texts and "PSI 0.1" in texts and "share of rows" in texts
    tips = [title.text for title in root.iter(f"{SVG}title")]
    assert "NaN: current 10.00%" in tips and "≥ 2: reference 30.00%" in tips


def test_several_columns_are_panels_stacked_in_one_picture():
    pairs = [HistogramPair("a", LABELS, REFERENCE, CURRENT),
             HistogramPair("city", ["Paris", "Lyon"], [0.7, 0.3], [0.5, 0.5], x_label="category")]
    root = ET.fromstring(histograms_svg(pairs, "two columns"))
    panels = _panels(root)
    assert len(panels) == 2
    assert [len(_bars(panel, "current")) for panel in panels] == [5, 2]
    tops = [min(float(rect.get("y")) for rect in _bars(panel, "reference")) for panel in panels]
    assert tops[0] < tops[1] <= float(root.get("height"))
    assert "category" in [t.text for t in panels[1].iter(f"{SVG}text")]


def test_the_same_data_give_the_same_bytes_and_text_is_escaped():
    pair = HistogramPair("<a & b>", ["x < 1", "x ≥ 1"], [0.5, 0.5], [0.25, 0.75])
    first = histograms_svg([pair], 'ref.csv → "cur".csv')
    assert first == histograms_svg([pair], 'ref.csv → "cur".csv')
    root = ET.fromstring(first)  # parses: < & " escaped
    assert "<a & b>" in [t.text for t in root.iter(f"{SVG}text")]


def test_many_long_labels_slant_and_widen_the_picture():
    labels = [f"{i / 10:.6f} – {(i + 1) / 10:.6f}" for i in range(30)]
    shares = [1 / 30] * 30
    root = ET.fromstring(histograms_svg([HistogramPair("wide", labels, shares, shares)]))
    assert all("rotate" in t.get("transform", "") for t in root.iter(f"{SVG}text") if t.get("class") == "bin")
    assert float(root.get("width")) >= 30 * 30


def test_all_zero_shares_draw_flat_bars():
    root = ET.fromstring(histograms_svg([HistogramPair("z", ["a", "b"], [0.0, 0.0], [0.0, 0.0])]))
    assert {float(bar.get("height")) for bar in _bars(root, "current")} == {0.0}


@pytest.mark.parametrize("pair, words", [
    (HistogramPair("x", ["a"], [0.5, 0.5], [0.5, 0.5]), "1 labels, 2 reference shares"),
    (HistogramPair("x", ["a", "b"], [0.5, float("nan")], [0.5, 0.5]), "finite numbers"),
    (HistogramPair("x", ["a", "b"], [0.5, 0.5], [-0.1, 1.1]), "finite numbers"),
])
def test_shares_are_checked(pair, words):
    with pytest.raises(ValueError, match=words):
        histograms_svg([pair])
