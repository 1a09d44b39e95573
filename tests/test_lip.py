"""Large Investment Portfolio cases (issue 7): the £250m boundary, the declared stage table and
its guards, the UK offer's figures (exact, linked LSIMF awards), subsidy control, the pipeline and
its CSV, the case summary PDF, the home page's overdue actions, and confidentiality: company
users get 404 from every case URL, even for a case about their own company."""

import csv
import io
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from werkzeug.datastructures import FileStorage

from portfolio.access import declared_roles
from portfolio.models import (
    AuditEvent,
    Document,
    DocumentStatus,
    LipApprovalKind,
    LipApprovalStatus,
    LipCase,
    LipComponentKind,
    LipComponentStatus,
    LipSector,
    LipStage,
    Rag,
    Region,
    Role,
    SubsidyCategory,
)
from portfolio.services import documents, lip, subsidy, workflow
from portfolio.services.errors import DomainError
from portfolio.services.workflow import InvalidTransition
from tests.builders import PDF, accepted_award
from portfolio.models import AwardStatus
from portfolio.services import api_tokens

TODAY = date.today()
S = LipStage
OVER = Decimal("250000000.01")


def open_case(session, make, people, *, organisation=None, total=Decimal("300000000.01"), sro=None, **overrides):
    values = dict(organisation_id=(organisation or make.organisation()).id, new_organisation=None,
                  title="Biologics campus", summary="A new biologics manufacturing campus", sector=LipSector.BIOLOGICS,
                  total_investment=total, expected_jobs_created=Decimal("450.0"),
                  expected_jobs_safeguarded=Decimal("120.5"), expected_rd_spend=Decimal("40000000.00"),
                  competing_locations=["Ireland", "Singapore"], sro_id=(sro or people["am"]).id, team_ids=[],
                  target_decision_on=TODAY + timedelta(days=90), site_name="Speke", site_postcode="L24 9JW")
    values.update(overrides)
    case = lip.create_case(session, by=people["am"], **values)
    session.commit()
    return case


def approve_all(session, case, by):
    for kind in (LipApprovalKind.BUSINESS_CASE, LipApprovalKind.HM_TREASURY, LipApprovalKind.MINISTERIAL):
        lip.record_approval(session, case=case, by=by, kind=kind, status=LipApprovalStatus.APPROVED,
                            decided_on=TODAY, reference=f"{kind.value}-1", note=None)
    session.commit()


# --- the £250m boundary ---------------------------------------------------------------------------------

def test_250m_exactly_is_refused_with_a_pointer_to_the_lsimf(session, make, people):
    with pytest.raises(DomainError) as refused:
        open_case(session, make, people, total=Decimal("250000000.00"))
    assert refused.value.field == "total_investment"
    assert "Life Sciences Innovative Manufacturing Fund (LSIMF)" in refused.value.message
    session.rollback()
    case = open_case(session, make, people, total=OVER)
    assert case.total_investment == OVER and case.stage is S.ENQUIRY and case.reference == f"LIP-{case.id:05d}"
    assert [site.region for site in case.sites] == [Region.NORTH_WEST]  # from the postcode
    assert {approval.kind for approval in case.approvals} == set(LipApprovalKind)
    with pytest.raises(DomainError, match="LSIMF"):  # and an edit cannot bring it down to £250m
        lip.update_case(session, case=case, by=people["am"], sro_id=people["am"].id, team_ids=[],
                        **{name: getattr(case, name) for name in lip.EDITABLE} | {"total_investment": Decimal("2.5E8")})


def _new_case_form(**overrides):
    data = {"organisation_id": "new", "organisation_name": "Atlantic Biologics UK Ltd", "company_number": "01234567",
            "organisation_postcode": "CB2 0QQ", "title": "Cambridge biologics campus",
            "summary": "Biologics drug substance plant", "sector": "biologics", "total_investment": "250,000,000.00",
            "expected_jobs_created": "400", "expected_jobs_safeguarded": "0", "expected_rd_spend": "25,000,000",
            "competing_locations": "Ireland, Singapore", "sro_id": "", "target_decision_on": ["31", "3", "2027"],
            "site_name": "Granta Park", "site_postcode": "cb21 6gp"}
    data.update(overrides)
    return data


