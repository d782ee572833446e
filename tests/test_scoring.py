"""The BFCL-style checker: one test per rule, the scorecard on a hand-made set, and ``python -m toolft score``."""

import json

import pytest

from toolft.__main__ import main
from toolft.scoring import check_row, score_file, scorecard


def tool(name, properties, required=()):
    return {"type": "function", "function": {"name": name, "description": f"{name} tool", "parameters": {
        "type": "object", "properties": properties, "required": list(required)}}}


TOOLS = [
    tool("get_weather", {"city": {"type": "string", "description": "the city"},
                         "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
                         "days": {"type": "integer"}}, ["city"]),
    tool("convert_currency", {"amount": {"type": "number"}, "from_currency": {"type": "string"},
                              "to_currency": {"type": "string"}}, ["amount", "from_currency", "to_currency"]),
    tool("create_event", {"title": {"type": "string"}, "attendees": {"type": "array", "items": {"type": "string"}},
                          "place": {"type": "object", "properties": {"city": {"type": "string"},
                                                                     "room": {"type": "integer"}},
                                    "required": ["city"]}}, ["title"]),
    tool("set_alarm", {"enabled": {"type": "boolean"}, "hour": {"type": "integer"}}, ["enabled"]),
]


def call(name, **arguments):
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


def row(*calls, text="", kind=None, row_id=None):
    """A gold row whose first assistant turn makes ``calls`` or answers ``text``."""
    messages = [{"role": "user", "content": "please"}]
    if calls:
        messages.append({"role": "assistant", "content": "", "tool_calls": list(calls)})
    else:
        messages.append({"role": "assistant", "content": text})
    out = {"messages": messages, "tools": TOOLS}
    if kind:
        out["kind"] = kind
    if row_id is not None:
        out["id"] = row_id
    return out


def block(name, **arguments) -> str:
    return f'<tool_call>\n{json.dumps({"name": name, "arguments": arguments})}\n</tool_call>'


WEATHER = row(call("get_weather", city="New York"))


def verdict(record, output):
    result = check_row(record, output)
    return result["valid"], result["error_type"]


# ----------------------------------------------------------------- the call rules
def test_right_call_passes_and_wrong_name_fails():
    assert verdict(WEATHER, block("get_weather", city="New York")) == (True, "")
    assert verdict(WEATHER, block("convert_currency", amount=1, from_currency="a", to_currency="b")) == (
        False, "wrong_name")


def test_wrong_type_is_a_type_error():
    result = check_row(WEATHER, block("get_weather", city=12))
    assert (result["valid"], result["error_type"]) == (False, "type_error")
    assert "city" in result["error"][0] and "string" in result["error"][0]


def test_missing_required_parameter():
    record = row(call("convert_currency", amount=5, from_currency="EUR", to_currency="USD"))
    result = check_row(record, block("convert_currency", amount=5, from_currency="EUR"))
    assert (result["valid"], result["error_type"]) == (False, "missing_required")
    assert "to_currency" in result["error"][0]


def test_parameter_the_schema_lacks_is_unexpected():
    result = check_row(WEATHER, block("get_weather", city="New York", country="US"))
    assert (result["valid"], result["error_type"]) == (False, "unexpected_param")
    assert "'country'" in result["error"][0] and "not in the schema" in result["error"][0]


def test_optional_parameter_the_gold_omits_passes_only_at_its_default():
    assert verdict(WEATHER, block("get_weather", city="New York", unit="celsius")) == (True, "")
    assert verdict(WEATHER, block("get_weather", city="New York", unit="fahrenheit")) == (False, "unexpected_param")
    assert verdict(WEATHER, block("get_weather", city="New York", days=3)) == (False, "unexpected_param")  # no default


