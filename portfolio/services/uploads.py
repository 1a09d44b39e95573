"""Files users upload: PDF, XLSX, DOCX, PNG or JPEG, recognised by their content.

The name and content type the browser sends are never trusted: `detect_kind` reads the
bytes (magic numbers, and for XLSX/DOCX the package's [Content_Types].xml). `content_problem`
refuses what an accepted kind may still carry: a PDF with JavaScript, a launch action or embedded
files, and an Office package that declares too much uncompressed data or is compressed far beyond
what a real document is. The bytes are stored through `get_storage` under a random key, so nothing
the user typed reaches a path; the name they gave is kept, cleaned, for display only.
"""

import hashlib
import io
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from portfolio.models import Organisation, Upload, User
from portfolio.models.base import utcnow
from portfolio.models.records import record_type_of
from portfolio.services import audit, policy
from portfolio.services.errors import DomainError, NotFound
from portfolio.services.storage import get_storage

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "png": "image/png",
    "jpeg": "image/jpeg",
}
EXTENSIONS = {"pdf": "pdf", "xlsx": "xlsx", "docx": "docx", "png": "png", "jpeg": "jpg"}

_PDF = b"%PDF-"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_ZIP = b"PK\x03\x04"

# XLSX and DOCX are ZIP packages. These limits refuse zip bombs before anything is
# decompressed, and only [Content_Types].xml is ever decompressed (at most 1 MB of it).
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024
_MAX_CONTENT_TYPES_XML = 1024 * 1024
_OPC = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# The main part each kind must have, and the content type it must be declared with. A
# macro-enabled (.xlsm/.docm) or template (.xltx/.dotx) main part has another type.
_OFFICE_MAIN_PARTS = {
    "xlsx": ("xl/workbook.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "docx": ("word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
}
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
               NotImplementedError, RuntimeError, ValueError, ET.ParseError)

# What an Office package (a ZIP) may declare once uncompressed (UPLOAD_MAX_UNCOMPRESSED_MB), and how
# far one part may be compressed: Office XML compresses about 10:1, a compression bomb 1000:1.
DEFAULT_MAX_UNCOMPRESSED_MB = 50
MAX_COMPRESSION_RATIO = 200
_RATIO_APPLIES_FROM = 1024 * 1024  # small parts (a few KB of zeros) may compress as they like

# PDF names that make a document run or open something when it is read (issue 14): JavaScript
# (/JS, /JavaScript, also as an /OpenAction or /AA action), /Launch actions, and embedded files.
_PDF_ACTIVE = {
    b"JS": "The selected PDF must not contain JavaScript",
    b"JavaScript": "The selected PDF must not contain JavaScript",
    b"Launch": "The selected PDF must not contain an action that opens another program or file",
    b"EmbeddedFile": "The selected PDF must not contain embedded files",
    b"EmbeddedFiles": "The selected PDF must not contain embedded files",
}
# A name: "/" then regular characters; "#xx" writes any byte in hex, so /J#61vaScript is /JavaScript.
_DELIMITER = rb"\x00\t\n\x0c\r /\[\]<>(){}%"
_PDF_ANY_NAME = re.compile(rb"/([^" + _DELIMITER + rb"]+)")
_PDF_NAME = re.compile(rb"/(JS|JavaScript|Launch|EmbeddedFiles?|ObjStm)(?=[" + _DELIMITER + rb"]|$)")
_PDF_ESCAPED_NAME = re.compile(rb"/([^" + _DELIMITER + rb"]*#[0-9A-Fa-f]{2}[^" + _DELIMITER + rb"]*)")
_MAX_ESCAPED_NAMES = 20000  # real files escape a few font names ("/Arial#20Bold"), not thousands
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
# Object streams (PDF 1.5) hold dictionaries compressed: each is inflated to look inside, within
# a budget for the whole file.
_PDF_STREAM = re.compile(rb"\bstream(?:\r\n|\n|\r)")
_PDF_HEADER_WINDOW = 4096
_MAX_OBJECT_STREAMS = 5000
_PDF_INFLATE_BUDGET = 32 * 1024 * 1024
_PDF_OTHER_FILTERS = {b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85", b"LZWDecode", b"LZW", b"RunLengthDecode",
                      b"RL", b"Crypt"}