def test_the_boundary_through_the_form(client, session, people):
    client.sign_in(people["am"].email)
    data = _new_case_form(sro_id=str(people["am"].id), team_ids=[str(people["am2"].id)])
    refused = client.submit("/cases/new", data)
    assert refused.status == 400
    assert refused.field_error("total_investment") == (
        "The total investment must be over £250,000,000.00. Investments of £250m or less can apply to the Life "
        "Sciences Innovative Manufacturing Fund (LSIMF)")
    assert session.scalar(sa.select(sa.func.count()).select_from(LipCase)) == 0
    opened = client.submit("/cases/new", data | {"total_investment": "250,000,000.01"}, form_url="/cases/new")
    assert opened.status == 302, opened.error_summary()
    case = session.scalars(sa.select(LipCase)).one()
    assert case.total_investment == OVER and case.organisation.users == []  # a company with no users yet
    assert case.organisation.company_number == "01234567" and case.sites[0].postcode == "CB21 6GP"
    assert {u.name for u in case.team} == {"Ada Account", "Ben Builder"} and case.sro == people["am"]
    page = client.get(opened.location)
    assert page.status == 200 and "Opened at enquiry" in page.text and "0 days" in page.text


# --- stages -------------------------------------------------------------------------------------------

EXPECTED_MOVES = {
    *zip([S.ENQUIRY, S.QUALIFICATION, S.PROPOSITION, S.NEGOTIATION, S.APPROVALS, S.AGREED, S.DELIVERY],
         [S.QUALIFICATION, S.PROPOSITION, S.NEGOTIATION, S.APPROVALS, S.AGREED, S.DELIVERY, S.CLOSED]),
    *((stage, end) for stage in (S.ENQUIRY, S.QUALIFICATION, S.PROPOSITION, S.NEGOTIATION, S.APPROVALS, S.AGREED,
                                 S.DELIVERY) for end in (S.LOST, S.WITHDRAWN)),
}


def test_the_declared_table_is_the_issue_s_stages(app):
    moves = [rule for rule in workflow.machine_of(LipCase).transitions if rule.source is not None]
    assert {(rule.source, rule.target) for rule in moves} == EXPECTED_MOVES
    assert all(rule.roles == {Role.ACCOUNT_MANAGER, Role.FUND_MANAGER} for rule in moves)


def test_every_move_outside_the_table_is_refused_and_every_one_in_it_works(session, make, people):
    case = open_case(session, make, people)
    approve_all(session, case, people["am"])
    events = lambda: session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))  # noqa: E731
    for before in LipStage:
        for after in LipStage:
            case.stage, case.outcome_reason = before, None
            session.commit()
            count = events()
            if (before, after) in EXPECTED_MOVES:
                lip.move(session, case=case, to=after, by=people["fm"], reason="The investor chose Ireland")
                assert case.stage is after and events() == count + 1, (before, after)
                assert case.stage_changes[-1].from_stage is before and case.stage_changes[-1].to_stage is after
            else:
                with pytest.raises(InvalidTransition, match="cannot move from"):
                    lip.move(session, case=case, to=after, by=people["am"], reason="x")
                session.rollback()
                assert case.stage is before and events() == count, (before, after)
            session.commit()
    # Roles outside the table cannot move a case at all.
    case.stage = S.ENQUIRY
    for role in ("finance", "admin", "assessor"):
        with pytest.raises(InvalidTransition, match="Your role"):
            lip.move(session, case=case, to=S.QUALIFICATION, by=people[role])


@pytest.mark.parametrize("end", [S.LOST, S.WITHDRAWN])
def test_lost_and_withdrawn_need_a_reason(session, make, people, end):
    case = open_case(session, make, people)
    for reason in (None, "", "   "):
        with pytest.raises(InvalidTransition, match=f"Enter why the case was {end.value}"):
            lip.move(session, case=case, to=end, by=people["am"], reason=reason)
    lip.move(session, case=case, to=end, by=people["am"], reason="The investor chose Singapore")
    session.commit()
    assert case.stage is end and case.outcome_reason == "The investor chose Singapore"
    assert not case.stage.is_open
    with pytest.raises(DomainError, match="can no longer change"):
        lip.add_risk(session, case=case, by=people["am"], description="x", rag=Rag.RED, mitigation="")


def _to_approvals(session, case, by):
    for stage in (S.QUALIFICATION, S.PROPOSITION, S.NEGOTIATION, S.APPROVALS):
        lip.move(session, case=case, to=stage, by=by)
    session.commit()


