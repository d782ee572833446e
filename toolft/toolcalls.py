"""Parse tool calls out of model output and label answers.

Qwen3 (and Hermes-style) models write tool calls as JSON inside
``<tool_call>...</tool_call>`` blocks::

    <tool_call>
    {"name": "get_weather", "arguments": {"city": "Paris"}}
    </tool_call>

Other accepted forms of a call (all give a :class:`ToolCall`):

* Qwen3.5 / Qwen3-Coder XML inside the block:
  ``<tool_call>\\n<function=f>\\n<parameter=city>\\nParis\\n</parameter>\\n</function>\\n</tool_call>``;
* JSON payloads ``{"name", "arguments"}``, ``{"name", "parameters"}`` (Llama 3),
  ``{"tool", "arguments"}``, ``{"function": {"name", "arguments"}}`` and JSON-RPC 2.0
  ``{"jsonrpc": "2.0", "method": "tools/call", "params": {"name", "arguments"}}``, inside a
  block or, when the object (or an array of them) is the whole answer, bare or in a code fence;
* Python-style call lists, when they are the whole answer: ``[f(a=1), g(b="x")]``.

Parsing is one left-to-right scan (:func:`parse_calls_any`). A block's JSON value
is read with ``json.JSONDecoder.raw_decode`` from where it starts, so markup inside
JSON strings (``</tool_call>``, ``<think>``, ``<|im_end|>``, code fences) is never
interpreted; only text *outside* the values has ``<|...|>`` special tokens and
``<think>...</think>`` blocks removed (an orphan ``</think>`` drops what precedes
it; an unfinished ``<think>`` drops the reasoning up to the first call). A block
need not be closed: its call counts when its JSON is complete, and what follows
(prose, another block) is read on. Nothing raises: whatever is dropped is
reported in ``errors``, each as ``"tool call N: why"``.

:func:`parse_answer` turns a generated text into a :class:`ParsedAnswer`: the
valid calls, the remaining text, any parse errors, and a label — one of
:data:`LABELS` — saying what kind of answer it is. The same labels are used for
reference answers in datasets (:func:`label_of_message`).

Only the standard library is used here.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass, field

LABELS = ("tool_call", "clarification", "refusal", "answer")

OPEN, CLOSE = "<tool_call>", "</tool_call>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_MARK_RE = re.compile(r"</?tool_call>|</?think>|<\|[A-Za-z0-9_]+\|>")
_SPECIAL_RE = re.compile(r"<\|[A-Za-z0-9_]+\|>")
_FENCE_OPEN_RE = re.compile(r"```[A-Za-z0-9_+.-]*[ \t]*\n?")
_EMPTY_FENCE_RE = re.compile(r"```[A-Za-z0-9_+.-]*\s*```")
# A JSON string (one line: JSON strings hold no raw newline) or a block tag.
_BROKEN_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|</?tool_call>')
_TAG_RE = re.compile(r"</?tool_call>")
_JUNK_RE = re.compile(r"[\s\]}),;]*")
_FUNCTION_RE = re.compile(r"<function=([^>\n]+)>")
_PARAMETER_RE = re.compile(r"<parameter=([^>\n]+)>")
_PY_START_RE = re.compile(r"[\[(]?\s*[A-Za-z_][\w.]*\s*\(")
_WS_RE = re.compile(r"\s*")
_SEPARATOR_RE = re.compile(r"[\s;,]*")
_DECODER = json.JSONDecoder()

# Phrases that mark a refusal when they appear early in a text (lower-case,
# straight apostrophes).
REFUSAL_PHRASES = (
    "i can't",
    "i cannot",
    "i can not",
    "i won't",
    "i will not",
    "i'm not able to",
    "i am not able to",
    "i'm unable",
    "i am unable",
    "sorry, i can't",
    "i must decline",
    "can't help with that",
    "cannot help with that",
)
_EARLY_CHARS = 120  # a refusal phrase must start within this many characters


@dataclass
class ToolCall:
    """One function call: ``ToolCall("get_weather", {"city": "Paris"})``."""

    name: str
    arguments: dict = field(default_factory=dict)
    # Qwen3.5's XML parameters as written (text): typed again by the tool's schema (see parse_answer)
    raw_xml: dict | None = field(default=None, compare=False, repr=False)


@dataclass
class ParsedAnswer:
    """A model answer split into calls, remaining text, errors and a label."""

    label: str
    content: str
    calls: list[ToolCall]
    errors: list[str]


# ---------------------------------------------------------------------------
# Payloads: one decoded JSON value (or XML / Python call) -> ToolCall
# ---------------------------------------------------------------------------

def coerce_arguments(value) -> tuple[dict | None, str | None]:
    """Return ``(arguments, None)`` or ``(None, error)``.

    Accepts a dict, a JSON string of an object, ``None`` or an empty /
    whitespace-only string (both: no arguments).

    >>> coerce_arguments('{"a": 1}'), coerce_arguments("  ")
    (({'a': 1}, None), ({}, None))
    >>> coerce_arguments([1])[1]
    'arguments must be a JSON object, got list'
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}, None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            return None, f"arguments string is not valid JSON: {getattr(exc, 'msg', exc)}"
    if not isinstance(value, dict):
        return None, f"arguments must be a JSON object, got {_type_name(value)}"
    return value, None


