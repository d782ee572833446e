"""Recipe tab handlers: typed edits are validated per field, the plan follows, YAML round-trips."""

from pathlib import Path

import yaml

from toolft.home import toolft_home
from toolft.plan import plan as plan_of
from toolft.ui.common import store_upload
from toolft.recipe import load_recipe, recipe_from_dict
from toolft.ui.recipe_tab import (
    PATHS,
    apply_data,
    choose_preset,
    default_recipe,
    edit_recipe,
    flat_values,
    load_yaml,
    nest,
)


def inputs_of(recipe: dict) -> dict:
    """What the Recipe tab's inputs hold for ``recipe``, keyed by dotted path."""
    return dict(zip(PATHS, flat_values(recipe)))


def test_inputs_cover_every_setting_and_rebuild_the_recipe():
    recipe = load_recipe("tiny-cpu").to_dict()
    assert nest(inputs_of(recipe)) == recipe
    assert {"lora.r", "training.learning_rate", "data.train_file", "model.dtype"} <= set(PATHS)


def test_valid_edit_updates_recipe_and_plan():
    values = inputs_of(load_recipe("tiny-cpu").to_dict())
    values["lora.r"] = 8
    values["training.num_train_epochs"] = 1.0
    recipe, status, plan, yaml_path = edit_recipe(values)
    assert recipe["lora"]["r"] == 8 and "valid" in status
    expected = plan_of(recipe_from_dict(recipe))
    assert "### Plan" in plan and f"{expected['trainable_params']:,} trainable" in plan
    assert f"{expected['total_steps']} in all" in plan and expected["total_steps"] == expected["steps_per_epoch"]
    assert yaml.safe_load(Path(yaml_path).read_text())["lora"]["r"] == 8


def test_bad_value_names_the_field_and_blocks_plan_and_save():
    values = inputs_of(load_recipe("tiny-cpu").to_dict())
    values["lora.r"] = 0
    values["training.learning_rate"] = None  # a cleared number box
    recipe, status, plan, yaml_path = edit_recipe(values)
    assert "**LoRA rank** (`lora.r`): must be at least 1 (got 0)" in status
    assert "**Learning rate** (`training.learning_rate`): a value is required" in status
    assert yaml_path is None and "### Plan" not in plan
    assert recipe["lora"]["r"] == 0  # the visitor's values are kept, so the Train tab can refuse them


def test_a_fraction_in_a_whole_number_box_is_named_not_rounded():
    """The box shows 2.5: the check says so, instead of training with a batch of 2 unseen."""
    values = inputs_of(load_recipe("tiny-cpu").to_dict())
    values["training.per_device_train_batch_size"] = 2.5
    values["lora.r"] = 8.0  # a whole number typed as 8.0 is fine
    _, status, plan, yaml_path = edit_recipe(values)
    assert "**Batch size per device** (`training.per_device_train_batch_size`): must be a whole number (got 2.5)" \
        in status, status
    assert yaml_path is None and "### Plan" not in plan and "lora.r" not in status


def test_unknown_model_is_named_at_its_field_and_the_plan_says_why():
    values = inputs_of(load_recipe("tiny-cpu").to_dict())
    values["model.name_or_path"] = "no-such-org/no-such-model"
    _, status, plan, _ = edit_recipe(values)
    assert status.startswith("**This recipe cannot run here yet:**")
    assert "- **Base model** (`model.name_or_path`): cannot read the model config of no-such-org/no-such-model" in status
    assert plan.startswith("**Plan unavailable:**") and "no-such-model" in plan


def test_yaml_save_then_load_round_trips(tmp_path):
    values = inputs_of(load_recipe("tiny-cpu").to_dict())
    values.update({"name": "my-run", "lora.alpha": 64, "training.learning_rate": 0.001,
                   "training.gradient_checkpointing": True, "lora.dropout": 0.1})
    saved, _, _, yaml_path = edit_recipe(values)
    download = tmp_path / "my-run.yaml"
    download.write_bytes(Path(yaml_path).read_bytes())

    loaded, status, plan, _ = load_yaml(str(download))
    assert loaded == saved and "Loaded **my-run.yaml**" in status and "### Plan" in plan
    assert download.read_bytes() == Path(yaml_path).read_bytes()  # the upload itself is untouched


def test_a_long_or_marked_up_recipe_name_is_saved_and_shown_as_text():
    """A name of 1,000 characters with markup: the YAML download gets a short file name, the status shows it
    as text (once it crashed with "File name too long")."""
    values = inputs_of(load_recipe("tiny-cpu").to_dict())
    values["name"] = '<img src=x onerror="alert(1)"> **bold** ' + "x" * 1000
    saved, status, _, yaml_path = edit_recipe(values)
    assert len(Path(yaml_path).name) <= 85 and Path(yaml_path).name.startswith("img-src-x-onerror-alert-1-bold-xxx")
    assert load_recipe(yaml_path).name == values["name"]  # the name itself is kept whole
    assert status.startswith('Recipe **&lt;img src=x onerror="alert(1)"&gt; \\*\\*bold\\*\\* xxx'), status[:80]


