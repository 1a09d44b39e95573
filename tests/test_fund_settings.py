"""Fund settings (admin): the budget, rounds, and every rule of PRODUCT.md §2.1 as a setting
with its default. A change is audited, makes a new rules version and leaves the old one as it
was, so nothing already submitted changes. Bad input is refused with a GOV.UK message and
nothing is saved."""

import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portfolio.extensions import db
from portfolio.models import (
    ApplicantType,
    AuditEvent,
    EoiStatus,
    ExcludedProduct,
    ExpressionOfInterest,
    Fund,
    FundRules,
    ProductType,
    Role,
    Round,
    User,
)
from portfolio.services import fund_settings, funds
from portfolio.services.errors import DomainError
from tests.conftest import needs_postgres

RULES_FORM = {
    "min_project_cost": "8,000,000.00",
    "min_grant": "£1,000,000",
    "justification_rate": "20",
    "hard_cap_rate": "30%",
    "applicant_types": [t.value for t in ApplicantType],
    "product_types": [t.value for t in ProductType],
    "excluded_products": [e.value for e in ExcludedProduct],
    "min_assessors": "2",
    "moderation_spread": "3",
    "second_approval_threshold": "£10,000,000",
    "offer_validity_days": "30",
    "retention_rate": "10",
    "build_return_months": "3",
    "monitoring_years": "5",
    "return_due_days": "30",
    "reminder_days_before": "7",
    "query_over_contract": "50",
    "clawback_tolerance": "10",
    "variation_change_rate": "10",
    "variation_change_amount": "£1,000,000",
    "variation_extension_months": "6",
    "forecast_variance_rate": "10",
    "budget_variance_rate": "5",
}

YEARS_FORM = {"year_2025_26": "60,000,000", "year_2026_27": "150,000,000", "year_2027_28": "170,000,000",
              "year_2028_29": "140,000,000", "note": "Spending Review settlement"}

ROUND_FORM = {
    "name": "Round 5",
    "opens_on": ["1", "4", "2027"],
    "deadline": ["30", "6", "2027"],
    "allocation": "£100,000,000",
}



def counts(session) -> dict:
    session.expire_all()
    return {model.__name__: session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (FundRules, Round, AuditEvent)}


def audit_events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def form(valid: dict, changes: dict) -> dict:
    """The valid answers with some changed; a change to None leaves the field out of the POST."""
    data = {**valid, **changes}
    return {key: value for key, value in data.items() if value is not None}


# The `fund` fixture makes the LSIMF alone: these tests add the rounds they need.
pytestmark = pytest.mark.fund_without_rounds


@pytest.fixture
def admin(client, make, session, fund):
    user = make.user(Role.ADMIN, name="Ada Admin")
    session.commit()
    client.sign_in_as(user)
    return user


def add_round(session, fund, name="Round 1", allocation="100000000.00", deadline=None) -> Round:
    round_ = Round(fund=fund, name=name, opens_on=date(2027, 1, 4),
                   deadline=deadline or datetime(2027, 3, 31, 12, tzinfo=UTC), allocation=Decimal(allocation))
    session.add(round_)
    session.commit()
    return round_


def assert_refused(page, field_id: str, message: str) -> None:
    assert page.status == 400, f"expected 400, got {page.status}: {page.text[:300]}"
    assert page.title.startswith("Error:"), page.title
    assert message in page.error_summary(), page.error_summary()
    links = {a.get_text(strip=True): a["href"] for a in page.html.select(".govuk-error-summary__list a")}
    assert links[message] == f"#{field_id}", links
    assert page.html.find(id=field_id) is not None, f"#{field_id} is not on the page"
    assert page.field_error(field_id) == message, page.field_error(field_id)


# --- defaults --------------------------------------------------------------------------------

def test_defaults_are_product_md_numbers(fund):
    rules = fund.rules
    assert rules.min_project_cost == Decimal("8000000")
    assert rules.min_grant == Decimal("1000000")
    assert rules.justification_rate == Decimal("0.20")
    assert rules.hard_cap_rate == Decimal("0.30")
    assert set(rules.applicant_types) == {"product_developer", "cdmo", "generics_manufacturer"}
    assert set(rules.product_types) == {"drug_substance", "drug_product", "diagnostics", "medtech"}
    assert set(rules.excluded_products) == {"veterinary", "herbal_vitamins", "input_materials",
                                            "consumables_equipment"}
    assert fund.budget == Decimal("520000000")
    # PRODUCT.md §2.2: illustrative, as nothing has been published.
    assert (rules.min_assessors, rules.moderation_spread, rules.offer_validity_days) == (2, 3, 30)
    assert rules.second_approval_threshold == Decimal("10000000")


