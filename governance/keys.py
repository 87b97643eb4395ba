"""The tokenisation key: from the environment or a key file; generated only for the local profile.

Rotation (see governance/README.md): tokens are a function of the key, so a new
key means re-deriving every silver table from bronze in one run and rebuilding
what reads silver; the old key is destroyed afterwards.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

MIN_KEY_LENGTH = 32


class TokenisationKeyError(RuntimeError):
    """No usable key: says where one was looked for and how to provide it."""


def random_hex_secret() -> str:
    return secrets.token_hex(32)


def read_or_generate_secret(secret_file: Path, generate: Callable[[], str] = random_hex_secret) -> str:
    """The secret in ``secret_file``; a new one from ``generate``, written there readable by its owner only, if it
    is missing.

    The file appears whole or not at all (written aside, then linked into place), so a process starting at the
    same moment never reads it half written; when two generate at once, the first link wins and both use it.
    """
    if secret_file.exists():
        return secret_file.read_text().strip()
    secret_file.parent.mkdir(parents=True, exist_ok=True)
    value = generate()
    descriptor, aside = tempfile.mkstemp(dir=secret_file.parent, prefix=f".{secret_file.name}.")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(value + "\n")
        secret_file.hardlink_to(aside)
    except FileExistsError:
        return secret_file.read_text().strip()
    finally:
        Path(aside).unlink()
    return value


def resolve_tokenisation_key(key: str, key_file: Path, generate_if_missing: bool) -> bytes:
    """The key as bytes: ``key`` when given, else the file's content, else a new key written to the file."""
    if key:
        value = key
        origin = "LAKEHOUSE_TOKENISATION_KEY"
    elif key_file.exists() or generate_if_missing:
        value = read_or_generate_secret(key_file)
        origin = str(key_file)
    else:
        raise TokenisationKeyError(
            f"no tokenisation key: set LAKEHOUSE_TOKENISATION_KEY or write one to {key_file} "
            "(outside the local profile a key is never generated)"
        )
    if len(value) < MIN_KEY_LENGTH:
        raise TokenisationKeyError(
            f"tokenisation key from {origin} is {len(value)} characters; it needs {MIN_KEY_LENGTH}+"
        )
    return value.encode("utf-8")
