"""The Recipe tab: one typed input per recipe setting, live validation and the run's plan.

The inputs are generated from the recipe schema (``iter_fields``, ``field_type`` and
each field's ``metadata``), so a new setting in ``toolft.recipe`` appears here with
its help text and range without touching this file. Every handler works on the
recipe as a nested dict (the visitor's ``recipe_state``) and returns
``(recipe dict, status markdown, plan markdown, YAML path or None)``.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

from toolft.recipe import Recipe, RecipeError, field_type, iter_fields, load_recipe, recipe_to_yaml
from toolft.ui.common import check_recipe, md_literal, problems_markdown, store_upload, warning_lines

LABELS = {  # short words a user reads; the dotted YAML key stays in each field's help line
    "name": "Recipe name", "description": "Description",
    "model.name_or_path": "Base model", "model.dtype": "Weight precision",
    "lora.r": "LoRA rank", "lora.alpha": "LoRA alpha", "lora.dropout": "LoRA dropout",
    "lora.target_modules": "Target layers", "lora.loraplus_lr_ratio": "LoRA+ ratio (B vs A rate)",
    "training.learning_rate": "Learning rate", "training.per_device_train_batch_size": "Batch size per device",
    "training.gradient_accumulation_steps": "Gradient accumulation", "training.num_train_epochs": "Epochs",
    "training.max_steps": "Max steps", "training.warmup_ratio": "Warm-up share",
    "training.lr_scheduler_type": "LR schedule", "training.max_length": "Max length (tokens)",
    "training.mixed_precision": "Mixed precision", "training.gradient_checkpointing": "Gradient checkpointing",
    "training.assistant_only_loss": "Assistant-only loss", "training.weight_decay": "Weight decay",
    "training.neftune_noise_alpha": "NEFTune noise (alpha)",
    "training.group_by_length": "Group rows by length",
    "training.max_grad_norm": "Max gradient norm", "training.logging_steps": "Log every (steps)",
    "training.eval_steps": "Eval every (steps)", "training.save_steps": "Checkpoint every (steps)",
    "training.save_total_limit": "Checkpoints kept", "training.seed": "Seed",
    "data.train_file": "Training data", "data.sample_rows": "Sample rows",
    "data.invented_share": "Invented-value share", "data.no_call_share": "No-call share",
    "data.eval_fraction": "Held-out share",
    "data.split_seed": "Split seed",
}
FIELDS = [(path, spec) for path, spec, _ in iter_fields(Recipe())]
PATHS = [path for path, _ in FIELDS]
# The form's groups, in the order a user decides things; a setting missing here lands in "Other settings"
GROUPS = [
    ("Recipe", ["name", "description"]),
    ("Model", ["model.name_or_path", "model.dtype"]),
    ("LoRA adapter", ["lora.r", "lora.alpha", "lora.dropout", "lora.target_modules", "lora.loraplus_lr_ratio"]),
    ("Optimisation", ["training.learning_rate", "training.per_device_train_batch_size",
                      "training.gradient_accumulation_steps", "training.group_by_length", "training.num_train_epochs",
                      "training.max_steps",
                      "training.warmup_ratio", "training.lr_scheduler_type", "training.weight_decay",
                      "training.neftune_noise_alpha", "training.max_grad_norm", "training.seed"]),
    ("Data", ["data.train_file", "data.sample_rows", "data.invented_share", "data.no_call_share", "data.eval_fraction",
              "data.split_seed", "training.max_length", "training.assistant_only_loss"]),
    ("Hardware", ["training.mixed_precision", "training.gradient_checkpointing"]),
    ("Logging and checkpoints", ["training.logging_steps", "training.eval_steps", "training.save_steps",
                                 "training.save_total_limit"]),
]


def grouped_fields() -> list[tuple[str, list[tuple[str, object]]]]:
    """``[(group title, [(path, field spec)...])...]``: every recipe setting exactly once, in :data:`GROUPS` order."""
    specs = dict(FIELDS)
    groups = [(title, [(p, specs[p]) for p in paths if p in specs]) for title, paths in GROUPS]
    placed = {p for _, paths in GROUPS for p in paths}
    rest = [(p, spec) for p, spec in FIELDS if p not in placed]
    return [g for g in groups if g[1]] + ([("Other settings", rest)] if rest else [])


def nest(values: dict) -> dict:
    """``{"lora.r": 8, "name": "x"}`` → ``{"lora": {"r": 8}, "name": "x"}``."""
    out: dict = {}
    for path, value in values.items():
        section, _, name = path.rpartition(".")
        (out.setdefault(section, {}) if section else out)[name] = value
    return out


def flat_values(recipe: dict) -> list:
    """The recipe's values in input order (``PATHS``)."""
    values = []
    for path in PATHS:
        section, _, name = path.rpartition(".")
        values.append((recipe.get(section) or {}).get(name) if section else recipe.get(name))
    return values


