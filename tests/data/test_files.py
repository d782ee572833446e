"""Tests for toolft.data.files: JSONL line ends, the accepted file kinds, folders, limits."""

import csv
import io
import json

import pytest

from toolft.data.files import MAX_DEPTH, DataFileError, dumps_line, jsonl_rows, read_rows, write_jsonl
from toolft.data.records import load_records

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                   "required": ["city"]}}}
EVENT = {"type": "function", "function": {
    "name": "create_event", "description": "Add an event to the calendar",
    "parameters": {"type": "object", "properties": {"title": {"type": "string"},
                                                    "dates": {"type": "array", "items": {"type": "string"}}},
                   "required": ["title"]}}}

# str.splitlines() breaks lines at these; the JSON Lines spec and toolft only at \n
SPLITLINES_ENDS = "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e"


def weather_row(city, row_id=None):
    row = {"messages": [
        {"role": "user", "content": f"Weather in {city}?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "id": "call_1", "function": {"name": "get_weather", "arguments": {"city": city}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather",
         "content": f'{{"temp_c": 18, "city": "{city}"}}'},
        {"role": "assistant", "content": f"It is 18 °C in {city}."}], "tools": [WEATHER]}
    if row_id is not None:
        row["id"] = row_id
    return row


def event_row(title, dates):
    return {"messages": [
        {"role": "system", "content": "You manage the user's calendar."},
        {"role": "user", "content": f"Book {title} on {', '.join(dates)}"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "create_event",
                                              "arguments": {"title": title, "dates": dates}}}]}],
        "tools": [EVENT, WEATHER], "kind": "single_call"}


def chat_row(text):
    return {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "Noted."}], "tools": []}


def with_line_ends(city):
    """A row whose strings hold every character str.splitlines() treats as a line end."""
    row = weather_row(city)
    row["messages"][0]["content"] = f"Weather{SPLITLINES_ENDS}in {city}?"
    row["messages"][3]["content"] = f"18 °C\u2028Line 2\u2029Para\u0085NEL\x0bVT\x0cFF in {city}."
    return row


# ------------------------------------------------------------------ JSONL line ends
def test_raw_unicode_line_ends_inside_strings_are_content(tmp_path):
    rows = [with_line_ends("Lyon"), with_line_ends("Oslo"), with_line_ends("Pune")]
    # a writer that leaves every character raw (valid JSON for U+2028/U+2029/U+0085; \x0b and \x0c raw are
    # control characters JSON wants escaped, read as text with a warning)
    text = "\n".join(json.dumps(r, ensure_ascii=False).replace("\\u000b", "\x0b").replace("\\f", "\x0c")
                     .replace("\\u001c", "\x1c").replace("\\u001d", "\x1d").replace("\\u001e", "\x1e")
                     for r in rows[:2]) + "\n\n" + json.dumps(rows[2], ensure_ascii=False) + "\n"
    assert all(ch in text for ch in SPLITLINES_ENDS)
    path = tmp_path / "raw.jsonl"
    path.write_text(text, encoding="utf-8", newline="")
    assert len(text.splitlines()) > 4  # what a splitlines-based reader would see
    got, notes = read_rows(path)
    assert [(line, row, err) for line, row, err in got] == [(1, rows[0], None), (2, rows[1], None), (4, rows[2], None)]
    assert notes == ["lines 1, 2: raw control characters (tab, form feed...) inside JSON strings, read as text "
                     "(JSON wants them escaped, e.g. \\t)"]
    loaded = load_records(path)
    assert loaded.records == rows and loaded.lines == [1, 2, 4] and loaded.errors == []


def test_u2028_u2029_u0085_raw_are_valid_json_without_notes(tmp_path):
    row = chat_row("one\u2028two\u2029three\u0085four")
    path = tmp_path / "u.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n" + json.dumps(chat_row("next")) + "\n", encoding="utf-8")
    assert read_rows(path) == ([(1, row, None), (2, chat_row("next"), None)], [])


