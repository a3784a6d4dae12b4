"""Keyed pseudonyms for record-level exports (``steering export events``).

Why a keyed hash (HMAC-SHA256) and not a plain hash: customer numbers are short
and structured, so anyone could hash every possible number and look the plain
hash up. With a secret key that lives outside the database (a file named by
``privacy.pseudonym_key_file`` or the variable ``STEERING_PSEUDONYM_KEY``), only
who holds the key can link a pseudonym back. The same key gives the same
pseudonym in every export, so exports of two loads can still be joined; a new
key breaks that link on purpose. No key, no export.

A pseudonym is the first 16 hex digits (64 bits) of
``HMAC-SHA256(key, kind + ":" + value)``; ``kind`` (``person``, ``case``,
``record``) keeps equal ids of different kinds apart.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from pipelines.errors import LoadError
from pipelines.settings import Settings

KEY_ENV = "STEERING_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
LENGTH = 16


def read_key(settings: Settings, env: dict[str, str] | None = None) -> bytes:
    """The secret key: ``STEERING_PSEUDONYM_KEY``, else the file ``privacy.pseudonym_key_file``; else refuse."""
    env = dict(os.environ if env is None else env)
    text = env.get(KEY_ENV, "").strip()
    where = KEY_ENV
    if not text and settings.privacy.pseudonym_key_file:
        path = Path(settings.privacy.pseudonym_key_file)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise LoadError(str(path), f"the pseudonym key file cannot be read ({exc.strerror})",
                            expected="a file with a secret key, e.g. made with: openssl rand -hex 32") from None
    if not text:
        raise LoadError("privacy.pseudonym_key_file", "no key for the pseudonyms: the event log is only exported "
                        "with person and case ids replaced by keyed pseudonyms",
                        expected=f"a key file (openssl rand -hex 32 > /etc/steering/pseudonym.key) named in "
                        f"privacy.pseudonym_key_file, or the variable {KEY_ENV}")
    key = text.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise LoadError(where, f"the pseudonym key is too short ({len(key)} bytes)",
                        expected=f"at least {MIN_KEY_BYTES} bytes, e.g. openssl rand -hex 32")
    return key


def pseudonym(key: bytes, kind: str, value: str | None) -> str | None:
    """The keyed pseudonym of one id (None stays None)."""
    if value is None:
        return None
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:LENGTH]
