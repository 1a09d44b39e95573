"""Bulk data for the benchmark: a portfolio at full size in a few bulk INSERTs per table.

    python -m bench.seed --applications 20000 --awards 5000 --returns-per-award 12 --audit 200000

Rows are written straight into the tables (the services would take hours for 20,000
applications); the shapes follow what the services write, and the audit events form a valid
hash chain. Run it against an empty, migrated database (bench/run.py does both).
"""

import argparse
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from portfolio import create_app
from portfolio.extensions import db
from portfolio.models import (
    Application,
    ApplicationSection,
    ApplicationStatus,
    AuditEvent,
    Award,
    AwardTerms,
    AwardStatus,
    Claim,
    ClaimItem,
    ClaimStatus,
    Cluster,
    CostItem,
    Decision,
    DecisionStatus,
    EoiStatus,
    ExpressionOfInterest,
    Fund,
    MonitoringReturn,
    Offer,
    OfferStatus,
    Organisation,
    Payment,
    PaymentKind,
    PaymentStatus,
    ProfileLine,
    Rag,
    Region,
    ReturnKind,
    ReturnStatus,
    Role,
    Round,
    SubsidyCategory,
    User,
)
from portfolio import seed
from portfolio.services import criteria, fund_settings, funds, profiles
from portfolio.services.audit import GENESIS_HASH, compute_hash
from portfolio.services.passwords import hash_password

BATCH = 5000
REGIONS, CLUSTERS = list(Region), list(Cluster)
SIZES = ["micro", "small", "medium", "large"]
STAFF = [(Role.FUND_MANAGER, "Bench Manager", "bench.manager@portfolio.example"),
         (Role.FUND_MANAGER, "Bench Approver", "bench.approver@portfolio.example"),
         (Role.FINANCE, "Bench Finance", "bench.finance@portfolio.example"),
         (Role.ACCOUNT_MANAGER, "Bench Account Manager", "bench.account@portfolio.example")]


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(model.__table__), rows[start:start + BATCH])


def _ids(model, *, after: int = 0) -> list[int]:
    return list(db.session.scalars(sa.select(model.id).where(model.id > after).order_by(model.id)))


