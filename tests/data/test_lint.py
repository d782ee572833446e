"""Tests for toolft.data.lint: one test per rule, with the exact field path and severity.

Rows here are canonical (what ``toolft.data.formats`` produces); the rules that need a
file (duplicates, conversion of OpenAI quirks) go through ``load_records``.
"""

import json

import pytest

from toolft.data.lint import ERROR, WARNING, Finding, duplicate_findings, lint_row
from toolft.data.records import check_rows, load_records

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather and forecast for a city",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name"},
        "days": {"type": "integer", "description": "Forecast days"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]}}}
EVENT = {"type": "function", "function": {
    "name": "create_event", "description": "Add an event to the calendar",
    "parameters": {"type": "object", "properties": {
        "title": {"type": "string"},
        "dates": {"type": "array", "items": {"type": "string"}},
        "attendees": {"type": "array", "items": {
            "type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]}},
        "reminder": {"type": "object", "properties": {"minutes": {"type": "integer"}}}},
        "required": ["title", "dates"]}}}
LIST_FILES = {"type": "function", "function": {"name": "list_files", "description": "List the files of the project"}}
TOOLS = [WEATHER, EVENT, LIST_FILES]

USER = {"role": "user", "content": "What's the weather in Lyon?"}
ANSWER = {"role": "assistant", "content": "It is 18 °C and sunny in Lyon."}


def call(name, arguments, call_id=None):
    out = {"type": "function", "function": {"name": name, "arguments": arguments}}
    if call_id is not None:
        out["id"] = call_id
    return out


def calls(*items):
    return {"role": "assistant", "content": "", "tool_calls": list(items)}


def result(content="18 °C, sunny", call_id=None, name=None):
    out = {"role": "tool", "content": content}
    if call_id is not None:
        out["tool_call_id"] = call_id
    if name is not None:
        out["name"] = name
    return out


def convo(*messages, tools=TOOLS):
    return {"messages": list(messages), "tools": tools}


def one_call(name, arguments):
    """A row whose only call is answered: the call's findings are the row's findings."""
    return convo(USER, calls(call(name, arguments, "call_1")), result(call_id="call_1"), ANSWER)


AT = "messages[1].tool_calls[0].function"


def test_clean_rows_have_no_findings():
    assert lint_row(one_call("get_weather", {"city": "Lyon", "days": 3, "unit": "celsius"})) == []
    event = {"title": "Standup", "dates": ["2024-05-06", "2024-05-07"], "attendees": [{"email": "a@x.org"}],
             "reminder": {"minutes": 10}}
    assert lint_row(one_call("create_event", event)) == []


# ------------------------------------------------------------------ tools and arguments
def test_call_to_an_undeclared_tool_names_the_declared_ones():
    assert lint_row(one_call("send_email", {"to": "a@x.org"})) == [
        (f"{AT}.name", 'calls undeclared tool "send_email"; declared: get_weather, create_event, list_files', ERROR)]


def test_call_when_no_tool_is_declared():
    [(field, message, severity)] = lint_row({**one_call("get_weather", {"city": "Lyon"}), "tools": []})
    assert (field, severity) == (f"{AT}.name", ERROR)
    assert message.endswith("declared: none")


def test_missing_required_argument():
    assert lint_row(one_call("get_weather", {"days": 2})) == [
        (f"{AT}.arguments", '"city" is a required property', ERROR)]


def test_string_for_an_integer_argument():
    assert lint_row(one_call("get_weather", {"city": "Lyon", "days": "3"})) == [
        (f"{AT}.arguments.days", '"3" is not of type "integer"', ERROR)]


def test_enum_violation():
    [(field, message, severity)] = lint_row(one_call("get_weather", {"city": "Lyon", "unit": "kelvin"}))
    assert (field, severity) == (f"{AT}.arguments.unit", ERROR)
    assert message == '"kelvin" is not one of ["celsius", "fahrenheit"]'


def test_nested_array_item_error_points_into_the_argument():
    findings = lint_row(one_call("create_event", {"title": "Trip", "dates": ["2024-05-06", 20240507]}))
    assert findings == [(f"{AT}.arguments.dates[1]", '20240507 is not of type "string"', ERROR)]


def test_nested_object_errors_point_into_the_argument():
    arguments = {"title": "Review", "dates": ["2024-05-06"], "attendees": [{"email": "a@x.org"}, {"name": "Bo"}],
                 "reminder": {"minutes": "ten"}}
    assert lint_row(one_call("create_event", arguments)) == [
        (f"{AT}.arguments.attendees[1]", '"email" is a required property', ERROR),
        (f"{AT}.arguments.reminder.minutes", '"ten" is not of type "integer"', ERROR)]


def test_argument_not_in_the_schema_is_a_warning():
    assert lint_row(one_call("get_weather", {"city": "Lyon", "colour": "blue"})) == [
        (f"{AT}.arguments.colour", '"colour" is not a parameter of this tool; declared: city, days, unit', WARNING)]


def test_extra_arguments_allowed_by_the_schema_are_not_flagged():
    open_schema = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "additionalProperties": {"type": "string"}}}}
    row = {**one_call("get_weather", {"city": "Lyon", "country": "FR"}), "tools": [open_schema]}
    assert lint_row(row) == []
    closed = json.loads(json.dumps(open_schema))
    closed["function"]["parameters"]["additionalProperties"] = False
    [(field, message, severity)] = lint_row({**row, "tools": [closed]})
    assert (field, severity) == (f"{AT}.arguments", ERROR) and "'country' was unexpected" in message