def test_overview_shows_budget_rules_rounds_and_history(client, admin, fund, session):
    add_round(session, fund, "Round 1", "100000000.00")
    add_round(session, fund, "Round 2", "60000000.00", deadline=datetime(2027, 6, 30, 11, tzinfo=UTC))
    page = client.get("/admin/funds/")
    assert page.status == 200
    assert page.h1 == "Fund settings"
    text = page.text
    for expected in ("£520,000,000.00", "£8,000,000.00 (the default)", "£1,000,000.00 (the default)",
                     "20% (the default)", "30% (the default)", "Contract development and manufacturing organisation",
                     "Veterinary medicines", "Round 1", "Round 2", "£160,000,000.00", "£360,000,000.00",
                     "30 June 2027 at midday", "System (defaults)",
                     "Assessors needed per application 2 assessors (the illustrative default)",
                     "Score spread that flags moderation (points) 3 points (the illustrative default)",
                     "Awards above this need a second approver £10,000,000.00 (the illustrative default)",
                     "Days a company has to accept an offer 30 days (the illustrative default)"):
        assert expected in text, expected
    changes = {a["href"] for a in page.html.select("a") if a.get_text(strip=True).startswith("Change")}
    assert f"/admin/funds/{fund.id}/budget" in changes
    assert f"/admin/funds/{fund.id}/rules#hard_cap_rate" in changes
    assert {f"/admin/funds/{fund.id}/rounds/{r.id}" for r in fund.rounds} <= changes
    assert client.get(f"/admin/funds/{fund.id}").status == 200


def test_the_rules_page_shows_the_values_in_force_and_the_defaults(client, admin, fund):
    page = client.get(f"/admin/funds/{fund.id}/rules")
    assert page.status == 200
    html = page.html
    assert html.find(id="min_project_cost")["value"] == "8,000,000.00"
    assert html.find(id="justification_rate")["value"] == "20"
    assert html.find(id="hard_cap_rate")["value"] == "30"
    assert len(html.select("input[name=applicant_types][checked]")) == len(ApplicantType)
    assert "Default: £8,000,000.00." in page.text
    assert "Default: 30%." in page.text
    assert [html.find(id=name)["value"] for name in ("min_assessors", "moderation_spread",
                                                     "second_approval_threshold", "offer_validity_days")] == [
        "2", "3", "10,000,000.00", "30"]
    for hint in ("Illustrative default: 2 assessors.", "Illustrative default: 3 points.",
                 "Illustrative default: £10,000,000.00.", "Illustrative default: 30 days."):
        assert hint in page.text, hint


# --- changing the rules ------------------------------------------------------------------

CHANGES = [
    ("min_project_cost", "10,000,000", Decimal("10000000.00")),
    ("min_grant", "2500000.50", Decimal("2500000.50")),
    ("justification_rate", "17.5", Decimal("0.1750")),
    ("hard_cap_rate", "40", Decimal("0.4000")),
    ("applicant_types", ["cdmo"], ["cdmo"]),
    ("product_types", ["drug_substance", "drug_product"], ["drug_substance", "drug_product"]),
    ("excluded_products", ["veterinary"], ["veterinary"]),
    ("excluded_products", [], []),
    ("min_assessors", "3", 3),
    ("min_assessors", " 10 ", 10),
    ("moderation_spread", "1", 1),
    ("moderation_spread", "9", 9),
    ("second_approval_threshold", "£25,000,000", Decimal("25000000.00")),
    ("second_approval_threshold", "0", Decimal("0.00")),
    ("offer_validity_days", "365", 365),
    ("offer_validity_days", "1", 1),
    ("monitoring_years", "10", 10),
    ("clawback_tolerance", "12.5", Decimal("0.1250")),
    ("variation_change_rate", "15", Decimal("0.1500")),
    ("variation_change_amount", "£2,500,000", Decimal("2500000.00")),
    ("variation_change_amount", "0", Decimal("0.00")),
    ("variation_extension_months", "60", 60),
    ("forecast_variance_rate", "0", Decimal("0.0000")),
    ("budget_variance_rate", "100", Decimal("1.0000")),
]


