"""Exports of awarded grants: the 360Giving JSON (valid against the official schema, accepted offers
only) and the UK Subsidy Database upload file (awards whose transparency entry is due)."""

import csv
import hashlib
import io
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from portfolio.dates import UK, uk_today
from portfolio.models import Region, Role, ThresholdKey
from portfolio.services import exports, offers, subsidy
from portfolio.services.exports import ExportError

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL = ROOT.parent / "shared" / "standards" / "360giving"  # the project's copy of the standard
VENDORED = ROOT / "portfolio" / "data" / "360giving"
SCHEMA_SHA256 = {"360-giving-schema.json": "e8a1c581ce18447b2dc9c757d7229862624970a3724718d8319a8d3c47429ebb",
                 "360-giving-package-schema.json": "30c0897090628d161cda0f3048031abd955eb9b68cfd83f8fe54340756886b11"}
START, COMPLETION = date(2027, 4, 1), date(2029, 3, 31)
HOSTILE_NAME = '=HYPERLINK("http://evil.example","Click") Ltd'


def official_validator() -> Draft202012Validator:
    """Built here from the standard's own files, independently of the service's validator."""
    folder = OFFICIAL if OFFICIAL.exists() else VENDORED
    grant = json.loads((folder / "360-giving-schema.json").read_text())
    package = json.loads((folder / "360-giving-package-schema.json").read_text())
    ref = package["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resource(ref, Resource(contents=grant, specification=DRAFT202012))
    return Draft202012Validator(package, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def award_at(session, make, fund, people, stage: str, *, amount: Decimal | None = None, organisation=None,
             size: str | None = "large"):
    """An award taken to `stage`: approved (no offer), offered, accepted or declined."""
    options = {"grant": amount} if amount is not None else {}
    if organisation is not None:
        options["organisation"] = organisation
    application = make.approved_application(fund, recommender=people["recommender"], assessor=people["assessor"],
                                            approver=people["approver"], **options)
    application.company_size = size
    signatory = application.organisation.users[0]
    signatory.is_signatory = True
    session.commit()
    if stage != "approved":
        terms = replace(offers.default_terms(application), project_start=START, project_completion=COMPLETION,
                        profile=None)
        offer = offers.issue(session, application=application, by=people["approver"], terms=terms)
        if stage == "accepted":
            offers.accept(session, offer=offer, by=signatory)
        elif stage == "declined":
            offers.decline(session, offer=offer, by=signatory, reason="Financing fell through")
        session.commit()
    return application.award


@pytest.fixture
def awards(session, make, fund, people):
    """Two accepted awards (one for £1,234,567.89 to a Scottish company with a hostile name), and one
    award at each other stage."""
    scottish = make.organisation(name=HOSTILE_NAME, company_number="SC123456", postcode="G1 1XQ",
                                 region=Region.SCOTLAND)
    return {
        "accepted": award_at(session, make, fund, people, "accepted"),
        "accepted_pennies": award_at(session, make, fund, people, "accepted", amount=Decimal("1234567.89"),
                                     organisation=scottish),
        "approved": award_at(session, make, fund, people, "approved"),
        "offered": award_at(session, make, fund, people, "offered"),
        "declined": award_at(session, make, fund, people, "declined"),
    }


def grant_id(award) -> str:
    return f"360G-OLS-LSIMF-{award.application_id:05d}"


# --- 360Giving --------------------------------------------------------------------------------------

def test_the_360giving_file_holds_exactly_the_accepted_grants_and_meets_the_official_schema(session, awards):
    made = exports.export_360giving(session)
    package = json.loads(made.content)
    official_validator().validate(package)  # raises on any schema error
    exact = json.loads(made.content, parse_float=Decimal)

    accepted, pennies = awards["accepted"], awards["accepted_pennies"]
    grants = {grant["id"]: grant for grant in exact["grants"]}
    assert set(grants) == {grant_id(accepted), grant_id(pennies)}
    assert made.count == 2 and made.total == Decimal("5234567.89")
    assert grants[grant_id(accepted)]["amountAwarded"] == Decimal("4000000.00")
    assert grants[grant_id(pennies)]["amountAwarded"] == Decimal("1234567.89")
    assert '"amountAwarded": 1234567.89' in made.content  # a JSON number, to the penny

    grant = grants[grant_id(pennies)]
    assert grant["recipientOrganization"] == [{"id": "GB-COH-SC123456", "name": HOSTILE_NAME,
                                               "companyNumber": "SC123456", "postalCode": "G1 1XQ"}]
    assert grants[grant_id(accepted)]["recipientOrganization"][0]["id"] == \
        f"GB-COH-{accepted.organisation.company_number}"
    assert grant["fundingOrganization"] == [{"id": "GB-GOR-OT502", "name": "Office for Life Sciences"}]
    assert grant["currency"] == "GBP" and grant["title"] == "Sterile fill-finish line"
    assert grant["awardDate"] == pennies.decided_at.astimezone(UK).date().isoformat()
    assert grant["plannedDates"] == [{"startDate": "2027-04-01", "endDate": "2029-03-31"}]
    assert grant["grantProgramme"][0]["title"] == "Life Sciences Innovative Manufacturing Fund: Round 1"
    assert grant["beneficiaryLocation"][0]["geoCode"] == "TLM"  # Scotland, ITL1
    assert grant["amountDisbursed"] == 0
    assert exact["publisher"]["identifier"] == "GB-GOR-OT502"


def test_the_vendored_schema_is_the_official_one():
    for name, digest in SCHEMA_SHA256.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest
        if OFFICIAL.exists():
            assert (VENDORED / name).read_bytes() == (OFFICIAL / name).read_bytes()


def test_a_corrupted_grant_is_caught_by_validation(session, awards):
    package = exports.build_360giving(session)
    assert exports.validate_360giving(package) == []
    first, second = package["grants"]
    first["amountAwarded"] = "4 million"
    del second["recipientOrganization"]
    problems = exports.validate_360giving(package)
    assert f"Grant {first['id']}, amountAwarded: '4 million' is not of type 'number'" in problems
    assert f"Grant {second['id']}: 'recipientOrganization' is a required property" in problems


def test_an_invalid_company_number_refuses_the_whole_export(session, awards):
    awards["accepted"].organisation.company_number = "12-345"
    session.commit()
    with pytest.raises(ExportError) as refused:
        exports.export_360giving(session)
    assert refused.value.problems == [f"Grant {grant_id(awards['accepted'])}: the recipient's company number "
                                      "'12-345' is not a Companies House number (8 digits, or 2 letters and 6 digits)"]


def test_the_cli_writes_a_valid_file(app, session, awards, tmp_path):
    path = tmp_path / "grants.json"
    result = app.test_cli_runner().invoke(args=["export", "360giving", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 grants" in result.output
    package = json.loads(path.read_text())
    official_validator().validate(package)
    assert {grant["id"] for grant in package["grants"]} == {grant_id(awards["accepted"]),
                                                            grant_id(awards["accepted_pennies"])}


def test_the_cli_refuses_a_broken_record_and_writes_nothing(app, session, awards, tmp_path):
    awards["accepted_pennies"].organisation.company_number = "SC12"
    session.commit()
    out = tmp_path / "out"
    out.mkdir()
    result = app.test_cli_runner().invoke(args=["export", "360giving", str(out / "grants.json")])
    assert result.exit_code == 1
    assert "not a Companies House number" in result.output
    assert list(out.iterdir()) == []  # nothing written, not even a partial or temporary file


def test_the_cli_says_when_the_path_cannot_be_written_or_nothing_is_awarded(app, session, make, fund, people,
                                                                           tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    runner = app.test_cli_runner()
    nothing = runner.invoke(args=["export", "360giving", str(out / "grants.json")])
    assert nothing.exit_code == 1 and "no awarded grants yet" in nothing.output
    award_at(session, make, fund, people, "accepted")
    missing = runner.invoke(args=["export", "360giving", str(out / "no-such-folder" / "grants.json")])
    assert missing.exit_code == 1 and "cannot write" in missing.output
    assert list(out.iterdir()) == []


# --- UK Subsidy Database ----------------------------------------------------------------------------

def read_csv(content: str) -> list[dict]:
    assert content.startswith("\ufeff")  # so Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(content.removeprefix("\ufeff"))))


def test_the_subsidy_file_lists_only_awards_whose_transparency_entry_is_due(session, make, fund, people, awards):
    uploaded = award_at(session, make, fund, people, "accepted")
    subsidy.mark_uploaded(session, award=uploaded, by=people["approver"], uploaded_on=uk_today(), reference="UK-1")
    # A later threshold of £5m: a £4m award decided after it needs no entry.
    subsidy.add_threshold(session, key=ThresholdKey.TRANSPARENCY, amount=Decimal("5000000.00"),
                          effective_from=uk_today(), source="test", by=people["admin"])
    session.commit()
    below = award_at(session, make, fund, people, "accepted")
    assert below.transparency_due_on is None

    made = exports.export_subsidy_csv(session)
    header = made.content.removeprefix("\ufeff").splitlines()[0].split(",")
    assert header[:20] == [
        "subsidyControlNumber", "subsidyControlTitle", "adminProgramNumber", "standaloneAward",
        "subsidyAwardDescription", "subsidyObjective", "subsidyObjectiveOther", "subsidyInstrument",
        "subsidyInstrumentOther", "subsidyAmountRange", "subsidyAmountExact", "nationalIdType", "nationalId",
        "beneficiaryName", "orgSize", "grantingAuthorityName", "legalGrantingDate", "goodsOrServices",
        "spendingRegion", "spendingSector"]
    assert {"specificPolicyObjective", "subsidyAwardInterest", "spei"} <= set(header)
    rows = {row["portfolioReference"]: row for row in read_csv(made.content)}
    due = ("accepted", "accepted_pennies", "approved", "offered")  # not declined, uploaded or under the threshold
    assert set(rows) == {f"LSIMF-{awards[name].application_id:05d}" for name in due}
    assert made.count == 4

    pennies = awards["accepted_pennies"]
    row = rows[f"LSIMF-{pennies.application_id:05d}"]
    assert row["subsidyAmountExact"] == "1234567.89"
    assert rows[f"LSIMF-{awards['approved'].application_id:05d}"]["subsidyAmountExact"] == "4000000.00"
    assert row["nationalIdType"] == "Company Registration Number" and row["nationalId"] == "SC123456"
    assert row["beneficiaryName"] == "'" + HOSTILE_NAME  # a spreadsheet shows it as text, never runs it
    assert row["legalGrantingDate"] == f"{pennies.decided_at.astimezone(UK):%d/%m/%Y}"
    assert row["transparencyDueOn"] == f"{pennies.transparency_due_on:%d/%m/%Y}"
    assert row["spendingRegion"] == "Scotland" and row["orgSize"] == "Large (250 or more employees)"
    assert (row["standaloneAward"], row["subsidyControlTitle"], row["subsidyInstrument"], row["subsidyAmountRange"],
            row["grantingAuthorityName"], row["goodsOrServices"], row["spendingSector"]) == \
        ("No", "Life Sciences Innovative Manufacturing Fund", "Direct Grant", "N/A", "Office for Life Sciences",
         "Goods", "Manufacturing")
    assert row["subsidyAwardInterest"] == pennies.subsidy_category.label


def test_the_subsidy_file_is_refused_when_a_required_fact_is_missing(app, session, awards, tmp_path):
    awards["offered"].application.company_size = None
    session.commit()
    with pytest.raises(ExportError) as refused:
        exports.export_subsidy_csv(session)
    assert refused.value.problems == [f"LSIMF-{awards['offered'].application_id:05d}: the application does not say "
                                      "the size of the organisation"]
    path = tmp_path / "subsidy.csv"
    result = app.test_cli_runner().invoke(args=["export", "subsidy-csv", str(path)])
    assert result.exit_code == 1 and not path.exists()


# --- the page and the downloads ---------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.APPLICANT, Role.ASSESSOR, Role.ACCOUNT_MANAGER])
def test_only_finance_fund_managers_and_admins_may_export(client, make, session, role):
    user = make.user(role)
    session.commit()
    client.sign_in(user.email)
    for url in ("/exports/", "/exports/360giving.json", "/exports/uk-subsidy-database.csv"):
        assert client.get(url).status == 403, url


def test_finance_downloads_both_files(client, make, session, awards):
    finance = make.user(Role.FINANCE)
    session.commit()
    client.sign_in(finance.email)
    page = client.get("/exports/")
    assert page.status == 200 and page.h1 == "Exports"
    assert page.html.select_one("#giving-summary").get_text(" ", strip=True) == \
        "2 grants, £5,234,567.89 awarded in total."
    assert len(page.html.select("#subsidy-awards tbody tr")) == 4

    download = client.get("/exports/360giving.json").response
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == \
        f"attachment; filename=360giving-ols-lsimf-grants-{uk_today():%Y-%m-%d}.json"
    official_validator().validate(json.loads(download.get_data(as_text=True)))

    download = client.get("/exports/uk-subsidy-database.csv").response
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == \
        f"attachment; filename=uk-subsidy-database-lsimf-{uk_today():%Y-%m-%d}.csv"
    assert len(read_csv(download.get_data(as_text=True))) == 4


def test_a_broken_record_is_shown_and_nothing_is_downloaded(client, make, session, awards):
    awards["accepted"].organisation.company_number = "12-345"
    session.commit()
    fund_manager = make.user(Role.FUND_MANAGER)
    session.commit()
    client.sign_in(fund_manager.email)
    refused = client.get("/exports/360giving.json")
    assert refused.status == 302 and refused.location.endswith("/exports/")
    page = client.get("/exports/")
    assert "The file was not made" in page.text
    problems = [li.get_text(strip=True) for li in page.html.select("#giving-problems li")]
    assert problems == [f"Grant {grant_id(awards['accepted'])}: the recipient's company number '12-345' is not a "
                        "Companies House number (8 digits, or 2 letters and 6 digits)"]
    assert page.html.find("a", href="/exports/360giving.json") is None


def test_with_nothing_awarded_the_page_says_so(client, make, session):
    admin = make.user(Role.ADMIN)
    session.commit()
    client.sign_in(admin.email)
    page = client.get("/exports/")
    assert page.status == 200
    assert "There are no awarded grants yet" in page.text
    assert page.html.select_one("#subsidy-none").get_text(strip=True) == "No transparency entries are due."


def test_the_cli_writes_the_subsidy_file(app, session, awards, tmp_path):
    path = tmp_path / "subsidy.csv"
    result = app.test_cli_runner().invoke(args=["export", "subsidy-csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "4 awards" in result.output
    assert len(read_csv(path.read_text(encoding="utf-8"))) == 4
