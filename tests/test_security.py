"""Security headers, cookies and CSRF: on by default."""

import re

from portfolio.models import Role
from portfolio.access import public
from portfolio.forms.accounts import SignInForm
from portfolio.forms.base import error_summary


def test_security_headers_and_a_csp_without_inline_script(client):
    response = client.get("/").response
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert script_src.strip() == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_contain_no_inline_script(client, make, session):
    user = make.user(Role.APPLICANT)
    session.commit()
    pages = ["/", "/sign-in", "/register", "/reset-password"]
    client.sign_in(user.email)
    pages += ["/home", f"/organisations/{user.organisation_id}"]
    for url in pages:
        for script in client.get(url).html.find_all("script"):
            assert script.get("src"), f"inline script on {url}: {script}"
            assert not script.get_text(strip=True)


def test_session_cookie_is_httponly_and_samesite(client, make, session):
    user = make.user(Role.APPLICANT)
    session.commit()
    cookie = client.sign_in(user.email).response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    response = app.test_client().get("/sign-in", base_url="https://portfolio.example")
    assert "Secure" in response.headers["Set-Cookie"]


def test_posts_without_csrf_token_are_refused(client, make, session):
    user = make.user(Role.APPLICANT)
    session.commit()
    page = client.post("/sign-in", {"email": user.email, "password": "whatever-it-is"})
    assert page.status == 400 and "Your form has expired" in page.text
    client.sign_in(user.email)
    assert client.post("/sign-out").status == 400
    assert client.get("/home").status == 200  # still signed in


def test_signed_in_pages_are_not_cached(client, make, session):
    user = make.user(Role.FINANCE)
    session.commit()
    client.sign_in(user.email)
    assert client.get("/home").response.headers["Cache-Control"] == "no-store"


def test_error_pages_are_govuk_pages(client, make, session):
    page = client.get("/no-such-page")
    assert page.status == 404 and page.h1 == "Page not found"
    user = make.user(Role.APPLICANT)
    session.commit()
    client.sign_in(user.email)
    page = client.get("/admin/users")
    assert page.status == 403 and page.h1 == "You do not have permission to view this page"


def test_unexpected_errors_show_the_500_page(app, client):
    @app.route("/boom")
    def boom():
        raise RuntimeError("kaboom")

    public(boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = client.get("/boom")
    assert page.status == 500
    assert page.h1 == "Sorry, there is a problem with the service"
    assert "kaboom" not in page.text


def test_form_level_errors_are_listed_without_a_broken_link(app):
    with app.test_request_context("/sign-in", method="POST", data={"email": "x"}):
        form = SignInForm()
        form.validate()
        form.add_error(None, "Something about the whole form")
        items = error_summary(form)["errorList"]
    assert {"text": "Something about the whole form"} in items
    assert all(item.get("href") != "#None" for item in items)
    assert any(item.get("href") == "#password" for item in items)


def test_a_write_conflict_in_the_database_is_a_409_asking_to_try_again(app):
    """SQLite answers two writers at once with "database is locked" (PostgreSQL with a deadlock):
    the request that lost says so and saved nothing, instead of a 500."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    @public
    def contended():
        raise OperationalError("UPDATE rounds", {}, sqlite3.OperationalError("database is locked"))

    app.add_url_rule("/test-contended", "test_contended", contended)
    response = app.test_client().get("/test-contended")
    assert response.status_code == 409
    assert b"try again" in response.data