def _type_name(value) -> str:
    """The JSON name of a value's type, for messages ("object", "list", "number"...).

    >>> _type_name([]), _type_name(2.5), _type_name(None)
    ('list', 'number', 'null')
    """
    names = {dict: "object", list: "list", str: "string", bool: "boolean",
             int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _make_call(name, raw_arguments) -> tuple[ToolCall | None, str | None]:
    """Check a name and raw arguments: ``(ToolCall, None)`` or ``(None, error)``.

    >>> _make_call(" f ", '{"a": 1}')
    (ToolCall(name='f', arguments={'a': 1}), None)
    >>> _make_call(None, {})
    (None, 'missing "name"')
    """
    if name is None:
        return None, 'missing "name"'
    if not isinstance(name, str) or not name.strip():
        return None, '"name" must be a non-empty string'
    arguments, error = coerce_arguments(raw_arguments)
    if error:
        return None, error
    return ToolCall(name.strip(), arguments), None


def _call_from_rpc(payload: dict) -> tuple[ToolCall | None, str | None]:
    """A JSON-RPC 2.0 request as a call: MCP ``tools/call`` or ``method`` = tool name.

    >>> _call_from_rpc({"jsonrpc": "2.0", "method": "tools/call",
    ...                 "params": {"name": "f", "arguments": {"a": 1}}, "id": 1})
    (ToolCall(name='f', arguments={'a': 1}), None)
    >>> _call_from_rpc({"jsonrpc": "2.0", "method": "tools/call", "params": [1]})[1]
    'JSON-RPC "params" must be an object, got list'
    """
    method, params = payload.get("method"), payload.get("params")
    if method != "tools/call":
        return _make_call(method, params)
    if not isinstance(params, dict):
        return None, f'JSON-RPC "params" must be an object, got {_type_name(params)}'
    return _make_call(params.get("name"), params.get("arguments"))


def _call_from_payload(payload) -> tuple[ToolCall | None, str | None]:
    """Turn one decoded JSON value into a call, whatever the accepted shape.

    Shapes: ``{"name", "arguments"|"parameters"}``, ``{"tool", "arguments"}``,
    ``{"function": {...}}`` and JSON-RPC 2.0. Errors name what is wrong.

    >>> _call_from_payload({"tool": "f", "arguments": ""})
    (ToolCall(name='f', arguments={}), None)
    >>> _call_from_payload([1])[1]
    'expected a JSON object, got list'
    """
    if not isinstance(payload, dict):
        return None, f"expected a JSON object, got {_type_name(payload)}"
    if "jsonrpc" in payload or ("method" in payload and "params" in payload and "name" not in payload):
        return _call_from_rpc(payload)
    if isinstance(payload.get("function"), dict) and "name" not in payload:
        payload = payload["function"]
    name = payload["name"] if "name" in payload else payload.get("tool")
    raw = payload["arguments"] if "arguments" in payload else payload.get("parameters")
    return _make_call(name, raw)


_EXTRA_KEYS = {"id", "type", "call_id"}


def _is_call_shaped(value) -> bool:
    """True when a bare JSON value is a call (or a list of calls), not just data.

    >>> _is_call_shaped({"name": "f", "parameters": {}}), _is_call_shaped({"temp": 4})
    (True, False)
    >>> _is_call_shaped([{"tool": "f", "arguments": {}}]), _is_call_shaped([])
    (True, False)
    """
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, dict) and _is_call_shaped(v) for v in value)
    if not isinstance(value, dict):
        return False
    keys = set(value)
    if "jsonrpc" in keys:
        return isinstance(value.get("method"), str) and keys <= {"jsonrpc", "method", "params", "id"}
    if isinstance(value.get("function"), dict):
        return isinstance(value["function"].get("name"), str) and keys <= {"function"} | _EXTRA_KEYS
    if "tool" in keys:
        return isinstance(value["tool"], str) and "arguments" in keys and keys <= {"tool", "arguments", "id"}
    return (isinstance(value.get("name"), str) and bool(keys & {"arguments", "parameters"})
            and keys <= {"name", "arguments", "parameters"} | _EXTRA_KEYS)


