"""Train tab handlers on hand-written run folders: status, progress, log and the loss plot; no training."""

from pathlib import Path
import json
import os
import time

from toolft.home import runs_dir
from toolft.recipe import load_recipe
from toolft.ui.common import store_upload
from toolft.runfolder import RunFolder
from toolft.runs import process_start_time
from toolft.ui.train_tab import LOG_LINES, cancel, command_preview, launch, recipe_check, refresh


def make_run(name: str, status: dict, metrics: list[dict] = (), log: str = "") -> RunFolder:
    run = RunFolder(runs_dir() / name)
    run.path.mkdir(parents=True)
    (run.path / "status.json").write_text(json.dumps(status), encoding="utf-8")
    (run.path / "metrics.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metrics), encoding="utf-8")
    (run.path / "train.log").write_text(log, encoding="utf-8")
    return run


def test_launch_refuses_an_invalid_recipe():
    recipe = load_recipe("tiny-cpu").to_dict()
    recipe["lora"]["r"] = 0
    message = launch(recipe)
    assert message.startswith("**Not launched") and "**LoRA rank** (`lora.r`): must be at least 1" in message
    assert list(runs_dir().iterdir()) == []  # nothing was started


def test_launch_refuses_a_missing_data_file(tmp_path):
    recipe = load_recipe("tiny-cpu").to_dict()
    copy = store_upload(Path(__file__))  # an upload copy that is then deleted
    copy.unlink()
    recipe["data"]["train_file"] = str(copy)
    for message in (launch(recipe), recipe_check(recipe)):
        assert "- **Training data** (`data.train_file`): " in message and message.endswith("file not found")


def test_launch_refuses_while_a_job_runs():
    # a run folder whose trainer pid is alive (this test process) counts as the running job
    make_run("20250101-000000-busy", {"state": "running", "pid": os.getpid(), "step": 3, "total_steps": 10})
    message = launch(load_recipe("tiny-cpu").to_dict())
    assert message == "**Not launched:** run 20250101-000000-busy is in progress; cancel it or wait for it to finish."
    assert len(list(runs_dir().iterdir())) == 1


def test_cancel_without_a_job_says_so():
    assert cancel() == "No training run is in progress."


def test_command_preview_shows_the_trainer_command():
    command = command_preview(load_recipe("tiny-cpu").to_dict())
    assert "-m toolft train" in command and "--run-dir" in command and "tiny-cpu" in command
    assert recipe_check(load_recipe("tiny-cpu").to_dict()).startswith("Ready")


def test_the_preview_is_the_command_launch_runs():
    """A recipe name with spaces and slashes: the preview names the folder Launch will create."""
    import re
    import shlex

    from toolft.runs import new_run_dir, training_command

    recipe = load_recipe("tiny-cpu").to_dict() | {"name": "my run/../x"}
    made = new_run_dir(recipe["name"])  # what RUNNER.start creates for this recipe
    launched = [re.sub(r"\d{8}-\d{6}", "<YYYYmmdd-HHMMSS>", part)
                for part in training_command(made / "recipe.yaml", made)]
    assert shlex.split(command_preview(recipe)) == launched
    assert made.name.endswith("-my-run-x")


def test_refresh_renders_status_log_and_metrics():
    now = time.time()
    metrics = [{"event": "train", "step": 5, "epoch": 0.1, "loss": 2.5, "learning_rate": 0.003, "grad_norm": 1.2,
                "num_tokens": 1000, "time": now - 60},
               {"event": "train", "step": 10, "epoch": 0.2, "loss": 1.8, "learning_rate": 0.0028, "grad_norm": 0.9,
                "num_tokens": 4000, "time": now - 50},
               {"event": "eval", "step": 10, "epoch": 0.2, "eval_loss": 1.9}]
    log = "\n".join(f"log line {i}" for i in range(100))
    make_run("20250101-000000-old", {"state": "completed", "step": 4, "total_steps": 4})
    alive = {"pid": os.getpid(), "pid_started": process_start_time(os.getpid())}  # a live process stands in
    run = make_run("20250102-000000-tiny", {"state": "running", **alive, "step": 10, "total_steps": 40,
                                            "started_at": now - 100}, metrics, log)
    (run.path / "metrics.jsonl").open("a").write('{"event": "train", "st')  # a half-written line

    status, figure, log_text, key = refresh()

    assert "20250102-000000-tiny" in status and "running" in status
    assert "step **10/40** (25%)" in status and "ETA 5m 00s" in status
    assert log_text.splitlines() == [f"log line {i}" for i in range(100 - LOG_LINES, 100)]
    traces = {trace.name: trace for trace in figure.data}
    assert list(traces["loss"].x) == [5, 10] and list(traces["loss"].y) == [2.5, 1.8]
    assert list(traces["eval_loss"].y) == [1.9]
    assert traces["learning_rate"].yaxis == "y2"
    assert list(traces["grad_norm"].y) == [1.2, 0.9] and list(traces["tokens/s"].y) == [300.0]  # 3000 tokens in 10 s
    assert key == ("20250102-000000-tiny", 3)


def test_refresh_shows_a_failed_run_and_no_runs():
    assert refresh()[0].startswith("No runs yet")
    make_run("20250103-000000-bad", {"state": "failed", "error": "ValueError: no valid rows", "started_at": 1.0,
                                     "finished_at": 61.0})
    status, figure, _, _ = refresh()
    assert "failed" in status and "ValueError: no valid rows" in status and "Took 1m 00s" in status
    assert figure is None  # no step was logged: the plot keeps its placeholder


def test_a_model_build_before_training_shows_its_progress_and_eta():
    alive = {"pid": os.getpid(), "pid_started": process_start_time(os.getpid())}
    make_run("20250104-000000-first", {"state": "running", **alive, "started_at": time.time() - 30,
                                       "phase": "building tiny-qwen3 (first use only, then cached)",
                                       "phase_step": 450, "phase_total": 1800, "phase_eta_s": 135})
    status = refresh()[0]
    assert "Preparing: building tiny-qwen3 (first use only, then cached)" in status
    assert "step 450/1800 (25%)" in status and "ETA 2m 15s" in status


def test_a_busy_refusal_is_cleared_once_the_job_has_ended():
    from toolft.ui.train_tab import stale_message_cleared

    refusal = "**Not launched:** run 20250101-000000-busy is in progress; cancel it or wait for it to finish."
    busy = make_run("20250101-000000-busy", {"state": "running", "pid": os.getpid(), "step": 3, "total_steps": 10})
    assert stale_message_cleared(refusal) != ""  # still true: kept
    busy.write_status(state="completed")
    assert stale_message_cleared(refusal) == ""
    assert stale_message_cleared("Started run **x**.") != ""


def test_a_runs_error_is_shown_as_text_without_the_servers_folders(tmp_path, monkeypatch):
    """Every visitor sees a run's error: markup in it (a data value, a file name) is text, and the toolft home is
    written as $TOOLFT_HOME."""
    from toolft.home import toolft_home
    from toolft.runfolder import RunFolder
    from toolft.ui.train_tab import status_markdown

    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))
    run = RunFolder(tmp_path / "home" / "runs" / "20260101-000000-x")
    error = f'ValueError: {toolft_home()}/uploads/abc/<img src=x onerror="alert(1)">.jsonl: no valid rows'
    text = status_markdown(run, {"state": "failed", "error": error})
    assert ('**Error:** ValueError: $TOOLFT\\_HOME/uploads/abc/&lt;img src=x onerror="alert(1)"&gt;.jsonl: no valid '
            'rows') in text
    assert str(tmp_path) not in text


def test_the_ready_line_shows_the_recipe_name_as_text():
    recipe = load_recipe("tiny-cpu").to_dict()
    recipe["name"] = "walk **b** <i>x</i>"
    assert recipe_check(recipe).startswith("Ready: recipe **walk \\*\\*b\\*\\* &lt;i&gt;x&lt;/i&gt;** on **tiny-qwen3**")
