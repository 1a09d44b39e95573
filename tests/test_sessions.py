"""Server-side sessions: signing out, timeouts, rotation, and ending sessions (issue 14)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portfolio.models import AuditEvent, Role, UserSession
from portfolio.services import accounts
from tests.helpers import PageClient, link_in, path_of, sent_emails


def _copy_of(client: PageClient) -> PageClient:
    """Another browser holding a copy of `client`'s session cookie (say, stolen)."""
    thief = PageClient(client.app)
    thief.http.set_cookie("session", client.http.get_cookie("session").value)
    return thief


def _open_rows(session, user) -> list[UserSession]:
    session.expire_all()
    return list(session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id,
                                                             UserSession.ended_at.is_(None))))


def _idle_for(session, user, minutes: int) -> None:
    for row in _open_rows(session, user):
        row.last_seen_at -= timedelta(minutes=minutes)
    session.commit()


def _signed_in(page) -> bool:
    return page.status == 200 and "Sign out" in page.text


def test_a_copied_cookie_is_refused_after_sign_out(client, people):
    """Found: signing out did not end the session on the server: a cookie copied before sign-out
    still got 200 on /home afterwards."""
    client.sign_in(people["finance"].email)
    thief = _copy_of(client)
    assert _signed_in(thief.get("/home"))  # the copy works while the session is open

    client.sign_out()

    refused = thief.get("/home")
    assert refused.status == 302 and refused.location.startswith("/sign-in")


@pytest.mark.parametrize(("who", "idle_limit"), [("finance", 30), ("company", 60)])
def test_a_session_ends_after_the_idle_timeout_staff_sooner_than_companies(client, session, people, who,
                                                                            idle_limit):
    client.sign_in(people[who].email)
    thief = _copy_of(client)
    _idle_for(session, people[who], idle_limit - 2)
    assert _signed_in(client.get("/home"))  # used within the limit: still signed in (and the clock restarts)

    _idle_for(session, people[who], idle_limit + 1)

    for browser in (thief, client):
        page = browser.get("/home", follow_redirects=True)
        assert page.h1 == "Sign in" and "You were signed out because you had not used the service" in page.text
    assert session.scalar(sa.select(UserSession.ended_reason).where(UserSession.user_id == people[who].id)) \
        == "inactive"


def test_a_session_ends_after_its_absolute_lifetime_however_busy(client, session, people):
    client.sign_in(people["company"].email)
    for row in _open_rows(session, people["company"]):
        row.created_at -= timedelta(hours=12, minutes=1)  # signed in 12 hours ago, used a moment ago
    session.commit()
    assert client.get("/home").status == 302


def test_signing_in_starts_a_new_session_and_ends_the_browser_s_old_one(client, session, people):
    finance = people["finance"]
    client.sign_in(finance.email)
    before = _copy_of(client)
    client.sign_in(finance.email)  # again, in the same browser

    assert before.get("/home").status == 302
    assert _signed_in(client.get("/home"))
    assert len(_open_rows(session, finance)) == 1


def test_a_change_of_role_or_signatory_ends_the_person_s_sessions(client, session, people):
    assessor, admin, company = people["assessor"], people["admin"], people["company"]
    for person, change in ((assessor, lambda: accounts.change_role(session, user=assessor, role=Role.FINANCE,
                                                                   by=admin)),
                           (company, lambda: accounts.set_signatory(session, user=company, is_signatory=False,
                                                                    by=company))):
        browser = PageClient(client.app)
        browser.sign_in(person.email)
        change()
        session.commit()
        assert browser.get("/home").status == 302, f"{person.email} kept their old privileges' session"
        browser.sign_in(person.email)
        assert _signed_in(browser.get("/home"))


