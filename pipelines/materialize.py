"""``trainyard materialize``: materialise a selection of assets in the project's Dagster instance
(``$TRAINYARD_HOME/dagster_home``), so the run shows in ``trainyard ui`` with its logs and
metadata. Plain ``dagster asset materialize -m pipelines.definitions`` does the same only when
``DAGSTER_HOME`` points there; without it Dagster uses a temporary instance the UI never sees."""
import argparse
import sys
import warnings

import dagster as dg

# What registers partitions for each dynamic partitions definition (the user's next step).
REGISTER_HINTS = {"github_repos": "run `trainyard github ingest PATH` (a local clone) or "
                                  "`trainyard github sync OWNER/NAME`"}


def no_partitions_message(name: str) -> str:
    """The one line shown wherever a dynamic partitions definition has no partition yet."""
    return f"no partitions registered in '{name}': {REGISTER_HINTS.get(name, 'add one first')}"


def add_materialize_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", default="",
                   help="Dagster asset selection, e.g. 'group:rubrics', 'key:corpus_lm', "
                        "'key:raw_corpus+' (default: every unpartitioned asset)")
    p.add_argument("--partition", default=None,
                   help="partition key; needed when the selection holds partitioned assets")
    p.add_argument("--list-partitions", action="store_true",
                   help="list the partitions of every partitioned asset and exit")


def partition_keys(partitions_def, instance: dg.DagsterInstance) -> list[str]:
    return list(partitions_def.get_partition_keys(dynamic_partitions_store=instance))


def _partitions_name(partitions_def) -> str:
    """A dynamic set's own name; otherwise the kind and key range (two static sets with different
    keys are different sets)."""
    if isinstance(partitions_def, dg.DynamicPartitionsDefinition):
        return partitions_def.name
    keys = list(partitions_def.get_partition_keys())
    kind = type(partitions_def).__name__.replace("PartitionsDefinition", "").lower() or "partitions"
    return f"{kind} {keys[0]}..{keys[-1]}" if keys else kind


def select_keys(graph, select: str) -> "set[dg.AssetKey]":
    """Asset keys matched by a Dagster selection string (default: every unpartitioned asset)."""
    from warehouse.errors import TrainyardError

    if not select:
        return {k for k in graph.get_all_asset_keys() if graph.get(k).partitions_def is None}
    try:
        with warnings.catch_warnings():  # Dagster marks parts of its selection syntax as beta
            warnings.simplefilter("ignore", dg.BetaWarning)
            keys = set(dg.AssetSelection.from_string(select).resolve(graph))
    except Exception as exc:
        raise TrainyardError(f"--select {select!r}: {str(exc).splitlines()[0]}; examples: 'group:rubrics', "
                             "'key:corpus_lm', 'key:raw_corpus+'") from None
    if not keys:
        raise TrainyardError(f"--select {select!r} matches no asset; `trainyard materialize --list-partitions` "
                             "and the UI's asset catalog list them")
    return keys


def check_partition(keys, graph, instance: dg.DagsterInstance, partition: "str | None") -> None:
    """A one-line error when the selection and ``partition`` do not fit together."""
    from warehouse.errors import TrainyardError

    defs_by_name = {}
    for k in keys:
        pdef = graph.get(k).partitions_def
        if pdef is not None:
            defs_by_name.setdefault(_partitions_name(pdef), (pdef, []))[1].append(k.to_user_string())
    if not defs_by_name:
        if partition:
            raise TrainyardError("--partition given but no selected asset is partitioned; leave it out")
        return
    if len(defs_by_name) > 1:
        raise TrainyardError("the selection mixes partition sets (" + "; ".join(
            f"{n}: {', '.join(sorted(a))}" for n, (_, a) in sorted(defs_by_name.items()))
            + "); select one set per run")
    name, (pdef, assets) = next(iter(defs_by_name.items()))
    available = partition_keys(pdef, instance)
    if not available:
        raise TrainyardError(f"{', '.join(sorted(assets))}: {no_partitions_message(name)}")
    if partition is None:
        shown = ", ".join(available[:5]) + (f" and {len(available) - 5} more" if len(available) > 5 else "")
        raise TrainyardError(f"{', '.join(sorted(assets))} are partitioned by '{name}': pass --partition KEY "
                             f"(one of {shown})")
    if partition not in available:
        raise TrainyardError(f"partition {partition!r} is not in '{name}' ({len(available)} registered; "
                             "`trainyard materialize --list-partitions` lists them)")


def list_partitions(graph, instance: dg.DagsterInstance) -> list[str]:
    """One line per partitions set: its name, the assets using it and its keys."""
    by_name: dict[str, tuple] = {}
    for k in sorted(graph.get_all_asset_keys()):
        pdef = graph.get(k).partitions_def
        if pdef is not None:
            by_name.setdefault(_partitions_name(pdef), (pdef, []))[1].append(k.to_user_string())
    lines = []
    for name, (pdef, assets) in sorted(by_name.items()):
        keys = partition_keys(pdef, instance)
        listed = ", ".join(keys) if keys else no_partitions_message(name)
        lines.append(f"{name} ({len(keys)}): {listed}\n    assets: {', '.join(assets)}")
    return lines


def cmd_materialize(args) -> int:
    from pipelines.definitions import defs
    from pipelines.demo import ProgressDisplay, execute_with_progress, log_file, output_to_log
    from pipelines.instance import prepare_dagster_home
    from warehouse.writer import Warehouse

    home = prepare_dagster_home()
    Warehouse().ensure_schema()
    graph = defs.resolve_asset_graph()
    with dg.DagsterInstance.get() as instance:
        if args.list_partitions:
            for line in list_partitions(graph, instance):
                print(line)
            return 0
        keys = select_keys(graph, args.select)
        check_partition(keys, graph, instance, args.partition)
        job = defs.resolve_implicit_job_def_def_for_assets(keys)
        log_path = log_file("materialize")
        print(f"materialising {len(keys)} asset(s) in the instance at DAGSTER_HOME={home}"
              + (f", partition {args.partition}" if args.partition else "") + f"; logs: {log_path}")
        with output_to_log(log_path) as term:
            result = execute_with_progress(job, instance, ProgressDisplay(term, sys.stdout.isatty()),
                                           partition_key=args.partition, asset_selection=sorted(keys),
                                           tags={"trainyard/launched_by": "trainyard materialize"})
    print(f"run {result.run_id}: {'succeeded' if result.success else 'FAILED'}; open it with `trainyard ui` "
          f"(Runs tab)")
    return 0 if result.success else 1
