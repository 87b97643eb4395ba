"""The tokenisation key: from the environment or a file; generated only where the profile allows."""

from __future__ import annotations

import stat
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from governance.keys import TokenisationKeyError, read_or_generate_secret, resolve_tokenisation_key

pytestmark = pytest.mark.unit

KEY = "k" * 40


def test_the_key_from_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "tokenisation.key"
    key_file.write_text("f" * 40)
    assert resolve_tokenisation_key(KEY, key_file, generate_if_missing=False) == KEY.encode()


def test_the_local_profile_generates_a_private_key_once(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "tokenisation.key"
    first = resolve_tokenisation_key("", key_file, generate_if_missing=True)
    assert resolve_tokenisation_key("", key_file, generate_if_missing=True) == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64


def test_without_a_key_outside_the_local_profile_it_says_where_to_put_one(tmp_path: Path) -> None:
    key_file = tmp_path / "tokenisation.key"
    with pytest.raises(TokenisationKeyError, match=f"set LAKEHOUSE_TOKENISATION_KEY or write one to {key_file}"):
        resolve_tokenisation_key("", key_file, generate_if_missing=False)
    assert not key_file.exists()


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenisationKeyError, match="is 5 characters; it needs 32"):
        resolve_tokenisation_key("short", tmp_path / "unused", generate_if_missing=False)


def test_processes_generating_the_same_secret_at_once_all_read_one_whole_value(tmp_path: Path) -> None:
    secret_file = tmp_path / "secrets" / "warehouse-admin.password"
    with ProcessPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(read_or_generate_secret, [secret_file] * 32))

    assert len(set(values)) == 1
    assert len(values[0]) == 64
    assert secret_file.read_text() == values[0] + "\n"
    assert [path.name for path in secret_file.parent.iterdir()] == [secret_file.name]
