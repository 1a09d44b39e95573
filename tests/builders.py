"""Test data builders: make_x(**overrides) with sensible defaults. They flush, tests commit."""

import itertools
import secrets

from portfolio.models import Organisation, Region, Role, User
from portfolio.services.passwords import hash_password
from tests.helpers import DEMO_PASSWORD

_counter = itertools.count(1)
_PASSWORD_HASH = None


def _password_hash() -> str:
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(DEMO_PASSWORD)
    return _PASSWORD_HASH


class Builders:
    def __init__(self, session) -> None:
        self.session = session

    def organisation(self, **overrides) -> Organisation:
        n = next(_counter)
        values = {
            "name": f"Test Biologics {n} Ltd",
            "company_number": f"{n:08d}",
            "postcode": "LS2 9JT",
            "region": Region.YORKSHIRE,
        }
        values.update(overrides)
        organisation = Organisation(**values)
        self.session.add(organisation)
        self.session.flush()
        return organisation

    def user(self, role: Role = Role.APPLICANT, **overrides) -> User:
        n = next(_counter)
        values = {
            "email": f"user{n}@example.com",
            "name": f"Test User {n}",
            "role": role,
            "password_hash": _password_hash(),
            "session_token": secrets.token_hex(16),
        }
        if role is Role.APPLICANT and "organisation" not in overrides and "organisation_id" not in overrides:
            values["organisation"] = self.organisation()
            values["is_signatory"] = True
        values.update(overrides)
        user = User(**values)
        self.session.add(user)
        self.session.flush()
        return user

    def fund(self, **overrides):
        """The LSIMF with its default rules (PRODUCT.md §2.1)."""
        from decimal import Decimal

        from portfolio.models import Fund
        from portfolio.services import funds

        values = {"code": "LSIMF", "name": "Life Sciences Innovative Manufacturing Fund",
                  "budget": Decimal("520000000.00")}
        values.update(overrides)
        fund = Fund(**values)
        self.session.add(fund)
        funds.add_default_rules(self.session, fund)
        return fund

    def open_round(self, fund, **overrides):
        """A round that opened yesterday and closes in 30 days."""
        from datetime import timedelta
        from decimal import Decimal

        from portfolio.models import Round
        from portfolio.models.base import utcnow
        from portfolio.services import criteria

        values = {"name": "Round 1", "opens_on": utcnow().date() - timedelta(days=1),
                  "deadline": utcnow() + timedelta(days=30), "allocation": Decimal("100000000.00")}
        values.update(overrides)
        round_ = Round(fund=fund, **values)
        self.session.add(round_)
        criteria.add_default_criteria(self.session, round_)
        return round_
