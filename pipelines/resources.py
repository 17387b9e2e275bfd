"""Dagster resources: thin handles onto plain-Python objects from warehouse/ and ops/."""

from pathlib import Path
from typing import Optional

import dagster as dg

from warehouse.writer import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse; ``path`` defaults to ``$TRAINYARD_HOME/warehouse.duckdb``."""

    path: Optional[str] = None

    def get(self) -> Warehouse:
        return Warehouse(Path(self.path) if self.path else None)
