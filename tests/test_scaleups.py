"""The scale-up company service (issue 8): the cohort cap (20, also under concurrent joins on
PostgreSQL) and the warning below 10, the engagement log, snapshots submitted by the company and
confirmed by the account manager, the profile PDF, access (a cohort company's user sees only its
own company), and the Annex A figures (Actions 22 and 23) for a hand-built dataset, in the
implementation update and the API."""

import io
import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from portfolio.access import declared_roles
from portfolio.dates import quarter_start
from portfolio.models import (
    AuditEvent,
    CommitmentMeasure,
    Document,
    DocumentStatus,
    EngagementKind,
    IpoVenue,
    KpiSnapshot,
    ListingStatus,
    PartnershipStatus,
    Rag,
    ReferralBody,
    Role,
    SnapshotStatus,
)
from portfolio.services import documents, implementation_update, partnerships, scaleups
from portfolio.services.errors import DomainError, NotFound
from tests.conftest import needs_postgres
from portfolio.extensions import db
from portfolio.models import User
from portfolio.services import api_tokens

TODAY = date.today()
THIS_QUARTER = quarter_start(TODAY)


def join(session, make, people, organisation=None, on=date(2025, 4, 1)):
    company = scaleups.join(session, by=people["am"], organisation_id=(organisation or make.organisation()).id,
                            account_manager_id=people["am"].id, joined_on=on, reason="High growth cell therapy")
    session.commit()
    return company


def snapshot(session, company, by, quarter=THIS_QUARTER, **overrides):
    values = dict(uk_employees=120, revenue=Decimal("2500000.00"), capital_raised=Decimal("0.00"),
                  funding_round=None, uk_investor_share=None, valuation=None, listing_status=ListingStatus.PRIVATE,
                  ipo_venue=None, ipo_exchange=None, ipo_on=None, ipo_amount=None, domicile_rag=Rag.GREEN,
                  domicile_reason="")
    values.update(overrides)
    saved = scaleups.submit_snapshot(session, company=company, by=by, quarter_start=quarter, **values)
    session.commit()
    return saved


# --- the cohort ---------------------------------------------------------------------------------------

def test_the_21st_company_is_refused_and_fewer_than_10_warn(session, make, people):
    assert scaleups.cohort_warning(9) and "9 active companies" in scaleups.cohort_warning(9)
    assert scaleups.cohort_warning(10) is None and scaleups.cohort_warning(20) is None
    companies = [join(session, make, people) for _ in range(20)]
    with pytest.raises(DomainError, match="already has 20 active companies"):
        join(session, make, people)
    session.rollback()
    assert scaleups.active_count(session) == 20
    with pytest.raises(DomainError, match="already in the cohort"):
        join(session, make, people, organisation=companies[0].organisation)
    session.rollback()
    scaleups.leave(session, company=companies[0], by=people["am"], left_on=TODAY, reason="Acquired by a US group")
    session.commit()
    again = join(session, make, people, organisation=companies[0].organisation)  # a place is free: rejoin
    assert again.id != companies[0].id and scaleups.active_count(session) == 20
    events = session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("scaleup.%"))).all()
    assert events.count("scaleup.joined") == 21 and events.count("scaleup.left") == 1


def _join_in_thread(app, organisation_id: int, manager_id: int, results: dict) -> None:
    with app.app_context():
        try:
            scaleups.join(db.session, by=db.session.get(User, manager_id), organisation_id=organisation_id,
                          account_manager_id=manager_id, joined_on=TODAY, reason="Race")
            db.session.commit()
            results[organisation_id] = "joined"
        except DomainError as error:
            db.session.rollback()
            results[organisation_id] = error.message
        finally:
            db.session.remove()


@needs_postgres
def test_parallel_joins_never_make_21(app, session, make, people):
    """15 companies in the cohort, 12 joining at once from their own threads and connections:
    exactly 5 join, 7 are refused, and the cohort has 20."""
    for _ in range(15):
        join(session, make, people)
    ids = [make.organisation().id for _ in range(12)]
    session.commit()
    results: dict[int, str] = {}
    barrier = threading.Barrier(len(ids))
    manager_id = people["am"].id

    def run(organisation_id):
        barrier.wait()
        _join_in_thread(app, organisation_id, manager_id, results)

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    session.expire_all()
    joined = [i for i, outcome in results.items() if outcome == "joined"]
    refused = [outcome for outcome in results.values() if outcome != "joined"]
    assert len(joined) == 5 and len(refused) == 7, results
    assert all("already has 20 active companies" in message for message in refused)
    assert scaleups.active_count(session) == 20


# --- engagement and snapshots ------------------------------------------------------------------------