def test_agreed_is_refused_while_a_required_approval_is_outstanding(session, make, people, client):
    case = open_case(session, make, people)
    _to_approvals(session, case, people["am"])
    with pytest.raises(InvalidTransition) as refused:
        lip.move(session, case=case, to=S.AGREED, by=people["am"])
    assert ("Business case approval is outstanding; HM Treasury approval is outstanding; Ministerial approval is "
            "outstanding") in refused.value.message
    session.rollback()
    # Ministerial approval not needed for this case (with the reason); HM Treasury refused.
    with pytest.raises(DomainError, match="Enter why it is not needed"):
        lip.record_approval(session, case=case, by=people["am"], kind=LipApprovalKind.MINISTERIAL,
                            status=LipApprovalStatus.NOT_NEEDED, decided_on=TODAY, reference=None, note=None)
    lip.record_approval(session, case=case, by=people["am"], kind=LipApprovalKind.MINISTERIAL,
                        status=LipApprovalStatus.NOT_NEEDED, decided_on=TODAY, reference=None,
                        note="Within delegated authority")
    lip.record_approval(session, case=case, by=people["am"], kind=LipApprovalKind.BUSINESS_CASE,
                        status=LipApprovalStatus.APPROVED, decided_on=TODAY, reference="BC-7", note=None)
    lip.record_approval(session, case=case, by=people["am"], kind=LipApprovalKind.HM_TREASURY,
                        status=LipApprovalStatus.REFUSED, decided_on=TODAY, reference=None, note="Value for money")
    session.commit()
    assert lip.approval_problems(session, case) == ["HM Treasury approval was refused"]
    # Through the page: refused, with the reason, and the case stays at approvals.
    client.sign_in(people["am"].email)
    url = f"/cases/{case.id}"
    page = client.submit(f"{url}/move", {"stage": "agreed"}, form_url=url)
    assert page.status == 400
    assert "The case cannot be agreed yet: HM Treasury approval was refused" in " ".join(page.error_summary())
    session.expire_all()
    assert case.stage is S.APPROVALS
    lip.record_approval(session, case=case, by=people["am"], kind=LipApprovalKind.HM_TREASURY,
                        status=LipApprovalStatus.APPROVED, decided_on=TODAY, reference="HMT-1", note=None)
    session.commit()
    # A subsidy in the offer makes subsidy control approval required.
    lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.RD_GRANT, owner_body="",
                      amount=Decimal("2000000.00"), description="", status=LipComponentStatus.PROPOSED,
                      is_subsidy=True)
    session.commit()
    assert lip.approval_problems(session, case) == [
        "Subsidy control approval is outstanding: the package includes subsidies"]
    lip.record_approval(session, case=case, by=people["am"], kind=LipApprovalKind.SUBSIDY_CONTROL,
                        status=LipApprovalStatus.APPROVED, decided_on=TODAY, reference="SC-1", note=None)
    session.commit()
    # ...and a change to the subsidies afterwards makes it out of date.
    lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.SKILLS, owner_body="",
                      amount=Decimal("500000.00"), description="", status=LipComponentStatus.PROPOSED,
                      is_subsidy=True)
    session.commit()
    assert "Subsidy control approval is out of date" in lip.approval_problems(session, case)[0]
    lip.record_approval(session, case=case, by=people["am"], kind=LipApprovalKind.SUBSIDY_CONTROL,
                        status=LipApprovalStatus.APPROVED, decided_on=TODAY, reference="SC-2", note=None)
    session.commit()
    page = client.submit(f"{url}/move", {"stage": "agreed"}, form_url=url, follow=True)
    assert page.status == 200 and "Case moved to agreed" in page.text
    session.expire_all()
    assert case.stage is S.AGREED
    with pytest.raises(DomainError, match="can no longer change"):  # the offer is settled
        lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.ENERGY, owner_body="",
                          amount=Decimal("1.00"), description="", status=LipComponentStatus.PROPOSED,
                          is_subsidy=False)


def test_the_case_shows_its_history_and_days_in_stage(session, make, people, client):
    case = open_case(session, make, people)
    lip.move(session, case=case, to=S.QUALIFICATION, by=people["fm"])
    case.stage_entered_at = case.stage_entered_at - timedelta(days=12)
    session.commit()
    assert lip.days_in_stage(case) == 12
    client.sign_in(people["finance"].email)
    page = client.get(f"/cases/{case.id}")
    assert page.status == 200 and "for 12 days" in page.text
    rows = [" ".join(row.get_text(" ").split()) for row in page.html.select("#history tbody tr")]
    assert rows[0].endswith("Opened at enquiry Ada Account")
    assert rows[1].endswith("Enquiry to qualification Fay Fund")
    assert page.html.select("form[action$='/move']") == []  # finance reads, never works the case


