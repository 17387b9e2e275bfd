import subprocess
import sys

from warehouse.paths import PROJECT_ROOT


def test_definitions_load_without_heavy_imports():
    code = (
        "import sys; import pipelines.definitions as d; "
        "heavy = [m for m in ('torch', 'transformers', 'faiss', 'trl', 'sentence_transformers', 'lightgbm') if m in sys.modules]; "
        "assert not heavy, heavy; "
        "print(len(list(d.defs.resolve_asset_graph().get_all_asset_keys())))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.strip().splitlines()[-1]) >= 4


def test_definitions_validate_and_every_job_resolves():
    import dagster as dg

    from pipelines.definitions import BRANCHES, defs

    dg.Definitions.validate_loadable(defs)
    for branch in BRANCHES:
        for job in branch.JOBS:
            assert defs.resolve_job_def(job.name).name == job.name


def test_workspace_points_at_definitions_module():
    import yaml

    ws = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())
    assert ws["load_from"][0]["python_module"]["module_name"] == "pipelines.definitions"


def test_instance_config_has_no_step_long_warehouse_pool(tmp_path, monkeypatch):
    """The warehouse is serialised by a write-transaction file lock (warehouse/db.py), not by a
    Dagster pool that would hold it for a whole step (issue 15)."""
    import dagster as dg

    from pipelines.instance import prepare_dagster_home

    home = prepare_dagster_home()
    assert (home / ".nux" / "nux.yaml").read_text().strip() == "seen: 1"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit is None
    from pipelines.definitions import defs

    ops = [op for a in defs.assets for op in a.node_def.iterate_op_defs()]
    assert len(ops) > 20
    assert [op.name for op in ops if op.pool] == []


def _written_tables(assets_def) -> set[str]:
    """Tables (and views) an asset's own op code writes by name, read from its source."""
    import inspect
    import re

    names = set()
    for op in assets_def.node_def.iterate_op_defs():
        src = inspect.getsource(op.compute_fn.decorated_fn)
        names |= set(re.findall(r"\.(?:write|create_parquet_view)\(\s*\"(\w+)\"", src))
        if re.search(r"\bquarantine\(", src):
            names.add("quarantine")
        if "record_eval_report(" in src:
            names |= {"eval_reports", "eval_metrics"}
    return names


def test_every_asset_description_says_which_tables_it_fills():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = sorted(graph.get_all_asset_keys())
    assert len(keys) >= 25
    for key in keys:
        description = graph.get(key).description or ""
        assert len(description) >= 60, f"{key.to_user_string()}: description too thin: {description!r}"
    checked = 0
    for assets_def in defs.assets:
        for key in assets_def.keys:
            missing = {t for t in _written_tables(assets_def) if t not in graph.get(key).description}
            assert not missing, f"{key.to_user_string()}'s description does not name {sorted(missing)}"
            checked += bool(_written_tables(assets_def))
    assert checked >= 15  # the scan found the writes of most assets
