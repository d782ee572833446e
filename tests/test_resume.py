"""Runs that survive: checkpoints every N steps, cancel keeps the last step, a killed trainer is marked
interrupted, and `runs resume` continues the step count, schedule and curves to the end (real tiny training)."""

import json
import os
import signal
import time

import pytest

from tests.conftest import cli, run_cli
from toolft.recipe import load_recipe, replace_field, save_recipe
from toolft.runfolder import RunFolder
from toolft.runs import JobBusyError, JobRunner

STEPS = 24


def short_recipe():
    recipe = load_recipe("tiny-cpu")
    for key, value in [("data.sample_rows", 120), ("training.max_steps", STEPS), ("training.save_steps", 4),
                       ("training.logging_steps", 1), ("training.per_device_train_batch_size", 2),
                       ("name", "resumable")]:
        recipe = replace_field(recipe, key, value)
    return recipe


def wait_for(test, timeout=240, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = test()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def train_steps(run: RunFolder) -> list[int]:
    return [e["step"] for e in run.read_metrics() if e["event"] == "train"]


def test_cancel_keeps_the_last_step_and_resume_finishes_the_run(tiny_model_path):
    runner = JobRunner()
    run = runner.start(short_recipe())
    wait_for(lambda: (run.read_status().get("step") or 0) >= 6, what="step 6")
    with pytest.raises(JobBusyError, match=f"run {run.name} is in progress"):
        runner.start(short_recipe())  # one job at a time, and the refusal names it
    runner.cancel()
    status = run.read_status()
    assert status["state"] == "cancelled"
    stopped = status["step"]
    assert run.last_checkpoint().name == f"checkpoint-{stopped}"  # saved at the step it stopped on
    runner.resume(run)
    wait_for(lambda: run.read_status().get("state") in ("completed", "failed"), what="the resumed run to end")
    status = run.read_status()
    assert status["state"] == "completed", run.log_path.read_text()[-3000:]
    assert status["step"] == STEPS and status["resumed_from"] == f"checkpoint-{stopped}"
    assert train_steps(run) == list(range(1, STEPS + 1))  # the curve continues: every step once, in order
    lrs = [e["learning_rate"] for e in run.read_metrics() if e["event"] == "train"]
    assert lrs[stopped] <= lrs[stopped - 1]  # the cosine schedule carried on, not restarted at warm-up
    assert run.has_adapter() and "resuming from checkpoint-" in run.log_path.read_text()
    assert len(list(run.checkpoints_dir.glob("checkpoint-*"))) <= 2  # save_total_limit


def test_a_killed_trainer_is_interrupted_then_resumed_from_the_cli(tiny_model_path):
    runner = JobRunner()
    run = runner.start(short_recipe())
    wait_for(lambda: run.last_checkpoint() is not None and (run.read_status().get("step") or 0) >= 9,
             what="a checkpoint")
    os.killpg(run.read_status()["pid"], signal.SIGKILL)  # kill -9: no last word from the trainer
    wait_for(lambda: runner._proc.poll() is not None, what="the trainer to die")
    restarted = JobRunner()  # a new app process: it finds the run's trainer gone
    assert restarted.active() is None
    status = run.read_status()
    assert status["state"] == "interrupted" and "can be resumed" in status["error"]
    listed = json.loads(cli("runs", "list", "--json").stdout)
    assert listed[0]["run_dir"] == str(run.path) and listed[0]["state"] == "interrupted"
    proc = run_cli("runs", "resume", run.path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert run.read_status()["state"] == "completed" and run.read_status()["step"] == STEPS
    # the steps after the checkpoint were trained again; their first log was dropped: each step once, in order
    assert train_steps(run) == list(range(1, STEPS + 1))


def test_resume_refuses_what_it_cannot_continue(tmp_path):
    run = RunFolder(tmp_path / "done")
    run.write_status(state="completed")
    proc = cli("runs", "resume", run.path)
    assert proc.returncode == 2 and "only a failed, cancelled or interrupted run can be resumed" in proc.stderr
    early = RunFolder(tmp_path / "early")
    early.write_status(state="failed")
    save_recipe(short_recipe(), early.recipe_path)
    (early.data_dir).mkdir(parents=True)
    (early.data_dir / "train.jsonl").write_text("", encoding="utf-8")
    assert "no complete checkpoint yet" in cli("runs", "resume", early.path).stderr
    half = early.checkpoints_dir / "checkpoint-8"
    half.mkdir(parents=True)  # a save cut short: no trainer_state.json
    assert early.last_checkpoint() is None
    assert "is not a run folder" in cli("runs", "resume", tmp_path / "nothing").stderr


def test_out_of_memory_failures_say_what_to_change():
    from toolft.train import _advice

    advice = _advice(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert "per_device_train_batch_size" in advice and "gradient_checkpointing" in advice
    assert _advice(ValueError("bad value")) == ""


def test_the_train_tab_offers_resume_for_a_stopped_run_with_a_checkpoint(tmp_path):
    from toolft.home import runs_dir
    from toolft.ui.train_tab import resume, status_markdown

    assert resume() == "There is no run to resume yet."
    run = RunFolder(runs_dir() / "20250101-000000-stopped")
    run.write_status(state="cancelled", step=8, total_steps=24)
    assert "Resume" not in status_markdown(run, run.read_status())
    assert resume().startswith("**Not resumed:**") and "no recipe.yaml" in resume()
    (run.checkpoints_dir / "checkpoint-8").mkdir(parents=True)
    (run.checkpoints_dir / "checkpoint-8" / "trainer_state.json").write_text("{}", encoding="utf-8")
    assert "**Resume** continues it from checkpoint-8." in status_markdown(run, run.read_status())


def test_an_older_run_is_resumed_by_name_not_only_the_newest(tmp_path):
    """Resume run A (Train tab, All runs) picks that run, even when a newer one exists."""
    from toolft.home import runs_dir
    from toolft.ui.train_tab import resume

    older = RunFolder(runs_dir() / "20250101-000000-older")
    older.write_status(state="cancelled", step=8, total_steps=24)
    newer = RunFolder(runs_dir() / "20250102-000000-newer")
    newer.write_status(state="completed", step=24, total_steps=24)
    assert "20250102-000000-newer is completed" in resume()  # the button beside Launch: the newest
    picked = resume(name=older.name)
    assert picked.startswith("**Not resumed:** 20250101-000000-older has no recipe.yaml"), picked
    assert resume(name="../elsewhere") == "**No run called ../elsewhere** (deleted meanwhile?)."


def test_a_resumed_run_shows_no_stale_elapsed_time_until_its_training_restarts(tmp_path):
    """Right after Resume, the status still holds the first attempt's clock: no "elapsed"/ETA from it."""
    from toolft.ui.train_tab import status_markdown

    run = RunFolder(tmp_path / "20250101-000000-resumed")
    first = {"state": "running", "started_at": 1000.0, "train_started_at": 1010.0, "train_started_step": 0,
             "step": 54, "total_steps": 272}
    assert "elapsed 1m 30s" in status_markdown(run, first, now=1100.0)
    resumed = {**first, "resumed_from": "checkpoint-54", "train_started_at": None, "train_started_step": None}
    text = status_markdown(run, resumed, now=5000.0)
    assert "step **54/272**" in text and "elapsed" not in text and "ETA" not in text
    restarted = {**resumed, "train_started_at": 4990.0, "train_started_step": 54, "step": 58}
    assert "elapsed 10s" in status_markdown(run, restarted, now=5000.0)