def _xml_text(raw: str) -> str:
    """One ``<parameter=...>`` value as text: minus ONE leading and ONE trailing newline."""
    if raw.startswith("\n"):
        raw = raw[1:]
    if raw.endswith("\n"):
        raw = raw[:-1]
    return raw


def _xml_value(raw: str):
    """One ``<parameter=...>`` value, typed without a schema: the text minus ONE leading and ONE trailing newline.

    Text that is a JSON number, boolean, null, object or list — or Python's
    ``True``/``False``/``None``, which is how the Qwen3.5 template's ``|string``
    renders those — becomes that value; anything else stays a string. Where the tool's
    schema is known, :func:`parse_answer` keeps the text of a ``string`` parameter instead.

    >>> [_xml_value(v) for v in ["\\nParis\\n", "\\n3\\n", "True", '[1, "a"]', "\\n 3\\n", "007", "NaN"]]
    ['Paris', 3, True, [1, 'a'], ' 3', '007', 'NaN']
    """
    return _xml_typed(_xml_text(raw))


def _xml_typed(raw: str):
    """:func:`_xml_value` of a text already trimmed by :func:`_xml_text`."""
    if raw in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[raw]
    if not raw or raw != raw.strip() or raw[0] not in "-0123456789tfn[{":
        return raw
    try:
        value = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return raw
    return raw if isinstance(value, str) else value


def _reject_constant(name: str):
    """``parse_constant`` hook: NaN and Infinity are not JSON values here."""
    raise ValueError(f"{name} is not a JSON value")


class _JsonNames(ast.NodeTransformer):
    """Rewrite the names ``true``, ``false`` and ``null`` into constants."""

    _VALUES = {"true": True, "false": False, "null": None}

    def visit_Name(self, node: ast.Name):
        if node.id in self._VALUES:
            return ast.copy_location(ast.Constant(self._VALUES[node.id]), node)
        return node