@pytest.mark.parametrize(("field", "posted", "stored"), CHANGES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CHANGES)])
def test_admin_changes_a_rule_as_a_new_audited_version(client, admin, fund, session, field, posted, stored):
    old = fund.rules
    old_id, old_values = old.id, funds.rules_as_dict(old)
    before = counts(session)

    page = client.submit(f"/admin/funds/{fund.id}/rules", form(RULES_FORM, {field: posted}))
    assert page.status == 302, page.error_summary()
    assert page.location == f"/admin/funds/{fund.id}"

    assert counts(session) == {**before, "FundRules": before["FundRules"] + 1,
                               "AuditEvent": before["AuditEvent"] + 1}
    fund = session.get(Fund, fund.id)
    new = fund.rules
    assert new.id != old_id and new.created_by_id == admin.id
    assert getattr(new, field) == stored
    assert {name: value for name, value in funds.rules_as_dict(new).items() if name != field} == {
        name: value for name, value in old_values.items() if name != field}
    # The old version is untouched, so whatever references it keeps its rules.
    assert funds.rules_as_dict(session.get(FundRules, old_id)) == old_values

    [event] = audit_events(session, "fund.rules_changed")
    assert event.actor_id == admin.id and event.entity_type == "funds" and event.entity_id == str(fund.id)
    plain = (lambda v: str(v)) if isinstance(stored, Decimal) else (lambda v: v)
    assert event.before == {field: plain(old_values[field])}
    assert event.after == {field: plain(stored), "rules_id": new.id}

    assert "Rules saved" in client.get(f"/admin/funds/{fund.id}").text


def test_saving_unchanged_rules_makes_no_new_version(client, admin, fund, session):
    before = counts(session)
    page = client.submit(f"/admin/funds/{fund.id}/rules", RULES_FORM, follow=True)
    assert page.status == 200
    assert "You did not change any rules" in page.text
    assert counts(session) == before


def test_changing_rules_never_alters_what_was_submitted_under_the_old_ones(client, admin, fund, make, session):
    organisation = make.organisation()
    eoi = ExpressionOfInterest(fund=fund, organisation=organisation, created_by_id=admin.id,
                               rules_id=fund.rules.id, total_project_cost=Decimal("9000000.00"),
                               status=EoiStatus.SUBMITTED)
    session.add(eoi)
    session.commit()
    page = client.submit(f"/admin/funds/{fund.id}/rules", form(RULES_FORM, {"min_project_cost": "50000000"}))
    assert page.status == 302
    session.expire_all()
    eoi = session.get(ExpressionOfInterest, eoi.id)
    assert eoi.rules.min_project_cost == Decimal("8000000.00")
    assert session.get(Fund, fund.id).rules.min_project_cost == Decimal("50000000.00")


def test_the_history_lists_every_version_with_who_and_what(client, admin, fund, session):
    client.submit(f"/admin/funds/{fund.id}/rules", form(RULES_FORM, {"min_grant": "2000000"}))
    client.submit(f"/admin/funds/{fund.id}/rules", form(RULES_FORM, {"min_grant": "2000000",
                                                                     "product_types": ["medtech"]}))
    page = client.get(f"/admin/funds/{fund.id}")
    rows = [" ".join(row.get_text(" ").split()) for row in page.html.select("table")[-1].select("tbody tr")]
    assert len(rows) == 3
    assert rows[0].startswith("3 In force") and "Ada Admin" in rows[0]
    assert "Eligible products: removed Human medicine: drug substance" in rows[0]
    assert "Minimum grant: £1,000,000.00 to £2,000,000.00" in rows[1]
    assert rows[2].startswith("1") and "System (defaults)" in rows[2]


def test_the_assessment_settings_show_their_changes_in_the_history_and_summary(client, admin, fund):
    client.submit(f"/admin/funds/{fund.id}/rules", form(RULES_FORM, {
        "min_assessors": "3", "moderation_spread": "2", "second_approval_threshold": "5000000",
        "offer_validity_days": "1"}))
    page = client.get(f"/admin/funds/{fund.id}")
    newest = " ".join(page.html.select("table")[-1].select("tbody tr")[0].get_text(" ").split())
    for change in ("Assessors needed per application: 2 assessors to 3 assessors",
                   "Score spread that flags moderation (points): 3 points to 2 points",
                   "Awards above this need a second approver: £10,000,000.00 to £5,000,000.00",
                   "Days a company has to accept an offer: 30 days to 1 day"):
        assert change in newest, newest
    for row in ("Assessors needed per application 3 assessors Illustrative default: 2 assessors",
                "Days a company has to accept an offer 1 day Illustrative default: 30 days"):
        assert row in page.text, row
    assert f"/admin/funds/{fund.id}/rules#offer_validity_days" in {a["href"] for a in page.html.select("a")}


# --- bad input: the rules ---------------------------------------------------------------

