"""Server-rendered bar charts (portfolio.charts and templates/_macros/chart.html)."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string

from portfolio.charts import Series, bar_chart, nice_step
from portfolio.money import money, money_compact

MACRO = '{% from "_macros/chart.html" import bar_chart %}{{ bar_chart(chart, "c", table_id=table_id) }}'


def two_series():
    return bar_chart(title="Grant and private investment", category_name="Financial year",
                     categories=["2025/26", "2026/27"], empty="No awards.", tick_label=money_compact,
                     series=[Series("Grant", [Decimal("2000000"), Decimal("4000000")], "#1d70b8", show=money,
                                    describe=lambda v: f"grant {money(v)}"),
                             Series("Private", [Decimal("8000000"), Decimal("16000000")], "#00703c", show=money)])


@pytest.mark.parametrize(("peak", "whole", "step"), [
    (Decimal("24000000"), False, Decimal("5000000")), (Decimal("1"), False, Decimal("0.2")),
    (Decimal("1"), True, Decimal("1")), (Decimal("140"), True, Decimal("50")), (Decimal("6"), True, Decimal("1")),
    (Decimal("7"), True, Decimal("2")), (Decimal("1234"), True, Decimal("500")),
])
def test_gridlines_fall_on_round_numbers(peak, whole, step):
    assert nice_step(peak, whole=whole) == step


def test_bars_are_drawn_to_scale_side_by_side():
    chart = two_series()
    grant, private = (series.bars for series in chart.series)
    assert private[0].height == pytest.approx(4 * grant[0].height)  # £8m against £2m
    assert private[1].height == pytest.approx(2 * private[0].height)
    assert private[1].height <= chart.baseline - 10  # under the top gridline (£20m)
    assert private[1].y == pytest.approx(chart.baseline - private[1].height)
    assert grant[0].x + grant[0].width == pytest.approx(private[0].x)  # side by side, around the centre
    assert [label for _, label in chart.ticks] == ["£0", "£5m", "£10m", "£15m", "£20m"]
    assert chart.description == ("2025/26: grant £2,000,000.00, £8,000,000.00. "
                                 "2026/27: grant £4,000,000.00, £16,000,000.00.")
    assert grant[1].title == "Grant 2026/27: £4,000,000.00"
    assert chart.table == [["Financial year", "Grant", "Private"], ["2025/26", "£2,000,000.00", "£8,000,000.00"],
                           ["2026/27", "£4,000,000.00", "£16,000,000.00"]]


def test_an_empty_chart_says_so():
    chart = bar_chart(title="Employees", category_name="Quarter", categories=[], empty="No snapshots.",
                      tick_label="{:,}".format, whole=True, series=[Series("UK employees", [])])
    assert chart.description == "No snapshots." and chart.series[0].bars == []
    assert [label for _, label in chart.ticks] == ["0", "1"]


def test_the_macro_draws_an_accessible_svg_with_a_table_and_no_script(app):
    with app.test_request_context():
        html = BeautifulSoup(render_template_string(MACRO, chart=two_series(), table_id=None), "html.parser")
    svg = html.select_one("svg#c")
    assert svg["role"] == "img" and svg["aria-labelledby"] == "c-title c-desc"
    assert svg.select_one("title#c-title").text == "Grant and private investment"
    assert svg.select_one("desc#c-desc").text.startswith("2025/26: grant £2,000,000.00")
    assert [rect.title.text for rect in svg.select("rect")][:2] == ["Grant 2025/26: £2,000,000.00",
                                                                     "Grant 2026/27: £4,000,000.00"]
    assert "Grant" in html.select_one("#c-key").text and "Private" in html.select_one("#c-key").text
    assert [[cell.text for cell in row.select("th, td")] for row in html.select("#c-table tr")][1] == [
        "2025/26", "£2,000,000.00", "£8,000,000.00"]
    assert html.select("script") == []


def test_a_page_table_can_be_the_text_alternative(app):
    with app.test_request_context():
        html = BeautifulSoup(render_template_string(MACRO, chart=two_series(), table_id="by-year"), "html.parser")
    assert html.select_one("svg#c")["aria-describedby"] == "by-year" and html.select("table") == []
