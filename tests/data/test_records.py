"""Tests for toolft.data.records on real files in tmp_path."""

import copy
import json

import pytest

from toolft.data import DataFileError, check_rows, load_records, row_category, split_records

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
         {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}]


def call(name, arguments=None):
    return {"type": "function", "function": {"name": name, "arguments": arguments or {}}}


def row(*assistant_turns, tools=TOOLS):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    for turn in assistant_turns:
        messages.append(turn)
        for c in turn.get("tool_calls") or []:  # one result per call
            messages.append({"role": "tool", "name": (c.get("function") or c)["name"], "content": "21C"})
    return {"messages": messages, "tools": tools}


def say(text):
    return {"role": "assistant", "content": text}


def calls(*items):
    return {"role": "assistant", "content": None, "tool_calls": list(items)}


def write_jsonl(path, lines):
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_valid_jsonl_loads_with_line_numbers(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [row(calls(call("get_weather", {"city": "Paris"})), say("21C")),
                                              "", row(say("Which city?"))])
    result = load_records(path)
    assert result.errors == []
    assert result.total == 2 and len(result.records) == 2
    assert result.lines == [1, 3]


def test_malformed_json_line_reports_its_line(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [row(say("ok")), "", '{"messages": [', row(say("fine"))])
    result = load_records(path)
    assert result.total == 3 and result.lines == [1, 4]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.line == 3 and error.field == "" and error.message.startswith("invalid JSON: ")


def test_undeclared_tool_names_field_and_tool(tmp_path):
    bad = row(calls(call("get_weather", {"city": "Oslo"}), call("delete_everything")))
    result = load_records(write_jsonl(tmp_path / "d.jsonl", [bad]))
    assert result.records == []
    [error] = result.errors
    assert error.line == 1
    assert error.field == "messages[2].tool_calls[1].function.name"
    assert error.message == 'calls undeclared tool "delete_everything"; declared: get_weather, get_time'


def test_inputs_not_mutated_and_normalised():
    original = {"messages": [{"role": "user", "content": "Hi"},
                             {"role": "assistant", "tool_calls": [{"name": "f", "arguments": '{"a": 1}'}]}],
                "tools": [{"name": "f", "parameters": {"type": "object"}}], "source": "x"}
    snapshot = copy.deepcopy(original)
    result = check_rows([(1, original, None)])
    assert original == snapshot
    assert result.errors == []
    [out] = result.records
    assert out["tools"] == [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    assert out["messages"][1]["tool_calls"][0]["function"] == {"name": "f", "arguments": {"a": 1}}
    assert "source" not in out  # unknown top-level keys are dropped, so every valid row trains


def test_loaded_records_are_copies(tmp_path):
    rows = [row(calls({"name": "get_time", "arguments": "{}"}))]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(rows))
    result = load_records(path)
    assert result.records[0]["messages"][2]["tool_calls"][0] == call("get_time")


def test_json_array_and_data_wrapper(tmp_path):
    rows = [row(say("a")), {"messages": []}, row(say("b"))]
    (tmp_path / "a.json").write_text(json.dumps(rows))
    (tmp_path / "b.json").write_text(json.dumps({"data": rows}))
    for name in ("a.json", "b.json"):
        result = load_records(tmp_path / name)
        assert result.total == 3 and result.lines == [1, 3]
        assert [(e.line, e.field) for e in result.errors] == [(2, "messages")]


@pytest.mark.parametrize("name, content", [
    ("missing.jsonl", None),
    ("empty.jsonl", b""),
    ("blank.jsonl", b"\n\n  \n"),
    ("binary.jsonl", bytes(range(256)) * 4),
    ("latin.jsonl", '{"messages": "caf\xe9"}'.encode("latin-1")),
    ("broken.json", b'[{"messages": '),
    ("scalar.json", b"42"),
    ("empty.json", b"[]"),
    ("data.txt", b"hello"),
])
def test_unreadable_files_raise(tmp_path, name, content):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataFileError):
        load_records(path)


def test_rows_that_are_not_objects_are_row_errors(tmp_path):
    path = tmp_path / "numbers.json"
    path.write_text("[1, 2, 3]")
    result = load_records(path)
    assert result.records == []
    assert [(e.line, e.message) for e in result.errors] == [(n, "a row must be a JSON object, got number") for n in (1, 2, 3)]


def fields(record):
    result = check_rows([(1, record, None)])
    return [f.field for f in result.errors]


def test_validation_rules():
    user = {"role": "user", "content": "Hi"}
    assert fields([]) == [""]
    assert fields({"tools": []}) == [""]  # no messages, conversations, query... : no known format
    assert fields({"messages": []}) == ["messages"]
    assert fields({"messages": [user, {"role": "bot", "content": "x"}]}) == ["messages[1].role", "messages"]
    assert fields({"messages": [user, say("a"), {"role": "system", "content": "s"}, say("b")]}) == ["messages[2].role"]
    assert fields({"messages": [say("a")]}) == ["messages[0].role"]
    assert fields({"messages": [user]}) == ["messages"]
    assert fields({"messages": [user, {"role": "assistant"}]}) == ["messages[1].content"]
    assert fields({"messages": [{"role": "user", "content": 3}, say("a")]}) == ["messages[0].content"]
    assert fields({"messages": [user, {"role": "tool", "content": "r"}, say("a")]}) == ["messages[1]"]
    assert fields({"messages": [user, say("a")], "tools": [{"function": {"name": ""}}]}) == ["tools[0].function.name"]
    assert fields({"messages": [user, say("a")],
                   "tools": [{"name": "f", "parameters": []}]}) == ["tools[0].function.parameters"]
    assert fields({"messages": [user, say("a")], "unknown": 1}) == []