def money_cases(field: str, name: str, required: str) -> list:
    capitalised = name[0].upper() + name[1:]
    return [
        pytest.param({field: None}, field, required, id=f"{field}-missing"),
        pytest.param({field: ""}, field, required, id=f"{field}-empty"),
        pytest.param({field: "   "}, field, required, id=f"{field}-spaces"),
        pytest.param({field: "-5"}, field, f"{capitalised} must be more than £0", id=f"{field}-negative"),
        pytest.param({field: "0"}, field, f"{capitalised} must be more than £0", id=f"{field}-zero"),
        pytest.param({field: "eight million"}, field, f"Enter {name} as a number, like 8,000,000",
                     id=f"{field}-words"),
        pytest.param({field: "1e9"}, field, f"Enter {name} as a number, like 8,000,000", id=f"{field}-exponent"),
        pytest.param({field: "NaN"}, field, f"Enter {name} as a number, like 8,000,000", id=f"{field}-nan"),
        pytest.param({field: "1000.005"}, field, f"{capitalised} must be in pounds and pence, like 1,250.50",
                     id=f"{field}-3-decimal-places"),
        pytest.param({field: "1000000000000"}, field, f"{capitalised} must be £999,999,999,999.99 or less",
                     id=f"{field}-too-large"),
        pytest.param({field: "9" * 5000}, field, f"{capitalised} must be £999,999,999,999.99 or less",
                     id=f"{field}-5000-digits"),
    ]


def percent_cases(field: str, name: str, required: str) -> list:
    capitalised = name[0].upper() + name[1:]
    return [
        pytest.param({field: None}, field, required, id=f"{field}-missing"),
        pytest.param({field: ""}, field, required, id=f"{field}-empty"),
        pytest.param({field: "-1"}, field, f"{capitalised} must be between 0% and 100%", id=f"{field}-negative"),
        pytest.param({field: "100.01"}, field, f"{capitalised} must be between 0% and 100%", id=f"{field}-over-100"),
        pytest.param({field: "9" * 5000}, field, f"{capitalised} must be between 0% and 100%",
                     id=f"{field}-5000-digits"),
        pytest.param({field: "twenty"}, field, f"Enter {name} as a percentage, like 20", id=f"{field}-words"),
        pytest.param({field: "0.2e2"}, field, f"Enter {name} as a percentage, like 20", id=f"{field}-exponent"),
        pytest.param({field: "20.125"}, field, f"{capitalised} must have no more than 2 decimal places, like 12.5",
                     id=f"{field}-3-decimal-places"),
    ]


def count_cases(field: str, name: str, required: str, lowest: int, highest: int, example: int) -> list:
    capitalised = name[0].upper() + name[1:]
    between = f"{capitalised} must be between {lowest} and {highest}"
    words = f"Enter {name} as a whole number, like {example}"
    return [
        pytest.param({field: None}, field, required, id=f"{field}-missing"),
        pytest.param({field: ""}, field, required, id=f"{field}-empty"),
        pytest.param({field: "  "}, field, required, id=f"{field}-spaces"),
        pytest.param({field: "two"}, field, words, id=f"{field}-words"),
        pytest.param({field: "1e1"}, field, words, id=f"{field}-exponent"),
        pytest.param({field: "0x2"}, field, words, id=f"{field}-hex"),
        pytest.param({field: "２"}, field, words, id=f"{field}-fullwidth-digit"),
        pytest.param({field: "2.5"}, field, f"{capitalised} must be a whole number, like {example}",
                     id=f"{field}-fraction"),
        pytest.param({field: str(lowest - 1)}, field, between, id=f"{field}-below"),
        pytest.param({field: "-1"}, field, between, id=f"{field}-negative"),
        pytest.param({field: str(highest + 1)}, field, between, id=f"{field}-above"),
        pytest.param({field: "9" * 5000}, field, between, id=f"{field}-5000-digits"),
    ]


