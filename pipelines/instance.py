"""The project's persistent Dagster instance under the trainyard home."""
import os
import shutil
from pathlib import Path

from warehouse.paths import PROJECT_ROOT, dagster_home


def prepare_dagster_home() -> Path:
    """Point DAGSTER_HOME at ``$TRAINYARD_HOME/dagster_home`` with the project's dagster.yaml and
    the UI's first-visit pop-up marked as seen."""
    home = dagster_home()
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    nux = home / ".nux"
    nux.mkdir(exist_ok=True)
    (nux / "nux.yaml").write_text("seen: 1\n")
    os.environ["DAGSTER_HOME"] = str(home)
    return home
