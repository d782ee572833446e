"""The offline base model "tiny-qwen3": a Qwen3 at toy size, built here, no Hub needed.

``ensure_tiny_model()`` returns the folder of a ready ``transformers`` model
(``config.json``, ``model.safetensors``, tokenizer files with a chat template),
building it on first use and caching it under ``$TOOLFT_MODELS_DIR``:

1. a byte-level BPE tokenizer trained with ``tokenizers`` on chat text and tool-call
   JSON, with Qwen's special tokens (``<|im_start|>``, ``<tool_call>``...). Words, digits
   and punctuation are split apart before BPE, so a value is the same tokens in a request
   and inside a call's JSON. It is built and cached on its own (``ensure_tiny_tokenizer()``,
   seconds), so token counts never wait for the model;
2. a ``Qwen3ForCausalLM`` with the real architecture at tiny width and depth, whose initial
   weights already copy spans from the prompt (``toolft.tiny_init``);
3. full pre-training on *tool-free* text (``toolft.tiny_corpus``): conversations, documents,
   and copy and extraction tasks whose values are made up afresh for every batch, in three
   phases (the mix; the mix at a third of the rate; the mix with requests of several parts
   walked in order). The base chats and copies but has never seen a tool schema as a tools
   prompt or a ``<tool_call>`` block.

The build's text and seeds are deterministic (its arithmetic on a CPU need not be; README, known
limits). It logs its progress with an ETA to stderr. It is atomic:
a killed build leaves only a ``*.building`` folder, which the next build deletes and redoes.

A copy of the build of the default spec ships with toolft (``toolft/prebuilt/tiny-qwen3``,
17 MB: made by ``python -m toolft tiny build --from-scratch`` on a 2-core CPU with bf16, its
spec and template recorded in its ``toolft_tiny.json``). When the spec and template match,
first use copies it (seconds) instead of pre-training for about 40 minutes;
``--from-scratch`` rebuilds it from nothing, and any other spec always builds.

Example (copies the shipped build on first use: seconds)::

    path = ensure_tiny_model()
    (path / "config.json").exists()   # True
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from toolft.home import models_dir

TINY_NAME = "tiny-qwen3"
TEMPLATE_PATH = Path(__file__).parent / "templates" / "tiny_qwen3.jinja"
PREBUILT_DIR = Path(__file__).parent / "prebuilt" / TINY_NAME
PREBUILT_FILES = ("config.json", "generation_config.json", "model.safetensors", "chat_template.jinja",
                  "tokenizer.json", "tokenizer_config.json", "toolft_tiny.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja")
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Qwen marks these as added tokens that are *not* special: they survive decode(skip_special_tokens=True).
MARKUP_TOKENS = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<think>", "</think>"]


@dataclass(frozen=True)
class TinySpec:
    """Everything that determines the built model; its hash names the cache folder."""

    vocab_size: int = 4096          # enough for chat words and JSON pieces; keeps the softmax cheap on CPU
    hidden_size: int = 256          # ~5M parameters in all: trains in minutes on 2 cores
    intermediate_size: int = 768    # 3x hidden, Qwen's MLP ratio at this scale
    num_hidden_layers: int = 4      # deep enough for induction (copying) heads to form
    num_attention_heads: int = 4
    num_key_value_heads: int = 2    # grouped-query attention, as in Qwen3
    head_dim: int = 64
    max_position_embeddings: int = 2048
    corpus_size: int = 6000         # short conversations (tiny_corpus.chat_corpus)
    documents: int = 1500           # plain-text documents (tiny_corpus.text_documents)
    choices: int = 1                # "which function fits?" conversations: more taught the base to answer a
                                    # tools prompt with a bare function name (bench/tiny_copying.md, section 6)
    long_share: float = 0.25        # share of steps on a batch of long sequences (documents, choices)
    long_batch: int = 6             # long sequences are ~10x longer than the short conversations
    copy_bigram: bool = False       # a second induction head, on the last two tokens (tiny_init): measured no
                                    # better after pre-training and fine-tuning (bench/tiny_copying.md, section 8)
    fresh_share: float = 0.4        # share of steps on copy/extraction tasks with values made up afresh
    steps: int = 2000               # ~24 min on 2 CPU cores (~38 with the two later phases); the build ships prebuilt
    batch_size: int = 24
    learning_rate: float = 3e-3     # full training of a tiny model tolerates a high rate
    anneal_steps: int = 600         # a second phase (~7 min) of the same mix at a lower rate, fresh tasks newly
                                    # drawn; measured: the fine-tune names the right tool more often
                                    # (bench/tiny_copying.md, section 13)
    anneal_learning_rate: float = 1e-3
    order_steps: int = 600          # a third phase (~8 min): the mix again, with requests of several parts walked in
                                    # order (tiny_corpus.ORDER_TASKS); measured: the fine-tune's right tool names on
                                    # held-out values 0.40 -> 0.54 over 3 seeds (bench/tiny_copying.md, section 15)
    order_learning_rate: float = 1e-3
    seed: int = 0
    version: int = 15               # bump when the corpus, tokenizer, template or the weights a spec builds change
                                    # (not for a change that adds a spec field: the key hashes every field, and the
                                    # tokenizer stays). 15: never-seen tokens get identities of their own
                                    # (unseen_seed; bench/tiny_copying.md, section 21)

    TOKENIZER_FIELDS = ("vocab_size", "corpus_size", "documents", "choices", "seed", "version")
    FRESH_FOR_TOKENIZER = 3000      # fresh conversations the tokenizer is fitted on, beside the fixed corpus

    def config(self, vocab_size: int | None = None, **special_ids):
        """The ``Qwen3Config`` of this spec (``vocab_size`` defaults to the spec's target)."""
        from transformers import Qwen3Config

        return Qwen3Config(
            vocab_size=vocab_size or self.vocab_size,
            hidden_size=self.hidden_size,
            intermediate_size=self.intermediate_size,
            num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads,
            num_key_value_heads=self.num_key_value_heads,
            head_dim=self.head_dim,
            max_position_embeddings=self.max_position_embeddings,
            tie_word_embeddings=True,
            rope_theta=1e6,  # Qwen3's own; the induction head needs slow rotary pairs (tiny_init)
            **special_ids,
        )

    def key(self) -> str:
        """Hash of everything that shapes the built model (spec, template, CPU bf16): its cache name."""
        from toolft.modeling import cpu_has_bf16

        # bf16 autocast (where the CPU has it) changes the weights, so it is part of the key;
        # the build always runs on the CPU, whatever GPU the machine has
        return _hash(json.dumps(asdict(self), sort_keys=True), TEMPLATE_PATH.read_text(encoding="utf-8"),
                     "bf16" if cpu_has_bf16() else "no")

    def tokenizer_key(self) -> str:
        """Hash of what shapes the tokenizer alone: the model's key changes with it, not the reverse."""
        fields = {name: getattr(self, name) for name in self.TOKENIZER_FIELDS}
        return _hash(json.dumps(fields, sort_keys=True), TEMPLATE_PATH.read_text(encoding="utf-8"))


def _hash(*parts: str) -> str:
    import hashlib

    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:10]