RULE_CASES = [
    *count_cases("min_assessors", "the number of assessors", "Enter how many assessors each application needs",
                 1, 10, 2),
    *count_cases("moderation_spread", "the score spread", "Enter the score spread that flags moderation", 1, 9, 3),
    *count_cases("offer_validity_days", "the number of days to accept an offer",
                 "Enter how many days a company has to accept an offer", 1, 365, 30),
    *count_cases("build_return_months", "the months between returns",
                 "Enter the months between returns during the build", 1, 12, 3),
    *count_cases("reminder_days_before", "the days of notice",
                 "Enter how many days before the due date companies are reminded", 1, 90, 7),
    *[case for case in money_cases("second_approval_threshold", "the second approval amount",
                                   "Enter the amount above which awards need a second approver")
      if not case.id.endswith("-zero")],  # £0: every award needs two approvers

    *money_cases("min_project_cost", "the minimum project cost", "Enter the minimum project cost"),
    *money_cases("min_grant", "the minimum grant", "Enter the minimum grant"),
    *percent_cases("justification_rate", "the justification threshold", "Enter the justification threshold"),
    *percent_cases("hard_cap_rate", "the hard cap", "Enter the hard cap"),
    pytest.param({"hard_cap_rate": "19.99"}, "hard_cap_rate",
                 "The hard cap must be at or above the justification threshold", id="hard-cap-below-threshold"),
    pytest.param({"applicant_types": None}, "applicant_types", "Select at least one eligible applicant type",
                 id="no-applicant-type"),
    pytest.param({"applicant_types": [""]}, "applicant_types", "Select at least one eligible applicant type",
                 id="applicant-type-empty-value"),
    pytest.param({"applicant_types": ["cdmo", "charity"]}, "applicant_types",
                 "Select applicant types from the list", id="unknown-applicant-type"),
    pytest.param({"product_types": None}, "product_types", "Select at least one eligible product",
                 id="no-product-type"),
    pytest.param({"product_types": ["<script>"]}, "product_types", "Select products from the list",
                 id="unknown-product-type"),
    pytest.param({"excluded_products": ["tobacco"]}, "excluded_products",
                 "Select excluded products from the list", id="unknown-exclusion"),
    *percent_cases("variation_change_rate", "the grant change share",
                   "Enter the share of the grant a change may move before a second approval"),
    *[case for case in money_cases("variation_change_amount", "the grant change amount",
                                   "Enter the grant change that needs a second approver")
      if not case.id.endswith("-zero")],  # £0: every change of grant needs two approvers
    *count_cases("variation_extension_months", "the time extension",
                 "Enter the time extension that needs a second approver", 1, 60, 6),
    *percent_cases("forecast_variance_rate", "the forecast variance",
                   "Enter how far a forecast may move from the profile"),
    *percent_cases("budget_variance_rate", "the budget variance",
                   "Enter how far the forecast may miss a year's budget"),
]


@pytest.mark.parametrize(("changes", "field_id", "message"), RULE_CASES)
def test_bad_rules_are_refused_and_nothing_is_saved(client, admin, fund, session, changes, field_id, message):
    before = counts(session)
    page = client.submit(f"/admin/funds/{fund.id}/rules", form(RULES_FORM, changes))
    assert_refused(page, field_id, message)
    assert counts(session) == before


# --- the budget by financial year ---------------------------------------------------------------
# (versions, the history and refusals against what is committed: tests/test_budgets.py)

def test_admin_sets_the_budget_by_year_and_it_is_audited(client, admin, fund, session):
    page = client.get(f"/admin/funds/{fund.id}/budget")
    assert page.h1 == "Budget by financial year"
    assert [field["id"] for field in page.html.select("input[id^=year_]")] == [
        "year_2025_26", "year_2026_27", "year_2027_28", "year_2028_29"]
    page = client.submit(f"/admin/funds/{fund.id}/budget", YEARS_FORM, follow=True)
    assert page.status == 200
    assert "Budget by financial year saved: the fund's budget is now £520,000,000.00" in page.text
    session.expire_all()
    stored = session.get(Fund, fund.id)
    assert stored.budget == Decimal("520000000.00")
    assert stored.year_budgets == {"2025/26": Decimal("60000000.00"), "2026/27": Decimal("150000000.00"),
                                   "2027/28": Decimal("170000000.00"), "2028/29": Decimal("140000000.00")}
    [event] = audit_events(session, "fund.year_budgets_set")
    assert event.actor_id == admin.id
    assert event.before == {"years": {}, "budget": "520000000.00"}
    assert event.after["budget"] == "520000000.00" and event.after["note"] == "Spending Review settlement"
    assert "2026/27: £150,000,000.00" in client.get(f"/admin/funds/{fund.id}").text


def test_a_budget_below_the_rounds_allocations_is_refused(client, admin, fund, session):
    add_round(session, fund, "Round 1", "100000000.00")
    add_round(session, fund, "Round 2", "50000000.00")
    before = counts(session)
    short = {**YEARS_FORM, "year_2025_26": "0", "year_2026_27": "0", "year_2027_28": "0",
             "year_2028_29": "149,999,999.99"}
    page = client.submit(f"/admin/funds/{fund.id}/budget", short)
    assert page.status == 400
    assert page.error_summary() == ["The years add up to £149,999,999.99, less than the £150,000,000.00 already "
                                    "allocated to rounds"]
    assert counts(session) == before
    assert session.get(Fund, fund.id).budget == Decimal("520000000.00")
    assert client.submit(f"/admin/funds/{fund.id}/budget", {**short, "year_2028_29": "150000000"}).status == 302