def test_referrals_need_a_body_and_take_an_outcome(session, make, people):
    company = join(session, make, people)
    with pytest.raises(DomainError, match="Select who the company was referred to"):
        scaleups.log_engagement(session, company=company, by=people["am"], kind=EngagementKind.REFERRAL, on=TODAY,
                                summary="Needs growth capital")
    referral = scaleups.log_engagement(session, company=company, by=people["am"], kind=EngagementKind.REFERRAL,
                                       on=TODAY, summary="Needs growth capital",
                                       referred_to=ReferralBody.BRITISH_BUSINESS_BANK)
    scaleups.record_outcome(session, company=company, by=people["am"], engagement_id=referral.id,
                            outcome="£10m British Patient Capital commitment")
    session.commit()
    assert referral.outcome == "£10m British Patient Capital commitment"
    assert referral.body_label == "British Business Bank"


def test_the_company_submits_its_snapshot_and_the_account_manager_confirms_it(client, session, make, people,
                                                                             run_jobs):
    user = make.user(Role.APPLICANT)
    other = join(session, make, people)
    company = join(session, make, people, organisation=user.organisation)
    session.commit()
    client.sign_in(user.email)
    assert client.get("/home").html.select_one("#scaleup-link") is not None
    data = {"quarter_start": THIS_QUARTER.isoformat(), "uk_employees": "140", "revenue": "3,000,000",
            "capital_raised": "20,000,000", "funding_round": "Series B", "uk_investor_share": "35",
            "valuation": "150,000,000", "listing_status": "private", "ipo_venue": "", "domicile_rag": "amber",
            "domicile_reason": ""}
    refused = client.submit("/scale-ups/company/snapshot", data)
    assert refused.status == 400 and "Enter the reason for the domicile risk" in refused.error_summary()
    sent = client.submit("/scale-ups/company/snapshot", data | {"domicile_reason": "US investors want a Delaware "
                                                                                      "parent"})
    assert sent.status == 302, sent.error_summary()
    saved = session.scalars(sa.select(KpiSnapshot).where(KpiSnapshot.company_id == company.id)).one()
    assert saved.status is SnapshotStatus.SUBMITTED and saved.overseas_investor_share == Decimal("65.00")
    assert scaleups.cohort_trend(session) == []  # not confirmed: not counted
    # The company sees only its own company.
    assert client.get("/scale-ups/company").status == 200
    for path in (f"/scale-ups/{other.id}", f"/scale-ups/{company.id}", "/scale-ups/"):
        assert client.get(path).status == 404, path
    token = client.csrf_token("/scale-ups/company")
    assert client.post(f"/scale-ups/{other.id}/profile", {"csrf_token": token}).status == 404
    assert client.post(f"/scale-ups/{company.id}/snapshots/{saved.id}/confirm", {"csrf_token": token}).status == 404
    # The account manager confirms it; then it counts.
    client.sign_out()
    client.sign_in(people["am"].email)
    assert "Snapshots waiting for confirmation" in client.get("/scale-ups/").text
    done = client.submit(f"/scale-ups/{company.id}/snapshots/{saved.id}/confirm", form_url=f"/scale-ups/{company.id}")
    assert done.status == 302
    session.refresh(saved)
    assert saved.status is SnapshotStatus.CONFIRMED and saved.confirmed_by_id == people["am"].id
    assert [(t.uk_employees, t.capital_raised) for t in scaleups.cohort_trend(session)] == [(140, Decimal("2E+7"))]
    page = client.get("/scale-ups/")
    assert page.html.select_one("#employees-chart rect") is not None and "140" in page.html.select_one(
        "#trend-table").text
    # The profile PDF: the company may download its own.
    client.sign_out()
    client.sign_in(user.email)
    made = client.submit(f"/scale-ups/{company.id}/profile", form_url="/scale-ups/company")
    assert made.status == 302
    run_jobs()
    document = session.scalars(sa.select(Document)).one()
    session.refresh(document)
    assert document.status is DocumentStatus.READY and document.organisation_id == user.organisation_id
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        documents.load_content(session, document))).pages).split())
    for expected in (user.organisation.name, "140", "£20,000,000.00", "Series B", "35.00% UK, 65.00% overseas",
                     "Delaware"):
        assert expected in text, expected
    assert client.get(f"/documents/{document.id}/download").status == 200
    client.sign_out()
    client.sign_in(people["assessor"].email)
    assert client.get(f"/documents/{document.id}").status == 404


