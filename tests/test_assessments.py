"""Assessment: assignment, conflicts of interest, independent scoring, moderation and ranking."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from portfolio.models import ApplicationStatus, AssignmentStatus, Role, Score
from portfolio.services import assessments
from portfolio.services.errors import DomainError
from tests.helpers import sent_emails
from portfolio.services import uploads


@pytest.fixture
def application(session, make, fund):
    return make.submitted_application(fund)


def assign(session, application, people, *names):
    assignments = [assessments.assign(session, application=application, assessor=people[n], by=people["manager"])
                   for n in names]
    for assignment in assignments:
        assessments.declare(session, assignment=assignment, by=assignment.assessor, conflict=False, details=None)
    session.commit()
    return assignments


def score(session, assignment, values: list[int], *, submit: bool = True):
    criteria = assignment.application.round.criteria
    answers = {c.id: assessments.Answer(v, f"Comment on {c.key}") for c, v in zip(criteria, values, strict=True)}
    assessments.save_scores(session, assignment=assignment, by=assignment.assessor, answers=answers, submit=submit)
    session.commit()


def form_data(criteria, values, comment="Because") -> dict:
    data = {}
    for c, v in zip(criteria, values, strict=True):
        data[f"score_{c.id}"], data[f"comment_{c.id}"] = str(v), comment
    return data


def test_fund_manager_assigns_assessors_who_are_emailed(app, client, session, application, people, run_jobs):
    client.sign_in(people["manager"].email)
    page = client.get(f"/assessments/applications/{application.id}")
    assert "Assign 2 more assessors" in page.text
    assert "Farah Manager" not in page.html.select_one("#assessor").text  # not themselves
    page = client.submit(f"/assessments/applications/{application.id}", {"assessor": str(people["ada"].id)},
                         follow=True)
    assert "Ada Assessor assigned and emailed" in page.text and "Assign 1 more assessor" in page.text
    session.expire_all()
    assert application.status is ApplicationStatus.IN_ASSESSMENT
    run_jobs()
    assert sent_emails(app)[-1]["To"] == people["ada"].email
    again = client.submit(f"/assessments/applications/{application.id}", {"assessor": str(people["ada"].id)})
    assert again.status == 400 and "Select an assessor" in again.text  # no longer offered
    nobody = client.submit(f"/assessments/applications/{application.id}", {"assessor": ""})
    assert nobody.status == 400 and "Select an assessor" in nobody.text


def test_a_declared_conflict_removes_the_assessor_and_asks_for_reassignment(app, client, session, application,
                                                                             people, run_jobs):
    assignment = assessments.assign(session, application=application, assessor=people["ada"], by=people["manager"])
    session.commit()
    client.sign_in(people["ada"].email)
    page = client.get(f"/assessments/assignments/{assignment.id}")
    assert page.html.select_one("h1").text == "Declare any conflict of interest"
    assert "Cost" not in page.text  # the application stays closed until the declaration
    missing = client.submit(f"/assessments/assignments/{assignment.id}", {"conflict": "yes", "details": ""})
    assert missing.status == 400 and "Describe the conflict of interest" in missing.text
    client.submit(f"/assessments/assignments/{assignment.id}", {"conflict": "yes",
                                                                 "details": "I advised them in 2025"})
    assert client.get(f"/assessments/assignments/{assignment.id}").status == 404
    run_jobs()
    assert sent_emails(app)[-1]["To"] == people["manager"].email
    client.sign_out()
    client.sign_in(people["manager"].email)
    page = client.get(f"/assessments/applications/{application.id}")
    assert "Reassign: Ada Assessor declared a conflict of interest" in page.text
    assert "Assign 2 more assessors" in page.text


def test_draft_then_submit_with_every_score_and_comment(client, session, application, people):
    [assignment] = assign(session, application, people, "ada")
    criteria = application.round.criteria
    client.sign_in(people["ada"].email)
    url = f"/assessments/assignments/{assignment.id}"
    draft = {f"score_{criteria[0].id}": "7", f"comment_{criteria[0].id}": "Clear plan", "save": "Save as draft"}
    assert "Draft saved" in client.submit(url, draft, follow=True).text
    incomplete = client.submit(url, {**draft, "submit": "Submit scores"})
    assert incomplete.status == 400 and f"{criteria[1].title}: select a score" in incomplete.text
    for bad, message in [("0", "Select a score from 1 to 10"), ("11", "Select a score from 1 to 10"),
                         ("abc", "Select a score from 1 to 10")]:
        response = client.submit(url, {**form_data(criteria, [7, 7, 7, 7, 7]), f"score_{criteria[2].id}": bad,
                                       "submit": "Submit scores"})
        assert response.status == 400 and message in response.text
    no_comment = client.submit(url, {**form_data(criteria, [7, 7, 7, 7, 7]), f"comment_{criteria[4].id}": "",
                                     "submit": "Submit scores"})
    assert no_comment.status == 400 and f"{criteria[4].title}: enter a comment" in no_comment.text
    session.expire_all()
    assert assignment.submitted_at is None
    assert [s.score for s in assignment.scores if s.score] == [7]  # the draft, unchanged by refused submissions
    client.submit(url, {**form_data(criteria, [8, 7, 6, 9, 5]), "submit": "Submit scores"})
    session.expire_all()
    assert assignment.submitted_at is not None
    locked = client.submit(url, {**form_data(criteria, [1, 1, 1, 1, 1]), "submit": "Submit scores"})
    assert "Your scores" in locked.text
    session.expire_all()
    assert sorted(s.score for s in assignment.scores) == [5, 6, 7, 8, 9]


def test_weighted_scores_are_exact_decimals(session, application, people):
    ada, bo = assign(session, application, people, "ada", "bo")
    score(session, ada, [8, 7, 6, 9, 5])  # 8×.25 + 7×.25 + 6×.20 + 9×.15 + 5×.15 = 7.05
    assert application.weighted_score is None  # one of two in
    score(session, bo, [7, 7, 7, 7, 8])  # 1.75 + 1.75 + 1.40 + 1.05 + 1.20 = 7.15
    assert [w for _, w in assessments.results(application).weighted] == [Decimal("7.05"), Decimal("7.15")]
    assert application.weighted_score == Decimal("7.10")
    assert application.needs_moderation is False


@pytest.mark.parametrize("other, flagged", [(5, False), (4, True)])  # spread 3 is fine; 4 is above the setting
def test_a_spread_above_three_points_flags_moderation(session, application, people, other, flagged):
    ada, bo = assign(session, application, people, "ada", "bo")
    score(session, ada, [8, 7, 7, 7, 7])
    score(session, bo, [other, 7, 7, 7, 7])
    assert application.needs_moderation is flagged


def test_scores_stay_hidden_from_other_assessors_until_their_own_are_in(client, session, application, people):
    ada, bo = assign(session, application, people, "ada", "bo")
    score(session, ada, [9, 9, 9, 9, 9])
    score(session, bo, [2, 2, 2, 2, 2], submit=False)  # Bo's draft
    client.sign_in(people["bo"].email)
    page = client.get(f"/assessments/assignments/{bo.id}")
    assert page.html.select_one("#scores") is None and "Ada Assessor" not in page.text
    assert client.get(f"/assessments/assignments/{ada.id}").status == 404  # by URL: Ada's own page
    assert client.get(f"/assessments/applications/{application.id}").status == 403  # the fund manager's page
    assert client.get(f"/assessments/applications/{application.id}/moderate").status == 403
    client.sign_out()
    client.sign_in(people["ada"].email)  # Ada has submitted: she sees Bo's draft? No: only submitted scores
    page = client.get(f"/assessments/assignments/{ada.id}")
    assert "Bo Assessor" not in page.html.select_one("#scores").text
    client.sign_out()
    score(session, bo, [2, 2, 2, 2, 2])
    client.sign_in(people["bo"].email)
    assert "Ada Assessor" in client.get(f"/assessments/assignments/{bo.id}").html.select_one("#scores").text


def test_a_fund_manager_assessing_cannot_see_scores_before_submitting(client, session, make, application, people):
    other_manager = make.user(Role.FUND_MANAGER, name="Gus Manager")
    session.commit()
    ada, gus = assign(session, application, {**people, "gus": other_manager}, "ada", "gus")
    score(session, ada, [9, 9, 9, 9, 9])
    client.sign_in(other_manager.email)
    page = client.get(f"/assessments/applications/{application.id}")
    assert page.html.select_one("#scores") is None and "once you have submitted yours" in page.text
    with pytest.raises(DomainError, match="still assessing"):
        assessments.moderate(session, application=application, by=other_manager, reason="x",
                             scores={c.id: Decimal(5) for c in application.round.criteria})


def test_moderation_records_scores_with_a_reason_and_reranks_the_round(client, session, make, fund, application,
                                                                       people):
    rival = make.submitted_application(fund)
    for app_, values in ((application, [[9, 9, 9, 9, 9], [4, 9, 9, 9, 9]]), (rival, [[8, 8, 8, 8, 8]] * 2)):
        ada, bo = assign(session, app_, people, "ada", "bo")
        score(session, ada, values[0])
        score(session, bo, values[1])
    assert application.needs_moderation and application.weighted_score == Decimal("8.38")
    client.sign_in(people["manager"].email)
    ranking = client.get(f"/assessments/rounds/{fund.rounds[0].id}/ranking").html.select("#ranking tbody tr")
    assert f"LSIMF-{application.id:05d}" in ranking[0].text and "Needs moderation" in ranking[0].text
    url = f"/assessments/applications/{application.id}/moderate"
    criteria = application.round.criteria
    assert client.get(url).html.select_one(f"#score_{criteria[0].id}")["value"] == "6.50"  # the mean
    no_reason = client.submit(url, {**{f"score_{c.id}": "6" for c in criteria}, "reason": ""})
    assert no_reason.status == 400 and "Enter the reason for the moderated scores" in no_reason.text
    out_of_range = client.submit(url, {**{f"score_{c.id}": "6" for c in criteria}, f"score_{criteria[1].id}": "10.5",
                                       "reason": "x"})
    assert out_of_range.status == 400
    page = client.submit(url, {**{f"score_{c.id}": "6" for c in criteria}, "reason": "Assessor 2 misread the "
                                                                                     "resilience case"}, follow=True)
    assert "Moderated: weighted score 6.00" in page.text
    rows = page.html.select("#ranking tbody tr")
    assert f"LSIMF-{rival.id:05d}" in rows[0].text and f"LSIMF-{application.id:05d}" in rows[1].text
    session.expire_all()
    assert application.status is ApplicationStatus.MODERATED
    assert {m.reason for m in application.moderated_scores} == {"Assessor 2 misread the resilience case"}


def test_other_roles_and_other_assessors_get_nothing(client, session, make, application, people):
    [assignment] = assign(session, application, people, "ada")
    client.sign_in(people["cy"].email)
    assert client.get(f"/assessments/assignments/{assignment.id}").status == 404
    assert client.get("/assessments/assignments/99999999999999999999").status == 404
    assert "LSIMF" not in client.get("/assessments/").html.select_one("main").text
    client.sign_out()
    for role in (Role.APPLICANT, Role.FINANCE, Role.ACCOUNT_MANAGER):
        user = make.user(role)
        session.commit()
        client.sign_in(user.email)
        assert client.get("/assessments/").status == 403
        assert client.get(f"/assessments/assignments/{assignment.id}").status == 403
        assert client.get(f"/assessments/applications/{application.id}").status == 403
        assert client.get(f"/assessments/rounds/{application.round_id}/ranking").status == 403
        assert client.submit(f"/assessments/assignments/{assignment.id}/remove", {}).status == 403
        client.sign_out()
    assert session.scalar(sa.select(sa.func.count()).select_from(Score)) == 0
    assert assignment.status is AssignmentStatus.ACTIVE


def test_a_conflict_or_a_new_assessor_changes_whether_the_scores_are_complete(session, make, application, people):
    ada, bo = assign(session, application, people, "ada", "bo")
    cy = assessments.assign(session, application=application, assessor=people["cy"], by=people["manager"])
    score(session, ada, [8, 7, 6, 9, 5])
    score(session, bo, [7, 7, 7, 7, 8])
    assert application.weighted_score is None  # Cy has not declared yet
    assessments.declare(session, assignment=cy, by=people["cy"], conflict=True, details="Former employee")
    assert assessments.scores_complete(application) and application.weighted_score == Decimal("7.10")
    assert assessments.assessor_ids(application) == {people[n].id for n in ("ada", "bo", "cy")}
    other = assessments.assign(session, application=application, assessor=people["manager"],
                               by=make.user(Role.FUND_MANAGER))
    assert not assessments.scores_complete(application) and application.weighted_score is None
    assert other.status is AssignmentStatus.AWAITING_DECLARATION


def test_an_assessor_can_be_removed_until_they_submit(client, session, application, people):
    """Not yet opened: the assignment goes. Opened but never scored: kept on record as removed, so
    they still may not decide it, and the other assessors' scores complete the assessment."""
    ada, bo = assign(session, application, people, "ada", "bo")
    cy = assessments.assign(session, application=application, assessor=people["cy"], by=people["manager"])
    session.commit()
    score(session, ada, [7, 7, 7, 7, 7])
    score(session, bo, [6, 6, 6, 6, 6], submit=False)  # Bo drafts, then goes quiet
    client.sign_in(people["manager"].email)
    page = client.submit(f"/assessments/assignments/{cy.id}/remove", {}, follow=True)
    assert "Cy Assessor removed from this assessment" in page.text
    refused = client.submit(f"/assessments/assignments/{ada.id}/remove", {}, follow=True)
    assert "Ada Assessor has submitted scores or is already off this application" in refused.text
    client.submit(f"/assessments/assignments/{bo.id}/remove", {})
    session.expire_all()
    assert assessments.assessor_ids(application) == {people["ada"].id, people["bo"].id}
    assert "Assign 1 more assessor" in client.get(f"/assessments/applications/{application.id}").text
    dee = assign(session, application, {**people, "dee": people["cy"]}, "dee")[0]
    score(session, dee, [9, 9, 9, 9, 9])
    assert application.weighted_score == Decimal("8.00")  # Ada and the replacement; Bo's draft never counts
    client.sign_out()
    client.sign_in(people["bo"].email)
    assert client.get(f"/assessments/assignments/{bo.id}").status == 404


def test_assessors_download_the_supporting_documents_only_while_assigned(client, session, application, people):
    upload = uploads.save_upload(session, file_storage=_pdf_upload(), organisation=application.organisation,
                                 purpose="application_evidence", owner_type="application", owner_id=application.id,
                                 by=application.organisation.users[0])
    session.commit()
    url = f"/applications/{application.id}/documents/{upload.id}"
    [ada] = assign(session, application, people, "ada")
    client.sign_in(people["ada"].email)
    assert client.get(url).response.data.startswith(b"%PDF")
    client.sign_out()
    client.sign_in(people["bo"].email)  # not assigned
    assert client.get(url).status == 404
    bo = assessments.assign(session, application=application, assessor=people["bo"], by=people["manager"])
    session.commit()
    assert client.get(url).status == 404  # assigned, but no declaration yet
    assessments.declare(session, assignment=bo, by=people["bo"], conflict=True, details="Former employer")
    session.commit()
    assert client.get(url).status == 404


def _pdf_upload():
    import io

    from werkzeug.datastructures import FileStorage

    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    return FileStorage(io.BytesIO(pdf), filename="plan.pdf", content_type="application/pdf")
