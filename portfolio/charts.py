"""Server-rendered bar charts: the one home of their geometry. `bar_chart()` lays out one or more
series of bars over categories (financial years, quarters) and says in words what they show; the
macro `bar_chart` in templates/_macros/chart.html draws it as SVG, on pages and in PDFs alike, with
no JavaScript.

Every chart is accessible without its picture: the SVG has a title and a description (every value,
in words), each bar a tooltip, and a table of the figures is its text alternative (the page's own
table when it has one, else the macro draws one from `BarChart.table`).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

GOVUK_BLUE = "#1d70b8"
GOVUK_GREEN = "#00703c"
GOVUK_DARK_GREY = "#505a5f"
GOVUK_PURPLE = "#4c2c92"
MAX_INTERVALS = 6  # gridlines above the baseline, at most


@dataclass(frozen=True)
class Series:
    """One set of bars: a value per category."""

    name: str  # "Grant committed": the key, the table's column and each bar's tooltip
    values: Sequence[Decimal | int]
    colour: str = GOVUK_BLUE
    show: Callable[[Decimal | int], str] = "{:,}".format  # a value as the tooltip and the table show it
    describe: Callable[[Decimal | int], str] | None = None  # a value in the description: "grant £1.00"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: Decimal | int
    title: str  # its tooltip: "Grant committed 2024/25: £1,000.00"


@dataclass(frozen=True)
class DrawnSeries:
    name: str
    colour: str
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    width: int
    height: int
    left: int  # where the plot starts: the tick labels are right-aligned before it
    right: int
    categories: list[tuple[str, float]]  # label, centre x
    series: list[DrawnSeries]
    ticks: list[tuple[float, str]]  # y, label
    baseline: float
    table: list[list[str]]  # the text alternative: a header row, then a row per category

    @property
    def has_key(self) -> bool:
        return len(self.series) > 1


def nice_step(peak: Decimal, *, whole: bool = False) -> Decimal:
    """The gap between gridlines: 1, 2 or 5 times a power of ten (or 0.2 and 0.5 of one), the
    smallest that covers `peak` in at most six intervals. `whole`: never less than 1 (for counts)."""
    peak = max(Decimal(peak), Decimal(1))
    magnitude = Decimal(10) ** (len(str(int(peak))) - 1)
    for factor in (Decimal("0.2"), Decimal("0.5"), Decimal(1), Decimal(2), Decimal(5)):
        step = magnitude * factor
        if whole and step != step.to_integral_value():
            continue
        if peak / step <= MAX_INTERVALS:
            return step.quantize(Decimal(1)) if step == step.to_integral_value() else step
    return (magnitude * 10).quantize(Decimal(1))


def bar_chart(*, title: str, category_name: str, categories: Sequence[str], series: Sequence[Series],
              tick_label: Callable[[Decimal], str], empty: str, whole: bool = False,
              width: int = 640, height: int = 280, left: int = 90) -> BarChart:
    """Lay out the bars of `series` over `categories` (each series has a value per category).

    `tick_label` writes a gridline's value ("£5m"); `empty` is the description when there is no
    category; `whole` keeps gridlines on whole numbers (counts)."""
    right, top, bottom = 10, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([Decimal(value) for s in series for value in s.values] + [Decimal(1)])
    step = nice_step(peak, whole=whole)
    ceiling = step * ((peak / step).to_integral_value(rounding=ROUND_CEILING) or 1)
    slot = plot_w / max(len(categories), 1)
    bar_w = min(40.0, slot / (len(series) + 1))
    centres = [left + slot * index + slot / 2 for index in range(len(categories))]
    drawn = []
    for number, s in enumerate(series):
        bars = []
        for label, centre, value in zip(categories, centres, s.values, strict=True):
            h = float(Decimal(value) / ceiling) * plot_h
            name = f"{s.name} {label}" if len(series) > 1 else label
            bars.append(Bar(centre - len(series) * bar_w / 2 + number * bar_w, top + plot_h - h, bar_w, h, value,
                            f"{name}: {s.show(value)}"))
        drawn.append(DrawnSeries(s.name, s.colour, bars))
    ticks = [(top + plot_h - float(step * i / ceiling) * plot_h, tick_label(step * i))
             for i in range(int(ceiling / step) + 1)]
    description = " ".join(
        f"{label}: {', '.join((s.describe or s.show)(s.values[index]) for s in series)}."
        for index, label in enumerate(categories)) or empty
    table = [[category_name, *(s.name for s in series)],
             *([label, *(s.show(s.values[index]) for s in series)] for index, label in enumerate(categories))]
    return BarChart(title, description, width, height, left, right, list(zip(categories, centres, strict=True)),
                    drawn, ticks, top + plot_h, table)
