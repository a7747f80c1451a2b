"""Teachers' ID numbers at rest: reuses the student-aid module's encryption (``dudao.aid.crypto``: Fernet
with rotating keys, HMAC-SHA256 lookup hash) and its ID-number rules (``dudao.aid.idnumber``), so both kinds of
person share one key management (``dudao aid rotate-keys``) and one masking convention."""

from __future__ import annotations

from dudao.aid import crypto as _crypto
from dudao.aid import idnumber as _id


def normalise(raw: object) -> str:
    return _id.normalise_id(raw)


def encrypt(id_number: str) -> str:
    return _crypto.encrypt(normalise(id_number))


def decrypt(token: str) -> str:
    return _crypto.decrypt(token)


def digest(id_number: str) -> str:
    """The keyed hash of the normalised number: finds a teacher again without decrypting every row."""
    return _crypto.id_hash(normalise(id_number))


def mask(id_number: str) -> str:
    return _id.mask_id(id_number)


def id_check(id_number: str) -> bool:
    """Valid form, region, birth date and check character (GB 11643-1999)."""
    return _id.id_problem(id_number) is None


def with_check(first17: str) -> str:
    return first17 + _id.check_char(first17)
