"""Bad input never breaks the service.

The rule: every form and endpoint answers bad input with a GOV.UK error message next to
the field and a 4xx, never a 500, and saves nothing half-way. Another organisation's id
in a URL is a 404 that gives nothing of that organisation away.

1. Table-driven cases for every form: the message is in the error summary (linking to the
   field) and next to the field, the title starts with "Error:", and no row was written.
2. A property test throws arbitrary text at the registration form.
3. Missing CSRF tokens, malformed and out-of-range URLs, other organisations' ids.
"""

import io
from functools import cached_property

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portfolio.extensions import limiter
from portfolio.forms.base import normalise_company_number
from portfolio.models import (
    AuditEvent,
    Document,
    DocumentKind,
    Invitation,
    Organisation,
    OutboxMessage,
    PasswordReset,
    Region,
    Role,
    User,
)
from portfolio.services import accounts, documents
from tests.helpers import DEMO_PASSWORD, Page, PageClient, link_in, path_of, sent_emails, sign_in_as

GOOD_PASSWORD = "violet-otter-lantern-93"
TAKEN_EMAIL = "taken@example.com"
TAKEN_COMPANY = "SC123456"
HUGE = "x" * 10_000
HUGE_ID = "99999999999999999999"  # > 2**64: no database integer holds it

TABLES = (Organisation, User, Invitation, PasswordReset, AuditEvent, OutboxMessage, Document)

# The other organisation: none of this may appear on an applicant's error pages.
SECRET_NAME = "Zephyr Hidden Therapeutics Ltd"
SECRET_COMPANY = "SC999999"
SECRET_PERSON = "Quentin Hiddenfield"


def row_counts(session) -> dict[str, int]:
    """Rows in every table the forms can write to, read fresh from the database."""
    session.expire_all()
    return {model.__name__: session.scalar(select(func.count()).select_from(model)) for model in TABLES}


class ParsedOnce(Page):
    """A Page that parses its HTML once, however many questions are asked of it."""

    @cached_property
    def html(self):
        return super().html


def assert_rejected(page, field_id: str, message: str) -> None:
    """A GOV.UK validation error: 400, "Error:" title, summary link and inline message."""
    page = ParsedOnce(page.response)
    assert page.status == 400, f"expected 400, got {page.status}: {page.text[:300]}"
    assert page.title.startswith("Error:"), page.title
    assert message in page.error_summary(), page.error_summary()
    links = {a.get_text(strip=True): a["href"] for a in page.html.select(".govuk-error-summary__list a")}
    assert links[message] == f"#{field_id}", links
    assert page.html.find(id=field_id) is not None, f"the summary links to #{field_id}, which is not on the page"
    assert page.field_error(field_id) == message, page.field_error(field_id)


def form(valid: dict, changes: dict) -> dict:
    """The valid answers with some changed; a change to None leaves the field out."""
    data = {**valid, **changes}
    return {key: value for key, value in data.items() if value is not None}


def text_cases(field: str, required: str, too_long: str | None, label: str) -> list:
    """Bad answers to a required free-text field, as (changes, field id, expected message)."""
    cases = [
        pytest.param({field: None}, field, required, id=f"{field}-missing"),
        pytest.param({field: ""}, field, required, id=f"{field}-empty"),
        pytest.param({field: "   \t  "}, field, required, id=f"{field}-whitespace"),
        pytest.param({field: "Ada\x00Lovelace"}, field, f"{label} must not include hidden characters",
                     id=f"{field}-nul-byte"),
        pytest.param({field: "Ada \x1b[31mLovelace"}, field, f"{label} must not include hidden characters",
                     id=f"{field}-terminal-escape"),
    ]
    if too_long:
        cases += [
            pytest.param({field: "A" * 201}, field, too_long, id=f"{field}-201-chars"),
            pytest.param({field: HUGE}, field, too_long, id=f"{field}-10000-chars"),
        ]
    return cases


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
EMAIL_TOO_LONG = "Email address must be 254 characters or fewer"


