"""Reference numbers, as every page, PDF, e-mail, export and file name shows them: the one home of
their format. A prefix, a hyphen and the record's id to five digits:

    LSIMF-00001   an LSIMF application; its award, offer, claims, monitoring returns, assessments,
                  decision and checks carry the same reference (the company quotes one number)
    LIP-00001     a Large Investment Portfolio case
    SP-00001      a strategic partnership
    SU-00001      a company in the scale-up company service

Every application takes the LSIMF prefix, whichever fund record it was made under: application
ids are unique across funds, and a reference never changes once people have quoted it.

The Jinja filter `reference` is `reference()`: `{{ application | reference }}`, `{{ claim | reference }}`.
"""

APPLICATION = "LSIMF"
LIP_CASE = "LIP"
PARTNERSHIP = "SP"
SCALEUP_COMPANY = "SU"


def numbered(prefix: str, number: int) -> str:
    """'LSIMF-00001': the prefix and the number to (at least) five digits."""
    return f"{prefix}-{number:05d}"


def application_reference(application_id: int) -> str:
    return numbered(APPLICATION, application_id)


def reference(record) -> str:
    """The reference of a record (see the module docstring): each model that has one declares it as
    its `reference` property, from `numbered` and the prefixes above.

    :raise TypeError: a record that has no reference number."""
    try:
        return record.reference
    except AttributeError:
        raise TypeError(f"a {type(record).__name__} has no reference number") from None
