"""Can this recipe run here? One check, before anything heavy loads.

:func:`preflight` is the only place that decides it. The Recipe tab, the Train tab's
Launch, the CLI's ``train`` and ``plan`` and the trainer's own setup all call it, so a
recipe that would fail after minutes of model loading is refused in seconds, at the
field that is wrong. It reads only small things: the recipe, the data file (or the
sample's size), the model's ``config.json`` (a meta-device model for the layer names) and
its tokenizer.

Problems are :class:`~toolft.recipe.FieldError` values with a ``severity``: errors stop a
launch, warnings (a dataset too small to learn from, a template that could not be
checked here) are shown and let it go.

>>> from toolft.recipe import Recipe, replace_field
>>> recipe = replace_field(Recipe(), "training.mixed_precision", "fp16")
>>> [str(p) for p in preflight(recipe, hardware=Hardware(cuda=False), tokenizer=False)]
['training.mixed_precision: fp16 needs a CUDA GPU and this machine has none: choose auto or no']
"""

from __future__ import annotations

from dataclasses import dataclass

from toolft.recipe import ERROR, WARNING, FieldError, Recipe

MIN_TRAIN_ROWS = 20  # below this, a fine-tune mostly memorises a handful of rows (a few hundred is usual)


@dataclass(frozen=True)
class Hardware:
    """What this machine computes on: a CUDA GPU (its name, native bf16) or the CPU."""

    cuda: bool
    gpu_name: str = ""
    gpu_bf16: bool = False

    @classmethod
    def here(cls) -> "Hardware":
        """This machine, asking torch only when an NVIDIA GPU is present (see :func:`toolft.modeling.has_cuda_gpu`)."""
        from toolft.modeling import gpu_has_bf16, has_cuda_gpu

        if not has_cuda_gpu():
            return cls(cuda=False)
        import torch

        if not torch.cuda.is_available():
            return cls(cuda=False)
        return cls(cuda=True, gpu_name=torch.cuda.get_device_name(0), gpu_bf16=gpu_has_bf16())


class PreflightError(ValueError):
    """A recipe that cannot run here; ``problems`` lists the errors (the message names the first)."""

    def __init__(self, problems: list[FieldError]):
        self.problems = problems
        super().__init__(str(problems[0]) + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))


def preflight(recipe: Recipe, *, hardware: Hardware | None = None, check_hardware: bool = True,
              data: bool = True, tokenizer: bool = True) -> list[FieldError]:
    """Every reason ``recipe`` cannot run here (errors) or may disappoint (warnings), in field order.

    * the schema's own rules (:meth:`Recipe.validate`); when they fail, nothing else is checked;
    * ``data``: the file is there and has valid rows, the split leaves enough training rows;
    * ``check_hardware``: precision suits ``hardware`` (default: this machine): fp16 needs
      CUDA, bf16 needs a GPU that computes it natively (a T4 does not: fp16 is suggested);
    * the model's config can be read; ``max_length`` fits its context
      (``max_position_embeddings``); the LoRA target modules exist in it;
    * ``tokenizer``: its chat template renders tools and tool calls (and masks them for
      assistant-only loss), see :func:`toolft.data.render.template_problems`.

    ``plan`` passes ``check_hardware=False``: a recipe may be planned for another machine.
    """
    problems = recipe.validate()
    if problems:
        return problems
    if data:
        problems += _data_problems(recipe)
    if check_hardware:
        problems += _precision_problems(recipe, hardware or Hardware.here())
    problems += _model_problems(recipe)
    if tokenizer and not any(p.field == "model.name_or_path" for p in problems):
        problems += _template_problems(recipe)
    return problems


def errors_of(problems: list[FieldError]) -> list[FieldError]:
    return [p for p in problems if p.severity == ERROR]


def check_or_raise(recipe: Recipe, **kwargs) -> list[FieldError]:
    """:func:`preflight`, raising :class:`PreflightError` on any error; returns the warnings."""
    problems = preflight(recipe, **kwargs)
    if errors_of(problems):
        raise PreflightError(errors_of(problems))
    return problems


def _data_problems(recipe: Recipe) -> list[FieldError]:
    from toolft.data.records import split_sizes
    from toolft.plan import count_rows

    try:
        rows = count_rows(recipe)
    except ValueError as exc:
        return [FieldError("data.train_file", str(exc))]
    train, _ = split_sizes(rows, recipe.data.eval_fraction)  # at least one training row for any valid row
    if train < MIN_TRAIN_ROWS:
        return [FieldError("data.train_file", f"only {train} training row{'s' if train != 1 else ''}: too few to "
                           f"learn from (a few hundred is the usual minimum)", WARNING)]
    return []


def _precision_problems(recipe: Recipe, hw: Hardware) -> list[FieldError]:
    out = []
    mixed, dtype = recipe.training.mixed_precision, recipe.model.dtype
    for field, asked_fp16, asked_bf16 in (("training.mixed_precision", mixed == "fp16", mixed == "bf16"),
                                          ("model.dtype", dtype == "float16", dtype == "bfloat16")):
        if asked_fp16 and not hw.cuda:
            out.append(FieldError(field, f"{'fp16' if field.startswith('training') else 'float16'} needs a CUDA "
                                         "GPU and this machine has none: choose auto or "
                                         f"{'no' if field.startswith('training') else 'float32'}"))
        if asked_bf16 and hw.cuda and not hw.gpu_bf16:
            out.append(FieldError(field, f"the GPU here ({hw.gpu_name or 'CUDA'}) has no native bf16 (a T4 "
                                         f"emulates it slowly): choose "
                                         f"{'fp16' if field.startswith('training') else 'float16'} or auto"))
    return out


def _model_problems(recipe: Recipe) -> list[FieldError]:
    from toolft.plan import _text_config, count_params, model_config

    try:
        config = model_config(recipe.model.name_or_path)
    except ValueError as exc:
        return [FieldError("model.name_or_path", str(exc))]
    out = []
    context = getattr(_text_config(config), "max_position_embeddings", None)
    if context and recipe.training.max_length > context:
        out.append(FieldError("training.max_length", f"{recipe.training.max_length} is longer than the model's "
                                                     f"context of {context} tokens"))
    try:
        count_params(config, recipe.lora.r, recipe.lora.target_modules)
    except ValueError as exc:
        out.append(FieldError("lora.target_modules", str(exc)))
    return out


def _template_problems(recipe: Recipe) -> list[FieldError]:
    from toolft.data.render import template_problems
    from toolft.modeling import load_tokenizer

    name = recipe.model.name_or_path
    try:
        tok = load_tokenizer(name)
    except (OSError, ValueError) as exc:
        return [FieldError("model.name_or_path", f"could not load the tokenizer here to check its chat template "
                           f"({str(exc).splitlines()[0][:160]}); the trainer checks it again before training",
                           WARNING)]
    return [FieldError("model.name_or_path", p) for p in template_problems(tok, name,
                                                                           recipe.training.assistant_only_loss)]
