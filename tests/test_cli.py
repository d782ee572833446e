"""The command line, run as a user would: a real ``python -m toolft`` subprocess."""

import json
import subprocess
import sys

from tests.conftest import REPO, cli, run_cli
from toolft.data.records import CATEGORIES


def test_data_sample_then_check(tmp_path, tiny_model_path):
    out = tmp_path / "sample.jsonl"
    proc = cli("data", "sample", out, "--n", "60", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 60
    again = tmp_path / "again.jsonl"
    cli("data", "sample", again, "--n", "60", "--seed", "3")
    assert again.read_bytes() == out.read_bytes()  # deterministic

    proc = cli("data", "check", out, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["rows"], summary["valid"], summary["invalid"], summary["errors"]) == (60, 60, 0, [])
    assert set(summary["categories"]) == set(CATEGORIES) and all(summary["categories"].values())
    tokens = summary["tokens"]
    assert 0 < tokens["min"] <= tokens["median"] <= tokens["max"] and tokens["over_max_length"] == 0


def test_data_check_reports_bad_lines(tmp_path):
    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    bad_call = {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "function": {"name": "nope", "arguments": {}}}]}], "tools": []}
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([json.dumps(good), "{not json", json.dumps(bad_call), json.dumps(good)]) + "\n")
    before = path.read_bytes()
    proc = cli("data", "check", path, "--json", "--no-tokens")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["rows"], summary["valid"], summary["invalid"]) == (4, 2, 2)
    by_line = {e["line"]: e for e in summary["errors"]}
    assert set(by_line) == {2, 3}
    assert "invalid JSON" in by_line[2]["message"]
    assert "nope" in by_line[3]["message"] and "tool_calls" in by_line[3]["field"]
    assert path.read_bytes() == before


def test_data_check_unreadable_file_is_one_line_and_exit_2(tmp_path):
    for target in (tmp_path / "missing.jsonl", tmp_path / "empty.jsonl"):
        if target.name == "empty.jsonl":
            target.write_text("")
        proc = cli("data", "check", target, "--json", "--no-tokens")
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error:") and "Traceback" not in proc.stderr


def test_plan_json_for_both_presets():
    for preset in ("tiny-cpu", "qwen3-1.7b-t4"):
        proc = cli("plan", preset, "--json")
        assert proc.returncode == 0, proc.stderr
        plan = json.loads(proc.stdout)
        for key in ("trainable_params", "total_params", "steps_per_epoch", "total_steps"):
            assert isinstance(plan[key], int) and plan[key] > 0
        assert plan["memory_gb"]["total"] > 0
    assert plan["trainable_params"] == 17_432_576  # Qwen3-1.7B, r=16 on all linear layers (28 x 622,592)


def test_unknown_preset_is_a_clear_error():
    proc = cli("plan", "no-such-preset")
    assert proc.returncode == 2 and "no such preset or file" in proc.stderr and "Traceback" not in proc.stderr


def test_expected_errors_are_one_line_not_tracebacks(tmp_path):
    from toolft.recipe import load_recipe, replace_field, save_recipe

    missing = save_recipe(replace_field(load_recipe("tiny-cpu"), "data.train_file", str(tmp_path / "nope.jsonl")),
                          tmp_path / "r.yaml")
    bad_text = tmp_path / "x.txt"
    bad_text.write_text("hello")
    valid = tmp_path / "valid.jsonl"
    valid.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n')
    cases = [
        (("train", missing, "--run-dir", tmp_path / "run"), "data.train_file"),
        (("data", "sample", tmp_path / "s.jsonl", "--n", "0"), "must be at least 1"),
        (("data", "check", bad_text, "--no-tokens"), "unsupported file type"),
        (("data", "check", valid, "--model", str(tmp_path / "no-model")), "cannot load the tokenizer"),
    ]
    for args, needle in cases:
        proc = cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and (needle is None or needle in proc.stderr), (args, proc.stderr)
    assert not (tmp_path / "run").exists()


