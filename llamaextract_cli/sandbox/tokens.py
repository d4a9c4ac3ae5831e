"""Opaque page tokens: a keyset cursor (created_at, id) and a hash of the query's filters."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

_VERSION = 1


class BadToken(ValueError):
    """The token cannot be decoded."""


def filter_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode(fhash: str, cursor: tuple[int, str] | None) -> str:
    """A token resuming after `cursor` (None: from the start) for the filters hashed."""
    payload = [_VERSION, fhash] + (list(cursor) if cursor is not None else [None, None])
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str) -> tuple[str, tuple[int, str] | None]:
    """(filter hash, cursor) of a token; raises BadToken."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as e:
        raise BadToken("page_token is not a token this server issued") from e
    if not (
        isinstance(payload, list)
        and len(payload) == 4
        and payload[0] == _VERSION
        and isinstance(payload[1], str)
    ):
        raise BadToken("page_token is not a token this server issued")
    created, job_id = payload[2], payload[3]
    if created is None and job_id is None:
        return payload[1], None
    if type(created) is not int or not isinstance(job_id, str):
        raise BadToken("page_token is not a token this server issued")
    return payload[1], (created, job_id)
