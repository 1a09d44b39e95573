"""Uploads: recognised by content, limited in size, stored under random keys, shown only to
the organisation (and to staff the caller's rule allows); refusals store nothing."""

import hashlib
import io
import re
import struct
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from pypdf import PdfWriter
from werkzeug.datastructures import FileStorage

from portfolio.forms.uploads import UploadForm
from portfolio.models import ApplicationStatus, AuditEvent, Role, StoredFile, Upload
from portfolio.services import uploads
from portfolio.services.errors import DomainError, NotFound
from portfolio.services.storage import get_storage

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="{target}" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/></Relationships>'
)


# --- real files, made here -------------------------------------------------------------

def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (0, 94, 165)).save(out, format=fmt)
    return out.getvalue()


def content_types_xml(overrides: dict[str, str]) -> str:
    parts = "".join(f'<Override PartName="/{name}" ContentType="{ctype}"/>' for name, ctype in overrides.items())
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{parts}</Types>"
    )


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def office_bytes(main_part: str, main_type: str, *, extra: dict | None = None,
                 content_types: str | None = None) -> bytes:
    return zip_bytes({
        "[Content_Types].xml": content_types or content_types_xml({main_part: main_type}),
        "_rels/.rels": RELS.format(target=main_part),
        main_part: '<?xml version="1.0" encoding="UTF-8"?><root/>',
        **(extra or {}),
    })


def docx_bytes(**kwargs) -> bytes:
    return office_bytes("word/document.xml", DOCX_MAIN, **kwargs)


def xlsx_bytes(**kwargs) -> bytes:
    return office_bytes("xl/workbook.xml", XLSX_MAIN, extra={"xl/worksheets/sheet1.xml": "<worksheet/>"}, **kwargs)


def declared_size_bomb() -> bytes:
    """A small docx whose central directory claims a 4 GB part: refused before reading."""
    content = bytearray(docx_bytes(extra={"word/media/big.bin": b"0" * 100}))
    index = content.index(b"PK\x01\x02")
    while content[index + 46:index + 46 + 18] != b"word/media/big.bin":  # its central directory entry
        index = content.index(b"PK\x01\x02", index + 4)
    content[index + 24:index + 28] = struct.pack("<I", 0xFFFFFFF0)  # its uncompressed size
    return bytes(content)


GOOD = {
    "pdf": pdf_bytes,
    "png": lambda: image_bytes("PNG"),
    "jpeg": lambda: image_bytes("JPEG"),
    "docx": docx_bytes,
    "xlsx": xlsx_bytes,
}

