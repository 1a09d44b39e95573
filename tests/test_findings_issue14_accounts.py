"""Issue 14's findings about accounts and uploads, each closed by a test: weak passwords, locking a
named person out by guessing their password, registration telling who is registered, and uploads
that carry active content or declare a huge size."""

import io
import re
import struct
import time
import zlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from werkzeug.datastructures import FileStorage

from portfolio.models import AuditEvent, Organisation, Region, Registration, Role, Upload, User
from portfolio.models.base import utcnow
from portfolio.services import uploads
from portfolio.services.errors import DomainError
from portfolio.services.passwords import password_problem
from tests.helpers import DEMO_PASSWORD, PageClient, link_in, path_of, sent_emails
from tests.test_applications import applicant, fund_manager, invited_application, upload  # noqa: F401 (fixtures)
from tests.test_uploads import docx_bytes, xlsx_bytes

WEAK_PASSWORDS = ["123456789012", "qwertyuiopas", "passwordpassword"]
STRONG = "violet-otter-lantern-93"


@pytest.mark.parametrize("weak", WEAK_PASSWORDS)
def test_weak_passwords_are_refused_with_zxcvbn_advice(weak):
    """Found: weak passwords pass: `123456789012`, `qwertyuiopas` and `passwordpassword` are accepted."""
    problem = password_problem(weak, email="ada@example.com", name="Ada Lovelace")
    assert problem is not None and problem.startswith("Password is too easy to guess.")
    assert "Add another word or two" in problem  # zxcvbn's suggestion, shown to the person
    assert password_problem(STRONG, email="ada@example.com", name="Ada Lovelace") is None


def test_a_password_made_of_the_persons_own_name_and_address_is_refused():
    """Found: weak passwords pass (the person's own name and email address count as easy to guess)."""
    assert password_problem("PriyaPennine", email="priya.shah@pennine.example", name="Priya Shah")
    assert password_problem("PriyaPennine", email="grace@hopper.example", name="Grace Hopper") is None


def test_weak_password_is_refused_when_accepting_an_invitation(app, client, make, session, run_jobs):
    """Found: weak passwords pass, wherever a password is set: here accepting an invitation."""
    admin = make.user(Role.ADMIN)
    session.commit()
    client.sign_in(admin.email)
    client.submit("/admin/users/invite", {"email": "new.assessor@ols.example", "role": "assessor"})
    run_jobs()
    path = path_of(link_in(sent_emails(app)[0], "/invitations/"))
    client.sign_out()
    for weak in WEAK_PASSWORDS:
        page = client.submit(path, {"name": "Asha New", "password": weak, "confirm_password": weak})
        assert page.status == 400
        assert page.field_error("password").startswith("Password is too easy to guess.")
        assert "Password is too easy to guess." in page.error_summary()[0]
    session.expire_all()
    assert session.scalar(sa.select(User).where(User.email == "new.assessor@ols.example")) is None


def test_weak_password_is_refused_when_resetting(app, client, make, session, run_jobs):
    """Found: weak passwords pass, wherever a password is set: here a password reset."""
    user = make.user(Role.FINANCE)
    session.commit()
    before = user.password_hash
    client.submit("/reset-password", {"email": user.email})
    run_jobs()
    path = path_of(link_in(sent_emails(app)[0], "/reset-password/"))
    page = client.submit(path, {"password": "qwertyuiopas", "confirm_password": "qwertyuiopas"})
    assert page.status == 400
    assert "This is similar to a commonly used password." in page.field_error("password")
    session.expire_all()
    assert session.get(User, user.id).password_hash == before


def test_weak_password_is_refused_by_create_admin(app, session):
    """Found: weak passwords pass, wherever a password is set: here `flask create-admin`."""
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["create-admin", "--email", "ada@ols.example", "--name", "Ada",
                               "--password", "passwordpassword"])
    assert weak.exit_code == 2 and "too easy to guess" in weak.output
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


