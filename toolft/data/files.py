"""Read dataset files into ``(line, row, parse_error)`` triples, and write JSONL safely.

Accepted sources: ``.jsonl``, ``.json`` (an array, or ``{"data": [...]}``),
``.parquet``, ``.csv``, a local folder in the Hugging Face Hub dataset layout
(``data/train-00000-of-00001.parquet``, ``train.jsonl``...), and a Hub dataset id
(``owner/name``) when online. ``line`` is the 1-based line of a JSONL or CSV file,
and the 1-based row number elsewhere.

JSONL lines end only at ``\\n`` (the JSON Lines spec): U+2028, U+2029, U+0085,
form feeds and other characters that ``str.splitlines`` treats as line ends are
content. :func:`write_jsonl` escapes them, so other readers split our files
correctly too, and reading back gives the same rows.

Only JSON is read as JSON: ``NaN``/``Infinity`` (which Python's ``json`` accepts) and
numbers beyond a 64-bit float (``1e999999``) are row errors naming the line and column,
as are rows nested more than :data:`MAX_DEPTH` arrays/objects deep (so no later step
meets a ``RecursionError``). Raw control characters inside JSON strings (a tab...) are
read as text, with a warning note naming the lines.

Only the standard library is imported at module level (pyarrow, datasets and
huggingface_hub are imported where used).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from pathlib import Path

SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")
MAX_BYTES = 500 * 1024 * 1024  # default upload cap (500 MiB); the app passes its own setting
MAX_DEPTH = 100  # arrays/objects inside each other in one row: deeper rows are errors, never a RecursionError later
# Line ends that str.splitlines() knows besides \n and \r: as raw characters inside a JSON
# string they are valid JSON, and a reader that splits on them breaks the row.
_UNICODE_LINE_ENDS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085",
                      "\x0b": "\\u000b", "\x0c": "\\u000c", "\x1c": "\\u001c", "\x1d": "\\u001d", "\x1e": "\\u001e"}
_ESCAPES = str.maketrans(_UNICODE_LINE_ENDS)


class DataFileError(Exception):
    """The source cannot be read as a dataset at all (message names the file and, where known, the line)."""


Row = tuple  # (line: int, row: object | None, parse_error: str | None)


# ------------------------------------------------------------------ writing
def dumps_line(row) -> str:
    """One JSONL line (without its ``\\n``): non-ASCII kept, Unicode line ends escaped.

    >>> dumps_line({"a": "x\\u2028y"})
    '{"a": "x\\\\u2028y"}'
    """
    return json.dumps(row, ensure_ascii=False, allow_nan=False).translate(_ESCAPES)


def write_jsonl(rows, path) -> None:
    """Write rows as JSON Lines (UTF-8), creating parent folders; reads back identically.

    The file is written whole or not at all (a temporary file renamed into place).

    Raises:
        ValueError: a row holds NaN or Infinity, which JSON cannot represent.
        TypeError: a row holds a value that is not JSON (bytes, a date...).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write(dumps_line(row) + "\n")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


# ------------------------------------------------------------------ reading
class _BadLiteral(ValueError):
    """A literal Python's json accepts but JSON has not (NaN, Infinity) or a float cannot hold (1e999999)."""


def _reject_constant(name: str):
    raise _BadLiteral(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _BadLiteral(text)
    return value


def loads(text: str, strict: bool = True):
    """``json.loads`` that refuses what is not JSON or cannot round-trip: NaN, Infinity, 1e999999.

    ``strict=False`` accepts raw control characters (tab, form feed...) inside strings.

    >>> loads('{"t": 21.5}')
    {'t': 21.5}
    >>> loads('[1, NaN]')
    Traceback (most recent call last):
    ...
    toolft.data.files._BadLiteral: NaN
    """
    return _DECODERS[strict].decode(text)


_DECODERS = {strict: json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float, strict=strict)
             for strict in (True, False)}