BAD = {
    "windows program": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
    "HTML": b"<!doctype html><html><script>alert(document.cookie)</script></html>",
    "SVG": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "plain text": b"just some words\n",
    "old Word .doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    "GIF": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "PDF header not at the start": b"\n%PDF-1.7\n",
    "zip of text files": zip_bytes({"notes.txt": "hello"}),
    "zip with office parts but no [Content_Types].xml": zip_bytes({"word/document.xml": "<root/>"}),
    "docx missing its main part": zip_bytes({"[Content_Types].xml": content_types_xml(
        {"word/document.xml": DOCX_MAIN})}),
    "macro-enabled Word (.docm)": office_bytes("word/document.xml", DOCM_MAIN),
    "macro-enabled Excel (.xlsm)": office_bytes("xl/workbook.xml", XLSM_MAIN),
    "docx carrying a VBA project": docx_bytes(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
    "Word template (.dotx)": office_bytes(
        "word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"),
    "XML entity expansion in [Content_Types].xml": docx_bytes(content_types=(
        '<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/><x>&b;</x></Types>')),
    "both a workbook and a document": office_bytes("word/document.xml", DOCX_MAIN, extra={
        "xl/workbook.xml": "<root/>",
        "[Content_Types].xml": content_types_xml({"word/document.xml": DOCX_MAIN, "xl/workbook.xml": XLSX_MAIN}),
    }),
    "zip bomb (declared size)": declared_size_bomb(),
    "zip with too many entries": docx_bytes(extra={f"word/media/{n}.txt": "" for n in range(1001)}),
    "truncated zip": docx_bytes()[:200],
}


# --- detection -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", GOOD)
def test_accepted_kinds_are_recognised_by_content(kind):
    assert uploads.detect_kind(GOOD[kind]()) == kind


@pytest.mark.parametrize("name", BAD)
def test_anything_else_is_not_recognised(name):
    assert uploads.detect_kind(BAD[name]) is None


def test_a_real_compression_bomb_is_refused_without_inflating_it():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types_xml({"word/document.xml": DOCX_MAIN}))
        archive.writestr("word/document.xml", "<root/>")
        with archive.open("word/media/zeros.bin", "w") as part:
            for _ in range(101):
                part.write(bytes(1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024
    assert uploads.detect_kind(out.getvalue()) is None


# --- saving ----------------------------------------------------------------------------

@pytest.fixture(params=["local", "database"])
def app_config(app_config, request):
    app_config["STORAGE_BACKEND"] = request.param
    return app_config


def upload_file(content: bytes, filename: str = "evidence.pdf", content_type: str = "application/pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename, content_type=content_type)


def stored_keys(app, session) -> set[str]:
    if app.config["STORAGE_BACKEND"] == "database":
        return set(session.scalars(sa.select(StoredFile.key)))
    root = Path(app.config["STORAGE_PATH"])
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def count(session, model, *where) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def save(session, user, file_storage, **kwargs):
    return uploads.save_upload(session, file_storage=file_storage, organisation=user.organisation, by=user,
                               purpose="application_evidence", **kwargs)


@pytest.mark.parametrize("kind", GOOD)
def test_upload_is_stored_under_a_random_key_with_its_sha256(app, session, make, kind):
    applicant = make.user(Role.APPLICANT)
    content = GOOD[kind]()
    upload = save(session, applicant, upload_file(content, filename=f"Our evidence.{kind}",
                                                  content_type="application/octet-stream"))
    session.commit()

    assert upload.kind == kind
    assert upload.content_type == uploads.CONTENT_TYPES[kind]
    assert upload.size == len(content)
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert re.fullmatch(r"uploads/[0-9a-f]{32}", upload.storage_key)
    assert upload.original_filename == f"Our evidence.{kind}"
    assert upload.organisation_id == applicant.organisation_id and upload.uploaded_by_id == applicant.id
    assert stored_keys(app, session) == {upload.storage_key}
    assert uploads.load(session, upload) == content
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "upload.created"))
    assert event.entity_type == "uploads" and event.entity_id == str(upload.id)
    assert event.after["sha256"] == upload.sha256 and event.after["kind"] == kind


def test_the_same_file_twice_gets_two_keys(app, session, make):
    applicant = make.user(Role.APPLICANT)
    content = pdf_bytes()
    first = save(session, applicant, upload_file(content))
    second = save(session, applicant, upload_file(content))
    assert first.storage_key != second.storage_key
    assert first.sha256 == second.sha256
    assert stored_keys(app, session) == {first.storage_key, second.storage_key}


def test_name_and_browser_content_type_are_ignored(app, session, make):
    applicant = make.user(Role.APPLICANT)
    upload = save(session, applicant, upload_file(image_bytes("PNG"), "scan.pdf", "application/pdf"))
    assert upload.kind == "png" and upload.content_type == "image/png"
    assert uploads.download_name(upload) == "scan.png"


@pytest.mark.parametrize("filename, shown", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
    ("/var/www/static/shell.pdf", "shell.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("line\nbreak\x00.pdf", "linebreak.pdf"),
    ("..", "file"),
])
def test_a_path_in_the_filename_never_reaches_storage(app, session, make, tmp_path, filename, shown):
    applicant = make.user(Role.APPLICANT)
    upload = save(session, applicant, upload_file(pdf_bytes(), filename))
    assert upload.original_filename == shown
    assert re.fullmatch(r"uploads/[0-9a-f]{32}", upload.storage_key)
    assert stored_keys(app, session) == {upload.storage_key}
    assert not (tmp_path / "etc").exists()
    assert not any(Path(app.config["STORAGE_PATH"]).parent.rglob("passwd*"))


def test_long_names_are_shortened_keeping_the_extension():
    assert uploads.display_filename("a" * 300 + ".docx") == "a" * 250 + ".docx"


def test_download_name_uses_the_detected_kind(app, session, make):
    applicant = make.user(Role.APPLICANT)
    photo = save(session, applicant, upload_file(image_bytes("JPEG"), "site photo.jpeg", "image/jpeg"))
    no_extension = save(session, applicant, upload_file(xlsx_bytes(), "costs", "text/plain"))
    assert uploads.download_name(photo) == "site photo.jpg"
    assert uploads.download_name(no_extension) == "costs.xlsx"


def _assert_nothing_saved(app, session):
    session.flush()
    assert count(session, Upload) == 0
    assert count(session, AuditEvent, AuditEvent.action.like("upload.%")) == 0
    assert stored_keys(app, session) == set()


@pytest.mark.parametrize(("name", "message"), [
    *[(name, "The selected file must be a PDF, XLSX, DOCX, PNG or JPEG")
      for name in ["windows program", "HTML", "SVG", "zip of text files", "macro-enabled Word (.docm)"]],
    ("zip bomb (declared size)", "The selected file must be smaller than 50MB when uncompressed"),
])
def test_refused_files_store_nothing(app, session, make, name, message):
    applicant = make.user(Role.APPLICANT)
    with pytest.raises(DomainError) as refused:
        save(session, applicant, upload_file(BAD[name], "harmless.pdf", "application/pdf"), field="evidence")
    assert refused.value.message == message
    assert refused.value.field == "evidence"
    _assert_nothing_saved(app, session)


def test_an_empty_file_is_refused(app, session, make):
    applicant = make.user(Role.APPLICANT)
    with pytest.raises(DomainError, match="^The selected file is empty$") as refused:
        save(session, applicant, upload_file(b""))
    assert refused.value.field == "file"
    _assert_nothing_saved(app, session)


@pytest.mark.parametrize("file_storage", [None, FileStorage(stream=io.BytesIO(b""), filename="")])
def test_no_file_chosen_is_refused(app, session, make, file_storage):
    applicant = make.user(Role.APPLICANT)
    with pytest.raises(DomainError, match="^Select a file$"):
        save(session, applicant, file_storage)
    _assert_nothing_saved(app, session)


def test_size_limit_is_inclusive_and_one_byte_more_is_refused(app, session, make):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    applicant = make.user(Role.APPLICANT)
    with pytest.raises(DomainError, match="^The selected file must be smaller than 2KB$"):
        save(session, applicant, upload_file(b"%PDF-" + b"x" * (2048 - 5 + 1)))
    _assert_nothing_saved(app, session)
    upload = save(session, applicant, upload_file(b"%PDF-" + b"x" * (2048 - 5)))
    assert upload.size == 2048


def test_default_limit_is_10mb(app):
    app.config.pop("UPLOAD_MAX_BYTES", None)
    assert uploads.max_bytes() == 10 * 1024 * 1024
    assert uploads.too_big_message(uploads.max_bytes()) == "The selected file must be smaller than 10MB"


class EndlessStream:
    """A file that never ends: reading it all would never finish."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "the upload was read without a limit"
        self.read_bytes += size
        return b"%PDF-" + b"x" * (size - 5) if self.read_bytes == size else b"x" * size


def test_only_one_byte_past_the_limit_is_read(app, session, make):
    app.config["UPLOAD_MAX_BYTES"] = 3 * 1024 * 1024
    applicant = make.user(Role.APPLICANT)
    stream = EndlessStream()
    with pytest.raises(DomainError, match="smaller than 3MB"):
        save(session, applicant, FileStorage(stream=stream, filename="big.pdf"))
    assert stream.read_bytes == 3 * 1024 * 1024 + 1


def test_owner_needs_both_type_and_id(app, session, make):
    applicant = make.user(Role.APPLICANT)
    with pytest.raises(ValueError):
        save(session, applicant, upload_file(pdf_bytes()), owner_type="application")


def test_uploads_for_lists_a_records_files(app, session, make):
    applicant = make.user(Role.APPLICANT)
    first = save(session, applicant, upload_file(pdf_bytes()), owner_type="application", owner_id=7)
    second = save(session, applicant, upload_file(docx_bytes()), owner_type="application", owner_id=7)
    save(session, applicant, upload_file(pdf_bytes()), owner_type="application", owner_id=8)
    uploads.delete_upload(session, upload=second, by=applicant)
    assert uploads.uploads_for(session, owner_type="application", owner_id=7) == [first]


# --- who may see it: whoever may read the record the file belongs to (portfolio.services.policy) ---

def _application_file(session, make, fund, uploader, *, assessor=None, status=ApplicationStatus.DRAFT):
    application = make.moderated_application(fund, organisation=uploader.organisation, assessor=assessor,
                                             status=status)
    upload = save(session, uploader, upload_file(pdf_bytes()), owner_type="application", owner_id=application.id)
    session.commit()
    return application, upload


def test_the_organisations_users_may_see_it(app, session, make, fund):
    uploader = make.user(Role.APPLICANT)
    colleague = make.user(Role.APPLICANT, organisation=uploader.organisation)
    application, upload = _application_file(session, make, fund, uploader)
    assert uploads.file_of(session, colleague, application, upload.id) is upload


def test_another_organisation_gets_not_found(app, session, make, fund):
    uploader = make.user(Role.APPLICANT)
    outsider = make.user(Role.APPLICANT)
    application, upload = _application_file(session, make, fund, uploader)
    with pytest.raises(NotFound):
        uploads.file_of(session, outsider, application, upload.id)
    with pytest.raises(NotFound):
        uploads.file_of(session, uploader, application, upload.id + 1000)


def test_staff_see_it_only_when_the_record_s_rule_allows(app, session, make, fund):
    """An assessor reads the files of a submitted application assigned to them, and of no other."""
    uploader = make.user(Role.APPLICANT)
    assigned, other = make.user(Role.ASSESSOR), make.user(Role.ASSESSOR)
    application, upload = _application_file(session, make, fund, uploader, assessor=assigned,
                                            status=ApplicationStatus.IN_ASSESSMENT)
    assert uploads.file_of(session, assigned, application, upload.id) is upload
    with pytest.raises(NotFound):
        uploads.file_of(session, other, application, upload.id)


def test_a_file_is_found_only_through_its_own_record(app, session, make, fund):
    uploader = make.user(Role.APPLICANT)
    application, upload = _application_file(session, make, fund, uploader)
    second, _ = _application_file(session, make, fund, uploader)
    with pytest.raises(NotFound):
        uploads.file_of(session, uploader, second, upload.id)


def test_a_deleted_upload_is_gone_for_everyone(app, session, make, fund):
    uploader = make.user(Role.APPLICANT)
    application, upload = _application_file(session, make, fund, uploader)
    uploads.delete_upload(session, upload=upload, by=uploader)
    uploads.delete_upload(session, upload=upload, by=uploader)  # twice: recorded once
    session.commit()
    assert upload.deleted_at is not None
    with pytest.raises(NotFound):
        uploads.file_of(session, uploader, application, upload.id)
    assert count(session, AuditEvent, AuditEvent.action == "upload.deleted") == 1
    assert stored_keys(app, session) == {upload.storage_key}  # bytes kept for the record


def test_changed_bytes_are_not_served(app, session, make):
    uploader = make.user(Role.APPLICANT)
    upload = save(session, uploader, upload_file(pdf_bytes()))
    get_storage(session).save(upload.storage_key, b"%PDF-tampered")
    with pytest.raises(RuntimeError, match="SHA-256"):
        uploads.load(session, upload)


# --- the form --------------------------------------------------------------------------

def test_form_asks_for_a_file(app):
    with app.test_request_context("/", method="POST", data={"file": (io.BytesIO(b""), "")}):
        form = UploadForm(meta={"csrf": False})
        assert not form.validate()
        assert form.file.errors == ["Select a file"]


def test_form_hands_the_file_to_the_service(app, session, make):
    applicant = make.user(Role.APPLICANT)
    content = docx_bytes()
    with app.test_request_context("/", method="POST", data={"file": (io.BytesIO(content), "plan.docx")}):
        form = UploadForm(meta={"csrf": False})
        assert form.validate(), form.errors
        upload = save(session, applicant, form.file.data)
    assert upload.kind == "docx" and uploads.load(session, upload) == content


def test_form_shows_a_service_refusal_on_the_field(app):
    with app.test_request_context("/", method="POST", data={"file": (io.BytesIO(b"MZ"), "a.pdf")}):
        form = UploadForm(meta={"csrf": False}, max_size_text="5MB")
        form.validate()
        form.add_error("file", uploads.WRONG_KIND)
        html = str(form.file())
    assert 'type="file"' in html and "govuk-file-upload" in html
    assert 'accept=".pdf,.xlsx,.docx,.png,.jpg,.jpeg"' in html
    assert "smaller than 5MB" in html
    assert uploads.WRONG_KIND in html