def _jsonable(value):
    """A Python literal as a JSON value: tuples become lists; raises ValueError otherwise.

    >>> _jsonable((1, {"a": None}))
    [1, {'a': None}]
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _jsonable(v) for k, v in value.items()}
    raise ValueError(f"{type(value).__name__} is not a JSON value")


def _py_literal(node: ast.expr):
    """The value of one keyword argument: ``ast.literal_eval``, JSON names allowed.

    >>> _py_literal(ast.parse("[1, true, None]", mode="eval").body)
    [1, True, None]
    """
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        value = ast.literal_eval(_JsonNames().visit(node))
    return _jsonable(value)


def _dotted_name(node: ast.expr) -> str | None:
    """``f`` or ``a.b.f`` as text, or None for any other callee.

    >>> _dotted_name(ast.parse("a.b.f", mode="eval").body)
    'a.b.f'
    """
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted_name(node.value)
        return head and f"{head}.{node.attr}"
    return None


def _parse_expression(source: str) -> ast.expr | None:
    """``source`` (stripped) as one Python expression node, or None when it is not one.

    >>> type(_parse_expression(" f(a=1) ")).__name__, _parse_expression("f(")
    ('Call', None)
    """
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence" in model text
            warnings.simplefilter("ignore")
            return ast.parse(source.strip(), mode="eval").body
    except Exception:  # SyntaxError, ValueError (NUL), RecursionError, MemoryError...
        return None


def _python_calls(source: str) -> list[tuple[ToolCall | None, str | None]] | None:
    """Python-style calls ``[f(a=1), g()]`` (or one bare call) as ``(call, error)`` pairs.

    None when ``source`` is not, as a whole, a list of keyword-only calls.

    >>> [call for call, _ in _python_calls('[get_weather(city="Paris"), f(d=True, n=null)]')]
    [ToolCall(name='get_weather', arguments={'city': 'Paris'}), ToolCall(name='f', arguments={'d': True, 'n': None})]
    >>> _python_calls("I think f(x) is good") is None, _python_calls("max(3, 4)") is None
    (True, True)
    """
    node = _parse_expression(source)
    if node is None:
        return None
    items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    if not items or not all(isinstance(n, ast.Call) and _dotted_name(n.func) and not n.args
                            and all(k.arg for k in n.keywords) for n in items):
        return None
    return [_python_call(n) for n in items]


def _python_call(node: ast.Call) -> tuple[ToolCall | None, str | None]:
    """One keyword-only ``ast.Call`` as ``(call, None)`` or ``(None, error)``."""
    arguments = {}
    for keyword in node.keywords:
        try:
            arguments[keyword.arg] = _py_literal(keyword.value)
        except Exception:  # not a literal, or too deep
            return None, f"argument {keyword.arg!r} is not a literal value"
    return ToolCall(_dotted_name(node.func), arguments), None


# ---------------------------------------------------------------------------
# The scanner
# ---------------------------------------------------------------------------

@dataclass
class _Scan:
    """State of one left-to-right scan of a text.

    ``content`` holds text outside calls (specials and think blocks removed);
    ``kept`` holds the same plus the raw source of calls (for :func:`strip_special`).
    """

    text: str
    calls: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    content: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    attempts: int = 0
    has_text: bool = False

    def add_text(self, piece: str) -> None:
        """Keep ``piece`` as content."""
        self.content.append(piece)
        self.kept.append(piece)
        self.has_text = self.has_text or bool(piece.strip())

    def add(self, result: tuple[ToolCall | None, str | None]) -> None:
        """Record one call attempt: its call, or its numbered error."""
        self.attempts += 1
        call, error = result
        if call is not None:
            self.calls.append(call)
        else:
            self.fail(error)

    def fail(self, error: str) -> None:
        """Report an error for the latest call attempt."""
        self.errors.append(f"tool call {self.attempts}: {error}")

    def at_answer_start(self) -> bool:
        """True while nothing but whitespace, specials and reasoning has been read."""
        return not (self.calls or self.errors or self.attempts or self.has_text)

    def reset(self) -> None:
        """Forget everything read so far (it was reasoning: an orphan ``</think>`` follows)."""
        self.calls, self.errors, self.content, self.kept = [], [], [], []
        self.attempts, self.has_text = 0, False


def _skip_ws(text: str, pos: int) -> int:
    """Position of the first non-whitespace character at or after ``pos``.

    >>> _skip_ws("a  \\n b", 1)
    5
    """
    return _WS_RE.match(text, pos).end()


def _strip_trailing_specials(text: str) -> str:
    """``text`` without trailing whitespace and ``<|...|>`` tokens.

    >>> _strip_trailing_specials('[f()] <|im_end|>\\n<|endoftext|>')
    '[f()]'
    """
    while True:
        text = text.rstrip()
        start = text.rfind("<|")
        if start < 0 or not _SPECIAL_RE.fullmatch(text, start):
            return text
        text = text[:start]


def _unfence(text: str) -> str:
    """The inside of a whole-text code fence (```` ```json ... ``` ````), else ``text``.

    >>> _unfence('```json\\n{"a": 1}\\n```')
    '{"a": 1}'
    """
    opening = _FENCE_OPEN_RE.match(text)
    if opening and text.endswith("```") and len(text) >= opening.end() + 3:
        return text[opening.end():-3].strip()
    return text


def _skip_broken(text: str, pos: int) -> int:
    """Where reading resumes after a block whose content does not parse.

    After the first ``</tool_call>`` outside a (one-line) JSON string, or at the
    next ``<tool_call>``, or at the end of the text.

    >>> text = '{"a": "x </tool_call>", oops} </tool_call>after'
    >>> text[_skip_broken(text, 0):]
    'after'
    """
    for match in _BROKEN_RE.finditer(text, pos):
        if match.group() == CLOSE:
            return match.end()
        if match.group() == OPEN:
            return match.start()
    return len(text)


def _skip_to_tag(text: str, pos: int) -> int:
    """Like :func:`_skip_broken` for XML blocks, where quotes mean nothing."""
    match = _TAG_RE.search(text, pos)
    if match is None:
        return len(text)
    return match.end() if match.group() == CLOSE else match.start()


def _decode(text: str, pos: int):
    """``(value, end, None)`` for the JSON value at ``pos``, or ``(None, pos, error)``.

    >>> _decode('x {"a": "</tool_call>"} y', 2)
    ({'a': '</tool_call>'}, 23, None)
    >>> _decode('{"a": ', 0)[2]
    'invalid JSON: Expecting value (char 6)'
    """
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        return None, pos, f"invalid JSON: {exc.msg} (char {exc.pos - pos})"
    except (ValueError, RecursionError) as exc:
        return None, pos, f"invalid JSON: {exc}"
    return value, end, None


def _add_payloads(scan: _Scan, value) -> None:
    """Record a decoded block value: one object, or a list of them (parallel calls)."""
    if isinstance(value, list) and value:
        for item in value:
            scan.add(_call_from_payload(item))
    elif isinstance(value, list):
        scan.add((None, "empty list of calls"))
    else:
        scan.add(_call_from_payload(value))


def _close_block(scan: _Scan, start: int, end: int, fenced: bool) -> int:
    """After a block's call(s), ending at ``end``: consume a closing fence and ``</tool_call>``.

    Returns where scanning goes on. Without a closing tag the block is unclosed and
    what follows is read as usual (prose becomes content). Stray brackets just
    before the closing tag (``}}}</tool_call>``) are dropped and reported.
    """
    text = scan.text
    pos = _skip_ws(text, end)
    if fenced and text.startswith("```", pos):
        end = pos = pos + 3
        pos = _skip_ws(text, pos)
    if not text.startswith(CLOSE, pos):
        junk = _JUNK_RE.match(text, pos).end()
        if junk == pos or not text.startswith(CLOSE, junk):
            scan.kept.append(text[start:end])
            return end
        scan.fail(f"ignored {text[pos:junk].strip()!r} after the call")
        pos = junk
    scan.kept.append(text[start:pos + len(CLOSE)])
    return pos + len(CLOSE)


def _read_block(scan: _Scan, start: int, pos: int) -> int:
    """Read the block whose ``<tool_call>`` is at ``start`` (content from ``pos``).

    Returns where scanning goes on.
    """
    text = scan.text
    pos, fenced = _block_start(text, pos)
    if text.startswith("<function=", pos):
        return _read_xml_block(scan, start, pos)
    value, end, error = _decode(text, pos)
    if error:
        return _read_other_block(scan, start, pos, error)
    _add_payloads(scan, value)
    while True:  # more JSON objects in the same block
        after = _SEPARATOR_RE.match(text, end).end()
        if after >= len(text) or text[after] not in "{[":
            break
        value, next_end, error = _decode(text, after)
        if error:
            break
        _add_payloads(scan, value)
        end = next_end
    return _close_block(scan, start, end, fenced)


def _read_other_block(scan: _Scan, start: int, pos: int, json_error: str) -> int:
    """A block whose content is not JSON: Python-style calls, else the JSON error.

    Returns where scanning goes on: after the block's closing tag (see
    :func:`_skip_broken`), or after the Python calls' own end.
    """
    text = scan.text
    results, resume = _python_block(text, pos)
    if results is None:
        results, resume = [(None, json_error)], _skip_broken(text, pos)
    for result in results:
        scan.add(result)
    scan.kept.append(text[start:resume])
    return resume


_MAX_PYTHON_ENDS = 32  # block ends tried for one Python-style block


def _python_block(text: str, pos: int) -> tuple[list | None, int]:
    """Python-style calls in a block from ``pos``: ``(results, resume)`` or ``(None, pos)``.

    The block may end at any later ``</tool_call>`` (one inside a quoted argument
    does not end it), before the next ``<tool_call>``, or at the end of the text;
    the first end whose text parses as a call list wins.

    >>> text = "ping(host='a</tool_call>b')</tool_call>rest"
    >>> results, resume = _python_block(text, 0)
    >>> results, text[resume:]
    ([(ToolCall(name='ping', arguments={'host': 'a</tool_call>b'}), None)], 'rest')
    """
    if not _PY_START_RE.match(text, pos):
        return None, pos
    ends = [(m.start(), m.end() if m.group() == CLOSE else m.start()) for m in _TAG_RE.finditer(text, pos)]
    for body_end, resume in ends[:_MAX_PYTHON_ENDS] + [(len(text), len(text))]:
        results = _python_calls(_unfence(_strip_trailing_specials(text[pos:body_end])))
        if results is not None:
            return results, resume
    return None, pos


def _read_parameters(text: str, pos: int) -> tuple[dict | None, int, str | None]:
    """Read ``<parameter=k>...</parameter>`` items up to ``</function>``.

    Returns ``(arguments, end, None)`` or ``(None, end, error)``. A missing
    ``</function>`` is tolerated before ``</tool_call>`` or the next ``<tool_call>``;
    at the end of the text it is an error, so a cut-off call never passes for a
    complete one.

    The values are the texts as written (see :func:`_xml_text`).

    >>> _read_parameters("<parameter=a>\\n1\\n</parameter>\\n</function>", 0)
    ({'a': '1'}, 40, None)
    """
    arguments = {}
    while True:
        pos = _skip_ws(text, pos)
        parameter = _PARAMETER_RE.match(text, pos)
        if parameter:
            key, close = parameter.group(1), text.find("</parameter>", parameter.end())
            if close < 0:
                return None, pos, f"unterminated <parameter={key}>"
            arguments[key] = _xml_text(text[parameter.end():close])
            pos = close + len("</parameter>")
        elif text.startswith("</function>", pos):
            return arguments, pos + len("</function>"), None
        elif _TAG_RE.match(text, pos):
            return arguments, pos, None
        elif pos >= len(text):
            return None, pos, "unclosed <function=...> at the end of the text"
        else:
            return None, pos, f"unexpected text {text[pos:pos + 20]!r} in <function=...>"


def _read_xml_block(scan: _Scan, start: int, pos: int) -> int:
    """Read a Qwen3.5-style ``<function=name>`` block starting at ``pos``."""
    text = scan.text
    function = _FUNCTION_RE.match(text, pos)
    if function is None:
        arguments, end, error = None, pos, "malformed <function=...> tag"
    else:
        arguments, end, error = _read_parameters(text, function.end())
    if error:
        scan.add((None, error))
        resume = _skip_to_tag(text, end)
        scan.kept.append(text[start:resume])
        return resume
    call, error = _make_call(function.group(1), {key: _xml_typed(raw) for key, raw in arguments.items()})
    if call is not None:
        call.raw_xml = arguments
    scan.add((call, error))
    return _close_block(scan, start, end, False)


def _read_bare(scan: _Scan, pos: int) -> int | None:
    """Read a whole-answer JSON answer or Python call list from ``pos``; None if there is none.

    JSON values that are all call-shaped (one, an array, or several separated by
    whitespace, ``;`` or ``,``) give calls; a single JSON value that is just data
    is kept, verbatim, as content. A call-shaped value followed by ``</tool_call>``
    is a block whose opening tag is missing. Returns where scanning goes on.
    """
    if not _could_be_bare(scan.text, pos):
        return None
    rest = _strip_trailing_specials(scan.text[pos:])
    body = _unfence(rest.strip())
    values = _json_values(body)
    if values and all(_is_call_shaped(v) for v in values):
        for value in values:
            _add_payloads(scan, value)
    elif values and len(values) == 1:
        scan.add_text(rest)
        return len(scan.text)
    elif (results := _python_calls(body) if _PY_START_RE.match(body) else None) is not None:
        for result in results:
            scan.add(result)
    else:
        return _read_headless_block(scan, pos)
    scan.kept.append(rest)
    return len(scan.text)


def _read_headless_block(scan: _Scan, pos: int) -> int | None:
    """A call-shaped JSON value at ``pos`` closed by ``</tool_call>`` without an opening tag.

    >>> scan = _Scan('{"name": "f", "arguments": {}}\\n</tool_call> ok')
    >>> _read_headless_block(scan, 0), scan.calls
    (43, [ToolCall(name='f', arguments={})])
    """
    start = _skip_ws(scan.text, pos)
    value, end, error = _decode(scan.text, start)
    if error or not _is_call_shaped(value) or not scan.text.startswith(CLOSE, _skip_ws(scan.text, end)):
        return None
    scan.kept.append(scan.text[pos:start])
    _add_payloads(scan, value)
    return _close_block(scan, start, end, False)


def _could_be_bare(text: str, pos: int) -> bool:
    """Cheap test: could a JSON value, a code fence or a Python call start at ``pos``?

    >>> _could_be_bare("  {", 0), _could_be_bare("<tool_call>", 0)
    (True, False)
    """
    start = _skip_ws(text, pos)
    first = text[start:start + 1]
    return first in ("{", "[", "`", "(", "_") or first.isalpha()


def _json_values(body: str) -> list | None:
    """All of ``body`` as JSON values separated by whitespace, ``;`` or ``,``; else None.

    >>> _json_values('{"a": 1}; {"b": 2}'), _json_values('{"a": 1} and')
    ([{'a': 1}, {'b': 2}], None)
    """
    values, pos = [], 0
    while pos < len(body):
        if body[pos] not in "{[":
            return None
        value, pos, error = _decode(body, pos)
        if error:
            return None
        values.append(value)
        pos = _SEPARATOR_RE.match(body, pos).end()
    return values or None


def _after_think(text: str, pos: int) -> int:
    """Where scanning goes on after a ``<think>`` opening that ends at ``pos``.

    After the first ``</think>``. For an unfinished think (the model forgot to
    close it), at the first ``<tool_call>`` that opens a call (JSON or
    ``<function=``; a mere mention of the tag in the reasoning is skipped), or else
    at the end.

    >>> _after_think("a</think>b", 0), _after_think("a <tool_call> b<tool_call>{}", 0), _after_think("a", 0)
    (9, 15, 1)
    """
    close = text.find(THINK_CLOSE, pos)
    if close >= 0:
        return close + len(THINK_CLOSE)
    opening = text.find(OPEN, pos)
    while opening >= 0:
        if _opens_call(text, opening + len(OPEN)):
            return opening
        opening = text.find(OPEN, opening + len(OPEN))
    return len(text)


def _opens_call(text: str, pos: int) -> bool:
    """True when a call's JSON, ``<function=`` or Python call starts at ``pos``.

    >>> _opens_call(" ```json\\n{", 0), _opens_call(" stuff", 0)
    (True, False)
    """
    pos, _ = _block_start(text, pos)
    return text.startswith(("{", "[", "<function="), pos) or bool(_PY_START_RE.match(text, pos))


def _block_start(text: str, pos: int) -> tuple[int, bool]:
    """Skip whitespace and an opening code fence: ``(position, fenced)``.

    >>> _block_start("\\n```json\\n {}", 0)
    (10, True)
    """
    pos = _skip_ws(text, pos)
    fence = _FENCE_OPEN_RE.match(text, pos)
    if fence:
        return _skip_ws(text, fence.end()), True
    return pos, False


def _scan(text) -> _Scan:
    """Scan ``text`` once, left to right, into calls, errors and content pieces."""
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    scan, pos = _Scan(text), 0
    while pos < len(text):
        if scan.at_answer_start():
            resume = _read_bare(scan, pos)
            if resume is not None:
                pos = resume
                continue
        mark = _MARK_RE.search(text, pos)
        if mark is None:
            scan.add_text(text[pos:])
            break
        scan.add_text(text[pos:mark.start()])
        pos = _after_mark(scan, mark)
    return scan


def _after_mark(scan: _Scan, mark: re.Match) -> int:
    """Handle one markup tag found outside calls; returns where scanning goes on."""
    tag = mark.group()
    if tag == OPEN:
        return _read_block(scan, mark.start(), mark.end())
    if tag == THINK_OPEN:
        return _after_think(scan.text, mark.end())
    if tag == THINK_CLOSE:  # the opening tag was part of the prompt
        scan.reset()
    elif tag == CLOSE:
        scan.errors.append("stray </tool_call> outside a block ignored")
        scan.kept.append(tag)
    return mark.end()


def _content(scan: _Scan) -> str:
    """The scan's content: pieces joined, empty code fences removed, stripped."""
    return _EMPTY_FENCE_RE.sub("", "".join(scan.content)).strip()


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def strip_special(text: str) -> str:
    """Remove ``<|...|>`` special tokens and ``<think>`` blocks outside of calls.

    Call blocks and whole-answer calls are kept verbatim, so markup inside their
    JSON strings survives. An orphan ``</think>`` drops everything before it (the
    opening tag was in the prompt); an unfinished ``<think>`` drops the text up to
    the next ``<tool_call>`` (or to the end).

    >>> strip_special("<think>hmm</think>Hi<|im_end|>")
    'Hi'
    >>> strip_special('<tool_call>{"name": "f", "arguments": {"s": "<|im_end|>"}}</tool_call><|im_end|>')
    '<tool_call>{"name": "f", "arguments": {"s": "<|im_end|>"}}</tool_call>'
    """
    return "".join(_scan(text).kept)


