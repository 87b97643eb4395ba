"""The embedded ClickHouse warehouse: chDB served over the ClickHouse HTTP interface.

chDB lets one process open a data path, while dbt, Dagster runs, the API and
analysts are separate processes; this service owns the path and every client
talks HTTP to it exactly as to a ClickHouse server.
"""