def test_arguments_that_are_a_non_json_string():
    assert lint_row(one_call("get_weather", "city=Lyon")) == [
        (f"{AT}.arguments", "is a string that is not a JSON object: 'city=Lyon'", ERROR)]


def test_arguments_of_the_wrong_json_type():
    assert lint_row(one_call("get_weather", ["Lyon"])) == [
        (f"{AT}.arguments", "must be a JSON object, got list", ERROR)]


@pytest.mark.parametrize("parameters, where, words", [
    ({"type": "object", "properties": {"x": {"type": "strin"}}}, ".properties.x.type", '"strin" is not valid'),
    ({"type": "object", "properties": {"city": {"type": "string"}}, "required": "city"}, ".required",
     '"city" is not of type "array"'),
    ({"type": "object", "properties": {"city": {"type": "string", "pattern": "([a-"}}},
     ".properties.city.pattern", 'is not a "regex"'),
])
def test_tool_schema_that_is_not_json_schema(parameters, where, words):
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": parameters}}
    [(field, message, severity)] = lint_row({**one_call("get_weather", {"city": "Lyon"}), "tools": [tool]})
    # one finding, on the schema: the call to the (declared, broken) tool is not called "undeclared"
    assert (field, severity) == ("tools[0].function.parameters", ERROR)
    assert message.startswith(f"is not valid JSON Schema at {where}: ") and words in message


def test_tool_parameters_not_an_object():
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": "city: string"}}
    assert lint_row({**one_call("get_weather", {"city": "Lyon"}), "tools": [tool]}) == [
        ("tools[0].function.parameters", "must be an object (a JSON Schema), got string", ERROR)]


def test_unresolvable_ref_is_a_finding_on_the_schema_and_nothing_is_fetched(monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("the lint must never fetch a schema")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    for ref in ("#/$defs/missing", "https://schemas.example.com/city.json"):
        tool = {"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"$ref": ref}}}}}
        row = convo(USER, calls(call("get_weather", {"city": "Lyon"}, "a"), call("get_weather", {"city": "Oslo"}, "b")),
                    result(call_id="a"), result(call_id="b"), ANSWER, tools=[tool])
        [(field, message, severity)] = lint_row(row)  # reported once, not once per call
        assert (field, severity) == ("tools[0].function.parameters", ERROR)
        assert message.startswith("has a $ref that cannot be resolved") and "nothing is fetched" in message


def test_local_ref_is_followed():
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "$defs": {"city": {"type": "string"}}, "type": "object", "properties": {"city": {"$ref": "#/$defs/city"}}}}}
    row = {**one_call("get_weather", {"city": 69}), "tools": [tool]}
    assert lint_row(row) == [(f"{AT}.arguments.city", '69 is not of type "string"', ERROR)]


def test_arguments_nested_too_deep_once_decoded():
    deep = json.loads("[" * 120 + "]" * 120)
    assert lint_row(one_call("get_weather", {"city": "Lyon", "days": deep})) == [
        (f"{AT}.arguments",
         "is nested more than 100 levels deep (arrays/objects inside each other; at most 100 in a row)", ERROR)]
    schema = {"type": "string"}
    for _ in range(60):
        schema = {"type": "object", "properties": {"inner": schema}}
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": schema}}
    [(field, _, severity)] = lint_row({**one_call("get_weather", {}), "tools": [tool]})
    assert (field, severity) == ("tools[0].function.parameters", ERROR)


def test_tool_declared_twice():
    findings = lint_row({**one_call("get_weather", {"city": "Lyon"}), "tools": [WEATHER, EVENT, WEATHER]})
    assert findings == [("tools[2].function.name", 'tool "get_weather" is declared twice (also tools[0].function)',
                         ERROR)]