def test_json_commands_print_only_json_on_a_fresh_home(tmp_path):
    """Nothing built yet: data check builds only the tokenizer, with its progress on stderr."""
    fresh = {"TOOLFT_HOME": str(tmp_path / "home"), "TOOLFT_MODELS_DIR": str(tmp_path / "models")}
    data = tmp_path / "three.jsonl"
    assert cli("data", "sample", data, "--n", "3").returncode == 0  # writes a file only: in-process is enough
    proc = run_cli("data", "check", data, "--json", env=fresh)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["valid"] == 3 and summary["tokens"]["max"] > 0
    assert "tokenizer" in proc.stderr  # the one-off build says what it is doing
    assert [p.name for p in (tmp_path / "models").iterdir() if "tokenizer" not in p.name] == []  # no model build

def test_data_check_never_imports_torch(tmp_path):
    """Counting tiny-qwen3 tokens needs the Rust tokenizer only: torch's import (~2 s) is not paid."""
    data = tmp_path / "rows.jsonl"
    assert cli("data", "sample", data, "--n", "5").returncode == 0
    code = ("import io, sys, contextlib; from toolft.__main__ import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): code = main(['data', 'check', sys.argv[1], '--json'])\n"
            "print(code, 'torch' in sys.modules, 'transformers' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True, text=True, cwd=REPO)
    assert proc.stdout.split() == ["0", "False", "True"], proc.stderr


def test_plan_and_runs_list_print_only_json_on_a_fresh_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TOOLFT_MODELS_DIR", str(tmp_path / "models"))
    for args in (("plan", "tiny-cpu", "--json"), ("runs", "list", "--json")):
        proc = cli(*args)
        assert proc.returncode == 0, proc.stderr
        json.loads(proc.stdout)


def test_data_sample_draws_held_out_values_on_request(tmp_path):
    from toolft.data.sample import HELDOUT

    path = tmp_path / "held.jsonl"
    assert cli("data", "sample", path, "--n", "40", "--seed", "9", "--pools", "heldout").returncode == 0
    text = path.read_text(encoding="utf-8")
    assert any(city in text for city in HELDOUT["CITIES"])
    proc = cli("data", "sample", path, "--pools", "nope")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_data_sample_mixes_in_invented_values_on_request(tmp_path):
    from toolft.data.sample import generate_sample

    path = tmp_path / "mixed.jsonl"
    assert cli("data", "sample", path, "--n", "30", "--seed", "4", "--invented", "0.5").returncode == 0
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == generate_sample(30, seed=4, invented_share=0.5) != generate_sample(30, seed=4)
    proc = cli("data", "sample", path, "--invented", "1.5")
    assert proc.returncode == 2 and "expected a number from 0 to 1, got 1.5" in proc.stderr


def test_data_sample_takes_a_no_call_share(tmp_path):
    from toolft.data.sample import generate_sample

    path = tmp_path / "asks.jsonl"
    assert cli("data", "sample", path, "--n", "40", "--seed", "4", "--no-call-share", "0.75").returncode == 0
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows == generate_sample(40, seed=4, no_call_share=0.75)
    assert sum(r["kind"] in ("clarification", "refusal", "no_tool") for r in rows) == 30
    proc = cli("data", "sample", path, "--no-call-share", "-0.2")
    assert proc.returncode == 2 and "expected a number from 0 to 1, got -0.2" in proc.stderr


def test_data_check_takes_max_length_from_the_recipe_and_strict_fails_on_errors(tmp_path, capsys):
    """The default recipe's max_length counts the cut rows unless --max-length overrides it; --strict
    turns any row error into exit 1 (for CI), and the JSON is printed either way."""
    from toolft.__main__ import main
    from toolft.recipe import default_preset_name, load_recipe

    path = tmp_path / "rows.jsonl"
    good = {"messages": [{"role": "user", "content": "word " * 300}, {"role": "assistant", "content": "ok"}]}
    path.write_text(json.dumps(good) + "\n" + "{broken\n")
    assert main(["data", "check", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tokens"]["max_length"] == load_recipe(default_preset_name()).training.max_length
    assert main(["data", "check", str(path), "--json", "--max-length", "64"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tokens"] is not None and summary["valid"] == 0  # the one good row trains on nothing at 64
    assert any("no trained token within max_length 64" in e["message"] for e in summary["errors"])
    assert main(["data", "check", str(path), "--json", "--strict"]) == 1
    assert json.loads(capsys.readouterr().out)["invalid"] == 1
