"""Lineage and metadata helpers every asset uses to write through the warehouse."""

import dataclasses
import hashlib
from typing import Any

import dagster as dg

from warehouse.writer import Lineage


def lineage_of(context: dg.AssetExecutionContext, data_version: str = "") -> Lineage:
    """The lineage columns for rows written by this asset (and partition) in this run."""
    key = context.asset_key
    code_version = context.assets_def.code_versions_by_key.get(key) or ""
    partition = context.partition_key if context.has_partition_key else ""
    return Lineage(
        dagster_run_id=context.run.run_id,
        asset_key=key.to_user_string(),
        partition_key=partition,
        code_version=code_version,
        data_version=data_version,
    )


def with_data_version(lineage: Lineage, data_version: str) -> Lineage:
    return dataclasses.replace(lineage, data_version=data_version)


def content_version(*parts: Any) -> str:
    """A short, stable hash of the given content, used as the Dagster data version."""
    h = hashlib.sha256()
    for p in parts:
        h.update(repr(p).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]


def report_metadata(rendered, report_id: str) -> dict[str, dg.MetadataValue]:
    return {
        "report": dg.MetadataValue.md(rendered.markdown),
        "report_html": dg.MetadataValue.path(str(rendered.html_path)),
        "report_id": dg.MetadataValue.text(report_id),
    }