def test_tools_not_a_list():
    row = {**one_call("get_weather", {"city": "Lyon"}), "tools": {"get_weather": WEATHER}}
    assert ("tools", "must be a list of tool schemas, got object", ERROR) in lint_row(row)


# ------------------------------------------------------------------ calls and their results
def test_call_without_a_result_names_the_call_and_its_id():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}, "call_1"),
                            call("get_weather", {"city": "Oslo"}, "call_2")),
                result(call_id="call_1"), ANSWER)
    assert lint_row(row) == [
        ("messages[1].tool_calls[1]", "call get_weather (id call_2) has no tool result before messages[3]", ERROR)]


def test_call_without_id_and_without_a_result():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}), call("create_event", {"title": "x", "dates": []})),
                result(name="get_weather"), ANSWER)
    assert lint_row(row) == [
        ("messages[1].tool_calls[1]", "call create_event has no tool result before messages[3]", ERROR)]


def test_calls_without_ids_are_answered_in_order():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}), call("get_weather", {"city": "Oslo"})),
                result("18 °C"), result("9 °C"), ANSWER)
    assert lint_row(row) == []


def test_two_results_for_one_call():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}, "call_1")), result(call_id="call_1"),
                result(call_id="call_1"), ANSWER)
    assert lint_row(row) == [
        ("messages[3]", "answers call get_weather (id call_1) at messages[1].tool_calls[0] a second time", ERROR)]


def test_two_results_for_one_call_without_ids():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"})), result(), result(), ANSWER)
    assert lint_row(row) == [
        ("messages[3]", "a tool result with no call left to answer (messages[1] made 1 call)", ERROR)]


def test_tool_result_with_no_call_before_it():
    row = convo(USER, result(), ANSWER)
    assert lint_row(row) == [("messages[1]", "a tool result with no assistant tool call before it", ERROR)]


def test_tool_call_id_that_matches_no_call():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}, "call_1")), result(call_id="call_9"), ANSWER)
    assert lint_row(row) == [
        ("messages[2].tool_call_id", '"call_9" matches no call of messages[1] (ids: call_1)', ERROR),
        ("messages[1].tool_calls[0]", "call get_weather (id call_1) has no tool result before messages[3]", ERROR)]


def test_tool_result_naming_a_tool_that_was_not_called():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"})), result(name="create_event"), ANSWER)
    assert lint_row(row) == [
        ("messages[2].name", '"create_event" is not a tool messages[1] called (called: get_weather)', ERROR),
        ("messages[1].tool_calls[0]", "call get_weather has no tool result before messages[3]", ERROR)]


@pytest.mark.parametrize("call_id, answer_id", [(7, "7"), ("7", 7), (7, 7)])
def test_integer_and_string_ids_match(call_id, answer_id):
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}, call_id)), result(call_id=answer_id), ANSWER)
    assert lint_row(row) == []


def test_integer_ids_in_an_openai_file_match(tmp_path):
    row = convo(USER, calls(call("get_weather", '{"city": "Lyon"}', 7)), result(call_id="7"), ANSWER)
    path = tmp_path / "ids.jsonl"
    path.write_text(json.dumps(row) + "\n")
    loaded = load_records(path)
    assert loaded.errors == [] and loaded.warnings == []
    assert loaded.records[0]["messages"][1]["tool_calls"][0]["id"] == "7"
    assert loaded.records[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"city": "Lyon"}


def test_two_calls_sharing_an_id():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}, "c"), call("get_weather", {"city": "Oslo"}, "c")),
                result(call_id="c"), result(call_id="c"), ANSWER)
    assert ("messages[1].tool_calls", "two calls share one id", ERROR) in lint_row(row)


def test_a_single_call_as_the_last_message_needs_no_result():
    assert lint_row(convo(USER, calls(call("get_weather", {"city": "Lyon"})))) == []
    parallel = convo(USER, calls(call("get_weather", {"city": "Lyon"}), call("get_weather", {"city": "Oslo"})))
    assert lint_row(parallel) == []


def test_last_calls_partly_answered_are_reported():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}, "a"), call("get_weather", {"city": "Oslo"}, "b")),
                result(call_id="a"))
    assert lint_row(row) == [
        ("messages[1].tool_calls[1]", "call get_weather (id b) has no tool result before the end of the conversation",
         ERROR)]


def test_tool_calls_not_a_list():
    row = convo(USER, {"role": "assistant", "content": "", "tool_calls": call("get_weather", {"city": "Lyon"})})
    assert lint_row(row) == [("messages[1].tool_calls", "must be a list, got object", ERROR)]