# A scanner for the error path only: strings are skipped, so brackets and words inside them do not count.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|(-?(?:NaN|Infinity))|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([\[{])|([\]}])')


def _locate(text: str, exc: Exception) -> tuple[int | None, str]:
    """``(offset or None, what is wrong)`` for a JSON text that failed to load."""
    if isinstance(exc, json.JSONDecodeError):
        return exc.pos, f"invalid JSON: {exc.msg}"
    deep = isinstance(exc, RecursionError)
    digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    depth = 0
    for m in _TOKENS.finditer(text):
        constant, number, opening, closing = m.groups()
        if deep and opening:
            depth += 1
            if depth > MAX_DEPTH:
                return m.start(), _too_deep_message()
        elif deep and closing:
            depth -= 1
        elif not deep and constant:
            return m.start(), (f"invalid JSON: {constant} is not a JSON value (JSON has no NaN or Infinity; "
                               "use null or a number)")
        elif not deep and number:
            is_float = "." in number or "e" in number.lower()
            if is_float and math.isinf(float(number)):
                return m.start(), f"unreadable JSON: the number {number[:40]} is too large (beyond a 64-bit float)"
            if not is_float and digits and len(number.lstrip("-")) > digits:
                return m.start(), (f"unreadable JSON: a number of {len(number.lstrip('-'))} digits is too large "
                                   f"(at most {digits} digits)")
    if deep:
        return None, _too_deep_message()
    return None, f"unreadable JSON: {type(exc).__name__}: {str(exc)[:160]}"


def _too_deep_message() -> str:
    return f"unreadable JSON: nested more than {MAX_DEPTH} levels deep (arrays/objects inside each other)"


