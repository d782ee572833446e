"""Continue pre-training a tiny-qwen3 build, optionally with extra tasks, and save the new base.

The experiments of bench/tiny_copying.md, section 13: 600 more steps of the build's own mix at a
peak learning rate of 1e-3 (variant B, which the build now does itself as its second phase), or the
same with tasks that walk a request of several parts in order:

* ``which``: "Of get_weather, read_file and run_shell, which does each part need?" → the names (A);
* ``split``: "Split this request into its parts, one per line" → the clauses, in order (A, C);
* ``which_in_order`` / ``which_first``: the which question, the instruction before the request,
  answered in a sentence ("In order: first get_weather, then read_file." / "First get_weather, then
  read_file.") (E / F);
* ``split_first``: split, the instruction always before the request (E, F);
* ``several_cannot``: a request of 2-3 parts alone → "I can't ..." for each tool (E, F);
* ``listed_cannot``: function names listed, then a request that asks nothing about them → "I can't ..." (F);
* ``api_cannot`` / ``api_which`` / ``api_arguments``: a system message that documents 2-4 of the sample's
  functions as JSON lines, as API docs do (no ``<tools>`` tags, no instruction to call), then a request alone
  → "I can't ..."; or "which documented function does this need?" → a sentence naming it; or "fill in the
  arguments of f as JSON" → the arguments (G). A tools prompt's length and shape before a request, answered
  as a chat model that cannot act answers (section 14).

Variants: A = which,split; C = split; E = which_in_order,split_first,several_cannot;
F = which_first,split_first,several_cannot,listed_cannot; G = F and api_cannot,api_which,api_arguments.
The base ends as a build does (markup tokens as noise, ``tiny._noise_init_markup``); section 13's
variants were measured with the markup at the mean embedding, before that step existed, and F again
with it in section 14. Fine-tune the saved base with a recipe whose ``model.name_or_path`` is ``OUT``,
and score it with ``toolft eval``, bench/token_probe.py and bench/base_probe.py.
About 7 minutes for 600 steps on 2 CPU cores.

    python bench/continued_pretraining.py OUT [--base DIR] [--steps 600] [--lr 1e-3] [--tasks which,split]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from toolft import tiny, tiny_corpus  # noqa: E402
from toolft.data.invented import made_up_pools  # noqa: E402
from toolft.data.sample import PARALLEL_TASKS, TOOLS, _cap, _fmt  # noqa: E402


def _request(r: random.Random, parts=(1, 2, 2, 3)):
    """``(tasks, request)``: 1-3 of the sample's parallel tasks with made-up values, phrased as the sample does."""
    draw = made_up_pools(r)
    n = r.choice(parts)
    tasks = []
    while len(tasks) < n:
        task = r.choice(PARALLEL_TASKS)(draw)
        if all((t.tool, t.args) != (task.tool, task.args) for t in tasks):
            tasks.append(task)
    if n == 1:
        return tasks, tasks[0].request
    *head, last = [t.clause for t in tasks]
    joined = ", ".join(head) + " and " + last
    return tasks, _fmt(r, ["{C}.", "Please {c}.", "Can you {c}?", "I need you to {c}.", "{C}, please."],
                       c=joined, C=_cap(joined))


def _listed(r: random.Random, tasks) -> str:
    needed = list(dict.fromkeys(t.tool for t in tasks))
    names = needed + r.sample([n for n in TOOLS if n not in needed], r.randint(1, 2))
    r.shuffle(names)
    return ", ".join(names)


def _cannot(r: random.Random, tasks) -> str:
    first = {}
    for task in tasks:
        first.setdefault(task.tool, task)
    replies = [tiny_corpus.CANNOT[t.tool].format(in_city=f" in {t.args['city']}" if "city" in t.args else "",
                                                 path=t.args.get("path", "the folder")) for t in first.values()]
    return r.choice(["", "Sorry, ", "I'm sorry: "]) + " ".join(replies)


def _chat(user: str, assistant: str) -> list[dict]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def which(r):
    tasks, request = _request(r)
    listed = _listed(r, tasks)
    ask = r.choice([f"Functions: {listed}\nRequest: {request}\nWhich function handles each part, in order?",
                    f"{request}\nOf {listed}, which function does each part need? In order.",
                    f"Match each part of this request to one of {listed}, in order: {request}"])
    return _chat(ask, ", ".join(t.tool for t in tasks))


def _which_sentence(r, opener):
    tasks, request = _request(r)
    listed = _listed(r, tasks)
    ask = r.choice([f"Functions: {listed}. Which function handles each part of this request, in order? {request}",
                    f"Of {listed}, which function does each part of this need, in order? {request}",
                    f"Match each part of this request to one of {listed}, in order: {request}"])
    tools = [t.tool for t in tasks]
    if len(tools) == 1:
        answer = r.choice([f"That needs {tools[0]}.", f"Use {tools[0]} for that.", f"The function for that is {tools[0]}."])
    else:
        answer = opener(r) + ", then ".join(tools) + "."
    return _chat(ask, answer)


def which_in_order(r):
    return _which_sentence(r, lambda r: r.choice(["First ", "In order: first "]))


def which_first(r):
    return _which_sentence(r, lambda r: "First ")


def _several(r):
    tasks, request = _request(r)
    while len(tasks) < 2:
        tasks, request = _request(r)
    return tasks, request


def _split(r, instruction_first: bool):
    tasks, request = _several(r)
    second = (f"List each thing asked here, in order, one per line: {request}" if instruction_first
              else f"{request}\nList each thing asked, in order, one per line.")
    ask = r.choice([f"Split this request into its parts, one per line: {request}", second,
                    f"What are the separate steps here, in order? {request}"])
    return _chat(ask, "\n".join(t.clause for t in tasks))


