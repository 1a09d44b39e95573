"""Subsidy control at decision time (Subsidy Control Act 2022; DOMAIN-FACTS.md §2).

Thresholds are dated settings: a decision is judged by the rows in force on its date, so the
£10m to £25m change of 4 August 2025 applies to decisions from that day only.

    over £100,000                      -> transparency database entry, due 3 months after the decision
    over £1m and cumulative >= £5m     -> Subsidy of Interest (referral to the SAU optional: record the choice)
    over £1m and cumulative >= £25m    -> Subsidy of Particular Interest (£10m before 4 Aug 2025, £5m in a
                                          sensitive sector): referral to the SAU recorded before confirming

Cumulative = this award + other awards to the enterprise decided in the current and two previous
financial years + the agreed subsidies in its Large Investment Portfolio cases in those years + the
other public funding it declared in its application.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.dates import UK, add_months, financial_year_dates, financial_years, govuk_date, uk_today
from portfolio.models import (
    Application,
    Award,
    AwardStatus,
    LipCase,
    LipComponent,
    LipComponentStatus,
    SubsidyCategory,
    SubsidyCheck,
    SubsidyThreshold,
    ThresholdKey,
    User,
)
from portfolio.services import audit
from portfolio.services.errors import DomainError

ZERO = Decimal("0.00")
TRANSPARENCY_MONTHS = 3
DECLARED_FUNDING_FIELDS = ("public_funding_year_1", "public_funding_year_2", "public_funding_year_3")


# --- dated thresholds -----------------------------------------------------------------------

def threshold(session: Session, key: ThresholdKey, on: date) -> Decimal:
    """The amount in force for `key` on `on`: the newest row that had taken effect by then."""
    amount = session.scalar(
        sa.select(SubsidyThreshold.amount).where(SubsidyThreshold.key == key, SubsidyThreshold.effective_from <= on)
        .order_by(SubsidyThreshold.effective_from.desc()).limit(1)
    )
    if amount is None:
        raise DomainError(f"No subsidy control threshold '{key.label}' is in force on {govuk_date(on)}")
    return amount


def threshold_rows(session: Session) -> list[SubsidyThreshold]:
    return list(session.scalars(sa.select(SubsidyThreshold)
                                .order_by(SubsidyThreshold.key, SubsidyThreshold.effective_from)))


def add_threshold(session: Session, *, key: ThresholdKey, amount: Decimal, effective_from: date, source: str,
                  by: User) -> SubsidyThreshold:
    """A new amount for `key` from a date. Earlier rows stay, so earlier decisions keep theirs."""
    exists = session.scalar(sa.select(SubsidyThreshold.id).where(SubsidyThreshold.key == key,
                                                                 SubsidyThreshold.effective_from == effective_from))
    if exists:
        raise DomainError(f"There is already an amount for this threshold from {govuk_date(effective_from)}",
                          field="effective_from")
    row = SubsidyThreshold(key=key, amount=amount, effective_from=effective_from, source=source,
                           created_by_id=by.id)
    session.add(row)
    session.flush()
    audit.record(session, actor=by, action="subsidy_threshold.added", entity=row,
                 after={"key": key.value, "amount": amount, "effective_from": effective_from, "source": source})
    return row


# --- the assessment at decision ---------------------------------------------------------------

def applicable_period_start(on: date) -> date:
    """1 April of the financial year two before the one `on` falls in (the applicable period is that
    year and the two before it)."""
    return financial_year_dates(financial_years(on, count=3)[-1])[0]


def declared_public_funding(application: Application) -> Decimal:
    section = application.section("funding")
    data = section.data if section else {}
    return sum((Decimal(str(data[name])) for name in DECLARED_FUNDING_FIELDS if data.get(name) not in (None, "")),
               ZERO)


def previous_awards(session: Session, application: Application, on: date) -> Decimal:
    """Other subsidies to the same enterprise in the applicable period (see enterprise_subsidies)."""
    return enterprise_subsidies(session, application.organisation_id, on, exclude_application_id=application.id)


def enterprise_subsidies(session: Session, organisation_id: int, on: date, *, exclude_application_id: int | None = None,
                         exclude_case_id: int | None = None) -> Decimal:
    """Subsidies to the enterprise in the applicable period: LSIMF awards decided in it (released ones
    excepted) and the agreed subsidy components of its Large Investment Portfolio cases agreed in it
    (a component drawn from an LSIMF award is left out: the award counts itself)."""
    query = sa.select(Award).where(Award.organisation_id == organisation_id, Award.status != AwardStatus.RELEASED)
    if exclude_application_id is not None:
        query = query.where(Award.application_id != exclude_application_id)
    start = applicable_period_start(on)
    total = sum((award.amount for award in session.scalars(query)
                 if start <= award.decided_at.astimezone(UK).date() <= on), ZERO)
    components = (sa.select(sa.func.coalesce(sa.func.sum(LipComponent.amount), 0)).join(LipCase)
                  .where(LipCase.organisation_id == organisation_id, LipComponent.is_subsidy.is_(True),
                         LipComponent.award_id.is_(None), LipComponent.status == LipComponentStatus.AGREED,
                         LipComponent.agreed_on >= start, LipComponent.agreed_on <= on))
    if exclude_case_id is not None:
        components = components.where(LipCase.id != exclude_case_id)
    return total + Decimal(session.scalar(components)).quantize(ZERO)


@dataclass
class Assessment:
    amount: Decimal
    on: date
    sensitive_sector: bool
    previous_awards: Decimal
    declared_funding: Decimal
    cumulative: Decimal
    category: SubsidyCategory
    transparency_threshold: Decimal
    transparency_due_on: date | None
    interest_threshold: Decimal
    particular_threshold: Decimal

    @property
    def transparency_required(self) -> bool:
        return self.transparency_due_on is not None


def assess(session: Session, application: Application, amount: Decimal, *, on: date | None = None,
           sensitive_sector: bool | None = None) -> Assessment:
    on = on or uk_today()
    if sensitive_sector is None:
        check = application.subsidy_check
        sensitive_sector = bool(check and check.sensitive_sector)
    return categorise(session, amount, on=on, sensitive_sector=sensitive_sector,
                      previous=previous_awards(session, application, on),
                      declared=declared_public_funding(application))


def categorise(session: Session, amount: Decimal, *, on: date, sensitive_sector: bool, previous: Decimal,
               declared: Decimal = ZERO) -> Assessment:
    """The category of a subsidy of `amount` given on `on`, with `previous` other subsidies to the
    enterprise in the applicable period (and `declared` other public funding), by the thresholds in force."""
    cumulative = amount + previous + declared
    transparency = threshold(session, ThresholdKey.TRANSPARENCY, on)
    large = amount > threshold(session, ThresholdKey.LARGE_SUBSIDY, on)
    interest = threshold(session, ThresholdKey.INTEREST_CUMULATIVE, on)
    particular = threshold(session, ThresholdKey.PARTICULAR_CUMULATIVE, on)
    if sensitive_sector:
        particular = min(particular, threshold(session, ThresholdKey.SENSITIVE_CUMULATIVE, on))
    if large and cumulative >= particular:
        category = SubsidyCategory.PARTICULAR_INTEREST
    elif large and cumulative >= interest:
        category = SubsidyCategory.INTEREST
    else:
        category = SubsidyCategory.STANDARD
    return Assessment(
        amount=amount, on=on, sensitive_sector=sensitive_sector, previous_awards=previous, declared_funding=declared,
        cumulative=cumulative, category=category, transparency_threshold=transparency,
        transparency_due_on=add_months(on, TRANSPARENCY_MONTHS) if amount > transparency else None,
        interest_threshold=interest, particular_threshold=particular,
    )


def blocking_problem(assessment: Assessment, check: SubsidyCheck | None) -> str | None:
    """Why the award cannot be confirmed yet, or None."""
    if assessment.category is SubsidyCategory.PARTICULAR_INTEREST and not (check and check.referred_to_sau):
        return ("This is a Subsidy of Particular Interest: record the referral to the CMA Subsidy Advice Unit "
                "before the award can be confirmed")
    if assessment.category is SubsidyCategory.INTEREST and (check is None or check.referred_to_sau is None):
        return ("This is a Subsidy of Interest: record whether it was referred to the CMA Subsidy Advice Unit "
                "before the award is confirmed")
    return None


# --- what the fund manager records -----------------------------------------------------------------

def record_check(session: Session, *, application: Application, by: User, sensitive_sector: bool,
                 referred_to_sau: bool | None, referral_reason: str | None = None, referred_on: date | None = None,
                 sau_reference: str | None = None) -> SubsidyCheck:
    """The sensitive-sector answer and the referral decision. A referral needs its date and the
    SAU's reference; a decision not to refer needs the reason."""
    if referred_to_sau and (referred_on is None or not sau_reference):
        raise DomainError("Enter the date of the referral and the Subsidy Advice Unit's reference",
                          field="referred_on" if referred_on is None else "sau_reference")
    if referred_to_sau is False and not referral_reason:
        raise DomainError("Enter why the subsidy was not referred", field="referral_reason")
    if referred_on and referred_on > uk_today():
        raise DomainError("The referral date must be today or in the past", field="referred_on")
    check = application.subsidy_check
    before = None
    values = {"sensitive_sector": sensitive_sector, "referred_to_sau": referred_to_sau,
              "referral_reason": referral_reason if referred_to_sau is False else None,
              "referred_on": referred_on if referred_to_sau else None,
              "sau_reference": sau_reference if referred_to_sau else None}
    if check is None:
        check = SubsidyCheck(application=application, recorded_by_id=by.id, **values)
        session.add(check)
    else:
        before = {name: getattr(check, name) for name in values}
        for name, value in values.items():
            setattr(check, name, value)
        check.recorded_by_id = by.id
    session.flush()
    audit.record(session, actor=by, action="subsidy_check.recorded", entity=check, before=before,
                 after={**values, "application_id": application.id})
    return check


