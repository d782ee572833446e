"""Malformed inputs through ``python -m toolft data check FILE --json --no-tokens`` (in-process).

Every case ends one of two ways, never with a traceback: exit 2 with one ``error:`` line
naming the file (and the line where one applies), or exit 0 with a JSON summary whose
findings name the line and say what is wrong.
"""

import csv
import io
import json
import re

import pytest

from toolft.__main__ import main

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                   "required": ["city"]}}}


def row(city="Lyon", arguments=None, **extra):
    out = {"messages": [
        {"role": "user", "content": f"Weather in {city}?"},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "id": "call_1", "function": {
            "name": "get_weather", "arguments": {"city": city} if arguments is None else arguments}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18 °C"},
        {"role": "assistant", "content": f"It is 18 °C in {city}."}], "tools": [WEATHER]}
    out.update(extra)
    return out


def chat(*messages, **extra):
    return {"messages": list(messages), **extra}


USER = {"role": "user", "content": "Hi there"}
HELLO = {"role": "assistant", "content": "Hello! How can I help?"}


def line(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def jsonl(*values) -> bytes:
    return "".join(line(v) + "\n" for v in values).encode()


def csv_bytes(header, records) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(records)
    return out.getvalue().encode()


def parquet_bytes(columns: dict) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def xlam_row(city):
    tools = [{"name": "get_weather", "description": "Current weather",
              "parameters": {"city": {"type": "str", "description": "City name"}}}]
    return {"query": f"Weather in {city}?", "tools": json.dumps(tools),
            "answers": json.dumps([{"name": "get_weather", "arguments": {"city": city}}])}


DEEP = "[" * 100_000 + "]" * 100_000
NOT_UTF8 = jsonl(row("Lyon"), row("Oslo")) + line(row("Zürich")).encode("latin-1") + b"\n"

# (case id, file name, content, expected)
# expected: ("exit", regex for the error line after "error: ")
#        or ("finding", severity, line, field, words that the message contains)
CASES = [
    ("invalid-json-line", "a.jsonl", jsonl(row("Lyon"), '{"messages": [', row("Oslo")),
     ("finding", "error", 2, "", "invalid JSON: Expecting value at column 15")),
    ("trailing-garbage", "a.jsonl", jsonl(row("Lyon"), line(row("Oslo")) + " }"),
     ("finding", "error", 2, "", "invalid JSON: Extra data")),
    ("utf8-bom", "a.jsonl", b"\xef\xbb\xbf" + jsonl(row("Lyon")),
     ("finding", "warning", 1, "", "byte-order mark")),
    ("crlf", "a.jsonl", jsonl(row("Lyon"), row("Oslo")).replace(b"\n", b"\r\n"),
     ("finding", "warning", 1, "", "Windows line ends (CRLF)")),
    ("empty-file", "a.jsonl", b"", ("exit", r"a\.jsonl: the file is empty")),
    ("whitespace-only", "a.jsonl", b"  \n\t\n\n", ("exit", r"a\.jsonl: the file is empty \(only whitespace\)")),
    ("binary", "a.jsonl", b"PK\x03\x04\x00\x00" + bytes(range(256)) * 8,
     ("exit", r"a\.jsonl: looks like a binary file, not text")),
    ("utf16", "a.jsonl", line(row("Lyon")).encode("utf-16"), ("exit", r"a\.jsonl: the file is UTF-16 text")),
    ("latin1-line-3", "a.jsonl", NOT_UTF8,
     ("exit", r"a\.jsonl: line 3: not UTF-8 text \(byte 0xfc at column \d+: invalid start byte\); "
              r"save the file as UTF-8")),
    ("json-top-level-number", "a.json", b"42",
     ("exit", r"a\.json: expected a JSON array of rows .* got a JSON number")),
    ("json-object-without-data", "a.json", json.dumps({"rows_": [row()], "version": 1}).encode(),
     ("exit", r"a\.json: expected a JSON array of rows .* got a JSON object with keys rows_, version")),
    ("json-invalid", "a.json", b'[\n  {"messages": []},\n  {"messages": [}\n]',
     ("exit", r"a\.json: line 3: invalid JSON: Expecting value at column 17")),
    ("json-deeply-nested", "a.json", DEEP.encode(),
     ("exit", r"a\.json: line 1: unreadable JSON: nested more than 100 levels deep")),
    ("row-is-an-array", "a.jsonl", jsonl(row("Lyon"), [row("Oslo")]),
     ("finding", "error", 2, "", "a row must be a JSON object, got list")),
    ("row-is-a-string", "a.jsonl", jsonl(row("Lyon"), row("Oslo"), "\"Weather in Pune?\""),
     ("finding", "error", 3, "", "a row must be a JSON object, got string")),
    ("missing-messages", "a.jsonl", jsonl({"tools": [WEATHER], "id": "r1"}),
     ("exit", r"a\.jsonl: no row is in a known format; line 1 matches no known format \(keys: tools, id\)")),
    ("messages-not-a-list", "a.jsonl", jsonl({"messages": "Weather in Lyon?"}),
     ("finding", "error", 1, "messages", "must be a list of messages, got string")),
    ("unknown-role", "a.jsonl", jsonl(row("Lyon"), chat(USER, {"role": "bot", "content": "Hi"}, HELLO)),
     ("finding", "error", 2, "messages[1].role", "unknown role 'bot'")),
    ("content-a-number", "a.jsonl", jsonl(chat({"role": "user", "content": 42}, HELLO)),
     ("finding", "error", 1, "messages[0].content", "must be a string, got number")),
    ("content-non-text-parts", "a.jsonl",
     jsonl(chat({"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.org/a.png"}}]},
                HELLO)),
     ("finding", "error", 1, "messages[0].content", "a list with a 'image_url' part")),
    ("undeclared-tool", "a.jsonl", jsonl(row("Lyon"), row("Oslo", tools=[])),
     ("finding", "error", 2, "messages[1].tool_calls[0].function.name", 'calls undeclared tool "get_weather"')),
    ("arguments-not-json", "a.jsonl", jsonl(row("Lyon", arguments="city=Lyon")),
     ("finding", "error", 1, "messages[1].tool_calls[0].function.arguments", "is a string that is not a JSON object")),
    ("arguments-fail-schema", "a.jsonl", jsonl(row("Lyon", arguments={"city": "Lyon", "days": "two"})),
     ("finding", "error", 1, "messages[1].tool_calls[0].function.arguments.days", '"two" is not of type "integer"')),
    ("arguments-missing-required", "a.jsonl", jsonl(row("Lyon", arguments='{"days": 2}')),
     ("finding", "error", 1, "messages[1].tool_calls[0].function.arguments", '"city" is a required property')),
    ("deeply-nested-line", "a.jsonl", jsonl(row("Lyon"), DEEP),
     ("finding", "error", 2, "", "unreadable JSON: nested more than 100 levels deep")),
    ("nested-600-in-arguments", "a.jsonl",
     jsonl(row("Lyon", arguments='{"city": "Lyon", "x": ' + "[" * 600 + "]" * 600 + "}")),
     ("finding", "error", 1, "messages[1].tool_calls[0].function.arguments", "is nested more than 100 levels deep")),
    ("nested-600-row", "a.jsonl",
     jsonl(line(row("Lyon")).replace('"city": "Lyon"}', '"city": "Lyon", "x": ' + "[" * 600 + "]" * 600 + "}", 1)),
     ("finding", "error", 1, "", "unreadable JSON: nested more than 100 levels deep (arrays/objects inside each "
                                 "other) at column")),
    ("duplicate-ids", "a.jsonl", jsonl(row("Lyon", id="wx-1"), row("Oslo", id="wx-1")),
     ("finding", "warning", 2, "id", 'id "wx-1" is also used at line 1')),
    ("duplicate-rows", "a.jsonl", jsonl(row("Lyon"), row("Oslo"), row("Lyon")),
     ("finding", "warning", 3, "", "duplicate of line 1")),
    ("csv-missing-columns", "a.csv", csv_bytes(["query", "tools"], [["Weather in Lyon?", "[]"]]),
     ("exit", r"a\.csv: no row is in a known format; line 2 matches no known format \(keys: query, tools\)")),
    ("csv-fewer-cells", "a.csv",
     csv_bytes(["messages", "tools"], [[json.dumps(row()["messages"]), json.dumps([WEATHER])],
                                       [json.dumps(chat(USER, HELLO)["messages"])]]),
     ("finding", "error", 3, "", '1 cell but the header has 2 columns: no cell for column "tools"')),
    ("csv-bad-json-cell", "a.csv", csv_bytes(["messages"], [['[{"role": "user", "content": "Hi"']]),
     ("finding", "error", 2, "", 'column "messages": invalid JSON')),
    ("parquet-unexpected-columns", "a.parquet", lambda: parquet_bytes({"text": ["hello", "bye"], "label": [1, 0]}),
     ("exit", r"a\.parquet: no row is in a known format; line 1 matches no known format \(keys: text, label\)")),
    ("parquet-broken", "a.parquet", b"PAR1\x00not really parquet",
     ("exit", r"a\.parquet: not a readable Parquet file \(")),
    ("mixed-formats", "a.jsonl", jsonl(row("Lyon"), row("Oslo"), xlam_row("Pune"), row("Lima")),
     ("finding", "error", 3, "", "this row is in xlam format but the file is openai (one format per file)")),
    ("unsupported-suffix", "a.txt", jsonl(row("Lyon")),
     ("exit", r"a\.txt: unsupported file type '\.txt'; use \.jsonl, \.json, \.parquet, \.csv")),
    ("number-1e999999", "a.jsonl", jsonl(row("Lyon"), line(row("Oslo")).replace('"id": "call_1"', '"id": 1e999999')),
     ("finding", "error", 2, "", "unreadable JSON: the number 1e999999 is too large (beyond a 64-bit float) "
                                 "at column")),
    ("int-5000-digits", "a.jsonl", jsonl(line(row("Lyon")).replace('"id": "call_1"', '"id": ' + "7" * 5000)),
     ("finding", "error", 1, "", "unreadable JSON: a number of 5000 digits is too large")),
    ("nan-literal", "a.jsonl",
     jsonl(row("Lyon"), line(row("Oslo", arguments={"city": "Oslo"})).replace('"Oslo"}', "NaN}", 1)),
     ("finding", "error", 2, "", "invalid JSON: NaN is not a JSON value")),
    ("infinity-literal", "a.jsonl", jsonl(line(row("Lyon")).replace('"call_1"', "-Infinity", 1)),
     ("finding", "error", 1, "", "invalid JSON: -Infinity is not a JSON value")),
    ("tool-before-any-call", "a.jsonl", jsonl(chat(USER, {"role": "tool", "content": "18 °C"}, HELLO)),
     ("finding", "error", 1, "messages[1]", "a tool result with no assistant tool call before it")),
    ("empty-assistant-turn", "a.jsonl", jsonl(row("Lyon"), chat(USER, {"role": "assistant", "content": ""})),
     ("finding", "error", 2, "messages[1].content", "an empty assistant turn")),
    ("tool-calls-not-a-list", "a.jsonl",
     jsonl(chat(USER, {"role": "assistant", "content": "", "tool_calls": {"name": "get_weather"}}, tools=[WEATHER])),
     ("finding", "error", 1, "messages[1].tool_calls", "must be a list, got object")),
    ("tools-string-not-json", "a.jsonl", jsonl(row("Lyon", tools="[{'name': 'get_weather'")),
     ("finding", "error", 1, "tools", "is a string but not valid JSON")),
    ("raw-tab-in-string", "a.jsonl", jsonl(line(row("Lyon")).replace("Weather in", "Weather\tin")),
     ("finding", "warning", 1, "", "line 1: raw control characters")),
    ("unanswered-call", "a.jsonl",
     jsonl(chat(USER, {"role": "assistant", "content": "", "tool_calls": [
         {"type": "function", "id": "c1", "function": {"name": "get_weather", "arguments": {"city": "Lyon"}}}]},
         HELLO, tools=[WEATHER])),
     ("finding", "error", 1, "messages[1].tool_calls[0]", "call get_weather (id c1) has no tool result")),
    ("invalid-tool-schema", "a.jsonl",
     jsonl(row("Lyon", tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {
         "type": "object", "properties": {"city": {"type": "strin"}}}}}])),
     ("finding", "error", 1, "tools[0].function.parameters", "is not valid JSON Schema at .properties.city.type")),
]


