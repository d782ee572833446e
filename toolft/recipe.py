"""The recipe: the one description of a fine-tuning run.

A recipe is a tree of dataclasses (model, LoRA, training, data). Each field carries
its help text, its allowed choices or range in ``metadata``; that single schema
feeds YAML presets, the CLI, the trainer and the UI's inputs and tooltips.

YAML is loaded with ``safe_load`` and unknown keys are rejected (with a "did you
mean" hint), so a typo never silently falls back to a default.

>>> r = load_recipe("tiny-cpu"); r.model.name_or_path
'tiny-qwen3'
>>> [e.field for e in replace_field(r, "training.learning_rate", -1.0).validate()]
['training.learning_rate']
"""

from __future__ import annotations

import copy
import dataclasses
import math
import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path

PRESETS_DIR = Path(__file__).parent / "presets"


def _f(default, help: str, **meta):
    """A dataclass field with help text and optional ``choices``/``min``/``max``/``min_exclusive``."""
    return field(default=default, metadata={"help": help, **meta})


@dataclass
class ModelSettings:
    name_or_path: str = _f(
        "tiny-qwen3",
        "The model the adapter is trained on: a Hub id such as Qwen/Qwen3-1.7B, a local folder in "
        "the same layout, or tiny-qwen3 (toolft's offline CPU demo). Bigger models call tools better but "
        "need more memory and time; the plan shows whether it fits.",
    )
    dtype: str = _f(
        "auto",
        "Number format of the frozen base weights. auto is right almost always: bfloat16 on GPUs "
        "that have it, float16 on a T4, float32 on CPU. float32 on a GPU doubles the weights' memory; "
        "bfloat16 on a T4 is emulated and slow.",
        choices=["auto", "float32", "float16", "bfloat16"],
    )


@dataclass
class LoraSettings:
    r: int = _f(16, "LoRA rank: how many directions each adapter can learn. Usual: 8-64 (16 for a few "
                    "thousand rows). Too low cannot hold the task; too high adds memory and overfits small data.", min=1, max=512)
    alpha: int = _f(32, "Scales the adapter's output by alpha / rank. Usual: twice the rank. Higher acts like "
                        "a larger learning rate (unstable if much higher); lower makes the adapter learn slowly.", min=1, max=4096)
    dropout: float = _f(0.05, "Share of the adapter's inputs zeroed at random while training. Usual: 0-0.1. It "
                              "guards a small dataset against memorising; high values slow learning.", min=0.0, max=0.9)
    loraplus_lr_ratio: float = _f(1.0, "LoRA+: the adapters' B matrices learn this many times faster than their A "
                                       "matrices (Hayou et al. 2024, arXiv 2402.12354). 1 is plain LoRA. The paper "
                                       "suggests about 16, with the learning rate a little under plain LoRA's. On "
                                       "tiny-qwen3, 8 at a quarter of tiny-cpu's rate trained well but was no better "
                                       "than plain LoRA over five runs. Too high a B rate diverges.",
                                  min=1.0, max=64.0)
    target_modules: str = _f("all-linear", "Which layers get adapters: all-linear (every attention and MLP projection: the "
                                           "closest to full fine-tuning, the usual choice) or a comma-separated "
                                           "list such as q_proj,v_proj (fewer parameters, learns less).")

    def target_list(self) -> list[str] | None:
        """``None`` for all-linear, else the comma-separated module names, stripped.

        >>> LoraSettings(target_modules=" q_proj, v_proj ").target_list()
        ['q_proj', 'v_proj']
        """
        if self.target_modules.strip() == "all-linear":
            return None
        return [t.strip() for t in self.target_modules.split(",") if t.strip()]