def email_cases(field: str = "email", required: str = "Enter your email address", taken: bool = True) -> list:
    """Bad answers to an email address field, as (changes, field id, expected message)."""
    cases = [
        pytest.param({field: None}, field, required, id=f"{field}-missing"),
        pytest.param({field: ""}, field, required, id=f"{field}-empty"),
        pytest.param({field: "    "}, field, required, id=f"{field}-whitespace"),
        pytest.param({field: "ada.example.com"}, field, EMAIL_FORMAT, id=f"{field}-no-at"),
        pytest.param({field: "ada@"}, field, EMAIL_FORMAT, id=f"{field}-no-domain"),
        pytest.param({field: "ada@@example.com"}, field, EMAIL_FORMAT, id=f"{field}-two-ats"),
        pytest.param({field: "ada lovelace@example.com"}, field, EMAIL_FORMAT, id=f"{field}-space"),
        pytest.param({field: "😀@😀"}, field, EMAIL_FORMAT, id=f"{field}-emoji"),
        pytest.param({field: "ada\x00@example.com"}, field, EMAIL_FORMAT, id=f"{field}-nul-byte"),
        pytest.param({field: "a" * 250 + "@example.com"}, field, EMAIL_TOO_LONG, id=f"{field}-262-chars"),
        pytest.param({field: HUGE + "@example.com"}, field, EMAIL_TOO_LONG, id=f"{field}-10000-chars"),
    ]
    if taken:
        cases.append(pytest.param({field: " Taken@EXAMPLE.com "}, field,
                                  "An account with this email address already exists", id=f"{field}-taken"))
    return cases


PASSWORD_CASES = [
    pytest.param({"password": None}, "password", "Enter a password", id="password-missing"),
    pytest.param({"password": "", "confirm_password": ""}, "password", "Enter a password", id="password-empty"),
    pytest.param({"password": " " * 14, "confirm_password": " " * 14}, "password", "Enter a password",
                 id="password-whitespace"),
    pytest.param({"password": "elevenchars", "confirm_password": "elevenchars"}, "password",
                 "Password must be 12 characters or more", id="password-11-chars"),
    pytest.param({"password": "password1234", "confirm_password": "password1234"}, "password",
                 "Password is too common. Choose a password that is harder to guess", id="password-common"),
    pytest.param({"password": "abababababababab", "confirm_password": "abababababababab"}, "password",
                 "Password is too common. Choose a password that is harder to guess", id="password-repetitive"),
    pytest.param({"password": "x1" * 65, "confirm_password": "x1" * 65}, "password",
                 "Password must be 128 characters or fewer", id="password-130-chars"),
    pytest.param({"password": HUGE, "confirm_password": HUGE}, "password",
                 "Password must be 128 characters or fewer", id="password-10000-chars"),
    pytest.param({"confirm_password": None}, "confirm_password", "Confirm your password",
                 id="confirm-missing"),
    pytest.param({"confirm_password": "violet-otter-lantern-94"}, "confirm_password",
                 "Passwords do not match", id="confirm-mismatch"),
]


# --- Register --------------------------------------------------------------------------

REGISTER = {
    "organisation_name": "Acme Biologics Ltd",
    "company_number": "01234567",
    "postcode": "SW1A 1AA",
    "region": Region.LONDON.value,
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "password": GOOD_PASSWORD,
    "confirm_password": GOOD_PASSWORD,
}

COMPANY_FORMAT = "Enter a Companies House number in the correct format, like 01234567 or SC123456"
COMPANY_TAKEN = "This company is already registered. Ask a colleague who uses the service to invite you"
POSTCODE_FORMAT = "Enter a real postcode, like SW1A 1AA"