# --- the UK offer ---------------------------------------------------------------------------------

def test_package_total_and_public_share_are_exact_and_a_linked_award_gives_its_figures(session, make, fund, people):
    award = accepted_award(session, make, fund, people, start=date(TODAY.year, 4, 1),
                           completion=date(TODAY.year + 1, 3, 31))
    case = open_case(session, make, people, organisation=award.organisation)
    add = lambda **kw: lip.add_component(session, case=case, by=people["am"], **{  # noqa: E731
        "owner_body": "", "description": "", "is_subsidy": False, "status": LipComponentStatus.PROPOSED} | kw)
    rd = add(kind=LipComponentKind.RD_GRANT, amount=Decimal("12345678.91"), is_subsidy=True)
    add(kind=LipComponentKind.BRITISH_BUSINESS_BANK, amount=Decimal("50000000.00"), status=LipComponentStatus.AGREED)
    add(kind=LipComponentKind.UK_EXPORT_FINANCE, amount=Decimal("10000000.00"), status=LipComponentStatus.DECLINED)
    planning = add(kind=LipComponentKind.PLANNING, amount=None, description="Local development order",
                   status=LipComponentStatus.AGREED)
    with pytest.raises(DomainError, match="Enter the amount or describe"):
        add(kind=LipComponentKind.ENERGY, amount=None)
    linked = lip.add_component(session, case=case, by=people["am"], kind=None, owner_body="", amount=None,
                               description="", status=LipComponentStatus.PROPOSED, is_subsidy=True,
                               award_id=award.id)
    session.commit()
    assert rd.owner_body == "Innovate UK" and planning.owner_body == "Local planning authority"
    assert linked.amount is None and lip.component_amount(linked) == Decimal("4000000.00")  # from the award
    assert lip.component_status(linked) is LipComponentStatus.AGREED  # the award was accepted
    offer = lip.package(case)
    total = Decimal("12345678.91") + Decimal("50000000.00") + Decimal("4000000.00")
    assert offer.total == total == Decimal("66345678.91")
    assert offer.agreed == Decimal("54000000.00")
    assert offer.subsidy == Decimal("16345678.91")
    assert offer.public_share == (total * 100 / Decimal("300000000.01")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert offer.public_share == Decimal("22.12") and offer.public_share_text == "22.12%"
    # The award's figures follow the award: released, it drops out of the offer.
    award.status = AwardStatus.RELEASED
    session.commit()
    assert lip.component_status(linked) is LipComponentStatus.DECLINED
    assert lip.package(case).total == Decimal("62345678.91")
    # Only the company's own awards can be linked, once.
    other = make.organisation()
    other_case = open_case(session, make, people, organisation=other)
    with pytest.raises(DomainError, match="Select an LSIMF award to this company"):
        lip.add_component(session, case=other_case, by=people["am"], kind=None, owner_body="", amount=None,
                          description="", status=LipComponentStatus.PROPOSED, is_subsidy=True, award_id=award.id)


# --- subsidy control --------------------------------------------------------------------------------

def test_subsidies_in_the_offer_count_towards_the_cumulative_total_and_set_the_referral(session, make, fund,
                                                                                       people):
    award = accepted_award(session, make, fund, people, start=date(TODAY.year, 4, 1),
                           completion=date(TODAY.year + 1, 3, 31))  # £4m to the same company, decided today
    case = open_case(session, make, people, organisation=award.organisation)
    lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.RD_GRANT, owner_body="",
                      amount=Decimal("3000000.00"), description="", status=LipComponentStatus.PROPOSED,
                      is_subsidy=True)
    lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.BRITISH_BUSINESS_BANK,
                      owner_body="", amount=Decimal("90000000.00"), description="Commercial terms",
                      status=LipComponentStatus.PROPOSED, is_subsidy=False)  # not a subsidy: never counted
    session.commit()
    first = lip.subsidy_assessment(session, case)
    assert (first.amount, first.previous_awards, first.cumulative) == (
        Decimal("3000000.00"), Decimal("4000000.00"), Decimal("7000000.00"))
    assert first.category is SubsidyCategory.INTEREST  # over £1m, cumulative ≥ £5m
    approve = lambda: lip.record_approval(  # noqa: E731
        session, case=case, by=people["am"], kind=LipApprovalKind.SUBSIDY_CONTROL, status=LipApprovalStatus.APPROVED,
        decided_on=TODAY, reference=None, note=None)
    with pytest.raises(DomainError, match="Subsidy of Interest: record whether it was referred"):
        approve()
    session.rollback()
    lip.record_subsidy_check(session, case=case, by=people["am"], sensitive_sector=False, referred_to_sau=False,
                             referral_reason="No distortion concerns")
    approve()
    session.commit()
    # Linking the £4m award moves it into the offer without counting it twice.
    lip.add_component(session, case=case, by=people["am"], kind=None, owner_body="", amount=None, description="",
                      status=LipComponentStatus.PROPOSED, is_subsidy=True, award_id=award.id)
    session.commit()
    linked = lip.subsidy_assessment(session, case)
    assert (linked.amount, linked.previous_awards, linked.cumulative) == (
        Decimal("7000000.00"), Decimal("0.00"), Decimal("7000000.00"))
    # £18m more in subsidies: £25m cumulative, a Subsidy of Particular Interest (the threshold since 4 Aug 2025).
    lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.NATIONAL_WEALTH_FUND,
                      owner_body="", amount=Decimal("18000000.00"), description="", status=LipComponentStatus.AGREED,
                      is_subsidy=True)
    session.commit()
    particular = lip.subsidy_assessment(session, case)
    assert particular.cumulative == Decimal("25000000.00")
    assert particular.category is SubsidyCategory.PARTICULAR_INTEREST
    assert particular.particular_threshold == subsidy.threshold(session, subsidy.ThresholdKey.PARTICULAR_CUMULATIVE,
                                                                TODAY)
    assert any("Subsidy control approval is out of date" in p for p in lip.approval_problems(session, case))
    with pytest.raises(DomainError, match="Subsidy of Particular Interest: record the referral"):
        approve()
    session.rollback()
    with pytest.raises(DomainError, match="Subsidy control approval is needed"):
        lip.record_approval(session, case=case, by=people["am"], kind=LipApprovalKind.SUBSIDY_CONTROL,
                            status=LipApprovalStatus.NOT_NEEDED, decided_on=TODAY, reference=None, note="x")
    session.rollback()
    lip.record_subsidy_check(session, case=case, by=people["am"], sensitive_sector=False, referred_to_sau=True,
                             referred_on=TODAY, sau_reference="SAU/26/07")
    approve()
    session.commit()
    assert lip.approval_problems(session, case) == ["Business case approval is outstanding",
                                                    "HM Treasury approval is outstanding",
                                                    "Ministerial approval is outstanding"]
    # The agreed £18m (not drawn from an award) now counts for the company's other subsidies: an LSIMF
    # decision, or another case, adds it to the enterprise's cumulative total.
    assert subsidy.enterprise_subsidies(session, award.organisation_id, TODAY, exclude_application_id=-1) == (
        Decimal("4000000.00") + Decimal("18000000.00"))
    other_case = open_case(session, make, people, organisation=award.organisation)
    lip.add_component(session, case=other_case, by=people["am"], kind=LipComponentKind.SKILLS, owner_body="",
                      amount=Decimal("1500000.00"), description="", status=LipComponentStatus.PROPOSED,
                      is_subsidy=True)
    session.commit()
    assert lip.subsidy_assessment(session, other_case).cumulative == Decimal("23500000.00")


