"""One interface for generated files and uploads, whichever machine asks.

`database` keeps the bytes in PostgreSQL (table stored_files), so web and worker processes
on different machines see the same files; `local` is a folder under instance/ for the
embedded default. Keys are chosen by the caller and are safe to overwrite, which keeps
jobs idempotent.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app
from sqlalchemy.orm import Session

from portfolio.models import StoredFile

_KEY = re.compile(r"^[a-z0-9][a-z0-9_\-/.]{0,99}$")


@dataclass(frozen=True)
class Saved:
    key: str
    size: int
    checksum: str


class Storage(Protocol):
    def save(self, key: str, content: bytes) -> Saved: ...
    def load(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


def _check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ValueError(f"invalid storage key {key!r}")
    return key


def _saved(key: str, content: bytes) -> Saved:
    return Saved(key, len(content), hashlib.sha256(content).hexdigest())


class LocalStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def save(self, key: str, content: bytes) -> Saved:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_bytes(content)
        partial.replace(path)  # atomic: a reader never sees half a file
        return _saved(key, content)

    def load(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class DatabaseStorage:
    """Bytes in the stored_files table, written in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, key: str, content: bytes) -> Saved:
        saved = _saved(_check_key(key), content)
        row = self.session.get(StoredFile, key) or StoredFile(key=key)
        row.content, row.size, row.checksum = content, saved.size, saved.checksum
        self.session.add(row)
        self.session.flush()
        return saved

    def load(self, key: str) -> bytes:
        row = self.session.get(StoredFile, _check_key(key))
        if row is None:
            raise FileNotFoundError(key)
        return row.content

    def delete(self, key: str) -> None:
        row = self.session.get(StoredFile, _check_key(key))
        if row is not None:
            self.session.delete(row)
            self.session.flush()


def get_storage(session: Session) -> Storage:
    backend = current_app.config["STORAGE_BACKEND"]
    if backend == "database":
        return DatabaseStorage(session)
    if backend == "local":
        return LocalStorage(current_app.config["STORAGE_PATH"])
    raise RuntimeError(f"unknown STORAGE_BACKEND {backend!r} (use 'database' or 'local')")
