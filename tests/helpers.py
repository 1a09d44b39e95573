"""A test client that works like a person with a browser: it reads pages and submits forms
(CSRF token included), and hands back parsed HTML to assert on what the user sees."""

import re
import signal
import threading
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

import pyotp
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portfolio.extensions import db
from portfolio.models import User
from portfolio.models.base import utcnow
from portfolio.services import sessions
from portfolio.services.errors import DomainError

DEMO_PASSWORD = "correct-horse-battery-staple-7"
# Every user tests/builders.py makes has this authenticator-app secret (unless told otherwise).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_secret_of(app: Flask, email: str) -> str | None:
    """The authenticator-app secret stored for the account with this email address (its own
    connection, so it neither sees nor disturbs the test's session)."""
    with app.app_context(), db.engine.connect() as connection:
        return connection.scalar(sa.select(User.totp_secret).where(User.email == email.strip().lower()))


def current_code(app: Flask, email: str) -> str:
    """What the person's authenticator app shows now."""
    secret = totp_secret_of(app, email)
    assert secret, f"{email} has no authenticator app set up"
    return pyotp.TOTP(secret).now()


@dataclass
class Page:
    response: TestResponse

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def html(self) -> BeautifulSoup:
        return BeautifulSoup(self.response.get_data(as_text=True), "html.parser")

    @property
    def text(self) -> str:
        return " ".join(self.html.get_text(" ").split())

    @property
    def title(self) -> str:
        return self.html.title.get_text(strip=True)

    @property
    def h1(self) -> str:
        return self.html.h1.get_text(" ", strip=True)

    @property
    def location(self) -> str | None:
        return self.response.headers.get("Location")

    def error_summary(self) -> list[str]:
        """Every problem the error summary lists (a field's links to it; the form's own has no link)."""
        summary = self.html.select(".govuk-error-summary__list li")
        return [item.get_text(" ", strip=True) for item in summary]

    def form_values(self, selector: str = "main form[method=post]") -> dict:
        """What a browser would post from the page's form as it stands: every named input (text, hidden,
        ticked boxes and radios) and text area, a field of several boxes (a date) as a list."""
        values: dict = {}
        form = self.html.select_one(selector)
        for element in form.select("input[name], textarea[name]"):
            if element.get("type") in ("checkbox", "radio") and not element.has_attr("checked"):
                continue
            if element.get("type") == "submit":
                continue
            value = element.get_text() if element.name == "textarea" else element.get("value", "")
            name = element["name"]
            values[name] = [*values[name], value] if isinstance(values.get(name), list) else \
                [values[name], value] if name in values else value
        return values

    def field_error(self, field_id: str) -> str | None:
        """The inline GOV.UK error message shown with a field, without the hidden prefix."""
        element = self.html.find(id=f"{field_id}-error")
        if element is None:
            return None
        return element.get_text(" ", strip=True).removeprefix("Error:").strip()


