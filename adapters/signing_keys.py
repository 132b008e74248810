"""Inspectors' Ed25519 key files: made, read, and used to sign, outside the database.

A private key file is read only to sign one anchor: the key stays in this process and
only the signature is written. Public keys are read from PEM (`-----BEGIN PUBLIC
KEY-----`, several in one file allowed) or OpenSSH lines (`ssh-ed25519 AAAA…`); a trust
list (`audit verify --trust`) is such a file or a folder of them."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflow.audit_signing import fingerprint
from workflow.errors import BontotError

PASSPHRASE_ENV = "BONTOT_KEY_PASSPHRASE"
_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", re.S)
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


class KeyFileError(BontotError):
    """A key file that cannot be read as an Ed25519 key."""


def generate(path: Path) -> tuple[Path, str]:
    """A new key pair: the private key at `path` (PKCS#8 PEM, readable by its owner
    only), the public one beside it (`path.pub`). The public file and its fingerprint."""
    if path.exists():
        raise KeyFileError(f"{path} exists already: a key is never overwritten")
    key = Ed25519PrivateKey.generate()
    secret = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    public = path.with_name(path.name + ".pub")
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public, fingerprint(key.public_key().public_bytes(*_RAW))


def signer(path: Path) -> tuple[bytes, Callable[[bytes], str]]:
    """The raw public key of a private key file, and a function signing with it (the
    signature in base64). A passphrase, if the file has one, from $BONTOT_KEY_PASSPHRASE."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot be read ({exc.strerror})") from None
    passphrase = os.environ.get(PASSPHRASE_ENV)
    secret = passphrase.encode() if passphrase else None
    key: object
    try:
        if data.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY"):
            key = serialization.load_ssh_private_key(data, secret)
        else:
            key = serialization.load_pem_private_key(data, secret)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not a private key this can read ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key")

    def sign(message: bytes) -> str:
        return base64.b64encode(key.sign(message)).decode()

    return key.public_key().public_bytes(*_RAW), sign


def public_keys(path: Path) -> list[bytes]:
    """The raw Ed25519 public keys of a file (or of every file of a folder)."""
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    found: list[bytes] = []
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyFileError(f"{file}: cannot be read as a key file ({exc})") from None
        blocks = _PEM.findall(text) + [
            line.strip() for line in text.splitlines() if line.strip().startswith("ssh-ed25519 ")
        ]
        for block in blocks:
            found.append(_public(file, block))
    if not found:
        raise KeyFileError(f"{path}: no Ed25519 public key in it")
    return found


def _public(file: Path, block: str) -> bytes:
    try:
        key = (
            serialization.load_ssh_public_key(block.encode())
            if block.startswith("ssh-")
            else serialization.load_pem_public_key(block.encode())
        )
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{file}: a key in it cannot be read ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{file}: a key in it is not Ed25519")
    return key.public_bytes(*_RAW)


def trusted(path: Path) -> dict[str, bytes]:
    """The trust list: fingerprint -> raw public key."""
    return {fingerprint(key): key for key in public_keys(path)}
