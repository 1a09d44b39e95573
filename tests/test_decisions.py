"""Recommendation, decision, separation of duties, the budget ledger and approvals under a lock."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Award,
    AwardStatus,
    Decision,
    Role,
)
from portfolio.models.base import utcnow
from portfolio.services import decisions, subsidy
from portfolio.services.errors import DomainError
from tests.helpers import race, sent_emails
from portfolio.models import User
from portfolio.models import AuditEvent

M = Decimal("1000000.00")


def last_email(app, run_jobs) -> str:
    run_jobs()
    return sent_emails(app)[-1].get_payload(decode=True).decode()


@pytest.fixture
def staff(make, session):
    """Two fund managers who decide, one who recommends, and an assessor."""
    people = {"recommender": make.user(Role.FUND_MANAGER, name="Rhea Recommender"),
              "approver": make.user(Role.FUND_MANAGER, name="Abel Approver"),
              "second": make.user(Role.FUND_MANAGER, name="Sade Second"),
              "assessor": make.user(Role.ASSESSOR, name="Asa Assessor")}
    session.commit()
    return people


def moderated_application(session, make, fund, **kwargs) -> Application:
    return make.moderated_application(fund, **kwargs)


def recommended_application(session, make, fund, staff, **kwargs) -> Application:
    return make.recommended_application(fund, recommender=staff["recommender"], assessor=staff["assessor"], **kwargs)


def test_fund_managers_recommend_then_a_different_one_approves_through_the_pages(app, run_jobs, client, session,
                                                                                  make, fund, staff):
    application = moderated_application(session, make, fund, assessor=staff["assessor"])
    client.sign_in(staff["recommender"].email)
    page = client.get(f"/decisions/applications/{application.id}")
    assert "Record a recommendation" in page.text
    refused = client.submit(f"/decisions/applications/{application.id}/recommend",
                            {"recommendation": "yes", "amount": "4,000,000.01", "note": "Good"})
    assert refused.status == 400
    assert "no more than the £4,000,000.00 requested" in refused.text
    assert session.scalar(sa.select(sa.func.count()).select_from(Decision)) == 0
    page = client.submit(f"/decisions/applications/{application.id}/recommend",
                         {"recommendation": "yes", "amount": "3,500,000", "note": "Good value"}, follow=True)
    assert "Recommendation recorded" in page.text
    session.expire_all()
    assert application.status is ApplicationStatus.RECOMMENDED

    refused = client.submit(f"/decisions/applications/{application.id}/approve",
                            {"amount": "3,500,000", "conditions": ""})
    assert refused.status == 400
    assert "You made the recommendation" in refused.text

    client.sign_out()
    client.sign_in(staff["approver"].email)
    page = client.submit(f"/decisions/applications/{application.id}/approve",
                         {"amount": "3,500,000", "conditions": "Planning permission granted before the first claim"},
                         follow=True)
    assert "Approved: " in page.text and "£3,500,000.00" in page.text
    session.expire_all()
    assert application.status is ApplicationStatus.APPROVED
    assert application.award.amount == Decimal("3500000.00")
    assert application.award.transparency_due_on is not None
    body = last_email(app, run_jobs)
    assert "approved a grant of £3,500,000.00" in body and "Planning permission" in body

    ledger = client.get("/decisions/")
    row = ledger.html.select_one('tr[data-ledger="Round 1"]').get_text(" ", strip=True)
    assert "£50,000,000.00 £3,500,000.00 £0.00 £0.00 £0.00 £46,500,000.00" in row


def test_rejection_feedback_reaches_the_company(app, run_jobs, client, session, make, fund, staff):
    application = recommended_application(session, make, fund, staff)
    client.sign_in(staff["approver"].email)
    empty = client.submit(f"/decisions/applications/{application.id}/reject", {"feedback": "  "})
    assert empty.status == 400 and "Enter feedback for the company" in empty.text
    client.submit(f"/decisions/applications/{application.id}/reject",
                  {"feedback": "The additionality case was weak."})
    session.expire_all()
    assert application.status is ApplicationStatus.REJECTED
    assert "The additionality case was weak." in last_email(app, run_jobs)
    company_user = application.organisation.users[0]
    client.sign_out()
    client.sign_in(company_user.email)
    page = client.get(f"/applications/{application.id}")
    assert "Not funded" in page.text and "The additionality case was weak." in page.text
    assert "Read the feedback from the fund" in client.get("/home").html.select_one("#applications").text


@pytest.mark.parametrize("who", ["assessor_fund_manager", "recommender", "same_person_twice"])
def test_separation_of_duties(session, make, fund, staff, who):
    """Every forbidden combination is refused and writes nothing."""
    assessing_manager = make.user(Role.FUND_MANAGER, name="Fay Assessing")
    application = recommended_application(session, make, fund, staff, grant=12 * M)
    session.add(Assignment(application=application, assessor_id=assessing_manager.id,
                           assigned_by_id=staff["recommender"].id, status=AssignmentStatus.ACTIVE,
                           submitted_at=utcnow()))
    session.commit()
    if who == "same_person_twice":
        first = decisions.approve(session, application=application, by=staff["approver"], amount=12 * M)
        session.commit()
        assert first.needs_second_approval and first.award is None
        actor, message = staff["approver"], "second approval must come from a different fund manager"
    else:
        actor = assessing_manager if who == "assessor_fund_manager" else staff["recommender"]
        message = "assessor of this application" if who == "assessor_fund_manager" else "made the recommendation"
    with pytest.raises(DomainError, match=message):
        decisions.approve(session, application=application, by=actor, amount=12 * M)
    session.rollback()
    if who != "same_person_twice":  # nor may they reject it
        with pytest.raises(DomainError, match=message):
            decisions.reject(session, application=application, by=actor, feedback="No")
        session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Award)) == 0
    session.expire_all()
    assert application.status is ApplicationStatus.RECOMMENDED


def test_an_award_above_the_threshold_needs_two_different_approvers(client, session, make, fund, staff):
    at_threshold = recommended_application(session, make, fund, staff, grant=10 * M)
    assert decisions.approve(session, application=at_threshold, by=staff["approver"], amount=10 * M).award
    session.commit()
    above = recommended_application(session, make, fund, staff, grant=10 * M + Decimal("0.01"))
    first = decisions.approve(session, application=above, by=staff["approver"], amount=above.grant_requested,
                              conditions="Match funding evidenced")
    session.commit()
    assert first.needs_second_approval and above.status is ApplicationStatus.RECOMMENDED
    client.sign_in(staff["second"].email)
    assert "Needs second approval" in client.get("/decisions/").html.select_one("#queue-recommended").text
    assert decisions.ledger(session, fund=fund).committed == 10 * M  # nothing committed by a first approval
    second = decisions.approve(session, application=above, by=staff["second"])
    session.commit()
    assert second.award.amount == Decimal("10000000.01")
    assert above.decision.conditions == "Match funding evidenced"
    assert above.status is ApplicationStatus.APPROVED


def test_an_approval_beyond_the_round_allocation_is_refused_with_the_figures(session, make, fund, staff):
    first = recommended_application(session, make, fund, staff, grant=9 * M)
    decisions.approve(session, application=first, by=staff["approver"], amount=9 * M)
    session.commit()
    fund.rounds[0].allocation = Decimal("15000000.00")
    session.commit()
    second = recommended_application(session, make, fund, staff, grant=7 * M)
    with pytest.raises(DomainError) as refused:
        decisions.approve(session, application=second, by=staff["approver"], amount=7 * M)
    assert refused.value.message == (
        "Approving £7,000,000.00 would over-commit Round 1: its allocation is £15,000,000.00, "
        "£9,000,000.00 is already committed and £6,000,000.00 is available")
    session.rollback()
    assert decisions.approve(session, application=second, by=staff["approver"], amount=6 * M).award
    session.commit()
    assert decisions.ledger(session, fund=fund, round_=fund.rounds[0]).available == Decimal("0.00")


def test_the_fund_budget_also_limits_approvals(session, make, fund, staff):
    fund.budget = Decimal("50000000.00")
    make.open_round(fund, name="Round 2", allocation=Decimal("0.00"))
    fund.rounds[0].allocation = Decimal("50000000.00")
    session.commit()
    application = recommended_application(session, make, fund, staff, grant=5 * M)
    session.add(Award(application=recommended_application(session, make, fund, staff, grant=M), fund_id=fund.id,
                      round_id=fund.rounds[1].id, organisation_id=application.organisation_id,
                      amount=Decimal("46000000.00"), decided_at=utcnow(), cumulative_subsidy=M,
                      subsidy_category="standard", status=AwardStatus.APPROVED))
    session.commit()
    with pytest.raises(DomainError, match="would over-commit the LSIMF budget of £50,000,000.00"):
        decisions.approve(session, application=application, by=staff["approver"], amount=5 * M)


def test_released_money_is_available_again_and_each_stage_is_counted_once(session, make, fund, staff):
    amounts = {AwardStatus.APPROVED: Decimal("1000000.01"), AwardStatus.OFFERED: Decimal("2000000.02"),
               AwardStatus.ACCEPTED: Decimal("3000000.03"), AwardStatus.RELEASED: Decimal("4000000.04")}
    for status, amount in amounts.items():
        application = recommended_application(session, make, fund, staff, grant=amount)
        award = decisions.approve(session, application=application, by=staff["approver"], amount=amount).award
        award.status = status
        session.commit()
    ledger = decisions.ledger(session, fund=fund, round_=fund.rounds[0])
    assert (ledger.committed, ledger.offered, ledger.accepted) == (
        Decimal("1000000.01"), Decimal("2000000.02"), Decimal("3000000.03"))
    assert ledger.available == Decimal("50000000.00") - Decimal("6000000.06")


def test_due_diligence_red_flag_blocks_approval_until_resolved(client, session, make, fund, staff):
    application = recommended_application(session, make, fund, staff)
    client.sign_in(staff["approver"].email)
    url = f"/decisions/applications/{application.id}/due-diligence"
    bad = client.submit(url, {"checked_on": ["31", "2", "2026"], "result": "red", "summary": ""})
    assert bad.status == 400 and "must be a real date" in bad.text
    client.submit(url, {"checked_on": ["1", "3", "2026"], "result": "red", "summary": "Director disqualified"})
    missing = client.submit(f"{url}/flags", {"rag": "red", "description": ""})
    assert missing.status == 400 and "Enter what was found" in missing.text
    client.submit(f"{url}/flags", {"rag": "red", "description": "County court judgment in 2024"})
    session.expire_all()
    refused = client.submit(f"/decisions/applications/{application.id}/approve", {"amount": "4,000,000"})
    assert refused.status == 400
    assert "Resolve the red flag before approving: County court judgment in 2024" in refused.text
    flag = application.due_diligence.flags[0]
    client.submit(f"{url}/flags/{flag.id}", {"resolution": "Judgment satisfied; certificate seen"})
    page = client.submit(f"/decisions/applications/{application.id}/approve", {"amount": "4,000,000"}, follow=True)
    assert "Approved: " in page.text


def test_no_due_diligence_no_approval(session, make, fund, staff):
    application = recommended_application(session, make, fund, staff)
    session.delete(application.due_diligence)
    session.commit()
    session.expire_all()
    with pytest.raises(DomainError, match="Record the due diligence check before approving"):
        decisions.approve(session, application=application, by=staff["approver"], amount=M)


def _approval(application_id: int, approver_id: int, amount: Decimal):
    """An approval as a racing attempt (tests.helpers.race)."""
    def change(session) -> None:
        decisions.approve(session, application=session.get(Application, application_id),
                          by=session.get(User, approver_id), amount=amount)
    return change


def test_racing_approvals_never_over_commit_the_round(app, session, make, fund, staff):
    """25 approvals of £3m against a £50m round (room for 16): on PostgreSQL from 25 threads with
    their own connections at once; on SQLite (one writer at a time) one after another."""
    ids = [recommended_application(session, make, fund, staff, grant=3 * M).id for _ in range(25)]
    approver_id = staff["approver"].id
    results = race(app, {i: _approval(i, approver_id, 3 * M) for i in ids},
                   on_postgres=session.get_bind().dialect.name == "postgresql")
    session.expire_all()
    approved = [i for i, outcome in results.items() if outcome == "approved"]
    refused = [outcome for outcome in results.values() if outcome != "approved"]
    assert len(approved) == 16 and len(refused) == 9
    assert all("would over-commit Round 1" in message and "£2,000,000.00 is available" in message
               for message in refused)
    committed = session.scalars(sa.select(Award.amount)).all()
    assert sum(committed) == Decimal("48000000.00") <= fund.rounds[0].allocation


# --- subsidy control ------------------------------------------------------------------------

ON_AFTER = date(2025, 8, 4)
ON_BEFORE = date(2025, 8, 3)


@pytest.mark.parametrize("amount, needed", [(Decimal("100000.00"), False), (Decimal("100000.01"), True)])
def test_transparency_entry_needed_only_over_100k_and_due_three_months_later(session, make, fund, amount, needed):
    application = moderated_application(session, make, fund, grant=amount)
    result = subsidy.assess(session, application, amount, on=date(2025, 11, 30))
    assert result.transparency_required is needed
    assert result.transparency_due_on == (date(2026, 2, 28) if needed else None)


@pytest.mark.parametrize("amount, cumulative_from_elsewhere, category", [
    (M, 10 * M, "standard"),  # not over £1m: never of interest
    (M + Decimal("0.01"), 4 * M - Decimal("0.02"), "standard"),  # cumulative £4,999,999.99
    (M + Decimal("0.01"), 4 * M - Decimal("0.01"), "interest"),  # cumulative exactly £5m
    (M + Decimal("0.01"), 24 * M - Decimal("0.02"), "interest"),  # £24,999,999.99 after 4 August 2025
    (M + Decimal("0.01"), 24 * M - Decimal("0.01"), "particular_interest"),  # exactly £25m
])
def test_interest_thresholds_after_4_august_2025(session, make, fund, amount, cumulative_from_elsewhere, category):
    application = moderated_application(session, make, fund, grant=amount,
                                        public_funding=str(cumulative_from_elsewhere))
    assert subsidy.assess(session, application, amount, on=ON_AFTER).category.value == category


@pytest.mark.parametrize("on, cumulative, category", [
    (ON_BEFORE, 10 * M - Decimal("0.01"), "interest"),
    (ON_BEFORE, 10 * M, "particular_interest"),  # £10m before 4 August 2025
    (ON_AFTER, 10 * M, "interest"),  # the same award a day later is no longer of particular interest
    (ON_AFTER, 25 * M, "particular_interest"),
])
def test_particular_interest_threshold_either_side_of_4_august_2025(session, make, fund, on, cumulative, category):
    amount = 2 * M
    application = moderated_application(session, make, fund, grant=amount, public_funding=str(cumulative - amount))
    assert subsidy.assess(session, application, amount, on=on).category.value == category


@pytest.mark.parametrize("cumulative, category", [(5 * M - Decimal("0.01"), "standard"),
                                                  (5 * M, "particular_interest")])
def test_sensitive_sectors_reach_particular_interest_at_5m(session, make, fund, cumulative, category):
    amount = 2 * M
    application = moderated_application(session, make, fund, grant=amount, public_funding=str(cumulative - amount))
    assert subsidy.assess(session, application, amount, on=ON_AFTER, sensitive_sector=True).category.value == category


def test_cumulation_counts_awards_in_the_current_and_two_previous_financial_years(session, make, fund, staff):
    organisation = make.organisation()
    application = moderated_application(session, make, fund, organisation=organisation)
    for decided, amount in [(datetime(2023, 3, 31, 12, tzinfo=UTC), Decimal("700.00")),  # FY 2022/23: too old
                            (datetime(2023, 4, 1, 12, tzinfo=UTC), Decimal("30.00")),  # FY 2023/24: counts
                            (datetime(2025, 8, 1, 12, tzinfo=UTC), Decimal("5.00"))]:  # FY 2025/26: counts
        other = moderated_application(session, make, fund, organisation=organisation)
        session.add(Award(application=other, fund_id=fund.id, round_id=other.round_id,
                          organisation_id=organisation.id, amount=amount, decided_at=decided,
                          cumulative_subsidy=amount, subsidy_category="standard", status=AwardStatus.ACCEPTED))
    session.commit()
    assert subsidy.assess(session, application, M, on=date(2026, 3, 31)).previous_awards == Decimal("35.00")
    assert subsidy.assess(session, application, M, on=date(2026, 4, 1)).previous_awards == Decimal("5.00")


def test_particular_interest_cannot_be_confirmed_until_the_sau_referral_is_recorded(client, session, make, fund,
                                                                                      staff):
    application = recommended_application(session, make, fund, staff, grant=8 * M, public_funding=str(20 * M),
                                          referral_recorded=False)
    client.sign_in(staff["approver"].email)
    refused = client.submit(f"/decisions/applications/{application.id}/approve", {"amount": "8,000,000"})
    assert refused.status == 400
    assert "Subsidy of Particular Interest: record the referral to the CMA Subsidy Advice Unit" in refused.text
    url = f"/decisions/applications/{application.id}/subsidy-control"
    missing = client.submit(url, {"sensitive_sector": "no", "referred_to_sau": "yes", "sau_reference": "SAU/25/01"})
    assert missing.status == 400 and "Enter the date of the referral" in missing.text
    client.submit(url, {"sensitive_sector": "no", "referred_to_sau": "yes", "referred_on": ["2", "3", "2026"],
                        "sau_reference": "SAU/25/01"})
    page = client.submit(f"/decisions/applications/{application.id}/approve", {"amount": "8,000,000"}, follow=True)
    assert "Approved: " in page.text
    session.expire_all()
    assert application.award.subsidy_category.value == "particular_interest"
    assert application.award.cumulative_subsidy == 28 * M


def test_subsidy_of_interest_needs_the_referral_choice_recorded(session, make, fund, staff):
    application = recommended_application(session, make, fund, staff, grant=3 * M, public_funding=str(3 * M),
                                          referral_recorded=False)
    with pytest.raises(DomainError, match="Subsidy of Interest: record whether it was referred"):
        decisions.approve(session, application=application, by=staff["approver"], amount=3 * M)
    session.rollback()
    with pytest.raises(DomainError, match="Enter why the subsidy was not referred"):
        subsidy.record_check(session, application=application, by=staff["approver"], sensitive_sector=False,
                             referred_to_sau=False)
    subsidy.record_check(session, application=application, by=staff["approver"], sensitive_sector=False,
                         referred_to_sau=False, referral_reason="No competition concerns")
    assert decisions.approve(session, application=application, by=staff["approver"], amount=3 * M).award


def test_transparency_uploads_are_tracked_until_marked(client, session, make, fund, staff):
    application = recommended_application(session, make, fund, staff)
    award = decisions.approve(session, application=application, by=staff["approver"], amount=4 * M).award
    session.commit()
    client.sign_in(staff["approver"].email)
    assert f"LSIMF-{application.id:05d}" in client.get("/decisions/").html.select_one("#transparency").text
    url = f"/decisions/awards/{award.id}/transparency"
    blank = client.submit(url, {"uploaded_on": ["", "", ""], "reference": ""})
    assert blank.status == 400 and "Enter the upload date" in blank.text
    assert "Enter the transparency database reference" in blank.text
    client.submit(url, {"uploaded_on": [str(d) for d in (utcnow().day, utcnow().month, utcnow().year)],
                        "reference": "SC12345/AW1"})
    session.expire_all()
    assert award.transparency_reference == "SC12345/AW1"
    assert client.get("/decisions/").html.select_one("#transparency") is None


def test_decision_pages_are_for_staff_only(client, session, make, fund, staff):
    application = recommended_application(session, make, fund, staff)
    client.sign_in(application.organisation.users[0].email)
    assert client.get(f"/decisions/applications/{application.id}").status == 403
    client.sign_out()
    client.sign_in(staff["assessor"].email)
    assert client.get("/decisions/").status == 403
    client.sign_out()
    finance = make.user(Role.FINANCE)
    session.commit()
    client.sign_in(finance.email)
    assert client.get(f"/decisions/applications/{application.id}").status == 200
    assert client.get(f"/decisions/applications/{application.id}/approve").status == 403


# --- bad input: a message on the page, a 400, and nothing written -----------------------------

BAD_FORMS = [
    ("recommend", {"recommendation": "maybe", "amount": "1", "note": "x"}, "Select whether you recommend funding it"),
    ("recommend", {"recommendation": "yes", "amount": "", "note": "x"}, "Enter the recommended grant"),
    ("recommend", {"recommendation": "yes", "amount": "lots", "note": "x"}, "Enter the recommended grant as a number"),
    ("recommend", {"recommendation": "no", "amount": "", "note": ""}, "Enter the reasons for the recommendation"),
    ("due-diligence", {"checked_on": ["1", "1", "2999"], "result": "green"}, "must be between"),
    ("due-diligence", {"checked_on": ["1", "1", "2026"], "result": "purple"}, "Select the result of the check"),
    ("subsidy-control", {"sensitive_sector": ""}, "Select whether the enterprise is in a sensitive sector"),
    ("subsidy-control", {"sensitive_sector": "no", "referred_to_sau": "no", "referral_reason": ""},
     "Enter why the subsidy was not referred"),
    ("subsidy-control", {"sensitive_sector": "no", "referred_to_sau": "yes", "referred_on": ["1", "1", "2026"],
                         "sau_reference": "S" * 65}, "The reference must be 64 characters or fewer"),
    ("approve", {"amount": "0"}, "The grant awarded must be more than £0"),
    ("approve", {"amount": "4,000,000.001"}, "must be in pounds and pence"),
    ("approve", {"amount": "4,000,000.01"}, "no more than the £4,000,000.00 requested"),
    ("approve", {"amount": "1", "conditions": "c" * 5001}, "Conditions of the award must be 5,000 characters or fewer"),
    ("reject", {"feedback": ""}, "Enter feedback for the company"),
]


@pytest.mark.parametrize("page, data, message", BAD_FORMS)
def test_bad_decision_input_is_refused_with_a_message_and_writes_nothing(client, session, make, fund, staff, page,
                                                                         data, message):
    application = moderated_application(session, make, fund, assessor=staff["assessor"])
    if page in ("approve", "reject"):
        decisions.recommend(session, application=application, by=staff["recommender"], recommended=True,
                            amount=application.grant_requested, note="Good")
        session.commit()
    events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    client.sign_in(staff["approver"].email)
    response = client.submit(f"/decisions/applications/{application.id}/{page}", data)
    assert response.status == 400
    assert message in response.html.select_one(".govuk-error-summary").text
    assert response.text.startswith("Error:")
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events + 2  # the sign-in and its second factor only
    assert session.scalar(sa.select(sa.func.count()).select_from(Award)) == 0


def test_unknown_and_out_of_range_ids_are_404(client, session, make, fund, staff):
    application = moderated_application(session, make, fund)
    client.sign_in(staff["approver"].email)
    for url in ["/decisions/applications/999999", "/decisions/applications/99999999999999999999",
                f"/decisions/applications/{application.id}/due-diligence/flags/12345",
                "/decisions/awards/424242/transparency"]:
        assert client.get(url).status == 404, url
    draft = moderated_application(session, make, fund)
    draft.status = ApplicationStatus.DRAFT
    session.commit()
    assert client.get(f"/decisions/applications/{draft.id}").status == 404
