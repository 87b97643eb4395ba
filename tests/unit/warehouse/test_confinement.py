"""Confinement happens before chDB starts its threads, or not at all: a late call refuses instead of half-working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from pathlib import Path
{before}
from warehouse.confinement import ConfinementError, confine
try:
    confine(writable=[Path(sys.argv[1])], readable=[])
except ConfinementError as error:
    print("refused:", error)
    raise SystemExit(0)
for path in ("/etc/hostname", sys.argv[2]):
    try:
        open(path).read()
        print("read", path)
    except PermissionError:
        print("denied", path)
(Path(sys.argv[1]) / "written").write_text("ok")
print("wrote inside")
"""


def _probe(before: str, writable: Path, outside: Path) -> str:
    answer = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before), str(writable), str(outside)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[3],
    )  # fmt: skip
    return answer.stdout


def test_a_confined_process_reads_and_writes_only_what_it_was_given(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    (tmp_path / "inside").mkdir()

    assert _probe("", tmp_path / "inside", outside).splitlines() == [
        "denied /etc/hostname",
        f"denied {outside}",
        "wrote inside",
    ]


def test_confinement_refuses_once_chdb_is_loaded(tmp_path: Path) -> None:
    answer = _probe("import chdb", tmp_path, tmp_path)

    assert answer.startswith("refused: chDB was imported before confinement")
