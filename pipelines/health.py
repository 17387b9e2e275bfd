"""Health of the wiring itself: a dynamically partitioned asset with no partition registered has
nothing materialised, yet the UI shows no failed partition (0 of 0). Each such asset gets a
``partitions_registered`` check that warns until a partition exists, naming the command that adds
one; ``partitions_health_job`` runs them all (``trainyard ui`` runs it on start)."""
import dagster as dg

CHECK_NAME = "partitions_registered"


def _check_for(key: dg.AssetKey, partitions_name: str) -> dg.AssetChecksDefinition:
    from pipelines.materialize import no_partitions_message

    @dg.asset_check(asset=key, name=CHECK_NAME, blocking=False,
                    description=f"Warns while the '{partitions_name}' dynamic partitions are empty: "
                                f"{no_partitions_message(partitions_name)}.")
    def partitions_registered(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        keys = context.instance.get_dynamic_partitions(partitions_name)
        return dg.AssetCheckResult(
            passed=bool(keys), severity=dg.AssetCheckSeverity.WARN,
            description=(f"{len(keys)} partition(s) registered" if keys
                         else no_partitions_message(partitions_name)),
            metadata={"partitions": len(keys), "first_partitions": ", ".join(keys[:10])})

    return partitions_registered


def dynamic_partition_checks(assets) -> list[dg.AssetChecksDefinition]:
    """One ``partitions_registered`` check per asset key with dynamic partitions."""
    checks = []
    for assets_def in assets:
        pdef = assets_def.partitions_def
        if isinstance(pdef, dg.DynamicPartitionsDefinition):
            checks += [_check_for(key, pdef.name) for key in sorted(assets_def.keys)]
    return checks


def health_job(checks):
    return dg.define_asset_job("partitions_health_job", selection=dg.AssetSelection.checks(*checks),
                               description="Runs every partitions_registered check (no asset is materialised).")


def record_partition_health(instance: dg.DagsterInstance) -> list[str]:
    """Run ``partitions_health_job`` in ``instance`` (its results then show in the UI); returns
    one line per asset whose check did not pass. Dagster's step logs go to a log file."""
    from pipelines.definitions import defs
    from pipelines.demo import log_file, output_to_log

    with output_to_log(log_file("health")):
        result = defs.resolve_job_def("partitions_health_job").execute_in_process(
            instance=instance, raise_on_error=False)
    problems = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            data = event.asset_check_evaluation_data
            if not data.passed:
                problems.append(f"{data.asset_key.to_user_string()}: {data.description}")
    if not result.success:
        problems.append(f"partitions_health_job failed (run {result.run_id})")
    return problems
