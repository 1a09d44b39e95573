"""UK region (ITL1) from a postcode, by its postcode area (the table ships in the repository)."""

import csv
import re
from functools import cache
from pathlib import Path

from portfolio.models import Region

_TABLE = Path(__file__).resolve().parent / "data" / "postcode_areas.csv"
_AREA = re.compile(r"^([A-Z]{1,2})[0-9]")


@cache
def _areas() -> dict[str, Region]:
    with _TABLE.open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return {row["area"]: Region(row["itl1"]) for row in csv.DictReader(lines)}


def region_for(postcode: str) -> Region | None:
    """The region of a (normalised) UK postcode, or None when its area is not a UK one."""
    match = _AREA.match(postcode.strip().upper())
    return _areas().get(match.group(1)) if match else None
