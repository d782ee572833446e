"""The run registry: open and compare two runs (numbers, recipe diff, curves), delete one, never a training one;
the same from the CLI (`runs compare`, `runs delete`) and from the Train tab's handlers."""

import json
import os

import pytest

from tests.conftest import cli
from toolft.home import runs_dir
from toolft.recipe import load_recipe, replace_field, save_recipe
from toolft.runfolder import RunFolder
from toolft.runs import RunBusyError, compare_runs, delete_run, find_run_dir, process_start_time


def make_run(name: str, changes: dict, losses: list[float], evals: list[float], state="completed") -> RunFolder:
    run = RunFolder(runs_dir() / name)
    run.write_status(state=state, step=len(losses), total_steps=len(losses))
    recipe = load_recipe("tiny-cpu")
    for key, value in {"name": name, **changes}.items():
        recipe = replace_field(recipe, key, value)
    save_recipe(recipe, run.recipe_path)
    for step, loss in enumerate(losses, start=1):
        run.append_metrics({"event": "train", "step": step, "loss": loss})
    for step, loss in zip(range(2, 2 * len(evals) + 1, 2), evals):
        run.append_metrics({"event": "eval", "step": step, "eval_loss": loss})
    return run


def test_compare_two_runs_in_the_library_and_the_cli():
    a = make_run("20261130-010000-fast", {"training.learning_rate": 6e-3}, [3.0, 2.0, 1.5, 1.2], [2.4, 2.2])
    b = make_run("20261130-020000-slow", {"training.learning_rate": 1e-3, "lora.r": 8}, [3.0, 2.8], [2.9])
    result = compare_runs(a, b)
    assert result["recipe_diff"] == [{"field": "lora.r", "a": 16, "b": 8},
                                     {"field": "training.learning_rate", "a": 6e-3, "b": 1e-3}]  # names left out
    assert result["a"]["train_loss"] == 1.2 and result["a"]["best_eval_loss"] == 2.2
    assert result["b"]["eval_loss"] == 2.9 and result["curves"]["b"]["train_loss"] == [[1, 3.0], [2, 2.8]]
    # the CLI takes folders or names under the home
    out = cli("runs", "compare", str(a.path), b.name, "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["recipe_diff"] == result["recipe_diff"]
    text = cli("runs", "compare", a.name, b.name).stdout
    assert "training.learning_rate: 0.006 -> 0.001" in text and "lora.r: 16 -> 8" in text
    missing = cli("runs", "compare", a.name, "nope")
    assert missing.returncode == 2 and "nope is not a run folder" in missing.stderr


def test_delete_a_run_but_never_one_that_is_training(tmp_path):
    done = make_run("20261130-030000-done", {}, [1.0], [])
    busy = make_run("20261130-040000-busy", {}, [1.0], [], state="running")
    busy.write_status(pid=os.getpid(), pid_started=process_start_time(os.getpid()))  # this process: alive
    with pytest.raises(RunBusyError, match="is training; cancel it first"):
        delete_run(busy)
    refused = cli("runs", "delete", busy.name)
    assert refused.returncode == 2 and "is training" in refused.stderr and busy.path.is_dir()
    outside = RunFolder(tmp_path / "elsewhere")
    outside.write_status(state="completed")
    with pytest.raises(ValueError, match="deletes only its own runs"):
        delete_run(outside)
    assert outside.path.is_dir()
    assert cli("runs", "delete", done.name).returncode == 0 and not done.path.exists()
    with pytest.raises(FileNotFoundError):
        find_run_dir(done.name)


def test_train_tab_registry_open_compare_delete():
    from toolft.ui.train_tab import compare_view, delete_view, registry_rows, run_names

    a = make_run("20261130-050000-first", {}, [2.0, 1.0], [1.5])
    b = make_run("20261130-060000-second", {"lora.r": 4}, [2.0, 1.8], [1.9])
    assert run_names() == [b.name, a.name]  # newest first
    assert registry_rows()[1] == [a.name, "completed", "2/2", "1", "1.5 (1.5)"]
    opened, fig = compare_view(a.name, None)
    assert f"`{a.name}`" in opened and "differ" not in opened and len(fig.data) == 2  # train + eval of one run
    compared, fig = compare_view(a.name, b.name)
    assert "| `lora.r` | 16 | 4 |" in compared and len(fig.data) == 4
    assert {trace.name for trace in fig.data} == {"A train loss", "A eval loss", "B train loss", "B eval loss"}
    assert "Tick **Yes, delete it**" in delete_view(a.name, False) and a.path.is_dir()
    assert delete_view(a.name, True) == f"Deleted `{a.name}`." and not a.path.exists()
    assert run_names() == [b.name]
    assert "Pick a run" in compare_view(None, None)[0]


def test_runs_that_logged_nothing_or_lost_their_recipe_still_compare():
    from toolft.ui.train_tab import compare_view

    a = make_run("20261130-070000-empty", {}, [], [])
    b = make_run("20261130-080000-nan", {}, [2.0, float("nan")], [float("nan"), 1.7])
    summary = compare_runs(a, b)
    assert summary["a"]["train_loss"] is None and summary["b"]["train_loss"] == 2.0  # NaN is not a loss
    assert summary["b"]["best_eval_loss"] == 1.7
    b.recipe_path.unlink()
    result = compare_runs(a, b)
    assert result["recipe_diff"] == [] and "recipe.yaml cannot be read" in result["recipe_problems"][0]
    text, _ = compare_view(a.name, b.name)
    assert "cannot be read" in text and "the same" not in text and "None" not in text
    assert "cannot be read" in cli("runs", "compare", a.name, b.name).stdout
    # an older recipe with a key this version does not know still compares, key by key
    b.recipe_path.write_text("name: old\nlora:\n  r: 4\n  rank_scale: 2\n")
    fields = {d["field"] for d in compare_runs(a, b)["recipe_diff"]}
    assert {"lora.r", "lora.rank_scale"} <= fields


def test_the_tab_never_opens_or_deletes_a_path_and_refuses_the_active_run(monkeypatch):
    from toolft import runs
    from toolft.ui.train_tab import compare_view, delete_view

    run = make_run("20261130-090000-live", {}, [1.0], [])
    assert "No run called" in compare_view(str(run.path), None)[0]  # a folder path is not a run name
    assert "no run called" in delete_view("../" + run.name, True)
    monkeypatch.setattr(runs.RUNNER, "_active_locked", lambda: run)  # the runner says this run is training
    assert "is training; cancel it first" in delete_view(run.name, True) and run.path.is_dir()