@dataclass
class TrainingSettings:
    learning_rate: float = _f(2e-4, "Peak step size. Usual for LoRA: 1e-4 to 3e-4, about 10x full fine-tuning's, as "
                                    "adapters start at zero. Too high: the loss jumps or diverges; too low: it "
                                    "barely moves.",
                              min=0.0, min_exclusive=True, max=1.0)
    per_device_train_batch_size: int = _f(4, "Conversations processed at once on each device. Usual: 1-8 on one GPU. Memory "
                                             "grows with it (out of memory: lower it and raise accumulation).", min=1, max=1024)
    gradient_accumulation_steps: int = _f(4, "Batches whose gradients are summed before one weight update: effective batch = "
                                             "batch size x this x devices (usual 8-32), at no extra memory. More means "
                                             "fewer, smoother updates.",
                                          min=1, max=1024)
    num_train_epochs: float = _f(3.0, "Passes over the training data. Usual: 1-3 for thousands of rows. Too few "
                                      "under-fits; too many memorises the rows (the eval loss starts rising).", min=0.0, min_exclusive=True, max=100.0)
    max_steps: int = _f(-1, "Stop after this many optimizer steps instead of the epochs; -1 runs the full epochs. "
                           "Handy for a quick trial run.",
                        min=-1)
    warmup_ratio: float = _f(0.1, "Share of the steps over which the learning rate climbs from zero. Usual: 0.03-0.1. "
                                  "Without warm-up the first updates can be erratic; too long wastes steps.", min=0.0, max=0.5)
    lr_scheduler_type: str = _f("cosine", "How the learning rate falls after warm-up: cosine eases down to zero (the usual), "
                                          "linear falls steadily, constant_with_warmup stays flat.",
                                choices=["cosine", "linear", "constant_with_warmup"])
    group_by_length: bool = _f(False, "Put rows of similar length in the same batch, so little compute goes to "
                                      "padding (the order stays random from batch to batch). Fastest with rows of "
                                      "mixed lengths; the loss curve then zigzags more, as batches differ more.")
    max_length: int = _f(2048, "Longest conversation in tokens. Set it above your rows' lengths (the Data tab shows "
                               "them). Too short cuts rows, and a row whose answer is cut off is dropped; too long "
                               "costs memory.", min=32, max=131072)
    mixed_precision: str = _f("auto", "16-bit arithmetic where it is safe, with the adapter kept in float32. auto is right "
                                      "almost always: bf16 where the hardware has it, fp16 on a T4, float32 "
                                      "elsewhere. fp16 needs a CUDA GPU.",
                              choices=["auto", "no", "bf16", "fp16"])
    gradient_checkpointing: bool = _f(True, "Recompute activations in the backward pass instead of storing them: much less "
                                            "memory for about a third more time. On for large models and long rows; "
                                            "off when memory is plentiful.")
    assistant_only_loss: bool = _f(True, "Learn only from the assistant's turns (tool calls and answers). Off, the model also "
                                         "learns to write the prompts and tool schemas, which wastes its capacity.")
    weight_decay: float = _f(0.0, "Pull of the adapter's weights towards zero at each step (AdamW). Usual: 0-0.1. High "
                              "values hold the adapter back.", min=0.0, max=1.0)
    neftune_noise_alpha: float = _f(0.0, "NEFTune: random noise added to the input embeddings while training, uniform "
                                         "within +-alpha / sqrt(padded batch length x hidden size) (Jain et al. 2023, "
                                         "arXiv 2310.05914, which used 5-15 on 7B models and reports better answers "
                                         "to new instructions). 0 turns it off. Its magnitude does not follow the "
                                         "embeddings' own size: a model with larger embeddings needs a larger alpha "
                                         "(tiny-qwen3: 30 was tried, with no gain beyond run-to-run noise). Too much "
                                         "drowns the words.",
                                    min=0.0, max=1000.0)
    max_grad_norm: float = _f(1.0, "Gradients longer than this are scaled down, so one odd batch cannot wreck the "
                                   "adapter. Usual: 1.0. Very low slows learning.", min=0.0, min_exclusive=True)
    logging_steps: int = _f(5, "Log loss, learning rate and gradient norm every this many steps. Lower gives "
                              "smoother curves at a small cost.", min=1)
    eval_steps: int = _f(0, "Compute the held-out loss every this many steps; 0 means once per epoch. More often "
                            "shows overfitting sooner but costs time.", min=0)
    save_steps: int = _f(100, "Save a checkpoint (adapter, optimizer and schedule) every this many steps, so a "
                              "cancelled, crashed or restarted run resumes from there. Too often costs time and "
                              "disk; too rarely loses more work.", min=1)
    save_total_limit: int = _f(2, "Keep only the newest this many checkpoints; older ones are deleted. Usual: 2. Each "
                               "holds the adapter and its optimizer state.", min=1,
                               max=100)
    seed: int = _f(42, "Random seed for the adapter's start and the data order: the same seed repeats a run.", min=0,
                   max=2**32 - 1)