PDF_UNCHECKED = ("The selected PDF could not be checked for JavaScript or embedded files. "
                 "Save it as a new PDF and try again")

WRONG_KIND = "The selected file must be a PDF, XLSX, DOCX, PNG or JPEG"
EMPTY = "The selected file is empty"
NO_FILE = "Select a file"


def detect_kind(content: bytes) -> str | None:
    """'pdf', 'xlsx', 'docx', 'png' or 'jpeg' from the bytes themselves; None for anything else."""
    if content.startswith(_PDF):
        return "pdf"
    if content.startswith(_PNG):
        return "png"
    if content.startswith(_JPEG):
        return "jpeg"
    if content.startswith(_ZIP):
        return _office_kind(content)
    return None


def _office_kind(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                return None
            if sum(entry.file_size for entry in entries) > MAX_ZIP_UNCOMPRESSED:
                return None
            # Part names are case-insensitive; two entries with one name could be read
            # differently by different programs, so such an archive is refused.
            parts = {entry.filename.lower(): entry for entry in entries}
            if len(parts) != len(entries):
                return None
            if any(name.endswith("vbaproject.bin") for name in parts):
                return None
            content_types = parts.get("[content_types].xml")
            if content_types is None or content_types.file_size > _MAX_CONTENT_TYPES_XML:
                return None
            with archive.open(content_types) as stream:
                xml = stream.read(_MAX_CONTENT_TYPES_XML + 1)
            if len(xml) > _MAX_CONTENT_TYPES_XML:
                return None
            defaults, overrides = _parse_content_types(xml)
    except _ZIP_ERRORS:
        return None
    if defaults is None:
        return None
    declared = [*defaults.values(), *overrides.values()]
    if any("macroenabled" in value or "vbaproject" in value for value in declared):
        return None
    found = []
    for kind, (part, main_type) in _OFFICE_MAIN_PARTS.items():
        declared_type = overrides.get(f"/{part}") or defaults.get(part.rsplit(".", 1)[-1])
        if part in parts and declared_type == main_type:
            found.append(kind)
    return found[0] if len(found) == 1 else None


def _parse_content_types(xml: bytes) -> tuple[dict | None, dict]:
    """Defaults (extension -> type) and overrides (part name -> type), all lower case.

    Office writes this file as plain UTF-8 with no DTD, entities or comments; refusing any
    `<!` keeps entity expansion tricks away from the XML parser."""
    xml = xml.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not xml.startswith(b"<") or b"<!" in xml:
        return None, {}
    root = ET.fromstring(xml)
    if root.tag != f"{_OPC}Types":
        return None, {}
    defaults = {
        element.get("Extension", "").lower(): element.get("ContentType", "").lower()
        for element in root.iter(f"{_OPC}Default")
    }
    overrides = {
        element.get("PartName", "").lower(): element.get("ContentType", "").lower()
        for element in root.iter(f"{_OPC}Override")
    }
    return defaults, overrides


def content_problem(content: bytes) -> str | None:
    """Why a file that looks like a PDF or an Office package is refused all the same, in words for
    the person uploading it; None when there is nothing wrong with it."""
    if content.startswith(_PDF):
        return _pdf_problem(content)
    if content.startswith(_ZIP):
        return _zip_problem(content)
    return None


def max_uncompressed_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_UNCOMPRESSED_MB", DEFAULT_MAX_UNCOMPRESSED_MB)) * 1024 * 1024


def _zip_problem(content: bytes) -> str | None:
    """Sizes as the package's central directory declares them: nothing is inflated to learn them."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except _ZIP_ERRORS:
        return None  # not a readable package: detect_kind refuses it as the wrong kind
    limit = max_uncompressed_bytes()
    if sum(entry.file_size for entry in entries) > limit:
        return f"The selected file must be smaller than {size_text(limit)} when uncompressed"
    for entry in entries:
        if (entry.file_size >= _RATIO_APPLIES_FROM
                and entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1)):
            return ("The selected file is compressed far more than a real document is, so it cannot be "
                    "checked safely. Save it again as a new file and upload that")
    return None


def _pdf_problem(content: bytes) -> str | None:
    """The first active-content name in the file's bytes, or inside one of its object streams.

    Every step is linear in the file's size (each object stream's header is looked for within a
    few KB of its /ObjStm name, and there may be at most _MAX_OBJECT_STREAMS of them)."""
    object_streams = []
    problem = _active_name(content, object_streams)
    if problem:
        return problem
    if len(object_streams) > _MAX_OBJECT_STREAMS:
        return PDF_UNCHECKED
    budget = _PDF_INFLATE_BUDGET
    for position in object_streams:
        # The stream's dictionary: from its "obj" keyword to the "stream" keyword after /ObjStm.
        start = content.rfind(b"obj", max(0, position - _PDF_HEADER_WINDOW), position)
        stream = _PDF_STREAM.search(content, position, position + _PDF_HEADER_WINDOW)
        if start == -1 or stream is None:
            continue  # the name /ObjStm somewhere else, not an object stream's header
        header = _pdf_names(content[start:stream.start()])
        if header & _PDF_OTHER_FILTERS or b"Predictor" in header:
            return PDF_UNCHECKED  # compressed in a way this check does not undo
        end = content.find(b"endstream", stream.end())
        data = content[stream.end():end if end != -1 else len(content)]
        if b"FlateDecode" in header or b"Fl" in header:
            try:
                data = zlib.decompressobj().decompress(data, budget + 1)
            except zlib.error:
                return PDF_UNCHECKED
        budget -= len(data)
        if budget < 0:
            return PDF_UNCHECKED
        problem = _active_name(data, [])
        if problem:
            return problem
    return None


def _active_name(data: bytes, object_streams: list[int]) -> str | None:
    """Why `data` is refused, from the names in it; notes where each /ObjStm name ends (up to one
    more than _MAX_OBJECT_STREAMS). The regular expressions do the scanning, so a file made of
    nothing but names is still quick to check."""
    for match in _PDF_NAME.finditer(data):
        name = match.group(1)
        if name in _PDF_ACTIVE:
            return _PDF_ACTIVE[name]
        object_streams.append(match.end())  # /ObjStm
        if len(object_streams) > _MAX_OBJECT_STREAMS:
            break
    for count, match in enumerate(_PDF_ESCAPED_NAME.finditer(data)):
        if count >= _MAX_ESCAPED_NAMES:
            return PDF_UNCHECKED
        name = _unescape_name(match.group(1))
        if name in _PDF_ACTIVE:
            return _PDF_ACTIVE[name]
        if name == b"ObjStm" and len(object_streams) <= _MAX_OBJECT_STREAMS:
            object_streams.append(match.end())
    return None


def _pdf_names(data: bytes) -> set[bytes]:
    return {_unescape_name(name) for name in _PDF_ANY_NAME.findall(data)}


def _unescape_name(name: bytes) -> bytes:
    return _PDF_HEX.sub(lambda hex_: bytes([int(hex_.group(1), 16)]), name)


def display_filename(name: str | None) -> str:
    """The user's file name, safe to show: no folders, no control or direction-changing
    characters (which can disguise 'exe' as 'pdf'), at most 255 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    name = " ".join(name.split()).strip(" .")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[:254 - len(extension)]}.{extension}"
        else:
            name = name[:255]
    return name or "file"