def test_a_sensitive_sector_lowers_the_particular_interest_threshold(session, make, people):
    case = open_case(session, make, people)
    lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.RD_GRANT, owner_body="",
                      amount=Decimal("6000000.00"), description="", status=LipComponentStatus.PROPOSED,
                      is_subsidy=True)
    session.commit()
    assert lip.subsidy_assessment(session, case).category is SubsidyCategory.INTEREST
    lip.record_subsidy_check(session, case=case, by=people["am"], sensitive_sector=True, referred_to_sau=None)
    session.commit()
    assert lip.subsidy_assessment(session, case).category is SubsidyCategory.PARTICULAR_INTEREST


# --- the pipeline ---------------------------------------------------------------------------------

@pytest.fixture
def pipeline_cases(session, make, people):
    leeds = open_case(session, make, people, title="Leeds vaccines", sector=LipSector.VACCINES,
                      site_postcode="LS2 9JT", total=Decimal("400000000.00"))
    glasgow = open_case(session, make, people, title="Glasgow cell therapy", sector=LipSector.ADVANCED_THERAPIES,
                        site_postcode="G1 1XQ", sro=people["am2"], total=Decimal("275000000.50"),
                        organisation=make.organisation(name="=HYPERLINK(\"http://evil\")"))
    lip.add_site(session, case=glasgow, by=people["am"], name="Second site", postcode="LS1 4AP")
    lip.add_component(session, case=glasgow, by=people["am"], kind=LipComponentKind.RD_GRANT, owner_body="",
                      amount=Decimal("5000000.25"), description="", status=LipComponentStatus.AGREED,
                      is_subsidy=True)
    lip.move(session, case=glasgow, to=S.QUALIFICATION, by=people["am"])
    session.commit()
    return {"leeds": leeds, "glasgow": glasgow}


