"""Read dataset files into ``(line, row, parse_error)`` triples, and write JSONL safely.

Accepted sources: ``.jsonl``, ``.json`` (an array, or ``{"data": [...]}``),
``.parquet``, ``.csv``, a local folder in the Hugging Face Hub dataset layout
(``data/train-00000-of-00001.parquet``, ``train.jsonl``...), and a Hub dataset id
(``owner/name``: only the split's files are downloaded, into the huggingface_hub cache; offline, a
split downloaded before is read from there). ``line`` is the 1-based line of a JSONL or CSV file,
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
from pathlib import Path, PurePosixPath

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


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def _text_too_deep(text: str) -> bool:
    """True when the JSON ``text`` nests more than ``MAX_DEPTH`` arrays/objects.

    Strings are cut out and everything but brackets dropped with two C-speed regex passes,
    so only a short bracket string is scanned in Python: about 10x faster than walking
    the parsed value on 15k rows (bench/data_check.py).
    """
    depth = 0
    for char in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if char in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _too_deep(value, budget: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests more than ``MAX_DEPTH`` arrays/objects.

    Recursive, but never deeper than ``MAX_DEPTH`` frames (well inside Python's limit);
    2x faster than an explicit stack on 15k rows (bench/data_check.py).
    """
    if type(value) is dict:
        children = value.values()
    elif type(value) is list:
        children = value
    else:
        return False
    if budget == 0:
        return True
    for child in children:
        kind = type(child)
        if (kind is dict or kind is list) and _too_deep(child, budget - 1):
            return True
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
    if type(value) in (dict, list) and text.count("[") + text.count("{") > MAX_DEPTH and _text_too_deep(text):
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


def _nan_to_none(value):
    """``value`` with NaN floats replaced by None (infinite values stay, and their row is refused)."""
    if type(value) is float and math.isnan(value):
        return None
    if type(value) is dict:
        return {k: _nan_to_none(v) for k, v in value.items()}
    if type(value) is list:
        return [_nan_to_none(v) for v in value]
    return value


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
            # pandas writes a missing float as NaN: read it as missing (dropped), like Arrow's nulls
            row = _nan_to_none(row)
            rows.append((i, None, "holds an infinite number, which JSON cannot represent") if _not_finite(row)
                        else (i, _drop_nulls(row), None))
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
        if len(header) == 1 and ";" in header[0]:
            raise DataFileError(f"{path.name}: line 1: the header is one column with ';' in it: the file looks "
                                "separated by semicolons; save it as comma-separated CSV")
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
        return None, f"{_cells(len(cells))} but the header has {len(header)} column{'s' * (len(header) != 1)}", False
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


def _data_files(paths: list[str]) -> list[str]:
    """The data files among relative ``/``-separated paths, sorted: a data suffix, no metadata file, nothing hidden."""
    return sorted((p for p in paths if PurePosixPath(p).suffix.lower() in SUFFIXES
                   and PurePosixPath(p).name.lower() not in _METADATA_FILES
                   and not any(part.startswith(".") for part in PurePosixPath(p).parts)),
                  key=lambda p: PurePosixPath(p).parts)


def _split_files(paths: list[str], split: str, root: str = "") -> list[str]:
    """The data files of one split among a dataset's relative paths; ``[]`` when the split has none.

    One rule for local folders and Hub repos: a data file (see :func:`_data_files`) is in the
    split when its name starts with the split's name (``train.jsonl``, ``data/train-00000-of-00002.parquet``)
    or its folder is named like the split (``train/part-0.jsonl``; ``root`` is the folder name of top-level
    files, a local folder's own name). When no file matches ``train``, every data file not named
    test*, valid* or eval* is the train split.

    >>> _split_files(["README.md", "data/test-00000-of-00001.jsonl", "data/train-00000-of-00001.parquet"], "test")
    ['data/test-00000-of-00001.jsonl']
    >>> _split_files(["rows.jsonl", "eval.jsonl"], "train")
    ['rows.jsonl']
    """
    candidates = _data_files(paths)
    split = split.lower()

    def folder(p: str) -> str:
        parent = PurePosixPath(p).parent.name
        return parent if parent else root

    chosen = [p for p in candidates
              if PurePosixPath(p).name.lower().startswith(split) or folder(p).lower() == split]
    if not chosen and split == "train":
        chosen = [p for p in candidates if not PurePosixPath(p).name.lower().startswith(("test", "valid", "eval"))]
    return chosen


def _no_split_message(name: str, split: str, paths: list[str]) -> str:
    """``NAME: no file of split 'x' (the data files there)``."""
    candidates = _data_files(paths)
    found = ", ".join(candidates[:8]) + (f" (+{len(candidates) - 8} more)" if len(candidates) > 8 else "")
    return f"{name}: no file of split '{split.lower()}' ({found or 'no data file'})"