def test_snapshot_rules(session, make, people):
    company = join(session, make, people)
    with pytest.raises(DomainError, match="Enter the amount the IPO raised"):
        snapshot(session, company, people["am"], listing_status=ListingStatus.AIM, ipo_venue=IpoVenue.AIM,
                 ipo_on=THIS_QUARTER)
    session.rollback()
    with pytest.raises(DomainError, match="no longer private"):
        snapshot(session, company, people["am"], ipo_venue=IpoVenue.AIM, ipo_on=THIS_QUARTER,
                 ipo_amount=Decimal("1.00"))
    session.rollback()
    with pytest.raises(DomainError, match="share of the capital raised from UK investors"):
        snapshot(session, company, people["am"], capital_raised=Decimal("5.00"))
    session.rollback()
    outsider = make.user(Role.APPLICANT)
    with pytest.raises(NotFound):
        snapshot(session, company, outsider)


# --- access -------------------------------------------------------------------------------------------

def test_walking_the_url_map(app, client, session, make, people):
    member = make.user(Role.APPLICANT)
    outsider = make.user(Role.APPLICANT)
    own = join(session, make, people, organisation=member.organisation)
    other = join(session, make, people)
    engagement = scaleups.log_engagement(session, company=other, by=people["am"], kind=EngagementKind.MEETING,
                                         on=TODAY, summary="Confidential board discussion")
    mine = snapshot(session, own, people["am"])
    session.commit()
    company_endpoints = {"scaleups.own", "scaleups.own_snapshot", "scaleups.profile_pdf"}
    events = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    for user in (member, outsider):
        client.sign_in(user.email)
        token = client.csrf_token("/home")
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("scaleups."):
                continue
            allowed = declared_roles(rule.endpoint)
            assert (Role.APPLICANT in allowed) is (rule.endpoint in company_endpoints), rule.endpoint
            for company in (own, other):
                ids = {"company_id": company.id, "snapshot_id": mine.id, "engagement_id": engagement.id}
                path = rule.build({name: ids[name] for name in rule.arguments})[1]
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    if method == "POST" and rule.endpoint in company_endpoints:
                        continue  # the company's own actions are tested above
                    page = client.get(path) if method == "GET" else client.post(path, {"csrf_token": token})
                    mine_to_see = user is member and rule.endpoint in company_endpoints
                    assert page.status == (200 if mine_to_see else 404), (user.email, method, path)
                    assert "Confidential board discussion" not in page.text
        client.sign_out()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) > events  # sign-ins only
    assert not session.scalars(sa.select(AuditEvent).where(AuditEvent.id > events,
                                                           AuditEvent.action.like("scaleup.%"))).all()
    for role in ("fm", "finance", "admin", "am"):
        client.sign_in(people[role].email)
        assert client.get(f"/scale-ups/{other.id}").status == 200
        assert client.get("/scale-ups/join").status == (200 if role == "am" else 403)
        client.sign_out()
    client.sign_in(people["assessor"].email)
    assert client.get("/scale-ups/").status == 403


# --- Annex A: a hand-built dataset --------------------------------------------------------------------

