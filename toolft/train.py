"""The training entry point: read a recipe, write a run folder.

``python -m toolft train RECIPE --run-dir DIR`` runs this module in its own process
(the app starts it as a subprocess, and the same command works under
``accelerate launch``). It goes through fixed phases:

1. **setup**: load and check the recipe, load and split the data, load the model;
2. **train**: TRL's ``SFTTrainer`` with a PEFT LoRA config, assistant-only loss and
   the model's own chat template rendering the ``tools`` column;
3. **save**: the adapter and tokenizer into ``DIR/adapter``;
4. **cleanup**: the final state into ``status.json``.

Progress goes to the run folder (see ``toolft.runfolder``), never only to stdout.
SIGTERM (the app's Cancel button) stops training at the next step and marks the
run ``cancelled``.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import time
import traceback
from pathlib import Path

from toolft.recipe import Recipe, load_recipe, save_recipe
from toolft.runfolder import RunFolder

log = logging.getLogger("toolft.train")


# --------------------------------------------------------------------------- data
def load_training_rows(recipe: Recipe) -> tuple[list[dict], list[dict], list[str]]:
    """Return ``(train_rows, eval_rows, warnings)`` for a recipe's data settings.

    The bundled sample is generated as two parts: training rows, and held-out rows whose
    values come from the sample's held-out pools. A file is shuffled and split by
    ``split_seed``; its invalid rows are skipped with a warning naming their line, and
    a file with no valid row at all raises ValueError.
    """
    from toolft.data.records import load_records, row_category, split_records

    data = recipe.data
    warnings: list[str] = []
    if data.train_file == "sample":
        from toolft.data.records import split_sizes
        from toolft.data.sample import generate_sample

        # held-out rows draw their values (cities, paths, amounts...) from pools that no
        # training row uses, so the run's own scorecard measures copying, not recall
        n_train, n_eval = split_sizes(data.sample_rows, data.eval_fraction)
        train_rows = generate_sample(n_train, seed=data.split_seed, invented_share=data.invented_share,
                                     no_call_share=data.no_call_share)
        eval_rows = generate_sample(n_eval, seed=data.split_seed + 1, pools="heldout") if n_eval else []
        return train_rows, eval_rows, warnings
    result = load_records(data.train_file)
    for err in result.errors[:20]:
        warnings.append(f"line {err.line}: {err.field + ': ' if err.field else ''}{err.message} (row skipped)")
    if len(result.errors) > 20:
        warnings.append(f"... and {len(result.errors) - 20} more invalid rows skipped")
    rows = result.records
    if not rows:
        raise ValueError(f"{data.train_file}: no valid rows to train on ({len(result.errors)} invalid)")
    # stratified by row kind: the Data tab saves this same split beside the dataset
    train_rows, eval_rows = split_records(rows, data.eval_fraction, data.split_seed, key=row_category)
    return train_rows, eval_rows, warnings


def to_dataset(records: list[dict], tokenizer, recipe: Recipe, lines: list[int] | None = None):
    """Pre-tokenised ``datasets.Dataset`` of ``input_ids`` and ``labels`` for TRL's SFTTrainer.

    Each row goes through :func:`toolft.data.render.tokenize_row`, the one path the Data
    tab's inspector shows: arguments reach the chat template as objects, and Arrow only
    ever types lists of ints (arguments of mixed shapes or ids of mixed types never reach
    it). TRL then truncates at ``max_length``; rows left with no trained token are
    skipped here with a warning naming their line, where TRL would drop them silently.

    Raises:
        toolft.data.render.TemplateError: the model's template cannot train this way.
    """
    from datasets import Dataset

    from toolft.data.render import IGNORE_INDEX, tokenize_row, training_chat_template

    t = recipe.training
    template = training_chat_template(tokenizer, t.assistant_only_loss, recipe.model.name_or_path)
    columns: dict[str, list] = {"input_ids": [], "labels": []}
    for i, record in enumerate(records):
        row = tokenize_row(tokenizer, record, template, t.assistant_only_loss)
        if all(label == IGNORE_INDEX for label in row["labels"][: t.max_length]):
            where = f"line {lines[i]}" if lines else f"row {i + 1}"
            log.warning("%s: no trained token within max_length %d (row skipped)", where, t.max_length)
            continue
        columns["input_ids"].append(row["input_ids"])
        columns["labels"].append(row["labels"])
    return Dataset.from_dict(columns)


# --------------------------------------------------------------------------- trainer config
def sft_config(recipe: Recipe, output_dir: Path, has_eval: bool):
    """Map the recipe onto TRL's ``SFTConfig`` (the only place that knows TRL's names)."""
    import torch
    from trl import SFTConfig

    from toolft.modeling import pick_mixed_precision

    t = recipe.training
    on_gpu = torch.cuda.is_available()
    precision = pick_mixed_precision(t.mixed_precision)
    if precision == "fp16" and not on_gpu:
        raise ValueError("training.mixed_precision: fp16 needs a CUDA GPU; use bf16 or no on CPU")
    return SFTConfig(
        output_dir=str(output_dir),
        learning_rate=t.learning_rate,
        per_device_train_batch_size=t.per_device_train_batch_size,
        per_device_eval_batch_size=t.per_device_train_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        num_train_epochs=t.num_train_epochs,
        max_steps=t.max_steps,
        warmup_steps=t.warmup_ratio,  # transformers 5: a float below 1 is a share of the total steps
        lr_scheduler_type=t.lr_scheduler_type,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        neftune_noise_alpha=t.neftune_noise_alpha or None,  # transformers adds the noise in training mode only
        max_length=t.max_length,
        activation_checkpointing=t.gradient_checkpointing,  # transformers 5 name of gradient checkpointing
        # the rows arrive tokenised with their labels (to_dataset), assistant-only masking included
        assistant_only_loss=False,
        packing=False,  # packing and padding-free need FlashAttention, which a T4 lacks
        logging_steps=t.logging_steps,
        eval_strategy=("steps" if t.eval_steps else "epoch") if has_eval else "no",
        eval_steps=t.eval_steps or None,
        save_strategy="steps",  # checkpoints/checkpoint-STEP: what `toolft runs resume` continues from
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        report_to="none",
        seed=t.seed,
        use_cpu=not on_gpu,
        bf16=precision == "bf16",
        fp16=precision == "fp16",  # on a T4: fp16 base weights, LoRA weights kept in fp32 by PEFT
        dataloader_num_workers=0,
        disable_tqdm=True,
        # batches of similar lengths: transformers' LengthGroupedSampler (random order of shuffled megabatches)
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
    )


def lora_config(recipe: Recipe):
    from peft import LoraConfig

    return LoraConfig(
        r=recipe.lora.r,
        lora_alpha=recipe.lora.alpha,
        lora_dropout=recipe.lora.dropout,
        target_modules=recipe.lora.target_list() or "all-linear",
        bias="none",
        task_type="CAUSAL_LM",
    )


def trainer_class(loraplus_lr_ratio: float = 1.0):
    """TRL's ``SFTTrainer``; with a LoRA+ ratio above 1, a subclass whose optimizer gives the adapters'
    B matrices ``loraplus_lr_ratio`` times the learning rate of everything else (LoRA+: Hayou, Ghosh and
    Yu 2024, arXiv 2402.12354; the groups come from ``peft.optimizers.create_loraplus_optimizer``). The
    optimizer's class and settings (AdamW, betas, fused or not) are the Trainer's own for the recipe, and
    a resumed run restores the state of this same optimizer.

    >>> trainer_class().__name__, trainer_class(8).__name__
    ('SFTTrainer', 'LoraPlusSFTTrainer')
    """
    from trl import SFTTrainer

    if loraplus_lr_ratio == 1:
        return SFTTrainer

    class LoraPlusSFTTrainer(SFTTrainer):
        def create_optimizer(self, model=None):
            if self.optimizer is None:
                from peft.optimizers import create_loraplus_optimizer

                optimizer_cls, kwargs = self.get_optimizer_cls_and_kwargs(self.args, self.model)
                kwargs.pop("lr", None)
                self.optimizer = create_loraplus_optimizer(
                    self.model if model is None else model, optimizer_cls, lr=self.args.learning_rate,
                    loraplus_lr_ratio=loraplus_lr_ratio, loraplus_weight_decay=self.args.weight_decay, **kwargs)
            return self.optimizer

    return LoraPlusSFTTrainer


def _progress_callback(run: RunFolder, cancel_requested):
    from transformers import TrainerCallback

    class RunFolderCallback(TrainerCallback):
        """Mirror the trainer's logs into metrics.jsonl and its progress into status.json."""

        def on_train_begin(self, args, state, control, **kwargs):
            if not state.is_world_process_zero:  # under accelerate launch, rank 0 alone writes
                return
            # train_started_at excludes data and model loading, so ETAs use step time only; a resumed run
            # starts at its checkpoint's step (train_started_step), so the ETA counts only steps done here
            run.write_status(state="running", step=state.global_step, total_steps=state.max_steps,
                             train_started_at=time.time(), train_started_step=state.global_step)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero:
                return
            logs = dict(logs or {})
            event = "eval" if "eval_loss" in logs else ("end" if "train_runtime" in logs else "train")
            record = {"event": event, "step": state.global_step, "epoch": round(state.epoch or 0.0, 4),
                      "time": time.time()}
            # NaN / inf are written as null (JSON has no NaN): `runs diagnose` reads them as divergence
            record.update({k: (v if math.isfinite(v) else None) for k, v in logs.items() if isinstance(v, (int, float))})
            run.append_metrics(record)
            log.info("step %s/%s %s", state.global_step, state.max_steps,
                     " ".join(f"{k}={v:.4g}" for k, v in logs.items() if isinstance(v, float)))

        def on_step_end(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                run.write_status(step=state.global_step, total_steps=state.max_steps, epoch=state.epoch)
            if cancel_requested():
                control.should_training_stop = True
                control.should_save = True  # a cancelled run keeps its last step: it can be resumed

    return RunFolderCallback()


# --------------------------------------------------------------------------- the run
def run_training(recipe_path: str | Path, run_dir: str | Path, resume: bool = False) -> int:
    """Train according to ``recipe_path`` into ``run_dir``; return a process exit code.

    ``resume``: continue the run in ``run_dir`` from its last checkpoint, on its saved data
    split, with the step count, learning-rate schedule and data order carried on (the
    Trainer restores them from the checkpoint); new metrics are appended to the same curves.
    Never raises: failures are written to ``status.json`` (``state: failed`` and
    ``error``) and the traceback to ``train.log``.
    """
    from accelerate import PartialState

    # Under `accelerate launch` every process runs this function; only the main one writes the run folder.
    main = PartialState().is_main_process
    run = RunFolder(Path(run_dir)) if main else _ReadOnlyRun(Path(run_dir))
    run.path.mkdir(parents=True, exist_ok=True)
    _log_to(run.log_path if main else None)
    cancelled = {"flag": False}

    def on_sigterm(signum, frame):
        cancelled["flag"] = True
        log.warning("cancel requested: stopping after the current step")

    signal.signal(signal.SIGTERM, on_sigterm)
    from toolft.runs import process_start_time

    checkpoint = run.last_checkpoint() if resume else None
    if resume:
        # the step clock starts again once training does (train_started_*), never from the first attempt's
        run.write_status(state="running", error=None, finished_at=None, resumed_from=checkpoint and checkpoint.name,
                         train_started_at=None, train_started_step=None,
                         pid=os.getpid(), pid_started=process_start_time(os.getpid()))
    else:
        run.write_status(state="running", started_at=time.time(), step=0, total_steps=None, error=None,
                         pid=os.getpid(), pid_started=process_start_time(os.getpid()))
    try:
        # setup
        recipe = load_recipe(recipe_path)
        if main and Path(recipe_path).resolve() != run.recipe_path.resolve():
            save_recipe(recipe, run.recipe_path)
        if resume and checkpoint is None:
            raise FileNotFoundError(f"{run.name} has no complete checkpoint to resume from")
        if checkpoint is not None and main:
            log.info("resuming from %s", checkpoint.name)
            _drop_metrics_after(run, int(checkpoint.name.split("-")[-1]))
        trainer = _setup_trainer(recipe, run, lambda: cancelled["flag"], resume=resume)
        # train
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        if cancelled["flag"]:
            run.write_status(state="cancelled", finished_at=time.time())
            log.info("run cancelled")
            return 1
        # save
        trainer.save_model(str(run.adapter_path))  # saves on the main process only
        if main:
            trainer.processing_class.save_pretrained(str(run.adapter_path))
        run.write_status(state="completed", finished_at=time.time())
        log.info("training completed; adapter saved to %s", run.adapter_path)
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure must end up in status.json
        log.error("training failed:\n%s", traceback.format_exc())
        state = "cancelled" if cancelled["flag"] else "failed"
        run.write_status(state=state, error=f"{type(exc).__name__}: {exc}{_advice(exc)}", finished_at=time.time())
        return 1
    finally:
        # cleanup
        logging.getLogger().handlers.clear()


def _drop_metrics_after(run: RunFolder, step: int) -> None:
    """Forget logged events past ``step`` (the checkpoint a resume starts from): they are trained again,
    and the curve must not show those steps twice."""
    import json

    if not run.metrics_path.is_file():
        return
    kept = [line for line in run.metrics_path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= step]
    tmp = run.metrics_path.with_suffix(".tmp")
    tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
    os.replace(tmp, run.metrics_path)


def _advice(exc: BaseException) -> str:
    """A concrete next step for failures with a known cure (out of memory), else ""."""
    text = f"{type(exc).__name__}: {exc}".lower()
    if "out of memory" in text or "outofmemory" in text or "can't allocate memory" in text:
        return (" | Out of memory: lower training.per_device_train_batch_size (raise gradient_accumulation_steps "
                "to keep the effective batch) or training.max_length, or turn training.gradient_checkpointing on, "
                "and start a new run (a resumed run keeps its recipe).")
    return ""


def _saved_split(run: RunFolder) -> tuple[list[dict], list[dict], list[str]]:
    """A run's own data split (``data/train.jsonl``, ``data/eval.jsonl``), as written when it started."""
    from toolft.data.records import load_records

    train = load_records(run.data_dir / "train.jsonl").records
    held = run.data_dir / "eval.jsonl"
    return train, (load_records(held).records if held.is_file() and held.stat().st_size else []), []


def _setup_trainer(recipe: Recipe, run: RunFolder, cancel_requested, resume: bool = False):
    from transformers import PrinterCallback

    from toolft.data.files import write_jsonl
    from toolft.modeling import load_base_model, load_tokenizer, resolve_model_path
    from toolft.preflight import check_or_raise

    # the same check as the CLI and the app, before anything loads (a resumed run trains on its saved split)
    for problem in check_or_raise(recipe, data=not resume):
        log.warning("%s", problem)
    train_rows, eval_rows, warnings = _saved_split(run) if resume else load_training_rows(recipe)
    for warning in warnings:
        log.warning(warning)
    if not isinstance(run, _ReadOnlyRun) and not resume:
        write_jsonl(train_rows, run.data_dir / "train.jsonl")
        write_jsonl(eval_rows, run.data_dir / "eval.jsonl")
    log.info("data: %d training rows, %d held out", len(train_rows), len(eval_rows))

    _build_tiny_if_needed(recipe, run)
    tokenizer = load_tokenizer(recipe.model.name_or_path)
    model = load_base_model(recipe.model.name_or_path, recipe.model.dtype)
    # the exact base the adapter is trained on (tiny-qwen3 resolves to a folder per build spec),
    # so a later toolft with another tiny spec still pairs this adapter with its own base
    run.write_status(base_model_path=resolve_model_path(recipe.model.name_or_path))
    log.info("model: %s (%s parameters)", recipe.model.name_or_path, f"{model.num_parameters():,}")
    if not score_trained_positions_only():
        log.info("this TRL has no compact-path switch: on CPU it scores every position (slower, same loss)")
    if recipe.lora.loraplus_lr_ratio != 1:
        log.info("LoRA+: the adapters' B matrices learn at %g x the learning rate", recipe.lora.loraplus_lr_ratio)
    trainer = trainer_class(recipe.lora.loraplus_lr_ratio)(
        model=model,
        args=sft_config(recipe, run.path / "checkpoints", has_eval=bool(eval_rows)),
        train_dataset=to_dataset(train_rows, tokenizer, recipe),
        eval_dataset=to_dataset(eval_rows, tokenizer, recipe) if eval_rows else None,
        processing_class=tokenizer,
        peft_config=lora_config(recipe),
        callbacks=[_progress_callback(run, cancel_requested)],
    )
    # our callback logs each event once, formatted; the Trainer's printer would repeat it as a dict
    trainer.remove_callback(PrinterCallback)
    return trainer


def score_trained_positions_only() -> bool:
    """Make TRL's fused LM head project only the positions that carry a label on CPU, as it does on CUDA.

    TRL 1.16's ``add_fused_lm_head`` (``trl/trainer/utils.py``) computes the per-token log-probabilities
    of the trained positions only where Triton runs (CUDA, XPU). Elsewhere it scores every position of
    the batch, so that a graph compiler (its comment names Neuron) sees the same shapes on every batch.
    Eager CPU has no such compiler, and with assistant-only loss most positions are prompt (12% of
    the positions of a ``tiny-cpu`` batch carry a label), so the vocabulary projection and its backward
    ran on about eight times the positions that count. The loss and gradients are the same either way
    (tested); a ``tiny-cpu`` step is 1.44x faster (``bench/train_step.py``, forward and backward) and a
    whole run 1.5x (2.07 against 1.38 steps a second, ``bench/tiny_copying.md`` section 10).

    Only the decision between the two paths changes (the name TRL's fused forward reads on each call);
    the kernel keeps its own device check. Idempotent. Returns False, changing nothing, when this TRL
    has no such decision to make.
    """
    try:
        from trl.trainer import utils as trl_utils
    except ImportError:
        return False
    decide = getattr(trl_utils, "_use_triton", None)
    if decide is None:
        return False
    if getattr(decide, "toolft_cpu_compact", False):
        return True

    def compact_on_cpu(device) -> bool:
        return device.type == "cpu" or decide(device)

    compact_on_cpu.toolft_cpu_compact = True
    trl_utils._use_triton = compact_on_cpu
    return True


def _build_tiny_if_needed(recipe: Recipe, run: RunFolder) -> None:
    """Build tiny-qwen3 on its first use, with its progress in ``status.json`` (``phase``) for the app to show."""
    from toolft.tiny import TINY_NAME, ensure_tiny_model, tiny_model_ready

    if recipe.model.name_or_path != TINY_NAME or tiny_model_ready():
        return
    phase = f"building {TINY_NAME} (first use only, then cached)"

    def progress(step: int, total: int, eta: float) -> None:
        run.write_status(phase=phase, phase_step=step, phase_total=total, phase_eta_s=round(eta))

    run.write_status(phase=phase, phase_step=0, phase_total=None, phase_eta_s=None)
    ensure_tiny_model(log=log.info, progress=progress)
    run.write_status(phase=None, phase_step=None, phase_total=None, phase_eta_s=None)


class _ReadOnlyRun(RunFolder):
    """The run folder as seen by a non-main process: it reads, but never writes status or metrics."""

    def write_status(self, **fields) -> dict:
        return self.read_status()

    def append_metrics(self, record: dict) -> None:
        return None


def _same_file(path: Path, fd: int) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _log_to(path: Path | None) -> None:
    """Send toolft's and the libraries' log records to train.log and stderr.

    When the app runs us, stderr already *is* train.log (the runner redirects it),
    so the file handler is skipped there to avoid every line appearing twice.
    """
    import sys

    root = logging.getLogger()
    root.handlers.clear()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    if path is not None:
        path.touch()
    handlers = [logging.StreamHandler(sys.stderr)]
    if path is not None and not _same_file(path, sys.stderr.fileno()):
        handlers.append(logging.FileHandler(path, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(fmt)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    # accelerate repeats "The used dataset had no length..." at INFO for every evaluation batch on a GPU
    for noisy in ("httpx", "urllib3", "filelock", "accelerate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
