"""Scoring base vs fine-tuned answers: exact calls (numbers by value, order-free), rates and their counts."""

from toolft.evaluate import same_calls, score
from toolft.toolcalls import parse_answer

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
         {"type": "function", "function": {"name": "convert_currency", "parameters": {"type": "object"}}}]


def call(name, **arguments):
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


def ref(*calls, content=""):
    return {"role": "assistant", "content": content, **({"tool_calls": list(calls)} if calls else {})}


def block(name, arguments: str) -> str:
    return f'<tool_call>\n{{"name": "{name}", "arguments": {arguments}}}\n</tool_call>'


def test_numbers_compare_by_value_strings_exactly():
    want = ref(call("convert_currency", amount=1760, from_currency="CAD", to_currency="USD"))
    assert same_calls(parse_answer(block("convert_currency",
                                         '{"amount": 1760.0, "from_currency": "CAD", "to_currency": "USD"}')), want)
    assert not same_calls(parse_answer(block("convert_currency",
                                             '{"amount": 38, "from_currency": "CAD", "to_currency": "USD"}')), want)
    assert not same_calls(parse_answer(block("get_weather", '{"city": "istanbul"}')),
                          ref(call("get_weather", city="Istanbul")))
    assert not same_calls(parse_answer(block("get_weather", '{"city": "Istanbul", "unit": 1}')),
                          ref(call("get_weather", city="Istanbul", unit=True)))  # True is not the number 1


def test_parallel_calls_match_in_any_order_with_the_same_count():
    want = ref(call("get_weather", city="Quito"), call("get_weather", city="Lagos"))
    swapped = block("get_weather", '{"city": "Lagos"}') + "\n" + block("get_weather", '{"city": "Quito"}')
    assert same_calls(parse_answer(swapped), want)
    assert not same_calls(parse_answer(block("get_weather", '{"city": "Lagos"}')), want)  # one call missing
    repeated = swapped + "\n" + block("get_weather", '{"city": "Lagos"}')
    assert not same_calls(parse_answer(repeated), want)  # an extra, repeated call


def test_scorecard_rates_and_their_counts():
    rows = [
        (ref(call("get_weather", city="Quito")), block("get_weather", '{"city": "Quito"}')),      # exact
        (ref(call("get_weather", city="Lagos")), block("get_weather", '{"city": "Prague"}')),     # right name only
        (ref(call("get_weather", city="Oslo"), call("get_weather", city="Rome")),
         block("get_weather", '{"city": "Oslo"}')),                                              # parallel, short
        (ref(content="Which city should I check?"), "Which city?"),                               # clarification ok
        (ref(content="I can't help with that."), block("get_weather", '{"city": "Oslo"}')),      # false call
        (ref(content="Paris is the capital."), "Paris."),                                         # answer ok
    ]
    card = score([{"reference": r, "tools": TOOLS, "parsed": parse_answer(text)} for r, text in rows])
    assert (card["n"], card["n_single"], card["n_other"], card["rows"]) == (3, 2, 3, 6)
    assert card["exact_match"] == round(1 / 3, 4) and card["exact_match_single"] == 0.5
    assert card["name_accuracy"] == round(2 / 3, 4)
    assert card["call_rate"] == round(4 / 6, 4) and card["false_call_rate"] == round(1 / 3, 4)
    assert card["label_accuracy"]["clarification"] == {"n": 1, "accuracy": 1.0}
    assert card["label_accuracy"]["refusal"] == {"n": 1, "accuracy": 0.0}