def test_optional_parameter_omitted_passes_only_when_gold_gives_the_default():
    assert verdict(row(call("get_weather", city="Oslo", unit="celsius")), block("get_weather", city="Oslo")) == (
        True, "")
    assert verdict(row(call("get_weather", city="Oslo", unit="fahrenheit")), block("get_weather", city="Oslo")) == (
        False, "missing_optional")
    assert verdict(row(call("get_weather", city="Oslo", days=2)), block("get_weather", city="Oslo")) == (
        False, "missing_optional")


def test_strings_compare_after_bfcl_normalisation():
    for spelling in ("New York", "new york", "New-York", "new_york", "NEW YORK."):
        assert verdict(WEATHER, block("get_weather", city=spelling)) == (True, ""), spelling
    result = check_row(WEATHER, block("get_weather", city="Newark"))
    assert (result["valid"], result["error_type"]) == (False, "value_error")
    assert "'New York'" in result["error"][0] and "'Newark'" in result["error"][0]


def test_numbers_compare_by_value_and_an_int_is_a_number():
    record = row(call("convert_currency", amount=12, from_currency="EUR", to_currency="USD"))
    for amount in (12, 12.0):
        assert verdict(record, block("convert_currency", amount=amount, from_currency="EUR", to_currency="USD")) == (
            True, "")
    float_gold = row(call("convert_currency", amount=12.0, from_currency="EUR", to_currency="USD"))
    assert verdict(float_gold, block("convert_currency", amount=12, from_currency="EUR", to_currency="USD")) == (
        True, "")
    assert verdict(record, block("convert_currency", amount=12.5, from_currency="EUR", to_currency="USD")) == (
        False, "value_error")


def test_a_float_is_not_an_integer():
    record = row(call("set_alarm", enabled=True, hour=7))
    assert verdict(record, block("set_alarm", enabled=True, hour=7)) == (True, "")
    assert verdict(record, block("set_alarm", enabled=True, hour=7.0)) == (False, "type_error")


def test_a_bool_is_never_a_number():
    record = row(call("convert_currency", amount=1, from_currency="EUR", to_currency="USD"))
    assert verdict(record, block("convert_currency", amount=True, from_currency="EUR", to_currency="USD")) == (
        False, "type_error")
    alarm = row(call("set_alarm", enabled=True, hour=1))
    assert verdict(alarm, block("set_alarm", enabled=True, hour=True)) == (False, "type_error")
    assert verdict(alarm, block("set_alarm", enabled=1, hour=1)) == (False, "type_error")  # nor a number a bool


def test_lists_compare_in_order_element_by_element():
    record = row(call("create_event", title="Sync", attendees=["Ana", "Bo"]))
    assert verdict(record, block("create_event", title="sync", attendees=["ana", "BO"])) == (True, "")
    assert verdict(record, block("create_event", title="Sync", attendees=["Bo", "Ana"])) == (False, "value_error")
    assert verdict(record, block("create_event", title="Sync", attendees=["Ana"])) == (False, "value_error")
    assert verdict(record, block("create_event", title="Sync", attendees=["Ana", 2])) == (False, "type_error")


def test_nested_objects_follow_the_same_rules_recursively():
    record = row(call("create_event", title="Sync", place={"city": "New York", "room": 4}))
    assert verdict(record, block("create_event", title="Sync", place={"room": 4, "city": "new-york"})) == (True, "")
    checks = {
        "type_error": {"city": "New York", "room": 4.0},        # room is an integer
        "value_error": {"city": "Boston", "room": 4},
        "missing_required": {"room": 4},
        "unexpected_param": {"city": "New York", "room": 4, "floor": 2},
        "missing_optional": {"city": "New York"},               # room given by the gold, no default
    }
    for error_type, place in checks.items():
        result = check_row(record, block("create_event", title="Sync", place=place))
        assert (result["valid"], result["error_type"]) == (False, error_type), place
        assert "place" in result["error"][0]


