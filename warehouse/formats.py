"""Which format a query answers in, and whether the answer can stream.

chDB streams a result as independent blocks, so only formats whose blocks
concatenate into one valid answer (no header, prefix or footer) are streamed;
the rest are answered whole.
"""

from __future__ import annotations

from warehouse.statements import StatementFacts

DEFAULT_FORMAT = "TabSeparated"

_STREAMABLE = frozenset(
    name.lower()
    for name in (
        "TabSeparated", "TSV", "TabSeparatedRaw", "TSVRaw", "CSV", "Native", "RowBinary", "Values",
        "JSONEachRow", "JSONLines", "NDJSON", "JSONCompactEachRow", "JSONStringsEachRow",
        "JSONCompactStringsEachRow", "LineAsString", "RawBLOB",
    )
)  # fmt: skip

_CONTENT_TYPES = {
    "tabseparated": "text/tab-separated-values; charset=UTF-8",
    "tsv": "text/tab-separated-values; charset=UTF-8",
    "csv": "text/csv; charset=UTF-8; header=absent",
    "csvwithnames": "text/csv; charset=UTF-8; header=present",
    "values": "text/plain; charset=UTF-8",
}


def output_format(statement: StatementFacts, default_format: str | None) -> str:
    """The format named in the query's own ``FORMAT`` clause, else ``default_format``, else TabSeparated."""
    return statement.named_format or default_format or DEFAULT_FORMAT


def is_streamable(format_name: str) -> bool:
    return format_name.lower() in _STREAMABLE


def content_type(format_name: str) -> str:
    lowered = format_name.lower()
    if lowered in _CONTENT_TYPES:
        return _CONTENT_TYPES[lowered]
    if lowered.startswith("json"):
        return "application/json; charset=UTF-8"
    if lowered.startswith(("tabseparated", "tsv", "csv", "pretty", "markdown", "vertical")):
        return "text/plain; charset=UTF-8"
    return "application/octet-stream"
