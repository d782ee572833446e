"""Which tokens of a call does a fine-tune get wrong? Teacher-forced accuracy by kind of token.

Feeds each row's first assistant turn to the model (teacher forcing) and counts how often its most
likely next token is the right one, separately for the first token of the answer, the first token of
each tool name, the rest of the names, argument values, the JSON around them, ``</tool_call>`` and
the token after it (another call, or the end of the turn). Unlike a greedy ``eval``, one early
mistake does not hide every later token, so the weak decision shows by name
(bench/tiny_copying.md, section 13). It also prints, per call index, how often the first token of
the tool name was right, and the commonest confusions.

    python bench/token_probe.py RUN_DIR DATA.jsonl [--base] [--rows 200] [--sources]

``RUN_DIR`` is a finished ``toolft train`` run; ``--base`` probes the base model (adapter off).
``--sources`` also reports, for each value token after a value's first, where the copying head (layer 1,
head 0; toolft/tiny_init.py) put its largest attention weight: in the tools and system prompt, in the
request, or in the answer so far, and whether the token there is the right one and the one written
(bench/tiny_copying.md, section 21). It runs the model with eager attention, which returns the weights.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CATEGORIES = ("first", "name_first", "name_rest", "value", "structure", "close", "after_close")
_NAME = re.compile(r'"name": "([^"]*)"')
_VALUE = re.compile(r'": ("(?:[^"\\]|\\.)*"|-?[0-9.]+|true|false)')


def categorise(answer: str, start: int, index: int) -> tuple[str, int | None]:
    """The kind of the token that starts at character ``start`` of ``answer`` (the index-th token),
    and for a tool name's first token, which call of the answer it belongs to."""
    if index == 0:
        return "first", None
    for call, m in enumerate(_NAME.finditer(answer)):
        if m.start(1) <= start < max(m.end(1), m.start(1) + 1):
            return ("name_first" if start == m.start(1) else "name_rest"), call
    for m in _VALUE.finditer(answer):
        quoted = m.group(1).startswith('"')
        if (m.start(1) < start < m.end(1) - 1) if quoted else (m.start(1) <= start < m.end(1)):
            return "value", None
    if answer.startswith("</tool_call>", start):
        return "close", None
    if answer[:start].endswith("</tool_call>"):
        return "after_close", None
    return "structure", None


def continues_a_value(answer: str, start: int, index: int) -> bool:
    """True when the token at character ``start`` of ``answer`` (the index-th token) is an argument value's
    token after its first: one that copying from the request, not the JSON around it, has to get right."""
    return categorise(answer, start, index)[0] == "value" and answer[start - 1: start] != '"'