def _folder_files(folder: Path, split: str) -> list[Path]:
    """The data files of one split in a Hub-layout folder (``data/train-*.parquet``, ``train.jsonl``...).

    Raises:
        DataFileError: no data file of the split (the message lists the data files there).
    """
    relative = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    chosen = _split_files(relative, split, root=folder.name)
    if not chosen:
        raise DataFileError(_no_split_message(folder.name, split, relative))
    return [folder / p for p in chosen]


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
    if suffix == ".csv":  # CRLF is the CSV standard's line end (RFC 4180), nothing to note
        notes = [n for n in notes if not n.startswith("Windows line ends")]
    return rows, notes + more


def read_rows(source, *, split: str = "train", limit: int | None = None,
              max_bytes: int = MAX_BYTES, hub_only: bool = False, token: str | bool | None = None
              ) -> tuple[list[Row], list[str]]:
    """``(rows, notes)`` of a file, a Hub-layout folder or a Hub dataset id; at most ``limit`` rows.

    ``max_bytes`` caps each file and, in a folder or a Hub dataset, the split's files together.
    A split in several files is numbered across them (row n of the split); the files after the one
    that reaches ``limit`` are not read.

    A Hub dataset id (``owner/name`` that is no local path, see :func:`_hub_split`): the repo's file
    list picks the split's files with the same rule as a folder, their total size is checked before
    anything is downloaded, and each file is downloaded into the huggingface_hub cache when it is read
    (so ``limit`` can spare downloads). Without network a split downloaded before is read from that
    cache, with a note saying so.

    ``hub_only``: ``source`` must be a Hub dataset id and is never read as a local path (the app's
    Hub box: a visitor must not read the server's files).

    ``token``: how to authenticate with the Hub (huggingface_hub's meaning): ``None`` this machine's
    login; ``False`` anonymous; a string that token. With a ``token`` given, a Hub that cannot be
    reached is an error: the local cache may hold files this machine's login downloaded.

    Raises:
        DataFileError: the source is missing, unreadable, too large, or holds no row; for a Hub id also:
            no such dataset, a gated or private one without a token that can read it, no network (and
            the split not in the cache), or no file of the split. The message is one line.
    """
    path = Path(source)
    if hub_only:
        if _HUB_ID.fullmatch(str(source)) is None or ".." in str(source):
            raise DataFileError(f"{str(source)[:80]!r} is not a Hub dataset id (owner/name)")
        files, fetch, notes = _hub_split(str(source), split, max_bytes, token)
        rows, file_notes = _read_split(files, limit, max_bytes, fetch)
        if not rows:
            raise DataFileError(f"{source}: contains no rows")
        return (rows[:limit] if limit else rows), notes + file_notes
    if path.is_dir():
        name = path.name
        files = _folder_files(path, split)
        total = sum(f.stat().st_size for f in files)
        if total > max_bytes:
            raise DataFileError(f"{path.name}: the {split} files are {_size(total)} together, over the upload "
                                f"limit of {_size(max_bytes)}")
        rows, notes = _read_split(files, limit, max_bytes)
    elif path.is_file():
        name = path.name
        rows, notes = read_file(path, max_bytes)
    elif _looks_like_hub_id(str(source)):
        name = str(source)
        files, fetch, notes = _hub_split(name, split, max_bytes, token)
        rows, file_notes = _read_split(files, limit, max_bytes, fetch)
        notes = notes + file_notes
    else:
        raise DataFileError(f"{source}: file not found")
    if not rows:
        raise DataFileError(f"{name}: contains no rows")
    return (rows[:limit] if limit else rows), notes


def _read_split(files: list, limit: int | None, max_bytes: int, fetch=None) -> tuple[list[Row], list[str]]:
    """Rows and notes of a split's files, in order; ``fetch(file)`` gives each one's local path when it is read."""
    rows, notes = [], []
    for file in files:
        local = fetch(file) if fetch else file
        file_rows, file_notes = read_file(local, max_bytes)
        if len(files) > 1:  # one numbering across the split's files: row n of the split
            file_rows = [(len(rows) + i, row, err) for i, (_, row, err) in enumerate(file_rows, start=1)]
        rows += file_rows
        notes += [f"{local.name}: {n}" for n in file_notes]
        if limit and len(rows) >= limit:
            break
    return rows, notes