def seed_portfolio(*, applications: int, awards: int, returns_per_award: int, audit: int) -> dict:
    now = datetime.now(UTC)
    today = now.date()
    password = hash_password(seed.DEMO_PASSWORD)
    fund = Fund(code="LSIMF", name="Life Sciences Innovative Manufacturing Fund", budget=Decimal("520000000.00"))
    db.session.add(fund)
    db.session.flush()
    funds.add_default_rules(db.session, fund)
    for number in range(1, 5):
        round_ = Round(fund=fund, name=f"Round {number}", opens_on=today - timedelta(days=400 - 90 * number),
                       deadline=fund_settings.deadline_at(today - timedelta(days=340 - 90 * number)),
                       allocation=Decimal("130000000.00"))
        db.session.add(round_)
        criteria.add_default_criteria(db.session, round_)
    db.session.flush()
    rounds = [r.id for r in fund.rounds]
    staff = {}
    for role, name, email in STAFF:
        user = User(email=email, name=name, role=role, password_hash=password, totp_secret=seed.DEMO_TOTP_SECRET,
                    totp_enrolled_at=now)
        db.session.add(user)
        db.session.flush()
        staff[email] = user.id
    manager, approver, finance = (staff["bench.manager@portfolio.example"], staff["bench.approver@portfolio.example"],
                                  staff["bench.finance@portfolio.example"])

    organisations = max(applications // 2, 1)
    _insert(Organisation, [{"name": f"Bench Biologics {n} Ltd", "company_number": f"B{n:07d}",
                            "postcode": "LS2 9JT", "region": REGIONS[n % len(REGIONS)].value}
                           for n in range(organisations)])
    org_ids = _ids(Organisation)
    _insert(User, [{"email": f"company{n}@bench.example", "name": f"Company User {n}", "role": Role.APPLICANT.value,
                    "organisation_id": org_id, "is_signatory": True, "password_hash": password,
                    "totp_secret": seed.DEMO_TOTP_SECRET, "totp_enrolled_at": now} for n, org_id in enumerate(org_ids)])
    user_of = dict(zip(org_ids, _ids(User, after=max(staff.values())), strict=True))

    _insert(ExpressionOfInterest, [{"fund_id": fund.id, "organisation_id": org_ids[n % len(org_ids)],
                                    "created_by_id": user_of[org_ids[n % len(org_ids)]],
                                    "status": EoiStatus.INVITED.value, "project_title": f"Manufacturing line {n}",
                                    "submitted_at": now - timedelta(days=200), "invited_round_id": rounds[n % 4]}
                                   for n in range(applications)])
    eoi_ids = _ids(ExpressionOfInterest)
    grant = Decimal("4000000.00")
    app_rows = []
    for n, eoi_id in enumerate(eoi_ids):
        awarded = n < awards
        app_rows.append({
            "fund_id": fund.id, "round_id": rounds[n % 4], "organisation_id": org_ids[n % len(org_ids)],
            "eoi_id": eoi_id, "project_title": f"Manufacturing line {n}",
            "status": (ApplicationStatus.OFFER_ACCEPTED if awarded else
                       [ApplicationStatus.SUBMITTED, ApplicationStatus.IN_ASSESSMENT, ApplicationStatus.DRAFT,
                        ApplicationStatus.REJECTED][n % 4]).value,
            "region": REGIONS[n % len(REGIONS)].value, "cluster": CLUSTERS[n % len(CLUSTERS)].value,
            "product_type": "drug_product", "company_size": SIZES[n % 4],
            "total_project_cost": grant * 5, "eligible_capital_cost": grant * 4, "grant_requested": grant,
            "private_investment": grant * 4, "weighted_score": Decimal("6.50") + Decimal(n % 300) / 100,
            "submitted_at": now - timedelta(days=150 + n % 200)})
    _insert(Application, app_rows)
    app_ids = _ids(Application)
    sections = {"organisation": {"company_size": "medium", "contact_name": "Bench", "contact_email": "b@bench.example"},
                "jobs": {f"jobs_year_{y}": "10" for y in range(1, 6)} | {"jobs_safeguarded": "37"},
                "delivery": {"milestones": "June 2027: building complete", "risks": "Validation delays"}}
    _insert(ApplicationSection, [{"application_id": app_id, "key": key, "data": data, "complete": True}
                                 for app_id in app_ids for key, data in sections.items()])
    _insert(CostItem, [{"application_id": app_id, "category": category, "description": description,
                        "amount": amount, "is_capital": capital, "is_eligible": capital}
                       for app_id in app_ids for category, description, amount, capital in (
                           ("land_buildings", "Cleanroom", grant * 2, True),
                           ("equipment", "Filling line", grant * 2, True),
                           ("staff", "Validation team", grant, False))])

    awarded_apps = app_ids[:awards]
    decided = [now - timedelta(days=30 + (n * 730) // max(awards, 1)) for n in range(awards)]  # over two years
    _insert(Decision, [{"application_id": app_id, "recommended": True, "recommended_amount": grant,
                        "recommendation_note": "Strong", "recommended_by_id": manager,
                        "status": DecisionStatus.APPROVED.value,
                        "amount": grant, "decided_by_id": approver, "decided_at": decided[n]}
                       for n, app_id in enumerate(awarded_apps)])
    _insert(Award, [{"application_id": app_id, "fund_id": fund.id, "round_id": rounds[n % 4],
                     "organisation_id": org_ids[n % len(org_ids)], "amount": grant,
                     "status": AwardStatus.ACCEPTED.value, "decided_at": decided[n], "cumulative_subsidy": grant,
                     "subsidy_category": SubsidyCategory.INTEREST.value} for n, app_id in enumerate(awarded_apps)])
    award_ids = _ids(Award)
    start = date(today.year - 3, 4, 1)
    _insert(Offer, [{"award_id": award_id, "status": OfferStatus.ACCEPTED.value,
                     "contracted_private_investment": grant * 4, "jobs_created": Decimal("50.0"),
                     "jobs_safeguarded": Decimal("37.0"), "milestones": "June 2027", "claim_schedule": "Quarterly",
                     "clawback_terms": "Pro rata", "issued_by_id": approver, "issued_at": decided[n],
                     "expires_at": decided[n] + timedelta(days=30),
                     "responded_by_id": user_of[org_ids[n % len(org_ids)]],
                     "responded_at": decided[n] + timedelta(days=3), "project_start": start,
                     "project_completion": date(today.year - 1, 3, 31)} for n, award_id in enumerate(award_ids)])
    # Version 1 of each award's terms, its grant spread over the project's quarters (the ledger by year reads it).
    completion = date(today.year - 1, 3, 31)
    _insert(AwardTerms, [{"award_id": award_id, "version": 1, "amount": grant, "project_start": start,
                          "project_completion": completion, "contracted_private_investment": grant * 4,
                          "jobs_created": Decimal("50.0"), "jobs_safeguarded": Decimal("37.0"),
                          "milestones": "June 2027", "organisation_id": org_ids[n % len(org_ids)],
                          "subsidy_category": SubsidyCategory.INTEREST.value, "cumulative_subsidy": grant,
                          "changes": [], "created_by_id": approver} for n, award_id in enumerate(award_ids)])
    spread = profiles.spread(grant, start, completion)
    _insert(ProfileLine, [{"terms_id": terms_id, "quarter_start": quarter, "amount": amount}
                          for terms_id in _ids(AwardTerms) for quarter, amount in spread.items()])
    _insert(Claim, [{"award_id": award_id, "number": 1, "period_start": start, "period_end": start + timedelta(days=89),
                     "status": ClaimStatus.PAID.value, "created_by_id": user_of[org_ids[n % len(org_ids)]],
                     "submitted_at": now, "reviewed_at": now, "reviewed_by_id": finance,
                     "approved_costs": grant * 2, "grant_due": grant / 2, "retention": grant / 20,
                     "payable": grant / 2 - grant / 20} for n, award_id in enumerate(award_ids)])
    claim_ids = _ids(Claim)
    _insert(ClaimItem, [{"claim_id": claim_id, "description": "Cleanroom", "invoice_reference": f"INV-{claim_id}",
                         "defrayed_on": start + timedelta(days=30), "amount": grant * 2,
                         "approved_amount": grant * 2} for claim_id in claim_ids])
    _insert(Payment, [{"award_id": award_id, "claim_id": claim_id, "kind": PaymentKind.CLAIM.value,
                       "status": PaymentStatus.PAID.value,
                       "amount": grant / 2 - grant / 20, "paid_on": today, "reference": f"BACS-{claim_id}",
                       "recorded_by_id": finance} for award_id, claim_id in zip(award_ids, claim_ids, strict=True)])
    return_rows = []
    for award_id in award_ids:
        for number in range(1, returns_per_award + 1):
            period_start = start + timedelta(days=91 * (number - 1))
            verified = number <= returns_per_award // 2
            figures = {"capital_spent": grant * number / 2, "private_investment": grant * number / 3,
                       "jobs_created": Decimal(4 * number), "jobs_safeguarded": Decimal("37.0"),
                       "average_salary": Decimal("38000.00"), "rd_spend": Decimal("50000.00"), "collaborations": 1,
                       "patents_filed": number % 2, "training_places": 2,
                       "supply_chain_spend": Decimal("100000.00")}
            if not verified:
                figures = dict.fromkeys(figures)
            return_rows.append({
                "award_id": award_id, "number": number,
                "kind": (ReturnKind.COMPLETION if number == 8 else
                         ReturnKind.ANNUAL if number > 8 else ReturnKind.QUARTERLY).value,
                "period_start": period_start, "period_end": period_start + timedelta(days=90),
                "due_on": period_start + timedelta(days=120), "explanations": {},
                "status": (ReturnStatus.VERIFIED if verified else ReturnStatus.OPEN).value,
                "narrative": "On plan" if verified else None, "rag": Rag.GREEN.value if verified else None,
                "submitted_at": now if verified else None, "verified_at": now if verified else None,
                "verified_by_id": manager if verified else None, **figures})
    _insert(MonitoringReturn, return_rows)

    prev = db.session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    events = []
    for n in range(audit):
        event = AuditEvent(occurred_at=now - timedelta(seconds=audit - n), actor_id=manager,
                           actor_label="bench.manager@portfolio.example", action="application.section_saved",
                           entity_type="applications", entity_id=str(app_ids[n % len(app_ids)]),
                           before=None, after={"section": "project", "n": n}, prev_hash=prev)
        event.hash = prev = compute_hash(event)
        events.append({c: getattr(event, c) for c in ("occurred_at", "actor_id", "actor_label", "action",
                                                       "entity_type", "entity_id", "before", "after", "prev_hash",
                                                       "hash")})
    _insert(AuditEvent, events)
    db.session.commit()
    return {"applications": len(app_ids), "awards": len(award_ids), "returns": len(return_rows),
            "audit_events": audit, "organisations": len(org_ids),
            "application_id": app_ids[-1], "award_id": award_ids[len(award_ids) // 2],
            "manager": "bench.manager@portfolio.example", "finance": "bench.finance@portfolio.example",
            "return_id": db.session.scalar(sa.select(MonitoringReturn.id).where(
                MonitoringReturn.status == ReturnStatus.VERIFIED).limit(1))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=20000)
    parser.add_argument("--awards", type=int, default=5000)
    parser.add_argument("--returns-per-award", type=int, default=12)
    parser.add_argument("--audit", type=int, default=200000)
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        print(json.dumps(seed_portfolio(applications=args.applications, awards=args.awards,
                                        returns_per_award=args.returns_per_award, audit=args.audit)))


if __name__ == "__main__":
    main()