def test_annex_a_figures_equal_the_hand_computed_ones(client, session, make, people):
    """Financial year 2025/26 (1 April 2025 to 31 March 2026).

    Partnerships: A signed 31/03/2026 (in the year) with £50m of investment committed, £12m secured on
    31/03/2026 and £30m on 10/04/2026 (after the year); B signed 01/04/2026 (next year, £7m); C signed
    15/06/2025 (£20m committed, £5m secured); D never signed.
    -> new in 2025/26: 2 (A, C); committed £70m; secured by 31/03/2026 £17m; 2026/27: 1.

    Cohort: X (FTSE 350 in Q4, 300 employees: not an SME; an LSE main market IPO of £80m in Q2);
    Y (an overseas IPO of £45.5m on Nasdaq in Q3, 180 employees, its last snapshot); Z (private,
    40 employees, then 55 in Q4; an unconfirmed AIM IPO is not counted); W left in 2024 (not counted).
    -> FTSE 350: 1; IPOs LSE 1 (£80m), overseas 1 (£45.5m), overall £125.5m; SME employees 180 + 55 = 235.
    """
    am = people["am"]
    m = Decimal("1000000.00")

    def partnership(signed_on, committed, progress=()):
        p = partnerships.create_partnership(session, by=am, organisation_id=make.organisation().id,
                                            new_organisation=None, title="P", departments=[], lead_id=am.id)
        if signed_on:
            partnerships.move(session, partnership=p, to=PartnershipStatus.ACTIVE, by=am, signed_on=signed_on)
        if committed:
            c = partnerships.add_commitment(session, partnership=p, by=am, measure=CommitmentMeasure.INVESTMENT,
                                            description="Investment", target_value=committed, unit="",
                                            start_on=signed_on or date(2025, 1, 1), target_on=date(2030, 3, 31))
            partnerships.add_commitment(session, partnership=p, by=am, measure=CommitmentMeasure.JOBS,
                                        description="Jobs", target_value=Decimal("500"), unit="jobs",
                                        start_on=signed_on or date(2025, 1, 1), target_on=date(2030, 3, 31))
            for on, value in progress:
                partnerships.record_progress(session, commitment=c, by=am, on=on, value=value, note="")
        return p

    partnership(date(2026, 3, 31), 50 * m, [(date(2026, 3, 31), 12 * m), (date(2026, 4, 10), 30 * m)])
    partnership(date(2026, 4, 1), 7 * m)
    partnership(date(2025, 6, 15), 20 * m, [(date(2025, 9, 1), 5 * m)])
    partnership(None, 99 * m)
    session.commit()

    q1, q2, q3, q4 = date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1), date(2026, 1, 1)
    x, y, z = (join(session, make, people, on=date(2025, 4, 1)) for _ in range(3))
    w = join(session, make, people, on=date(2024, 4, 1))
    snapshot(session, x, am, q2, uk_employees=280, listing_status=ListingStatus.LSE_MAIN,
             ipo_venue=IpoVenue.LSE_MAIN, ipo_on=date(2025, 8, 14), ipo_amount=80 * m)
    snapshot(session, x, am, q4, uk_employees=300, listing_status=ListingStatus.FTSE_350)
    snapshot(session, y, am, q1, uk_employees=150)
    snapshot(session, y, am, q3, uk_employees=180, listing_status=ListingStatus.OVERSEAS,
             ipo_venue=IpoVenue.OVERSEAS, ipo_exchange="Nasdaq", ipo_on=date(2025, 11, 3),
             ipo_amount=Decimal("45500000.00"))
    snapshot(session, z, am, q1, uk_employees=40)
    snapshot(session, z, am, q4, uk_employees=55)
    company_user = make.user(Role.APPLICANT, organisation=z.organisation)
    snapshot(session, z, company_user, date(2025, 7, 1), uk_employees=60, listing_status=ListingStatus.AIM,
             ipo_venue=IpoVenue.AIM, ipo_on=date(2025, 7, 2), ipo_amount=9 * m)  # never confirmed
    snapshot(session, w, am, date(2024, 4, 1), uk_employees=10, listing_status=ListingStatus.FTSE_350)
    scaleups.leave(session, company=w, by=am, left_on=date(2024, 12, 31), reason="Moved to Boston")
    session.commit()

    update = implementation_update.build(session, "2025/26")
    a22, a23 = update.action_22, update.action_23
    assert update.pending == {}
    assert (a22.new_partnerships, a22.investment_committed, a22.investment_secured) == (2, 70 * m, 17 * m)
    assert (a22.partnerships_to_date, a22.investment_secured_to_date) == (2, 17 * m)
    assert [(line.financial_year, line.partnerships) for line in a22.spending_review] == [
        ("2025/26", 2), ("2026/27", 0), ("2027/28", 0), ("2028/29", 0)]  # as at 31 March 2026
    assert (a23.cohort_companies, a23.ftse_350, a23.ipos_lse, a23.ipo_amount_lse, a23.ipos_overseas,
            a23.ipo_amount_overseas, a23.ipo_amount) == (3, 1, 1, 80 * m, 1, Decimal("45500000.00"),
                                                         Decimal("125500000.00"))
    assert (a23.sme_employees, a23.sme_companies) == (235, 2)
    assert partnerships.action_22(session, "2026/27").new_partnerships == 1

    # The API gives the same figures to an annex_a:read token only.
    _, secret = api_tokens.create(session, name="Annex A", scopes=["annex_a:read"], by=people["finance"])
    _, other = api_tokens.create(session, name="Awards", scopes=["awards:read"], by=people["finance"])
    session.commit()
    get = lambda path, token=secret: client.get(path, headers={"Authorization": f"Bearer {token}"}).response  # noqa
    data = get("/api/v1/annex-a?financial_year=2025/26").get_json()["data"]
    assert data["action_22"]["new_partnerships"] == 2 and data["action_22"]["investment_committed"] == "70000000.00"
    assert data["action_22"]["investment_secured"] == "17000000.00"
    assert data["action_23"] == {"cohort_companies": 3, "ftse_350": 1, "ipos_lse": 1, "ipos_overseas": 1,
                                 "ipo_amount_lse": "80000000.00", "ipo_amount_overseas": "45500000.00",
                                 "ipo_amount": "125500000.00", "sme_employees": 235, "sme_companies": 2}
    assert get("/api/v1/annex-a?financial_year=2025/26", other).status_code == 403
    assert get("/api/v1/annex-a?financial_year=1999").status_code == 400


def test_the_implementation_update_says_no_data_until_there_is_some(session):
    update = implementation_update.build(session, "2025/26")
    assert "no signed partnerships yet" in update.pending[22] and "no cohort companies yet" in update.pending[23]