# ------------------------------------------------------------------ Hub datasets
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
_HUB_TIMEOUT = 10  # seconds to wait for the Hub's answer about a dataset before treating it as unreachable
_SHARD = re.compile(r"(.+)-(\d+)-of-(\d+)(\.\w+)")  # data/train-00000-of-00004.parquet
_NETWORK_ERRORS = {"OfflineModeIsEnabled", "ConnectError", "ConnectTimeout", "TimeoutException", "NetworkError",
                   "TransportError", "ProxyError", "ConnectionError", "Timeout", "LocalEntryNotFoundError"}


def _looks_like_hub_id(text: str) -> bool:
    """``owner/name`` that is not a local path (a name with a data file suffix is a missing file).

    >>> _looks_like_hub_id("acme/tools"), _looks_like_hub_id("acme/tools.jsonl"), _looks_like_hub_id("my data/x")
    (True, False, False)
    """
    parts = text.split("/")
    return (_HUB_ID.fullmatch(text) is not None and not Path(parts[0]).exists()
            and Path(parts[1]).suffix.lower() not in SUFFIXES)


def _hub_split(repo_id: str, split: str, max_bytes: int, token: str | bool | None = None
               ) -> tuple[list[str], object, list[str]]:
    """``(files, fetch, notes)`` for one split of a Hub dataset repo; nothing is downloaded yet.

    Online: two small API calls (the dataset's current commit, then its file list with sizes at that
    commit) pick the split's files with :func:`_split_files` and check their total size against
    ``max_bytes``. ``fetch(path_in_repo)`` then downloads one file at that commit with
    ``hf_hub_download`` into the huggingface_hub cache (``HF_HUB_CACHE``) and returns its local path; a
    file cached before is not downloaded again.

    Without network (``HF_HUB_OFFLINE=1``, or the Hub cannot be reached) the newest copy of the split in
    the cache is read instead, with a note; there the files are local already.

    Raises:
        DataFileError: huggingface_hub missing; no such dataset (404, or 401 without a token); gated or
            private without a token that can read it (401/403: log in with a token); no network and the
            split not in the cache (download it as a folder); no file of the split (lists what there is);
            the split's files over ``max_bytes`` together (before any download).
    """
    try:
        from huggingface_hub import HfApi, hf_hub_download
        from huggingface_hub.hf_api import RepoFile
    except ImportError:
        raise DataFileError(f"{repo_id}: reading a Hub dataset needs the huggingface_hub package") from None

    api = HfApi(token=token)
    try:
        # dataset_info makes one request without retries, so an unreachable Hub fails fast here
        sha = api.dataset_info(repo_id, timeout=_HUB_TIMEOUT).sha
        sizes = {f.path: (f.lfs.size if f.lfs else f.size)
                 for f in api.list_repo_tree(repo_id, recursive=True, revision=sha, repo_type="dataset")
                 if isinstance(f, RepoFile)}
    except Exception as exc:  # noqa: BLE001 - sorted by _hub_error; anything it does not know is re-raised
        if _is_network_error(exc):
            if token is not None:  # on someone's behalf: never files this machine's login cached
                raise DataFileError(f"{repo_id}: the Hub cannot be reached ({_network_reason(exc)}); try again "
                                    "later") from None
            return _cached_split(repo_id, split, max_bytes, exc)
        raise _hub_error(repo_id, exc) from None

    files = _split_files(list(sizes), split)
    if not files:
        raise DataFileError(_no_split_message(repo_id, split, list(sizes)))
    _check_hub_size(repo_id, split, {f: sizes[f] for f in files}, max_bytes, "nothing was downloaded")

    def fetch(path_in_repo: str) -> Path:
        try:
            return Path(hf_hub_download(repo_id, path_in_repo, repo_type="dataset", revision=sha, token=token))
        except Exception as exc:  # noqa: BLE001 - as above
            if type(exc).__name__ == "LocalEntryNotFoundError" and exc.__cause__ is not None:
                exc = exc.__cause__  # the HEAD request's error, when the file is not cached either
            if _is_network_error(exc):
                raise DataFileError(_offline_message(repo_id, split, exc, f"downloading {path_in_repo} failed: "))\
                    from None
            raise _hub_error(repo_id, exc, path_in_repo) from None

    return files, fetch, []


def _check_hub_size(repo_id: str, split: str, sizes: dict, max_bytes: int, after: str) -> None:
    total = sum(size or 0 for size in sizes.values())
    if total <= max_bytes:
        return
    what = (f"{next(iter(sizes))} is {_size(total)}" if len(sizes) == 1
            else f"the {len(sizes)} {split} files are {_size(total)} together")
    raise DataFileError(f"{repo_id}: {what}, over the upload limit of {_size(max_bytes)} ({after})")


