"""The offline base model: real Qwen3 architecture, a chat template with tools, and no tool knowledge."""

import json
from pathlib import Path

import pytest

from toolft.data.sample import generate_sample
from toolft.tiny import MARKUP_TOKENS, TinySpec, tiny_model_dir


@pytest.fixture(scope="module")
def tiny(tiny_model_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_model_path), AutoTokenizer.from_pretrained(tiny_model_path)


def _answer(model, tok, messages, tools=None, max_new_tokens=40):
    enc = tok.apply_chat_template(messages, tools=tools, add_generation_prompt=True, return_dict=True,
                                  return_tensors="pt")
    out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False)
    return tok.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=False)


def test_cached_under_the_models_dir_with_a_spec_key(tiny_model_path):
    assert tiny_model_path == tiny_model_dir()
    assert TinySpec().key() == TinySpec().key() != TinySpec(steps=1).key()


def test_is_a_qwen3_with_a_tool_template(tiny):
    model, tok = tiny
    assert model.config.model_type == "qwen3" and type(model).__name__ == "Qwen3ForCausalLM"
    assert "{% generation %}" in tok.chat_template.replace("{%- generation %}", "{% generation %}")
    for token in MARKUP_TOKENS:  # one token each, kept by decode(skip_special_tokens=True) as in Qwen
        ids = tok(token, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1 and tok.decode(ids, skip_special_tokens=True) == token


def test_template_renders_tools_calls_and_assistant_mask(tiny):
    _, tok = tiny
    row = next(r for r in generate_sample(40, seed=5) if any(m.get("tool_calls") for m in r["messages"]))
    text = tok.apply_chat_template(row["messages"], tools=row["tools"], tokenize=False)
    assert "<tools>" in text and json.dumps(row["tools"][0]) in text
    assert "<tool_call>\n{\"name\": " in text and "<tool_response>" in text
    enc = tok.apply_chat_template(row["messages"], tools=row["tools"], return_dict=True,
                                  return_assistant_tokens_mask=True)
    trained = tok.decode([i for i, m in zip(enc["input_ids"], enc["assistant_masks"]) if m])
    assert "<tool_call>" in trained and "<tools>" not in trained and row["messages"][-1]["content"] in trained


def test_base_chats_and_stops(tiny):
    model, tok = tiny
    reply = _answer(model, tok, [{"role": "user", "content": "What is the capital of Peru?"}])
    assert reply == "The capital of Peru is Lima.<|im_end|>"


def test_base_does_not_call_tools(tiny):
    from toolft.data.sample import TOOLS

    model, tok = tiny
    rows = [r for r in generate_sample(80, seed=99) if r["messages"][0]["role"] == "user"][:24]
    replies = [_answer(model, tok, row["messages"][:1], tools=row["tools"], max_new_tokens=30) for row in rows]
    texts = [reply.replace("<|im_end|>", "").strip() for reply in replies]
    assert not [r for r in replies if "<tool_call>" in r]
    assert not [t for t in texts if t.split()[0].strip(".,") in TOOLS]  # never a bare function name
    # prose: a sentence, not a word. The base answers 1-3 of 100 tools prompts with a word or two ("Briefly, what
    # does recursion mean?" -> "mean"; measured 3 and 5 of 200 before and after section 13 of bench/tiny_copying.md)
    assert sum(len(t.split()) >= 3 for t in texts) >= 22, texts


def test_the_markup_tokens_are_not_the_mean_embedding(tiny):
    """``<tool_call>`` and friends start as noise with the others' spread, not at their mean: at the mean,
    the base copied ``<tool_call>`` out of the tools prompt (bench/tiny_copying.md, section 13)."""
    import torch

    model, tok = tiny
    emb = model.get_input_embeddings().weight.detach()
    ids = tok.convert_tokens_to_ids(MARKUP_TOKENS)
    others = torch.ones(emb.shape[0], dtype=torch.bool)
    others[ids] = False
    mean = emb[others].mean(dim=0)
    similarity = torch.nn.functional.cosine_similarity(emb[ids], mean.expand(len(ids), -1))
    assert similarity.abs().max() < 0.3 < torch.nn.functional.cosine_similarity(emb[others], mean.expand(
        int(others.sum()), -1)).mean()
    assert len(set(map(tuple, emb[ids].tolist()))) == len(ids)  # each has a direction of its own


def _copy_readout(model):
    """For every token, the logits the copying head (layer 1, head 0) gives when it copies that token:
    its value and output projections, then straight out through the final norm's weight and the tied
    embeddings. Shape ``(vocab, vocab)``; row ``i`` is token ``i`` copied."""
    import torch

    emb = model.get_input_embeddings().weight.detach()
    attn, hd = model.model.layers[1].self_attn, model.config.head_dim
    x = emb / emb.pow(2).mean(-1, keepdim=True).sqrt() * model.model.layers[1].input_layernorm.weight.detach()
    written = x @ attn.v_proj.weight.detach()[:hd].T @ attn.o_proj.weight.detach()[:, :hd].T
    return (written * model.model.norm.weight.detach()) @ emb.T


def test_every_token_copies_as_itself_including_those_pre_training_never_saw(tiny):
    """The copying head reads each token out as itself. In the version-14 build, 927 tokens that pre-training
    never saw (pieces of held-out values among them) shared their identity with another token and were
    copied as it: ``infra`` came out as ``inKr``, ``podcast-site`` as ``podcast-ght`` (0.836 of tokens
    read out as themselves; bench/tiny_copying.md, section 21)."""
    import torch

    model, tok = tiny
    readout = _copy_readout(model)
    assert (readout.argmax(-1) == torch.arange(readout.shape[0])).float().mean() > 0.995
    for piece in ("fra", "site", "Istanbul"):
        i = tok.convert_tokens_to_ids(piece)
        assert readout[i].argmax() == i, piece


def test_tokens_left_unseen_get_identities_of_their_own():
    """The noise given to tokens pre-training never saw is drawn apart from the circuit's token identities:
    with the circuit's seed it repeated them (each unseen token a near copy of another, cosine 0.99)."""
    import torch
    from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

    from toolft.tiny import _mean_init_unseen, ensure_tiny_tokenizer, unseen_seed
    from toolft.tiny_init import copy_circuit_init

    tok = AutoTokenizer.from_pretrained(ensure_tiny_tokenizer())

    def twins(seed):
        torch.manual_seed(0)
        model = Qwen3ForCausalLM(Qwen3Config(vocab_size=len(tok), hidden_size=256, intermediate_size=64,
                                             num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                             head_dim=64, tie_word_embeddings=True, rope_theta=1e6))
        copy_circuit_init(model, seed=0)
        _mean_init_unseen(model, tok, [[i for i in range(len(tok)) if i % 5]], seed=seed)  # one in five never seen
        identity = torch.nn.functional.normalize(model.get_input_embeddings().weight.detach()[:, :64], dim=-1)
        similarity = identity @ identity.T
        similarity.fill_diagonal_(0)
        return int((similarity.max(-1).values > 0.9).sum())

    assert twins(unseen_seed(TinySpec(seed=0))) == 0
    assert twins(0) > 1000  # the circuit's own seed: the bug this guards against


def test_base_copies_a_value_it_never_saw_from_its_prompt(tiny):
    """Made-up values (pre-training never drew this seed) come back exactly: dates, urls, numbers, titles.

    Measured 7 of these 10; the base of section 6 of bench/tiny_copying.md, with no copying circuit,
    got about half of such short copies (8/15 and 7/15)."""
    from toolft.tiny_corpus import fresh_conversations

    model, tok = tiny
    asks = [c for c in fresh_conversations(80, seed=123_456_789)
            if not c[-1]["content"].startswith("{") and len(c[-1]["content"]) < 40][:10]
    right = [_answer(model, tok, c[:-1], max_new_tokens=40) == c[-1]["content"] + "<|im_end|>" for c in asks]
    assert len(asks) == 10 and sum(right) >= 6, right


def test_the_third_phase_walks_requests_in_order_and_stays_tool_free():
    """The order tasks name each part's function in the request's order, in prose, never as the tool protocol."""
    import random
    import re

    from toolft.data.sample import TOOLS
    from toolft.tiny_corpus import ORDER_TASKS, _made_up_request, fresh_conversations, split_first, which_first

    for conv in fresh_conversations(400, seed=31_337, tasks=ORDER_TASKS):
        text = json.dumps(conv)
        assert [m["role"] for m in conv] == ["user", "assistant"] and all(m["content"] for m in conv)
        assert "tool_call" not in text and "<tools>" not in text and "tool_response" not in text
    several = 0
    for seed in range(60):  # the same draw again gives the request's tasks, in order
        tasks, request = _made_up_request(random.Random(seed))
        user, answer = which_first(random.Random(seed))
        assert request in user["content"]
        assert re.findall(r"\b(" + "|".join(TOOLS) + r")\b", answer["content"]) == [t.tool for t in tasks]
        several += len(tasks) > 1
    assert several > 20
    for seed in range(30):  # split: each line is a clause of the request, in the request's order
        user, answer = split_first(random.Random(seed))
        lines = answer["content"].split("\n")
        starts = [user["content"].lower().find(line.lower()) for line in lines]
        assert len(lines) >= 2 and -1 not in starts and starts == sorted(starts), (user, answer)


def test_only_the_third_phase_draws_the_order_tasks(tmp_path, monkeypatch):
    from toolft import tiny
    from toolft.tiny_corpus import FRESH_TASKS, ORDER_TASKS

    monkeypatch.setenv("TOOLFT_MODELS_DIR", str(tmp_path / "models"))
    spec = TinySpec(steps=10, **{**MINI, "anneal_steps": 6, "order_steps": 10, "fresh_share": 1.0})
    tiny.ensure_tiny_tokenizer(spec, log=lambda _: None)
    drawn = {}
    real = tiny.fresh_conversations

    def recorded(n, seed, tasks=None):
        drawn[seed] = tasks
        return real(n, seed, tasks)

    monkeypatch.setattr(tiny, "fresh_conversations", recorded)
    tiny.build_tiny_model(tmp_path / "m", spec, log=lambda _: None)
    drawn.pop(-1)  # the tokenizer's text, drawn again for the build's corpus fingerprint
    assert sorted(drawn) == list(range(26))  # every step a fresh batch, its seed the build's step number
    assert all(drawn[s] == FRESH_TASKS for s in range(16)) and all(drawn[s] == FRESH_TASKS + ORDER_TASKS
                                                                   for s in range(16, 26))


# --------------------------------------------------------------------------- tokenizer: values tokenize alike everywhere
def _contains(seq: list[int], part: list[int]) -> bool:
    return any(seq[i:i + len(part)] == part for i in range(len(seq) - len(part) + 1))


@pytest.mark.parametrize("value", ["Istanbul", "Quito", "Porto Alegre", "docs/changelog.md", "1760", "2027-03-05",
                                   "marta.k@bluefin.org", "Fix flaky upload test", "ls -la build"])
def test_a_value_tokenizes_the_same_in_prose_and_inside_json(value):
    """Copying a value from the request into a call must be a copy of the same tokens.

    Not for a value that ends in punctuation before a space ("build/ today"): the pre-split keeps a
    run of punctuation and spaces together (README, known limits)."""
    from transformers import AutoTokenizer

    from toolft.tiny import ensure_tiny_tokenizer

    tok = AutoTokenizer.from_pretrained(ensure_tiny_tokenizer())
    alone = tok(value, add_special_tokens=False)["input_ids"]
    for context in (f"What about {value} today?", f"Use {value}.", f'{{"arg": "{value}"}}', f"[{value}]",
                    f"{{\"amount\": {value}, \"x\": 1}}"):
        assert _contains(tok(context, add_special_tokens=False)["input_ids"], alone), (value, context)


# --------------------------------------------------------------------------- the copying circuit at initialisation
def _circuit_model(circuit: bool, bigram: bool = False):
    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    from toolft.tiny_init import copy_circuit_init

    torch.manual_seed(0)
    cfg = Qwen3Config(vocab_size=2000, hidden_size=208, intermediate_size=320, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, head_dim=64, tie_word_embeddings=True,
                      rope_theta=1e6)
    model = Qwen3ForCausalLM(cfg).eval()
    if circuit:
        copy_circuit_init(model, seed=0, bigram=bigram)
    return model


def _repeat_accuracy(model, separators: bool = False) -> float:
    """Share of a repeated random span's tokens predicted right (greedy), 16 rows of 24 tokens.

    With ``separators``, every other token of the text is one of three (as spaces and punctuation are
    in real text), so a token after a separator is predictable only from the two tokens before it."""
    import torch

    g = torch.Generator().manual_seed(1)

    def text(n):
        ids = torch.randint(10, 2000, (16, n), generator=g)
        if separators:
            ids[:, 1::2] = torch.randint(5, 8, (16, n // 2), generator=g)
        return ids

    context, span = text(200), text(24)
    ids = torch.cat([context, span, torch.full((16, 1), 9), span], 1)
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    start = 200 + 24 + 1  # first position of the repeat; its successors are predictable by copying
    return (logits[:, start:-1].argmax(-1) == ids[:, start + 1:]).float().mean().item()


def test_the_copy_circuit_repeats_a_span_before_any_training():
    assert _repeat_accuracy(_circuit_model(True)) > 0.9
    assert _repeat_accuracy(_circuit_model(False)) < 0.05  # a default initialisation does not


def test_the_bigram_head_copies_across_frequent_separators():
    """One token of context cannot tell which word follows a space (there are many); two can.

    Measured: 0.52 with the single induction head (the words after a separator all wrong), 0.99 with
    the bigram head beside it."""
    assert _repeat_accuracy(_circuit_model(True), separators=True) < 0.6
    assert _repeat_accuracy(_circuit_model(True, bigram=True), separators=True) > 0.9
    assert _repeat_accuracy(_circuit_model(True, bigram=True)) > 0.9  # and still copies plain spans


def test_a_model_too_small_for_the_circuit_is_refused():
    from transformers import Qwen3Config, Qwen3ForCausalLM

    from toolft.tiny_init import copy_circuit_init

    model = Qwen3ForCausalLM(Qwen3Config(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1, head_dim=16))
    with pytest.raises(ValueError, match="2\\+ layers"):
        copy_circuit_init(model)
    narrow = Qwen3ForCausalLM(Qwen3Config(vocab_size=100, hidden_size=160, intermediate_size=64, num_hidden_layers=2,
                                          num_attention_heads=4, num_key_value_heads=2, head_dim=64,
                                          tie_word_embeddings=True))
    with pytest.raises(ValueError, match="bigram copying circuit needs hidden_size >= 3\\*head_dim\\+1"):
        copy_circuit_init(narrow, bigram=True)


# --------------------------------------------------------------------------- the tokenizer alone
def test_the_tokenizer_is_built_alone_in_seconds_without_the_model(tmp_path, monkeypatch):
    """A spec with no shipped build: its tokenizer is trained alone, and it tokenizes like the model's."""
    from toolft.tiny import ensure_tiny_tokenizer, tiny_model_dir

    monkeypatch.setenv("TOOLFT_MODELS_DIR", str(tmp_path / "models"))
    spec = TinySpec(seed=1)  # not the shipped spec: trained here
    path = ensure_tiny_tokenizer(spec)
    assert (path / "tokenizer_config.json").exists()
    assert not tiny_model_dir(spec).exists()  # no model build was started for it
    assert ensure_tiny_tokenizer(spec) == path  # cached


def test_the_shipped_build_is_the_default_spec_and_first_use_copies_it(tmp_path, monkeypatch, capfd):
    """toolft ships the build of the default spec: first use copies it (no pre-training), and it is the
    model and tokenizer a build of this spec and template makes (their recorded spec and template match)."""
    import filecmp

    from transformers import AutoTokenizer

    from toolft.tiny import PREBUILT_DIR, ensure_tiny_model, ensure_tiny_tokenizer, prebuilt_matches, tiny_model_dir

    assert prebuilt_matches(), "toolft/prebuilt/tiny-qwen3 is stale: run `python -m toolft tiny build --from-scratch` " \
                               "and copy the folder there (the spec or the chat template changed)"
    assert not prebuilt_matches(TinySpec(steps=1)) and prebuilt_matches(TinySpec(steps=1), "tokenizer")
    monkeypatch.setenv("TOOLFT_MODELS_DIR", str(tmp_path / "models"))
    path = ensure_tiny_model()
    assert path == tiny_model_dir() and filecmp.cmp(path / "model.safetensors", PREBUILT_DIR / "model.safetensors",
                                                    shallow=False)
    out, err = capfd.readouterr()
    assert out == "" and "prebuilt" in err and "pretrain step" not in err
    tokenizer = AutoTokenizer.from_pretrained(ensure_tiny_tokenizer())
    shipped = AutoTokenizer.from_pretrained(path)
    text = 'Weather in Lisbon? <tool_call>{"name": "get_weather", "arguments": {"city": "Lisbon"}}</tool_call>'
    assert tokenizer(text)["input_ids"] == shipped(text)["input_ids"]
    assert tokenizer.chat_template == shipped.chat_template


def test_the_shipped_build_was_pre_trained_on_the_text_the_code_makes(monkeypatch):
    """The model key hashes the spec and template, not the corpus code: the recorded corpus fingerprint catches a
    corpus change that would leave the shipped weights out of step with what `tiny build` makes, and first use
    then pre-trains instead of copying them."""
    from toolft import tiny, tiny_corpus

    meta = json.loads((tiny.PREBUILT_DIR / "toolft_tiny.json").read_text(encoding="utf-8"))
    assert meta["corpus_sha"] == tiny.corpus_fingerprint(), (
        "the pre-training text changed: rebuild with `python -m toolft tiny build --from-scratch` and ship it "
        "(bump TinySpec.version so caches rebuild), or undo the corpus change")
    changed = {**tiny_corpus.CANNOT, "read_file": "I can't open files from here."}
    monkeypatch.setattr(tiny_corpus, "CANNOT", changed)  # a one-sentence change shows, and first use then builds
    assert tiny.corpus_fingerprint() != meta["corpus_sha"] and not tiny.prebuilt_matches()
    assert tiny.prebuilt_matches(part="tokenizer")


# --------------------------------------------------------------------------- builds: atomic, quiet on stdout
MINI = dict(vocab_size=600, hidden_size=48, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            num_key_value_heads=1, head_dim=16, corpus_size=60, documents=4, choices=4, batch_size=4, long_batch=2,
            anneal_steps=0, order_steps=0)


def test_a_build_writes_progress_to_stderr_never_stdout(tmp_path, monkeypatch, capfd):
    from toolft.tiny import ensure_tiny_model

    monkeypatch.setenv("TOOLFT_MODELS_DIR", str(tmp_path / "models"))
    seen = []
    spec = TinySpec(steps=12, **{**MINI, "anneal_steps": 5, "order_steps": 3})  # three phases: progress counts all
    path = ensure_tiny_model(spec, progress=lambda step, total, eta: seen.append((step, total)))
    out, err = capfd.readouterr()
    assert out == "" and "[tiny] pretrain step 1/20" in err and "left)" in err  # the log carries an ETA
    assert all(f"[tiny] pretrain step {n}/20" in err for n in (13, 17, 18, 20))  # each phase's first and last
    assert seen[0] == (1, 20) and seen[-1] == (20, 20) and [s for s, _ in seen] == sorted(s for s, _ in seen)
    assert (path / "config.json").exists() and (path / "tokenizer_config.json").exists()


def test_a_killed_build_is_rebuilt_not_reused(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {**os.environ, "TOOLFT_MODELS_DIR": str(tmp_path / "models")}
    script = (f"from toolft.tiny import TinySpec, ensure_tiny_model; "
              f"print(ensure_tiny_model(TinySpec(steps=120, **{MINI!r})), flush=True)")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # wait until pre-training is under way, then kill it hard
        if "pretrain step 1/" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    models = tmp_path / "models"
    assert not any(p.name.startswith("tiny-qwen3-") and not p.name.endswith((".building", ".lock")) and
                   "tokenizer" not in p.name for p in models.iterdir())  # nothing half-built in the final place
    assert any(p.name.endswith(".building") for p in models.iterdir())

    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    built = Path(done.stdout.strip())
    assert (built / "config.json").exists() and (built / "model.safetensors").exists()
    assert not any(p.name.endswith(".building") for p in models.iterdir())
    assert "pretrain step 120/120" in done.stderr  # rebuilt from scratch, not picked up half-way


def test_a_rebuild_from_scratch_swaps_in_the_new_build(tmp_path, monkeypatch):
    """`tiny build --from-scratch` keeps the finished model usable until the new one is complete."""
    from toolft.tiny import ensure_tiny_model

    monkeypatch.setenv("TOOLFT_MODELS_DIR", str(tmp_path / "models"))
    spec = TinySpec(steps=6, **MINI)
    first = ensure_tiny_model(spec)
    seen = []
    again = ensure_tiny_model(spec, from_scratch=True,
                              progress=lambda step, total, eta: seen.append((first / "config.json").exists()))
    assert again == first and seen and all(seen)  # the old build stayed in place while the new one trained
    assert (again / "config.json").exists()
    assert not [p.name for p in (tmp_path / "models").iterdir() if p.name.endswith((".building", ".old"))]
