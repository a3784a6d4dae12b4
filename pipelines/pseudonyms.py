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
            raise LoadError(str(path), f"die Schlüsseldatei der Pseudonyme lässt sich nicht lesen ({exc.strerror})",
                            expected="eine Datei mit einem geheimen Schlüssel, z. B. erzeugt mit: openssl rand -hex 32"
                            ) from None
    if not text:
        raise LoadError("privacy.pseudonym_key_file", "kein Schlüssel für die Pseudonyme: das Ereignisprotokoll wird "
                        "nur exportiert, wenn Personen- und Fallkennungen durch mit einem Schlüssel gebildete "
                        "Pseudonyme ersetzt sind",
                        expected="eine Schlüsseldatei (openssl rand -hex 32 > /etc/steering/pseudonym.key), genannt "
                        f"in privacy.pseudonym_key_file, oder die Variable {KEY_ENV}")
    key = text.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise LoadError(where, f"der Schlüssel der Pseudonyme ist zu kurz ({len(key)} Bytes)",
                        expected=f"mindestens {MIN_KEY_BYTES} Bytes, z. B. openssl rand -hex 32")
    return key


def pseudonym(key: bytes, kind: str, value: str | None) -> str | None:
    """The keyed pseudonym of one id (None stays None)."""
    if value is None:
        return None
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:LENGTH]