@pytest.mark.parametrize(("changes", "field_id", "message"), [
    case for case in money_cases("year_2025_26", "the budget for 2025/26",
                                 "Enter the budget for 2025/26 (0 if there is none)")
    if not case.id.endswith("-zero")])  # £0 is a year with no budget
def test_bad_budgets_are_refused(client, admin, fund, session, changes, field_id, message):
    before = counts(session)
    page = client.submit(f"/admin/funds/{fund.id}/budget", form(YEARS_FORM, changes))
    assert_refused(page, field_id, message)
    assert counts(session) == before
    assert session.get(Fund, fund.id).budget == Decimal("520000000.00")


# --- rounds -----------------------------------------------------------------------------------

def test_admin_adds_a_round_with_a_midday_uk_deadline(client, admin, fund, session):
    assert client.get(f"/admin/funds/{fund.id}/rounds/new").status == 200
    page = client.submit(f"/admin/funds/{fund.id}/rounds/new", ROUND_FORM)
    assert page.status == 302, page.error_summary()
    assert page.location == f"/admin/funds/{fund.id}"
    session.expire_all()
    [round_] = session.scalars(sa.select(Round)).all()
    assert (round_.name, round_.opens_on, round_.allocation) == ("Round 5", date(2027, 4, 1), Decimal("100000000.00"))
    # 12pm in London on 30 June is 11am UTC (British Summer Time).
    assert round_.deadline == datetime(2027, 6, 30, 11, tzinfo=UTC)
    [event] = audit_events(session, "round.created")
    assert event.actor_id == admin.id and event.entity_type == "rounds" and event.entity_id == str(round_.id)
    assert event.after["allocation"] == "100000000.00"


def test_a_winter_deadline_is_midday_utc(client, admin, fund, session):
    page = client.submit(f"/admin/funds/{fund.id}/rounds/new", form(ROUND_FORM, {"deadline": ["15", "1", "2028"]}))
    assert page.status == 302, page.error_summary()
    session.expire_all()
    assert session.scalar(sa.select(Round)).deadline == datetime(2028, 1, 15, 12, tzinfo=UTC)


def test_admin_edits_a_round_and_it_is_audited(client, admin, fund, session):
    round_ = add_round(session, fund, "Round 1", "100000000.00")
    page = client.get(f"/admin/funds/{fund.id}/rounds/{round_.id}")
    assert page.status == 200
    assert page.html.find(id="name")["value"] == "Round 1"
    assert [page.html.find(id=f"deadline-{part}")["value"] for part in ("day", "month", "year")] == ["31", "3", "2027"]
    assert page.html.find(id="allocation")["value"] == "100,000,000.00"

    page = client.submit(f"/admin/funds/{fund.id}/rounds/{round_.id}",
                         {"name": "Round 1 (extended)", "opens_on": ["4", "1", "2027"],
                          "deadline": ["14", "4", "2027"], "allocation": "120000000"})
    assert page.status == 302, page.error_summary()
    session.expire_all()
    round_ = session.get(Round, round_.id)
    assert round_.name == "Round 1 (extended)" and round_.allocation == Decimal("120000000.00")
    assert round_.deadline == datetime(2027, 4, 14, 11, tzinfo=UTC)
    [event] = audit_events(session, "round.updated")
    assert event.before["allocation"] == "100000000.00" and event.after["allocation"] == "120000000.00"
    assert event.before["name"] == "Round 1" and event.after["name"] == "Round 1 (extended)"
    assert session.scalar(sa.select(sa.func.count()).select_from(Round)) == 1


def test_allocations_beyond_the_budget_are_refused_with_the_figures(client, admin, fund, session):
    add_round(session, fund, "Round 1", "500000000.00")
    before = counts(session)
    page = client.submit(f"/admin/funds/{fund.id}/rounds/new", form(ROUND_FORM, {"allocation": "20000000.01"}))
    assert_refused(page, "allocation", "The rounds' allocations would total £520,000,000.01, "
                                       "more than the fund's budget of £520,000,000.00")
    assert counts(session) == before
    assert client.submit(f"/admin/funds/{fund.id}/rounds/new",
                         form(ROUND_FORM, {"allocation": "20000000"})).status == 302


