"""Inspectors' keys and the anchors they sign; passwords an administrator sets.

The private key never reaches this module: the entry point reads the key file and
hands in the public key and a function that signs bytes. Registering or revoking a key
and setting a password are facts of the audit-event chain (the registers replay them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workflow.access import ADMINISTRATOR, AUDITOR
from workflow.audit_signing import SIGNATURE, anchor_message, fingerprint, next_seal
from workflow.clock import Clock
from workflow.errors import Reason
from workflow.service.actors import Actors, Refused, TokenSource, no_token
from workflow.service.ports import UnitOfWork
from workflow.timefmt import to_db

#: a key's name: the safe character set of actor ids
_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
#: who may sign an anchor: an administrator, or an inspector (auditor)
SIGNERS = (ADMINISTRATOR, AUDITOR)
#: the shortest password accepted (NIST SP 800-63B asks at least 8)
MIN_PASSWORD = 8

#: (raw public key, sign(message) -> base64 signature)
Signer = tuple[bytes, Callable[[bytes], str]]
#: (name, public key hex, fingerprint, added at, added by, revoked at)
KeyRow = tuple[str, str, str, str, str, str | None]


class Inspectors:
    def __init__(self, uow: UnitOfWork, actors: Actors, clock: Clock) -> None:
        self.uow = uow
        self.actors = actors
        self.clock = clock

    def add_key(self, name: str, public_key: bytes, by: str, token: TokenSource = no_token) -> str:
        """Register an inspector's public key under `name`; its fingerprint."""
        if not _KEY_NAME.fullmatch(name):
            raise Refused(Reason(f"key name {name!r}: only letters, digits and . _ @ -",
                                 "reason.key_name", name=name))  # fmt: skip
        self.actors.authenticate(by, "audit keys add", token, administrator=True)
        printed = fingerprint(public_key)
        with self.uow:
            self.uow.actors.add_key(name, public_key.hex(), printed, self.clock.now(), by)
            self.uow.commit()
        return printed

    def revoke_key(self, name: str, by: str, token: TokenSource = no_token) -> None:
        """A key's later signatures no longer count (earlier ones keep proving)."""
        self.actors.authenticate(by, "audit keys revoke", token, administrator=True)
        with self.uow:
            done = self.uow.actors.revoke_key(name, self.clock.now(), by)
            self.uow.commit()
        if not done:
            raise Refused(Reason(f"no active key {name!r}", "reason.no_active_key", name=name))

    def registered(self) -> list[KeyRow]:
        return self.uow.actors.inspector_keys()

    def sign_anchor(
        self,
        by: str,
        signer: Signer,
        token: TokenSource = no_token,
        backdated: str | None = None,
    ) -> dict[str, Any]:
        """An anchor over every chain's head, signed with a registered, unrevoked key
        (the signature is written, the key is not)."""
        grant = self.actors.authenticate(by, "audit anchor --sign", token, backdated)
        if grant is not None and grant.role not in SIGNERS:
            raise self.actors.refuse(
                grant, "audit anchor --sign",
                Reason("a signed anchor is for administrators and inspectors (auditor)",
                       "reason.signers"),
                f"{by}: a signed anchor is for administrators and inspectors (auditor)",
            )  # fmt: skip
        public, sign = signer
        printed = fingerprint(public)
        known = next((k for k in self.uow.actors.inspector_keys() if k[2] == printed), None)
        if known is None or known[5] is not None:
            raise Refused(Reason(
                f"key {printed} is not registered or was revoked (bontot audit keys add)",
                "reason.key_unregistered", fingerprint=printed,
            ))  # fmt: skip
        now = self.clock.now()

        def seal(detail: dict[str, Any]) -> dict[str, Any]:
            sealed = {
                **detail,
                **next_seal(self.uow.audit.last_signed_anchor()),
                "key": known[0],
                "fingerprint": printed,
                "signed_at": to_db(now),
            }
            return {**sealed, SIGNATURE: sign(anchor_message(sealed))}

        with self.uow:
            detail = self.uow.audit.anchor(now, by, seal)
            self.uow.commit()
        return detail

    def set_password(
        self,
        actor_id: str,
        password: str,
        hashed: Callable[[str], str],
        by: str,
        token: TokenSource = no_token,
    ) -> None:
        """An actor's password for the web's log-in, set by an administrator (`hashed`:
        the salted hash to keep)."""
        if len(password) < MIN_PASSWORD:
            raise Refused(Reason(
                f"the password is too short (at least {MIN_PASSWORD} characters)",
                "reason.password_short", least=MIN_PASSWORD,
            ))  # fmt: skip
        self.actors.authenticate(by, "actors password", token, administrator=True)
        with self.uow:
            done = self.uow.actors.set_password(actor_id, hashed(password), self.clock.now(), by)
            self.uow.commit()
        if not done:
            raise Refused(Reason(f"no actor {actor_id!r}", "reason.no_actor", actor=actor_id))