class _LimiterClock:
    """The rate limiter's clock (its in-memory storage reads `time.time()`), moved on by the test."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def limiter_clock(monkeypatch):
    import limits.storage.memory

    clock = _LimiterClock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock


def _from(app, address: str) -> PageClient:
    person = PageClient(app)
    person.http.environ_base["REMOTE_ADDR"] = address
    return person


def test_guessing_a_persons_password_locks_them_out_for_a_short_back_off_only(app, make, session, limiter_clock):
    """Found: anyone can lock a named user out: after 10 wrong passwords for an e-mail address, the
    correct password gets 429 for 5 minutes."""
    victim = make.user(Role.FINANCE)
    session.commit()
    attacker = _from(app, "198.51.100.7")
    for _ in range(12):
        attacker.submit("/sign-in", {"email": victim.email, "password": "not-the-password"})
    refused = attacker.submit("/sign-in", {"email": victim.email, "password": "still-not-it-12"})
    assert refused.status == 429

    person = _from(app, "203.0.113.20")  # the real person, elsewhere, with the right password
    paused = person.submit("/sign-in", {"email": victim.email, "password": DEMO_PASSWORD})
    assert paused.status == 429
    assert paused.h1 == "Too many attempts"
    wait = re.search(r"Wait (\d+) seconds?, then try again", paused.text)
    assert wait and int(wait.group(1)) <= 60, paused.text
    assert int(paused.response.headers["Retry-After"]) <= 60
    assert person.get("/home").status == 302

    limiter_clock.advance(61)
    assert person.sign_in(victim.email).status == 302
    assert person.get("/home").status == 200


def test_successful_sign_ins_never_count_towards_the_limit(app, make, session):
    """Found: successful sign-ins also count towards the sign-in limit."""
    user = make.user(Role.FINANCE)
    session.commit()
    person = PageClient(app)
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit + 5):
        person.sign_in(user.email)
        person.sign_out()
    for _ in range(limit - 1):  # and the refused ones still do
        assert person.submit("/sign-in", {"email": user.email, "password": "not-the-password"}).status == 400
    assert person.sign_in(user.email).status == 302


REGISTRATION = {
    "organisation_name": "Pennine Cell Therapies Ltd",
    "company_number": "12345678",
    "postcode": "LS1 4AP",
    "region": Region.YORKSHIRE.value,
    "name": "Priya Shah",
    "email": "priya.shah@pennine.example",
    "password": STRONG,
    "confirm_password": STRONG,
}


def _audit_actions(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_registration_answers_the_same_whether_or_not_the_address_or_company_is_registered(
        app, client, make, session, run_jobs):
    """Found: registration tells whether an e-mail address or a company number is already registered."""
    existing = make.user(Role.APPLICANT, email="owner@known.example", name="Olu Owner",
                         organisation=make.organisation(name="Known Biotech Ltd", company_number="SC123456"))
    existing.is_signatory = True
    session.commit()

    new_everything = client.submit("/register", {**REGISTRATION, "email": "fresh@new.example"})
    taken_address = client.submit("/register", {**REGISTRATION, "email": "owner@known.example",
                                                "company_number": "87654321"})
    taken_company = client.submit("/register", {**REGISTRATION, "email": "curious@elsewhere.example",
                                                "company_number": "sc 123 456"})
    answers = [(page.status, page.h1, page.text.replace(address, "ADDRESS")) for page, address in (
        (new_everything, "fresh@new.example"), (taken_address, "owner@known.example"),
        (taken_company, "curious@elsewhere.example"))]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:2] == (200, "Check your email")
    assert client.get("/home").status == 302  # nobody is signed in by registering
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1  # nothing created yet
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1

    run_jobs()
    emails = {email["To"]: email for email in sent_emails(app)}
    assert set(emails) == {"fresh@new.example", "owner@known.example", "curious@elsewhere.example"}
    owner_mail = emails["owner@known.example"].get_payload(decode=True).decode()
    assert emails["owner@known.example"]["Subject"] == "Someone tried to register with your email address"
    assert "/sign-in" in owner_mail and "/reset-password" in owner_mail
    assert "/register/confirm/" not in owner_mail
    company_mail = emails["curious@elsewhere.example"].get_payload(decode=True).decode()
    assert "already registered" in company_mail and "Olu Owner" in company_mail  # whom to ask ...
    assert "owner@known.example" not in company_mail  # ... never their address
    assert "/register/confirm/" not in company_mail
    assert "/register/confirm/" in emails["fresh@new.example"].get_payload(decode=True).decode()
    assert _audit_actions(session) == [
        "registration.requested", "registration.existing_account", "registration.existing_organisation"]


def test_a_registration_is_confirmed_by_its_emailed_link_once(app, client, session, run_jobs):
    """Found: registration tells who is registered; so a new registration now waits for its emailed
    link, which works once and expires, before the account exists or can sign in."""
    client.submit("/register", REGISTRATION)
    run_jobs()
    path = path_of(link_in(sent_emails(app)[-1], "/register/confirm/"))
    registration = session.scalar(sa.select(Registration))
    assert path.rsplit("/", 1)[-1] not in registration.token_hash  # only the token's hash is kept
    page = client.submit("/sign-in", {"email": REGISTRATION["email"], "password": STRONG})
    assert page.status == 400  # no account until the link is followed

    confirm = client.get(path)
    assert confirm.status == 200 and "Pennine Cell Therapies Ltd" in confirm.text
    page = client.submit(path)
    assert page.status == 302 and page.location == "/home"
    assert client.get("/home").location == "/account/authenticator?next=/home"  # a signatory sets up a second factor
    client.set_up_authenticator("/account/authenticator?next=/home")
    assert "Pennine Cell Therapies Ltd" in client.get("/home").text
    session.expire_all()
    user = session.scalar(sa.select(User).where(User.email == REGISTRATION["email"]))
    assert user.role is Role.APPLICANT and user.is_signatory
    assert user.organisation.company_number == "12345678"
    assert _audit_actions(session)[-5:] == ["registration.confirmed", "organisation.registered", "user.registered",
                                            "two_factor.app_enrolled", "two_factor.recovery_codes_created"]

    client.sign_out()
    assert client.get(path).status == 404  # single use
    client.sign_in(REGISTRATION["email"], STRONG)


def test_an_expired_registration_link_creates_nothing(app, client, session, run_jobs):
    """Found: registration tells who is registered (its confirmation link expires)."""
    client.submit("/register", REGISTRATION)
    run_jobs()
    path = path_of(link_in(sent_emails(app)[-1], "/register/confirm/"))
    session.scalar(sa.select(Registration)).expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    page = client.get(path)
    assert page.status == 404 and "expired" in page.text
    assert client.submit(path, form_url="/sign-in").status == 404
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_two_registrations_of_one_company_the_first_confirmed_wins(app, client, session, run_jobs):
    """Found: registration tells who is registered; two people registering one company at once still
    end with one organisation, and nothing is said until the second one has proved their address."""
    first = client.submit("/register", REGISTRATION)
    second = client.submit("/register", {**REGISTRATION, "email": "colleague@pennine.example", "name": "Col League"})
    assert (first.status, first.h1) == (second.status, second.h1) == (200, "Check your email")
    run_jobs()
    links = {email["To"]: path_of(link_in(email, "/register/confirm/")) for email in sent_emails(app)}
    assert client.submit(links["priya.shah@pennine.example"]).status == 302
    client.sign_out()
    page = client.submit(links["colleague@pennine.example"])
    assert page.status == 400
    assert "already registered" in page.error_summary()[0]
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


# --- Uploads carrying active content, or declaring a huge size ----------------------------

def _pdf(build) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _javascript(writer) -> None:
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hello');")})


def _launch(writer) -> None:
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})


def _object_stream_pdf(objects: bytes) -> bytes:
    """A PDF 1.5 object stream (compressed) holding `objects`: nothing readable in the raw bytes."""
    packed = zlib.compress(objects)
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
            + str(len(packed)).encode() + b" >>\nstream\n" + packed + b"\nendstream\nendobj\n"
            b"3 0 obj\n<< /Type /Catalog /Pages 4 0 R /OpenAction 2 0 R >>\nendobj\ntrailer\n<< /Root 3 0 R >>\n%%EOF\n")


JAVASCRIPT = "The selected PDF must not contain JavaScript"
ACTIVE_PDFS = {
    "javascript": (_pdf(_javascript), JAVASCRIPT),
    "javascript-hex-escaped-names": (
        _pdf(_javascript)
        .replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 "), JAVASCRIPT),
    "javascript-in-a-compressed-object-stream": (
        _object_stream_pdf(b"2 0 << /S /JavaScript /JS (app.alert\\(1\\)) >>"), JAVASCRIPT),
    "launch-action": (_pdf(_launch),
                      "The selected PDF must not contain an action that opens another program or file"),
    "embedded-file": (_pdf(lambda writer: writer.add_attachment("payload.txt", b"hello")),
                      "The selected PDF must not contain embedded files"),
}


def _declares(content: bytes, part: bytes, size: int) -> bytes:
    """The package with `part`'s uncompressed size in the central directory changed to `size`."""
    content = bytearray(content)
    index = content.index(b"PK\x01\x02")
    while content[index + 46:index + 46 + len(part)] != part:
        index = content.index(b"PK\x01\x02", index + 4)
    content[index + 24:index + 28] = struct.pack("<I", size)
    return bytes(content)


