"""Ibis backends: DuckDB in-process (default) or a local/remote PySpark session."""

from __future__ import annotations

import os
import sys
import tempfile
from functools import cache
from typing import Any, Literal

import ibis

Engine = Literal["duckdb", "spark"]


def connect(engine: Engine = "duckdb", **options: Any) -> Any:
    """Returns an Ibis backend; DuckDB in memory by default, PySpark when asked."""
    if engine == "duckdb":
        return ibis.duckdb.connect(**options)
    if engine == "spark":
        return ibis.pyspark.connect(spark_session(**options))
    raise ValueError(f"未知的计算引擎“{engine}”（duckdb 或 spark）/ unknown engine '{engine}'")


@cache
def spark_session(master: str = "local[2]") -> Any:
    """One local Spark session per process, its warehouse in a temporary folder."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError("未安装 PySpark（pip install 'dudao[spark]'）/ PySpark is not installed") from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers must run the driver's Python
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    warehouse = tempfile.mkdtemp(prefix="dudao-spark-")
    session = (
        SparkSession.builder.master(master)
        .appName("dudao")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def table(con: Any, data: Any, name: str | None = None) -> Any:
    """Puts a pandas DataFrame or Arrow table into the backend as an Ibis table."""
    if name is None:
        name = f"t_{id(data):x}"
    return con.create_table(name, data, overwrite=True, temp=True) if hasattr(con, "create_table") else ibis.memtable(data)
