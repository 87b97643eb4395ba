"""The PII policy's column classification, written into dbt's YAML as column ``meta``.

dbt docs then show, on every silver source column and on every model column that
carries a classified column through (``household_id``, ``income``...), how the
policy classifies it and whether it is a pseudonymous key. The policy is the one
source: ``lakehouse dbt-classify`` rewrites the ``pii`` meta from its export, and
a test fails when the YAML and the policy disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from governance.policy import Policy, PolicyViolationError

META_KEY = "pii"
SILVER_SOURCE = "silver"

ColumnMeta = dict[str, str | bool]


def classified_by_name(policy: Policy) -> dict[str, ColumnMeta]:
    """Silver columns the policy classifies (or marks as pseudonymous keys), by name, for model columns.

    A name must mean one thing across the silver tables; a policy that classifies
    ``household_id`` differently in two tables is refused, naming both.
    """
    by_name: dict[str, ColumnMeta] = {}
    first_seen: dict[str, str] = {}
    for table, columns in policy.column_classification().items():
        for column, meta in columns.items():
            if meta["classification"] == "none" and not meta["pseudonymous_key"]:
                continue
            if column in by_name and by_name[column] != meta:
                raise PolicyViolationError(
                    f"column {column!r} is classified differently in silver {first_seen[column]} and {table}; "
                    "model columns take their classification by name, so the two must agree"
                )
            by_name[column] = meta
            first_seen.setdefault(column, table)
    return by_name


@dataclass
class ClassificationSync:
    """What differs between the YAML files and the policy, as ``file: node.column: what``."""

    differences: list[str] = field(default_factory=list)
    files_changed: list[Path] = field(default_factory=list)


def _set_meta(column: dict[str, Any], wanted: ColumnMeta | None) -> bool:
    """Make the column's ``pii`` meta equal ``wanted`` (or absent); return whether it changed."""
    meta = column.get("meta") or {}
    if meta.get(META_KEY) == wanted or (wanted is None and META_KEY not in meta):
        return False
    if wanted is None:
        meta.pop(META_KEY)
    else:
        meta[META_KEY] = dict(wanted)
    if meta:
        column["meta"] = meta
    else:
        column.pop("meta", None)
    return True


def _sync_source_tables(document: dict[str, Any], policy: Policy, where: str, sync: ClassificationSync) -> bool:
    changed = False
    export = policy.column_classification()
    for source in document.get("sources", []):
        if source.get("name") != SILVER_SOURCE:
            continue
        for table in source.get("tables", []):
            policy_columns = export.get(table["name"])
            if policy_columns is None:
                sync.differences.append(f"{where}: source silver.{table['name']}: not a table of the PII policy")
                continue
            columns = table.setdefault("columns", [])
            listed = {column["name"] for column in columns}
            for name in policy_columns.keys() - listed:
                columns.append({"name": name})
                sync.differences.append(f"{where}: silver.{table['name']}.{name}: missing (in the policy export)")
                changed = True
            for column in columns:
                name = column["name"]
                if name not in policy_columns and name not in policy.metadata_columns:
                    sync.differences.append(f"{where}: silver.{table['name']}.{name}: not in the policy export")
                    continue
                if _set_meta(column, policy_columns.get(name)):
                    sync.differences.append(f"{where}: silver.{table['name']}.{name}: {META_KEY} meta differs")
                    changed = True
    return changed


def _sync_models(
    document: dict[str, Any], by_name: dict[str, ColumnMeta], where: str, sync: ClassificationSync
) -> bool:
    changed = False
    for model in document.get("models", []):
        for column in model.get("columns", []):
            if _set_meta(column, by_name.get(column["name"])):
                sync.differences.append(f"{where}: {model['name']}.{column['name']}: {META_KEY} meta differs")
                changed = True
    return changed


def sync_classification(project_dir: Path, policy: Policy, write: bool) -> ClassificationSync:
    """Compare (and with ``write``, rewrite) the ``pii`` meta of every source and model column."""
    sync = ClassificationSync()
    by_name = classified_by_name(policy)
    for path in sorted((project_dir / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text())
        where = str(path.relative_to(project_dir))
        changed = _sync_source_tables(document, policy, where, sync)
        changed = _sync_models(document, by_name, where, sync) or changed
        if changed and write:
            path.write_text(yaml.safe_dump(document, sort_keys=False, width=110, allow_unicode=True))
            sync.files_changed.append(path)
    return sync