@pytest.mark.parametrize("arguments, ok", [
    ({"city": "Paris"}, True), ('{"city": "Paris"}', True), ([1], False), (3, False),
    ("[1]", False), ("not json", False), ({}, False), ({"city": 3}, False),
])
def test_call_arguments(arguments, ok):
    problems = fields(row(calls(call("get_weather", arguments)), say("21C")))
    assert (problems == []) is ok
    if not ok:
        assert problems[0].startswith("messages[2].tool_calls[0].function.arguments")


def test_flat_tool_call_form_is_valid():
    assert fields(row(calls({"name": "get_time", "arguments": {}}), say("ok"))) == []
    assert fields(row(calls({"name": "nope", "arguments": {}}), say("ok"))) == ["messages[2].tool_calls[0].function.name"]


def test_row_category():
    weather, time = call("get_weather", {"city": "Paris"}), call("get_time")
    assert row_category(row(calls(weather), say("21C"))) == "single_call"
    assert row_category(row(calls(weather, time), say("ok"))) == "parallel_calls"
    assert row_category(row(calls(weather), calls(time), say("ok"))) == "multi_step"
    assert row_category(row(say("Sorry, I can\u2019t help with that."))) == "refusal"
    assert row_category(row(say("Hello!"))) == "no_tool"


@pytest.mark.parametrize("question, kind", [
    ("Which city?", "clarification"),                      # names the required parameter
    ("For which cities do you want it?", "clarification"),  # plural of it
    ("Hello! How can I help?", "no_tool"),                  # a greeting, not a question about an argument
    ("Anything else I can do for you?", "no_tool"),
    ("Shall I tell you a joke?", "no_tool"),                # a question about nothing a tool needs
    ("In which town?", "clarification"),                    # an everyday word for the parameter
])
def test_clarification_means_asking_for_a_required_argument(question, kind):
    assert row_category(row(say(question))) == kind


def test_clarification_found_through_the_parameter_description():
    tools = [{"type": "function", "function": {"name": "list_directory", "parameters": {
        "type": "object", "properties": {"path": {"type": "string", "description": "Folder to list"}},
        "required": ["path"]}}}]
    assert row_category(row(say("Which folder should I use?"), tools=tools)) == "clarification"
    assert row_category(row(say("Sure. Please give me the folder? I will list it."), tools=tools)) == "clarification"
    assert row_category(row(say("Which folder should I use?"), tools=[])) == "no_tool"


def test_explicit_kind_wins():
    assert row_category({**row(say("Which city?")), "kind": "no_tool"}) == "no_tool"
    assert row_category({**row(say("Hello!")), "kind": "refusal"}) == "refusal"


def test_split_is_stratified_by_row_kind():
    rows = [row(say("Which city?"))] * 30 + [row(say("Hello!"))] * 60 + [row(say("I cannot do that."))] * 10
    for seed in range(5):
        train, evals = split_records(rows, 0.1, seed=seed, key=row_category)
        kinds = [row_category(r) for r in evals]
        assert len(evals) == 10 and len(train) == 90
        assert (kinds.count("clarification"), kinds.count("no_tool"), kinds.count("refusal")) == (3, 6, 1)
    assert split_records(rows, 0.1, seed=1, key=row_category) == split_records(rows, 0.1, seed=1, key=row_category)


def test_split_records_deterministic():
    records = list(range(10))
    train, evals = split_records(records, 0.25, seed=3)
    assert len(evals) == 2 and len(train) == 8  # round(2.5) == 2
    assert sorted(train + evals) == records
    assert split_records(records, 0.25, seed=3) == (train, evals)
    assert split_records(records, 0.25, seed=4) != (train, evals)
    assert split_records(records, 0.0, seed=0)[1] == []
    assert len(split_records([1, 2], 0.01, seed=0)[1]) == 1
    assert split_records([1], 0.5, seed=0) == ([1], [])
    with pytest.raises(ValueError):
        split_records(records, 1.5, seed=0)


def test_pathological_json_is_a_row_error_not_a_crash(tmp_path):
    good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'
    path = tmp_path / "evil.jsonl"
    path.write_text("\n".join([good, '{"n": ' + "9" * 5000 + "}", "[" * 100000 + "]" * 100000, good]) + "\n")
    result = load_records(path)
    assert len(result.records) == 2 and [e.line for e in result.errors] == [2, 3]
    assert all("unreadable JSON" in e.message for e in result.errors)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(DataFileError, match="unreadable JSON"):
        load_records(deep)