DECLARES_95MB = _declares(docx_bytes(extra={"word/media/big.bin": b"0" * 100}), b"word/media/big.bin",
                          95 * 1024 * 1024)


def _squeezed_docx() -> bytes:
    """A docx with a 2 MB part of zeros, compressed about 1000:1."""
    return docx_bytes(extra={"word/media/zeros.bin": bytes(2 * 1024 * 1024)})


@pytest.mark.parametrize("name", ACTIVE_PDFS)
def test_pdfs_with_javascript_launch_actions_or_embedded_files_are_refused(app, session, make, name):
    """Found: accepted uploads include a PDF carrying JavaScript."""
    content, message = ACTIVE_PDFS[name]
    applicant = make.user(Role.APPLICANT)
    with pytest.raises(DomainError) as refused:
        uploads.save_upload(session, file_storage=FileStorage(io.BytesIO(content), "plan.pdf"),
                            organisation=applicant.organisation, by=applicant, purpose="application_evidence")
    assert (refused.value.message, refused.value.field) == (message, "file")
    session.flush()
    assert session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0


def test_ordinary_pdfs_are_still_accepted():
    """Found: a PDF carrying JavaScript was accepted (and the fix must not refuse ordinary PDFs)."""
    plain = _pdf(lambda writer: None)
    linked = _pdf(lambda writer: writer.add_uri(0, "https://www.gov.uk/", [0, 0, 100, 100]))
    opens_at_page_one = _pdf(lambda writer: writer._root_object.__setitem__(
        NameObject("/OpenAction"), ArrayObject([writer.pages[0].indirect_reference, NameObject("/Fit")])))
    for content in (plain, linked, opens_at_page_one, _object_stream_pdf(b"2 0 << /Type /Page >>")):
        assert uploads.content_problem(content) is None