def parse_calls_any(text: str) -> tuple[list[ToolCall], list[str], str]:
    """Parse every tool call in ``text``, in any accepted format: ``(calls, errors, content)``.

    ``content`` is the text outside calls, without special tokens and reasoning,
    stripped. Never raises.

    >>> parse_calls_any('Checking.<tool_call>{"name": "f", "arguments": {"q": "</tool_call>"}}')
    ([ToolCall(name='f', arguments={'q': '</tool_call>'})], [], 'Checking.')
    >>> parse_calls_any('[f(a=1), g(b="x")]')[0]
    [ToolCall(name='f', arguments={'a': 1}), ToolCall(name='g', arguments={'b': 'x'})]
    """
    scan = _scan(text)
    return scan.calls, scan.errors, _content(scan)


def parse_tool_calls(text: str) -> tuple[list[ToolCall], list[str]]:
    """Parse every tool call in ``text``: ``(calls, errors)`` (see :func:`parse_calls_any`).

    >>> calls, errors = parse_tool_calls('<tool_call>{"name": "f", "arguments": {}}</tool_call>')
    >>> calls, errors
    ([ToolCall(name='f', arguments={})], [])
    """
    calls, errors, _ = parse_calls_any(text)
    return calls, errors


def _normalize_quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")


def is_refusal(content: str) -> bool:
    """True when a refusal phrase appears early in ``content``.

    >>> is_refusal("Sorry, I can\u2019t help with that.")
    True
    """
    lowered = _normalize_quotes(content).lower()
    for phrase in REFUSAL_PHRASES:
        at = lowered.find(phrase)
        if 0 <= at < _EARLY_CHARS:
            return True
    return False


