"""The one pre-flight check: each rule refuses at its field, before anything heavy loads; the CLI, the trainer
and the app's Launch all use it."""

import json
import time

import pytest

from tests.conftest import cli
from toolft.preflight import Hardware, PreflightError, check_or_raise, preflight
from toolft.recipe import load_recipe, replace_field, save_recipe

CPU = Hardware(cuda=False)
T4 = Hardware(cuda=True, gpu_name="Tesla T4", gpu_bf16=False)
A100 = Hardware(cuda=True, gpu_name="NVIDIA A100-SXM4-40GB", gpu_bf16=True)


def recipe(**changes):
    r = load_recipe("tiny-cpu")
    for key, value in changes.items():
        r = replace_field(r, key.replace("__", "."), value)
    return r


def fields(problems, severity="error"):
    return [p.field for p in problems if p.severity == severity]


def test_the_default_cpu_recipe_passes():
    assert preflight(recipe(), hardware=CPU) == []


@pytest.mark.parametrize("changes, hardware, field, words", [
    ({"training__mixed_precision": "fp16"}, CPU, "training.mixed_precision", "fp16 needs a CUDA GPU"),
    ({"model__dtype": "float16"}, CPU, "model.dtype", "float16 needs a CUDA GPU"),
    ({"training__mixed_precision": "bf16"}, T4, "training.mixed_precision", "choose fp16 or auto"),
    ({"model__dtype": "bfloat16"}, T4, "model.dtype", "(Tesla T4) has no native bf16"),
])
def test_precision_must_suit_the_hardware(changes, hardware, field, words):
    problems = preflight(recipe(**changes), hardware=hardware, tokenizer=False)
    assert fields(problems) == [field] and words in problems[0].message


def test_precision_that_suits_the_hardware_passes():
    assert preflight(recipe(training__mixed_precision="fp16"), hardware=T4, tokenizer=False) == []
    assert preflight(recipe(training__mixed_precision="bf16", model__dtype="bfloat16"), hardware=A100,
                     tokenizer=False) == []
    # a plan may be made for another machine
    assert preflight(recipe(training__mixed_precision="fp16"), check_hardware=False, tokenizer=False) == []


def test_data_must_be_there_and_enough(tmp_path):
    missing = preflight(recipe(data__train_file=str(tmp_path / "nope.jsonl")), hardware=CPU, tokenizer=False)
    assert fields(missing) == ["data.train_file"] and "nope.jsonl" in missing[0].message
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    assert "none of its 1 rows is valid" in preflight(recipe(data__train_file=str(bad)), hardware=CPU,
                                                      tokenizer=False)[0].message
    two = tmp_path / "two.jsonl"
    row = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
    two.write_text(json.dumps(row) + "\n" + json.dumps(row | {"id": 2}) + "\n", encoding="utf-8")
    small = preflight(recipe(data__train_file=str(two)), hardware=CPU, tokenizer=False)
    assert fields(small) == [] and fields(small, "warning") == ["data.train_file"]
    assert "only 1 training row: too few to learn from" in small[0].message


def test_model_context_targets_and_name():
    assert fields(preflight(recipe(training__max_length=4096), hardware=CPU, tokenizer=False)) == \
        ["training.max_length"]  # tiny-qwen3's context is 2048
    wrong = preflight(recipe(lora__target_modules="q_proj, qkv"), hardware=CPU, tokenizer=False)
    assert fields(wrong) == []  # q_proj exists: PEFT matches any listed name
    none = preflight(recipe(lora__target_modules="qkv, fc1"), hardware=CPU, tokenizer=False)
    assert fields(none) == ["lora.target_modules"] and "q_proj" in none[0].message  # it lists the real ones
    unknown = preflight(recipe(model__name_or_path="acme/not-a-model"), hardware=CPU)
    assert fields(unknown) == ["model.name_or_path"] and "cannot read the model config" in unknown[0].message


def test_a_template_that_cannot_render_tool_calls_is_refused(template_model):
    problems = preflight(recipe(model__name_or_path=str(template_model("llama3_2"))), hardware=CPU)
    assert fields(problems) == ["model.name_or_path"] and "assistant-only loss" in problems[0].message


def test_schema_errors_come_first_and_alone():
    problems = preflight(recipe(lora__r=0, training__mixed_precision="fp16"), hardware=CPU)
    assert [str(p) for p in problems] == ["lora.r: must be at least 1 (got 0)"]
    with pytest.raises(PreflightError, match="^lora.r: must be at least 1"):
        check_or_raise(recipe(lora__r=0))


def test_cli_train_refuses_fp16_on_cpu_before_anything_loads(tmp_path):
    path = save_recipe(recipe(training__mixed_precision="fp16"), tmp_path / "fp16.yaml")
    start = time.time()
    proc = cli("train", path, "--run-dir", tmp_path / "run")
    assert proc.returncode == 2 and time.time() - start < 30
    assert proc.stderr.strip().splitlines() == [
        "error: training.mixed_precision: fp16 needs a CUDA GPU and this machine has none: choose auto or no"]
    assert not (tmp_path / "run").exists()
    assert cli("plan", path, "--json").returncode == 0  # planning for a GPU machine is fine here


def test_the_trainer_runs_the_same_check(tmp_path):
    """Started directly (as `accelerate launch` or a Job would), the trainer refuses before the model loads."""
    from toolft.runfolder import RunFolder
    from toolft.train import run_training

    path = save_recipe(recipe(training__mixed_precision="fp16"), tmp_path / "fp16.yaml")
    assert run_training(path, tmp_path / "run") == 1
    run = RunFolder(tmp_path / "run")
    status = run.read_status()
    assert status["state"] == "failed" and "training.mixed_precision: fp16 needs a CUDA GPU" in status["error"]
    assert "model:" not in run.log_path.read_text()  # no model was loaded


def test_launch_in_the_app_refuses_at_the_field():
    from toolft.ui import train_tab

    from toolft.home import runs_dir

    message = train_tab.launch(recipe(training__mixed_precision="fp16").to_dict())
    assert message.startswith("**Not launched") and "`training.mixed_precision`" in message
    assert not runs_dir().exists() or not any(runs_dir().iterdir())  # no run was started