def download_name(upload: Upload) -> str:
    """The name to offer on download: the user's name with the extension of what the file
    really is."""
    stem, dot, _ = upload.original_filename.rpartition(".")
    return f"{stem if dot and stem else upload.original_filename}.{EXTENSIONS[upload.kind]}"


def max_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def size_text(size: int) -> str:
    """10485760 -> '10MB', GOV.UK style."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            return f"{round(size / factor, 1):g}{unit}"
    return f"{size} bytes"


def too_big_message(limit: int) -> str:
    return f"The selected file must be smaller than {size_text(limit)}"


def _read_at_most(stream, limit: int) -> bytes:
    chunks, remaining = [], limit
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def save_upload(
    session: Session,
    *,
    file_storage: FileStorage | None,
    organisation: Organisation,
    by: User,
    purpose: str,
    owner=None,
    owner_type: str | None = None,
    owner_id: int | None = None,
    field: str = "file",
) -> Upload:
    """Check the file, store its bytes under a random key and record it against `owner`, the record
    it belongs to (or the typed reference `owner_type`/`owner_id`): whoever may read that record may
    read the file.

    :raise DomainError: (on `field`) no file, an empty or too large file, or not one of the
        accepted kinds. Nothing is stored or recorded then.
    """
    if owner is not None:
        owner_type, owner_id = record_type_of(owner), owner.id
    if (owner_type is None) != (owner_id is None):
        raise ValueError("give both owner_type and owner_id, or neither")
    if not isinstance(file_storage, FileStorage) or not file_storage.filename:
        raise DomainError(NO_FILE, field=field)
    limit = max_bytes()
    # Read one byte past the limit: enough to know it is too big without reading it all.
    content = _read_at_most(file_storage.stream, limit + 1)
    if not content:
        raise DomainError(EMPTY, field=field)
    if len(content) > limit:
        raise DomainError(too_big_message(limit), field=field)
    problem = content_problem(content)
    if problem:
        raise DomainError(problem, field=field)
    kind = detect_kind(content)
    if kind is None:
        raise DomainError(WRONG_KIND, field=field)

    sha256 = hashlib.sha256(content).hexdigest()
    saved = get_storage(session).save(f"uploads/{uuid.uuid4().hex}", content)
    upload = Upload(
        organisation=organisation,
        uploaded_by=by,
        original_filename=display_filename(file_storage.filename),
        content_type=CONTENT_TYPES[kind],
        kind=kind,
        size=saved.size,
        sha256=sha256,
        storage_key=saved.key,
        purpose=purpose,
        owner_type=owner_type,
        owner_id=owner_id,
    )
    session.add(upload)
    audit.record(session, actor=by, action="upload.created", entity=upload, after={
        "organisation_id": organisation.id, "filename": upload.original_filename, "kind": kind,
        "size": upload.size, "sha256": sha256, "purpose": purpose,
        "owner_type": owner_type, "owner_id": owner_id,
    })
    return upload


def file_of(session: Session, user: User, record, upload_id: int) -> Upload:
    """One of `record`'s files, if `user` may read it: exactly who may read the record
    (portfolio.services.policy).

    :raise NotFound: it does not exist, belongs to another record, was deleted, or the user may not
        know it exists.
    """
    upload = session.get(Upload, upload_id)
    if (upload is None or upload.owner_type != record_type_of(record) or upload.owner_id != record.id
            or not policy.may_read(user, upload)):
        raise NotFound()
    return upload


def file_of_any(session: Session, user: User, records, upload_id: int) -> Upload:
    """A file belonging to any one of `records` (a partnership's progress updates, say), if `user`
    may read it. :raise NotFound: as for file_of."""
    for record in records:
        upload = session.get(Upload, upload_id)
        if upload is not None and upload.owner_type == record_type_of(record) and upload.owner_id == record.id:
            return file_of(session, user, record, upload_id)
    raise NotFound()


def files_of(session: Session, record) -> list[Upload]:
    """The files attached to a record, oldest first, deleted ones left out."""
    return uploads_for(session, owner_type=record_type_of(record), owner_id=record.id)


def uploads_for(session: Session, *, owner_type: str, owner_id: int) -> list[Upload]:
    """The files attached to one record, oldest first, deleted ones left out."""
    return list(session.scalars(
        sa.select(Upload)
        .where(Upload.owner_type == owner_type, Upload.owner_id == owner_id,
               Upload.deleted_at.is_(None))
        .order_by(Upload.id)
    ))


def load(session: Session, upload: Upload) -> bytes:
    """The stored bytes, checked against the SHA-256 taken when they were uploaded.

    :raise RuntimeError: the stored bytes were changed after upload.
    """
    content = get_storage(session).load(upload.storage_key)
    if hashlib.sha256(content).hexdigest() != upload.sha256:
        raise RuntimeError(f"upload {upload.id}: stored bytes do not match their SHA-256")
    return content


def delete_upload(session: Session, *, upload: Upload, by: User) -> None:
    """Hide the upload from everyone. The bytes are kept (the audit trail refers to them)."""
    if upload.deleted_at is not None:
        return
    upload.deleted_at = utcnow()
    audit.record(session, actor=by, action="upload.deleted", entity=upload,
                 after={"deleted_at": upload.deleted_at})
