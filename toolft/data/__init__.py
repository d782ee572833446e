"""Datasets: reading files (``files``), format conversion (``formats``), lint (``lint``),
loading and splitting (``records``), statistics (``stats``) and rendering with a chat
template (``render``). Only the standard library is imported here."""

from toolft.data.files import DataFileError, write_jsonl
from toolft.data.lint import Finding
from toolft.data.records import (
    CATEGORIES,
    LoadResult,
    check_rows,
    load_records,
    row_category,
    split_records,
)

__all__ = [
    "CATEGORIES",
    "DataFileError",
    "Finding",
    "LoadResult",
    "check_rows",
    "load_records",
    "row_category",
    "split_records",
    "write_jsonl",
]