@dataclass
class DataSettings:
    train_file: str = _f("sample", "Training data: a file of {messages, tools} rows, or 'sample' for toolft's bundled "
                                   "synthetic tool-calling set. A few hundred rows is a minimum; thousands is usual.")
    sample_rows: int = _f(600, "How many rows of the bundled sample to generate when the data is 'sample'. More "
                               "rows teach more reliably and take longer. For the same steps, each row once beats fewer rows over several "
                               "epochs: the model must copy values it has not seen rather than remember them.", min=10, max=100000)
    invented_share: float = _f(0.0, "Share of the bundled sample's rows whose values (cities, paths, names, "
                                    "queries...) are invented words, when the data is 'sample'. A small model learns "
                                    "a short list of values by heart; an invented value can only be copied from the "
                                    "request, which is what a tool call needs.", min=0.0, max=1.0)
    no_call_share: float = _f(0.4, "Share of the bundled sample's training rows that want no tool call: clarifying "
                                   "questions, refusals and plain answers (the rest are single, parallel and "
                                   "multi-step calls). More of them teaches when not to call; fewer, how to fill a "
                                   "call. The held-out rows keep the sample's usual 0.4, so runs compare.",
                              min=0.0, max=1.0)
    eval_fraction: float = _f(0.1, "Share of the rows held out for the eval loss and the base vs fine-tuned scorecard. "
                                   "Usual: 0.05-0.1 of thousands of rows; 0.2 of a few hundred, so each kind of row has enough held out "
                                   "to score. Zero leaves nothing to measure; a lot leaves less to learn from.", min=0.0, max=0.5)
    split_seed: int = _f(0, "Seed of the train / held-out split (and of the sample data).", min=0, max=2**32 - 1)


