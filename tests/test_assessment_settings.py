"""Assessment settings: a round's criteria and weights (PRODUCT.md §2.2, illustrative defaults),
locked once scores are submitted; and the dated subsidy control thresholds."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.dates import uk_today
from portfolio.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    Criterion,
    EoiStatus,
    ExpressionOfInterest,
    Fund,
    Role,
    Score,
    SubsidyThreshold,
    ThresholdKey,
)
from portfolio.models.base import utcnow
from portfolio.services import funds, subsidy
from tests.helpers import sign_in_as
from tests.test_fund_settings import assert_refused, audit_events

DEFAULT_TITLES = ["Health resilience", "Economic value (jobs, wages, GVA)", "Additionality and value for money",
                  "Innovation and R&D spillovers", "Deliverability and risk"]


@pytest.fixture
def round_(fund):
    return fund.rounds[0]


@pytest.fixture
def fund_manager(client, make, session):
    user = make.user(Role.FUND_MANAGER, name="Fenella Fund-Manager")
    session.commit()
    sign_in_as(client, user)
    return user


@pytest.fixture
def admin(client, make, session):
    user = make.user(Role.ADMIN, name="Ada Admin")
    session.commit()
    sign_in_as(client, user)
    return user


def criteria_url(fund, round_, change: bool = False) -> str:
    return f"/admin/funds/{fund.id}/rounds/{round_.id}/criteria" + ("/change" if change else "")


def saved_criteria(session, round_) -> list[tuple]:
    session.expire_all()
    return [(c.key, c.title, c.guidance, c.weight) for c in
            session.scalars(sa.select(Criterion).where(Criterion.round_id == round_.id).order_by(Criterion.position))]


def audit_count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def posted(round_, changes: dict | None = None, new: dict | None = None) -> dict:
    """The criteria form as the page shows it, with changes ({"criteria-1-weight": "20"}) and
    an optional new row."""
    data = {}
    for index, criterion in enumerate(round_.criteria):
        data |= {f"criteria-{index}-criterion_id": str(criterion.id), f"criteria-{index}-title": criterion.title,
                 f"criteria-{index}-guidance": criterion.guidance,
                 f"criteria-{index}-weight": format(criterion.weight * 100, "f").rstrip("0").rstrip(".")}
    blank = len(round_.criteria)
    data |= {f"criteria-{blank}-criterion_id": "", f"criteria-{blank}-title": "", f"criteria-{blank}-guidance": "",
             f"criteria-{blank}-weight": ""}
    for name, value in (new or {}).items():
        data[f"criteria-{blank}-{name}"] = value
    data |= changes or {}
    return {key: value for key, value in data.items() if value is not None}


def application_in(session, make, fund, round_, *, submitted: bool) -> Assignment:
    """An application in the round with one assessor, who has (or has not yet) submitted scores."""
    applicant = make.user(Role.APPLICANT)
    assessor = make.user(Role.ASSESSOR)
    eoi = ExpressionOfInterest(fund=fund, organisation=applicant.organisation, created_by=applicant,
                               status=EoiStatus.INVITED, project_title="Sterile fill-finish line",
                               submitted_at=utcnow(), invited_round=round_)
    application = Application(fund=fund, round=round_, organisation=applicant.organisation, eoi=eoi,
                              project_title="Sterile fill-finish line", submitted_at=utcnow(),
                              status=ApplicationStatus.IN_ASSESSMENT)
    assignment = Assignment(application=application, assessor_id=assessor.id, assigned_by_id=assessor.id,
                            status=AssignmentStatus.ACTIVE, submitted_at=utcnow() if submitted else None)
    assignment.scores = [Score(criterion=criterion, score=7, comment="Good") for criterion in round_.criteria]
    session.add_all([eoi, application, assignment])
    session.commit()
    return assignment


# --- the criteria page ---------------------------------------------------------------------------

def test_the_criteria_page_lists_the_weights_as_percentages_and_says_the_defaults_are_illustrative(
        client, fund_manager, fund, round_):
    page = client.get(criteria_url(fund, round_))
    assert page.status == 200
    assert page.h1 == "Assessment criteria for Round 1"
    rows = [[cell.get_text(" ", strip=True) for cell in row.select("th, td")]
            for row in page.html.select("table tbody tr")]
    assert rows == [[title, "None", weight] for title, weight in zip(
        DEFAULT_TITLES, ["25%", "25%", "20%", "15%", "15%"], strict=True)] + [["Total", "100%"]]
    assert "The weights are illustrative: no weights have been published" in page.text
    [change] = [a for a in page.html.select("main a") if a.get_text(strip=True) == "Change the criteria"]
    assert change["href"] == criteria_url(fund, round_, change=True)


def test_the_fund_overview_links_to_each_rounds_criteria_and_the_thresholds(client, fund_manager, fund, round_):
    links = {a["href"] for a in client.get("/admin/funds/").html.select("main a")}
    assert {criteria_url(fund, round_), "/admin/funds/subsidy-thresholds"} <= links


def test_the_change_page_shows_every_criterion_and_a_blank_row(client, fund_manager, fund, round_):
    page = client.get(criteria_url(fund, round_, change=True))
    assert page.status == 200
    html = page.html
    assert [html.find(id=f"criteria-{i}-title")["value"] for i in range(5)] == DEFAULT_TITLES
    assert [html.find(id=f"criteria-{i}-weight")["value"] for i in range(5)] == ["25", "25", "20", "15", "15"]
    assert html.find(id="criteria-5-title")["value"] == ""
    assert [legend.get_text(strip=True) for legend in html.select("legend")][-1] == "Criterion 6 (new)"
    assert "The weights must total exactly 100%" in page.text


@pytest.mark.parametrize("who", [Role.FUND_MANAGER, Role.ADMIN])
def test_staff_change_titles_guidance_and_weights_remove_one_and_add_one(client, make, session, fund, round_, who):
    user = make.user(who)
    session.commit()
    sign_in_as(client, user)
    ids = [c.id for c in round_.criteria]
    before = saved_criteria(session, round_)
    data = posted(round_, {
        "criteria-0-title": "Health resilience and supply security",
        "criteria-0-guidance": "Does the project make UK supply of medicines more secure?",
        "criteria-1-weight": "20",
        "criteria-4-remove": "y",
    }, new={"title": "Net zero", "guidance": "Plans to cut emissions", "weight": "20"})

    page = client.submit(criteria_url(fund, round_, change=True), data, follow=True)

    assert page.status == 200, page.error_summary()
    assert "Criteria for Round 1 saved" in page.text
    assert saved_criteria(session, round_) == [
        ("health_resilience", "Health resilience and supply security",
         "Does the project make UK supply of medicines more secure?", Decimal("0.2500")),
        ("economic_value", "Economic value (jobs, wages, GVA)", "", Decimal("0.2000")),
        ("additionality", "Additionality and value for money", "", Decimal("0.2000")),
        ("innovation", "Innovation and R&D spillovers", "", Decimal("0.1500")),
        ("net_zero", "Net zero", "Plans to cut emissions", Decimal("0.2000")),
    ]
    assert [c.id for c in session.get(Fund, fund.id).rounds[0].criteria][:4] == ids[:4], "kept rows keep their id"
    [event] = audit_events(session, "round.criteria_changed")
    assert event.actor_id == user.id and event.entity_type == "rounds" and event.entity_id == str(round_.id)
    assert [c["title"] for c in event.before["criteria"]] == [title for _, title, _, _ in before]
    assert [(c["key"], c["weight"]) for c in event.after["criteria"]][-1] == ("net_zero", "0.2000")
    assert "Net zero" in page.text and "20%" in page.text


def test_saving_unchanged_criteria_changes_nothing(client, fund_manager, session, fund, round_):
    before, events = saved_criteria(session, round_), audit_count(session)
    page = client.submit(criteria_url(fund, round_, change=True), posted(round_), follow=True)
    assert "You did not change the criteria" in page.text
    assert saved_criteria(session, round_) == before and audit_count(session) == events


def test_add_another_criterion_gives_another_blank_row_and_saves_nothing(client, fund_manager, session, fund,
                                                                         round_):
    before, events = saved_criteria(session, round_), audit_count(session)
    data = posted(round_, {"criteria-0-title": "Typed but not saved"}, new={"title": "Net zero"})
    page = client.submit(criteria_url(fund, round_, change=True), {**data, "add_another": "Add another criterion"})
    assert page.status == 200
    assert page.html.find(id="criteria-0-title")["value"] == "Typed but not saved"
    assert page.html.find(id="criteria-5-title")["value"] == "Net zero"
    assert page.html.find(id="criteria-6-title")["value"] == ""
    assert saved_criteria(session, round_) == before and audit_count(session) == events


CRITERIA_CASES = [
    pytest.param({"criteria-0-weight": "20"}, None, "criteria-0-weight",
                 "The weights total 95%. They must total exactly 100%", id="total-95"),
    pytest.param({}, {"title": "Net zero", "weight": "10.5"}, "criteria-0-weight",
                 "The weights total 110.5%. They must total exactly 100%", id="total-110.5"),
    pytest.param({"criteria-0-remove": "y"}, None, "criteria-1-weight",
                 "The weights total 75%. They must total exactly 100%", id="total-after-removing"),
    pytest.param({"criteria-1-title": ""}, None, "criteria-1-title", "Enter the title of criterion 2",
                 id="no-title"),
    pytest.param({"criteria-1-title": "  "}, None, "criteria-1-title", "Enter the title of criterion 2",
                 id="spaces-title"),
    pytest.param({"criteria-1-title": "T" * 201}, None, "criteria-1-title",
                 "The title of criterion 2 must be 200 characters or fewer", id="long-title"),
    pytest.param({"criteria-1-guidance": "G" * 2001}, None, "criteria-1-guidance",
                 "The guidance for criterion 2 must be 2,000 characters or fewer", id="long-guidance"),
    pytest.param({"criteria-1-title": "health RESILIENCE"}, None, "criteria-1-title",
                 "Criterion 2 has the same title as criterion 1", id="same-title"),
    pytest.param({"criteria-2-weight": ""}, None, "criteria-2-weight", "Enter the weight of criterion 3",
                 id="no-weight"),
    pytest.param({"criteria-2-weight": None}, None, "criteria-2-weight", "Enter the weight of criterion 3",
                 id="weight-left-out"),
    pytest.param({"criteria-2-weight": "twenty"}, None, "criteria-2-weight",
                 "Enter the weight of criterion 3 as a percentage, like 20", id="weight-words"),
    pytest.param({"criteria-2-weight": "0"}, None, "criteria-2-weight",
                 "The weight of criterion 3 must be more than 0%", id="weight-0"),
    pytest.param({"criteria-2-weight": "-20"}, None, "criteria-2-weight",
                 "The weight of criterion 3 must be between 0% and 100%", id="weight-negative"),
    pytest.param({"criteria-2-weight": "150"}, None, "criteria-2-weight",
                 "The weight of criterion 3 must be between 0% and 100%", id="weight-150"),
    pytest.param({"criteria-2-weight": "20.125"}, None, "criteria-2-weight",
                 "The weight of criterion 3 must have no more than 2 decimal places, like 12.5", id="weight-3dp"),
    pytest.param({}, {"title": "Net zero"}, "criteria-5-weight", "Enter the weight of criterion 6",
                 id="new-without-weight"),
    pytest.param({}, {"guidance": "Emissions", "weight": "5"}, "criteria-5-title", "Enter the title of criterion 6",
                 id="new-without-title"),
]


@pytest.mark.parametrize(("changes", "new", "field_id", "message"), CRITERIA_CASES)
def test_bad_criteria_are_refused_and_nothing_is_saved(client, fund_manager, session, fund, round_, changes, new,
                                                       field_id, message):
    before, events = saved_criteria(session, round_), audit_count(session)
    page = client.submit(criteria_url(fund, round_, change=True), posted(round_, changes, new))
    assert_refused(page, field_id, message)
    assert saved_criteria(session, round_) == before and audit_count(session) == events


@pytest.mark.parametrize(("changes", "message"), [
    pytest.param({f"criteria-{i}-remove": "y" for i in range(5)}, "A round needs at least one criterion",
                 id="all-removed"),
    pytest.param({"criteria-0-criterion_id": "999999"}, "The criteria changed while you were editing them",
                 id="unknown-id"),
    pytest.param({"criteria-0-criterion_id": "abc"}, "The criteria changed while you were editing them",
                 id="junk-id"),
])
def test_criteria_posts_that_do_not_match_the_round_are_refused(client, fund_manager, session, fund, round_,
                                                                changes, message):
    before, events = saved_criteria(session, round_), audit_count(session)
    page = client.submit(criteria_url(fund, round_, change=True), posted(round_, changes))
    assert page.status == 400
    assert any(item.startswith(message) for item in
               [li.get_text(strip=True) for li in page.html.select(".govuk-error-summary__list li")]), page.text
    assert saved_criteria(session, round_) == before and audit_count(session) == events


def test_another_rounds_criterion_id_cannot_be_edited_through_this_round(client, fund_manager, session, make, fund,
                                                                         round_):
    other = make.open_round(fund, name="Round 2")
    session.commit()
    theirs = other.criteria[0]
    page = client.submit(criteria_url(fund, round_, change=True),
                         posted(round_, {"criteria-0-criterion_id": str(theirs.id), "criteria-0-title": "Hijacked"}))
    assert page.status == 400
    session.expire_all()
    assert session.get(Criterion, theirs.id).title == "Health resilience"


def test_rows_posted_with_odd_indices_never_break_the_page(client, fund_manager, session, fund, round_):
    data = posted(round_, {"criteria-²-title": "x", "criteria-" + "9" * 5000 + "-title": "x",
                           "criteria-abc-title": "x"})
    page = client.submit(criteria_url(fund, round_, change=True), data)
    assert page.status == 302, page.error_summary()


# --- criteria are locked once scores are submitted ------------------------------------------

def test_criteria_cannot_change_once_an_assessor_has_submitted_scores(client, fund_manager, session, make, fund,
                                                                      round_):
    application_in(session, make, fund, round_, submitted=True)
    reason = "The criteria and weights cannot be changed because assessors have already submitted scores"

    page = client.get(criteria_url(fund, round_))
    assert reason in page.text
    assert "Change the criteria" not in page.text

    page = client.get(criteria_url(fund, round_, change=True))
    assert page.status == 200
    assert reason in page.text and page.html.find(id="criteria-0-title") is None

    before, events = saved_criteria(session, round_), audit_count(session)
    page = client.submit(criteria_url(fund, round_, change=True),
                         posted(round_, {"criteria-0-title": "Changed"}), form_url="/home")
    assert page.status == 400
    assert any(item.startswith(reason) for item in
               [li.get_text(strip=True) for li in page.html.select(".govuk-error-summary__list li")])
    assert saved_criteria(session, round_) == before and audit_count(session) == events


def test_draft_scores_do_not_lock_the_criteria_and_go_with_a_removed_one(client, fund_manager, session, make, fund,
                                                                         round_):
    assignment = application_in(session, make, fund, round_, submitted=False)
    removed = round_.criteria[4].id
    page = client.submit(criteria_url(fund, round_, change=True),
                         posted(round_, {"criteria-4-remove": "y", "criteria-3-weight": "30"}))
    assert page.status == 302, page.error_summary()
    session.expire_all()
    left = session.scalars(sa.select(Score.criterion_id).where(Score.assignment_id == assignment.id)).all()
    assert len(left) == 4 and removed not in left


def test_a_submitted_assessment_in_another_round_does_not_lock_this_one(client, fund_manager, session, make, fund,
                                                                        round_):
    other = make.open_round(fund, name="Round 2")
    session.commit()
    application_in(session, make, fund, other, submitted=True)
    page = client.submit(criteria_url(fund, round_, change=True), posted(round_, {"criteria-0-title": "Health"}))
    assert page.status == 302, page.error_summary()


# --- subsidy control thresholds -----------------------------------------------------------------

THRESHOLD_FORM = {"key": "particular_cumulative", "amount": "£30,000,000", "effective_from": ["1", "4", "2030"],
                  "source": "SI 2030/123"}


def threshold_table(page, caption: str) -> list[list[str]]:
    [table] = [t for t in page.html.select("table") if t.caption.get_text(strip=True) == caption]
    return [[cell.get_text(" ", strip=True) for cell in row.select("td")] for row in table.select("tbody tr")]


def threshold_count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(SubsidyThreshold))


@pytest.mark.parametrize("who", [Role.ADMIN, Role.FUND_MANAGER, Role.FINANCE])
def test_the_thresholds_page_shows_every_dated_amount_and_which_is_in_force(client, make, session, who):
    sign_in_as(client, make.user(who))
    session.commit()
    page = client.get("/admin/funds/subsidy-thresholds")
    assert page.status == 200
    assert page.h1 == "Subsidy control thresholds"
    assert threshold_table(page, ThresholdKey.PARTICULAR_CUMULATIVE.label) == [
        ["£10,000,000.00", "4 January 2023", "SSoI/SSoPI Regulations 2022", "Replaced"],
        ["£25,000,000.00", "4 August 2025", "SI 2025/845", "In force"],
    ]
    assert threshold_table(page, ThresholdKey.TRANSPARENCY.label) == [
        ["£100,000.00", "4 January 2023", "Subsidy Control Act 2022 s.33", "In force"]]
    adds = [a for a in page.html.select("main a") if "Add a threshold amount" in a.get_text()]
    assert bool(adds) == (who is Role.ADMIN)


def test_admin_adds_a_dated_amount_that_applies_from_its_date(client, admin, session):
    page = client.get("/admin/funds/subsidy-thresholds/new")
    assert page.status == 200
    assert len(page.html.select("input[name=key]")) == len(ThresholdKey)

    page = client.submit("/admin/funds/subsidy-thresholds/new", THRESHOLD_FORM, follow=True)

    assert page.status == 200, page.error_summary()
    assert "£30,000,000.00 from 1 April 2030 added" in page.text
    assert threshold_table(page, ThresholdKey.PARTICULAR_CUMULATIVE.label)[-1] == [
        "£30,000,000.00", "1 April 2030", "SI 2030/123", "Not in force yet"]
    [event] = audit_events(session, "subsidy_threshold.added")
    assert event.actor_id == admin.id
    assert event.after == {"key": "particular_cumulative", "amount": "30000000.00", "effective_from": "2030-04-01",
                           "source": "SI 2030/123"}
    key = ThresholdKey.PARTICULAR_CUMULATIVE
    assert subsidy.threshold(session, key, date(2030, 3, 31)) == Decimal("25000000.00")
    assert subsidy.threshold(session, key, date(2030, 4, 1)) == Decimal("30000000.00")


def test_a_new_amount_from_today_is_the_one_in_force(client, admin, session):
    today = uk_today()
    page = client.submit("/admin/funds/subsidy-thresholds/new",
                         {**THRESHOLD_FORM, "key": "transparency", "amount": "150000",
                          "effective_from": [str(today.day), str(today.month), str(today.year)]}, follow=True)
    assert page.status == 200, page.error_summary()
    rows = threshold_table(page, ThresholdKey.TRANSPARENCY.label)
    assert [row[-1] for row in rows] == ["Replaced", "In force"] and rows[-1][0] == "£150,000.00"


def date_cases(field: str, name: str) -> list:
    capitalised = name[0].upper() + name[1:]
    return [
        pytest.param({field: None}, field, f"Enter {name}", id=f"{field}-missing"),
        pytest.param({field: ["", "4", "2030"]}, field, f"{capitalised} must include a day", id=f"{field}-no-day"),
        pytest.param({field: ["31", "4", "2030"]}, field, f"{capitalised} must be a real date", id=f"{field}-31-april"),
        pytest.param({field: ["1", "4", "1999"]}, field, f"{capitalised} must be between 2000 and 2099",
                     id=f"{field}-1999"),
    ]


THRESHOLD_CASES = [
    pytest.param({"key": None}, "key", "Select which threshold", id="no-key"),
    pytest.param({"key": "bogus"}, "key", "Select which threshold", id="unknown-key"),
    pytest.param({"amount": ""}, "amount", "Enter the amount", id="no-amount"),
    pytest.param({"amount": "0"}, "amount", "The amount must be more than £0", id="zero-amount"),
    pytest.param({"amount": "lots"}, "amount", "Enter the amount as a number, like 8,000,000", id="words-amount"),
    pytest.param({"amount": "1.001"}, "amount", "The amount must be in pounds and pence, like 1,250.50",
                 id="amount-3dp"),
    *date_cases("effective_from", "the date it is in force from"),
    pytest.param({"source": " "}, "source", "Enter the source of the threshold", id="no-source"),
    pytest.param({"source": "S" * 501}, "source", "The source must be 500 characters or fewer", id="long-source"),
    pytest.param({"source": "SI\x00"}, "source", "Source must not include hidden characters", id="nul-source"),
]


@pytest.mark.parametrize(("changes", "field_id", "message"), THRESHOLD_CASES)
def test_bad_thresholds_are_refused_and_nothing_is_saved(client, admin, session, changes, field_id, message):
    before, events = threshold_count(session), audit_count(session)
    data = {key: value for key, value in {**THRESHOLD_FORM, **changes}.items() if value is not None}
    page = client.submit("/admin/funds/subsidy-thresholds/new", data)
    if field_id == "key":  # radios: the summary links to the first one
        assert page.status == 400 and message in page.error_summary() and page.field_error("key") == message
    else:
        assert_refused(page, field_id, message)
    assert threshold_count(session) == before and audit_count(session) == events


def test_a_second_amount_for_the_same_threshold_and_date_is_refused(client, admin, session):
    before, events = threshold_count(session), audit_count(session)
    page = client.submit("/admin/funds/subsidy-thresholds/new",
                         {**THRESHOLD_FORM, "effective_from": ["4", "8", "2025"]})
    assert page.status == 400
    [message] = page.error_summary()
    assert message.startswith("There is already an amount for this threshold from") and "August 2025" in message
    assert page.field_error("effective_from") == message
    assert threshold_count(session) == before and audit_count(session) == events
    # The same date for a different threshold is fine.
    page = client.submit("/admin/funds/subsidy-thresholds/new",
                         {**THRESHOLD_FORM, "key": "sensitive_cumulative", "effective_from": ["4", "8", "2025"]})
    assert page.status == 302, page.error_summary()


# --- who may see and change what -------------------------------------------------------------

@pytest.mark.parametrize("who", [Role.ASSESSOR, Role.APPLICANT, Role.ACCOUNT_MANAGER, Role.FINANCE])
def test_only_fund_managers_and_admins_see_or_change_criteria(client, make, session, fund, round_, who):
    sign_in_as(client, make.user(who))
    session.commit()
    before, events = saved_criteria(session, round_), audit_count(session)
    assert client.get(criteria_url(fund, round_)).status == 403
    assert client.get(criteria_url(fund, round_, change=True)).status == 403
    data = posted(round_, {"criteria-0-title": "Changed"})
    assert client.submit(criteria_url(fund, round_, change=True), data, form_url="/home").status == 403
    assert saved_criteria(session, round_) == before and audit_count(session) == events


@pytest.mark.parametrize("who", [Role.ASSESSOR, Role.APPLICANT, Role.ACCOUNT_MANAGER])
def test_thresholds_are_not_shown_to_other_roles(client, make, session, who):
    sign_in_as(client, make.user(who))
    session.commit()
    assert client.get("/admin/funds/subsidy-thresholds").status == 403


@pytest.mark.parametrize("who", [Role.FUND_MANAGER, Role.FINANCE, Role.ASSESSOR, Role.APPLICANT])
def test_only_admins_add_thresholds(client, make, session, who):
    sign_in_as(client, make.user(who))
    session.commit()
    before, events = threshold_count(session), audit_count(session)
    assert client.get("/admin/funds/subsidy-thresholds/new").status == 403
    assert client.submit("/admin/funds/subsidy-thresholds/new", THRESHOLD_FORM, form_url="/home").status == 403
    assert threshold_count(session) == before and audit_count(session) == events


def test_a_round_of_another_fund_or_an_unknown_round_is_404(client, fund_manager, session, make, fund, round_):
    other = Fund(code="OTHER", name="Other Fund", budget=Decimal("1000000.00"))
    session.add(other)
    funds.add_default_rules(session, other)
    theirs = make.open_round(other, name="Hidden round")
    session.commit()
    before = saved_criteria(session, theirs)
    for url in (criteria_url(fund, theirs), criteria_url(fund, theirs, change=True),
                f"/admin/funds/{fund.id}/rounds/999999/criteria", f"/admin/funds/999999/rounds/{round_.id}/criteria",
                f"/admin/funds/{fund.id}/rounds/{'9' * 20}/criteria/change"):
        page = client.get(url)
        assert page.status == 404, url
        assert "Hidden round" not in page.text
    assert client.submit(criteria_url(fund, theirs, change=True), posted(theirs, {"criteria-0-title": "X"}),
                         form_url="/home").status == 404
    assert saved_criteria(session, theirs) == before
