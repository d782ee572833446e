"""Evaluate tab: the table, headline, warnings and failure list from a real scoring of base vs fine-tuned."""

import shutil

from toolft.home import runs_dir
from toolft.ui.evaluate_tab import failure_text, failures, headline, regressions, score, score_table


def last(generator):
    out = None
    for out in generator:
        pass
    return out


def card(**overall):
    from toolft.scoring import scorecard

    base = scorecard([])
    base["overall"].update(overall)
    return base


def test_table_leads_with_full_call_accuracy_and_every_figure_has_its_n():
    base = card(n=10, full_call_accuracy=0.1, n_full_call_accuracy=6, over_calling_rate=0.0, n_over_calling_rate=4,
                refusal_accuracy=1.0, n_refusal_accuracy=2, accuracy=0.3, n_accuracy=10)
    tuned = card(n=10, full_call_accuracy=0.5, n_full_call_accuracy=6, over_calling_rate=0.25, n_over_calling_rate=4,
                 refusal_accuracy=0.5, n_refusal_accuracy=2, accuracy=0.5, n_accuracy=10)
    result = {"base": base, "finetuned": tuned, "rows": [], "seconds": 3}
    table = score_table(result)
    assert table[0] == ["all", "right tool and right arguments", 6, "10%", "50%", "+40 pts"]
    assert ["all", "calls where none was due", 4, "0%", "25%", "+25 pts"] in table
    assert "base 10% → fine-tuned 50%" in headline(result) and "of 6 rows that want a call" in headline(result)
    warnings = regressions(result)
    assert "⚠ calls where none was due went up: 0% → 25% (n=4)" in warnings
    assert "⚠ refuses what it should went down: 100% → 50% (n=2)" in warnings
    assert not any("right tool" in w for w in warnings)


def test_scoring_a_run_in_the_tab(adapter_run, tmp_path):
    run_dir = runs_dir() / "20250106-000000-scored"
    shutil.copytree(adapter_run.path, run_dir)
    assert "whole number from 1 to 500" in last(score(run_dir.name, None, 0))[0]
    assert "Pick a finished run" in last(score(None, None, 5))[0]
    message, top, table, warnings, _, choices, detail, result = last(score(run_dir.name, None, 6))
    assert message.startswith(f"Scored **6** rows held out by the run with **{run_dir.name}".replace("_", "\\_")), message
    assert top.startswith("**Right tool and right arguments: base ")
    assert table[0][1] == "right tool and right arguments" and table[0][2] == result["base"]["overall"]["n_full_call_accuracy"]
    listed = failures(result)
    failed = {i for i, r in enumerate(result["rows"]) if not (r["base"]["valid"] and r["finetuned"]["valid"])}
    assert {i for _, i in listed} == failed and len(listed) == len(failed)
    tuned_ok = [result["rows"][i]["finetuned"]["valid"] for _, i in listed]
    assert tuned_ok == sorted(tuned_ok)  # rows the fine-tuned model fails come first
    if listed:
        row = result["rows"][listed[0][1]]
        text = failure_text(result, listed[0][1])
        assert detail == text and row["base"]["text"] in text and row["finetuned"]["text"] in text
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    assert last(score(run_dir.name, str(bad), 5))[0].startswith("**No row could be scored**: 1 rows are invalid")
    binary = tmp_path / "model.bin.jsonl"
    binary.write_bytes(b"\x00\x01\xff" * 100)
    assert last(score(run_dir.name, str(binary), 5))[0].startswith("**Cannot score this file:**")
    # the uploaded file is copied before the visitor waits for the model: Gradio may expire its copy meanwhile
    upload = tmp_path / "held.jsonl"
    shutil.copyfile(run_dir / "data" / "eval.jsonl", upload)
    steps = score(run_dir.name, str(upload), 2)
    next(steps)  # started: the file is held
    upload.unlink()
    assert last(steps)[0].startswith("Scored **2** rows from `held.jsonl`")  # the visitor's name, no server folder
    assert last(score(run_dir.name, str(upload), 2))[0].startswith("**Cannot read the uploaded file:**")


def test_the_tab_scores_the_whole_held_out_split_of_the_default_cpu_run_by_default():
    """With the default row count, the demo run's scorecard covers every held-out row, so each kind has
    enough rows to tell base and fine-tuned apart (a cap of 40 left 4 to 9 per kind)."""
    from toolft.data.records import split_sizes
    from toolft.recipe import load_recipe
    from toolft.ui.evaluate_tab import DEFAULT_ROWS, MAX_ROWS

    data = load_recipe("tiny-cpu").data
    held_out = split_sizes(data.sample_rows, data.eval_fraction)[1]
    assert held_out >= 150 and held_out <= DEFAULT_ROWS <= MAX_ROWS