def test_write_jsonl_escapes_line_ends_and_reads_back_identically(tmp_path):
    rows = [with_line_ends("Lyon"), chat_row("tab\there"), with_line_ends("Oslo")]
    path = tmp_path / "out" / "rows.jsonl"  # parent folders are created
    write_jsonl(rows, path)
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == 3 and text.count("\n") == 3
    assert not any(ch in text for ch in SPLITLINES_ENDS)
    assert "°C" in text  # non-ASCII stays readable
    assert [row for _, row, _ in read_rows(path)[0]] == rows
    assert read_rows(path)[1] == []
    assert load_records(path).records == rows
    assert [json.loads(line) for line in text.splitlines()] == rows  # any reader splits it right


def test_dumps_line_escapes_each_splitlines_character():
    for ch in SPLITLINES_ENDS:
        line = dumps_line({"t": f"a{ch}b"})
        assert ch not in line and len(line.splitlines()) == 1 and json.loads(line) == {"t": f"a{ch}b"}


def test_write_jsonl_refuses_nan_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "nan.jsonl"
    with pytest.raises(ValueError):
        write_jsonl([chat_row("ok"), {"score": float("nan")}], path)
    assert list(tmp_path.iterdir()) == []
    write_jsonl([chat_row("first")], path)
    with pytest.raises(ValueError):
        write_jsonl([chat_row("second"), {"score": float("inf")}], path)
    assert read_rows(path)[0] == [(1, chat_row("first"), None)]  # the old file is intact


def test_crlf_file_reads_with_a_note(tmp_path):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b"\r\n".join(json.dumps(r).encode() for r in [weather_row("Lyon"), weather_row("Oslo")]) + b"\r\n")
    rows, notes = read_rows(path)
    assert rows == [(1, weather_row("Lyon"), None), (2, weather_row("Oslo"), None)]
    assert notes == ["Windows line ends (CRLF) read as \\n"]
    loaded = load_records(path)
    assert len(loaded.records) == 2
    assert [(w.line, w.severity, w.message) for w in loaded.warnings] == [(1, "warning", notes[0])]


def test_utf8_bom_reads_with_a_note(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(weather_row("Zürich"), ensure_ascii=False).encode() + b"\n")
    assert read_rows(path) == ([(1, weather_row("Zürich"), None)],
                               ["the file starts with a UTF-8 byte-order mark (ignored)"])


def test_utf16_is_named(tmp_path):
    path = tmp_path / "utf16.jsonl"
    path.write_text(json.dumps(chat_row("hi")) + "\n", encoding="utf-16")
    with pytest.raises(DataFileError, match=r"^utf16\.jsonl: the file is UTF-16 text; save it as UTF-8$"):
        read_rows(path)


def test_jsonl_rows_numbers_lines_and_skips_blanks():
    text = '{"a": 1}\n\n   \n{"b": [1, 2]}\n{"c": \n'
    assert jsonl_rows(text) == [(1, {"a": 1}, None), (4, {"b": [1, 2]}, None),
                                (5, None, "invalid JSON: Expecting value at column 7")]


def test_too_deep_rows_are_errors_at_their_line(tmp_path):
    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    ok = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    rows = jsonl_rows(f'{{"x": {ok}}}\n{{"x": {deep}}}\n')
    assert rows[0][2] is None and rows[1][0] == 2 and rows[1][1] is None
    # the row object is level 1, so the 100th "[" (after the 6 characters '{"x": ') is one too many
    assert rows[1][2] == f"unreadable JSON: nested more than {MAX_DEPTH} levels deep (arrays/objects inside " \
                         f"each other) at column {6 + MAX_DEPTH}"


# ------------------------------------------------------------------ .json
def test_json_array_and_data_wrapper(tmp_path):
    rows = [weather_row("Lyon"), event_row("Standup", ["2024-05-06"])]
    (tmp_path / "array.json").write_text(json.dumps(rows, indent=2))
    (tmp_path / "wrapped.json").write_text(json.dumps({"version": 2, "data": rows}))
    for name in ("array.json", "wrapped.json"):
        assert read_rows(tmp_path / name) == ([(1, rows[0], None), (2, rows[1], None)], [])
        loaded = load_records(tmp_path / name)
        assert loaded.records == rows and loaded.lines == [1, 2]


