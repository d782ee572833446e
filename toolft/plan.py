"""Plan a run before starting it: parameter counts, step counts and a memory estimate.

``plan(recipe)`` answers the questions a user has before pressing *Train*: how many
parameters will LoRA train, how many optimizer steps will the run take, and will it
fit my GPU? Everything is computed, nothing is loaded: the model is read from its
``config.json`` only and instantiated on PyTorch's ``meta`` device (shapes without
storage), so planning Qwen3-4B takes a second and no memory, and works offline for
the Qwen3 sizes in :data:`KNOWN_CONFIGS`.

Step counts follow ``transformers.Trainer`` exactly (same split rule as
:func:`toolft.data.records.split_records`, same rounding), so the plan's
``total_steps`` is the run's progress-bar length.

Example (reads Qwen3-1.7B's config from the Hub)::

    p = plan(load_recipe("qwen3-1.7b-t4"))
    p["trainable_params"], p["total_steps"]   # (17432576, 339)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

from toolft.data.records import split_sizes
from toolft.tiny import TINY_NAME, TinySpec, tiny_model_dir

# Qwen3Config keyword arguments of the Qwen3 sizes the presets and the UI offer,
# copied from each model's config.json on the Hub, so a plan needs no download.
_QWEN3_COMMON = dict(
    vocab_size=151936,
    head_dim=128,
    num_key_value_heads=8,
    max_position_embeddings=40960,
    rope_theta=1000000.0,
    rms_norm_eps=1e-6,
    tie_word_embeddings=True,
    hidden_act="silu",
    attention_bias=False,
    bos_token_id=151643,
    eos_token_id=151645,
)
KNOWN_CONFIGS: dict[str, dict] = {
    "Qwen/Qwen3-0.6B": dict(_QWEN3_COMMON, hidden_size=1024, intermediate_size=3072,
                            num_hidden_layers=28, num_attention_heads=16, max_window_layers=28),
    "Qwen/Qwen3-1.7B": dict(_QWEN3_COMMON, hidden_size=2048, intermediate_size=6144,
                            num_hidden_layers=28, num_attention_heads=16, max_window_layers=28),
    "Qwen/Qwen3-4B": dict(_QWEN3_COMMON, hidden_size=2560, intermediate_size=9728,
                          num_hidden_layers=36, num_attention_heads=32, max_window_layers=36),
    "Qwen/Qwen3-8B": dict(_QWEN3_COMMON, hidden_size=4096, intermediate_size=12288, num_hidden_layers=36,
                          num_attention_heads=32, max_window_layers=36, tie_word_embeddings=False),
}


@dataclass(frozen=True)
class Gpu:
    """A GPU the planner gives a verdict for: memory (GiB, as ``nvidia-smi`` reports the card), native bf16,
    dense 16-bit tensor-core peak (TFLOPS, NVIDIA datasheets) and a Hugging Face hardware price."""

    memory_gib: float
    bf16: bool
    peak_tflops: float
    usd_per_hour: float | None = None
    hardware: str = ""
    utilisation: float | None = None  # measured share of peak_tflops; None: UTILISATION is assumed


# Peaks: NVIDIA T4, L4, A100 and H100 (SXM) datasheets, dense FP16/BF16 tensor throughput; the A10G (AWS's
# variant of the A10) is given the A10's. Prices: Hugging Face Spaces / Jobs hardware per hour as listed at
# huggingface.co/pricing when this table was written (2025); toolft cannot re-check them offline.
GPUS: dict[str, Gpu] = {
    "T4": Gpu(15.0, False, 65.0, 0.40, "t4-small"),
    "L4": Gpu(22.5, True, 121.0, 0.80, "l4x1"),
    "A10G": Gpu(22.0, True, 125.0, 1.00, "a10g-small"),
    "A100-40GB": Gpu(40.0, True, 312.0),
    "A100-80GB": Gpu(80.0, True, 312.0, 2.50, "a100-large"),
    # 0.18: the seed recipe's model FLOPs utilisation measured on an H200 (same 16-bit peak as the H100 SXM)
    # by bench/gpu_memory.py (bench/results/gpu_memory_h200.json)
    "H100-80GB": Gpu(79.6, True, 989.0, utilisation=0.18),
}
PRICES_AS_OF = "2025"
UTILISATION = 0.35  # assumed share of the peak a LoRA fine-tune sustains where no measurement is recorded
OVERHEAD_GIB = 1.0  # CUDA context, kernels and allocator fragmentation
FULL_FT_BYTES_PER_PARAM = 16  # mixed-precision AdamW: 16-bit weights and grads + fp32 master and two moments
                              # (Rajbhandari et al. 2020, ZeRO, section 3.1)

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}
ADAM_BYTES_PER_TRAINABLE = 16   # fp32 weight + fp32 gradient + two fp32 Adam moments
# What TRL 1.16's fused LM head and the last layer's backward hold per token, in hidden-size values: the
# least-squares fit to the seven cases of bench/gpu_memory.py on an H200 (bench/results/gpu_memory_h200.json)
HEAD_VALUES_PER_HIDDEN = 25
GIB = 1024 ** 3
MEMORY_NOTE = ("An estimate of peak training memory on one device with a batch of max_length rows: frozen "
               "weights, the LoRA adapter with its gradients and Adam state, activations, TRL's fused loss head "
               "and 1 GB for the CUDA context and fragmentation. Checked on an H200 for Qwen3-0.6B to 8B: within "
               "-1% to +7% of the measured peak (bench/gpu_memory.py).")


# ------------------------------------------------------------------- configs

def model_config(name_or_path: str):
    """Return the ``transformers`` config of a base model without downloading weights.

    * ``tiny-qwen3``: the built model's ``config.json`` when it exists, otherwise the
      config :func:`toolft.tiny.build_tiny_model` would write (from :class:`TinySpec`),
      so planning never triggers the two-minute build;
    * a local folder: its ``config.json``;
    * a Hub id: the cached ``config.json`` (``HF_HUB_OFFLINE`` is honoured); if that
      fails, :data:`KNOWN_CONFIGS` for the Qwen3 sizes toolft knows; for other ids,
      when online, only the small ``config.json`` is fetched.

    Raises ``ValueError("cannot read the model config of X: ...")`` otherwise.

    Example (online)::

        model_config("Qwen/Qwen3-1.7B").hidden_size   # 2048
    """
    from transformers import AutoConfig, Qwen3Config

    name = str(name_or_path).strip()
    if name == TINY_NAME:
        folder = tiny_model_dir()
        if (folder / "config.json").is_file():
            return AutoConfig.from_pretrained(str(folder))
        return TinySpec().config()
    if Path(name).expanduser().is_dir():
        try:
            return AutoConfig.from_pretrained(str(Path(name).expanduser()))
        except Exception as exc:  # noqa: BLE001 - any loader error becomes one clear message
            raise ValueError(f"cannot read the model config of {name}: {_first_line(exc)}") from None
    try:
        return AutoConfig.from_pretrained(name, local_files_only=True)
    except Exception as exc:  # noqa: BLE001
        cache_error = exc
    if name in KNOWN_CONFIGS:
        return Qwen3Config(**KNOWN_CONFIGS[name])
    try:
        return AutoConfig.from_pretrained(name)  # offline mode makes this cache-only
    except Exception as exc:  # noqa: BLE001
        known = ", ".join(KNOWN_CONFIGS)
        raise ValueError(
            f"cannot read the model config of {name}: it is not a local folder, its config.json is not in "
            f"the Hugging Face cache and could not be fetched ({_first_line(exc) or _first_line(cache_error)}); "
            f"models that plan offline: {TINY_NAME}, {known}"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _text_config(config):
    getter = getattr(config, "get_text_config", None)
    return getter() if callable(getter) else config


# -------------------------------------------------------------- param counts

@functools.lru_cache(maxsize=16)
def _shape_summary(config_json: str, config_class: type) -> tuple[int, tuple[tuple[str, int, int], ...]]:
    """``(total params, ((name, in, out) for every nn.Linear except the output layer))``.

    Cached by the config's JSON: building even a meta model takes about a second.
    """
    import json

    import torch
    from torch import nn
    from transformers import AutoModelForCausalLM

    config = config_class.from_dict(json.loads(config_json))
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    total = sum(p.numel() for p in model.parameters())  # parameters() yields a tied weight once
    output = model.get_output_embeddings()
    linears = tuple(
        (name, module.in_features, module.out_features)
        for name, module in model.named_modules()
        if isinstance(module, nn.Linear) and module is not output and name.rpartition(".")[2] != "lm_head"
    )
    return total, linears


def _targets(target_modules: str) -> list[str] | None:
    """``None`` for all-linear, else the stripped comma-separated names (the recipe's own rule)."""
    from toolft.recipe import LoraSettings

    return LoraSettings(target_modules=target_modules).target_list()


def _chosen_linears(config, target_modules: str) -> tuple[int, tuple[tuple[str, int, int], ...]]:
    """``(total params, the (name, in, out) linear layers LoRA targets)``; see :func:`count_params`."""
    total, linears = _shape_summary(config.to_json_string(use_diff=False), type(config))
    wanted = _targets(target_modules)
    if wanted is None:
        return total, linears
    chosen = tuple(lin for lin in linears if any(lin[0] == t or lin[0].endswith("." + t) for t in wanted))
    if not chosen:
        names = sorted({lin[0].rpartition(".")[2] for lin in linears})
        raise ValueError(f"target_modules {target_modules!r} match no linear layer of the model; "
                         f"its linear layers are: {', '.join(names)}")
    return total, chosen


def count_params(config, lora_r: int, target_modules: str) -> tuple[int, int]:
    """Return ``(total, trainable_lora)`` parameter counts, exactly.

    ``total`` counts the base model's parameters as they sit in memory (tied input and
    output embeddings once). LoRA adds ``A`` (r x in) and ``B`` (out x r) to each
    targeted ``nn.Linear``: ``r * (in + out)`` trainable parameters. Targets are chosen
    as PEFT does: ``all-linear`` is every linear layer except the output layer
    ``lm_head``; otherwise a comma-separated list of names, each matching a module
    whose name is that name or ends with ``.name`` (``q_proj`` matches
    ``model.layers.0.self_attn.q_proj``). A list that matches nothing raises
    ``ValueError``, as PEFT would at training time.

    Example (online)::

        count_params(model_config("Qwen/Qwen3-1.7B"), 16, "all-linear")[1]   # 17432576
    """
    total, chosen = _chosen_linears(config, target_modules)
    return total, sum(lora_r * (fan_in + fan_out) for _, fan_in, fan_out in chosen)


def lora_input_width(config, target_modules: str) -> int:
    """Input features summed over the LoRA-targeted linear layers of one decoder layer (an average
    over layers): the width of what LoRA dropout copies per token and layer. Qwen3-1.7B, all
    linear layers: q, k, v, gate, up read ``hidden`` (2048 each), o reads heads x head_dim (2048),
    down reads ``intermediate`` (6144): 18,432."""
    _, chosen = _chosen_linears(config, target_modules)
    layers = max(_text_config(config).num_hidden_layers, 1)
    return round(sum(fan_in for _, fan_in, _ in chosen) / layers)


# ---------------------------------------------------------------------- rows

def count_rows(recipe) -> int:
    """Rows the run will see before the split: ``sample_rows`` for the bundled sample,
    else the number of valid rows of ``data.train_file`` (invalid rows are skipped by
    training too). Raises ``ValueError`` with the file's problem if it cannot be used."""
    from toolft.data.records import DataFileError, load_records

    source = recipe.data.train_file.strip()
    if source == "sample":
        return int(recipe.data.sample_rows)
    try:
        result = load_records(source)
    except DataFileError as exc:
        raise ValueError(str(exc)) from None
    if not result.records:
        first = result.errors[0] if result.errors else None
        detail = f"; line {first.line} {first.field}: {first.message}".replace(" :", ":") if first else ""
        raise ValueError(f"{source}: none of its {result.total} rows is valid{detail}")
    return len(result.records)


# ------------------------------------------------------------ token lengths

def training_lengths(recipe) -> tuple[list[int] | None, str]:
    """``(token lengths of the run's training rows, or None; a note saying where they come from)``.

    The rows are the ones the run will train on (:func:`toolft.train.load_training_rows`:
    the same sample or file, the same split), rendered with the model's chat template as
    the trainer renders them and counted with its tokenizer (``toolft.data.render.row_lengths``;
    rows the template fails on are left out, as training leaves them out). ``None`` when the
    tokenizer cannot be had here (a Hub model offline and not cached) or no row renders: the
    plan then counts every row at ``max_length``. Successes are cached per data source and
    model (by content stamp: a rewritten file or model folder is counted again), so the Recipe
    tab re-plans every edit without counting again; failures are not cached.
    """
    d = recipe.data
    source = d.train_file.strip()
    model = recipe.model.name_or_path
    try:
        data_stamp = None if source == "sample" else _stamp(Path(source))
        model_stamp = _stamp(Path(model).expanduser() / "tokenizer_config.json") if Path(model).expanduser().is_dir() \
            else None
    except OSError:
        return None, "the data file cannot be read"
    try:
        lengths, note = _training_lengths(model, model_stamp, source, data_stamp, d.sample_rows, d.split_seed,
                                          d.invented_share, d.no_call_share, d.eval_fraction,
                                          recipe.training.assistant_only_loss)
    except _NotMeasured as exc:  # not cached: a tokenizer that appears later (a login, a download) is used then
        return None, str(exc)
    return list(lengths), note


def _stamp(path: Path) -> tuple[int, int, int]:
    """What tells a changed file apart: modification time, size and inode."""
    st = path.stat()
    return st.st_mtime_ns, st.st_size, st.st_ino


class _NotMeasured(Exception):
    """Raised inside the cached counter so that a failure is never cached."""


@functools.lru_cache(maxsize=8)
def _training_lengths(model: str, model_stamp, source: str, data_stamp, sample_rows: int, split_seed: int,
                      invented_share: float, no_call_share: float, eval_fraction: float,
                      assistant_only_loss: bool) -> tuple[tuple[int, ...], str]:
    from toolft.data.render import TemplateError, row_lengths, training_chat_template
    from toolft.modeling import load_tokenizer
    from toolft.recipe import Recipe

    try:
        tokenizer = load_tokenizer(model)
    except Exception as exc:  # noqa: BLE001 - offline, gated, missing: any failure means "not measured"
        raise _NotMeasured(f"the tokenizer of {model} is not available here ({_first_line(exc)})") from None
    recipe = Recipe()
    recipe.model.name_or_path = model
    recipe.data.train_file, recipe.data.sample_rows = source, sample_rows
    recipe.data.split_seed, recipe.data.eval_fraction = split_seed, eval_fraction
    recipe.data.invented_share, recipe.data.no_call_share = invented_share, no_call_share
    recipe.training.assistant_only_loss = assistant_only_loss
    from toolft.train import load_training_rows

    try:
        train_rows, _, _ = load_training_rows(recipe)
        template = training_chat_template(tokenizer, assistant_only_loss, model)
        counted = row_lengths(tokenizer, train_rows, template, assistant_only_loss)
    except (ValueError, OSError, TemplateError) as exc:
        raise _NotMeasured(f"the rows could not be rendered ({_first_line(exc)})") from None
    lengths = tuple(row.total for row in counted if row.total > 0)  # rows the template failed on are not trained
    if not lengths:
        raise _NotMeasured("the chat template renders none of the training rows")
    return lengths, f"the token lengths of the {len(lengths)} training rows, counted with {model}'s tokenizer"


def padded_tokens_per_row(lengths: list[int], batch: int, max_length: int, seed: int = 0, rounds: int = 4,
                          group_by_length: bool = False, accumulation: int = 1) -> float:
    """Tokens the model processes per training row once batches are padded to their longest row.

    Rows are cut at ``max_length``; the Trainer draws batches in a random order, so this
    averages ``rounds`` seeded shuffles: sum over batches of (longest row x rows in it), over
    the rows. ``[100, 300]`` in one batch of 2 costs 300 a row. With ``group_by_length`` the
    order is transformers' ``LengthGroupedSampler``'s
    (``transformers.trainer_pt_utils.get_length_grouped_indices``): shuffled "megabatches" of
    ``min(rows // (4 x batch x accumulation), 50)`` effective batches, each sorted longest
    first, then cut into batches.

    >>> padded_tokens_per_row([100, 300], batch=2, max_length=2048)
    300.0
    >>> padded_tokens_per_row([100, 300, 5000], batch=1, max_length=2048)
    816.0
    >>> rows = [100, 300] * 40  # grouped: most batches hold one length only
    >>> padded_tokens_per_row(rows, 4, 2048), padded_tokens_per_row(rows, 4, 2048, group_by_length=True)
    (285.0, 215.0)
    """
    import random

    cut = [min(n, max_length) for n in lengths if n > 0]
    if not cut:
        return float(max_length)
    rng = random.Random(seed)
    megabatch = max(min(len(cut) // (batch * accumulation * 4), 50), 1) * batch * accumulation
    total = 0
    for _ in range(rounds):
        order = rng.sample(cut, len(cut))
        if group_by_length:
            order = [n for i in range(0, len(order), megabatch)
                     for n in sorted(order[i:i + megabatch], reverse=True)]
        total += sum(max(order[i:i + batch]) * len(order[i:i + batch]) for i in range(0, len(order), batch))
    return round(total / (rounds * len(cut)), 1)


# --------------------------------------------------------------------- dtype

def run_dtype(setting: str) -> str:
    """The weight dtype name a run will use here (see :func:`toolft.modeling.pick_dtype`):
    the recipe's, or for ``auto`` float32 without CUDA, bfloat16 / float16 with it."""
    from toolft.modeling import pick_dtype

    return str(pick_dtype(setting)).removeprefix("torch.")


# --------------------------------------------------------------------- plan

def memory_estimate(config, total: int, trainable: int, dtype: str, batch: int, seq: int,
                    checkpointing: bool, lora_dropout_width: int = 0) -> dict[str, float]:
    """Peak training memory in GiB (2**30 bytes, the unit ``torch.cuda`` reports), 2 decimals.

    * ``weights`` = total params x bytes(dtype): the frozen base model.
    * ``adapter_and_optimizer`` = trainable x 16 bytes: PEFT keeps the LoRA weights in
      float32, plus their float32 gradients and AdamW's two float32 moments.
    * ``activations`` for batch ``b`` and sequence ``s`` = max_length (padding makes the
      longest rows cost the full length), with ``h`` hidden, ``m`` intermediate size and
      ``L`` layers, in the compute dtype. One decoder layer stores about
      ``b*s*(10h + 3m)`` values for the backward pass: the residual input and the two
      RMSNorm outputs, q/k/v, the attention output and o_proj output (~10h in all), and
      the MLP's gate, up and gated product (3m). With LoRA dropout above 0 each targeted
      layer also keeps its dropped-out input and the dropout mask (one byte a value):
      ``lora_dropout_width`` (:func:`lora_input_width`) more values and bytes a token.
      Without gradient checkpointing all ``L`` layers keep that; with it only each
      layer's input (``L*b*s*h``) is kept and one layer's full set is rebuilt at a time.
    * ``logits`` (the loss head): TRL's fused LM head never builds the ``b*s*vocab`` logits; what the
      head and the last layer's backward hold is :data:`HEAD_VALUES_PER_HIDDEN` x ``h``
      values a token, a figure fitted to measurements (below).
    * ``overhead``: :data:`OVERHEAD_GIB` for the CUDA context and fragmentation.

    Checked against peak memory measured by ``bench/gpu_memory.py`` on an H200 (TRL 1.16,
    PEFT 0.21; results in ``bench/results/gpu_memory_h200.json``): for Qwen3-0.6B, 1.7B, 4B
    and 8B, batch 1-4, 1024-2048 tokens, checkpointing on and off, the estimated total is
    within -1% to +7% of the measured peak (context and fragmentation included); the seed
    recipe: 7.14 GiB estimated, 6.93 GiB measured.
    """
    text = _text_config(config)
    width = DTYPE_BYTES.get(dtype, 4)
    hidden, inter = text.hidden_size, text.intermediate_size
    layers = text.num_hidden_layers
    tokens = batch * seq
    per_layer = tokens * ((10 * hidden + 3 * inter) * width + lora_dropout_width * (width + 1))
    if checkpointing:
        layer_acts = layers * tokens * hidden * width + per_layer
    else:
        layer_acts = layers * per_layer
    parts = {
        "weights": total * width,
        "adapter_and_optimizer": trainable * ADAM_BYTES_PER_TRAINABLE,
        "activations": layer_acts,
        "logits": tokens * HEAD_VALUES_PER_HIDDEN * hidden * width,
        "overhead": OVERHEAD_GIB * GIB,
    }
    parts["total"] = sum(parts.values())
    return {k: round(v / GIB, 2) for k, v in parts.items()}


def plan(recipe, rows: int | None = None) -> dict:
    """Describe what a recipe's run will do, without loading the model or the data.

    ``rows`` overrides the row count (else :func:`count_rows`). Returns a JSON-ready dict:
    ``model``, ``dtype``, ``total_params``, ``trainable_params``, ``trainable_percent``
    (trainable / (base + trainable), as PEFT's ``print_trainable_parameters`` shows it),
    ``rows``, ``train_rows``, ``eval_rows``, ``effective_batch`` (batch x accumulation),
    ``steps_per_epoch`` (ceil(ceil(train_rows / batch) / accumulation), as the Trainer
    counts), ``total_steps`` (``max_steps`` if > 0, else ceil(epochs x steps_per_epoch)),
    ``warmup_steps`` (ceil(warmup_ratio x total_steps)), ``epochs``, ``max_length``,
    ``gradient_checkpointing``, ``memory_gb`` (see :func:`memory_estimate`, at this
    machine's dtype) and ``memory_note``; per GPU of :data:`GPUS` (at the dtype that GPU
    would use): ``fits`` (LoRA), ``full_finetune`` (``memory_gb``, ``fits``: every
    parameter trained, :data:`FULL_FT_BYTES_PER_PARAM` bytes each), ``hours`` (training
    FLOPs over the GPU's 16-bit peak times its utilisation: measured where
    ``gpus[g]["utilisation_measured"]``, else :data:`UTILISATION`) and ``cost_usd`` (where Hugging Face rents
    it): estimates, with ``gpus`` and ``time_note`` saying what they assume. Raises ``ValueError`` if
    the model config or the data cannot be read.

    >>> from toolft.recipe import Recipe
    >>> r = Recipe()
    >>> r.training.per_device_train_batch_size, r.training.gradient_accumulation_steps = 4, 2
    >>> p = plan(r, rows=100)                     # tiny-qwen3 is not built for this
    >>> p["train_rows"], p["eval_rows"], p["steps_per_epoch"], p["total_steps"], p["warmup_steps"]
    (90, 10, 12, 36, 4)
    """
    t, d = recipe.training, recipe.data
    config = model_config(recipe.model.name_or_path)
    total, trainable = count_params(config, recipe.lora.r, recipe.lora.target_modules)
    n = count_rows(recipe) if rows is None else int(rows)
    train_rows, eval_rows = split_sizes(n, d.eval_fraction)
    batch, accum = t.per_device_train_batch_size, t.gradient_accumulation_steps
    steps_per_epoch = max(math.ceil(math.ceil(train_rows / batch) / accum), 1)
    total_steps = t.max_steps if t.max_steps > 0 else math.ceil(t.num_train_epochs * steps_per_epoch)
    dtype = run_dtype(recipe.model.dtype)
    dropout_width = lora_input_width(config, recipe.lora.target_modules) if recipe.lora.dropout > 0 else 0
    memory = memory_estimate(config, total, trainable, dtype, batch, t.max_length, t.gradient_checkpointing,
                             dropout_width)
    lengths, length_note = training_lengths(recipe) if rows is None else (None, "rows given, not read")
    if lengths:  # rows are padded to their batch's longest: measured from the real rows' lengths
        per_row = padded_tokens_per_row(lengths, batch, t.max_length, seed=t.seed,
                                        group_by_length=t.group_by_length, accumulation=accum)
        length_source = "measured"
    else:
        per_row, length_source = float(t.max_length), "max_length"
    tokens = total_steps * batch * accum * per_row
    per_gpu, full_per_gpu, hours, cost = {}, {}, {}, {}
    for name, gpu in GPUS.items():
        gpu_dtype = recipe.model.dtype if recipe.model.dtype != "auto" else ("bfloat16" if gpu.bf16 else "float16")
        per_gpu[name] = memory_estimate(config, total, trainable, gpu_dtype, batch, t.max_length,
                                        t.gradient_checkpointing, dropout_width)["total"] <= gpu.memory_gib
        full = memory_estimate(config, total, 0, gpu_dtype, batch, t.max_length, t.gradient_checkpointing)
        full_gib = full["total"] - full["weights"] + total * FULL_FT_BYTES_PER_PARAM / GIB
        full_per_gpu[name] = (round(full_gib, 2), full_gib <= gpu.memory_gib)
        # forward 2N FLOPs a token, backward 2N more for the activations' gradients (the frozen base needs no
        # weight gradients), and 2N again when checkpointing recomputes the forward
        flops = tokens * total * (6 if t.gradient_checkpointing else 4)
        hours[name] = round(flops / (gpu.peak_tflops * 1e12 * (gpu.utilisation or UTILISATION)) / 3600, 2)
        if gpu.usd_per_hour is not None:
            cost[name] = round(hours[name] * gpu.usd_per_hour, 2)
    return {
        "model": recipe.model.name_or_path,
        "dtype": dtype,
        "total_params": int(total),
        "trainable_params": int(trainable),
        "trainable_percent": round(100 * trainable / (total + trainable), 2),
        "rows": n,
        "train_rows": train_rows,
        "eval_rows": eval_rows,
        "effective_batch": batch * accum,
        "steps_per_epoch": steps_per_epoch,
        "total_steps": int(total_steps),
        "warmup_steps": math.ceil(t.warmup_ratio * total_steps),
        "epochs": t.num_train_epochs,
        "max_length": t.max_length,
        "gradient_checkpointing": bool(t.gradient_checkpointing),
        "tokens_per_row": per_row,
        "mean_row_tokens": round(sum(lengths) / len(lengths), 1) if lengths else None,
        "length_source": length_source,
        "length_note": length_note,
        "memory_gb": memory,
        "memory_note": MEMORY_NOTE,
        "fits": per_gpu,
        "full_finetune": {"memory_gb": {g: m for g, (m, _) in full_per_gpu.items()},
                          "fits": {g: ok for g, (_, ok) in full_per_gpu.items()}},
        "gpus": {name: {"memory_gib": g.memory_gib, "bf16": g.bf16, "peak_tflops": g.peak_tflops,
                        "utilisation": g.utilisation or UTILISATION, "utilisation_measured": g.utilisation is not None,
                        "usd_per_hour": g.usd_per_hour, "hardware": g.hardware} for name, g in GPUS.items()},
        "hours": hours,
        "cost_usd": cost,
        "time_note": (("Time estimate: rows counted at their real token lengths, padded to the longest of each "
                       + ("length-grouped " if t.group_by_length else "") + "batch; "
                       if length_source == "measured" else
                       f"Time estimate: every row counted at max_length ({length_note}; real rows are usually "
                       "shorter); ") +
                      f"{UTILISATION:.0%} of each GPU's 16-bit peak assumed (the H100: 18%, as measured on an H200 for "
                      "the seed recipe), attention's own FLOPs left out; "
                      f"prices from huggingface.co/pricing as of {PRICES_AS_OF}. A running job's ETA comes from "
                      "its measured steps."),
    }
