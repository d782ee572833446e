"""Continue pre-training a tiny-qwen3 build, optionally with extra tasks, and save the new base.

The experiments of bench/tiny_copying.md, section 13: 600 more steps of the build's own mix at a
peak learning rate of 1e-3 (variant B, which the build now does itself as its second phase), or the
same with tasks that walk a request of several parts in order (F's four are now the build's third phase,
``tiny_corpus.ORDER_TASKS``; section 15):

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
  as a chat model that cannot act answers (section 14);
* ``parts_arguments``: a request of 2-3 parts and its functions' signatures → each part's arguments as JSON,
  one line per part, in order (section 23): a parallel call's shape without the protocol;
  ``parts_arguments_words``: the same, the answer opening with a few words ("Arguments, in order:").

``--order`` draws the build's third-phase tasks (``tiny_corpus.ORDER_TASKS``) as well, so that a continuation
of today's build keeps its whole mix.

Variants: A = which,split; C = split; E = which_in_order,split_first,several_cannot;
F = which_first,split_first,several_cannot,listed_cannot; G = F and api_cannot,api_which,api_arguments.
The base ends as a build does (markup tokens as noise, ``tiny._noise_init_markup``); section 13's
variants were measured with the markup at the mean embedding, before that step existed, and F again
with it in section 14. Fine-tune the saved base with a recipe whose ``model.name_or_path`` is ``OUT``,
and score it with ``toolft eval``, bench/token_probe.py and bench/base_probe.py.
About 7 to 11 minutes for 600 steps on 2 CPU cores (11 with ``--order``). The default ``--base`` is today's build, which has F's
tasks in its third phase: to reproduce sections 13 and 14, pass the two-phase build as ``--base`` (a spec
with ``order_steps=0``, or the files of ``git show 26dde72:toolft/prebuilt/tiny-qwen3/...``).

    python bench/continued_pretraining.py OUT [--base DIR] [--steps 600] [--lr 1e-3] [--tasks which,split] [--order]
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
from toolft.data.sample import TOOLS  # noqa: E402
from toolft.tiny_corpus import (_chat, _listed_functions, _made_up_request, _several_parts,  # noqa: E402
                                cannot_reply, listed_cannot, several_cannot, split_first, which_first)


def which(r):
    tasks, request = _made_up_request(r)
    listed = _listed_functions(r, tasks)
    ask = r.choice([f"Functions: {listed}\nRequest: {request}\nWhich function handles each part, in order?",
                    f"{request}\nOf {listed}, which function does each part need? In order.",
                    f"Match each part of this request to one of {listed}, in order: {request}"])
    return _chat(ask, ", ".join(t.tool for t in tasks))


def which_in_order(r):
    """``tiny_corpus.which_first`` with "In order: first ..." as the other opener (E)."""
    conv = which_first(r)
    if conv[1]["content"].startswith("First ") and r.random() < 0.5:
        conv[1]["content"] = "In order: first " + conv[1]["content"][len("First "):]
    return conv


def split(r):
    tasks, request = _several_parts(r)
    ask = r.choice([f"Split this request into its parts, one per line: {request}",
                    f"{request}\nList each thing asked, in order, one per line.",
                    f"What are the separate steps here, in order? {request}"])
    return _chat(ask, "\n".join(t.clause for t in tasks))


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
    tasks, request = _made_up_request(r, parts=(1, 1, 1, 2))
    return _with_reference(r, tasks, request, cannot_reply(r, tasks))


def api_arguments(r):
    """API docs, then a request and "fill in the arguments of f as JSON" → the arguments."""
    tasks, request = _made_up_request(r, parts=(1,))
    task = tasks[0]
    params = ", ".join(TOOLS[task.tool]["function"]["parameters"]["properties"])
    ask = r.choice([f"{request}\nFill in the arguments of {task.tool}({params}) as JSON.",
                    f"Request: {request}\nArguments for {task.tool}, as JSON?"])
    return _with_reference(r, tasks, ask, json.dumps(task.args, ensure_ascii=False))


def api_which(r):
    """API docs, then a request and "which documented function does this need?" → a sentence naming it."""
    tasks, request = _made_up_request(r, parts=(1, 1, 2))
    tools = [t.tool for t in tasks]
    ask = r.choice([f"Which of the documented functions does this need? {request}",
                    f"{request}\nWhich function above handles that?"])
    answer = (r.choice([f"That needs {tools[0]}.", f"The function for that is {tools[0]}."]) if len(tools) == 1
              else "First " + ", then ".join(tools) + ".")
    return _with_reference(r, tasks, ask, answer)


def parts_arguments(r, words: bool = False):
    """A request of 2-3 parts and the signatures of the functions it needs → each part's arguments as JSON,
    one line per part, in order (section 23): a parallel call's shape (one object per clause, then stop),
    with no tools prompt, no ``<tool_call>`` and no function name in the answer."""
    tasks, request = _made_up_request(r, parts=(2, 3, 3))  # always 2 or 3 parts
    sigs = ", ".join(f"{n}({', '.join(TOOLS[n]['function']['parameters']['properties'])})"
                     for n in dict.fromkeys(t.tool for t in tasks))
    ask = r.choice([f"{request}\nFor each part, in order, fill in the arguments as JSON, one line per part. Functions: {sigs}.",
                    f"Functions: {sigs}. Write the arguments of each part of this request as JSON, in order, one per line: {request}",
                    f"Request: {request}\nArguments of every part, as JSON lines, in order? ({sigs})"])
    lines = "\n".join(json.dumps(t.args, ensure_ascii=False) for t in tasks)
    # the answer opens with words: this build's tokenizer joins the generation prompt's last line break to a
    # leading `{"`, so a JSON first token is never trained there (section 14; measured in section 23)
    lead = r.choice(["Arguments, in order:", "One line per part:", "Here they are, in order:"]) if words else ""
    return _chat(ask, (lead + "\n" + lines) if lead else lines)


def parts_arguments_words(r):
    """``parts_arguments`` whose answer opens with a few words before the JSON lines."""
    return parts_arguments(r, words=True)


TASKS = {"parts_arguments": (parts_arguments, 0.3), "parts_arguments_words": (parts_arguments_words, 0.3),
         "which": (which, 0.15), "split": (split, 0.1), "which_in_order": (which_in_order, 0.15),
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
    p.add_argument("--order", action="store_true", help="draw the build's third-phase tasks (ORDER_TASKS) too")
    args = p.parse_args(argv)

    extra = [TASKS[name] for name in filter(None, args.tasks.split(","))]
    if args.order:
        extra = tiny_corpus.ORDER_TASKS + extra
    spec = tiny.TinySpec()
    base = args.base or tiny.ensure_tiny_model(spec)
    tok = AutoTokenizer.from_pretrained(str(base))
    model = Qwen3ForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    conversations, choices, documents = tiny._pretraining_text(spec)
    chats, long = tiny.encode_pretraining_text(tok, spec, conversations, choices, documents)
    seen: set[int] = set()

    def fresh_batch(step: int):
        pairs = [tiny.encode_answer_only(tok, conv) for conv in
                 tiny_corpus.fresh_conversations(spec.batch_size, seed=(args.seed * 7919 + 13) * 1_000_003 + step,
                                                 tasks=tiny_corpus.FRESH_TASKS + extra)]
        seen.update(i for ids, _ in pairs for i in ids)
        return pairs

    for task, _ in extra:
        print("example:", json.dumps(task(random.Random(1)), ensure_ascii=False))
    started = time.time()
    phase_spec = dataclasses.replace(spec, seed=args.seed)
    tiny._pretrain(model, chats, long, tok.pad_token_id, phase_spec, lambda m: print(m, flush=True), None,
                   fresh_batch, phase=(0, args.steps, args.lr, args.steps))
    tiny._mean_init_unseen(model, tok, chats + long + [sorted(seen)], seed=tiny.unseen_seed(spec))
    # as the build ends (section 13's variants were measured before it existed)
    tiny._noise_init_markup(model, tok, seed=tiny.markup_seed(spec))
    args.out.mkdir(parents=True, exist_ok=True)
    model.generation_config = GenerationConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                                               do_sample=False)
    model.save_pretrained(args.out)
    tok.save_pretrained(args.out)
    print(f"saved {args.out} after {args.steps} steps in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
