"""The compute engine: pure computation over Ibis tables (DuckDB by default, PySpark for scale).

Nothing here imports Django or the ORM; the engine is handed tables and standards and returns tables
and plain data.
"""
