"""Actor tokens: random secrets shown once, kept only as salted scrypt hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

#: scrypt cost for real tokens (OWASP's minimum for scrypt is N=2^17 for passwords; these
#: are 256-bit random tokens, which no cost makes guessable, so N=2^14 keeps a CLI call quick)
TOKEN_COST = 2**14


#: scrypt cost for passwords people choose: OWASP's minimum for scrypt (N=2^17, r=8)
PASSWORD_COST = 2**17
#: the memory scrypt may use: N=2^17, r=8 needs 128 MiB (hashlib's default allows 32)
_MAXMEM = 256 * 1024 * 1024


def issue_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str, cost: int = TOKEN_COST) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(token.encode(), salt=salt, n=cost, r=8, p=1, dklen=32, maxmem=_MAXMEM)
    return f"scrypt${cost}$8$1${_b64(salt)}${_b64(digest)}"


def hash_password(password: str) -> str:
    return hash_token(password, PASSWORD_COST)


def verify_token(token: str, stored: str) -> bool:
    try:
        scheme, cost, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            token.encode(),
            salt=_unb64(salt),
            n=int(cost),
            r=int(r),
            p=int(p),
            dklen=32,
            maxmem=_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