def test_parallel_calls_match_in_any_order():
    record = row(call("get_weather", city="Quito"), call("get_weather", city="Lagos", unit="fahrenheit"),
                 call("convert_currency", amount=3, from_currency="EUR", to_currency="USD"))
    calls = [block("convert_currency", amount=3.0, from_currency="eur", to_currency="usd"),
             block("get_weather", city="Lagos", unit="fahrenheit"), block("get_weather", city="Quito")]
    assert check_row(record, "\n".join(calls))["kind"] == "parallel_calls"
    assert verdict(record, "\n".join(calls)) == (True, "")
    assert verdict(record, "\n".join(reversed(calls))) == (True, "")
    swapped_units = [calls[0], block("get_weather", city="Lagos"),
                     block("get_weather", city="Quito", unit="fahrenheit")]
    result = check_row(record, "\n".join(swapped_units))
    assert (result["valid"], result["names_match"]) == (False, True)
    assert result["error"] and all(e.startswith("call ") and " vs expected call " in e for e in result["error"])
    one_off = [calls[0], block("get_weather", city="Lagos", unit="fahrenheit"),
               block("get_weather", city="Quito", days=2)]
    result = check_row(record, "\n".join(one_off))
    assert (result["valid"], result["error_type"]) == (False, "unexpected_param")
    assert result["error"] == ["call 3 vs expected call 1: get_weather: unexpected parameter 'days'=2 "
                               "(the expected call does not give it and it is not the schema's default)"]


def test_parallel_matching_is_one_to_one():
    record = row(call("get_weather", city="Quito"), call("get_weather", city="Lagos"))
    twice = check_row(record, block("get_weather", city="Quito") + block("get_weather", city="quito"))
    assert (twice["valid"], twice["error_type"], twice["names_match"]) == (False, "value_error", True)
    assert twice["error"] == ["call 2 vs expected call 2: get_weather.city: expected 'Lagos', got 'quito'"]


def test_count_mismatch_is_wrong_count():
    record = row(call("get_weather", city="Quito"), call("get_weather", city="Lagos"))
    too_few = check_row(record, block("get_weather", city="Quito"))
    assert (too_few["valid"], too_few["error_type"], too_few["names_match"]) == (False, "wrong_count", False)
    three = "\n".join(block("get_weather", city=c) for c in ("Quito", "Lagos", "Lagos"))
    assert verdict(record, three) == (False, "wrong_count")
    assert verdict(WEATHER, block("get_weather", city="New York") * 2) == (False, "wrong_count")


def test_text_where_a_call_is_due_is_no_call():
    result = check_row(WEATHER, "It is sunny in New York.")
    assert (result["valid"], result["error_type"], result["parsed"], result["called"]) == (False, "no_call", False,
                                                                                          False)


def test_parse_error_fails_a_call_row_even_beside_a_good_call():
    broken = '<tool_call>\n{"name": "get_weather", "arguments": {"city": }\n</tool_call>'
    result = check_row(WEATHER, broken)
    assert (result["valid"], result["error_type"], result["parsed"]) == (False, "parse_error", False)
    assert result["error"] == result["parse_errors"] and result["error"]
    both = check_row(WEATHER, block("get_weather", city="New York") + "\n" + broken)
    assert (both["valid"], both["error_type"], both["names_match"]) == (False, "parse_error", True)


# ----------------------------------------------------------------- rows that want no call
def test_no_tool_row_passes_without_a_call_and_fails_with_one():
    record = row(text="Paris is the capital of France.")
    assert check_row(record, "The capital is Paris.")["kind"] == "no_tool"
    assert verdict(record, "The capital is Paris.") == (True, "")
    assert verdict(record, "Anything else?") == (True, "")  # any text without a call
    over = check_row(record, block("get_weather", city="Paris"))
    assert (over["valid"], over["error_type"], over["called"]) == (False, "over_calling", True)
    broken = check_row(record, '<tool_call>{"name": "get_weather", "arguments": {"city": </tool_call>')
    assert (broken["valid"], broken["error_type"], broken["called"]) == (False, "over_calling", True)