def _too_deep(value) -> bool:
    """True when ``value`` nests more than ``MAX_DEPTH`` arrays/objects (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = item.values() if type(item) is dict else item
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
    return False


def _loads_lenient(text: str) -> tuple[object, bool]:
    """``(value, True)`` when ``text`` only loads with raw control characters in strings, else ``(value, False)``."""
    try:
        return loads(text), False
    except json.JSONDecodeError as exc:
        if not exc.msg.startswith("Invalid control character"):
            raise
    return loads(text, strict=False), True


def _parse(text: str, unit: str = "column") -> tuple[object, str | None, bool]:
    """``(value, None, raw_controls)`` of one JSON text (a JSONL line, a CSV cell), or ``(None, what is wrong, False)``.

    ``raw_controls``: the text has raw control characters inside strings (read as text; JSON wants them escaped).
    """
    try:
        value, raw_controls = _loads_lenient(text)
    except (ValueError, RecursionError) as exc:
        pos, what = _locate(text, exc)
        return None, what if pos is None else f"{what} at {unit} {pos + 1}", False
    if type(value) in (dict, list) and text.count("[") + text.count("{") > MAX_DEPTH and _too_deep(value):
        pos, what = _locate(text, RecursionError())
        return None, what if pos is None else f"{what} at {unit} {pos + 1}", False
    return value, None, raw_controls


def _controls_note(lines: list[int], what: str = "line") -> list[str]:
    """A note naming the rows whose JSON strings hold raw control characters (none when there are none)."""
    if not lines:
        return []
    shown = ", ".join(map(str, lines[:5])) + (f" (+{len(lines) - 5} more)" if len(lines) > 5 else "")
    return [f"{what}{'s' * (len(lines) > 1)} {shown}: raw control characters (tab, form feed...) inside JSON "
            "strings, read as text (JSON wants them escaped, e.g. \\t)"]


def _size(n: int) -> str:
    """``512 bytes``, ``3.0 KiB``, ``20.5 MiB``."""
    if n < 1024:
        return f"{n} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
    raise AssertionError  # unreachable


def _decode(path: Path, raw: bytes) -> tuple[str, list[str]]:
    """UTF-8 text of a file and notes about it (a BOM, CRLF line ends)."""
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if raw.startswith(bom):
            raise DataFileError(f"{path.name}: the file is {name} text; save it as UTF-8")
    if b"\x00" in raw[:8192]:
        raise DataFileError(f"{path.name}: looks like a binary file, not text (a NUL byte near the start)")
    notes = []
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        notes.append("the file starts with a UTF-8 byte-order mark (ignored)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataFileError(f"{path.name}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                            f"{column}: {exc.reason}); save the file as UTF-8") from None
    if not text.strip():
        raise DataFileError(f"{path.name}: the file is empty" + (" (only whitespace)" if text else ""))
    if "\r\n" in text:
        notes.append("Windows line ends (CRLF) read as \\n")
    return text, notes


def jsonl_rows(text: str) -> list[Row]:
    """Rows of a JSONL text; lines end only at ``\\n`` (a trailing ``\\r`` is dropped); blank lines skipped.

    >>> [r[:2] for r in jsonl_rows('{"a": 1}\\r\\n\\n{"b": "x\\u2028y"}\\n')]
    [(1, {'a': 1}), (3, {'b': 'x\\u2028y'})]
    >>> jsonl_rows('{"a": NaN}')[0][2]
    'invalid JSON: NaN is not a JSON value (JSON has no NaN or Infinity; use null or a number) at column 7'
    """
    return _jsonl(text)[0]


def _jsonl(text: str) -> tuple[list[Row], list[str]]:
    rows, controls = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if not line.strip():
            continue
        value, error, raw_controls = _parse(line)
        rows.append((number, value, error))
        if raw_controls:
            controls.append(number)
    return rows, _controls_note(controls)


def _json_array_rows(path: Path, text: str) -> tuple[list[Row], list[str]]:
    try:
        data, raw_controls = _loads_lenient(text)
    except (ValueError, RecursionError) as exc:
        pos, what = _locate(text, exc)
        if pos is None:
            raise DataFileError(f"{path.name}: {what}") from None
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        hint = " (one JSON value per line is JSON Lines: name the file .jsonl)" if what.endswith("Extra data") else ""
        raise DataFileError(f"{path.name}: line {line}: {what} at column {column}{hint}") from None
    if isinstance(data, dict):
        data = next((data[k] for k in ("data", "rows", "train") if isinstance(data.get(k), list)), data)
    if not isinstance(data, list):
        got = _json_type(data) + (f" with keys {', '.join(list(data)[:8])}" if isinstance(data, dict) and data else "")
        raise DataFileError(f'{path.name}: expected a JSON array of rows (or {{"data": [...]}}), got a JSON {got}')
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    rows = [(i, None, _too_deep_message()) if deep and _too_deep(row) else (i, row, None)
            for i, row in enumerate(data, start=1)]
    return rows, ["raw control characters (tab, form feed...) inside JSON strings, read as text "
                  "(JSON wants them escaped, e.g. \\t)"] if raw_controls else []


def _json_type(value) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number",
             type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _arrow_depth(arrow_type) -> int:
    """How many lists/structs/maps an Arrow type nests."""
    import pyarrow.types as pat

    if pat.is_struct(arrow_type):
        return 1 + max((_arrow_depth(arrow_type.field(i).type) for i in range(arrow_type.num_fields)), default=0)
    if pat.is_map(arrow_type):
        return 1 + max(_arrow_depth(arrow_type.key_type), _arrow_depth(arrow_type.item_type))
    if pat.is_list(arrow_type) or pat.is_large_list(arrow_type) or pat.is_fixed_size_list(arrow_type):
        return 1 + _arrow_depth(arrow_type.value_type)
    return 0


def _has_floats(arrow_type) -> bool:
    import pyarrow.types as pat

    if pat.is_floating(arrow_type):
        return True
    if pat.is_struct(arrow_type):
        return any(_has_floats(arrow_type.field(i).type) for i in range(arrow_type.num_fields))
    if pat.is_map(arrow_type):
        return _has_floats(arrow_type.key_type) or _has_floats(arrow_type.item_type)
    if pat.is_list(arrow_type) or pat.is_large_list(arrow_type) or pat.is_fixed_size_list(arrow_type):
        return _has_floats(arrow_type.value_type)
    return False


def _not_finite(value) -> bool:
    """True when ``value`` holds a NaN or infinite float (not JSON)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is float and not math.isfinite(item):
            return True
        if type(item) is dict:
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return False