MODEL_MARKER = "config.json"  # a model folder is finished once this exists (see _build_once)


def tiny_model_dir(spec: TinySpec | None = None) -> Path:
    spec = spec or TinySpec()
    return models_dir() / f"{TINY_NAME}-{spec.key()}"


def tiny_tokenizer_dir(spec: TinySpec | None = None) -> Path:
    spec = spec or TinySpec()
    return models_dir() / f"{TINY_NAME}-tokenizer-{spec.tokenizer_key()}"


def _stderr_log(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def _build_once(target: Path, marker: str, build, log, rebuild: bool = False) -> Path:
    """Build ``target`` once, atomically: under a file lock, into a temporary folder renamed when complete.

    Concurrent callers (the app and a training subprocess) wait on the lock instead of
    building twice. A build that is killed leaves only ``*.building``, which the next
    caller deletes and redoes; ``target`` exists only once ``marker`` inside it was written.
    ``rebuild``: build again even when ``target`` is finished.
    """
    from filelock import FileLock

    if (target / marker).exists() and not rebuild:
        return target
    with FileLock(str(target) + ".lock"):
        if (target / marker).exists() and not rebuild:
            return target
        tmp = target.with_name(target.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        if not (target / marker).exists():
            shutil.rmtree(target, ignore_errors=True)  # a folder without its marker is not a finished build
        tmp.mkdir(parents=True)
        build(tmp)
        # a rebuild keeps the finished folder in place until the new one is complete, then swaps it in
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    return target


def _template_sha() -> str:
    return _hash(TEMPLATE_PATH.read_text(encoding="utf-8"))


def prebuilt_matches(spec: TinySpec | None = None, part: str = "model") -> bool:
    """True when the shipped copy is the build of ``spec`` (``part``: the ``model``, or only its ``tokenizer``).

    The model must also have learnt the text this code makes (:func:`corpus_fingerprint`, about a second);
    a corpus change then builds anew on first use instead of copying weights trained on other text.
    """
    spec = spec or TinySpec()
    try:
        meta = json.loads((PREBUILT_DIR / "toolft_tiny.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if meta.get("template_sha") != _template_sha() or not all((PREBUILT_DIR / f).is_file() for f in PREBUILT_FILES):
        return False
    shipped = meta.get("spec", {})
    if part == "tokenizer":
        return all(shipped.get(name) == getattr(spec, name) for name in TinySpec.TOKENIZER_FIELDS)
    # the spec and template do not pin the corpus code: its text must be the one the shipped weights learnt
    return shipped == asdict(spec) and meta.get("corpus_sha") == corpus_fingerprint(spec)


def _copy_prebuilt(out: Path, files: tuple[str, ...], log) -> None:
    log(f"[tiny] using the prebuilt {TINY_NAME} shipped with toolft ({PREBUILT_DIR})")
    for name in files:
        shutil.copyfile(PREBUILT_DIR / name, out / name)


def ensure_tiny_tokenizer(spec: TinySpec | None = None, log=_stderr_log) -> Path:
    """Return the folder of tiny-qwen3's tokenizer alone: the shipped one, or built (seconds) if needed.

    Counting tokens (``data check``, the Data tab) needs only this, never the model.
    """
    spec = spec or TinySpec()

    def build(out: Path) -> None:
        if prebuilt_matches(spec, "tokenizer"):
            log("[tiny] tokenizer: the one shipped with toolft")
            return _copy_prebuilt(out, TOKENIZER_FILES, lambda _: None)
        start = time.time()
        log("[tiny] building the tiny-qwen3 tokenizer (a few seconds)")
        conversations, choices, documents = _pretraining_text(spec)
        fresh = _tokenizer_fresh(spec, TinySpec.FRESH_FOR_TOKENIZER)
        tokenizer = _train_tokenizer(conversations + choices + fresh, documents, spec)
        tokenizer.save_pretrained(out)
        log(f"[tiny] tokenizer: {len(tokenizer)} tokens ({time.time() - start:.0f}s)")

    return _build_once(tiny_tokenizer_dir(spec), "tokenizer_config.json", build, log)


def ensure_tiny_model(spec: TinySpec | None = None, log=_stderr_log, progress=None, from_scratch: bool = False) -> Path:
    """Return the tiny model's folder: the shipped build copied (seconds), or pre-trained here (~40 min).

    ``from_scratch``: pre-train it here even when a finished copy or the shipped build exists
    (this is how the shipped build is made). ``log`` receives progress lines with an ETA
    (default: stderr, never stdout, so ``--json`` output stays clean). ``progress(step,
    total, eta_seconds)``, when given, is called every few pre-training steps of a build
    (the app shows it as a progress bar).
    """
    spec = spec or TinySpec()

    def build(out: Path) -> None:
        if not from_scratch and prebuilt_matches(spec):
            _copy_prebuilt(out, PREBUILT_FILES, log)
        else:
            build_tiny_model(out, spec, log=log, progress=progress)

    return _build_once(tiny_model_dir(spec), MODEL_MARKER, build, log, rebuild=from_scratch)


def tiny_model_ready(spec: TinySpec | None = None) -> bool:
    """True when tiny-qwen3 is built and cached (so using it costs no build)."""
    return (tiny_model_dir(spec) / MODEL_MARKER).exists()


def fresh_conversations(n: int, seed: int, tasks: list[tuple] | None = None):
    """``tiny_corpus.fresh_conversations``: ``n`` copy and extraction tasks (of ``tasks``) with made-up values."""
    from toolft.tiny_corpus import fresh_conversations as make

    return make(n, seed, tasks)


def _pretraining_text(spec: TinySpec) -> tuple[list[list[dict]], list[list[dict]], list[str]]:
    """The pre-training text of a spec (deterministic): ``(conversations, choices, documents)``."""
    from toolft.tiny_corpus import chat_corpus, function_choice_corpus, text_documents

    return (chat_corpus(spec.corpus_size, seed=spec.seed), function_choice_corpus(spec.choices, seed=spec.seed),
            text_documents(spec.documents, seed=spec.seed))


def _fresh_batch(spec: TinySpec, step: int, tasks) -> list[list[dict]]:
    """The fresh conversations a build draws at ``step`` (a seed of their own, never reused across steps)."""
    return fresh_conversations(spec.batch_size, seed=spec.seed * 1_000_003 + step, tasks=tasks)


def _tokenizer_fresh(spec: TinySpec, n: int) -> list[list[dict]]:
    """The first ``n`` fresh conversations the tokenizer is fitted on (a seed no pre-training step draws)."""
    return fresh_conversations(n, seed=-1 - spec.seed)


def _phases(spec: TinySpec) -> list[tuple[int, int, float, list]]:
    """The build's pre-training phases: ``(first step, steps, peak learning rate, fresh task kinds)``, in order.

    Each has its own warm-up and decay; the fresh tasks' seeds are the build's step numbers, never reused.
    """
    from toolft.tiny_corpus import FRESH_TASKS, ORDER_TASKS

    plan = [(spec.steps, spec.learning_rate, FRESH_TASKS),
            (spec.anneal_steps, spec.anneal_learning_rate, FRESH_TASKS),  # the same mix at a third of the rate
            (spec.order_steps, spec.order_learning_rate, FRESH_TASKS + ORDER_TASKS)]
    out, first = [], 0
    for steps, rate, tasks in plan:
        if steps:
            out.append((first, steps, rate, tasks))
        first += steps
    return out


def corpus_fingerprint(spec: TinySpec | None = None) -> str:
    """Hash of the text a build of ``spec`` pre-trains on: the fixed corpus, and the fresh batches of each
    phase's first and last step (``TinySpec.key`` hashes the spec and template, not the corpus code).

    Recorded in the build's ``toolft_tiny.json``; a test compares it with the shipped build's, so a change to
    the corpus code cannot leave the shipped weights silently out of step with what the code would build.
    About a second.
    """
    spec = spec or TinySpec()
    batches = [_fresh_batch(spec, step, tasks)
               for first, steps, _, tasks in _phases(spec) for step in (first, first + steps - 1)]
    tokenizer_text = _tokenizer_fresh(spec, 100)
    return _hash(json.dumps([_pretraining_text(spec), batches, tokenizer_text], ensure_ascii=False))


# Words, single digits and runs of everything else are split apart before BPE, so a value is the same
# tokens in prose and inside a JSON string ("in Istanbul" / "\"Istanbul\""): copying it into a call
# means repeating tokens the request already has (bench/tiny_copying.md, section 1).
PRE_SPLIT = r"\p{L}+|\p{N}|[^\p{L}\p{N}]+"


def _bpe(texts: list[str], vocab_size: int):
    """A byte-level BPE over :data:`PRE_SPLIT` pieces: merges never cross a word, digit or punctuation run.

    A value is then the same tokens wherever it stands, which copying needs. The cost is
    length: a sample row is ~420 tokens instead of ~215 with merges across spaces (the
    tokenizer before bench/tiny_copying.md, section 7). Pre-training has documents with the
    same vocabulary as tool rows: measured, a token that never occurs in pre-training keeps an
    untrained embedding that LoRA cannot reach (with a tokenizer fitted on tool rows the model
    never read, the fine-tune's loss stalled near 6.5)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRE_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(MARKUP_TOKENS),
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in MARKUP_TOKENS])
    return tok


def _wrap(tok):
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", clean_up_tokenization_spaces=False
    )
    tokenizer.chat_template = TEMPLATE_PATH.read_text(encoding="utf-8")
    return tokenizer


def _train_tokenizer(conversations: list[list[dict]], documents: list[str], spec: TinySpec):
    """Train on the pre-training text: conversations as the template renders them, and documents.

    Only text the model is pre-trained on shapes the vocabulary: a token that never
    occurs in pre-training would keep an untrained embedding, out of LoRA's reach.
    """
    renderer = _wrap(_bpe(["bootstrap"], 300))  # any tokenizer can render the template to text
    texts = [renderer.apply_chat_template(c, tokenize=False) for c in conversations] + documents
    return _wrap(_bpe(texts, spec.vocab_size))


def build_tiny_model(out: Path, spec: TinySpec, log=_stderr_log, progress=None) -> None:
    """Pre-train tiny-qwen3 from scratch on its tokenizer's corpus and save model and tokenizer to ``out``."""
    import torch
    from transformers import AutoTokenizer, GenerationConfig, Qwen3ForCausalLM

    from toolft.modeling import cpu_has_bf16
    from toolft.tiny_init import copy_circuit_init

    start = time.time()
    log(f"[tiny] building {TINY_NAME} once (about 40 minutes on 2 CPU cores; cached afterwards)")
    tokenizer = AutoTokenizer.from_pretrained(ensure_tiny_tokenizer(spec, log=log))
    conversations, choices, documents = _pretraining_text(spec)
    torch.manual_seed(spec.seed)
    config = spec.config(len(tokenizer), bos_token_id=None, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    model = Qwen3ForCausalLM(config)
    copy_circuit_init(model, seed=spec.seed, bigram=spec.copy_bigram)  # starts out copying spans from its prompt (toolft/tiny_init.py)

    chats, long = encode_pretraining_text(tokenizer, spec, conversations, choices, documents)
    fresh_seen: set[int] = set()

    def fresh_batch_of(tasks):
        def fresh_batch(step: int) -> list[tuple[list[int], list[int]]]:
            """A batch of ``tasks`` (values never seen before), trained on the answers only."""
            pairs = [encode_answer_only(tokenizer, conv) for conv in _fresh_batch(spec, step, tasks)]
            fresh_seen.update(i for ids, _ in pairs for i in ids)
            return pairs
        return fresh_batch

    phases = _phases(spec)
    total = sum(steps for _, steps, _, _ in phases)
    for first, steps, rate, tasks in phases:
        _pretrain(model, chats, long, tokenizer.pad_token_id, spec, log, progress, fresh_batch_of(tasks),
                  phase=(first, steps, rate, total))
    _mean_init_unseen(model, tokenizer, chats + long + [sorted(fresh_seen)], seed=unseen_seed(spec))
    _noise_init_markup(model, tokenizer, seed=markup_seed(spec))

    out.mkdir(parents=True, exist_ok=True)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=False
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "toolft_tiny.json").write_text(json.dumps({
        "spec": asdict(spec), "template_sha": _template_sha(), "corpus_sha": corpus_fingerprint(spec),
        "build_seconds": round(time.time() - start, 1),
        "cpu_bf16": cpu_has_bf16(), "torch": torch.__version__}, indent=1))
    log(f"[tiny] built {TINY_NAME} ({model.num_parameters():,} parameters) in {time.time() - start:.0f}s -> {out}")


def encode_pretraining_text(tokenizer, spec: TinySpec, conversations, choices, documents):
    """Token ids of the fixed pre-training text: ``(chats, long)``, the conversations and the long
    sequences (the choice conversations and the documents, each cut to the context and ended by a pad)."""
    def render(convs):
        return [tokenizer.apply_chat_template(c, tokenize=True, return_dict=True)["input_ids"] for c in convs]

    long = render(choices) + [tokenizer(d)["input_ids"][: spec.max_position_embeddings - 1] + [tokenizer.pad_token_id]
                              for d in documents]
    return render(conversations), long


def encode_answer_only(tokenizer, conv: list[dict]) -> tuple[list[int], list[int]]:
    """``(input ids, labels)`` of a conversation trained on its last (assistant) message only (-100 elsewhere)."""
    ids = tokenizer.apply_chat_template(conv, tokenize=True, return_dict=True)["input_ids"]
    prompt = tokenizer.apply_chat_template(conv[:-1], tokenize=True, return_dict=True,
                                           add_generation_prompt=True)["input_ids"]
    return ids, [-100] * len(prompt) + ids[len(prompt):]


def unseen_seed(spec: TinySpec) -> int:
    """The seed of :func:`_mean_init_unseen`'s noise: never the copy circuit's (``spec.seed``).

    With the same seed, the noise of the k-th unseen token began with the very numbers the circuit had
    drawn for token 4k's identity (a ``randn`` row of 256 against rows of 64), so every token pre-training
    never saw had a twin whose identity the copying head could not tell from its own (cosine 0.99): 927
    tokens of the version-14 build, among them pieces of held-out values such as ``fra`` (twin ``Kr``) and
    ``site`` (twin ``ght``). Measured in bench/tiny_copying.md, section 21.
    """
    return spec.seed + 2


def markup_seed(spec: TinySpec) -> int:
    """The seed of :func:`_noise_init_markup` (1 for the default spec, as before): never the circuit's."""
    return spec.seed + 1


def _mean_init_unseen(model, tokenizer, encoded: list[list[int]], seed: int) -> None:
    """Re-initialise tokens pre-training never saw (``<tool_call>`` and friends).

    Training pushes the logits of absent tokens ever lower, so a fine-tune would first
    have to undo that. Starting them at the mean of the trained embeddings, as
    ``resize_token_embeddings(mean_resizing=True)`` does for new tokens, leaves them
    neutral: the base still never emits them, and LoRA can learn to. A little noise
    keeps them distinct: the embeddings are tied, so identical rows would give
    ``<tool_call>`` and ``</tool_call>`` the same logit forever. (The tool markup tokens
    then get noise alone: :func:`_noise_init_markup`.) ``seed`` must differ from the seed of the copy
    circuit's token identities (:func:`unseen_seed`), or each unseen token copies as another one.
    """
    import torch

    seen = {i for ids in encoded for i in ids}
    unseen = [i for i in range(len(tokenizer)) if i not in seen]
    emb = model.get_input_embeddings().weight
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        mask = torch.ones(emb.shape[0], dtype=torch.bool)
        mask[unseen] = False
        trained = emb[mask]
        noise = torch.randn((len(unseen), emb.shape[1]), generator=generator) * trained.std(dim=0)
        emb[unseen] = trained.mean(dim=0) + noise


def _noise_init_markup(model, tokenizer, seed: int) -> None:
    """Give the tool markup tokens (:data:`MARKUP_TOKENS`) embeddings of noise alone, with the spread of the others.

    At the mean of the trained embeddings, ``<tool_call>`` had a high logit in every context (the mean is
    about half of a typical embedding's norm, 4.7 of 9.1, and hidden states lean towards it), and the copying
    heads then copied it out of a tools system prompt: a base with a second pre-training phase wrote
    ``I can't run <tool_call> ...`` on 7 of 200 tools prompts, and 0 of 200 with these embeddings
    (bench/tiny_copying.md, section 13). The fine-tune still learns to write them: LoRA moves the hidden
    states, and each token keeps a direction of its own.
    """
    import torch

    ids = tokenizer.convert_tokens_to_ids(list(MARKUP_TOKENS))
    emb = model.get_input_embeddings().weight
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        others = torch.ones(emb.shape[0], dtype=torch.bool)
        others[ids] = False
        emb[ids] = torch.randn((len(ids), emb.shape[1]), generator=generator) * emb[others].std(dim=0)


def _pretrain(model, chats: list[list[int]], long: list[list[int]], pad_id: int, spec: TinySpec, log,
              progress=None, fresh_batch=None, phase: tuple[int, int, float, int] | None = None) -> None:
    """Plain full-parameter language-model training with AdamW and a cosine schedule.

    Each step is either a batch of short conversations or a smaller batch of long
    sequences, so a batch holds similar lengths and little compute goes to padding.
    ``phase``: ``(first step, steps, peak learning rate, total steps of the build)``, default
    the spec's one phase; each phase has its own optimizer, warm-up and cosine decay, and
    ``fresh_batch`` gets the build's step number (so no two phases draw the same tasks).
    """
    import random

    import torch

    first, steps, peak, total = phase or (0, spec.steps, spec.learning_rate, spec.steps)
    rng = random.Random(spec.seed + first)
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak, weight_decay=0.01, betas=(0.9, 0.98))
    warmup = max(1, steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return peak * (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))

    def batches(pool: list[list[int]], size: int):
        while True:
            order = rng.sample(range(len(pool)), len(pool))
            for i in range(0, len(order) - size + 1, size):
                yield [pool[j] for j in order[i: i + size]]

    from toolft.modeling import cpu_has_bf16

    # bf16 autocast halves the step time on CPUs with native bf16; elsewhere plain float32
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_has_bf16())
    chat_batches, long_batches = batches(chats, spec.batch_size), batches(long, spec.long_batch)
    model.train()
    started = time.time()
    for step in range(steps):
        done = first + step  # steps of the whole build before this one
        draw = rng.random()
        if fresh_batch is not None and draw < spec.fresh_share:
            pairs = fresh_batch(done)
        else:
            batch = next(long_batches) if long and draw < spec.fresh_share + spec.long_share else next(chat_batches)
            pairs = [(ids, ids) for ids in batch]
        width = max(len(ids) for ids, _ in pairs)
        input_ids = torch.full((len(pairs), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(pairs), width), dtype=torch.long)
        labels = torch.full((len(pairs), width), -100, dtype=torch.long)
        for row, (ids, targets) in enumerate(pairs):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            mask[row, : len(ids)] = 1
            labels[row, : len(ids)] = torch.tensor(targets)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        with autocast:
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        elapsed = time.time() - started
        eta = elapsed / (step + 1) * (total - done - 1)  # for the whole build, at this phase's pace
        if progress and (step % 10 == 0 or step == steps - 1):
            progress(done + 1, total, eta)
        if step % 100 == 0 or step == steps - 1:
            log(f"[tiny] pretrain step {done + 1}/{total} loss {loss.item():.3f} "
                f"({elapsed:.0f}s elapsed, about {eta:.0f}s left)")
    model.eval()
