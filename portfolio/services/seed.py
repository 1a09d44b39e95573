"""Demo data: the LSIMF fund, one user per role and two demo companies. Idempotent."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.models import Fund, Organisation, Region, Role, Round, User
from portfolio.models.base import utcnow
from portfolio.services import audit, criteria, fund_settings, funds
from portfolio.services.passwords import hash_password

DEMO_PASSWORD = "portfolio-demo-2026"

DEMO_COMPANIES = [
    # Fictional companies (the numbers are not real Companies House records).
    {"name": "Northern Biologics Ltd", "company_number": "09876543", "postcode": "LS2 9JT",
     "region": Region.YORKSHIRE},
    {"name": "Clyde Precision Medicines Ltd", "company_number": "SC654321", "postcode": "G1 1XQ",
     "region": Region.SCOTLAND},
]

DEMO_STAFF = [
    (Role.ADMIN, "Ada Admin", "admin@portfolio.example"),
    (Role.FUND_MANAGER, "Farah Fund-Manager", "fund.manager@portfolio.example"),
    # Decisions need a second fund manager (nobody approves what they recommended) and two assessors.
    (Role.FUND_MANAGER, "Dev Decider", "decider@portfolio.example"),
    (Role.ASSESSOR, "Asha Assessor", "assessor@portfolio.example"),
    (Role.ASSESSOR, "Bo Second-Assessor", "assessor2@portfolio.example"),
    (Role.ACCOUNT_MANAGER, "Alex Account-Manager", "account.manager@portfolio.example"),
    (Role.FINANCE, "Fin Finance", "finance@portfolio.example"),
]


@dataclass
class SeedResult:
    created: list[str]
    accounts: list[tuple[str, str, str]]  # (role, email, organisation)


def _user(session: Session, *, email: str, name: str, role: Role, organisation=None,
          is_signatory: bool = False) -> tuple[User, bool]:
    user = session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(
        email=email, name=name, role=role, organisation=organisation, is_signatory=is_signatory,
        password_hash=hash_password(DEMO_PASSWORD), session_token=secrets.token_hex(16),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=None, actor_label="seed-demo", action="user.created", entity=user,
                 after={"email": email, "role": role.value, "organisation_id": user.organisation_id})
    return user, True


def seed_demo(session: Session) -> SeedResult:
    created: list[str] = []
    fund = session.scalar(sa.select(Fund).where(Fund.code == "LSIMF"))
    if fund is None:
        fund = Fund(code="LSIMF", name="Life Sciences Innovative Manufacturing Fund",
                    budget=Decimal("520000000.00"))
        session.add(fund)
        session.flush()
        audit.record(session, actor=None, actor_label="seed-demo", action="fund.created", entity=fund,
                     after={"code": fund.code, "budget": fund.budget})
        created.append("fund LSIMF (£520,000,000)")
    if not fund.rule_sets:
        funds.add_default_rules(session, fund)
        created.append("LSIMF eligibility rules (defaults)")
    if not fund.rounds:
        today = utcnow().date()
        for number, (opens, closes) in enumerate([(-30, 60), (60, 150)], start=1):
            round_ = Round(fund=fund, name=f"Round {number}", opens_on=today + timedelta(days=opens),
                           deadline=fund_settings.deadline_at(today + timedelta(days=closes)),
                           allocation=Decimal("130000000.00"))
            session.add(round_)
            criteria.add_default_criteria(session, round_)
            audit.record(session, actor=None, actor_label="seed-demo", action="round.created", entity=round_,
                         after={"name": round_.name, "allocation": round_.allocation})
            created.append(f"LSIMF {round_.name} (£130,000,000, deadline {round_.deadline:%d %B %Y})")

    accounts: list[tuple[str, str, str]] = []
    for role, name, email in DEMO_STAFF:
        user, new = _user(session, email=email, name=name, role=role)
        if new:
            created.append(f"{role.label}: {email}")
        accounts.append((role.label, email, "Office for Life Sciences"))

    for index, company in enumerate(DEMO_COMPANIES, start=1):
        organisation = session.scalar(
            sa.select(Organisation).where(Organisation.company_number == company["company_number"])
        )
        if organisation is None:
            organisation = Organisation(**company)
            session.add(organisation)
            session.flush()
            audit.record(session, actor=None, actor_label="seed-demo", action="organisation.registered",
                         entity=organisation, after={"name": organisation.name})
            created.append(f"organisation {organisation.name}")
        email = f"applicant{index}@company{index}.example"
        user, new = _user(session, email=email, name=f"Company User {index}", role=Role.APPLICANT,
                          organisation=organisation, is_signatory=True)
        if new:
            created.append(f"{Role.APPLICANT.label}: {email}")
        accounts.append((Role.APPLICANT.label, email, organisation.name))
    session.flush()
    return SeedResult(created, accounts)