def _titles(page) -> list[str]:
    return [a.get_text() for a in page.html.select("#cases tbody a")]


def test_the_pipeline_filters_and_totals(client, session, people, pipeline_cases):
    client.sign_in(people["fm"].email)
    page = client.get("/cases/")
    assert page.status == 200 and len(_titles(page)) == 2
    by_stage = {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
                for row in page.html.select("#by-stage tbody tr")}
    assert by_stage == {"Enquiry": ["1", "£400,000,000.00", "570.5", "£0.00"],
                        "Qualification": ["1", "£275,000,000.50", "570.5", "£5,000,000.25"]}
    glasgow = pipeline_cases["glasgow"]
    assert _titles(client.get("/cases/?stage=qualification")) == [
        f"{glasgow.reference}, =HYPERLINK(\"http://evil\"): Glasgow cell therapy"]
    assert len(_titles(client.get("/cases/?region=TLM"))) == 1  # Scotland: Glasgow only
    assert len(_titles(client.get("/cases/?region=TLE"))) == 2  # Yorkshire: Leeds, and Glasgow's second site
    assert _titles(client.get("/cases/?sector=vaccines"))[0].endswith("Leeds vaccines")
    assert _titles(client.get(f"/cases/?account_manager={people['am2'].id}"))[0].endswith("Glasgow cell therapy")
    assert _titles(client.get(f"/cases/?account_manager={people['am'].id}&stage=enquiry"))[0].endswith("Leeds vaccines")
    assert client.get("/cases/?stage=approvals").html.select("#cases") == []
    bad = client.get("/cases/?stage=nonsense")
    assert bad.status == 400 and "Select a stage from the list" in bad.error_summary()
    assert client.get("/cases/pipeline.csv?region=nowhere").status == 400


def test_the_pipeline_csv(client, session, people, pipeline_cases):
    client.sign_in(people["finance"].email)
    response = client.get("/cases/pipeline.csv?region=TLM").response
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows[0] == lip.CSV_HEADER
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    glasgow = pipeline_cases["glasgow"]
    assert row["Reference"] == glasgow.reference
    assert row["Company"] == "'=HYPERLINK(\"http://evil\")"  # never a formula in a spreadsheet
    assert row["Stage"] == "Qualification" and row["Regions"] == "Yorkshire and The Humber; Scotland"
    assert row["Total investment"] == "275000000.50" and row["UK offer (proposed and agreed)"] == "5000000.25"
    assert row["Public share of the investment (%)"] == "1.82" and row["Expected jobs safeguarded"] == "120.5"
    assert row["Competing locations"] == "Ireland; Singapore" and row["Senior responsible owner"] == "Ben Builder"
    every = list(csv.reader(io.StringIO(client.get("/cases/pipeline.csv").response.get_data(as_text=True))))
    assert len(every) == 3


# --- the case summary PDF -----------------------------------------------------------------------------

def test_the_case_summary_pdf_is_made_by_the_job_and_staff_only(client, session, make, people, run_jobs):
    case = open_case(session, make, people, organisation=make.user(Role.APPLICANT).organisation)
    lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.RD_GRANT, owner_body="",
                      amount=Decimal("12345678.91"), description="", status=LipComponentStatus.PROPOSED,
                      is_subsidy=True)
    lip.add_risk(session, case=case, by=people["am"], description="Investor may pick Singapore", rag=Rag.AMBER,
                 mitigation="Ministerial visit")
    session.commit()
    client.sign_in(people["am"].email)
    requested = client.submit(f"/cases/{case.id}/summary", form_url=f"/cases/{case.id}")
    assert requested.status == 302 and "/documents/" in requested.location
    run_jobs()
    document = session.scalars(sa.select(Document)).one()
    session.refresh(document)
    assert document.status is DocumentStatus.READY and (document.record_type, document.record_id) == ("lip_case", case.id)
    assert document.filename == f"{case.reference}-case-summary.pdf"
    content = documents.load_content(session, document)
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())
    for expected in (case.reference, case.organisation.name, "£300,000,000.01", "£12,345,678.91", "4.12%",
                     "450.0 FTE", "120.5 FTE", "£40,000,000.00", "Ireland, Singapore", "Investor may pick Singapore",
                     "Business case", "Opened at enquiry"):
        assert expected in text, expected
    # Staff who may read cases get it; the company (even this one) and assessors do not.
    assert client.get(f"/documents/{document.id}/download").status == 200
    for outsider in (case.organisation.users[0], people["assessor"]):
        client.sign_out()
        client.sign_in(outsider.email)
        for path in (f"/documents/{document.id}", f"/documents/{document.id}/download",
                     f"/documents/{document.id}/status.json"):
            assert client.get(path).status == 404, (outsider.role, path)


