"""The settings-facing side of the audit trail: where it is, and the code version every record carries."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from functools import lru_cache
from importlib.metadata import version

from governance.audit import AuditRecord, AuditTrail, append_audit, read_audit
from governance.policy import default_policy
from lakehouse.settings import PROJECT_ROOT, Settings


def audit_trail(settings: Settings) -> AuditTrail:
    return AuditTrail(settings.audit_table_uri, settings.delta_rs_storage_options)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of this checkout (``+dirty`` when it has changes), else the package version."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return f"retail-lakehouse {version('retail-lakehouse')}"
    return f"{commit}+dirty" if dirty else commit


def record_audit(settings: Settings, record: AuditRecord) -> None:
    """Append ``record``, stamped with the policy and code versions in force."""
    append_audit(
        audit_trail(settings),
        replace(
            record,
            policy_version=record.policy_version or default_policy().version,
            code_version=record.code_version or code_version(),
        ),
    )


def audit_records(settings: Settings) -> list[AuditRecord]:
    return read_audit(audit_trail(settings))


def record_policy_change(settings: Settings, actor: str) -> bool:
    """Record the policy version in force when the trail has not seen it yet; True when it recorded one."""
    policy = default_policy()
    seen = {record.policy_version for record in audit_records(settings) if record.action == "policy_change"}
    if policy.version in seen:
        return False
    record_audit(
        settings,
        AuditRecord(
            action="policy_change",
            subject="governance/policy.yaml",
            outcome="succeeded",
            actor=actor,
            detail=f"PII policy version {policy.version} in force",
            counts={"tables": len(policy.tables)},
        ),
    )
    return True
