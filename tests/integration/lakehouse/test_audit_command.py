"""``lakehouse audit`` as a person runs it, and the trail's reader as a short process: both exit cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from governance.audit import AuditRecord, AuditTrail, append_audit

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))
READ_AND_EXIT = (
    "import sys; from governance.audit import AuditTrail, read_audit; print(len(read_audit(AuditTrail(sys.argv[1]))))"
)
READERS = 16
"""Through a pyarrow dataset, about 5 reader processes in 10 aborted at exit; 16 clean exits rule that out."""


def _trail(tmp_path: Path) -> AuditTrail:
    trail = AuditTrail(str(tmp_path / "lake" / "_audit" / "events"))
    for number in range(8):
        append_audit(
            trail,
            AuditRecord(
                action="erasure", subject=f"request-{number}", outcome="succeeded", actor="dpo@retailer",
                counts={"silver": number}, policy_version=3, code_version="abc",
            ),
        )  # fmt: skip
    return trail


def test_audit_lists_the_trail_and_a_process_reading_it_always_exits_cleanly(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    environment = {**os.environ, "LAKEHOUSE_DATA_DIR": str(tmp_path)}

    listing = subprocess.run([LAKEHOUSE, "audit"], capture_output=True, text=True, env=environment, check=False)
    readers = [
        subprocess.run([sys.executable, "-c", READ_AND_EXIT, trail.uri], capture_output=True, text=True, check=False)
        for _ in range(READERS)
    ]

    assert (listing.returncode, listing.stderr) == (0, "")
    assert f"audit trail: {trail.uri} (8 record(s))" in listing.stdout
    rows = [line.split()[1:5] for line in listing.stdout.splitlines() if "request-" in line]
    assert rows == [["erasure", "succeeded", "dpo@retailer", f"request-{number}"] for number in range(8)]
    assert "silver 7" in listing.stdout
    assert [(reader.returncode, reader.stdout, reader.stderr) for reader in readers] == [(0, "8\n", "")] * READERS
