"""Data tab handlers on real files: uploads are copied, converted, linted, previewed a page at a time,
and one row can be inspected as the trainer tokenizes it."""

import json
import tempfile
from pathlib import Path

from toolft.data.records import CATEGORIES
from toolft.ui import data_tab
from toolft.ui.data_tab import (
    COVERAGE_HEADERS,
    FINDING_HEADERS,
    PAGE_ROWS,
    PREVIEW_HEADERS,
    inspect,
    preview_page,
    use_sample,
    use_upload,
)

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["C", "F"]}},
    "required": ["city"]}}}]
GOOD = {"messages": [{"role": "user", "content": "Weather in Paris?"},
                     {"role": "assistant", "tool_calls": [{"type": "function", "function": {
                         "name": "get_weather", "arguments": {"city": "Paris"}}}]}],
        "tools": TOOLS}
PLAIN = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}

SUMMARY, FINDINGS, PREVIEW, PAGE, LENGTHS, KINDS, CALLS, COVERAGE, CONVERTED, FIRST, VIEW, CHOICE = range(12)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_malformed_upload_names_the_bad_lines_and_keeps_the_file(tmp_path):
    bad_call = {**GOOD, "messages": [GOOD["messages"][0], {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "get_time", "arguments": {}}}]}]}
    bad_enum = {**GOOD, "messages": [GOOD["messages"][0], {"role": "assistant", "tool_calls": [
        {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo", "unit": "K"}}}]}]}
    upload = write_lines(tmp_path / "train.jsonl",
                         [json.dumps(GOOD), "{not json", json.dumps(PLAIN), json.dumps(bad_call), json.dumps(bad_enum),
                          json.dumps(GOOD)])
    before = upload.read_bytes()

    out = use_upload(str(upload), None)

    assert upload.read_bytes() == before
    assert "Format: **openai**" in out[SUMMARY]
    assert "**6** rows" in out[SUMMARY] and "**3** valid" in out[SUMMARY] and "**3** invalid" in out[SUMMARY]
    findings = out[FINDINGS]
    assert len(FINDING_HEADERS) == len(findings[0])
    errors = [f for f in findings if f[0] == "error"]
    assert [f[1] for f in errors] == [2, 4, 5]
    assert "invalid JSON" in errors[0][4]
    assert errors[1][3] == "messages[1].tool_calls[0].function.name" and "get_time" in errors[1][4]
    assert errors[2][3] == "messages[1].tool_calls[0].function.arguments.unit" and '"K" is not one of' in errors[2][4]
    assert ["warning", 6, "", "(row)", "duplicate of line 1 (same messages and tools)"] in findings
    assert [row[:2] for row in out[PREVIEW]] == [[1, "single_call"], [3, "no_tool"], [6, "single_call"]]
    assert len(PREVIEW_HEADERS) == len(out[PREVIEW][0])
    assert out[PREVIEW][0][3] == 'get_weather({"city": "Paris"})' and out[PREVIEW][0][4] == 1
    assert out[COVERAGE] == [["get_weather", "city", 2, "100%"], ["get_weather", "unit", 0, "0%"]]
    assert len(COVERAGE_HEADERS) == len(out[COVERAGE][0])
    # training reads a copy under the home, never the visitor's file; converted rows and the split lie beside it
    copy = Path(out[CHOICE]["train_file"])
    assert copy.name == "train.jsonl" and copy != upload and copy.read_bytes() == before
    assert "uploads" in copy.parts
    converted = copy.with_name("train.canonical.jsonl")
    assert len(converted.read_text().splitlines()) == 3
    # the download is a copy in the system temp folder, where Gradio may serve it from (the home may lie
    # elsewhere, as /data/toolft on a Space with a storage volume)
    served = Path(out[CONVERTED])
    assert served.read_bytes() == converted.read_bytes() and served != converted
    assert served.is_relative_to(tempfile.gettempdir())
    assert json.loads((copy.parent / "split.json").read_text())["train"] + \
        json.loads((copy.parent / "split.json").read_text())["eval"] == 3


def test_other_formats_are_detected_and_converted(tmp_path):
    xlam = {"id": 11, "query": "Weather in Lima?", "answers": json.dumps([{"name": "get_weather", "arguments": {"city": "Lima"}}]),
            "tools": json.dumps([{"name": "get_weather", "description": "Weather of a city",
                                  "parameters": {"city": {"type": "str", "description": "City name"}}}])}
    out = use_upload(str(write_lines(tmp_path / "xlam.jsonl", [json.dumps(xlam)])), None)
    assert "Format: **xlam**" in out[SUMMARY] and "**1** valid" in out[SUMMARY]
    [row] = [json.loads(line) for line in Path(out[CONVERTED]).read_text().splitlines()]
    assert row["messages"][1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": {"city": "Lima"}}


def test_unusable_upload_keeps_the_previous_choice(tmp_path, monkeypatch):
    previous = {"train_file": "sample", "sample_rows": 100}
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    out = use_upload(str(text), previous)
    assert out[CHOICE] == previous and "Cannot use this file" in out[SUMMARY]
    assert "unsupported file type" in out[SUMMARY] and str(tmp_path) not in out[SUMMARY]

    all_bad = write_lines(tmp_path / "bad.jsonl", ["[1, 2]", json.dumps({"messages": []})])
    out = use_upload(str(all_bad), previous)
    assert out[CHOICE] == previous and "No valid row" in out[SUMMARY]
    assert [(row[1], row[3]) for row in out[FINDINGS]] == [(1, "(row)"), (2, "messages")]

    monkeypatch.setattr(data_tab, "MAX_ROWS", 1)
    out = use_upload(str(all_bad), previous)
    assert out[CHOICE] == previous and "2 rows is over the 1-row limit of this app (TOOLFT_MAX_ROWS)" in out[SUMMARY]
    monkeypatch.setattr(data_tab, "MAX_UPLOAD_MB", 1e-6)
    out = use_upload(str(all_bad), previous)
    assert out[CHOICE] == previous and "MB upload limit (TOOLFT_MAX_UPLOAD_MB)" in out[SUMMARY]
    assert "The recipe still trains on the bundled sample (100 rows)." in out[SUMMARY]


def test_preview_pages_through_rows_and_sends_one_page():
    out = use_sample(120)
    view = out[VIEW]
    assert len(out[PREVIEW]) == PAGE_ROWS and out[PAGE] == "Page 1 of 5: valid rows 1–25 of 120"
    rows, label = preview_page(view, 5)
    assert [r[0] for r in rows] == list(range(101, 121)) and label == "Page 5 of 5: valid rows 101–120 of 120"
    assert preview_page(view, 99)[1] == label and preview_page(view, -3)[1].startswith("Page 1 of 5")


def test_sample_gives_every_kind_split_by_kind_and_figures():
    out = use_sample(120)
    assert out[CHOICE] == {"train_file": "sample", "sample_rows": 120}
    assert out[FINDINGS] == [] and "**120** valid" in out[SUMMARY]
    for category in CATEGORIES:
        assert category.replace("_", " ") in out[SUMMARY]
    assert "**108** train, **12** held out" in out[SUMMARY]
    assert out[VIEW].split["eval_kinds"] and sum(out[VIEW].split["eval_kinds"].values()) == 12
    histogram = out[LENGTHS]
    # max_length 2048 is far past the longest row: said in words, so the bars keep their width
    assert histogram.layout.annotations[0].text == "max_length 2048: 0 rows cut (beyond the longest row)"
    assert histogram.layout.xaxis.range[1] < 1024 and not histogram.layout.shapes  # longest row: ~760 tokens
    assert sum(histogram.data[0].y) == 120
    near = use_sample(120, {"training": {"max_length": 200}, "data": {"invented_share": 0.0}})[LENGTHS]
    assert near.layout.shapes[0].x0 == 200 and near.layout.xaxis.range[0] < 200 < near.layout.xaxis.range[1]
    assert list(out[KINDS].data[0].y) == [out[VIEW].summary["categories"][k] for k in CATEGORIES]
    assert len(out[CALLS].data[0].y) == len(out[VIEW].summary["tools"]) == 12  # every tool, not the first 8


def test_sample_shows_the_rows_the_recipe_trains_on_invented_values_included():
    from toolft.data.sample import generate_sample

    default = use_sample(40)  # no recipe yet: the default preset's share (tiny-cpu: half the rows invented)
    assert "with invented values" in default[SUMMARY]
    assert default[VIEW].result.records == generate_sample(40, seed=0, invented_share=0.5)
    plain = use_sample(40, {"data": {"invented_share": 0.0, "split_seed": 3}})
    assert plain[VIEW].result.records == generate_sample(40, seed=3) and "invented" not in plain[SUMMARY]
    assert "40% without a call" in plain[SUMMARY]
    asks = use_sample(40, {"data": {"invented_share": 0.0, "no_call_share": 0.75}})
    assert asks[VIEW].result.records == generate_sample(40, seed=0, no_call_share=0.75)
    assert "75% without a call" in asks[SUMMARY]


def test_inspector_marks_exactly_the_trained_tokens():
    out = use_sample(30)
    body, counts = inspect(out[VIEW], out[FIRST])
    assert '<mark class="trained">' in body and "Round trip: **ok**" in counts
    view = out[VIEW]
    from toolft.data.render import inspect_row
    from toolft.modeling import load_tokenizer

    expected = inspect_row(load_tokenizer("tiny-qwen3"), view.result.records[0])
    assert f"**{expected.trained_tokens}** trained" in counts
    marked = "".join(part.split("</mark>")[0] for part in body.split('<mark class="trained">')[1:])
    import html

    assert html.unescape(marked) == "".join(t for t, trained in expected.segments if trained)
    no_call = next(line for line, row in zip(view.result.lines, view.result.records)
                   if not any(m.get("tool_calls") for m in row["messages"]))
    assert "Round trip: **ok** (no calls here: the answers read back as plain text)" in inspect(view, no_call)[1]
    last_lines = view.result.lines[-3:]
    assert inspect(view, 9999)[1] == f"No valid row at line 9999; the nearest valid lines are " \
        f"{', '.join(map(str, reversed(last_lines)))}."


def test_inspector_explains_an_excluded_row(tmp_path):
    upload = write_lines(tmp_path / "d.jsonl", [json.dumps(GOOD), json.dumps({"messages": [{"role": "user"}]})])
    out = use_upload(str(upload), None)
    body, counts = inspect(out[VIEW], 2)
    assert body == "" and "This row has errors" in counts and "line 2" in counts


def test_sample_defaults_to_the_default_recipes_size():
    from toolft.recipe import default_preset_name, load_recipe
    from toolft.ui.data_tab import default_sample_rows

    expected = load_recipe(default_preset_name()).data.sample_rows
    assert default_sample_rows() == expected
    assert use_sample(None)[CHOICE] == {"train_file": "sample", "sample_rows": expected}


def test_hub_box_reads_hub_ids_only_never_server_paths(tmp_path):
    """The Hub box must not read the server's files: another visitor's uploads, /etc, the repository."""
    from toolft.ui.data_tab import use_hub

    folder = tmp_path / "acme-tools"
    (folder / "data").mkdir(parents=True)
    write_lines(folder / "data" / "train-00000-of-00001.jsonl", [json.dumps(GOOD)])
    previous = {"train_file": "sample", "sample_rows": 10}
    for source in [str(folder), "/etc", "../../etc/passwd", "x", "a/b/c", str(tmp_path)]:
        out = use_hub(source, "train", None, previous)
        assert out[CHOICE] == previous and out[VIEW] is None
        assert "is not a Hub dataset id (owner/name)" in out[SUMMARY], source
        assert "The recipe still trains on the bundled sample (10 rows)." in out[SUMMARY]
    assert use_hub("  ", "train", None, previous)[CHOICE] == previous


def test_hub_box_loads_a_split_from_the_hub(hub):
    """Through the real huggingface_hub client against the local fake Hub (tests/hub_server.py); the valid
    rows are saved under the home, so the run trains on that copy, not on a new download."""
    from tests.data.test_hub import TEST
    from toolft.ui.data_tab import use_hub

    out = use_hub("acme/tools", "test", 2, None)
    assert "acme/tools (test, first 2 rows)" in out[SUMMARY] and "**2** valid" in out[SUMMARY]
    saved = Path(out[CHOICE]["train_file"])
    assert "uploads" in saved.parts
    assert [json.loads(x) for x in saved.read_text().splitlines()] == TEST[:2]
    previous = out[CHOICE]
    out = use_hub("acme/tools", "validation", None, previous)
    assert out[CHOICE] == previous and "no file of split 'validation'" in out[SUMMARY]
    assert f"The recipe still trains on `{saved.name}`." in out[SUMMARY]


def test_file_names_are_shown_literally(tmp_path):
    upload = write_lines(tmp_path / "**bold** [x](y).jsonl", [json.dumps(GOOD)])
    out = use_upload(str(upload), None)
    assert "### \\*\\*bold\\*\\* \\[x\\](y).jsonl" in out[SUMMARY]


def test_refused_uploads_are_not_kept(tmp_path):
    from toolft.home import toolft_home

    use_upload(str(write_lines(tmp_path / "bad.jsonl", ["{oops"])), None)
    binary = tmp_path / "blob.jsonl"
    binary.write_bytes(bytes(range(256)))
    use_upload(str(binary), None)
    assert list((toolft_home() / "uploads").iterdir()) == []


def test_only_the_latest_load_of_a_visitor_counts():
    from toolft.ui.data_tab import LatestLoad

    latest = LatestLoad(keep=4)
    slow, fast = latest.begin("visitor-a"), latest.begin("visitor-a")
    other = latest.begin("visitor-b")
    assert not latest.is_latest("visitor-a", slow) and latest.is_latest("visitor-a", fast)
    assert latest.is_latest("visitor-b", other)  # visitors never cancel each other
    for n in range(10):  # bounded memory: the oldest sessions are forgotten
        latest.begin(f"visitor-{n}")
    assert len(latest._tokens) <= 4


def test_upload_copies_get_safe_names(tmp_path):
    """A file name cannot climb out of its upload folder, hide itself or carry separators."""
    from toolft.ui.common import safe_upload_name, store_upload

    assert [safe_upload_name(n) for n in ("..", "", ".hidden.jsonl", "a/../b.jsonl", "my data (1).jsonl",
                                          "évé.jsonl")] == ["upload", "upload", "hidden.jsonl", "b.jsonl",
                                                            "my data _1_.jsonl", "évé.jsonl"]
    source = tmp_path / "my data (1).jsonl"
    source.write_text("{}\n")
    copy = store_upload(source)
    assert copy.parent.parent.name == "uploads" and copy.name == "my data _1_.jsonl"
    assert source.read_text() == "{}\n"  # the visitor's file is untouched


def test_on_a_space_the_hub_box_reads_as_the_visitor_never_with_the_spaces_token(hub, tmp_path, monkeypatch):
    """The Space's HF_TOKEN secret (the owner's, for pushing) can read acme/private: an anonymous visitor of the
    Space must not, a visitor logged in with a token that can read it may, and so may the local user off a Space."""
    from tests.conftest import gradio_request, logged_in
    from tests.data.test_hub import write_repo
    from toolft.access import hub_read_token
    from toolft.ui.data_tab import use_hub

    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))
    hub.add_repo("acme/private", write_repo(tmp_path / "repos" / "private"), private=True, tokens={"hf_owner"})
    monkeypatch.setenv("HF_TOKEN", "hf_owner")  # the Space's secret, or this machine's login

    def visitor(token=None):
        return gradio_request(logged_in("eve", token) if token else {})

    space = {"SPACE_ID": "ada/toolft"}
    assert hub_read_token(visitor(), space) is False and hub_read_token(visitor("hf_eve"), space) == "hf_eve"
    assert hub_read_token(visitor("hf_eve"), {}) is None
    anonymous = use_hub("acme/private", "test", None, None, token=hub_read_token(visitor(), space))
    assert anonymous[CHOICE] is None and "HTTP 401" in anonymous[0]
    hub.add_repo("acme/private", write_repo(tmp_path / "repos" / "private2"), private=True,
                 tokens={"hf_owner", "hf_eve"})
    allowed = use_hub("acme/private", "test", None, None, token=hub_read_token(visitor("hf_eve"), space))
    assert allowed[CHOICE]["train_file"].endswith("acme__private-test.jsonl")
    hub.stop()  # the split is cached now: a visitor never gets it from the cache when the Hub is down
    down = use_hub("acme/private", "test", None, None, token=hub_read_token(visitor(), space))
    assert down[CHOICE] is None and "the Hub cannot be reached" in down[0]
    local = use_hub("acme/private", "test", None, None, token=hub_read_token(visitor(), {}))  # this machine's
    assert local[CHOICE]["train_file"].endswith("acme__private-test.jsonl")  # login's own cache, offline


def test_number_boxes_sent_nan_or_infinity_get_a_message_or_a_default_never_an_exception(tiny_model_path):
    """Over the HTTP API a number box can hold NaN or infinity (JSON allows them in Gradio's payloads)."""
    from tests.conftest import write_adapter_run
    from toolft.home import runs_dir
    from toolft.ui.data_tab import default_sample_rows, inspect
    from toolft.ui.evaluate_tab import score
    from toolft.ui.playground_tab import new_chat, send

    nan, inf = float("nan"), float("inf")
    view = use_sample(30)[VIEW]
    for odd in (nan, inf, -inf, 2.5, True, "7"):
        assert inspect(view, odd) == ("", "Type the line of a row (a whole number).")
    assert use_sample(nan)[CHOICE]["sample_rows"] == default_sample_rows()  # the slider's default
    for odd in (nan, inf, -0.5, 2.5, None, True, "7"):  # a recipe mid-edit: its shares fall back to the default's
        out = use_sample(30, {"data": {"invented_share": odd, "no_call_share": odd}})
        assert "50% with invented values, 40% without a call" in out[SUMMARY], odd
    assert preview_page(view, 1)[1].startswith("Page 1 of")
    run = write_adapter_run(runs_dir() / "20260101-000000-odd")
    for odd in (nan, inf):
        status = list(score(run.name, None, odd))[-1][0]
        assert status.startswith("**Rows must be a whole number from 1 to"), status
        answer = list(send(run.name, "", "[]", "", "Hi", 0, 1, odd, False, new_chat()))[-1][0]
        assert "Max new tokens must be a whole number" in answer
        answer = list(send(run.name, "", "[]", "", "Hi", odd, 1, 16, False, new_chat()))[-1][0]
        assert "Temperature must be between 0 and 2" in answer