# ------------------------------------------------------------------ turns
@pytest.mark.parametrize("turn", [
    {"role": "assistant", "content": ""},
    {"role": "assistant", "content": "  \n"},
    {"role": "assistant", "content": "", "tool_calls": []},
])
def test_empty_assistant_turn(turn):
    assert lint_row(convo(USER, turn)) == [
        ("messages[1].content", "is empty and there are no tool_calls: an empty assistant turn", ERROR)]


def test_assistant_without_content_or_calls():
    assert lint_row(convo(USER, {"role": "assistant"})) == [
        ("messages[1].content", "must be a string when there are no tool_calls, got null", ERROR)]


def test_content_of_the_wrong_type():
    assert lint_row(convo({"role": "user", "content": 42}, ANSWER)) == [
        ("messages[0].content", "must be a string, got number", ERROR)]
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.org/a.png"}}]}
    assert lint_row(convo(image, ANSWER)) == [
        ("messages[0].content", "must be a string, got a list with a 'image_url' part (only text parts are read)",
         ERROR)]


def test_unknown_role():
    row = convo(USER, {"role": "bot", "content": "Hello"}, ANSWER)
    assert lint_row(row) == [("messages[1].role", "unknown role 'bot'; expected one of system, user, assistant, tool",
                              ERROR)]


def test_message_not_an_object():
    assert lint_row(convo(USER, "hello", ANSWER)) == [("messages[1]", "must be an object, got string", ERROR)]


def test_first_message_after_the_system_prompt_must_be_the_user():
    row = convo({"role": "system", "content": "Be brief."}, ANSWER)
    assert lint_row(row) == [
        ("messages[1].role", "the first message after the system prompt must be from the user", ERROR)]


def test_system_message_not_first():
    row = convo(USER, {"role": "system", "content": "Be brief."}, ANSWER)
    assert lint_row(row) == [("messages[1].role", "a system message is only allowed first", ERROR)]


def test_tool_result_after_a_plain_answer():
    row = convo(USER, ANSWER, result())
    assert lint_row(row) == [("messages[2]", "a tool result with no assistant tool call before it", ERROR)]


def test_two_user_turns_in_a_row_is_a_warning():
    row = convo(USER, {"role": "user", "content": "In celsius please."}, ANSWER)
    assert lint_row(row) == [("messages[1].role", "two user turns in a row", WARNING)]


def test_ending_on_an_unanswered_user_turn_is_a_warning():
    row = convo(USER, ANSWER, {"role": "user", "content": "And tomorrow?"})
    assert lint_row(row) == [
        ("messages[2]", "the conversation ends with a user turn that is never answered", WARNING)]


def test_no_assistant_turn():
    assert lint_row(convo(USER)) == [("messages", "has no assistant turn: nothing to train on", ERROR)]


@pytest.mark.parametrize("row, expected", [
    ({"tools": TOOLS}, ("messages", "is missing", ERROR)),
    ({"messages": []}, ("messages", "must not be empty", ERROR)),
    ({"messages": "hi"}, ("messages", "must be a list, got string", ERROR)),
    ([USER], ("", "row must be a JSON object, got list", ERROR)),
])
def test_messages_missing_or_not_a_list(row, expected):
    assert lint_row(row) == [expected]


def test_warnings_keep_the_row_and_errors_exclude_it():
    warned = convo(USER, {"role": "user", "content": "In celsius please."}, ANSWER)
    broken = one_call("get_weather", {"days": 2})
    result_ = check_rows([(1, warned, None), (2, broken, None)])
    assert result_.lines == [1]
    assert [(f.line, f.field, f.severity) for f in result_.warnings] == [(1, "messages[1].role", WARNING)]
    assert [(f.line, f.field, f.severity) for f in result_.errors] == [(2, f"{AT}.arguments", ERROR)]


def test_finding_text_names_line_id_and_field():
    finding = Finding(3, "messages[1].content", "is empty", ERROR, "wx-7")
    assert str(finding) == "line 3 (id wx-7): messages[1].content: is empty"
    assert finding.to_json() == {"line": 3, "field": "messages[1].content", "message": "is empty",
                                 "severity": "error", "id": "wx-7"}
    assert str(Finding(4, "", "invalid JSON: Expecting value at column 1")) == \
        "line 4: invalid JSON: Expecting value at column 1"


