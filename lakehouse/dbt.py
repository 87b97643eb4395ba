"""dbt against the platform's warehouse: the environment the project reads, and dbt as a child process.

``dbt_project/profiles.yml`` and its ``lake_delta`` macro read only environment
variables, so the same project runs on the embedded warehouse and on a ClickHouse
cluster; this module fills them from the settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lakehouse.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def dbt_target_path(settings: Settings) -> Path:
    """Where dbt writes manifest, run results and the docs site: under the data folder, not in the repo."""
    return settings.data_dir / "dbt" / "target"


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The variables ``profiles.yml`` and the project's macros read, from the settings."""
    return {
        "CLICKHOUSE_URL": settings.clickhouse_url,
        "CLICKHOUSE_USER": settings.clickhouse_user,
        "CLICKHOUSE_PASSWORD": settings.clickhouse_password.get_secret_value(),
        "LAKEHOUSE_LAKE_URI": settings.lake_uri,
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(dbt_target_path(settings)),
        "DBT_LOG_PATH": str(settings.data_dir / "logs" / "dbt"),
        "DBT_PACKAGES_INSTALL_PATH": str(settings.data_dir / "dbt" / "packages"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }


def dbt_command(settings: Settings, *arguments: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <arguments>`` in the project with the platform's environment; dbt prints its own progress."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), *arguments],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **dbt_environment(settings)},
        capture_output=capture,
        text=True,
        check=False,
    )
