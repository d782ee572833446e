"""The one-job runner, with a real training subprocess: start, refuse a second job, cancel, reattach."""

import time

import pytest

from toolft.recipe import load_recipe, replace_field
from toolft.runfolder import RunFolder
from toolft.runs import (JobBusyError, JobRunner, list_runs, new_run_dir, process_start_time,
                         training_command)


def _wait(predicate, timeout=240.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_training_command_runs_the_cli_without_a_shell(tmp_path):
    cmd = training_command(tmp_path / "recipe.yaml", tmp_path)
    assert cmd[1:4] == ["-m", "toolft", "train"] and cmd[-2:] == ["--run-dir", str(tmp_path)]


def test_new_run_dirs_are_unique_and_safe():
    a, b = new_run_dir("my recipe/../x"), new_run_dir("my recipe/../x")
    assert a != b and a.parent == b.parent and "/" not in a.name and ".." not in a.name


def test_start_busy_cancel_and_reattach(tiny_model_path):
    recipe = replace_field(load_recipe("tiny-cpu"), "training.max_steps", 100000)  # runs until cancelled
    recipe = replace_field(recipe, "data.sample_rows", 60)
    runner = JobRunner()
    run = runner.start(recipe, name="cancel-me")
    try:
        assert run.read_status()["state"] in ("queued", "running")
        with pytest.raises(JobBusyError):
            runner.start(recipe)
        assert _wait(lambda: (run.read_status().get("step") or 0) >= 2), run.tail_log()
        # a fresh runner (as after a server restart) finds the live job through status.json
        assert JobRunner().active().path == run.path
        assert [r.path for r in list_runs()][0] == run.path
    finally:
        cancelled = runner.cancel()
    assert cancelled is not None and cancelled.path == run.path
    status = RunFolder(run.path).read_status()
    assert status["state"] == "cancelled", status
    assert process_start_time(status["pid"]) is None  # the trainer is gone
    assert runner.active() is None
    assert not run.has_adapter()


def test_trainer_crash_is_recorded_as_failed(tmp_path):
    recipe = replace_field(load_recipe("tiny-cpu"), "data.train_file", str(tmp_path / "missing.jsonl"))
    runner = JobRunner()
    run = runner.start(recipe, name="broken")
    assert _wait(lambda: runner.active() is None, timeout=120)
    status = run.read_status()
    assert status["state"] == "failed" and "missing.jsonl" in status["error"]


def test_a_run_whose_trainer_is_gone_is_marked_interrupted(tmp_path):
    """After a server restart a run may say "running" with a pid that is dead, or reused by
    another process (here: this test's own pid with a different start time)."""
    import os

    dead = RunFolder(new_run_dir("dead"))
    dead.write_status(state="running", pid=2**22 - 7, pid_started=1)
    reused = RunFolder(new_run_dir("reused"))
    reused.write_status(state="running", pid=os.getpid(), pid_started=process_start_time(os.getpid()) - 1)
    runner = JobRunner()
    assert runner.active() is None
    for run in (dead, reused):
        status = run.read_status()
        assert status["state"] == "interrupted" and "trainer process is gone" in status["error"]
    assert runner.cancel() is None  # nothing to cancel, and nothing was signalled
