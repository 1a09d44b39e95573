"""Password policy and hashing (scrypt, through Werkzeug)."""

import hashlib
import hmac
import re
import secrets
import threading
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn scores 0 to 4; 3 is "safely unguessable" (about 10^8 guesses or more), so a password must
# survive an online attack and a slow-hash offline one (NCSC password guidance).
MIN_STRENGTH = 3
# Words anyone guessing a Portfolio password would try first.
_SERVICE_WORDS = ("portfolio", "office for life sciences", "life sciences", "lsimf")
# zxcvbn keeps the person's own words in a module-level dictionary while it scores a password,
# so two threads scoring at once take turns.
_ZXCVBN_LOCK = threading.Lock()


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a ranked list of the ~30,000 most common passwords from real breaches.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """Why a password is refused, in words for the user; None when it is acceptable.

    A password must be long enough, not on the common-password list, and strong by zxcvbn's
    measure once the person's own email address and name are counted as easy to guess; when it is
    not, zxcvbn's warning and suggestions say how to make it stronger."""
    if len(password) < MIN_LENGTH:
        return f"Password must be {MIN_LENGTH} characters or more"
    if len(password) > MAX_LENGTH:
        return f"Password must be {MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        return "Password is too common. Choose a password that is harder to guess"
    if email and lowered == email.strip().lower():
        return "Password must not be your email address"
    result = _strength(password, _personal_words(email, name))
    if result["score"] >= MIN_STRENGTH:
        return None
    feedback = result["feedback"]
    advice = [feedback.get("warning") or "", *feedback.get("suggestions", [])]
    advice = [_sentence(text) for text in advice if text]
    if not advice:
        advice = ["Add another word or two. Uncommon words are better."]
    return " ".join(["Password is too easy to guess.", *advice])


def _strength(password: str, user_inputs: list[str]) -> dict:
    from zxcvbn import zxcvbn  # imported on first use: loading its dictionaries takes a moment

    with _ZXCVBN_LOCK:
        return zxcvbn(password, user_inputs=user_inputs, max_length=MAX_LENGTH)


def _personal_words(email: str | None, name: str | None) -> list[str]:
    """The person's email address and name, whole and in parts (zxcvbn matches whole words)."""
    words = [*_SERVICE_WORDS]
    for text in (email, name):
        if text:
            text = text.strip().lower()
            words.append(text)
            words.extend(part for part in re.split(r"[^\w]+", text) if len(part) >= 3)
    return words


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


# A hash to check against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = None


def check_dummy(password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16))
    check_password_hash(_DUMMY_HASH, password)


def new_token() -> tuple[str, str]:
    """A URL-safe secret for a link, and the hash of it that is stored."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