def _parquet_rows(path: Path) -> list[Row]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a broken file
        detail = str(exc).replace(str(path), path.name).split(". ")[0][:200]
        raise DataFileError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}: {detail})") from None
    try:
        pylist = table.to_pylist(maps_as_pydicts="lossy")
    except TypeError:  # pyarrow < 13
        pylist = table.to_pylist()
    try:
        deep = 1 + max((_arrow_depth(f.type) for f in table.schema), default=0) > MAX_DEPTH
        floats = any(_has_floats(f.type) for f in table.schema)
    except RecursionError:
        deep = floats = True
    rows = []
    for i, row in enumerate(pylist, start=1):
        if deep and _too_deep(row):
            rows.append((i, None, _too_deep_message()))
        elif floats and _not_finite(row):
            rows.append((i, None, "holds a NaN or infinite number, which JSON cannot represent"))
        else:
            rows.append((i, _drop_nulls(row), None))
    return rows


def _drop_nulls(value):
    """Remove the ``None`` fields Arrow adds when it merges structs of different shapes."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


_JSON_COLUMNS = ("messages", "tools", "conversations", "answers")
_CSV_FIELD_LIMIT = 2**31 - 1  # the csv module's default is 128 KiB a cell; long tool results are longer


def _csv_rows(path: Path, text: str) -> tuple[list[Row], list[str]]:
    """Rows of a CSV file with a header; cells of JSON columns (messages, tools...) are decoded.

    ``line`` is the physical line where the row starts (a quoted cell may span lines).
    """
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise DataFileError(f"{path.name}: line 1: no header row")
        header = [cell.strip() for cell in header]
        repeated = sorted({c for c in header if header.count(c) > 1})
        if repeated:
            raise DataFileError(f'{path.name}: line {reader.line_num}: the header names column "{repeated[0]}" twice')
        rows, controls = [], []
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not cells or (len(cells) == 1 and not cells[0].strip() and len(header) > 1):
                continue  # a blank line
            row, error, raw_controls = _csv_row(header, cells)
            rows.append((line, row, error))
            if raw_controls:
                controls.append(line)
    except csv.Error as exc:
        raise DataFileError(f"{path.name}: line {reader.line_num}: not readable as CSV ({exc})") from None
    return rows, _controls_note(controls)


def _csv_row(header: list[str], cells: list[str]) -> tuple[dict | None, str | None, bool]:
    if len(cells) > len(header):
        return None, f"{_cells(len(cells))} but the header has {len(header)} columns", False
    if len(cells) < len(header):
        return None, (f'{_cells(len(cells))} but the header has {len(header)} columns: no cell for column '
                      f'"{header[len(cells)]}"'), False
    row, any_controls = {}, False
    for key, value in zip(header, cells):
        if key in _JSON_COLUMNS and value.strip()[:1] in ("[", "{", '"'):
            value, error, raw_controls = _parse(value.strip(), unit="character")
            if error:
                return None, f'column "{key}": {error}', False
            any_controls = any_controls or raw_controls
        row[key] = value
    return row, None, any_controls


def _cells(n: int) -> str:
    return f"{n} cell" + "s" * (n != 1)


_METADATA_FILES = ("dataset_info.json", "dataset_dict.json", "state.json", "dataset_infos.json")


def _folder_files(folder: Path, split: str) -> list[Path]:
    """The data files of one split in a Hub-layout folder (``data/train-*.parquet``, ``train.jsonl``...)."""
    candidates = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                        and p.name.lower() not in _METADATA_FILES
                        and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    split = split.lower()
    chosen = [p for p in candidates if p.name.lower().startswith(split) or p.parent.name.lower() == split]
    if not chosen and split == "train":
        chosen = [p for p in candidates if not p.name.lower().startswith(("test", "valid", "eval"))]
    if not chosen:
        found = ", ".join(str(p.relative_to(folder)) for p in candidates[:8]) or "no data file"
        raise DataFileError(f"{folder.name}: no file of split '{split}' ({found})")
    return chosen


def read_file(path: Path, max_bytes: int = MAX_BYTES) -> tuple[list[Row], list[str]]:
    """``(rows, notes)`` of one data file (see the module docstring for the formats)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataFileError(f"{path.name}: unsupported file type {path.suffix or '(none)'!r}; "
                            f"use {', '.join(SUFFIXES)}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DataFileError(f"{path.name}: the file is {_size(size)}, over the upload limit of {_size(max_bytes)}")
        if suffix == ".parquet":
            return _parquet_rows(path), []
        raw = path.read_bytes()
    except OSError as exc:  # permission denied, a folder named like a file...
        raise DataFileError(f"{path.name}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    text, notes = _decode(path, raw)
    reader = _jsonl if suffix == ".jsonl" else (lambda t: _csv_rows(path, t)) if suffix == ".csv" else (
        lambda t: _json_array_rows(path, t))
    rows, more = reader(text)
    return rows, notes + more


def read_rows(source, *, split: str = "train", limit: int | None = None,
              max_bytes: int = MAX_BYTES) -> tuple[list[Row], list[str]]:
    """``(rows, notes)`` of a file, a Hub-layout folder or a Hub dataset id; at most ``limit`` rows.

    ``max_bytes`` caps each file and, in a folder, the split's files together.

    Raises:
        DataFileError: the source is missing, unreadable, too large, or holds no row.
    """
    path = Path(source)
    if path.is_dir():
        files = _folder_files(path, split)
        total = sum(f.stat().st_size for f in files)
        if total > max_bytes:
            raise DataFileError(f"{path.name}: the {split} files are {_size(total)} together, over the upload "
                                f"limit of {_size(max_bytes)}")
        rows, notes = [], []
        for file in files:
            file_rows, file_notes = read_file(file, max_bytes)
            if len(files) > 1:  # one numbering across the split's files: row n of the split
                file_rows = [(len(rows) + i, row, err) for i, (_, row, err) in enumerate(file_rows, start=1)]
            rows += file_rows
            notes += [f"{file.name}: {n}" for n in file_notes]
            if limit and len(rows) >= limit:
                break
    elif path.is_file():
        rows, notes = read_file(path, max_bytes)
    elif _looks_like_hub_id(str(source)):
        return read_rows(_download(str(source)), split=split, limit=limit, max_bytes=max_bytes)
    else:
        raise DataFileError(f"{source}: file not found")
    if not rows:
        raise DataFileError(f"{path.name}: contains no rows")
    return (rows[:limit] if limit else rows), notes


def _looks_like_hub_id(text: str) -> bool:
    """``owner/name`` that is not a local path (a name with a data file suffix is a missing file)."""
    parts = text.split("/")
    return (len(parts) == 2 and all(parts) and not text.startswith((".", "/", "~"))
            and not Path(parts[0]).exists() and Path(parts[1]).suffix.lower() not in SUFFIXES)


def _download(repo_id: str) -> Path:
    """Download a Hub dataset's data files (cached by huggingface_hub); needs network access."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError
    except ImportError:
        raise DataFileError(f"{repo_id}: reading a Hub dataset needs the huggingface_hub package") from None

    try:
        return Path(snapshot_download(repo_id, repo_type="dataset",
                                      allow_patterns=[f"*{s}" for s in SUFFIXES] + ["*/*" + s for s in SUFFIXES]))
    except (RepositoryNotFoundError, LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as exc:
        first = (str(exc).splitlines() or [""])[0][:160]
        raise DataFileError(f"{repo_id}: cannot download this Hub dataset ({type(exc).__name__}: {first})") from None
