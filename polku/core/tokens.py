"""Emailed and shared link tokens: only a hash of the token is ever stored."""

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