def test_json_lines_saved_as_json_gets_a_hint(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(chat_row("a")) + "\n" + json.dumps(chat_row("b")) + "\n")
    with pytest.raises(DataFileError) as info:
        read_rows(path)
    assert str(info.value) == ("rows.json: line 2: invalid JSON: Extra data at column 1 (one JSON value per line "
                               "is JSON Lines: name the file .jsonl)")


# ------------------------------------------------------------------ .parquet
def test_parquet_of_rows_with_different_shapes_loads_the_originals(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    rows = [weather_row("Lyon", row_id="wx-1"), event_row("Standup", ["2024-05-06", "2024-05-07"]),
            chat_row("Remind me later."), weather_row("Oslo")]
    table = pa.Table.from_struct_array(pa.array(rows))  # (from_pylist would keep the first row's keys only)
    # Arrow merged the shapes: every row now has every key and every struct every field, the missing ones null
    assert set(table.to_pylist()[2]) == {"messages", "tools", "id", "kind"}
    assert table.to_pylist()[2]["messages"][0]["tool_calls"] is None
    pq.write_table(table, tmp_path / "mixed.parquet")
    got, notes = read_rows(tmp_path / "mixed.parquet")
    assert got == [(i, row, None) for i, row in enumerate(rows, start=1)] and notes == []
    loaded = load_records(tmp_path / "mixed.parquet")
    assert loaded.errors == [] and loaded.warnings == []
    assert loaded.records == rows


def test_parquet_nan_is_a_missing_value_and_infinity_a_row_error(tmp_path):
    """pandas writes a missing float as NaN: it reads as missing (the key is dropped, like Arrow's nulls),
    so an unused column never costs a row; an infinite number has no JSON form and refuses its row."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{**chat_row("a"), "score": 0.5}, {**chat_row("b"), "score": float("nan")},
            {**chat_row("c"), "score": float("inf")}]
    pq.write_table(pa.Table.from_struct_array(pa.array(rows)), tmp_path / "nan.parquet")
    assert read_rows(tmp_path / "nan.parquet")[0] == [
        (1, rows[0], None), (2, chat_row("b"), None),
        (3, None, "holds an infinite number, which JSON cannot represent")]


def test_unreadable_parquet_names_the_file_not_the_path(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(DataFileError) as info:
        read_rows(path)
    message = str(info.value)
    assert message.startswith("broken.parquet: not a readable Parquet file (") and str(tmp_path) not in message


# ------------------------------------------------------------------ .csv
def csv_text(header, records):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(records)
    return out.getvalue()


def test_csv_with_json_columns(tmp_path):
    rows = [weather_row("Lyon"), event_row("Standup", ["2024-05-06"])]
    path = tmp_path / "rows.csv"
    path.write_text(csv_text(["id", "messages", "tools"],
                             [[str(i), json.dumps(r["messages"], ensure_ascii=False), json.dumps(r["tools"])]
                              for i, r in enumerate(rows, start=1)]), encoding="utf-8")
    got, notes = read_rows(path)
    assert got == [(2, {"id": "1", "messages": rows[0]["messages"], "tools": rows[0]["tools"]}, None),
                   (3, {"id": "2", "messages": rows[1]["messages"], "tools": rows[1]["tools"]}, None)]
    loaded = load_records(path)
    assert loaded.errors == [] and [r["id"] for r in loaded.records] == ["1", "2"]
    assert [r["messages"] for r in loaded.records] == [rows[0]["messages"], rows[1]["messages"]]


def test_csv_xlam_style(tmp_path):
    tools = [{"name": "get_weather", "description": "Current weather",
              "parameters": {"city": {"type": "str", "description": "City name"},
                             "days": {"type": "int, optional", "description": "Forecast days"}}}]
    path = tmp_path / "xlam.csv"
    path.write_text(csv_text(["query", "tools", "answers"], [
        ["Weather in Lyon for 3 days?", json.dumps(tools), json.dumps([{"name": "get_weather",
                                                                        "arguments": {"city": "Lyon", "days": 3}}])],
        ["And Oslo?", json.dumps(tools), json.dumps([{"name": "get_weather", "arguments": {"city": "Oslo"}}])]]))
    loaded = load_records(path)
    assert loaded.format == "xlam" and loaded.errors == [] and loaded.lines == [2, 3]
    first = loaded.records[0]
    assert first["messages"] == [
        {"role": "user", "content": "Weather in Lyon for 3 days?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Lyon", "days": 3}}}]}]
    assert first["tools"][0]["function"]["parameters"]["required"] == ["city"]


def test_csv_lines_follow_multiline_cells_and_blank_lines(tmp_path):
    text = ('messages,tools\n'
            '"[{""role"": ""user"", ""content"": ""two\nlines""}, {""role"": ""assistant"", ""content"": ""ok""}]",[]\n'
            '\n'
            '"[{""role"": ""user"", ""content"": ""hi""}, {""role"": ""assistant"", ""content"": ""hello""}]",[]\n'
            '"[{""role"": ""user""}]"\n')
    path = tmp_path / "lines.csv"
    path.write_text(text)
    rows, _ = read_rows(path)
    assert [(line, err) for line, _, err in rows] == [
        (2, None), (5, None), (6, '1 cell but the header has 2 columns: no cell for column "tools"')]
    assert rows[0][1]["messages"][0]["content"] == "two\nlines"


def test_csv_cell_larger_than_the_csv_module_default(tmp_path):
    big = "x" * 300_000  # csv's default limit is 131072 characters a cell
    path = tmp_path / "big.csv"
    path.write_text(csv_text(["messages"], [[json.dumps(chat_row(big)["messages"])]]))
    assert read_rows(path)[0] == [(2, {"messages": chat_row(big)["messages"]}, None)]


def test_csv_bad_json_cell_and_extra_cells(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(["messages", "tools"], [['[{"role": "user"', "[]"], ["[]", "[]", "extra"]]))
    assert read_rows(path)[0] == [
        (2, None, 'column "messages": invalid JSON: Expecting \',\' delimiter at character 17'),
        (3, None, "3 cells but the header has 2 columns")]


# ------------------------------------------------------------------ folders
def test_hub_layout_folder_with_parquet_splits(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    train = [weather_row("Lyon"), weather_row("Oslo"), event_row("Standup", ["2024-05-06"])]
    test = [weather_row("Pune")]
    (tmp_path / "ds" / "data").mkdir(parents=True)
    data = tmp_path / "ds" / "data"
    pq.write_table(pa.Table.from_struct_array(pa.array(train)), data / "train-00000-of-00001.parquet")
    pq.write_table(pa.Table.from_struct_array(pa.array(test)), data / "test-00000-of-00001.parquet")
    (tmp_path / "ds" / "README.md").write_text("# weather calls\n")
    (tmp_path / "ds" / "dataset_info.json").write_text('{"features": {}}')
    assert load_records(tmp_path / "ds").records == train
    assert load_records(tmp_path / "ds", split="train").lines == [1, 2, 3]
    assert load_records(tmp_path / "ds", split="test").records == test
    with pytest.raises(DataFileError, match=r"^ds: no file of split 'validation' \(data/test-00000-of-00001\.parquet, "
                                            r"data/train-00000-of-00001\.parquet\)$"):
        load_records(tmp_path / "ds", split="validation")


def test_hub_layout_split_in_several_shards_is_numbered_across_them(tmp_path):
    (tmp_path / "ds" / "data").mkdir(parents=True)
    write_jsonl([weather_row("Lyon"), weather_row("Oslo")], tmp_path / "ds" / "data" / "train-00000-of-00002.jsonl")
    write_jsonl([weather_row("Pune")], tmp_path / "ds" / "data" / "train-00001-of-00002.jsonl")
    rows, _ = read_rows(tmp_path / "ds")
    assert [(line, row["messages"][0]["content"]) for line, row, _ in rows] == [
        (1, "Weather in Lyon?"), (2, "Weather in Oslo?"), (3, "Weather in Pune?")]


def test_folder_with_train_jsonl(tmp_path):
    write_jsonl([weather_row("Lyon"), weather_row("Oslo")], tmp_path / "ds" / "train.jsonl")
    write_jsonl([weather_row("Pune")], tmp_path / "ds" / "validation.jsonl")
    loaded = load_records(tmp_path / "ds")
    assert loaded.records == [weather_row("Lyon"), weather_row("Oslo")]
    assert load_records(tmp_path / "ds", split="validation").records == [weather_row("Pune")]


# ------------------------------------------------------------------ limits
def test_limit(tmp_path):
    path = tmp_path / "many.jsonl"
    write_jsonl([weather_row(c) for c in ("Lyon", "Oslo", "Pune", "Lima")], path)
    rows, _ = read_rows(path, limit=2)
    assert [line for line, _, _ in rows] == [1, 2]
    loaded = load_records(path, limit=3)
    assert loaded.total == 3 and len(loaded.records) == 3


def test_upload_size_limit(tmp_path):
    path = tmp_path / "big.jsonl"
    write_jsonl([weather_row("Lyon")] * 20, path)
    size = path.stat().st_size
    assert size > 2048
    with pytest.raises(DataFileError) as info:
        read_rows(path, max_bytes=2048)
    assert str(info.value) == f"big.jsonl: the file is {size / 1024:.1f} KiB, over the upload limit of 2.0 KiB"
    with pytest.raises(DataFileError, match="over the upload limit of 1.0 KiB"):
        load_records(path, max_bytes=1024)
    assert len(read_rows(path, max_bytes=size)[0]) == 20


def test_upload_size_limit_counts_a_folder_split_together(tmp_path):
    write_jsonl([weather_row("Lyon")] * 10, tmp_path / "ds" / "train-0.jsonl")
    write_jsonl([weather_row("Oslo")] * 10, tmp_path / "ds" / "train-1.jsonl")
    one = (tmp_path / "ds" / "train-0.jsonl").stat().st_size
    with pytest.raises(DataFileError, match=r"^ds: the train files are .* together, over the upload limit"):
        read_rows(tmp_path / "ds", max_bytes=one + 10)


# ------------------------------------------------------------------ missing sources
def test_missing_file_in_a_missing_folder_is_not_taken_for_a_hub_id(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataFileError, match=r"^nosuchdir/train\.jsonl: file not found$"):
        read_rows("nosuchdir/train.jsonl")
    with pytest.raises(DataFileError, match=r"^missing\.jsonl: file not found$"):
        read_rows("missing.jsonl")


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text(json.dumps(chat_row("hi")) + "\n")
    with pytest.raises(DataFileError, match=r"^notes\.txt: unsupported file type '\.txt'; use \.jsonl, \.json, "
                                            r"\.parquet, \.csv$"):
        read_rows(path)



def test_unreadable_file_is_a_data_file_error(tmp_path, monkeypatch):
    folder = tmp_path / "rows.jsonl"  # a folder with a data file's name is read as a folder
    folder.mkdir()
    with pytest.raises(DataFileError, match=r"^rows\.jsonl: no file of split 'train' \(no data file\)$"):
        read_rows(folder)
    path = tmp_path / "locked.jsonl"
    path.write_text(json.dumps(chat_row("hi")) + "\n")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(type(path), "read_bytes", denied)
    with pytest.raises(DataFileError, match=r"^locked\.jsonl: cannot read the file \(Permission denied\)$"):
        read_rows(path)


def test_csv_crlf_is_not_noted_and_semicolons_get_a_hint(tmp_path):
    import csv as csv_module

    path = tmp_path / "rows.csv"
    with path.open("w", newline="") as f:  # the csv module writes \r\n, as the CSV standard says
        writer = csv_module.writer(f)
        writer.writerow(["messages", "tools"])
        writer.writerow([json.dumps(chat_row("a")["messages"]), "[]"])
    rows, notes = read_rows(path)
    assert rows[0][1]["messages"] == chat_row("a")["messages"] and notes == []
    excel = tmp_path / "excel.csv"
    excel.write_text("messages;tools\n[];[]\n")
    with pytest.raises(DataFileError, match="separated by semicolons"):
        read_rows(excel)