REGISTER_CASES = [
    *text_cases("organisation_name", "Enter the organisation name",
                "Organisation name must be 200 characters or fewer", "Organisation name"),
    *[pytest.param({"company_number": value}, "company_number", message, id=f"company_number-{case}")
      for case, value, message in [
          ("missing", None, "Enter the Companies House number"),
          ("empty", "", "Enter the Companies House number"),
          ("whitespace", "     ", "Enter the Companies House number"),
          ("4-digits", "1234", COMPANY_FORMAT),
          ("3-letters", "ABC12345", COMPANY_FORMAT),
          ("9-digits", "123456789", COMPANY_FORMAT),
          ("punctuation", "0123-4567", COMPANY_FORMAT),
          ("emoji", "😀1234567", COMPANY_FORMAT),
          ("arabic-digits", "٠١٢٣٤٥٦٧", COMPANY_FORMAT),
          ("nul-byte", "0123\x004567", COMPANY_FORMAT),
          ("10000-chars", HUGE, COMPANY_FORMAT),
          ("sql", "'; DROP TABLE organisations; --", COMPANY_FORMAT),
          ("taken", TAKEN_COMPANY, COMPANY_TAKEN),
          ("taken-differently-written", " sc 123 456 ", COMPANY_TAKEN),
      ]],
    *[pytest.param({"postcode": value}, "postcode", message, id=f"postcode-{case}")
      for case, value, message in [
          ("missing", None, "Enter the registered office postcode"),
          ("empty", "", "Enter the registered office postcode"),
          ("whitespace", "  ", "Enter the registered office postcode"),
          ("XYZ", "XYZ", POSTCODE_FORMAT),
          ("outward-only", "SW1A", POSTCODE_FORMAT),
          ("digits", "12345", POSTCODE_FORMAT),
          ("zip-code", "90210-1234", POSTCODE_FORMAT),
          ("emoji", "SW1A 😀", POSTCODE_FORMAT),
          ("nul-byte", "SW1A\x001AA", POSTCODE_FORMAT),
          ("10000-chars", HUGE, POSTCODE_FORMAT),
      ]],
    *[pytest.param({"region": value}, "region", "Select the region", id=f"region-{case}")
      for case, value in [
          ("missing", None), ("placeholder", ""), ("unknown", "TLZ"), ("label-not-code", "London"),
          ("lowercase", "tli"), ("10000-chars", HUGE), ("nul-byte", "TLI\x00"),
      ]],
    *text_cases("name", "Enter your full name", "Full name must be 200 characters or fewer", "Full name"),
    *email_cases(),
    *PASSWORD_CASES,
]


@pytest.fixture
def taken(make, session):
    """An organisation and a user whose company number and email address are taken."""
    user = make.user(Role.APPLICANT, email=TAKEN_EMAIL,
                     organisation=make.organisation(company_number=TAKEN_COMPANY))
    session.commit()
    return user


@pytest.mark.parametrize(("changes", "field", "message"), REGISTER_CASES)
def test_register_rejects_bad_input(client, session, taken, changes, field, message):
    before = row_counts(session)

    page = client.submit("/register", form(REGISTER, changes))

    assert_rejected(page, field, message)
    assert row_counts(session) == before
    assert client.get("/home").status == 302, "a rejected registration must not sign anyone in"


def test_register_keeps_the_answers_so_they_can_be_corrected(client, session):
    page = ParsedOnce(client.submit("/register", form(REGISTER, {"postcode": "XYZ"})).response)

    assert page.status == 400
    assert page.html.find(id="organisation_name")["value"] == REGISTER["organisation_name"]
    assert page.html.find(id="postcode")["value"] == "XYZ"
    assert page.html.find(id="password").get("value") in (None, ""), "passwords are never echoed back"


@pytest.mark.parametrize(("changes", "saved"), [
    pytest.param(
        {"organisation_name": "  Ångström Biologics ÆØÅ Ltd 🧬 ", "name": " Zoë Ó'Brien-Nguyễn 😀 ",
         "company_number": " sc 123 457 ", "postcode": "sw1a1aa"},
        {"name": "Ångström Biologics ÆØÅ Ltd 🧬", "company_number": "SC123457", "postcode": "SW1A 1AA",
         "user": "Zoë Ó'Brien-Nguyễn 😀"},
        id="non-ascii-emoji-and-untidy-formats"),
    pytest.param(
        {"organisation_name": "O" * 200, "name": "N" * 200, "company_number": "1234567",
         "email": "  ADA@Example.COM "},
        {"name": "O" * 200, "company_number": "01234567", "postcode": "SW1A 1AA", "user": "N" * 200},
        id="longest-allowed-and-missing-leading-zero"),
])
def test_register_accepts_unusual_but_valid_input(client, session, changes, saved):
    page = client.submit("/register", form(REGISTER, changes))

    assert page.status == 302, page.error_summary()
    session.expire_all()
    organisation = session.scalar(select(Organisation))
    assert (organisation.name, organisation.company_number, organisation.postcode) == (
        saved["name"], saved["company_number"], saved["postcode"])
    assert [(user.name, user.email) for user in organisation.users] == [(saved["user"], "ada@example.com")]


# --- Sign in and password reset ---------------------------------------------------------

SIGN_IN = {"email": TAKEN_EMAIL, "password": "whatever-they-typed"}


