"""chDB's own configuration, written into the data path at every start: query log, row policies, the lake's keys.

chDB answers every query as its one internal user, so the server tags each
query with the platform user who sent it (``log_comment``, set before the
connection turns read-only) and row policies on ``system.processes`` and
``system.query_log`` show each user only its own queries; ``KILL QUERY``
reads the same filtered table, so nobody cancels another's work. Admins see
everything. An S3 lake's keys stay out of every file: the named collection
takes them from the environment when chDB loads this configuration.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

from warehouse.config import LakeAccess, WarehouseConfig
from warehouse.statements import quote_literal

S3_ACCESS_KEY_VARIABLE = "LAKEHOUSE_WAREHOUSE_S3_ACCESS_KEY"
S3_SECRET_KEY_VARIABLE = "LAKEHOUSE_WAREHOUSE_S3_SECRET_KEY"
QUERY_LOG_FLUSH_MS = 1000


def query_tag(user: str, **identity: str) -> str:
    """What ``log_comment`` holds for one query or session: its user and what identifies it."""
    return json.dumps({"user": user, **identity}, separators=(",", ":"), sort_keys=True)


def write_engine_config(config: WarehouseConfig) -> Path:
    """Write chDB's config and users files under the data path; return the config file to open chDB with."""
    folder = config.data_path / "config"
    folder.mkdir(parents=True, exist_ok=True)
    users_file = folder / "users.xml"
    users_file.write_text(_users_xml(config))
    config_file = folder / "config.xml"
    config_file.write_text(_config_xml(users_file, config.lake))
    return config_file


def _own_rows(tag_column: str, admins: list[str]) -> str:
    """A row filter: admins (and the server's own connection, untagged) see every row, others their own."""
    mine = "JSONExtractString(getSetting('log_comment'), 'user')"
    names = ", ".join(quote_literal(name) for name in ["", *admins])
    return f"{mine} IN ({names}) OR JSONExtractString({tag_column}, 'user') = {mine}"


def _users_xml(config: WarehouseConfig) -> str:
    admins = [user.name for user in config.users if not user.readonly]
    processes = escape(_own_rows("Settings['log_comment']", admins))
    query_log = escape(_own_rows("log_comment", admins))
    return f"""<clickhouse>
  <profiles><default/></profiles>
  <quotas><default/></quotas>
  <users>
    <default>
      <password></password>
      <profile>default</profile>
      <quota>default</quota>
      <named_collection_control>1</named_collection_control>
      <databases>
        <system>
          <processes><filter>{processes}</filter></processes>
          <query_log><filter>{query_log}</filter></query_log>
        </system>
      </databases>
    </default>
  </users>
</clickhouse>
"""


def _config_xml(users_file: Path, lake: LakeAccess) -> str:
    named_collection = ""
    if lake.is_s3:
        named_collection = f"""
  <named_collections>
    <{lake.named_collection}>
      <url overridable="false">{escape(lake.http_url)}</url>
      <access_key_id from_env="{S3_ACCESS_KEY_VARIABLE}" overridable="false"/>
      <secret_access_key from_env="{S3_SECRET_KEY_VARIABLE}" overridable="false"/>
    </{lake.named_collection}>
  </named_collections>"""
    return f"""<clickhouse>
  <users_config>{escape(str(users_file))}</users_config>
  <query_log>
    <database>system</database>
    <table>query_log</table>
    <flush_interval_milliseconds>{QUERY_LOG_FLUSH_MS}</flush_interval_milliseconds>
  </query_log>{named_collection}
</clickhouse>
"""