def classify_text(content: str) -> str:
    """Label a text with no tool call: "refusal", "clarification" or "answer".

    >>> classify_text("Which city do you mean?")
    'clarification'
    >>> classify_text("I cannot do that.")
    'refusal'
    >>> classify_text("It is 21 degrees.")
    'answer'
    """
    content = (content or "").strip()
    if is_refusal(content):
        return "refusal"
    if content.endswith("?"):
        return "clarification"
    return "answer"


def parse_answer(text: str, tools: list | None = None) -> ParsedAnswer:
    """Parse a generated answer into calls, text, errors and a label.

    The label is "tool_call" when at least one call parses, else the label of
    the content (see :func:`classify_text`). With ``tools`` (JSON Schemas), a
    Qwen3.5 XML parameter that its tool declares a ``string`` keeps its text even when
    it reads as a number or boolean (``<parameter=zip>02134`` or ``12`` stays text).

    >>> parse_answer('<think>x</think><tool_call>{"name": "f", "arguments": {}}</tool_call>').label
    'tool_call'
    >>> xml = "<tool_call><function=f><parameter=code>12</parameter></function></tool_call>"
    >>> tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
    ...     "properties": {"code": {"type": "string"}}}}}]
    >>> parse_answer(xml).calls[0].arguments, parse_answer(xml, tools).calls[0].arguments
    ({'code': 12}, {'code': '12'})
    """
    calls, errors, content = parse_calls_any(text)
    if tools:
        for call in calls:
            if call.raw_xml:
                _type_by_schema(call, tools)
    label = "tool_call" if calls else classify_text(content)
    return ParsedAnswer(label=label, content=content, calls=calls, errors=errors)