@dataclass
class Recipe:
    name: str = _f("custom", "A short name for this recipe.")
    description: str = _f("", "What this recipe is for.")
    model: ModelSettings = field(default_factory=ModelSettings)
    lora: LoraSettings = field(default_factory=LoraSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    data: DataSettings = field(default_factory=DataSettings)

    def validate(self) -> list["FieldError"]:
        """Check every field against its type, choices and range; return the problems."""
        errors = []
        for path, spec, value in iter_fields(self):
            message = _check_value(spec, value)
            if message:
                errors.append(FieldError(path, message))
        if not self.model.name_or_path.strip():
            errors.append(FieldError("model.name_or_path", "must not be empty"))
        if not self.lora.target_modules.strip():
            errors.append(FieldError("lora.target_modules", "must not be empty"))
        return errors

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


SECTIONS = {"model": ModelSettings, "lora": LoraSettings, "training": TrainingSettings, "data": DataSettings}


ERROR, WARNING = "error", "warning"


@dataclass
class FieldError:
    """One problem of a recipe: the dotted ``field`` it is about, and an ``error`` or a ``warning``."""

    field: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def flatten(value, prefix: str = "") -> dict:
    """A nested mapping as ``{dotted path: leaf value}``: ``{"lora": {"r": 8}}`` → ``{"lora.r": 8}``.

    >>> flatten({"name": "x", "lora": {"r": 8, "alpha": 16}})
    {'name': 'x', 'lora.r': 8, 'lora.alpha': 16}
    """
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict = {}
    for key, sub in value.items():
        out.update(flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
    return out


class RecipeError(ValueError):
    """A recipe that cannot be loaded or is invalid; ``errors`` lists each problem."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def iter_fields(recipe: Recipe):
    """Yield ``(dotted_path, dataclass_field, value)`` for every leaf setting, in schema order."""
    for spec in dataclasses.fields(recipe):
        value = getattr(recipe, spec.name)
        if dataclasses.is_dataclass(value):
            for sub in dataclasses.fields(value):
                yield f"{spec.name}.{sub.name}", sub, getattr(value, sub.name)
        else:
            yield spec.name, spec, value


def field_type(path: str) -> type:
    """The Python type of a dotted setting, e.g. ``field_type("lora.r") is int``."""
    section, _, name = path.rpartition(".")
    owner = SECTIONS[section] if section else Recipe
    return typing.get_type_hints(owner)[name]


def _check_value(spec: dataclasses.Field, value) -> str | None:
    meta = spec.metadata
    if "choices" in meta and value not in meta["choices"]:
        return f"must be one of {', '.join(map(str, meta['choices']))} (got {value!r})"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value):
        return f"must be a finite number (got {value})"
    if "min" in meta:
        if meta.get("min_exclusive") and value <= meta["min"]:
            return f"must be greater than {meta['min']} (got {value})"
        if value < meta["min"]:
            return f"must be at least {meta['min']} (got {value})"
    if "max" in meta and value > meta["max"]:
        return f"must be at most {meta['max']} (got {value})"
    return None


def _coerce(path: str, value):
    """Convert a YAML value to the field's type, or raise a FieldError-carrying RecipeError."""
    kind = field_type(path)
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, float):
            raise RecipeError([FieldError(path, f"must be a whole number (got {value:g})")])
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "2e-4" as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif kind is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    raise RecipeError([FieldError(path, f"expected {kind.__name__}, got {type(value).__name__} {value!r}")])


def _unknown(path: str, key: str, known: list[str]) -> FieldError:
    hint = difflib.get_close_matches(key, known, n=1)
    suffix = f" (did you mean {hint[0]!r}?)" if hint else f"; known keys: {', '.join(known)}"
    return FieldError(f"{path}{key}", f"unknown key{suffix}")


def recipe_from_dict(data: dict) -> Recipe:
    """Build a recipe from nested dicts; unknown keys and wrong types raise RecipeError."""
    if not isinstance(data, dict):
        raise RecipeError([FieldError("", f"a recipe must be a mapping, got {type(data).__name__}")])
    recipe, errors = Recipe(), []
    top = [f.name for f in dataclasses.fields(Recipe)]
    for key, value in data.items():
        if key not in top:
            errors.append(_unknown("", str(key), top))
        elif key in SECTIONS:
            if not isinstance(value, dict):
                errors.append(FieldError(key, f"must be a mapping, got {type(value).__name__}"))
                continue
            section = getattr(recipe, key)
            known = [f.name for f in dataclasses.fields(section)]
            for sub, subvalue in value.items():
                if sub not in known:
                    errors.append(_unknown(f"{key}.", str(sub), known))
                    continue
                try:
                    setattr(section, sub, _coerce(f"{key}.{sub}", subvalue))
                except RecipeError as exc:
                    errors += exc.errors
        else:
            try:
                setattr(recipe, key, _coerce(key, value))
            except RecipeError as exc:
                errors += exc.errors
    if errors:  # report range problems of the keys that did parse too, all in one message
        raise RecipeError(errors + recipe.validate())
    return recipe


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_recipe(name_or_path: str | Path) -> Recipe:
    """Load a preset by name (``tiny-cpu``) or a YAML file by path; raise RecipeError if invalid."""
    import yaml

    path = Path(name_or_path)
    if not path.exists() and str(name_or_path) in preset_names():
        path = PRESETS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise RecipeError([FieldError("", f"no such preset or file: {name_or_path} (presets: {', '.join(preset_names())})")])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RecipeError([FieldError("", f"{path.name} is not valid YAML: {exc}")]) from None
    recipe = recipe_from_dict(data)
    problems = recipe.validate()
    if problems:
        raise RecipeError(problems)
    return recipe


def recipe_to_yaml(recipe: Recipe) -> str:
    import yaml

    return yaml.safe_dump(recipe.to_dict(), sort_keys=False, allow_unicode=True)


def save_recipe(recipe: Recipe, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(recipe_to_yaml(recipe), encoding="utf-8")
    return path


def replace_field(recipe: Recipe, path: str, value) -> Recipe:
    """Return a copy of ``recipe`` with one dotted setting replaced (no validation)."""
    new = copy.deepcopy(recipe)
    section, _, name = path.rpartition(".")
    setattr(getattr(new, section) if section else new, name, value)
    return new


def default_preset_name() -> str:
    """The seed's T4 recipe for Qwen3-1.7B when a CUDA GPU is present, else the CPU demo."""
    from toolft.modeling import has_cuda_gpu

    has_gpu = has_cuda_gpu()
    return "qwen3-1.7b-t4" if has_gpu else "tiny-cpu"