def first_turn(tok, row: dict) -> tuple[str, str, object, list, int]:
    """A row's prompt up to its first assistant turn and the text with that turn, tokenized for teacher forcing.

    Returns ``(prompt, full, ids, offsets, first)``: the two texts as the template renders them, the ids of
    ``full`` (a ``(1, length)`` tensor), each token's character span in ``full``, and the index of the turn's
    first token."""
    from toolft.data.render import template_messages

    messages = row["messages"]
    k = next(i for i, m in enumerate(messages) if m["role"] == "assistant")
    prompt = tok.apply_chat_template(template_messages({"messages": messages[:k]}), tools=row.get("tools"),
                                     add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template(template_messages({"messages": messages[: k + 1]}), tools=row.get("tools"),
                                   tokenize=False)
    enc = tok(full, add_special_tokens=False, return_offsets_mapping=True, return_tensors="pt")
    first = len(tok(prompt, add_special_tokens=False)["input_ids"])
    return prompt, full, enc["input_ids"], enc["offset_mapping"][0].tolist(), first


def main(argv: list[str] | None = None) -> None:
    import torch

    from toolft.modeling import load_finetuned

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("data")
    p.add_argument("--base", action="store_true", help="probe the base (adapter disabled)")
    p.add_argument("--rows", type=int, default=200)
    p.add_argument("--sources", action="store_true",
                   help="where the copying head (layer 1, head 0) looked for each value token")
    args = p.parse_args(argv)

    model, tok = load_finetuned(args.run_dir)
    model.eval()
    if args.sources:
        model.set_attn_implementation("eager")  # SDPA returns no attention weights
    sources = collections.Counter()
    wrong_values = []
    right = collections.defaultdict(lambda: [0, 0])
    by_call = collections.defaultdict(lambda: [0, 0])
    confusions = collections.Counter()
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows[: args.rows]:
        kind = row.get("kind", "?")
        prompt, full, ids, offsets, first = first_turn(tok, row)
        with torch.no_grad():
            if args.base:
                with model.disable_adapter():
                    out = model(ids, output_attentions=args.sources)
            else:
                out = model(ids, output_attentions=args.sources)
        predicted = out.logits[0].argmax(-1)
        if args.sources:  # the first token of the request: what comes before is the system prompt and the tools
            request_start = len(tok(prompt[: prompt.rfind("<|im_start|>user")], add_special_tokens=False)["input_ids"])
        answer = full[len(prompt):]
        for index, position in enumerate(range(first, ids.shape[1])):
            category, call = categorise(answer, offsets[position][0] - len(prompt), index)
            ok = predicted[position - 1].item() == ids[0, position].item()
            for key in ((kind, category), ("all", category)):
                right[key][0] += ok
                right[key][1] += 1
            if args.sources and continues_a_value(answer, offsets[position][0] - len(prompt), index):
                wrong = not ok
                looked = out.attentions[1][0, 0, position - 1]  # layer 1, query head 0, from the token before
                top = int(looked.argmax())
                where = "tools/system" if top < request_start else ("request" if top < first else "answer")
                copied = tok.convert_ids_to_tokens(ids[0, top].item())  # the head copies the token it attends to
                gold = tok.convert_ids_to_tokens(ids[0, position].item())
                said = tok.convert_ids_to_tokens(predicted[position - 1].item())
                sources[(wrong, where, copied == gold, copied == said)] += 1
                if wrong:
                    wrong_values.append((gold, said, where, copied, round(float(looked[top]), 2),
                                         tok.decode(ids[0, max(top - 3, 0):top + 3])))
            if category == "name_first":
                by_call[(kind, call)][0] += ok
                by_call[(kind, call)][1] += 1
                if not ok:
                    confusions[(tok.convert_ids_to_tokens(ids[0, position].item()),
                                tok.convert_ids_to_tokens(predicted[position - 1].item()))] += 1

    kinds = sorted({k for k, _ in right if k != "all"}) + ["all"]
    print("kind".ljust(16) + "".join(c.rjust(15) for c in CATEGORIES))
    for kind in kinds:
        cells = [f"{right[(kind, c)][0] / right[(kind, c)][1]:.2f} ({right[(kind, c)][1]})"
                 if right[(kind, c)][1] else "-" for c in CATEGORIES]
        print(kind.ljust(16) + "".join(cell.rjust(15) for cell in cells))
    print("\nfirst token of the tool name, by call of the answer:")
    for (kind, call), (ok, n) in sorted(by_call.items()):
        print(f"  {kind} call {call + 1}: {ok}/{n}")
    print("\ncommonest confusions (right -> predicted):",
          ", ".join(f"{a} -> {b} ({n})" for (a, b), n in confusions.most_common(8)))
    if args.sources:
        print("\nvalue tokens after the first, by where the copying head's strongest weight fell")
        print("(wrong?, where, the token there is the right one?, ... is the one written?): count")
        for key, n in sorted(sources.items(), key=lambda kv: (-kv[0][0], -kv[1])):
            print(f"  {key}: {n}")
        print("\nwrong value tokens (right, written, where, token at the strongest weight, weight, context):")
        for w in wrong_values:
            print("  ", w)


if __name__ == "__main__":
    main()