def split(r):
    return _split(r, instruction_first=False)


def split_first(r):
    return _split(r, instruction_first=True)


def several_cannot(r):
    tasks, request = _several(r)
    return _chat(request, _cannot(r, tasks))


def listed_cannot(r):
    tasks, request = _request(r)
    listed = _listed(r, tasks)
    ask = r.choice([f"Functions: {listed}. {request}", f"I have {listed}. {request}", f"{listed}\n{request}"])
    return _chat(ask, _cannot(r, tasks))


def _reference(r: random.Random, tasks) -> str:
    """A system message that documents 2-4 of the sample's functions as JSON, one per line, as API docs do.

    Not the tool protocol: no ``<tools>`` tags, no instructions to call, no ``<tool_call>``; a chat model
    reads such a page and still answers in prose. It puts a tools prompt's length and shape before a request.
    """
    needed = list(dict.fromkeys(t.tool for t in tasks))
    others = [n for n in TOOLS if n not in needed]
    names = needed + r.sample(others, max(0, r.randint(2, 4) - len(needed)))
    r.shuffle(names)
    head = r.choice(["API reference:", "Functions documented in this project:", "Reference of the functions below.",
                     "Documentation:"])
    lines = "\n".join(json.dumps(TOOLS[n], ensure_ascii=False) for n in names)
    return r.choice(tiny_corpus.SYSTEMS) + "\n\n" + head + "\n" + lines


def _with_reference(r: random.Random, tasks, user: str, assistant: str) -> list[dict]:
    return [{"role": "system", "content": _reference(r, tasks)}] + _chat(user, assistant)


def api_cannot(r):
    """API docs, then a request of 1-3 parts alone → "I can't ..." for each function it needs."""
    tasks, request = _request(r, parts=(1, 1, 1, 2))
    return _with_reference(r, tasks, request, _cannot(r, tasks))


def api_arguments(r):
    """API docs, then a request and "fill in the arguments of f as JSON" → the arguments."""
    tasks, request = _request(r, parts=(1,))
    task = tasks[0]
    params = ", ".join(TOOLS[task.tool]["function"]["parameters"]["properties"])
    ask = r.choice([f"{request}\nFill in the arguments of {task.tool}({params}) as JSON.",
                    f"Request: {request}\nArguments for {task.tool}, as JSON?"])
    return _with_reference(r, tasks, ask, json.dumps(task.args, ensure_ascii=False))


def api_which(r):
    """API docs, then a request and "which documented function does this need?" → a sentence naming it."""
    tasks, request = _request(r, parts=(1, 1, 2))
    tools = [t.tool for t in tasks]
    ask = r.choice([f"Which of the documented functions does this need? {request}",
                    f"{request}\nWhich function above handles that?"])
    answer = (r.choice([f"That needs {tools[0]}.", f"The function for that is {tools[0]}."]) if len(tools) == 1
              else "First " + ", then ".join(tools) + ".")
    return _with_reference(r, tasks, ask, answer)


TASKS = {"which": (which, 0.15), "split": (split, 0.1), "which_in_order": (which_in_order, 0.15),
         "which_first": (which_first, 0.15), "split_first": (split_first, 0.1),
         "several_cannot": (several_cannot, 0.1), "listed_cannot": (listed_cannot, 0.1),
         "api_cannot": (api_cannot, 0.15), "api_arguments": (api_arguments, 0.1), "api_which": (api_which, 0.1)}


def main(argv: list[str] | None = None) -> None:
    import torch
    from transformers import AutoTokenizer, GenerationConfig, Qwen3ForCausalLM

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--base", type=Path, help="the build to continue (default: the installed tiny-qwen3)")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (warm-up 5%%, cosine)")
    p.add_argument("--tasks", default="", help=f"comma-separated extra fresh tasks: {', '.join(TASKS)}")
    p.add_argument("--seed", type=int, default=5)
    args = p.parse_args(argv)

    extra = [TASKS[name] for name in filter(None, args.tasks.split(","))]
    spec = tiny.TinySpec()
    base = args.base or tiny.ensure_tiny_model(spec)
    tok = AutoTokenizer.from_pretrained(str(base))
    model = Qwen3ForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    conversations, choices, documents = tiny._pretraining_text(spec)
    chats, long = tiny.encode_pretraining_text(tok, spec, conversations, choices, documents)
    tiny_corpus.FRESH_TASKS = tiny_corpus.FRESH_TASKS + extra  # fresh_conversations reads it at each call
    seen: set[int] = set()

    def fresh_batch(step: int):
        pairs = [tiny.encode_answer_only(tok, conv) for conv in
                 tiny_corpus.fresh_conversations(spec.batch_size, seed=(args.seed * 7919 + 13) * 1_000_003 + step)]
        seen.update(i for ids, _ in pairs for i in ids)
        return pairs

    for task, _ in extra:
        print("example:", json.dumps(task(random.Random(1)), ensure_ascii=False))
    started = time.time()
    phase_spec = dataclasses.replace(spec, seed=args.seed)
    tiny._pretrain(model, chats, long, tok.pad_token_id, phase_spec, lambda m: print(m, flush=True), None,
                   fresh_batch, phase=(0, args.steps, args.lr, args.steps))
    tiny._mean_init_unseen(model, tok, chats + long + [sorted(seen)])
    tiny._noise_init_markup(model, tok)  # as the build ends (section 13's variants were measured before it existed)
    args.out.mkdir(parents=True, exist_ok=True)
    model.generation_config = GenerationConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                               do_sample=False)
    model.save_pretrained(args.out)
    tok.save_pretrained(args.out)
    print(f"saved {args.out} after {args.steps} steps in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
