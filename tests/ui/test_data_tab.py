"""Data tab handlers on real files: uploads are copied, checked and previewed; bad lines are named."""

import json
from pathlib import Path

from toolft.data.records import CATEGORIES
from toolft.ui.data_tab import ERROR_HEADERS, PREVIEW_HEADERS, use_sample, use_upload

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
GOOD = {"messages": [{"role": "user", "content": "Weather in Paris?"},
                     {"role": "assistant", "tool_calls": [{"type": "function", "function": {
                         "name": "get_weather", "arguments": {"city": "Paris"}}}]}],
        "tools": TOOLS}
PLAIN = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_malformed_upload_names_the_bad_lines_and_keeps_the_file(tmp_path):
    bad_call = {**GOOD, "messages": [GOOD["messages"][0], {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "get_time", "arguments": {}}}]}]}
    upload = write_lines(tmp_path / "train.jsonl",
                         [json.dumps(GOOD), "{not json", json.dumps(PLAIN), json.dumps(bad_call)])
    before = upload.read_bytes()

    summary, preview, errors, choice = use_upload(str(upload), None)

    assert upload.read_bytes() == before
    assert "**4** rows" in summary and "**2** valid" in summary and "**2** invalid" in summary
    assert [row[0] for row in errors] == [2, 4]
    assert "invalid JSON" in errors[0][2]
    assert errors[1][1] == "messages[1].tool_calls[0].function.name" and "get_time" in errors[1][2]
    assert len(ERROR_HEADERS) == len(errors[0])
    assert [row[:2] for row in preview] == [[1, "single_call"], [3, "no_tool"]]
    assert len(PREVIEW_HEADERS) == len(preview[0])
    assert 'get_weather({"city": "Paris"})' == preview[0][3] and preview[0][4] == 1
    # training reads a copy under the home, never the visitor's file
    copy = Path(choice["train_file"])
    assert copy.name == "train.jsonl" and copy != upload and copy.read_bytes() == before
    assert "uploads" in copy.parts


def test_unusable_upload_keeps_the_previous_choice(tmp_path):
    previous = {"train_file": "sample", "sample_rows": 100}
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    summary, preview, errors, choice = use_upload(str(text), previous)
    assert choice == previous and "Cannot use this file" in summary and "unsupported file type" in summary
    assert str(tmp_path) not in summary

    all_bad = write_lines(tmp_path / "bad.jsonl", ["[1, 2]", json.dumps({"messages": []})])
    summary, _, errors, choice = use_upload(str(all_bad), previous)
    assert choice == previous and "No valid row" in summary
    assert [(row[0], row[1]) for row in errors] == [(1, "(row)"), (2, "messages")]


def test_json_array_upload_is_accepted(tmp_path):
    upload = tmp_path / "rows.json"
    upload.write_text(json.dumps([GOOD, PLAIN]), encoding="utf-8")
    summary, preview, errors, choice = use_upload(str(upload), None)
    assert errors == [] and len(preview) == 2 and choice["train_file"].endswith("rows.json")


def test_sample_gives_every_category():
    summary, preview, errors, choice = use_sample(120)
    assert choice == {"train_file": "sample", "sample_rows": 120}
    assert errors == [] and "**120** valid" in summary
    assert {row[1] for row in use_sample(600)[1]} <= set(CATEGORIES)
    for category in CATEGORIES:
        assert category.replace("_", " ") in summary
    counts = [int(part.split("**")[1]) for part in summary.split("Categories: ")[1].split("\n")[0].split(" · ")]
    assert len(counts) == 6 and all(counts) and sum(counts) == 120
    assert len(preview) == 50


def test_sample_defaults_to_the_default_recipes_size():
    from toolft.recipe import default_preset_name, load_recipe
    from toolft.ui.data_tab import default_sample_rows

    expected = load_recipe(default_preset_name()).data.sample_rows
    assert default_sample_rows() == expected
    assert use_sample(None)[3] == {"train_file": "sample", "sample_rows": expected}