@pytest.mark.parametrize(("changes", "field", "message"), [
    *email_cases(taken=False),
    pytest.param({"password": None}, "password", "Enter your password", id="password-missing"),
    pytest.param({"password": ""}, "password", "Enter your password", id="password-empty"),
    pytest.param({"password": "   "}, "password", "Enter your password", id="password-whitespace"),
])
def test_sign_in_rejects_bad_input(client, session, taken, changes, field, message):
    before = row_counts(session)

    page = client.submit("/sign-in", form(SIGN_IN, changes))

    assert_rejected(page, field, message)
    assert row_counts(session) == before, "input that is not an email address is not even audited"
    assert client.get("/home").status == 302


@pytest.mark.parametrize("password", [
    pytest.param("wrong-password-entirely", id="wrong"),
    pytest.param(HUGE, id="10000-chars"),
    pytest.param("😀" * 20, id="emoji"),
    pytest.param("pass\x00word\x1b[0m", id="control-characters"),  # hashed, never stored: allowed
])
def test_sign_in_with_the_wrong_password_is_an_error_not_a_sign_in(client, session, taken, password):
    before = row_counts(session)

    page = client.submit("/sign-in", {"email": TAKEN_EMAIL, "password": password})

    assert_rejected(page, "email", "Enter a correct email address and password")
    after = row_counts(session)
    assert after == {**before, "AuditEvent": before["AuditEvent"] + 1}, "only the failed attempt is audited"
    assert session.get(User, taken.id).last_login_at is None
    assert client.get("/home").status == 302


@pytest.mark.parametrize(("changes", "field", "message"), email_cases(taken=False))
def test_password_reset_request_rejects_bad_input(client, session, taken, changes, field, message):
    before = row_counts(session)

    page = client.submit("/reset-password", form({"email": TAKEN_EMAIL}, changes))

    assert_rejected(page, field, message)
    assert row_counts(session) == before
    assert sent_emails(client.app) == []


@pytest.fixture
def email_link(app, session, run_jobs):
    """Commit, deliver the queued email, and return the path of the link in the last one."""
    def latest(pattern: str) -> str:
        session.commit()
        run_jobs()
        return path_of(link_in(sent_emails(app)[-1], pattern))

    return latest


