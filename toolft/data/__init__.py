"""Dataset loading, validation, splitting and summaries (stdlib only)."""

from toolft.data.records import (
    CATEGORIES,
    DataFileError,
    LoadResult,
    RowError,
    check_rows,
    load_records,
    normalize_record,
    row_category,
    split_records,
    validate_record,
)
from toolft.data.stats import summarize, token_count

__all__ = [
    "CATEGORIES",
    "DataFileError",
    "LoadResult",
    "RowError",
    "check_rows",
    "load_records",
    "normalize_record",
    "row_category",
    "split_records",
    "summarize",
    "token_count",
    "validate_record",
]
