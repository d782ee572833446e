"""Render rows with a model's chat template exactly as training tokenizes them.

One path from a canonical row to trained tokens, used by the trainer, the
inspector, ``data check`` and the pre-launch template check, so what the Data tab
highlights is what the model learns from:

1. :func:`template_messages`: each tool call's ``arguments`` handed to the template
   as an object. Templates that serialise arguments themselves (Qwen2.5's
   ``tojson``, Qwen3.5/3.6's ``arguments|items``, Llama 3, Gemma 4) need an object;
   Qwen3 prints either form. A JSON string would be double-encoded by Qwen2.5 and
   crash Qwen3.5 (``TypeError: Can only get item pairs from a mapping``).
2. :func:`training_chat_template`: the template SFT renders with. With assistant-only
   loss it needs ``{% generation %}`` markers; like TRL's ``SFTTrainer`` we swap in
   TRL's training template (``trl.chat_template_utils.get_training_chat_template``)
   when the model's own template has none, and raise :class:`TemplateError` when TRL
   has none either (Llama 3.2, Gemma 4 today).
3. :func:`tokenize_row`: ``apply_chat_template(..., return_assistant_tokens_mask=True)``
   with the same arguments TRL's ``SFTTrainer`` passes, giving ``input_ids`` and
   ``labels`` (-100 on untrained tokens). The trainer hands TRL these pre-tokenised
   rows, so Arrow never has to type arguments of mixed shapes.

Heavy libraries (transformers, TRL) are imported inside functions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from toolft.toolcalls import ToolCall, parse_answer

IGNORE_INDEX = -100  # the label PyTorch's cross-entropy (and TRL) skips


class TemplateError(ValueError):
    """A chat template that cannot render tool-calling rows for training; the message names the model."""


# ------------------------------------------------------------------ messages
def template_messages(record: dict) -> list[dict]:
    """Messages of a canonical row in the form chat templates expect (a new list; the row is untouched).

    Call arguments become objects (a JSON string is decoded, ``""`` is ``{}``), ids become
    strings, and keys whose value is ``None`` are dropped (as transformers does).

    >>> row = {"messages": [{"role": "assistant", "content": None, "tool_calls": [
    ...     {"id": 7, "function": {"name": "f", "arguments": '{"a": 1}'}}]}]}
    >>> template_messages(row)[0]["tool_calls"]
    [{'type': 'function', 'function': {'name': 'f', 'arguments': {'a': 1}}, 'id': '7'}]
    """
    messages = []
    for message in record["messages"]:
        out = {k: v for k, v in message.items() if v is not None}
        if "tool_call_id" in out:
            out["tool_call_id"] = str(out["tool_call_id"])
        if message.get("tool_calls"):
            out["tool_calls"] = [_template_call(call) for call in message["tool_calls"]]
            out.setdefault("content", "")
        messages.append(out)
    return messages


def _template_call(call: dict) -> dict:
    inner = call.get("function") if isinstance(call.get("function"), dict) else call
    arguments = inner.get("arguments")
    if isinstance(arguments, str):
        arguments = json.loads(arguments) if arguments.strip() else {}
    out = {"type": "function", "function": {"name": inner["name"], "arguments": arguments or {}}}
    if call.get("id") is not None:
        out["id"] = str(call["id"])
    return out


# ------------------------------------------------------------------ templates
_GENERATION_RE = re.compile(r"\{%-?\s*generation\s*-?%\}")


def has_generation_markers(chat_template: str | dict) -> bool:
    """True when the template marks assistant output with ``{% generation %}``.

    The same test as ``trl.chat_template_utils.has_generation_markers`` (its regex, and a
    dict of named templates is judged by ``default``), without importing TRL, which pulls
    in torch: 6 s of ``data check`` on 2 cores.

    >>> has_generation_markers("{%- generation -%}{{ m }}{% endgeneration %}"), has_generation_markers("{{ m }}")
    (True, False)
    """
    if isinstance(chat_template, dict):
        chat_template = chat_template["default"]
    return _GENERATION_RE.search(chat_template) is not None


def training_chat_template(tokenizer, assistant_only_loss: bool = True, model_name: str = "this model") -> str | None:
    """The chat template SFT renders with: ``None`` = the tokenizer's own.

    Mirrors ``trl.SFTTrainer``: with assistant-only loss and no ``{% generation %}``
    markers in the model's template, TRL's training template for that (byte-identical)
    template is used.

    Raises:
        TemplateError: the tokenizer has no chat template, or assistant-only loss is asked
            of a template that has no generation markers and no TRL training template.
    """
    if not tokenizer.chat_template:
        raise TemplateError(f"{model_name} has no chat template: toolft cannot render conversations for it")
    if not assistant_only_loss or has_generation_markers(tokenizer.chat_template):
        return None
    from trl.chat_template_utils import get_training_chat_template

    try:
        return get_training_chat_template(tokenizer)
    except ValueError:
        raise TemplateError(
            f"{model_name}'s chat template has no {{% generation %}} markers and TRL has no training template for "
            "it, so assistant-only loss cannot tell the assistant's tokens apart: set "
            "training.assistant_only_loss: false (learn from the whole conversation) or give the model a chat "
            "template with {% generation %} markers") from None


def tokenize_row(tokenizer, record: dict, chat_template: str | None = None,
                 assistant_only_loss: bool = True) -> dict[str, list[int]]:
    """``{"input_ids", "labels"}`` of one canonical row, as TRL's SFTTrainer would build them.

    ``labels`` equals ``input_ids`` on trained tokens and ``IGNORE_INDEX`` elsewhere; both have
    the row's full length T (truncation at ``max_length`` is TRL's, later).
    ``chat_template`` comes from :func:`training_chat_template`.
    """
    out = tokenizer.apply_chat_template(
        template_messages(record), tools=record.get("tools") or None, chat_template=chat_template,
        tokenize=True, return_dict=True, return_assistant_tokens_mask=assistant_only_loss)
    ids = list(out["input_ids"])
    if not assistant_only_loss:
        return {"input_ids": ids, "labels": list(ids)}
    mask = out["assistant_masks"]
    return {"input_ids": ids, "labels": [t if m else IGNORE_INDEX for t, m in zip(ids, mask)]}


def render_text(tokenizer, messages: list[dict], tools: list | None, chat_template: str | None = None,
                add_generation_prompt: bool = False) -> str:
    """The rendered text of ``messages`` (already in :func:`template_messages` form)."""
    return tokenizer.apply_chat_template(messages, tools=tools or None, chat_template=chat_template,
                                         add_generation_prompt=add_generation_prompt, tokenize=False)


# ------------------------------------------------------------------ parsing back
def response_parser(tokenizer):
    """A function ``(text, prefix, tools) -> (calls, content)`` in the model's own call format.

    ``prefix`` is the rendered prompt the text was generated after (transformers' parser
    needs it: a template may pre-write part of the answer, such as an opening ``<think>``).

    Where TRL knows the template (``add_response_schema``), transformers'
    ``tokenizer.parse_response`` reads it (Gemma 4's ``<|tool_call>call:...``, Qwen3.5's
    XML calls...); otherwise, and whenever that parser fails, toolft's own tolerant
    parser (:func:`toolft.toolcalls.parse_answer`).
    """
    import copy

    from trl.chat_template_utils import add_response_schema

    parser_tok = None
    try:
        parser_tok = add_response_schema(copy.copy(tokenizer))
    except ValueError:  # a template TRL does not know
        pass

    def parse(text: str, prefix: str = "", tools: list | None = None) -> tuple[list[ToolCall], str]:
        if parser_tok is not None:
            try:  # the tools let it type values that the format writes untyped (Qwen3.5's XML parameters)
                message = parser_tok.parse_response(text, prefix=prefix, tools=tools or None)
                calls = [_as_call(c) for c in message.get("tool_calls") or []]
                return calls, (message.get("content") or "").strip()
            except Exception:  # noqa: BLE001 - any failure of the template parser falls back to ours
                pass
        answer = parse_answer(text, tools)
        return answer.calls, answer.content

    return parse


def _as_call(call: dict) -> ToolCall:
    inner = call.get("function") or call
    arguments = inner.get("arguments") or {}
    if isinstance(arguments, str):
        arguments = json.loads(arguments) if arguments.strip() else {}
    return ToolCall(inner.get("name"), arguments)


def assistant_spans(tokenizer, messages: list[dict], tools,
                    chat_template: str | None) -> list[tuple[int, str, str | None]]:
    """``(message index, prompt, rendered text of that assistant turn)``; text None where it cannot be isolated.

    A turn's text is the full rendering up to it minus the rendering of the prompt before
    it (with the generation prompt), so it holds exactly what the model generates.
    """
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = render_text(tokenizer, messages[:i], tools, chat_template, add_generation_prompt=True)
        full = render_text(tokenizer, messages[: i + 1], tools, chat_template)
        spans.append((i, prompt, full[len(prompt):] if full.startswith(prompt) else None))
    return spans


def roundtrip_problems(tokenizer, record: dict, chat_template: str | None = None, parse=None) -> list[str]:
    """Each gold assistant turn must parse back out of its rendering: the same calls and text.

    Returns one message per turn that does not (empty = round trip ok).
    """
    parse = parse or response_parser(tokenizer)
    messages = template_messages(record)
    problems = []
    for i, prompt, text in assistant_spans(tokenizer, messages, record.get("tools"), chat_template):
        gold = messages[i]
        if text is None:
            problems.append(f"messages[{i}]: the template renders this turn differently after the prompt "
                            "than at generation time, so it cannot be read back")
            continue
        calls, content = parse(text, prompt, record.get("tools"))
        gold_calls = [ToolCall(c["function"]["name"], c["function"]["arguments"]) for c in gold.get("tool_calls") or []]
        if _call_keys(calls) != _call_keys(gold_calls):
            problems.append(f"messages[{i}]: calls read back as {_show(calls)}, expected {_show(gold_calls)}")
        elif " ".join((gold.get("content") or "").split()) != " ".join(content.split()):
            problems.append(f"messages[{i}]: text read back as {content[:80]!r}, expected "
                            f"{(gold.get('content') or '')[:80]!r}")
    return problems


def _call_keys(calls: list[ToolCall]) -> list[str]:
    from toolft.toolcalls import canonical_value

    return sorted(repr((c.name, canonical_value(c.arguments))) for c in calls)


def _show(calls: list[ToolCall]) -> str:
    return "[" + ", ".join(f"{c.name}({json.dumps(c.arguments, ensure_ascii=False)})" for c in calls) + "]" if calls else "no call"


# ------------------------------------------------------------------ checks
PROBE_ROW = {
    "messages": [
        {"role": "user", "content": "Forecast for Oslo over 3 days?"},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "id": "call_1", "function": {
            "name": "get_forecast", "arguments": {"town": "Oslo", "days": 3}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_forecast", "content": "{\"temp_c\": 4}"},
        {"role": "assistant", "content": "It will be about 4 degrees in Oslo."},
    ],
    "tools": [{"type": "function", "function": {
        "name": "get_forecast", "description": "Weather forecast for a town",
        "parameters": {"type": "object", "properties": {"town": {"type": "string"}, "days": {"type": "integer"}},
                       "required": ["town"]}}}],
}


def template_problems(tokenizer, model_name: str, assistant_only_loss: bool = True) -> list[str]:
    """Why this model's chat template cannot train tool calling; empty when it can.

    Renders :data:`PROBE_ROW` with the template SFT would use and checks that the tool
    schema, the call's name and each argument value (not double-encoded), and the tool
    result appear; that some tokens are trained; and that the calls read back.
    """
    try:
        template = training_chat_template(tokenizer, assistant_only_loss, model_name)
    except TemplateError as exc:
        return [str(exc)]
    messages = template_messages(PROBE_ROW)
    try:
        text = render_text(tokenizer, messages, PROBE_ROW["tools"], template)
    except Exception as exc:  # noqa: BLE001 - a template can fail in any way; report it, never crash
        return [f"{model_name}'s chat template fails on a tool-calling conversation: {type(exc).__name__}: {exc}"]
    problems = []
    missing = [what for what, needle in (("the tool schema", "Weather forecast for a town"), ("the call's name", "get_forecast"),
                                          ("the argument value", "Oslo"), ("the tool result", "temp_c"))
               if needle not in text]
    if missing:
        problems.append(f"{model_name}'s chat template drops {', '.join(missing)} of a tool-calling conversation")
    if '\\"town\\"' in text:
        problems.append(f"{model_name}'s chat template double-encodes call arguments")
    if not problems:
        row = tokenize_row(tokenizer, PROBE_ROW, template, assistant_only_loss)
        if all(label == IGNORE_INDEX for label in row["labels"]):
            problems.append(f"{model_name}'s chat template marks no assistant token for training")
        problems += [f"{model_name}: {p}" for p in roundtrip_problems(tokenizer, PROBE_ROW, template)]
    return problems


# ------------------------------------------------------------------ inspector
@dataclass
class Inspection:
    """One row as training sees it. Token counts are after truncation at ``max_length``."""

    text: str
    trained_text: str
    total_tokens: int
    trained_tokens: int
    truncated_tokens: int
    roundtrip_ok: bool
    problems: list[str]
    segments: list[tuple[str, bool]]  # the rendering cut into (text, trained) runs, in order

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("text", "trained_text", "total_tokens", "trained_tokens",
                                               "truncated_tokens", "roundtrip_ok", "problems")}


def inspect_row(tokenizer, record: dict, *, model_name: str = "this model", max_length: int | None = None,
                assistant_only_loss: bool = True) -> Inspection:
    """Render one canonical row exactly as the trainer tokenizes it, with its trained tokens.

    Raises:
        TemplateError: the template cannot train this way (see :func:`training_chat_template`).
    """
    template = training_chat_template(tokenizer, assistant_only_loss, model_name)
    row = tokenize_row(tokenizer, record, template, assistant_only_loss)
    ids, labels = row["input_ids"], row["labels"]
    kept = len(ids) if not max_length else min(len(ids), max_length)
    trained = [i for i in range(kept) if labels[i] != IGNORE_INDEX]
    problems = roundtrip_problems(tokenizer, record, template)
    roundtrip_ok = not problems
    cut = len(ids) - kept
    if cut:
        lost = sum(label != IGNORE_INDEX for label in labels[kept:])
        problems.append(f"{cut} tokens past max_length {max_length} are cut" + (
            f", {lost} of them trained" if lost else ""))
    if not trained:
        problems.append("no token of this row is trained: TRL drops it")
    segments = _segments(tokenizer, ids[:kept], [labels[i] != IGNORE_INDEX for i in range(kept)])
    return Inspection(
        text=render_text(tokenizer, template_messages(record), record.get("tools"), template),
        trained_text=tokenizer.decode([ids[i] for i in trained]),
        total_tokens=len(ids), trained_tokens=len(trained), truncated_tokens=cut,
        roundtrip_ok=roundtrip_ok, problems=problems, segments=segments)


def _segments(tokenizer, ids: list[int], trained: list[bool]) -> list[tuple[str, bool]]:
    runs: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(ids) + 1):
        if i == len(ids) or trained[i] != trained[start]:
            runs.append((tokenizer.decode(ids[start:i]), trained[start]))
            start = i
    return runs


# ------------------------------------------------------------------ lengths of many rows
@dataclass
class RowLength:
    """Token positions of one rendered row: ``total`` tokens; trained tokens lie in [first_trained, last_trained].

    ``first_trained`` / ``last_trained`` are -1 when no token is trained; ``error`` is set
    when the template failed on the row (then the counts are 0 / -1).
    """

    total: int
    first_trained: int
    last_trained: int
    trained: int
    error: str | None = None


def row_lengths(tokenizer, records: list[dict], chat_template: str | None = None,
                assistant_only_loss: bool = True, chunk: int = 1000, pieces: bool | None = None) -> list[RowLength]:
    """Token lengths and trained-token positions of many rows, fast.

    The same rendering and mask rule as :func:`tokenize_row` (transformers'
    ``apply_chat_template`` with ``return_assistant_tokens_mask``: a token is trained when
    it overlaps a ``{% generation %}`` span), but rows are rendered in chunks while the
    previous chunk is tokenised in one Rust batch on another thread (the Rust tokenizer
    releases the GIL), and where a second core can be used, a forked child does the second
    half of the rows (:func:`toolft.data.halves.map_halves`).

    ``pieces`` (default: wherever :func:`piecewise_exact` holds) tokenises each distinct
    stretch of text between added tokens once instead of every row whole: rows repeat
    their tools prompt, so 15,694 sample rows hold 16 M distinct characters of 27 M
    (bench/data_check.py). ``pieces=True`` on a tokenizer where it is not exact raises
    ValueError.
    """
    from toolft.data.halves import map_halves

    if not records:
        return []
    template = tokenizer.get_chat_template(chat_template, None)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    exact = backend is not None and piecewise_exact(backend)
    if pieces and not exact:
        raise ValueError("this tokenizer does not tokenise the text between its added tokens independently")
    use_pieces = exact and pieces is not False
    return map_halves(lambda part: _row_lengths(tokenizer, part, template, assistant_only_loss, chunk, use_pieces),
                      records)


def _row_lengths(tokenizer, records, template, assistant_only_loss, chunk, use_pieces) -> list[RowLength]:
    """:func:`row_lengths` in this process: render a chunk while a thread tokenises the one before."""
    from concurrent.futures import ThreadPoolExecutor

    backend = getattr(tokenizer, "backend_tokenizer", None)
    counter = _PieceCounter(backend) if use_pieces else None
    out: list[RowLength] = []
    pending = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        for start in range(0, len(records), chunk):
            texts, spans, errors = _render_chunk(tokenizer, records[start:start + chunk], template, assistant_only_loss)
            if pending is not None:
                out += pending.result()
            if counter is not None:
                pending = pool.submit(counter.lengths, texts, spans, errors)
            elif backend is not None:
                pending = pool.submit(lambda t=texts, s=spans, e=errors: _lengths(
                    s, e, backend.encode_batch(t, add_special_tokens=False)))
            else:
                pending = pool.submit(lambda t=texts, s=spans, e=errors: _lengths(s, e, [_Offsets(o) for o in tokenizer(
                    t, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]]))
        out += pending.result()
    return out


# pre-tokenizers that treat every stretch of text alike, wherever it starts (Metaspace's
# "prepend_scheme: first" does not: it adds a space only at the start of the sequence)
_POSITION_FREE = {"Sequence", "Split", "ByteLevel", "Digits", "Punctuation", "Whitespace", "WhitespaceSplit",
                  "BertPreTokenizer", "UnicodeScripts", "CharDelimiterSplit"}


def piecewise_exact(backend) -> bool:
    """True when tokenising the text between added tokens piece by piece gives the whole text's tokens.

    The Rust tokenizer itself first cuts a text at its added tokens and normalises,
    pre-tokenises and encodes each stretch between them on its own; the result is the
    same as encoding the stretches separately when: no added token strips the whitespace
    beside it (``lstrip``/``rstrip``/``single_word``); every added token is matched on the
    raw text (``normalized=False``, or no normalizer), so the cuts fall where
    :class:`_PieceCounter` puts them; the pre-tokenizer does not depend on where a stretch
    starts (no ByteLevel ``add_prefix_space``, no Metaspace); and no padding or truncation
    is set on the backend.
    """
    if backend.padding is not None or backend.truncation is not None:
        return False
    added = list(backend.get_added_tokens_decoder().values())
    if any(t.lstrip or t.rstrip or t.single_word for t in added):
        return False
    if backend.normalizer is not None and any(t.normalized for t in added):
        return False
    pre = backend.pre_tokenizer
    if pre is not None:
        state = json.loads(pre.__getstate__())
        stack = [state]
        while stack:
            node = stack.pop()
            if node.get("type") not in _POSITION_FREE or node.get("add_prefix_space"):
                return False
            stack += node.get("pretokenizers") or []
    return True


class _PieceCounter:
    """Token counts of rendered rows, each distinct stretch between added tokens tokenised once.

    Only valid where :func:`piecewise_exact` holds. A stretch holding the first or last
    character of a trained span is encoded with offsets (to find the token that holds
    that character, transformers' rule); all others only need their token count.
    """

    def __init__(self, backend):
        self.backend = backend
        added = sorted({t.content for t in backend.get_added_tokens_decoder().values()}, key=len, reverse=True)
        # leftmost, and the longest added token at a place: the Rust tokenizer's own matching
        self.cut = re.compile("(" + "|".join(map(re.escape, added)) + ")") if added else None
        self.counts: dict[str, int] = {}
        self.encodings: dict[str, object] = {}

    def lengths(self, texts, spans, errors) -> list[RowLength]:
        rows = []  # per row: [(start char, piece text, is added token)], and the chars whose token we need
        need_counts: set[str] = set()
        need_offsets: set[str] = set()
        for text, row_spans, error in zip(texts, spans, errors):
            if error:
                rows.append(None)
                continue
            parts = self.cut.split(text) if self.cut is not None else [text]
            pieces, at = [], 0
            for i, part in enumerate(parts):
                if part:
                    pieces.append((at, part, i % 2 == 1))
                at += len(part)
            edges = sorted({c for s, e in row_spans or [] for c in (s, e - 1)})
            edge_pieces = set()
            k = 0
            for index, (start, part, added) in enumerate(pieces):
                while k < len(edges) and edges[k] < start + len(part):
                    if edges[k] >= start:
                        edge_pieces.add(index)
                    k += 1
                if added:
                    continue
                if index in edge_pieces:
                    if part not in self.encodings:
                        need_offsets.add(part)
                elif part not in self.counts:
                    need_counts.add(part)
            rows.append((pieces, edge_pieces))
        if need_counts:
            batch = list(need_counts)
            for part, encoding in zip(batch, self.backend.encode_batch_fast(batch, add_special_tokens=False)):
                self.counts[part] = len(encoding)
        if need_offsets:
            batch = list(need_offsets)
            for part, encoding in zip(batch, self.backend.encode_batch(batch, add_special_tokens=False)):
                self.encodings[part] = encoding
                self.counts[part] = len(encoding)
        out = []
        for text, row_spans, error, row in zip(texts, spans, errors, rows):
            if error:
                out.append(RowLength(0, -1, -1, 0, error))
                continue
            pieces, edge_pieces = row
            firsts, total = [], 0
            for _, part, added in pieces:
                firsts.append(total)
                total += 1 if added else self.counts[part]
            if row_spans is None:
                out.append(RowLength(total, 0 if total else -1, total - 1, total))
                continue
            ranges = _trained_ranges(lambda char, p=pieces, f=firsts: self._token_at(p, f, char), row_spans)
            if ranges is None:  # an edge character in no token: walk the whole row's offsets, as transformers would
                encoding = self.backend.encode(text, add_special_tokens=False)
                out += _lengths([row_spans], [None], [encoding])
                continue
            count = sum(b - a + 1 for a, b in ranges)
            out.append(RowLength(total, ranges[0][0] if ranges else -1, ranges[-1][1] if ranges else -1, count))
        return out

    def _token_at(self, pieces, firsts, char: int) -> int | None:
        from bisect import bisect_right

        lo = bisect_right(pieces, char, key=lambda piece: piece[0]) - 1  # the last piece starting at or before char
        start, part, added = pieces[lo]
        if added:
            return firsts[lo]
        inner = self.encodings[part].char_to_token(char - start)
        return None if inner is None else firsts[lo] + inner


class _Offsets:
    """A slow tokenizer's offsets in the shape of a Rust ``Encoding``."""

    def __init__(self, offsets):
        self.offsets = offsets


def _render_chunk(tokenizer, records, template, assistant_only_loss):
    from transformers.utils.chat_template_utils import render_jinja_template

    texts, spans, errors = [], [], []
    for record in records:
        tools = record.get("tools") or None
        try:
            rendered, indices = render_jinja_template(
                conversations=[template_messages(record)], tools=tools, chat_template=template,
                return_assistant_tokens_mask=assistant_only_loss, **tokenizer.special_tokens_map)
            texts.append(rendered[0])
            spans.append(indices[0] if assistant_only_loss else None)
            errors.append(None)
        except Exception as exc:  # noqa: BLE001 - a template may fail on one row in any way; report it
            texts.append("")
            spans.append([])
            errors.append(f"the chat template fails on this row: {type(exc).__name__}: {str(exc)[:200]}")
    return texts, spans, errors


def _lengths(spans, errors, encodings) -> list[RowLength]:
    out = []
    for encoding, row_spans, error in zip(encodings, spans, errors):
        if error:
            out.append(RowLength(0, -1, -1, 0, error))
            continue
        total = len(encoding.offsets) if isinstance(encoding, _Offsets) else len(encoding)
        if row_spans is None:
            out.append(RowLength(total, 0 if total else -1, total - 1, total))
            continue
        ranges = _trained_ranges(encoding.char_to_token, row_spans) if hasattr(encoding, "char_to_token") else None
        if ranges is None:  # no char->token map: walk the offsets
            trained = _trained_positions(encoding.offsets, row_spans)
            ranges = [(i, i) for i in trained]
        count = sum(b - a + 1 for a, b in ranges)
        out.append(RowLength(total, ranges[0][0] if ranges else -1, ranges[-1][1] if ranges else -1, count))
    return out


def _trained_ranges(char_to_token, spans) -> list[tuple[int, int]] | None:
    """Merged ``(first, last)`` token ranges overlapping the char spans, via a char->token map.

    ``char_to_token`` is a Rust ``Encoding``'s (or :class:`_PieceCounter`'s, from its pieces).
    Per span, not per token: 15k rows take 0.1 s instead of 3 s. None when a span is empty or
    a span edge maps to no token; the caller then walks the offsets.
    """
    ranges: list[tuple[int, int]] = []
    for start, end in spans:
        if end <= start:
            return None
        first, last = char_to_token(start), char_to_token(end - 1)
        if first is None or last is None:
            return None
        if ranges and first <= ranges[-1][1]:  # a token straddling two spans counts once
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], last))
        else:
            ranges.append((first, last))
    return ranges


def _trained_positions(offsets, spans) -> list[int]:
    """Token indices overlapping any (start, end) char span; both in order (transformers' rule)."""
    trained, span_idx = [], 0
    for token_id, (start, end) in enumerate(offsets):
        while span_idx < len(spans) and start >= spans[span_idx][1]:
            span_idx += 1
        if span_idx == len(spans):
            break
        if end > spans[span_idx][0]:
            trained.append(token_id)
    return trained


def tools_prompt_tokens(tokenizer, tools: list, chat_template: str | None = None) -> int:
    """Tokens of the prompt that only declares ``tools`` (an empty user turn): the floor of any row using them."""
    text = render_text(tokenizer, [{"role": "user", "content": ""}], tools, chat_template)
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])