def test_editing_a_round_counts_its_own_allocation_once(client, admin, fund, session):
    round_ = add_round(session, fund, "Round 1", "500000000.00")
    url = f"/admin/funds/{fund.id}/rounds/{round_.id}"
    assert client.submit(url, form(ROUND_FORM, {"allocation": "520000000"})).status == 302
    before = counts(session)
    page = client.submit(url, form(ROUND_FORM, {"allocation": "520000000.01"}))
    assert_refused(page, "allocation", "The rounds' allocations would total £520,000,000.01, "
                                       "more than the fund's budget of £520,000,000.00")
    assert counts(session) == before
    session.expire_all()
    assert session.get(Round, round_.id).allocation == Decimal("520000000.00")


@needs_postgres
def test_concurrent_allocations_cannot_pass_the_budget(fund, make, session):
    """Two admins add a £300m round at the same moment: the second waits for the first (row
    lock on the fund), then sees its allocation and is refused."""
    admin_id = make.user(Role.ADMIN).id
    session.commit()
    details = {"name": "Round", "opens_on": date(2027, 4, 1), "deadline_on": date(2027, 6, 30),
               "allocation": Decimal("300000000.00")}
    outcome = {}
    engine = db.engine  # the thread has no app context of its own

    def add_round_in(other: Session) -> None:
        locked = fund_settings.get_fund(other, fund.id, for_update=True)
        fund_settings.save_round(other, fund=locked, by=other.get(User, admin_id), **details)

    def second_admin() -> None:
        with Session(engine) as other:
            try:
                add_round_in(other)
                other.commit()
                outcome["second"] = "saved"
            except DomainError as error:
                outcome["second"] = error.message

    with Session(engine) as first:
        add_round_in(first)
        thread = threading.Thread(target=second_admin)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second admin did not wait for the first"
        first.commit()
    thread.join(timeout=10)
    assert outcome["second"].startswith("The rounds' allocations would total £600,000,000.00"), outcome
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Round)) == 1


def date_cases(field: str, name: str) -> list:
    capitalised = name[0].upper() + name[1:]
    real = f"{capitalised} must be a real date"
    return [
        pytest.param({field: None}, field, f"Enter {name}", id=f"{field}-left-out-of-the-post"),
        pytest.param({field: ["", "", ""]}, field, f"Enter {name}", id=f"{field}-empty"),
        pytest.param({field: [" ", "\t", " "]}, field, f"Enter {name}", id=f"{field}-spaces"),
        pytest.param({field: ["", "6", "2027"]}, field, f"{capitalised} must include a day", id=f"{field}-no-day"),
        pytest.param({field: ["1", "", ""]}, field, f"{capitalised} must include a month and year",
                     id=f"{field}-no-month-or-year"),
        pytest.param({field: "5"}, field, f"{capitalised} must include a month and year", id=f"{field}-one-part"),
        pytest.param({field: ["31", "2", "2027"]}, field, real, id=f"{field}-31-february"),
        pytest.param({field: ["29", "2", "2027"]}, field, real, id=f"{field}-29-february-not-leap"),
        pytest.param({field: ["1", "13", "2027"]}, field, real, id=f"{field}-month-13"),
        pytest.param({field: ["0", "6", "2027"]}, field, real, id=f"{field}-day-0"),
        pytest.param({field: ["1", "6", "27"]}, field, real, id=f"{field}-two-digit-year"),
        pytest.param({field: ["first", "June", "2027"]}, field, real, id=f"{field}-words"),
        pytest.param({field: ["-1", "6", "2027"]}, field, real, id=f"{field}-negative"),
        pytest.param({field: ["1", "6", "2027", "9"]}, field, real, id=f"{field}-four-parts"),
        pytest.param({field: ["9" * 5000, "6", "2027"]}, field, real, id=f"{field}-huge"),
        pytest.param({field: ["1", "6", "1999"]}, field, f"{capitalised} must be between 2000 and 2099",
                     id=f"{field}-too-early"),
        pytest.param({field: ["1", "6", "9999"]}, field, f"{capitalised} must be between 2000 and 2099",
                     id=f"{field}-too-late"),
    ]


ROUND_CASES = [
    pytest.param({"name": None}, "name", "Enter the round name", id="name-missing"),
    pytest.param({"name": "   "}, "name", "Enter the round name", id="name-spaces"),
    pytest.param({"name": "R" * 101}, "name", "Round name must be 100 characters or fewer", id="name-101-chars"),
    pytest.param({"name": "Round\x005"}, "name", "Round name must not include hidden characters", id="name-nul"),
    *date_cases("opens_on", "the opening date"),
    *date_cases("deadline", "the deadline"),
    pytest.param({"deadline": ["31", "3", "2027"]}, "deadline", "The deadline must be on or after the opening date",
                 id="deadline-before-opening"),
    *money_cases("allocation", "the allocation", "Enter the allocation"),
]