@pytest.mark.parametrize(("changes", "field", "message"), [
    *PASSWORD_CASES,
    pytest.param({"password": "Taken@Example.com", "confirm_password": "Taken@Example.com"}, "password",
                 "Password must not be your email address", id="password-is-email"),
])
def test_choose_new_password_rejects_bad_input(client, session, email_link, taken, changes, field, message):
    accounts.request_password_reset(session, email=TAKEN_EMAIL)
    url = email_link("/reset-password/")
    hash_before, token_before = taken.password_hash, taken.session_token
    before = row_counts(session)

    page = client.submit(url, form({"password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD}, changes))

    assert_rejected(page, field, message)
    assert row_counts(session) == before
    user = session.get(User, taken.id)
    assert (user.password_hash, user.session_token) == (hash_before, token_before)
    assert session.scalar(select(PasswordReset)).used_at is None
    assert client.get(url).status == 200, "the link still works after a mistake"


# --- Invitations ------------------------------------------------------------------------

ACCEPT = {"name": "Grace Hopper", "password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD}


@pytest.fixture
def invitation_url(session, email_link, taken):
    accounts.invite(session, email="grace@example.com", role=Role.APPLICANT, invited_by=taken,
                    organisation=taken.organisation)
    return email_link("/invitations/")


@pytest.mark.parametrize(("changes", "field", "message"), [
    *text_cases("name", "Enter your full name", "Full name must be 200 characters or fewer", "Full name"),
    *PASSWORD_CASES,
    pytest.param({"password": "grace@example.com", "confirm_password": "grace@example.com"}, "password",
                 "Password must not be your email address", id="password-is-email"),
])
def test_accept_invitation_rejects_bad_input(client, session, invitation_url, changes, field, message):
    before = row_counts(session)

    page = client.submit(invitation_url, form(ACCEPT, changes))

    assert_rejected(page, field, message)
    assert row_counts(session) == before
    assert session.scalar(select(Invitation)).accepted_at is None
    assert client.get(invitation_url).status == 200, "the invitation can still be accepted"


def test_accept_invitation_when_the_email_has_since_registered(client, session, make, invitation_url):
    """Someone registered with the invited address after the invitation was sent: the link
    says so as soon as it is opened (before any password is typed), and posting to it
    anyway creates nobody."""
    make.user(Role.APPLICANT, email="grace@example.com")
    session.commit()
    before = row_counts(session)

    page = client.get(invitation_url)
    assert page.status == 404
    assert "An account with this email address already exists. Sign in instead" in page.text
    page = client.submit(invitation_url, ACCEPT, form_url="/sign-in")
    assert page.status == 404
    assert row_counts(session) == before


INVITE_COLLEAGUE_REQUIRED = "Enter your colleague's email address"


@pytest.mark.parametrize(("changes", "field", "message"), email_cases(required=INVITE_COLLEAGUE_REQUIRED))
def test_invite_colleague_rejects_bad_input(client, session, taken, changes, field, message):
    sign_in_as(client, taken)
    url = f"/organisations/{taken.organisation_id}/invite"
    before = row_counts(session)

    page = client.submit(url, form({"email": "new.person@example.com", "is_signatory": "y"}, changes))

    assert_rejected(page, field, message)
    assert row_counts(session) == before
    assert sent_emails(client.app) == []


def test_invite_colleague_with_a_junk_checkbox_value_just_ticks_it(client, session, taken):
    """A checkbox only says "ticked" or not, so any value is ticked: no error, no crash."""
    taken.is_signatory = True  # only a signatory may invite another
    session.commit()
    sign_in_as(client, taken)

    page = client.submit(f"/organisations/{taken.organisation_id}/invite",
                         {"email": "new.person@example.com", "is_signatory": HUGE + "\x00😀"})

    assert page.status == 302
    assert session.scalar(select(Invitation)).is_signatory is True


# --- Admin: staff invitations and roles ----------------------------------------------

@pytest.fixture
def admin(make, session):
    user = make.user(Role.ADMIN, email="admin@example.com")
    session.commit()
    return user


@pytest.mark.parametrize(("changes", "field", "message"), [
    *email_cases(required="Enter their email address"),
    *[pytest.param({"role": value}, "role", "Select a role", id=f"role-{case}")
      for case, value in [
          ("missing", None), ("empty", ""), ("whitespace", "  "), ("applicant", "applicant"),
          ("unknown", "superuser"), ("label-not-value", "Administrator"), ("uppercase", "ADMIN"),
          ("10000-chars", HUGE), ("nul-byte", "admin\x00"),
      ]],
])
def test_invite_staff_rejects_bad_input(client, session, admin, taken, changes, field, message):
    sign_in_as(client, admin)
    before = row_counts(session)

    page = client.submit("/admin/users/invite", form({"email": "new.staff@example.com", "role": "assessor"}, changes))

    assert_rejected(page, field, message)
    assert row_counts(session) == before


@pytest.mark.parametrize(("target", "role", "message"), [
    pytest.param("other", None, "Select a role", id="missing"),
    pytest.param("other", "", "Select a role", id="empty"),
    pytest.param("other", "applicant", "Select a role", id="applicant"),
    pytest.param("other", "superuser", "Select a role", id="unknown"),
    pytest.param("other", HUGE, "Select a role", id="10000-chars"),
    pytest.param("other", "finance\x00", "Select a role", id="nul-byte"),
    pytest.param("self", "assessor", "You cannot change your own role", id="own-role"),
])
def test_change_role_rejects_bad_input(client, session, make, admin, target, role, message):
    assessor = make.user(Role.ASSESSOR)
    session.commit()
    user = assessor if target == "other" else admin
    role_before = user.role
    sign_in_as(client, admin)
    before = row_counts(session)

    page = client.submit(f"/admin/users/{user.id}/role", form({}, {"role": role}))

    assert_rejected(page, "role", message)
    assert row_counts(session) == before
    assert session.get(User, user.id).role is role_before


# --- Property: arbitrary text at the registration form ------------------------------

REGISTER_FIELDS = list(REGISTER)
JUNK = st.one_of(st.text(max_size=40), st.text(min_size=190, max_size=300))  # any code point, NUL too


@st.composite
def registrations(draw) -> dict:
    """A plausible registration with up to three answers replaced by arbitrary text."""
    password = draw(st.sampled_from([GOOD_PASSWORD, "Ünïcödé pass phrase 🧬"]))
    data = {
        "organisation_name": draw(st.sampled_from(["Acme Ltd", "Zoë Bio 🧬", "  Spaced  Ltd "])),
        "company_number": draw(st.one_of(st.integers(0, 99_999_999).map("{:08d}".format),
                                         st.integers(0, 999_999).map("sc {:06d}".format))),
        "postcode": draw(st.sampled_from(["SW1A 1AA", "ls29jt", " EH1 1YZ ", "GIR 0AA"])),
        "region": draw(st.sampled_from([region.value for region in Region])),
        "name": draw(st.sampled_from(["Ada Lovelace", "Nguyễn Thị 😀"])),
        "email": draw(st.integers(0, 10**6).map("person{}@example.com".format)),
        "password": password,
        "confirm_password": password,
    }
    for field in draw(st.sets(st.sampled_from(REGISTER_FIELDS), max_size=3)):
        data[field] = draw(JUNK)
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=registrations())
def test_register_never_fails_badly_whatever_is_typed(app, session, data):
    limiter.reset()  # 40 registrations from one address would otherwise hit the hourly limit
    client = PageClient(app)  # a new browser each time: nobody signed in
    before = row_counts(session)

    page = client.submit("/register", data)

    assert page.status < 500, page.text[:300]
    event(f"status {page.status}")  # pytest --hypothesis-show-statistics shows the mix
    after = row_counts(session)
    if page.status == 302:
        assert after["Organisation"] == before["Organisation"] + 1
        assert after["User"] == before["User"] + 1
        organisation = session.scalar(select(Organisation).where(
            Organisation.company_number == normalise_company_number(data["company_number"])))
        assert organisation is not None and organisation.name == data["organisation_name"].strip()
        assert [user.email for user in organisation.users] == [data["email"].strip().lower()]
    else:
        page = ParsedOnce(page.response)
        assert page.status == 400
        assert page.error_summary(), "a refusal says what to fix"
        assert page.title.startswith("Error:")
        for link in page.html.select(".govuk-error-summary__list a"):
            field_id = link["href"].removeprefix("#")
            assert page.field_error(field_id) == link.get_text(strip=True), "the same message by the field"
        assert after == before


# --- CSRF ------------------------------------------------------------------------------

@pytest.fixture
def world(make, session):
    """Two organisations and staff: everything a POST can touch."""
    ours = make.organisation(name="Our Own Biologics Ltd")
    theirs = make.organisation(name=SECRET_NAME, company_number=SECRET_COMPANY)
    world = {
        "ours": ours,
        "applicant": make.user(Role.APPLICANT, email="applicant@example.com", organisation=ours,
                               is_signatory=True),
        "colleague": make.user(Role.APPLICANT, email="colleague@example.com", organisation=ours),
        "theirs": theirs,
        "outsider": make.user(Role.APPLICANT, name=SECRET_PERSON, organisation=theirs, is_signatory=True),
        "admin": make.user(Role.ADMIN, email="admin@example.com"),
        "assessor": make.user(Role.ASSESSOR, email="assessor@example.com"),
    }
    session.commit()
    return world


@pytest.fixture
def links(world, session, email_link):
    """A password reset link for the applicant and an invitation to their organisation."""
    accounts.request_password_reset(session, email=world["applicant"].email)
    reset_url = email_link("/reset-password/")
    accounts.invite(session, email="invited@example.com", role=Role.APPLICANT, invited_by=world["applicant"],
                    organisation=world["ours"])
    return {"reset_url": reset_url, "invitation_url": email_link("/invitations/")}


@pytest.fixture
def their_document(session, world):
    document = documents.request_document(session, kind=DocumentKind.ORGANISATION_SUMMARY,
                                          record=world["theirs"], by=world["outsider"])
    session.commit()
    return document


def _state(session) -> tuple:
    """Everything a POST could change: row counts and the user fields the forms edit."""
    counts = row_counts(session)
    users = session.scalars(select(User).order_by(User.id)).all()
    return counts, [(u.email, u.role, u.is_signatory, u.is_active, u.password_hash, u.session_token) for u in users]


CSRF_CASES = [
    # (who is signed in, url (formatted with the world), answers that are valid apart from the token)
    pytest.param(None, "/register", REGISTER, id="register"),
    pytest.param(None, "/sign-in", {"email": "applicant@example.com", "password": DEMO_PASSWORD}, id="sign-in"),
    pytest.param(None, "/reset-password", {"email": "applicant@example.com"}, id="reset-request"),
    pytest.param(None, "{reset_url}", {"password": GOOD_PASSWORD, "confirm_password": GOOD_PASSWORD},
                 id="reset-password"),
    pytest.param(None, "{invitation_url}", ACCEPT, id="accept-invitation"),
    pytest.param("applicant", "/sign-out", {}, id="sign-out"),
    pytest.param("applicant", "/organisations/{ours.id}/invite", {"email": "x@example.com"}, id="invite-colleague"),
    pytest.param("applicant", "/organisations/{ours.id}/members/{colleague.id}/signatory", {},
                 id="toggle-signatory"),
    pytest.param("applicant", "/organisations/{ours.id}/summary", {}, id="request-summary"),
    pytest.param("admin", "/documents/{document.id}/retry", {}, id="retry-document"),
    pytest.param("admin", "/admin/users/invite", {"email": "x@example.com", "role": "assessor"},
                 id="invite-staff"),
    pytest.param("admin", "/admin/users/{assessor.id}/role", {"role": "finance"}, id="change-role"),
    pytest.param("admin", "/admin/users/{assessor.id}/active", {}, id="deactivate-staff"),
]


@pytest.mark.parametrize(("who", "url", "data"), CSRF_CASES)
def test_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(
        request, subtests, app, session, world, who, url, data):
    if "{reset_url}" in url or "{invitation_url}" in url:
        world = {**world, **request.getfixturevalue("links")}
    if "{document" in url:
        world = {**world, "document": request.getfixturevalue("their_document")}
    url = url.format(**world)
    before = _state(session)

    for name, token in [("no token", None), ("empty token", ""), ("forged token", "IjEyMzQi.forged.token")]:
        with subtests.test(name):
            client = PageClient(app)
            if who:
                sign_in_as(client, world[who])
            payload = dict(data) if token is None else {**data, "csrf_token": token}

            page = client.post(url, payload)

            assert page.status == 400, page.status
            assert "CSRF" not in page.text, "the error page is for people, not developers"
            assert _state(session) == before
            assert client.get("/home").status == (200 if who else 302), "signed in (or not) as before"


# --- Malformed URLs -------------------------------------------------------------------

MALFORMED_IDS = ["abc", "-1", "1.5", "0", "1e3", "0x10", "%00", "%F0%9F%98%80", "2147483647"]
MALFORMED = {
    # who: [(method, url)]; {id} is each malformed id in turn
    "admin": [
        ("GET", "/organisations/{id}"), ("GET", "/documents/{id}"), ("GET", "/documents/{id}/status.json"),
        ("GET", "/documents/{id}/download"), ("GET", "/admin/users/{id}/role"),
        ("POST", "/admin/users/{id}/role"), ("POST", "/admin/users/{id}/active"),
        ("POST", "/organisations/{id}/summary"), ("POST", "/documents/{id}/retry"),
    ],
    "applicant": [
        ("GET", "/organisations/{id}"), ("GET", "/organisations/{id}/invite"), ("POST", "/organisations/{id}/invite"),
        ("POST", "/organisations/{id}/summary"), ("POST", "/organisations/{ours.id}/members/{id}/signatory"),
        ("GET", "/documents/{id}/status.json"),
    ],
}


def _request(client, method: str, url: str, token: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, {"csrf_token": token, "role": "finance", "email": "x@example.com"})


@pytest.mark.parametrize("who", ["admin", "applicant"])
def test_malformed_and_unknown_ids_are_not_found(subtests, client, session, world, who):
    sign_in_as(client, world[who])
    token = client.csrf_token("/home")  # a valid token, so that only the URL is wrong
    before = _state(session)

    for method, pattern in MALFORMED[who]:
        for bad_id in MALFORMED_IDS:
            url = pattern.replace("{id}", bad_id).format(**world)
            with subtests.test(f"{method} {url}"):
                page = _request(client, method, url, token)

                assert page.status == 404, f"{page.status}: {page.text[:200]}"
                if url.endswith(".json"):
                    assert page.response.is_json
                assert _state(session) == before


# Ids too big for the id column (PostgreSQL's INTEGER ends at 2**31 - 1, SQLite's at
# 2**63 - 1) never reach the database: the `int` URL converter caps them, so they are 404s.
@pytest.mark.parametrize("bad_id", [
    pytest.param("2147483648", id="2**31"),
    pytest.param("9223372036854775808", id="2**63"),
    pytest.param(HUGE_ID, id="10**20"),
])
def test_ids_too_big_for_the_database_are_not_found(client, session, world, bad_id):
    token = client.csrf_token("/sign-in")
    broken = []
    for who, urls in MALFORMED.items():
        sign_in_as(client, world[who])
        for method, pattern in urls:
            url = pattern.replace("{id}", bad_id).format(**world)
            try:  # TESTING propagates exceptions: in production each of these is a 500 page
                status = _request(client, method, url, token).status
            except Exception as error:
                status = type(error).__name__
            session.rollback()
            if status != 404:
                broken.append(f"{who} {method} {url}: {status}")
    assert broken == []


@pytest.mark.parametrize(("who", "url"), [
    pytest.param("admin", "/admin/users/{applicant.id}/role", id="change-role-of-a-company-user"),
    pytest.param("admin", "/admin/users/{applicant.id}/active", id="deactivate-a-company-user"),
    pytest.param("applicant", "/organisations/{ours.id}/members/{outsider.id}/signatory",
                 id="signatory-from-another-organisation"),
    pytest.param("applicant", "/organisations/{ours.id}/members/{admin.id}/signatory", id="signatory-staff"),
])
def test_ids_of_the_wrong_kind_are_not_found(client, session, world, who, url):
    sign_in_as(client, world[who])
    before = _state(session)

    page = client.submit(url.format(**world), {"role": "finance"}, form_url="/home")

    assert page.status == 404
    assert _state(session) == before


BAD_TOKENS = ["not-a-real-token", "%00", "a" * 5000, "%FF%FE", "%F0%9F%98%80", "..%2F..%2Fetc%2Fpasswd", "%20"]


@pytest.mark.parametrize("path", ["/invitations/", "/reset-password/"])
def test_unknown_link_tokens_are_not_found(subtests, client, session, world, links, path):
    token = client.csrf_token("/sign-in")
    before = _state(session)

    for bad in BAD_TOKENS:
        for method in ("GET", "POST"):
            with subtests.test(f"{method} {path}{bad[:20]}"):
                if method == "GET":
                    page = client.get(path + bad)
                else:
                    page = client.post(path + bad, {"csrf_token": token, **ACCEPT})
                assert page.status == 404, page.status
                if "%2F" not in bad:  # an encoded slash is another path, no route at all
                    assert "expired or has already been used" in page.text
                assert _state(session) == before


def test_a_huge_request_body_is_refused(client, session, world):
    before = _state(session)
    page = client.post("/register", {**REGISTER, "name": "x" * (21 * 1024 * 1024)})
    assert page.status == 413
    assert _state(session) == before


def test_a_file_where_text_was_expected_is_an_error_message(client, session, world):
    before = _state(session)
    payload = {**form(REGISTER, {"email": None}), "csrf_token": client.csrf_token("/register"),
               "email": (io.BytesIO(b"ada@example.com"), "email.txt")}
    page = client.post("/register", payload, content_type="multipart/form-data")
    assert_rejected(page, "email", "Enter your email address")
    assert _state(session) == before


# --- Another organisation's ids ------------------------------------------------------

OTHER_ORGANISATION = [
    ("GET", "/organisations/{theirs.id}"),
    ("GET", "/organisations/{theirs.id}/invite"),
    ("POST", "/organisations/{theirs.id}/invite"),
    ("POST", "/organisations/{theirs.id}/summary"),
    ("POST", "/organisations/{theirs.id}/members/{outsider.id}/signatory"),
    ("GET", "/documents/{document.id}"),
    ("GET", "/documents/{document.id}/status.json"),
    ("GET", "/documents/{document.id}/download"),
    ("POST", "/documents/{document.id}/retry"),
]


def test_another_organisations_ids_are_not_found(subtests, client, session, world, their_document):
    client.sign_in(world["applicant"].email)  # through the form, once: the real session
    token = client.csrf_token("/home")
    before = _state(session)

    for method, pattern in OTHER_ORGANISATION:
        url = pattern.format(document=their_document, **world)
        with subtests.test(f"{method} {url}"):
            if method == "GET":
                page = client.get(url)
            else:
                page = client.post(url, {"csrf_token": token, "email": "x@example.com", "is_signatory": "y"})

            assert page.status == 404, page.status
            body = page.response.get_data(as_text=True)
            for secret in (SECRET_NAME, SECRET_COMPANY, SECRET_PERSON, "Zephyr", "Hiddenfield"):
                assert secret not in body
            assert _state(session) == before