@pytest.mark.parametrize("name, content, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_input(tmp_path, capsys, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content() if callable(content) else content)
    code = main(["data", "check", str(path), "--json", "--no-tokens"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "Traceback" not in err
    if expected[0] == "exit":
        assert code == 2 and out == ""
        assert err.endswith("\n") and err.count("\n") == 1, err  # one line
        assert re.fullmatch(r"error: " + expected[1] + r".*\n", err, flags=re.DOTALL), err
        return
    _, severity, line_no, field, words = expected
    assert code == 0 and err == ""
    summary = json.loads(out)
    findings = summary["errors"] + summary["warnings"]
    matching = [f for f in findings if f["line"] == line_no and f["severity"] == severity and f["field"] == field]
    assert any(words in f["message"] for f in matching), findings
    # the finding is where it belongs: an error excludes its row, a warning keeps it
    assert (summary["invalid"] >= 1) == (severity == "error" or any(f["severity"] == "error" for f in findings))


def test_there_are_at_least_25_cases():
    assert len(CASES) >= 25 and len({c[0] for c in CASES}) == len(CASES)


def test_a_single_enormous_line_is_read(tmp_path, capsys):
    big = row("Lyon")
    big["messages"][2]["content"] = "18 °C, " + "sunny " * 3_500_000  # ~21 MB in one line
    path = tmp_path / "huge.jsonl"
    path.write_text(line(big) + "\n" + line(row("Oslo")) + "\n", encoding="utf-8")
    assert path.stat().st_size > 20_000_000
    assert main(["data", "check", str(path), "--json", "--no-tokens"]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert (summary["rows"], summary["valid"], summary["errors"], err) == (2, 2, [], "")


def test_missing_file(tmp_path, capsys):
    assert main(["data", "check", str(tmp_path / "nope.jsonl"), "--json", "--no-tokens"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"error: {tmp_path / 'nope.jsonl'}: file not found\n")


def test_text_output_names_line_and_field(tmp_path, capsys):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(jsonl(row("Lyon", id="wx-1"), row("Oslo", arguments={"days": 2}, id="wx-2"), "{oops"))
    assert main(["data", "check", str(path), "--no-tokens"]) == 0
    out, _ = capsys.readouterr()
    assert 'error: line 2 (id wx-2): messages[1].tool_calls[0].function.arguments: "city" is a required property' in out
    assert "error: line 3: invalid JSON: Expecting property name enclosed in double quotes at column 2" in out