@pytest.mark.parametrize(("changes", "field_id", "message"), ROUND_CASES)
def test_bad_rounds_are_refused_and_nothing_is_saved(client, admin, fund, session, changes, field_id, message):
    before = counts(session)
    page = client.submit(f"/admin/funds/{fund.id}/rounds/new", form(ROUND_FORM, changes))
    assert_refused(page, field_id, message)
    assert counts(session) == before


def test_a_missing_date_part_highlights_only_that_box(client, admin, fund):
    page = client.submit(f"/admin/funds/{fund.id}/rounds/new", form(ROUND_FORM, {"opens_on": ["1", "", "2027"]}))
    assert page.status == 400
    highlighted = [part for part in ("day", "month", "year")
                   if "govuk-input--error" in page.html.find(id=f"opens_on-{part}")["class"]]
    assert highlighted == ["month"]
    assert page.html.find(id="opens_on-day")["value"] == "1"


def test_bad_edits_leave_the_round_as_it_was(client, admin, fund, session):
    round_ = add_round(session, fund, "Round 1", "100000000.00")
    before = counts(session)
    page = client.submit(f"/admin/funds/{fund.id}/rounds/{round_.id}",
                         form(ROUND_FORM, {"name": "Renamed", "deadline": None}))
    assert_refused(page, "deadline", "Enter the deadline")
    assert counts(session) == before
    session.expire_all()
    assert session.get(Round, round_.id).name == "Round 1"


# --- who may see and change what --------------------------------------------------------------

def test_another_funds_round_is_404(client, admin, fund, session):
    other = Fund(code="OTHER", name="Secret Other Fund", budget=Decimal("1000000.00"))
    session.add(other)
    funds.add_default_rules(session, other)
    session.commit()
    theirs = add_round(session, other, "Hidden round", "1000.00")
    page = client.get(f"/admin/funds/{fund.id}/rounds/{theirs.id}")
    assert page.status == 404
    assert "Hidden round" not in page.text
    before = counts(session)
    assert client.submit(f"/admin/funds/{fund.id}/rounds/{theirs.id}", ROUND_FORM,
                         form_url=f"/admin/funds/{fund.id}/rounds/new").status == 404
    assert counts(session) == before
    for url in ("/admin/funds/999999", "/admin/funds/999999/rules", "/admin/funds/999999/rounds/new",
                f"/admin/funds/999999/rounds/{theirs.id}", "/admin/funds/99999999999999999999/budget"):
        assert client.get(url).status == 404, url


def test_with_several_funds_the_index_lists_them(client, admin, fund, session):
    session.add(Fund(code="ZZZ", name="Another Fund", budget=Decimal("1.00")))
    session.commit()
    page = client.get("/admin/funds/")
    assert page.status == 200
    assert {a.get_text(strip=True) for a in page.html.select("main a")} >= {
        "Life Sciences Innovative Manufacturing Fund (LSIMF)", "Another Fund (ZZZ)"}


def change_urls(fund, round_) -> list[str]:
    return [f"/admin/funds/{fund.id}/rules", f"/admin/funds/{fund.id}/budget",
            f"/admin/funds/{fund.id}/rounds/new", f"/admin/funds/{fund.id}/rounds/{round_.id}"]


@pytest.mark.parametrize("role", [role for role in Role if role is not Role.ADMIN])
def test_only_admins_change_settings(client, make, fund, session, role):
    round_ = add_round(session, fund)
    user = make.user(role)
    session.commit()
    client.sign_in_as(user)
    before = counts(session)
    for url in change_urls(fund, round_):
        assert client.get(url).status == 403, url
        assert client.submit(url, {**RULES_FORM, **ROUND_FORM, "budget": "1"}, form_url="/home").status == 403, url
    assert counts(session) == before
    overview = client.get("/admin/funds/")
    assert overview.status == (200 if role is Role.FUND_MANAGER else 403)


def test_fund_managers_see_the_settings_without_change_links(client, make, fund, session):
    add_round(session, fund)
    client.sign_in_as(make.user(Role.FUND_MANAGER))
    session.commit()
    page = client.get("/admin/funds/")
    assert page.status == 200
    assert "£8,000,000.00" in page.text and "Round 1" in page.text
    assert not [a for a in page.html.select("main a") if a.get_text(strip=True).startswith("Change")]
    assert "Add a round" not in page.text
    assert client.get(f"/admin/funds/{fund.id}").status == 200


def test_signed_out_users_are_sent_to_sign_in(client, fund):
    page = client.get("/admin/funds/")
    assert page.status == 302 and page.location.startswith("/sign-in")