# ------------------------------------------------------------------ through load_records
def write_lines(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_duplicate_rows_and_ids_are_warnings_naming_the_earlier_line(tmp_path):
    lyon = one_call("get_weather", {"city": "Lyon"})
    oslo = one_call("get_weather", {"city": "Oslo"})
    path = write_lines(tmp_path / "dupes.jsonl", [{**lyon, "id": "wx-1"}, {**oslo, "id": "wx-1"}, lyon])
    loaded = load_records(path)
    assert loaded.errors == [] and loaded.lines == [1, 2, 3]  # warnings keep the rows
    assert [(w.line, w.field, w.message, w.severity, w.id) for w in loaded.warnings] == [
        (2, "id", 'id "wx-1" is also used at line 1', WARNING, "wx-1"),
        (3, "", "duplicate of line 1 (same messages and tools)", WARNING, None)]


def test_duplicate_findings_directly():
    row = one_call("get_weather", {"city": "Lyon"})
    found = duplicate_findings([{**row, "id": "7"}, {**row, "id": "8"}], [4, 9])
    assert [(f.line, f.field, f.message) for f in found] == [(9, "", "duplicate of line 4 (same messages and tools)")]


def test_empty_arguments_string_is_an_empty_object_for_a_tool_without_parameters(tmp_path):
    row = {"messages": [{"role": "user", "content": "Which files are there?"},
                        {"role": "assistant", "content": None, "tool_calls": [
                            {"id": "call_1", "type": "function", "function": {"name": "list_files", "arguments": ""}}]},
                        {"role": "tool", "tool_call_id": "call_1", "content": "README.md\nsetup.py"},
                        {"role": "assistant", "content": "There are README.md and setup.py."}],
           "tools": [LIST_FILES]}
    loaded = load_records(write_lines(tmp_path / "openai.jsonl", [row]))
    assert loaded.errors == [] and loaded.warnings == []
    assert loaded.records[0]["messages"][1]["tool_calls"][0]["function"]["arguments"] == {}


def test_tools_as_one_json_string_are_decoded(tmp_path):
    row = {**one_call("get_weather", {"city": "Lyon"}), "tools": json.dumps(TOOLS)}
    loaded = load_records(write_lines(tmp_path / "tools_string.jsonl", [row]))
    assert loaded.errors == [] and loaded.warnings == []
    assert loaded.records[0]["tools"] == TOOLS


def test_schema_errors_inside_a_tools_string_are_still_found(tmp_path):
    row = {**one_call("get_weather", {"city": "Lyon", "days": "two"}), "tools": json.dumps([WEATHER])}
    loaded = load_records(write_lines(tmp_path / "tools_string.jsonl", [row]))
    assert [(e.line, e.field, e.message) for e in loaded.errors] == [
        (1, f"{AT}.arguments.days", '"two" is not of type "integer"')]


def test_kind_and_id_keys_load_and_the_id_is_a_string(tmp_path):
    rows = [{**one_call("get_weather", {"city": "Lyon"}), "id": 42, "kind": "single_call"},
            {**one_call("get_weather", {"city": "Oslo"}), "id": "wx-oslo"}]
    loaded = load_records(write_lines(tmp_path / "ids.jsonl", rows))
    assert loaded.errors == [] and loaded.warnings == []
    assert [r["id"] for r in loaded.records] == ["42", "wx-oslo"]
    assert loaded.records[0]["kind"] == "single_call" and "kind" not in loaded.records[1]


def test_findings_carry_the_row_id(tmp_path):
    row = {**one_call("get_weather", {"days": 2}), "id": 5}
    loaded = load_records(write_lines(tmp_path / "ids.jsonl", [row]))
    assert [(e.line, e.id, e.field) for e in loaded.errors] == [(1, "5", f"{AT}.arguments")]


@pytest.mark.parametrize("message, index, severity, words", [
    ({"role": "user", "content": "  "}, 0, "error", "an empty user turn"),
    ({"role": "system", "content": ""}, 0, "warning", "an empty system prompt"),
])
def test_empty_user_and_system_turns(message, index, severity, words):
    messages = [message, USER, ANSWER] if message["role"] == "system" else [message, ANSWER]
    findings = lint_row({"messages": messages, "tools": TOOLS})
    assert [(f, sev) for f, _, sev in findings] == [(f"messages[{index}].content", severity)]
    assert words in findings[0][1]


def test_empty_tool_result_is_a_warning():
    row = convo(USER, calls(call("get_weather", {"city": "Lyon"}, "c1")), result(content="", call_id="c1"), ANSWER)
    findings = lint_row(row)
    assert [(f, m, sev) for f, m, sev in findings] == [("messages[2].content", "is empty: an empty tool result", "warning")]
