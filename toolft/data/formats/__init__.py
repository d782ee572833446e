"""Convert the common tool-calling dataset row formats into toolft's canonical row.

The canonical row is TRL's conversational format with a ``tools`` column (OpenAI style)::

    {"messages": [
        {"role": "system", "content": "..."},                       # optional, index 0 only
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "id": "call_1",
             "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "{\\"temp_c\\": 21}"},
        {"role": "assistant", "content": "21 °C in Paris."}],
     "tools": [{"type": "function", "function": {"name": "get_weather", "description": "...",
                "parameters": {"type": "object", "properties": {...}, "required": [...]}}}],
     "id": "row-7",          # only when the source row has one (always a string)
     "kind": "single_call"}  # only when the source row has one

In a canonical row call ``arguments`` are dicts (a string is left only when it is not
JSON of an object, so the lint reports it), ``id``/``tool_call_id`` are strings, an
assistant turn with calls has a string ``content`` (``""`` when none) and tool results
are strings (a dict/list result is ``json.dumps(..., ensure_ascii=False)``-encoded).
Source-row keys other than the conversation, the tools, ``id`` and ``kind`` are dropped.

Formats (:data:`FORMATS`) and what :func:`detect_format` looks at (keys first; cheap):

* ``messages`` present -> one of

  - ``mcp``: some call is a JSON-RPC 2.0 ``tools/call`` request (an item of
    ``tool_calls`` or the whole assistant ``content``), or no call uses the ``tool``
    key and the tools use ``inputSchema`` / are a ``tools/list`` response, or a tool
    result is a JSON-RPC response or an MCP ``CallToolResult`` object;
  - ``simple``: some call is written ``{"tool": NAME, "arguments": {...}}`` (an item of
    ``tool_calls``, or a JSON object/array of them as the whole assistant ``content``);
    its tools may be OpenAI, bare or MCP (``inputSchema``) style;
  - ``openai`` otherwise (TRL / OpenAI chat rows).
* ``conversations`` present -> ``sharegpt`` when a turn is ``from`` human/gpt/system/
  function_call/observation, the row has a ``tools`` key, or a text holds ``<tools>`` /
  ``<tool_call>``; otherwise ``toolace`` when the row has a top-level ``system`` string
  (ToolACE) holding a JSON list of functions or an assistant turn is a ``[f(...)]`` call
  list; otherwise ``sharegpt``.
* ``query`` and ``answers`` -> ``xlam``; a ``chat`` string -> ``glaive``.

System prompts: tools listed inside a system prompt (Hermes ``<tools>``, ToolACE's JSON
list, Glaive's function listing) move to ``tools``, and the text that only describes the
tool-calling protocol is dropped, because the model's chat template renders the tools
and its own call format from the ``tools`` column.  For ShareGPT/Hermes and ToolACE the
sentences that mention functions, tool calls or the tool tags are dropped; what is left
becomes the system message when it has any word in it, else the row has no system
message.  For Glaive the "with access to the following functions. Use them if required -"
part is cut ("You are a helpful assistant.").

One module per format family converts (each module's docstring shows a source row and
says what is kept and dropped; everything not listed there is dropped):

* :mod:`~toolft.data.formats.messages`: openai, simple and mcp;
* :mod:`~toolft.data.formats.sharegpt`: sharegpt (Hermes included);
* :mod:`~toolft.data.formats.toolace`, :mod:`~toolft.data.formats.xlam`,
  :mod:`~toolft.data.formats.glaive`;
* :mod:`~toolft.data.formats._base`: the helpers they share.

Tool messages converted from sharegpt, toolace and glaive have no ``tool_call_id`` (the
sources have none).  A missing ``name`` is filled in from the call they answer, matched
by position.

Only the standard library (and the stdlib-only :mod:`toolft.toolcalls`) is used here.
"""

from __future__ import annotations

from toolft.data.formats import glaive, sharegpt, toolace, xlam
from toolft.data.formats._base import ConvertError, _type_name
from toolft.data.formats.messages import convert as _from_messages
from toolft.data.formats.messages import detect as _detect_messages
from toolft.data.formats.sharegpt import detect as _detect_conversations

__all__ = ["FORMATS", "ConvertError", "detect_format", "to_canonical"]

FORMATS = ("openai", "sharegpt", "xlam", "glaive", "toolace", "simple", "mcp")


def detect_format(row) -> str | None:
    """The format of one row (one of :data:`FORMATS`), or None when it matches none.

    Looks at the keys first and only scans the turns when the keys leave a choice
    (see the module docstring for the rules).

    >>> detect_format({"messages": [{"role": "user", "content": "Hi"}]})
    'openai'
    >>> detect_format({"query": "Sum 1 and 2", "answers": "[]", "tools": "[]"})
    'xlam'
    >>> detect_format({"system": "SYSTEM: You are a helpful assistant.", "chat": "USER: Hi"})
    'glaive'
    >>> detect_format({"text": "hello"}) is None
    True
    """
    if type(row) is not dict:
        return None
    if "messages" in row:
        return _detect_messages(row)
    if "conversations" in row:
        return _detect_conversations(row)
    if "query" in row and "answers" in row:
        return "xlam"
    if type(row.get("chat")) is str:
        return "glaive"
    return None


_CONVERTERS = {
    "openai": lambda row: _from_messages(row, "openai"),
    "simple": lambda row: _from_messages(row, "simple"),
    "mcp": lambda row: _from_messages(row, "mcp"),
    "sharegpt": sharegpt.convert,
    "toolace": toolace.convert,
    "xlam": xlam.convert,
    "glaive": glaive.convert,
}


def to_canonical(row: dict, fmt: str | None = None) -> tuple[dict, str]:
    """Convert one source row to the canonical row: ``(canonical_row, fmt)``.

    ``fmt=None`` detects the format (:func:`detect_format`).  The result shares no
    objects with ``row``, which is never modified.  Raises :class:`ConvertError` when
    the row cannot be converted at all (semantic problems are left to the lint), and
    ``ValueError`` for a ``fmt`` not in :data:`FORMATS`.

    >>> row = {"query": "Weather in Paris?",
    ...        "answers": '[{"name": "get_weather", "arguments": {"city": "Paris"}}]',
    ...        "tools": '[{"name": "get_weather", "description": "Current weather",'
    ...                 ' "parameters": {"city": {"description": "City name", "type": "str"}}}]'}
    >>> canonical, fmt = to_canonical(row)
    >>> fmt
    'xlam'
    >>> canonical["messages"][1]["tool_calls"]
    [{'type': 'function', 'function': {'name': 'get_weather', 'arguments': {'city': 'Paris'}}}]
    >>> canonical["tools"][0]["function"]["parameters"]
    {'type': 'object', 'properties': {'city': {'type': 'string', 'description': 'City name'}}, 'required': ['city']}
    >>> to_canonical({"query": "Hi", "answers": "[]"})
    Traceback (most recent call last):
    ...
    toolft.data.formats.ConvertError: answers: is empty: the row has no assistant turn to train on
    """
    if type(row) is not dict:
        raise ConvertError("", f"row must be a JSON object, got {_type_name(row)}")
    if fmt is None:
        fmt = detect_format(row)
        if fmt is None:
            keys = ", ".join(sorted(map(str, row))[:8]) or "none"
            raise ConvertError("", "matches no known format: expected messages, conversations, "
                                   f"query + answers, or system + chat (keys: {keys})")
    elif type(fmt) is not str or fmt not in _CONVERTERS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return _CONVERTERS[fmt](row), fmt
