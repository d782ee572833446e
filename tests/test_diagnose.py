"""Reading the curves: each verdict on a synthetic curve made to show it, and the CLI on a run folder."""

import json
import math

import pytest

from tests.conftest import cli
from toolft.diagnose import diagnose
from toolft.runfolder import RunFolder


def curve(losses, evals=()):
    events = [{"event": "train", "step": i + 1, "loss": loss} for i, loss in enumerate(losses)]
    return events + [{"event": "eval", "step": step, "eval_loss": loss} for step, loss in evals]


def verdicts(events):
    return [v["verdict"] for v in diagnose(events)["verdicts"]]


@pytest.mark.parametrize("name, events, expected", [
    ("falling", curve([3.0 * 0.97 ** i for i in range(60)]), ["learning"]),
    ("drops then flat", curve([0.9 + 2.1 * 0.7 ** i for i in range(60)]), ["plateau"]),
    ("stuck near the start", curve([3.0 + 0.02 * math.sin(i) for i in range(40)]), ["not_learning"]),
    ("NaN", curve([3.0, 2.8, float("nan"), 2.5, 2.4, 2.3]), ["diverging"]),
    ("null from the trainer", curve([3.0, 2.8, None, 2.5, 2.4, 2.3]), ["diverging"]),
    ("a spike", curve([3.0 * 0.95 ** i for i in range(30)] + [9.0] + [1.0] * 5), ["diverging"]),
    ("train loss back up", curve([3.0 * 0.9 ** i for i in range(20)] + [0.4 + 0.05 * i for i in range(20)]),
     ["overfitting"]),
    ("eval rising while train falls", curve([3.0 * 0.97 ** i for i in range(60)], [(20, 2.0), (40, 2.2), (60, 2.5)]),
     ["learning", "overfitting", "generalisation_gap"]),
    ("eval well above train", curve([3.0 * 0.97 ** i for i in range(60)], [(30, 1.9), (60, 1.8)]),
     ["learning", "generalisation_gap"]),
    ("eval close to train", curve([3.0 * 0.97 ** i for i in range(60)], [(30, 1.25), (60, 0.6)]), ["learning"]),
    ("too few points", curve([3.0, 2.9]), ["too_early"]),
])
def test_each_verdict(name, events, expected):
    assert verdicts(events) == expected, name


def test_noise_is_not_a_verdict():
    """A wobble on a memorised set is not divergence, and batch noise on a flat tail is not overfitting."""
    import random

    memorised = [3.0 * 0.7 ** i for i in range(20)] + [0.002, 0.003, 0.002, 0.006, 0.002, 0.003] * 3
    assert "diverging" not in verdicts(curve(memorised))
    rng = random.Random(0)
    flagged = sum("overfitting" in verdicts(curve([3.0 * 0.9 ** i for i in range(20)] +
                                                  [0.4 * (1 + rng.uniform(-0.3, 0.3)) for _ in range(40)]))
                  for _ in range(100))
    assert flagged <= 5


def test_messages_carry_the_numbers():
    result = diagnose(curve([3.0 * 0.97 ** i for i in range(60)], [(30, 1.9), (60, 1.8)]))
    gap = next(v for v in result["verdicts"] if v["verdict"] == "generalisation_gap")
    assert "1.8 is" in gap["message"] and "within 0.1-0.3" in gap["message"] and gap["severity"] == "warning"
    assert result["train_points"] == 60 and result["eval_points"] == 2


def test_cli_diagnose(tmp_path):
    run = RunFolder(tmp_path / "run")
    run.write_status(state="completed")
    for event in curve([3.0, 2.99, 3.01, 3.0, 2.98, 3.0]):
        run.append_metrics(event)
    proc = cli("runs", "diagnose", run.path, "--json")
    assert proc.returncode == 0
    result = json.loads(proc.stdout)
    assert [v["verdict"] for v in result["verdicts"]] == ["not_learning"] and result["run_dir"] == str(run.path)
    assert "not_learning" in cli("runs", "diagnose", run.path).stdout
    assert cli("runs", "diagnose", tmp_path / "nothing").returncode == 2