def test_bad_yaml_gives_a_clear_message_and_keeps_inputs(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("lora:\n  r: [unclosed\n", encoding="utf-8")
    recipe, status, _, _ = load_yaml(str(broken))
    assert recipe is None and "Cannot load broken.yaml" in status and "not valid YAML" in status
    assert "inputs are unchanged" in status and str(tmp_path) not in status

    typo = tmp_path / "typo.yaml"
    typo.write_text("lora:\n  alpah: 8\ntraining:\n  learning_rate: -1\n", encoding="utf-8")
    recipe, status, _, _ = load_yaml(str(typo))
    assert recipe is None and "`lora.alpah`: unknown key (did you mean 'alpha'?)" in status
    assert "`training.learning_rate`: must be greater than 0.0" in status


def test_preset_keeps_the_chosen_dataset():
    choice = {"train_file": "sample", "sample_rows": 200}
    recipe, status, plan, _ = choose_preset("qwen3-1.7b-t4", choice)
    assert recipe["model"]["name_or_path"] == "Qwen/Qwen3-1.7B" and recipe["data"]["sample_rows"] == 200
    assert "180 training rows" in plan


def test_data_choice_goes_into_the_recipe(tmp_path):
    data_file = tmp_path / "train.jsonl"
    data_file.write_text('{"messages": [{"role": "user", "content": "Hi"}, '
                         '{"role": "assistant", "content": "Hello"}]}\n', encoding="utf-8")
    copy = store_upload(data_file)
    recipe, status, plan, _ = apply_data(default_recipe(), {"train_file": str(copy), "sample_rows": None})
    assert recipe["data"]["train_file"] == str(copy) and "valid" in status
    assert "1 training rows" in plan


def test_data_outside_the_upload_folder_is_refused(tmp_path):
    """A recipe (typed, a YAML upload or an API call) must not make the server read arbitrary files."""
    secret = tmp_path / "secret.jsonl"
    secret.write_text('{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}\n')
    for path in (str(secret), str(toolft_home() / "uploads" / ".." / "secret.jsonl")):
        recipe, status, plan, _ = apply_data(default_recipe(), {"train_file": path, "sample_rows": None})
        assert "data.train_file" in status and "not allowed" in status
        assert "secret" not in plan


def test_export_for_trl_and_accelerate():
    from toolft.ui.recipe_tab import export_for_tools

    path, message = export_for_tools(load_recipe("tiny-cpu").to_dict())
    assert path.endswith("trl-sft.yaml") and "trl sft --config" in message and "accelerate launch" in message
    assert "datasets:" in open(path, encoding="utf-8").read()
    bad = load_recipe("tiny-cpu").to_dict()
    bad["lora"]["r"] = 0
    assert export_for_tools(bad) == (None, "**Fix the recipe first:**\n\n- **LoRA rank** (`lora.r`): must be at least 1 (got 0)")


def test_every_field_has_a_short_readable_label_and_names_its_yaml_key():
    """Raw dotted keys were cut off mid-word ("training.per_device_train_batc"); labels now fit."""
    from toolft.recipe import Recipe, iter_fields
    from toolft.ui.recipe_tab import LABELS

    paths = [path for path, _, _ in iter_fields(Recipe())]
    assert set(LABELS) == set(paths)
    assert all(len(LABELS[p]) <= 26 and "." not in LABELS[p] for p in paths)
    assert len(set(LABELS.values())) == len(paths)  # no two fields look alike


def test_every_setting_is_in_exactly_one_group():
    from toolft.ui.recipe_tab import GROUPS, grouped_fields

    placed = [path for _, fields in grouped_fields() for path, _ in fields]
    assert sorted(placed) == sorted(PATHS) and len(placed) == len(set(placed))
    titles = [title for title, _ in grouped_fields()]
    assert titles[:7] == [title for title, _ in GROUPS]  # model, LoRA, optimisation, data, hardware... in order
    assert {"Model", "LoRA adapter", "Optimisation", "Data", "Hardware"} <= set(titles)


def test_problems_are_noted_at_their_own_field():
    from toolft.ui.recipe_tab import field_info, note_updates, review, field_notes

    values = inputs_of(load_recipe("tiny-cpu").to_dict())
    values["lora.r"] = 0
    values["training.learning_rate"] = -1.0
    *_, problems = review(nest(values))
    notes = field_notes(problems)
    assert set(notes) == {"lora.r", "training.learning_rate"}
    assert notes["lora.r"].startswith("✖ ") and "at least 1" in notes["lora.r"]
    updates, shown = note_updates(notes, {})
    by_path = dict(zip(PATHS, updates))
    assert by_path["lora.r"]["info"] == f"{notes['lora.r']} · {field_info('lora.r')}"
    assert by_path["lora.r"]["elem_classes"] == ["field-problem"]
    assert by_path["lora.alpha"] == {"__type__": "update"}  # untouched inputs are not re-rendered
    # fixing the rank clears its note and re-renders only that field
    values["lora.r"] = 8
    *_, problems = review(nest(values))
    updates, _ = note_updates(field_notes(problems), shown)
    by_path = dict(zip(PATHS, updates))
    assert by_path["lora.r"] == {"__type__": "update", "info": field_info("lora.r"), "elem_classes": []}
    assert by_path["training.learning_rate"] == {"__type__": "update"}


def test_a_too_small_dataset_is_warned_at_the_data_field(tmp_path):
    from toolft.ui.recipe_tab import field_notes, review

    rows = tmp_path / "two.jsonl"
    rows.write_text("\n".join('{"messages": [{"role": "user", "content": "Hi %d"}, '
                              '{"role": "assistant", "content": "Hello"}]}' % i for i in range(2)) + "\n")
    copy = store_upload(rows)
    recipe = apply_data(default_recipe(), {"train_file": str(copy), "sample_rows": None})[0]
    notes = field_notes(review(recipe)[4])
    assert notes["data.train_file"].startswith("⚠ ")
