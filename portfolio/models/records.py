"""Typed references to records: a record type's name and its id.

A generated document names the record it is about, and an uploaded file the record it belongs to,
as (record type, id): `("application", 12)`, `("monitoring_return", 40)`. Each model that can be
named declares its name as `__record_type__`; `load_record` turns a reference back into the record.
A report about many records is a `Report` (its kind), with no id.
"""

from dataclasses import dataclass
from functools import cache

from portfolio.models.base import Base


@dataclass(frozen=True)
class Report:
    """A report over many records (the leverage report, the annual implementation update)."""

    kind: str
    __record_type__ = "report"


REPORT = Report.__record_type__


@cache
def record_types() -> dict[str, type]:
    found = {mapper.class_.__dict__["__record_type__"]: mapper.class_ for mapper in Base.registry.mappers
             if "__record_type__" in mapper.class_.__dict__}
    return found | {REPORT: Report}


def record_type_of(record) -> str:
    return type(record).__record_type__


def model_of(record_type: str) -> type:
    try:
        return record_types()[record_type]
    except KeyError:
        raise LookupError(f"unknown record type {record_type!r}") from None


def load_record(session, record_type: str, record_id: int | None):
    """The record a reference names (None when it no longer exists)."""
    model = model_of(record_type)
    if model is Report or record_id is None:
        return None
    return session.get(model, record_id)
