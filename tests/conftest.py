"""Shared fixtures: every test gets its own trainyard home (warehouse, artifacts, Dagster home)
and the tiny profile, so tests never touch a developer's .trainyard/."""
import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def trainyard_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "trainyard_home"
    home.mkdir()
    monkeypatch.setenv("TRAINYARD_HOME", str(home))
    monkeypatch.setenv("TRAINYARD_PROFILE", os.environ.get("TRAINYARD_TEST_PROFILE", "tiny"))
    monkeypatch.setenv("TRAINYARD_EXECUTOR", "in_process")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return home


@pytest.fixture
def warehouse(trainyard_home):
    from warehouse.writer import Warehouse

    wh = Warehouse()
    wh.ensure_schema()
    return wh


@pytest.fixture
def shared_data() -> Path:
    """The read-only real corpora in ../shared/data; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not present at {SHARED_DATA}: real-data test skipped")
    return SHARED_DATA


def materialize(assets, selection=None, partition_key=None, instance=None):
    """Materialise assets in-process against the test's trainyard home."""
    import dagster as dg

    from pipelines.resources import WarehouseResource

    return dg.materialize(
        assets, selection=selection, partition_key=partition_key, instance=instance,
        resources={"warehouse": WarehouseResource()},
    )


@pytest.fixture
def tiny_model(tmp_path):
    """A TorchScript image 'descriptor' file: 4×4 average-pooled channels, mean removed (a thumbnail)."""
    import torch

    class Thumb(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            t = torch.nn.functional.adaptive_avg_pool2d(x, 4).flatten(1)
            return t - t.mean(dim=1, keepdim=True)

    path = tmp_path / "thumb.pt"
    torch.jit.script(Thumb()).save(str(path))
    return path