def plan_markdown(p: dict) -> str:
    """The plan as a small markdown table."""
    mem = p["memory_gb"]
    epochs = f"{p['epochs']:g} epochs" if p.get("epochs") is not None else "the run"
    return "\n".join([
        "### Plan",
        f"| Model | {p.get('model', '')} ({p['dtype']}) |",
        "|---|---|",
        f"| Parameters | {p['total_params']:,} in the base · **{p['trainable_params']:,} trainable** "
        f"({p['trainable_percent']}%) |",
        f"| Data | {p['train_rows']} training rows · {p['eval_rows']} held out |",
        f"| Steps | {p['steps_per_epoch']} per epoch, **{p['total_steps']} in all** for {epochs} "
        f"({p['warmup_steps']} warm-up) · effective batch {p['effective_batch']} |",
        (f"| Row length | {p['mean_row_tokens']:g} tokens on average, {p['tokens_per_row']:g} with each batch padded "
         f"to its longest (measured) |" if p.get("length_source") == "measured" else
         f"| Row length | not measured ({md_literal(str(p.get('length_note', '')))}): every row counted at "
         f"{p['max_length']} tokens |"),
        f"| Memory here (estimate) | **{mem['total']} GB** = weights {mem['weights']} + adapter & optimizer "
        f"{mem['adapter_and_optimizer']} + activations {mem['activations']} + logits (loss head) {mem['logits']} + "
        f"overhead {mem['overhead']} |",
        "| Fits (LoRA) | " + " · ".join(f"{g} {'✓' if ok else '✗'}" for g, ok in p["fits"].items()) + " |",
        "| Full fine-tune instead | " + " · ".join(f"{g} {'✓' if ok else '✗'}"
                                               for g, ok in p["full_finetune"]["fits"].items()) + " |",
        "| Time (estimate) | " + " · ".join(f"{g} {h:g} h" + (f" (${p['cost_usd'][g]:.2f})" if g in p["cost_usd"] else "")
                                        for g, h in p["hours"].items()) + " |",
        "",
        f"<small>{p['memory_note']} {p['time_note']}</small>",
    ])


def write_yaml(recipe: Recipe) -> Path:
    """Write the recipe's YAML to a temporary file named after it (for the download button)."""
    text = recipe_to_yaml(recipe)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", recipe.name).strip("-.")[:80] or "recipe"  # file names stop at 255
    path = Path(tempfile.gettempdir()) / "toolft-recipes" / hashlib.sha256(text.encode()).hexdigest()[:16]
    path.mkdir(parents=True, exist_ok=True)
    path = path / f"{slug}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def recipe_view(values: dict) -> tuple[dict, str, str, str | None]:
    """Validate a recipe dict: ``(recipe dict, status, plan, YAML path)``; plan and YAML only when valid."""
    return review(values)[:4]