# --- working the case -------------------------------------------------------------------------------

def test_actions_meetings_risks_and_documents_and_overdue_actions_on_the_home_page(client, session, make, people):
    case = open_case(session, make, people)
    client.sign_in(people["am"].email)
    url = f"/cases/{case.id}"
    yesterday = TODAY - timedelta(days=1)
    due = [str(yesterday.day), str(yesterday.month), str(yesterday.year)]
    added = client.submit(f"{url}/actions", {"action_description": "Send the draft offer letter",
                                              "owner_id": str(people["am"].id), "due_on": due},
                          form_url=url, follow=True)
    assert "Action added" in added.text and "Overdue" in added.html.select_one("#action-list").text
    home = client.get("/home")
    overdue = home.html.select_one("#overdue-actions")
    assert "Send the draft offer letter" in overdue.text and case.reference in overdue.text
    bad = client.submit(f"{url}/actions", {"action_description": "", "owner_id": "999999"}, form_url=url)
    assert bad.status == 400 and "Enter the action" in bad.error_summary()
    meeting = client.submit(f"{url}/meetings", {"held_on": [str(TODAY.day), str(TODAY.month), str(TODAY.year)],
                                                "attendees": "CEO, OLS", "notes": "Discussed the energy costs"},
                            form_url=url, follow=True)
    assert "Discussed the energy costs" in meeting.text
    risk = client.submit(f"{url}/risks", {"risk_description": "Grid connection delay", "rag": "red",
                                          "mitigation": "Talk to the DNO"}, form_url=url, follow=True)
    assert "Grid connection delay" in risk.html.select_one("#risk-list").text
    risk_id = case.risks[0].id if case.risks else session.scalars(sa.select(lip.LipRisk)).one().id
    client.submit(f"{url}/risks/{risk_id}/rating", {"rag": "green"}, form_url=url)
    session.expire_all()
    assert session.get(lip.LipRisk, risk_id).rag is Rag.GREEN
    uploaded = client.submit(f"{url}/documents", {"file": (io.BytesIO(PDF), "heads-of-terms.pdf")}, form_url=url,
                             follow=True)
    assert "Uploaded heads-of-terms.pdf" in uploaded.text
    upload = lip.documents(session, case)[0]
    assert client.get(f"{url}/documents/{upload.id}").response.data == PDF
    bad_file = client.submit(f"{url}/documents", {"file": (io.BytesIO(b"plain text"), "notes.txt")}, form_url=url)
    assert bad_file.status == 400 and "The selected file must be a PDF" in " ".join(bad_file.error_summary())
    action_id = session.scalars(sa.select(lip.LipAction)).one().id
    client.submit(f"{url}/actions/{action_id}/done", form_url=url)
    assert "Send the draft offer letter" not in client.get("/home").text


# --- access ---------------------------------------------------------------------------------------

@pytest.fixture
def records(session, make, people):
    """A case about the applicant's own company, with one of everything, and its ids."""
    company = make.user(Role.APPLICANT)
    case = open_case(session, make, people, organisation=company.organisation)
    site = lip.add_site(session, case=case, by=people["am"], name="Second site", postcode="LS1 4AP")
    component = lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.RD_GRANT,
                                  owner_body="", amount=Decimal("1000.00"), description="Secret terms",
                                  status=LipComponentStatus.PROPOSED, is_subsidy=False)
    action = lip.add_action(session, case=case, by=people["am"], description="Call the CEO", owner_id=people["am"].id,
                            due_on=TODAY)
    risk = lip.add_risk(session, case=case, by=people["am"], description="Rival bid", rag=Rag.RED, mitigation="")
    upload = lip.attach_document(session, case=case, by=people["am"],
                                 file_storage=FileStorage(io.BytesIO(PDF), filename="terms.pdf"))
    session.commit()
    return {"company": company, "case": case, "ids": {
        "case_id": case.id, "site_id": site.id, "component_id": component.id, "action_id": action.id,
        "risk_id": risk.id, "upload_id": upload.id, "kind": LipApprovalKind.BUSINESS_CASE.value}}