def test_refusal_row_wants_a_refusal_without_a_call():
    record = row(text="I can't help with that.")
    assert check_row(record, "x")["kind"] == "refusal"
    assert verdict(record, "I cannot do that, sorry.") == (True, "")
    assert verdict(record, "Sure, here it is.") == (False, "wrong_label")
    assert verdict(record, "Which account?") == (False, "wrong_label")
    assert verdict(record, block("get_weather", city="Paris")) == (False, "over_calling")


def test_clarification_row_wants_a_question_without_a_call():
    record = row(text="Which city do you want the weather for?")
    assert check_row(record, "x")["kind"] == "clarification"
    assert verdict(record, "For which city?") == (True, "")
    assert verdict(record, "It is sunny.") == (False, "wrong_label")
    assert verdict(record, block("get_weather", city="Paris")) == (False, "over_calling")


# ----------------------------------------------------------------- the scorecard
def gold_set():
    multi = {"messages": [
        {"role": "user", "content": "Weather in Oslo, then in the warmer of Oslo and Rome"},
        {"role": "assistant", "content": "", "tool_calls": [call("get_weather", city="Oslo")]},
        {"role": "tool", "name": "get_weather", "content": "3C"},
        {"role": "assistant", "content": "", "tool_calls": [call("get_weather", city="Rome")]},
        {"role": "tool", "name": "get_weather", "content": "18C"},
        {"role": "assistant", "content": "Rome is warmer."}], "tools": TOOLS}
    return [
        ("w1", row(call("get_weather", city="Paris")), block("get_weather", city="paris")),               # pass
        ("c1", row(call("convert_currency", amount=12, from_currency="EUR", to_currency="USD")),
         block("convert_currency", amount="12", from_currency="EUR", to_currency="USD")),                 # type_error
        ("p1", row(call("get_weather", city="Quito"), call("get_weather", city="Lagos")), "Let me check."),  # no_call
        ("m1", multi, block("get_weather", city="Oslo")),                                                 # pass
        ("r1", row(text="I can't help with that."), "I cannot do that."),                                 # pass
        ("q1", row(text="Which city do you want the weather for?"), block("get_weather", city="Paris")),  # over_calling
        ("n1", row(text="Hello! How can I help?"), "Hi there, ask me anything."),                         # pass
        ("n2", row(text="Paris is the capital of France."),
         '<tool_call>{"name": "get_weather", "arguments": {"city": </tool_call>'),                        # over_calling
    ]


def test_scorecard_on_a_hand_made_set():
    results = [check_row(record, output) for _, record, output in gold_set()]
    assert [r["kind"] for r in results] == ["single_call", "single_call", "parallel_calls", "multi_step", "refusal",
                                            "clarification", "no_tool", "no_tool"]
    card = scorecard(results)
    overall = card["overall"]
    assert {k: overall[k] for k in ("n", "accuracy", "parse_rate", "tool_name_accuracy", "full_call_accuracy",
                                    "over_calling_rate", "refusal_accuracy", "clarification_accuracy",
                                    "no_call_accuracy")} == {
        "n": 8, "accuracy": 0.5, "parse_rate": 0.75, "tool_name_accuracy": 0.75, "full_call_accuracy": 0.5,
        "over_calling_rate": 0.5, "refusal_accuracy": 1.0, "clarification_accuracy": 0.0, "no_call_accuracy": 0.5}
    assert (overall["n_parse_rate"], overall["n_full_call_accuracy"], overall["n_over_calling_rate"],
            overall["n_refusal_accuracy"], overall["n_no_call_accuracy"]) == (4, 4, 4, 1, 2)
    assert overall["error_types"] == {"over_calling": 2, "type_error": 1, "no_call": 1}
    kinds = card["by_kind"]
    assert list(kinds) == ["single_call", "parallel_calls", "multi_step", "clarification", "refusal", "no_tool"]
    single = kinds["single_call"]
    assert (single["n"], single["full_call_accuracy"], single["parse_rate"], single["tool_name_accuracy"]) == (
        2, 0.5, 1.0, 1.0)
    assert (single["over_calling_rate"], single["n_over_calling_rate"], single["refusal_accuracy"]) == (None, 0, None)
    assert (kinds["parallel_calls"]["full_call_accuracy"], kinds["parallel_calls"]["parse_rate"]) == (0.0, 0.0)
    assert kinds["multi_step"]["full_call_accuracy"] == 1.0
    refusal = kinds["refusal"]
    assert (refusal["refusal_accuracy"], refusal["over_calling_rate"], refusal["full_call_accuracy"],
            refusal["clarification_accuracy"]) == (1.0, 0.0, None, None)
    assert (kinds["clarification"]["clarification_accuracy"], kinds["clarification"]["over_calling_rate"]) == (0.0, 1.0)
    assert (kinds["no_tool"]["no_call_accuracy"], kinds["no_tool"]["n_no_call_accuracy"],
            kinds["no_tool"]["over_calling_rate"]) == (0.5, 2, 0.5)