def review(values: dict) -> tuple[dict, str, str, str | None, list]:
    """:func:`recipe_view` plus the problems themselves (``FieldError`` list), for the notes at each field."""
    from toolft.plan import plan

    from toolft.preflight import errors_of, preflight

    recipe, problems = check_recipe(values)
    if problems:
        return values, problems_markdown(problems), "_The plan appears once the recipe is valid._", None, problems
    checked = preflight(recipe)  # what Launch will check: data, precision on this machine, model, template
    errors, warnings = errors_of(checked), [p for p in checked if p not in errors_of(checked)]
    status = (problems_markdown(errors, "This recipe cannot run here yet:") if errors
              else f"Recipe **{md_literal(recipe.name)}** is valid.")
    if warnings:
        status += "\n\n" + warning_lines(warnings)
    try:
        plan_md = plan_markdown(plan(recipe))
    except (ValueError, OSError) as exc:
        plan_md = f"**Plan unavailable:** {exc}"
    return recipe.to_dict(), status, plan_md, str(write_yaml(recipe)), checked


def field_notes(problems: list) -> dict[str, str]:
    """``{dotted path: note}`` for the fields that have a problem: what each input shows under its label.

    Several problems of one field are joined; a warning is marked ⚠ and an error ✖. Problems
    not about one field (the whole file, the model) stay in the status line only.
    """
    notes: dict[str, list[str]] = {}
    for problem in problems:
        if problem.field in PATHS:
            mark = "⚠" if getattr(problem, "severity", "error") == "warning" else "✖"
            notes.setdefault(problem.field, []).append(f"{mark} {problem.message}")
    return {path: " ".join(messages) for path, messages in notes.items()}


def field_info(path: str) -> str:
    """The help line under an input: the setting's own help text and its YAML key."""
    meta = dict(FIELDS)[path].metadata
    info = f"{meta.get('help', '')} (YAML: {path})"
    kind = field_type(path)
    if kind in (int, float) and "choices" not in meta:
        low, high = meta.get("min"), meta.get("max")
        bounds = ", ".join(b for b in (f"min {low}" if low is not None else "",
                                        f"max {high}" if high is not None else "") if b)
        if bounds and not (kind is float and low is not None and high is not None and high <= 1
                           and not meta.get("min_exclusive")):
            info = f"{info} ({bounds})"
    if path == "data.train_file":
        info += " Set it in the Data tab."
    return info


def edit_recipe(values: dict) -> tuple[dict, str, str, str | None]:
    """Rebuild the recipe from the inputs, keyed by dotted path (``{"lora.r": 0, ...}``)."""
    return recipe_view(nest(values))


def with_data(recipe: dict, data_choice: dict | None) -> dict:
    """Copy the Data tab's choice into ``data.train_file`` (and ``data.sample_rows`` for the sample)."""
    if not data_choice:
        return recipe
    data = dict(recipe.get("data") or {}, train_file=data_choice["train_file"])
    if data_choice.get("sample_rows"):
        data["sample_rows"] = int(data_choice["sample_rows"])
    return {**recipe, "data": data}


def choose_preset(name: str, data_choice: dict | None = None) -> tuple[dict, str, str, str | None]:
    """Load a preset, keeping the dataset chosen in the Data tab."""
    try:
        recipe = load_recipe(name)
    except RecipeError as exc:
        return {}, f"**Cannot load preset {name}:** {exc}", "", None
    return recipe_view(with_data(recipe.to_dict(), data_choice))


def apply_data(recipe: dict, data_choice: dict | None) -> tuple[dict, str, str, str | None]:
    """The Data tab picked a dataset: put it into the current recipe."""
    return recipe_view(with_data(recipe or {}, data_choice))


def load_yaml(path: str | None) -> tuple[dict | None, str, str, str | None]:
    """Load an uploaded recipe YAML (a copy of it); ``None`` as recipe means "keep the inputs as they are"."""
    if not path:
        return None, "Choose a recipe .yaml file to load.", "", None
    try:
        copy = store_upload(path)
    except OSError as exc:
        return None, f"**Cannot read the upload:** {exc.strerror or exc}", "", None
    try:
        recipe = load_recipe(copy)
    except RecipeError as exc:
        lines = "\n".join(f"- `{e.field}`: {e.message}" if e.field else f"- {e.message}" for e in exc.errors)
        message = f"**Cannot load {copy.name}** (the inputs are unchanged):\n\n{lines}"
        return None, message.replace(str(copy), copy.name), "", None
    view = recipe_view(recipe.to_dict())
    return view[0], f"Loaded **{copy.name}**. " + view[1], view[2], view[3]