def case_urls(app, ids):
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("cases."):
            continue
        path = rule.build({name: ids[name] for name in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_company_users_get_404_from_every_case_url_even_for_their_own_company(app, client, session, records):
    client.sign_in(records["company"].email)
    token = client.csrf_token("/home")
    events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    checked = []
    for endpoint, method, path in case_urls(app, records["ids"]):
        assert Role.APPLICANT not in declared_roles(endpoint)
        page = (client.get(path) if method == "GET"
                else client.post(path, {"csrf_token": token, "stage": "qualification", "status": "agreed",
                                        "rag": "green", "reason": "x"}))
        assert page.status == 404, (method, path, page.status)
        assert "Biologics campus" not in page.text and "Secret terms" not in page.text
        checked.append((method, path))
    assert len(checked) >= 25 and any("/documents/" in path for _, path in checked)
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events  # nothing happened
    # And nothing of the case shows anywhere the company goes.
    home = client.get("/home")
    assert "Cases" not in [a.get_text(strip=True) for a in home.html.select(".govuk-service-navigation__item a")]
    for path in ("/home", f"/organisations/{records['company'].organisation_id}"):
        text = client.get(path).text
        assert "Biologics campus" not in text and "LIP-" not in text


def test_staff_roles(app, client, session, people, records):
    case_id = records["case"].id
    urls = [f"/cases/{case_id}", "/cases/", "/cases/pipeline.csv", f"/cases/{case_id}/documents/"
            f"{records['ids']['upload_id']}"]
    for role in ("finance", "admin", "am", "fm"):
        client.sign_in(people[role].email)
        for url in urls:
            assert client.get(url).status == 200, (role, url)
        page = client.get(f"/cases/{case_id}")
        works = role in ("am", "fm")
        assert bool(page.html.select("form[action$='/move']")) is works
        assert client.get("/cases/new").status == (200 if works else 403)
        assert client.get(f"/cases/{case_id}/approvals/business_case").status == (200 if works else 403)
        client.sign_out()
    client.sign_in(people["assessor"].email)
    assert client.get(f"/cases/{case_id}").status == 403
    assert "Cases" not in client.get("/home").text
    client.sign_out()
    client.sign_in(people["fm"].email)
    assert client.get(f"/cases/{case_id}/approvals/no_such_kind").status == 404
    assert client.get("/cases/999999").status == 404


def test_the_api_gives_a_case_s_headline_figures_to_a_cases_token_only(client, session, make, people):
    case = open_case(session, make, people)
    lip.add_component(session, case=case, by=people["am"], kind=LipComponentKind.BRITISH_BUSINESS_BANK,
                      owner_body="", amount=Decimal("30000000.00"), description="", status=LipComponentStatus.AGREED,
                      is_subsidy=False)
    lip.add_meeting(session, case=case, by=people["am"], held_on=TODAY, attendees="Investor",
                    notes="Confidential: they would accept £25m")
    _, secret = api_tokens.create(session, name="Cases", scopes=["cases:read"], by=people["finance"])
    _, other = api_tokens.create(session, name="Awards", scopes=["awards:read"], by=people["finance"])
    session.commit()

    def get(path: str, token: str = secret):
        return client.get(path, headers={"Authorization": f"Bearer {token}"}).response

    listed = get("/api/v1/cases").get_json()
    assert listed["meta"]["total"] == 1
    data = get(f"/api/v1/cases/{case.id}").get_json()["data"]
    assert (data["reference"], data["stage"], data["total_investment"]) == (case.reference, "enquiry", "300000000.01")
    assert (data["offer_total"], data["offer_agreed"], data["public_share"]) == ("30000000.00", "30000000.00", "10.00")
    assert data["regions"] == ["TLD"] and data["expected_jobs_created"] == "450.0"
    assert "Confidential" not in get(f"/api/v1/cases/{case.id}").get_data(as_text=True)
    assert get(f"/api/v1/cases/{case.id}", other).status_code == 403
    assert get("/api/v1/cases/999999").status_code == 404
    assert get("/api/v1/cases?stage=agreed").get_json()["meta"]["total"] == 0
