"""The Dagster webserver as operators reach it: runs launched through its GraphQL API, watched in its instance."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import dagster as dg
import httpx
from dagster_graphql import DagsterGraphQLClient

LOCATION = "consumer_insight"
REPOSITORY = "__repository__"
ASSET_JOB = "__ASSET_JOB"
"""The job the UI launches when an operator materialises a selection of assets."""

FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}

LATEST_SENSOR_TICK = """
query ($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) { ... on Sensor { sensorState { ticks(limit: 1) { status } } } }
}
"""

LOCATION_STATUS = """
query { workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }
"""

RUN_FAILURE = """
query ($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status } }
  logsForRun(runId: $runId) {
    ... on EventConnection { events { __typename ... on ExecutionStepFailureEvent { error { message } } } }
  }
}
"""


class DagsterWebserver:
    """The webserver's GraphQL API (what the UI sends, through Dagster's Python client), and the runs' instance."""

    def __init__(self, port: int, instance: dg.DagsterInstance) -> None:
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=60)
        self.instance = instance

    def query(self, document: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.post(self.url, json={"query": document, "variables": dict(variables or {})}, timeout=60)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body["errors"]
        return dict(body["data"])

    def location_loaded(self) -> bool:
        """Whether the webserver answers with the code location loaded (what an operator needs to work)."""
        try:
            entries = self.query(LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
        except httpx.HTTPError:
            return False
        return any(entry["name"] == LOCATION and entry["loadStatus"] == "LOADED" for entry in entries)

    def launch(
        self,
        job: str,
        assets: list[dg.AssetKey] | None = None,
        tags: Mapping[str, str] | None = None,
        run_config: Mapping[str, Any] | None = None,
    ) -> str:
        """A run as the launchpad sends it; its id."""
        return self.client.submit_job_execution(
            job,
            repository_location_name=LOCATION,
            repository_name=REPOSITORY,
            asset_selection=[key.path for key in assets] if assets is not None else None,
            tags=dict(tags or {}),
            run_config=run_config or {},
        )

    def status(self, run_id: str) -> dg.DagsterRunStatus:
        return self.client.get_run_status(run_id)

    def wait_for(self, run_id: str, timeout_s: float) -> dg.DagsterRunStatus:
        """Poll the run's status until it has finished."""
        deadline = time.monotonic() + timeout_s
        while (status := self.status(run_id)) not in FINISHED:
            assert time.monotonic() < deadline, f"run {run_id} still {status.value} after {timeout_s:.0f}s"
            time.sleep(2)
        return status

    def step_failures(self, run_id: str) -> list[str]:
        """Each failed step's error as the UI shows it."""
        answer = self.query(RUN_FAILURE, {"runId": run_id})
        events = answer["logsForRun"]["events"]
        return [event["error"]["message"] for event in events if event["__typename"] == "ExecutionStepFailureEvent"]

    def sensor_has_ticked(self, sensor: str) -> bool:
        selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": sensor}
        answer = self.query(LATEST_SENSOR_TICK, {"selector": selector})
        state = answer["sensorOrError"].get("sensorState") or {}
        return bool(state.get("ticks"))

    def runs_tagged(self, tag: str, value: str) -> list[dg.DagsterRun]:
        return list(self.instance.get_runs(dg.RunsFilter(tags={tag: value})))

    def run_window(self, run_id: str) -> tuple[float, float]:
        """When the run started and ended (epoch seconds), as the instance recorded them."""
        [record] = self.instance.get_run_records(dg.RunsFilter(run_ids=[run_id]))
        assert record.start_time is not None and record.end_time is not None, run_id
        return record.start_time, record.end_time

    def materialised(self, run_id: str) -> set[dg.AssetKey]:
        records = self.instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        return {record.asset_key for record in records.records if record.asset_key is not None}

    def failed_checks(self, run_id: str) -> tuple[int, list[str]]:
        """How many checks the run evaluated, and which of them failed."""
        records = self.instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
        ).records
        evaluations = [record.event_log_entry.dagster_event.asset_check_evaluation_data for record in records
                       if record.event_log_entry.dagster_event is not None]  # fmt: skip
        failed = [f"{check.asset_key.to_user_string()}:{check.check_name}" for check in evaluations if not check.passed]
        return len(evaluations), failed