def default_recipe() -> dict:
    """The recipe a new visitor starts from: the default preset (the CPU demo without a GPU)."""
    from toolft.recipe import default_preset_name

    return load_recipe(default_preset_name()).to_dict()


def _make_input(path: str, spec, value):
    """One typed input for a setting: checkbox, dropdown, slider (ratios) or number; text only for text."""
    import gradio as gr

    kind, meta = field_type(path), spec.metadata
    info = field_info(path)
    label = LABELS.get(path, path)
    common = dict(label=label, info=info, elem_id="field-" + path.replace(".", "-").replace("_", "-"))
    if kind is bool:
        return gr.Checkbox(value=value, **common)
    if "choices" in meta:
        return gr.Dropdown(choices=list(meta["choices"]), value=value, **common)
    if kind in (int, float):
        low, high = meta.get("min"), meta.get("max")
        if kind is float and low is not None and high is not None and high <= 1 and not meta.get("min_exclusive"):
            return gr.Slider(low, high, value=value, step=0.01, **common)
        # no precision=0 for whole numbers: Gradio would round 2.5 to 2 unseen; the check says it instead
        return gr.Number(value=value, **common)
    if path == "data.train_file":  # chosen in the Data tab, so only uploaded copies are ever read
        return gr.Textbox(value=value, interactive=False, **common)
    return gr.Textbox(value=value, lines=1, **common)


def export_for_tools(recipe: dict) -> tuple[str | None, str]:
    """``(trl-sft.yaml path or None, markdown)``: the visitor's recipe for `trl sft` and `accelerate launch`."""
    import tempfile

    from toolft.export import export_recipe

    checked, problems = check_recipe(recipe or {})
    if checked is None or problems:
        return None, problems_markdown(problems, "Fix the recipe first:") if problems else "Fix the recipe first."
    try:
        result = export_recipe(checked, tempfile.mkdtemp(prefix="toolft-export-"))
    except (ValueError, OSError) as exc:
        return None, f"**Not exported:** {md_literal(str(exc))}"
    trl_file = next(f for f in result["files"] if f.endswith("trl-sft.yaml"))
    commands = result["commands"]
    return trl_file, ("Download `trl-sft.yaml` above; it names the data file and model as this server sees them, "
                      "so edit those paths on another machine.\n\n```bash\n"
                      f"{commands['trl']}\n{commands['accelerate']}\n```")


def note_updates(notes: dict[str, str], shown: dict[str, str] | None):
    """Per input, in ``PATHS`` order: a ``gr.update`` where its problem note changed, ``gr.skip()`` elsewhere
    (an input being typed into is not re-rendered), and the notes now shown."""
    import gradio as gr

    shown = shown or {}
    updates = []
    for path in PATHS:
        note = notes.get(path)
        updates.append(gr.skip() if note == shown.get(path) else gr.update(**_note_kwargs(path, notes)))
    return updates, notes