# ----------------------------------------------------------------- files and the CLI
def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def files(tmp_path):
    """``(gold with ids, predictions with ids in another order, gold without ids, predictions without ids)``."""
    triples = gold_set()
    gold = write_jsonl(tmp_path / "gold.jsonl", [{"id": i, **record} for i, record, _ in triples])
    preds = write_jsonl(tmp_path / "pred.jsonl", [{"id": i, "output": out} for i, _, out in reversed(triples)])
    gold_plain = write_jsonl(tmp_path / "gold_plain.jsonl", [record for _, record, _ in triples])
    preds_plain = write_jsonl(tmp_path / "pred_plain.jsonl", [{"output": out} for _, _, out in triples])
    return gold, preds, gold_plain, preds_plain


def run_main(capsys, *args):
    code = main(["score", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_pairs_by_id(files, capsys):
    gold, preds, _, _ = files
    code, out, err = run_main(capsys, "--data", gold, "--predictions", preds, "--json")
    assert (code, err) == (0, "")
    card = json.loads(out)
    assert set(card) == {"overall", "by_kind"}
    assert (card["overall"]["full_call_accuracy"], card["overall"]["over_calling_rate"], card["overall"]["accuracy"]) \
        == (0.5, 0.5, 0.5)
    code, out, _ = run_main(capsys, "--data", gold, "--predictions", preds, "--json", "--verbose")
    rows = json.loads(out)["rows"]
    assert [(r["id"], r["line"], r["valid"]) for r in rows] == [
        ("w1", 1, True), ("c1", 2, False), ("p1", 3, False), ("m1", 4, True), ("r1", 5, True), ("q1", 6, False),
        ("n1", 7, True), ("n2", 8, False)]
    assert rows[1]["calls"] == [{"name": "convert_currency",
                                 "arguments": {"amount": "12", "from_currency": "EUR", "to_currency": "USD"}}]
    assert score_file(gold, preds)["overall"] == json.loads(out)["overall"]


def test_cli_table_and_verbose_failures(files, capsys):
    gold, preds, _, _ = files
    code, out, err = run_main(capsys, "--data", gold, "--predictions", preds)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["kind", "n", "full"]
    single = next(line for line in lines if line.startswith("single_call"))
    assert single.split()[1:4] == ["2", "50%", "of"]
    assert lines[-2].startswith("overall") and lines[-1] == "4 of 8 rows failed; --verbose lists them"
    code, out, _ = run_main(capsys, "--data", gold, "--predictions", preds, "--verbose")
    failures = [line for line in out.splitlines() if line.startswith("line ")]
    assert [f.split(": ")[2] for f in failures] == ["type_error", "no_call", "over_calling", "over_calling"]
    assert failures[0].startswith("line 2 (id c1): single_call: type_error: convert_currency.amount")


def test_cli_pairs_by_line_order_without_ids(files, capsys):
    _, _, gold_plain, preds_plain = files
    code, out, err = run_main(capsys, "--data", gold_plain, "--predictions", preds_plain, "--json")
    assert (code, err) == (0, "")
    assert json.loads(out)["overall"]["full_call_accuracy"] == 0.5
    shuffled = write_jsonl(preds_plain.parent / "shuffled.jsonl", [{"output": o} for _, _, o in reversed(gold_set())])
    code, out, _ = run_main(capsys, "--data", gold_plain, "--predictions", shuffled, "--json")
    assert code == 0 and json.loads(out)["overall"]["accuracy"] < 0.5  # order is the pairing


def error_of(capsys, *args) -> str:
    code, out, err = run_main(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_cli_errors_are_one_line_and_exit_2(files, capsys):
    gold, preds, gold_plain, preds_plain = files
    tmp = gold.parent
    assert "nope.jsonl: file not found" in error_of(capsys, "--data", tmp / "nope.jsonl", "--predictions", preds)
    assert "missing.jsonl: file not found" in error_of(capsys, "--data", gold, "--predictions", tmp / "missing.jsonl")

    lines = preds.read_text().splitlines()
    stranger = write_jsonl(tmp / "stranger.jsonl", [json.loads(x) for x in lines] + [{"id": "zz", "output": "hi"}])
    assert "no gold row" in (err := error_of(capsys, "--data", gold, "--predictions", stranger)) and "'zz'" in err

    short = write_jsonl(tmp / "short.jsonl", [json.loads(x) for x in lines[3:]])  # drops n2, n1, q1
    err = error_of(capsys, "--data", gold, "--predictions", short)
    assert "3 gold row(s) have no prediction" in err and all(f"'{i}'" in err for i in ("q1", "n1", "n2"))

    fewer = write_jsonl(tmp / "fewer.jsonl", [{"output": "x"}] * 7)
    err = error_of(capsys, "--data", gold_plain, "--predictions", fewer)
    assert "8 rows" in err and "7 predictions" in err

    not_json = tmp / "not_json.jsonl"
    not_json.write_text(preds_plain.read_text() + "{oops\n")
    err = error_of(capsys, "--data", gold_plain, "--predictions", not_json)
    assert "line 9" in err and "invalid JSON" in err

    no_output = write_jsonl(tmp / "no_output.jsonl", [{"output": "x"}] * 3 + [{"text": "x"}] + [{"output": "x"}] * 4)
    err = error_of(capsys, "--data", gold_plain, "--predictions", no_output)
    assert "line 4" in err and "no output field" in err


def test_qwen35_xml_values_are_typed_by_the_tool_schema():
    """Qwen3.5 writes every parameter as text: a string parameter that reads as a number stays a string,
    a number parameter becomes a number, so the XML output scores as the JSON one would."""
    gold = row(call("create_event", title="2024", place={"city": "Oslo", "room": 12}))
    xml = ("<tool_call>\n<function=create_event>\n<parameter=title>\n2024\n</parameter>\n"
           "<parameter=place>\n{\"city\": \"Oslo\", \"room\": 12}\n</parameter>\n</function>\n</tool_call>")
    assert check_row(gold, xml)["valid"], check_row(gold, xml)["error"]
    gold = row(call("convert_currency", amount=12.5, from_currency="EUR", to_currency="USD"))
    xml = ("<tool_call>\n<function=convert_currency>\n<parameter=amount>\n12.5\n</parameter>\n<parameter="
           "from_currency>\nEUR\n</parameter>\n<parameter=to_currency>\nUSD\n</parameter>\n</function>\n</tool_call>")
    assert check_row(gold, xml)["valid"], check_row(gold, xml)["error"]
    alarm = row(call("set_alarm", enabled=True, hour=7))
    xml = ("<tool_call>\n<function=set_alarm>\n<parameter=enabled>\nTrue\n</parameter>\n<parameter=hour>\n7\n"
           "</parameter>\n</function>\n</tool_call>")
    assert check_row(alarm, xml)["valid"], check_row(alarm, xml)["error"]