def _type_by_schema(call: ToolCall, tools: list) -> None:
    """Give an XML parameter its text back where the tool's schema says it is a string."""
    schema = next((t.get("function", t) for t in tools if isinstance(t, dict) and tool_name(t) == call.name), None)
    params = schema.get("parameters") if isinstance(schema, dict) else None
    properties = params.get("properties") if isinstance(params, dict) else None
    if not isinstance(properties, dict):
        return
    for key, raw in call.raw_xml.items():
        spec = properties.get(key)
        declared = spec.get("type") if isinstance(spec, dict) else None
        types = declared if isinstance(declared, list) else [declared]
        if "string" in types and not isinstance(call.arguments.get(key), str) and len(types) == 1:
            call.arguments[key] = raw


def label_of_message(message: dict) -> str:
    """Label a reference assistant message dict.

    >>> label_of_message({"role": "assistant", "content": "Which file?"})
    'clarification'
    """
    if message.get("tool_calls"):
        return "tool_call"
    content = message.get("content")
    return classify_text(content if isinstance(content, str) else "")


def tool_name(tool: dict) -> str | None:
    """Name of a tool schema in OpenAI (``{"function": {...}}``) or bare form."""
    if not isinstance(tool, dict):
        return None
    inner = tool.get("function") if isinstance(tool.get("function"), dict) else tool
    name = inner.get("name")
    return name if isinstance(name, str) else None


def _call_name(call) -> str | None:
    if isinstance(call, ToolCall):
        return call.name
    if isinstance(call, dict):
        return tool_name(call)
    return None


def call_names_declared(calls, tools: list[dict]) -> bool:
    """True if ``calls`` is non-empty and every call names a declared tool.

    >>> tools = [{"type": "function", "function": {"name": "f"}}]
    >>> call_names_declared([ToolCall("f", {})], tools), call_names_declared([], tools)
    (True, False)
    """
    declared = {tool_name(t) for t in tools or []} - {None}
    calls = list(calls or [])
    return bool(calls) and all(_call_name(c) in declared for c in calls)


def canonical_value(value):
    """A value in a form where equal JSON values compare equal: numbers by value, dict keys sorted.

    ``12``, ``12.0`` and ``1.2e1`` are one number; ``True`` stays a boolean (never ``1``).

    >>> canonical_value({"b": 12.0, "a": [1, True]}) == canonical_value({"a": [1.0, True], "b": 12})
    True
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, dict):
        return tuple(sorted((str(k), canonical_value(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(canonical_value(v) for v in value))
    return repr(value)
