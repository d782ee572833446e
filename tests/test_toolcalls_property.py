"""Property tests for toolft.toolcalls: render random calls in every accepted format, parse them back.

Cases come from a seeded ``random.Random`` (no hypothesis), so failures are reproducible:
each assertion message names the case number and format.
"""

import json
import random

import pytest

from toolft.toolcalls import ToolCall, parse_answer, parse_calls_any, strip_special

SEED = 20240611
N_CASES = 300

NAMES = ["get_weather", "f_2", "search", "db.query", "sendEmail", "x", "tool_9_b"]
KEYS = ["city", "days", "q", "a_1", "limit", "unit", "payload", "text", "Ñame", "k2"]  # valid Python argument names
PIECES = ["</tool_call>", "<tool_call>", "<think>", "</think>", "<|im_end|>", "<|im_start|>", "```", "```json\n",
          '"', "'", "\\", "\\n", "\\\"", "é", "漢字", "🙂", "\u2028", "\u2029", "\n", "\r\n", "\t", " ",
          "{", "}", "[", "]", "(", ")", "<function=g>", "<parameter=y>", "</parameter>", "</function>", "Paris",
          "a", "0", "null", "True", "f(a=1)", ",", ":", "#", "\x00", "\x1f"]


def rand_text(rng: random.Random) -> str:
    """Arbitrary text glued from markup, quotes, escapes, unicode and whitespace pieces."""
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 7)))


def rand_value(rng: random.Random, depth: int = 0):
    """A random JSON value (also a Python literal): mostly strings, some numbers, nesting."""
    kind = rng.choice(["str", "str", "str", "int", "float", "bool", "none", "list", "dict"])
    if kind in ("list", "dict") and depth >= 2:
        kind = "str"
    if kind == "str":
        return rand_text(rng)
    if kind == "int":
        return rng.choice([0, 1, -7, 42, 10 ** 20, rng.randint(-10 ** 6, 10 ** 6)])
    if kind == "float":
        return rng.choice([0.5, -2.25, 1e-7, 3.0, 1.5e16, round(rng.uniform(-1e4, 1e4), rng.randint(0, 6))])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "list":
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rand_text(rng): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def rand_call(rng: random.Random) -> ToolCall:
    keys = rng.sample(KEYS, rng.randint(0, 4))
    return ToolCall(rng.choice(NAMES), {k: rand_value(rng) for k in keys})


def rand_calls(rng: random.Random) -> list[ToolCall]:
    return [rand_call(rng) for _ in range(rng.choice([1, 1, 2, 3]))]


# --- renderers: one per accepted format --------------------------------------------------------