def _cached_split(repo_id: str, split: str, max_bytes: int, error: Exception) -> tuple[list[Path], None, list[str]]:
    """The split's files in the newest copy of the dataset in the huggingface_hub cache, for when the Hub
    cannot be reached; a copy missing one of its ``-NNNNN-of-NNNNN`` shards does not count.

    Raises:
        DataFileError: no cached copy of the split (the message says network access is needed).
    """
    from huggingface_hub import constants

    snapshots = Path(constants.HF_HUB_CACHE) / ("datasets--" + repo_id.replace("/", "--")) / "snapshots"
    best = None
    for snapshot in sorted(snapshots.iterdir()) if snapshots.is_dir() else ():
        relative = [p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()]
        files = _split_files(relative, split)
        if files and _shards_complete(files):
            newest = max((snapshot / f).lstat().st_mtime for f in files)
            if best is None or newest > best[0]:
                best = (newest, snapshot, files)
    if best is None:
        raise DataFileError(_offline_message(repo_id, split, error))
    _, snapshot, files = best
    _check_hub_size(repo_id, split, {f: (snapshot / f).stat().st_size for f in files}, max_bytes, "cached copy")
    return [snapshot / f for f in files], None, [
        f"read from the local Hugging Face cache: the Hub cannot be reached ({_network_reason(error)}); "
        f"the copy downloaded on {_day(best[0])} may be older than the Hub's"]


def _shards_complete(files: list[str]) -> bool:
    """False when a file named ``x-00001-of-00004.ext`` is there without all four of its shards."""
    groups: dict = {}
    for f in files:
        m = _SHARD.fullmatch(f)
        if m:
            groups.setdefault((m[1], m[3], m[4]), set()).add(int(m[2]))
    return all(len(found) == int(total) for (_, total, _), found in groups.items())


def _day(timestamp: float) -> str:
    import time

    return time.strftime("%Y-%m-%d", time.localtime(timestamp))


def _is_network_error(exc: Exception) -> bool:
    """No network: offline mode, a refused or timed-out connection (httpx, httpx2 or requests), a file
    that needed the network and is not cached."""
    return isinstance(exc, (ConnectionError, TimeoutError)) or any(
        cls.__name__ in _NETWORK_ERRORS for cls in type(exc).__mro__)


def _network_reason(exc: Exception) -> str:
    if any(cls.__name__ == "OfflineModeIsEnabled" for cls in type(exc).__mro__):
        return "HF_HUB_OFFLINE=1 is set"
    from huggingface_hub import constants

    return f"{constants.ENDPOINT} did not answer: {type(exc).__name__}"


def _offline_message(repo_id: str, split: str, exc: Exception, what: str = "") -> str:
    return (f"{repo_id}: {what}a Hub dataset id needs network access ({_network_reason(exc)}), and split "
            f"'{split.lower()}' is not in the local Hugging Face cache; where there is network, download it as a "
            f"folder (hf download {repo_id} --repo-type dataset --local-dir DIR) and pass that folder")


def _hub_error(repo_id: str, exc: Exception, path_in_repo: str = "") -> DataFileError:
    """A one-line DataFileError for an error of huggingface_hub; anything else is re-raised as is."""
    from huggingface_hub import constants
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    if type(exc).__name__ == "HFValidationError":  # a ValueError: the id breaks the Hub's naming rules
        return DataFileError(f"{repo_id}: not a valid Hub dataset id ({_first_line(exc)})")
    if not isinstance(exc, HfHubHTTPError):
        raise exc
    status = getattr(getattr(exc, "response", None), "status_code", None)
    page = f"{constants.ENDPOINT}/datasets/{repo_id}"
    login = ("log in with a token that can read it (hf auth login, or set HF_TOKEN)" if _token() is None
             else "the token in use cannot read it: log in with one that can (hf auth login, or set HF_TOKEN)")
    if isinstance(exc, GatedRepoError):
        return DataFileError(f"{repo_id}: the dataset is gated: accept its conditions on {page}, then {login}")
    if isinstance(exc, RepositoryNotFoundError) and status != 401:
        return DataFileError(f"{repo_id}: no such dataset on the Hub ({constants.ENDPOINT}); check the id "
                             "(owner/name)")
    if isinstance(exc, RepositoryNotFoundError) or status in (401, 403):
        return DataFileError(f"{repo_id}: the Hub refuses access (HTTP {status}): the dataset does not exist, or "
                             f"it is private or gated; {login}")
    where = f" for {path_in_repo}" if path_in_repo else ""
    later = "; try again later" if status == 429 or (status or 0) >= 500 else f" ({_first_line(exc)})"
    return DataFileError(f"{repo_id}: the Hub answered HTTP {status}{where}{later}")


def _token() -> str | None:
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # noqa: BLE001 - an unreadable token file counts as none
        return None


def _first_line(exc: Exception) -> str:
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)[:160]
