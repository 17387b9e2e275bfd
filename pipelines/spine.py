"""Spine branch wiring: the embedded-corpus slice and its job."""

import dagster as dg

from assets.corpus import SPINE_ASSETS

ASSETS = SPINE_ASSETS
ASSET_CHECKS: list = []
spine_job = dg.define_asset_job("spine_job", selection=dg.AssetSelection.groups("spine"))
JOBS = [spine_job]
SCHEDULES = [dg.ScheduleDefinition(job=spine_job, cron_schedule="0 3 * * *", name="spine_nightly")]
SENSORS: list = []


def demo_plan(instance: dg.DagsterInstance) -> "list[tuple[str, str | None]]":
    """(job name, partition key) runs that ``trainyard demo`` executes for this branch."""
    return [("spine_job", None)]