def test_people_see_their_sessions_and_sign_out_the_others(client, session, people):
    company = people["company"]
    laptop, phone = PageClient(client.app), PageClient(client.app)
    laptop.sign_in(company.email)
    phone.sign_in(company.email)

    page = laptop.get("/account/sessions")
    assert page.h1 == "Your sessions" and "2 signed-in sessions" in page.text and "This browser" in page.text

    done = laptop.submit("/account/sessions/end-others", form_url="/account/sessions", follow=True)
    assert "Signed out of 1 other session" in done.text
    assert phone.get("/home").status == 302
    assert _signed_in(laptop.get("/home"))
    assert session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "session.ended")).actor_id == company.id


def test_one_session_can_be_ended_by_its_owner_and_nobody_else(client, session, people):
    company, stranger = people["company"], people["stranger"]
    phone = PageClient(client.app)
    phone.sign_in(company.email)
    phone_session = _open_rows(session, company)[0]
    client.sign_in(stranger.email)
    token_page = "/account/sessions"

    assert client.submit(f"/account/sessions/{phone_session.id}/end", form_url=token_page).status == 404
    assert _signed_in(phone.get("/home"))

    client.sign_in(company.email)
    assert client.submit(f"/account/sessions/{phone_session.id}/end", form_url=token_page).status == 302
    assert phone.get("/home").status == 302


def test_an_administrator_ends_anyone_s_sessions_audited(client, session, people):
    company, admin = people["company"], people["admin"]
    browser = PageClient(client.app)
    browser.sign_in(company.email)
    client.sign_in(admin.email)

    page = client.get(f"/admin/users/{company.id}/sessions")
    assert page.h1 == f"Sessions for {company.name}" and "1 signed-in session" in page.text
    done = client.submit(f"/admin/users/{company.id}/sessions/end", form_url=f"/admin/users/{company.id}/sessions",
                         follow=True)
    assert f"{company.name} is signed out of 1 session" in done.text
    assert browser.get("/home").status == 302
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "session.ended"))
    assert (event.actor_id, event.entity_id, event.after["reason"]) == (admin.id, str(company.id),
                                                                        "ended by an administrator")


@pytest.mark.parametrize("who", ["finance", "company"])
def test_only_administrators_see_or_end_other_people_s_sessions(client, people, who):
    client.sign_in(people[who].email)
    assert client.get(f"/admin/users/{people['assessor'].id}/sessions").status in (403, 404)


def test_a_password_reset_ends_every_session(app, client, session, people, run_jobs):
    company = people["company"]
    client.sign_in(company.email)
    accounts.request_password_reset(session, email=company.email)
    session.commit()
    run_jobs()
    other = PageClient(client.app)
    done = other.submit(path_of(link_in(sent_emails(app)[-1], "/reset-password/")), {"password": "a-much-longer-new-passphrase-2027",
                                                          "confirm_password": "a-much-longer-new-passphrase-2027"})
    assert done.status == 302
    assert client.get("/home").status == 302


@pytest.mark.parametrize("target", [
    "/%09/evil.example",  # the finding: a tab, which browsers drop, turns "/\t/evil" into "//evil"
    "//evil.example", "/\\evil.example", "https://evil.example/", "/%0d/evil.example", "/%0a/evil.example",
    "%2F%2Fevil.example", " //evil.example",
])
def test_only_same_site_paths_are_followed_after_sign_in(client, people, target):
    """Found: `POST /sign-in?next=/%09/evil.example` answered `302 Location: //evil.example`."""
    page = client.sign_in(people["finance"].email, next=target)  # password, then the second factor
    assert (page.status, page.location) == (302, "/home")


def test_a_line_break_in_next_is_ignored_not_a_500(client, people):
    """Found: a carriage return and line feed in `next=` on sign-in answered 500."""
    page = client.sign_in(people["finance"].email, next="/home%0d%0aSet-Cookie:%20stolen=1")
    assert (page.status, page.location) == (302, "/home")
    assert "stolen" not in page.response.headers.get("Set-Cookie", "")


def test_a_same_site_path_is_followed(client, people):
    page = client.sign_in(people["finance"].email, next="/claims/%3Fpage%3D2")
    assert (page.status, page.location) == (302, "/claims/?page=2")
