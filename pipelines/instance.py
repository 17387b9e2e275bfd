"""The project's persistent Dagster instance under the trainyard home."""
import os
import shutil
from pathlib import Path

from warehouse.paths import PROJECT_ROOT, dagster_home


def prepare_dagster_home() -> Path:
    """Point DAGSTER_HOME at ``$TRAINYARD_HOME/dagster_home`` with the project's dagster.yaml and
    the UI's first-visit pop-up marked as seen. ``$TRAINYARD_DAGSTER_CONFIG`` names another
    instance config, e.g. ``deploy/postgres/dagster.yaml`` (storage shared by many machines)."""
    home = dagster_home()
    config = Path(os.environ.get("TRAINYARD_DAGSTER_CONFIG") or PROJECT_ROOT / "dagster.yaml")
    if not config.is_absolute():
        config = PROJECT_ROOT / config
    shutil.copyfile(config, home / "dagster.yaml")
    nux = home / ".nux"
    nux.mkdir(exist_ok=True)
    (nux / "nux.yaml").write_text("seen: 1\n")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