def build_recipe_tab(recipe_state, data_state, restored_parts):
    """Lay out the Recipe tab; every change rebuilds ``recipe_state``, the plan and the notes at each field.

    Returns ``(restore, inputs, outputs)``: the handler that refills the form from ``recipe_state``
    after the app restores a visitor's saved recipe (``toolft.ui.build_app`` chains it after page load;
    ``restored_parts["recipe"]`` says whether one came back).
    """
    import gradio as gr

    from toolft.recipe import default_preset_name, preset_names

    initial = review(recipe_state.value)
    with gr.Row():
        preset = gr.Dropdown(preset_names(), value=default_preset_name(), label="Preset",
                             info="Start from a tested recipe, then adjust.", scale=2)
        download = gr.DownloadButton("Save recipe YAML", value=initial[3], interactive=initial[3] is not None)
        upload = gr.UploadButton("Load recipe YAML", file_types=[".yaml", ".yml"], type="filepath")
    status = gr.Markdown(initial[1], elem_id="recipe-status")
    shown = gr.State({})
    by_path = {}
    start_values = dict(zip(PATHS, flat_values(recipe_state.value)))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            for title, fields in grouped_fields():
                with gr.Accordion(title, open=True):
                    for start in range(0, len(fields), 3):
                        with gr.Row():
                            for path, spec in fields[start:start + 3]:
                                by_path[path] = _make_input(path, spec, start_values[path])
        with gr.Column(scale=2, elem_id="recipe-plan"):  # sticky (app CSS): the plan stays in view while editing
            plan_md = gr.Markdown(initial[2])
            with gr.Accordion("Export for TRL and accelerate", open=False):
                export_btn = gr.Button("Export this recipe")
                export_file = gr.File(label="trl-sft.yaml (for `trl sft --config`)", interactive=False)
                export_md = gr.Markdown()
    inputs = [by_path[path] for path in PATHS]

    def download_update(yaml_path):
        return gr.update(value=yaml_path, interactive=yaml_path is not None)

    def on_edit(shown_notes, *values):
        recipe, status_md, plan_text, yaml_path, problems = review(nest(dict(zip(PATHS, values))))
        updates, now = note_updates(field_notes(problems), shown_notes)
        return [recipe, status_md, plan_text, download_update(yaml_path), now, *updates]

    def refill(reviewed, shown_notes):
        recipe, status_md, plan_text, yaml_path, problems = reviewed
        if recipe is None or not recipe:
            return [gr.skip()] * (1 + len(inputs)) + [status_md, gr.skip(), gr.skip(), gr.skip()]
        # not while typing: every input is re-rendered with its value and its note
        now = field_notes(problems)
        fields = [gr.update(value=v, **_note_kwargs(path, now)) for path, v in zip(PATHS, flat_values(recipe))]
        return [recipe, *fields, status_md, plan_text, download_update(yaml_path), now]

    def on_preset(name, data, shown_notes):
        try:
            recipe = load_recipe(name)
        except RecipeError as exc:
            return refill(({}, f"**Cannot load preset {name}:** {exc}", "", None, []), shown_notes)
        return refill(review(with_data(recipe.to_dict(), data)), shown_notes)

    def on_data(recipe, data, shown_notes):
        return refill(review(with_data(recipe or {}, data)), shown_notes)

    def on_load(path, shown_notes):
        recipe, status_md, plan_text, yaml_path = load_yaml(path)
        if recipe is None:
            return refill((None, status_md, plan_text, yaml_path, []), shown_notes)
        reviewed = review(recipe)
        return refill((reviewed[0], status_md, *reviewed[2:]), shown_notes)

    def on_restore(parts, recipe, shown_notes):
        if not (parts or {}).get("recipe") or not recipe:  # nothing came back: a new visitor keeps the form as built
            return [gr.skip()] * (len(inputs) + 5)
        return refill(review(recipe), shown_notes)

    full = [recipe_state, *inputs, status, plan_md, download, shown]
    gr.on([c.input for c in inputs], on_edit, inputs=[shown, *inputs],
          outputs=[recipe_state, status, plan_md, download, shown, *inputs],
          trigger_mode="always_last", show_progress="hidden")
    preset.input(on_preset, inputs=[preset, data_state, shown], outputs=full)
    data_state.change(on_data, inputs=[recipe_state, data_state, shown], outputs=full)
    upload.upload(on_load, inputs=[upload, shown], outputs=full)
    export_btn.click(export_for_tools, inputs=[recipe_state], outputs=[export_file, export_md])
    return on_restore, [restored_parts, recipe_state, shown], full


def _note_kwargs(path: str, notes: dict[str, str]) -> dict:
    note = notes.get(path)
    if note:
        return {"info": f"{note} · {field_info(path)}", "elem_classes": ["field-problem"]}
    return {"info": field_info(path), "elem_classes": []}