def block_json(calls, rng, ensure_ascii):
    def payload(call):
        if rng.random() < 0.2:  # OpenAI-style: arguments as a JSON string
            return {"type": "function", "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}
        return {"name": call.name, "arguments": call.arguments}
    return "\n".join(f"<tool_call>\n{json.dumps(payload(c), ensure_ascii=ensure_ascii)}\n</tool_call>"
                     for c in calls)


def _bare(objects, rng):
    value = objects[0] if len(objects) == 1 and rng.random() < 0.7 else objects
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    return f"```json\n{text}\n```" if rng.random() < 0.2 else text


def bare_arguments(calls, rng):
    return _bare([{"name": c.name, "arguments": c.arguments} for c in calls], rng)


def bare_parameters(calls, rng):
    return _bare([{"name": c.name, "parameters": c.arguments} for c in calls], rng)


def bare_tool(calls, rng):
    return _bare([{"tool": c.name, "arguments": c.arguments} for c in calls], rng)


def bare_jsonrpc(calls, rng):
    return _bare([{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": c.name, "arguments": c.arguments},
                   "id": i} for i, c in enumerate(calls, 1)], rng)


def python_style(calls, rng):
    items = [f"{c.name}({', '.join(f'{k}={v!r}' for k, v in c.arguments.items())})" for c in calls]
    if len(items) == 1 and rng.random() < 0.5:
        return items[0]
    return "[" + ", ".join(items) + "]"


def xml_ok(value) -> bool:
    """Whether the Qwen3.5 XML form can carry ``value`` unambiguously."""
    if isinstance(value, str):
        if "</parameter>" in value or value in ("True", "False", "None"):
            return False
        try:
            return isinstance(json.loads(value), str)
        except ValueError:
            return True
    if isinstance(value, (list, dict)):
        return "</parameter>" not in json.dumps(value, ensure_ascii=False)
    return True


def xml_style(calls, rng):
    """Mirror of trl's qwen3_5 template: ``|tojson`` for objects/lists, ``|string`` otherwise."""
    out = []
    for i, call in enumerate(calls):
        part = ("\n" if i else "") + f"<tool_call>\n<function={call.name}>\n"
        for key, value in call.arguments.items():
            text = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
            part += f"<parameter={key}>\n{text}\n</parameter>\n"
        out.append(part + "</function>\n</tool_call>")
    return "".join(out)


FORMATS = {
    "block_json": lambda calls, rng: block_json(calls, rng, ensure_ascii=False),
    "block_json_ascii": lambda calls, rng: block_json(calls, rng, ensure_ascii=True),
    "bare_arguments": bare_arguments,
    "bare_parameters": bare_parameters,
    "bare_tool": bare_tool,
    "bare_jsonrpc": bare_jsonrpc,
    "python": python_style,
    "xml": xml_style,
}
BLOCK_FORMATS = {"block_json", "block_json_ascii", "xml"}


def decorate(text, fmt, rng):
    """Optional reasoning before, prose before (block formats only) and an end token after."""
    prose = ""
    if fmt in BLOCK_FORMATS and rng.random() < 0.3:
        prose = rng.choice(["Let me check.", "Sure, é 漢字 🙂.", "On it:"])
        text = prose + "\n\n" + text
    if rng.random() < 0.3:
        text = "<think>\nThe user wants a call; maybe </tool_call> matters.\n</think>\n\n" + text
    if rng.random() < 0.5:
        text += rng.choice(["<|im_end|>", "<|im_end|>\n", "\n<|endoftext|>", "<|eot_id|>"])
    return text, prose


def cases():
    rng = random.Random(SEED)
    for number in range(N_CASES):
        calls = rand_calls(rng)
        for fmt, render in FORMATS.items():
            if fmt == "xml" and not all(xml_ok(v) for c in calls for v in c.arguments.values()):
                continue
            text, prose = decorate(render(calls, rng), fmt, rng)
            yield number, fmt, calls, text, prose


def strict(calls):
    """A comparison key where 1, 1.0 and True differ and key order matters."""
    return repr([(c.name, list(c.arguments.items())) for c in calls])


def test_every_format_round_trips():
    counts = {fmt: 0 for fmt in FORMATS}
    for number, fmt, calls, text, prose in cases():
        got, errors, content = parse_calls_any(text)
        where = f"case {number} ({fmt}): {text!r}"
        assert strict(got) == strict(calls), where
        assert errors == [], where
        assert content == prose, where
        answer = parse_answer(text)
        assert answer.label == "tool_call" and strict(answer.calls) == strict(calls), where
        counts[fmt] += 1
    assert all(n >= N_CASES // 3 for n in counts.values()), counts  # XML skips some cases, not most


def test_strip_special_keeps_rendered_calls_verbatim():
    for number, fmt, calls, text, prose in cases():
        if fmt in BLOCK_FORMATS:
            body = FORMATS[fmt](calls, random.Random(number))
            assert strip_special(body + "<|im_end|>") == body, f"case {number} ({fmt})"


def test_truncated_renderings_never_raise_nor_invent_calls():
    rng = random.Random(SEED + 1)
    for number, fmt, calls, text, _ in cases():
        if number % 5:
            continue
        allowed = {strict([c]) for c in calls}
        for cut in sorted({rng.randrange(len(text) + 1) for _ in range(12)}):
            got, errors, content = parse_calls_any(text[:cut])
            assert all(strict([c]) in allowed for c in got), f"case {number} ({fmt}) cut {cut}: {text[:cut]!r}"
            assert isinstance(content, str) and all(isinstance(e, str) for e in errors)


GARBAGE = PIECES + ["<tool_call>{", '{"name": ', '"arguments": {', "}}", "[f(", "a=", "<parameter=", "</parameter>",
                    "\n</function>", '{"jsonrpc": "2.0", "method": ', "<|", "|>", "<think", "```python\n", "\ud800",
                    "[" * 50, "{" * 30, "\\u", '"\\', "True", "None", ")", "]"]


@pytest.mark.parametrize("seed", range(4))
def test_garbage_never_raises(seed):
    rng = random.Random(seed)
    for _ in range(600):
        text = "".join(rng.choice(GARBAGE) for _ in range(rng.randint(0, 25)))
        answer = parse_answer(text)
        assert answer.label in ("tool_call", "clarification", "refusal", "answer")
        assert all(isinstance(c, ToolCall) and isinstance(c.arguments, dict) for c in answer.calls)
        assert isinstance(strip_special(text), str)


@pytest.mark.parametrize("text", [None, "", "   ", "[" * 20000, "{" * 20000, '{"a":' * 5000, "f(" * 5000,
                                  "<tool_call>" + "[" * 20000, "f(a=" + "[" * 3000 + "]" * 3000 + ")",
                                  "<tool_call>\n" + "x" * 200000, "1" * 5000, '{"name": "f", "arguments": {"n": '
                                  + "1" * 5000 + "}}"])
def test_pathological_inputs_never_raise(text):
    answer = parse_answer(text)
    assert isinstance(answer.content, str)