class PageClient:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.http: FlaskClient = app.test_client()

    def _fresh(self, method: str, url: str, **kwargs) -> TestResponse:
        # Each request gets its own app context (its own `g` and database session), as in a
        # real server, instead of sharing the one the test has pushed.
        with self.app.app_context():
            return self.http.open(url, method=method, **kwargs)

    def get(self, url: str, **kwargs) -> Page:
        return Page(self._fresh("GET", url, **kwargs))

    def post(self, url: str, data: dict | None = None, **kwargs) -> Page:
        return Page(self._fresh("POST", url, data=data, **kwargs))

    def csrf_token(self, url: str) -> str:
        page = self.get(url)
        field = page.html.find("input", attrs={"name": "csrf_token"})
        assert field is not None, f"no CSRF token on {url} (status {page.status})"
        return field["value"]

    def submit(self, url: str, data: dict | None = None, *, form_url: str | None = None,
               follow: bool = False) -> Page:
        """POST like a browser: first load the page with the form to get its CSRF token."""
        payload = {"csrf_token": self.csrf_token(form_url or url), **(data or {})}
        return self.post(url, payload, follow_redirects=follow)

    def sign_in(self, email: str, password: str = DEMO_PASSWORD, *, next: str | None = None) -> Page:
        """Sign in with the password, then (for someone who has one) the code their authenticator app
        shows now. Someone with no second factor is left at the offer to set one up."""
        page = self.submit("/sign-in" + (f"?next={next}" if next else ""), {"email": email, "password": password},
                           form_url="/sign-in")
        assert page.status == 302, f"sign-in failed for {email}: {page.status} {page.error_summary()}"
        if page.location == "/sign-in/second-factor":
            page = self.submit(page.location, {"code": current_code(self.app, email)})
            assert page.status == 302, f"second factor refused for {email}: {page.status} {page.error_summary()}"
        return page

    def sign_in_as(self, user) -> None:
        """Start a signed-in session without the sign-in form, which costs a scrypt check (~0.1 s);
        signing in through the form is covered by the sign-in tests."""
        _, key = sessions.start(db.session, user=user, second_factor_at=utcnow())  # the test's own session
        db.session.commit()
        with self.app.app_context():
            with self.http.session_transaction() as browser:
                browser[sessions.SESSION_KEY] = key
                browser["_user_id"] = user.get_id()
                browser["_fresh"] = True
    def set_up_authenticator(self, url: str = "/account/authenticator") -> tuple[str, Page]:
        """Set up an authenticator app as a person does: read the key the page shows, type in the code
        an app computes from it. Returns the key and the page of recovery codes."""
        page = self.get(url)
        assert page.status == 200, f"no authenticator set-up at {url}: {page.status} {page.location}"
        secret = page.html.find(id="secret").get_text().replace(" ", "")
        done = self.submit(url, {"code": pyotp.TOTP(secret).now()})
        assert done.status == 200 and "Save your recovery codes" in done.text, done.error_summary()
        return secret, done

    def sign_out(self) -> Page:
        # The sign-in page has the header's sign-out form (and its CSRF token) for anyone signed in,
        # even someone who must set up a second factor before any other page.
        return self.submit("/sign-out", form_url="/sign-in")



def sent_emails(app: Flask) -> list:
    """Emails delivered to the mail folder (the no-SMTP default), oldest first."""
    folder = Path(app.config["MAIL_FOLDER"])
    if not folder.exists():
        return []
    return [message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def link_in(email, pattern: str) -> str:
    body = email.get_payload(decode=True).decode()
    match = re.search(r"https?://\S+" + pattern + r"\S*", body)
    assert match, f"no link matching {pattern!r} in: {body}"
    return match.group(0)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def register(client: PageClient, answers: dict, run_jobs=None) -> Page:
    """Register a company the way a person does: fill in the form, follow the link in the email
    that arrives, and create the account (which signs them in). Returns the last page."""
    page = client.submit("/register", answers)
    assert page.status == 200 and page.h1 == "Check your email", f"{page.status} {page.error_summary()}"
    if run_jobs is not None:
        run_jobs()
    address = answers["email"].strip().lower()
    emails = [email for email in sent_emails(client.app) if email["To"] == address]
    assert emails, f"no email to {address}"
    return client.submit(path_of(link_in(emails[-1], "/register/confirm/")))


def work_burst(rq_queue) -> None:
    """Run the jobs on `rq_queue` with an in-process rq worker, until the queue is empty.

    rq's worker installs its own SIGINT and SIGTERM handlers when it starts working (they raise
    StopRequested, or exit) and never puts the old ones back: left installed, they turn a later
    Ctrl+C or SIGTERM of the test run, in whatever test is running then, into StopRequested from
    a worker long gone. So the handlers the test process had are restored after the burst.
    """
    from rq import SimpleWorker

    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    finally:
        for number, handler in saved.items():
            if handler is not None:  # None: set outside Python, nothing we can put back
                signal.signal(number, handler)


def race(app: Flask, attempts: dict, *, on_postgres: bool) -> dict:
    """Make each of `attempts` (key -> a function of the request's db.session that changes something) in its
    own app context and transaction: on PostgreSQL from one thread each, released together by a barrier, so
    they really race for the same rows; on SQLite (one writer at a time) one after another. Returns, per key,
    "approved" when the change was committed, else the DomainError's message (that attempt rolled back)."""
    results: dict = {}
    barrier = threading.Barrier(len(attempts) if on_postgres else 1)

    def attempt(key, change) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)  # before taking a connection: the pool has fewer than there are threads
                change(db.session)
                db.session.commit()
                results[key] = "approved"
            except DomainError as error:
                db.session.rollback()
                results[key] = error.message
            finally:
                db.session.remove()

    if on_postgres:
        threads = [threading.Thread(target=attempt, args=item) for item in attempts.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for item in attempts.items():
            attempt(*item)
    return results