def test_office_files_declaring_a_huge_uncompressed_size_are_refused(app, session, make):
    """Found: accepted uploads include an Office file declaring 95 MB uncompressed."""
    applicant = make.user(Role.APPLICANT)
    for content, message in [
        (DECLARES_95MB, "The selected file must be smaller than 50MB when uncompressed"),
        (_squeezed_docx(), "The selected file is compressed far more than a real document is"),
    ]:
        with pytest.raises(DomainError) as refused:
            uploads.save_upload(session, file_storage=FileStorage(io.BytesIO(content), "plan.docx"),
                                organisation=applicant.organisation, by=applicant, purpose="application_evidence")
        assert refused.value.message.startswith(message) and refused.value.field == "file"
    session.flush()
    assert session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
    assert uploads.content_problem(docx_bytes()) is None and uploads.content_problem(xlsx_bytes()) is None


def test_the_uncompressed_limit_is_a_setting(app):
    """Found: an Office file declaring 95 MB uncompressed was accepted; the limit is UPLOAD_MAX_UNCOMPRESSED_MB."""
    app.config["UPLOAD_MAX_UNCOMPRESSED_MB"] = 20
    assert uploads.content_problem(DECLARES_95MB) == "The selected file must be smaller than 20MB when uncompressed"


def test_a_refused_upload_is_a_form_error_on_the_page(client, session, fund, applicant, fund_manager):
    """Found: accepted uploads include a PDF carrying JavaScript and an Office file declaring 95 MB
    uncompressed; on the page each is a 400 with the reason by the file field, and nothing is saved."""
    application = invited_application(session, fund, applicant, fund_manager)
    client.sign_in(applicant.email)
    for content, filename, message in [
        (ACTIVE_PDFS["javascript"][0], "plan.pdf", JAVASCRIPT),
        (ACTIVE_PDFS["embedded-file"][0], "plan.pdf", "The selected PDF must not contain embedded files"),
        (DECLARES_95MB, "costs.docx", "The selected file must be smaller than 50MB when uncompressed"),
    ]:
        page = upload(client, application.id, content, filename)
        assert page.status == 400, filename
        assert page.field_error("file") == message
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(Upload)) == 0