def apply_to_award(award: Award, assessment: Assessment) -> None:
    award.cumulative_subsidy = assessment.cumulative
    award.subsidy_category = assessment.category
    award.transparency_due_on = assessment.transparency_due_on


# --- transparency database entries -----------------------------------------------------------

def transparency_due(session: Session) -> list[Award]:
    """Awards whose transparency entry has not been marked uploaded, soonest due first."""
    return list(session.scalars(
        sa.select(Award).where(Award.transparency_due_on.is_not(None), Award.transparency_uploaded_on.is_(None),
                               Award.status != AwardStatus.RELEASED)
        .order_by(Award.transparency_due_on)
    ))


def mark_uploaded(session: Session, *, award: Award, by: User, uploaded_on: date, reference: str) -> None:
    if award.transparency_due_on is None:
        raise DomainError("This award does not need a transparency database entry")
    if uploaded_on > uk_today():
        raise DomainError("The upload date must be today or in the past", field="uploaded_on")
    if uploaded_on < award.decided_at.astimezone(UK).date():
        raise DomainError("The upload date must be on or after the decision", field="uploaded_on")
    before = {"uploaded_on": award.transparency_uploaded_on, "reference": award.transparency_reference}
    award.transparency_uploaded_on, award.transparency_reference = uploaded_on, reference
    session.flush()
    audit.record(session, actor=by, action="award.transparency_uploaded", entity=award, before=before,
                 after={"uploaded_on": uploaded_on, "reference": reference,
                        "late": uploaded_on > award.transparency_due_on})
