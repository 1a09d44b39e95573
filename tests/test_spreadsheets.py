"""Spreadsheet downloads (portfolio.spreadsheets): a cell a spreadsheet would run as a formula stays
text in every CSV and XLSX the service makes, checked by reading each file back as a spreadsheet
program's import would (the csv module, openpyxl)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portfolio.models import Role
from portfolio.services import exports
from portfolio.spreadsheets import FORMULA_STARTS, Sheet, csv_text, safe_text, xlsx_bytes
from tests.test_exports import award_at
from tests.test_lip import open_case

# OWASP's CSV injection examples: a formula, and the same behind the characters some programs skip.
MALICIOUS = ['=HYPERLINK("http://evil.example","Click")', "\t=1+1", "\r=cmd|' /C calc'!A0", "+44 1+1",
             "-2+3", "@SUM(A1:A9)"]


def read_csv(content: str) -> list[list[str]]:
    assert content.startswith("\ufeff"), "UTF-8 with a byte order mark, so Excel reads £ and accents"
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"), newline="")))


def neutralised_in_csv(cell: str, text: str) -> bool:
    return cell == "'" + text


def neutralised_in_xlsx(cell) -> bool:
    """A text cell with Excel's quote prefix: shown as typed, never run, still text when edited."""
    return cell.data_type == "s" and cell.quotePrefix is True


# --- the writer ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", MALICIOUS)
def test_a_formula_in_a_csv_cell_stays_text(text):
    rows = read_csv(csv_text([["Company", "Amount"], [text, Decimal("12.50")]]))
    assert rows == [["Company", "Amount"], ["'" + text, "12.50"]]


@pytest.mark.parametrize("text", MALICIOUS)
def test_a_formula_in_an_xlsx_cell_stays_text(text):
    book = load_workbook(io.BytesIO(xlsx_bytes(Sheet("Sheet", [["Company"], [text]]))))
    cell = book["Sheet"]["A2"]
    assert cell.value == text.replace("\r", "\n") and neutralised_in_xlsx(cell)  # XML reads CR as LF
    assert book["Sheet"]["A1"].quotePrefix is False  # ordinary text is left alone


def test_ordinary_text_and_numbers_are_left_as_they_are():
    assert safe_text("Acme Ltd") == "Acme Ltd" and safe_text("") == "" and safe_text("A=B") == "A=B"
    assert {text[0] for text in MALICIOUS} == set(FORMULA_STARTS)
    rows = read_csv(csv_text([["Négociant £ Ltd", Decimal("-1234.50"), 3, None, date(2026, 4, 1)], []]))
    assert rows == [["Négociant £ Ltd", "-1234.50", "3", "", "2026-04-01"], []]  # a negative number is a number


def test_xlsx_numbers_stay_numbers():
    book = load_workbook(io.BytesIO(xlsx_bytes(Sheet("Figures", [["Grant", "Awards", "Ratio"],
                                                                  [Decimal("6000000.00"), 2, None],
                                                                  [Decimal("-3.33"), 0, Decimal("4.00")]]))))
    sheet = book["Figures"]
    assert [c.value for c in sheet[2]] == [6000000, 2, None]
    assert (sheet["A2"].data_type, sheet["A2"].number_format) == ("n", "#,##0.00")
    assert (sheet["B2"].data_type, sheet["B2"].number_format) == ("n", "#,##0")
    assert sheet["A3"].value == -3.33 and sheet["A3"].quotePrefix is False


def test_xlsx_drops_control_characters_it_cannot_hold():
    book = load_workbook(io.BytesIO(xlsx_bytes(Sheet("S", [["Acme\x01 Ltd\x1b"]]))))
    assert book["S"]["A1"].value == "Acme Ltd"


# --- every download -------------------------------------------------------------------------------------

@pytest.fixture
def people(make, session):
    people = {"am": make.user(Role.ACCOUNT_MANAGER), "fm": make.user(Role.FUND_MANAGER),
              "finance": make.user(Role.FINANCE), "recommender": make.user(Role.FUND_MANAGER),
              "assessor": make.user(Role.ASSESSOR), "approver": make.user(Role.FUND_MANAGER),
              "admin": make.user(Role.ADMIN)}
    session.commit()
    return people


def test_the_case_pipeline_csv(client, session, make, people):
    for text in MALICIOUS:
        open_case(session, make, people, organisation=make.organisation(name=text))
    client.sign_in(people["finance"].email)
    response = client.get("/cases/pipeline.csv").response
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = read_csv(response.get_data(as_text=True))
    companies = [row[rows[0].index("Company")] for row in rows[1:]]
    assert sorted(companies) == sorted("'" + text for text in MALICIOUS)


def test_the_uk_subsidy_database_csv_download_and_file(app, client, session, make, fund, people, tmp_path):
    for number, text in enumerate(MALICIOUS):
        award_at(session, make, fund, people, "accepted",
                 organisation=make.organisation(name=text, company_number=f"SC{number:06d}"))
    client.sign_in(people["finance"].email)
    download = client.get("/exports/uk-subsidy-database.csv").response
    assert download.status_code == 200 and download.mimetype == "text/csv"
    path = tmp_path / "subsidy.csv"
    assert app.test_cli_runner().invoke(args=["export", "subsidy-csv", str(path)]).exit_code == 0
    for content in (download.get_data(as_text=True), path.read_bytes().decode("utf-8")):
        rows = read_csv(content)
        names = [row[rows[0].index("beneficiaryName")] for row in rows[1:]]
        assert sorted(names) == sorted("'" + text for text in MALICIOUS)
    assert exports.export_subsidy_csv(session).count == len(MALICIOUS)


def test_the_leverage_csv_and_xlsx(client, session, make, fund, people):
    """The report's cells start with the service's own words, so no user text can lead a cell; every
    text cell is still checked against the rule."""
    award_at(session, make, fund, people, "accepted", organisation=make.organisation(name=MALICIOUS[0]))
    client.sign_in(people["finance"].email)
    rows = read_csv(client.get("/reports/leverage.csv").response.get_data(as_text=True))
    book = load_workbook(io.BytesIO(client.get("/reports/leverage.xlsx").response.data))
    assert rows[1][:3] == ["All", "Total", "1"] and book["Leverage"]["C2"].value == 1
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)) \
                    or neutralised_in_xlsx(cell), cell.coordinate
                assert cell.data_type != "f", cell.coordinate
