"""A real browser against a real ``python app.py``: the tabs render and the main buttons work.

Uses the system Chromium (``/usr/bin/chromium``; CI installs it) through Playwright;
never downloads a browser. Without that Chromium the test fails and says how to
install it (``bash scripts/test.sh`` does): a browser check must not pass by skipping.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
STARTUP_SECONDS = 120
APP_HOME: dict[str, Path] = {}  # the running app's TOOLFT_HOME, for tests that put a run there


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_app(tmp_path: Path, extra_env: dict | None = None):
    """Run ``python app.py`` on a free port with its own TOOLFT_HOME (``tmp_path/home``) and ``extra_env``;
    yield its URL once it serves, kill it afterwards."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "TOOLFT_HOME": str(tmp_path / "home"),
           "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("SPACE_ID", None)
    env.update(extra_env or {})
    log_path = tmp_path / "app.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                pytest.fail(f"app.py did not serve within {STARTUP_SECONDS}s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group start_new_session made: the app and nothing else
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(15)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app, once for this module's tests (each visitor's data is per browser session)."""
    tmp_path = tmp_path_factory.mktemp("app")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: run `apt-get install -y chromium` (scripts/test.sh does); "
                    "the browser test never downloads a browser")
    APP_HOME["path"] = tmp_path / "home"
    with serve_app(tmp_path) as url:
        yield url


@contextmanager
def app_page(app_url: str, height: int = 1000):
    """A page of the running app in the system Chromium (headless), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": height})
            page.goto(app_url)
            yield page
        finally:
            browser.close()


ROW = ('{"messages": [{"role": "user", "content": "Hi %d"}, {"role": "assistant", "content": "Hello!"}], '
       '"tools": []}')


def test_tabs_data_recipe_and_train(app_url, tmp_path):
    from playwright.sync_api import expect

    from toolft.data.records import split_sizes
    from toolft.recipe import default_preset_name, load_recipe
    from toolft.ui.data_tab import default_sample_rows

    upload = tmp_path / "mine.jsonl"
    upload.write_text("\n".join([ROW % 1, "{oops", ROW % 2, ROW % 3]) + "\n", encoding="utf-8")
    with app_page(app_url, height=1000) as page:
        for name in ("Data", "Recipe", "Train", "Playground", "Evaluate"):
            expect(page.get_by_role("tab", name=name)).to_be_visible(timeout=30_000)

        page.get_by_role("tab", name="Data").click()
        page.get_by_role("button", name="Use bundled sample data").click()
        rows = default_sample_rows()
        expect(page.get_by_text(f"Bundled sample data ({rows} rows")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("single call").first).to_be_visible()

        page.get_by_role("tab", name="Recipe").click()
        expect(page.get_by_role("heading", name="Plan")).to_be_visible(timeout=30_000)
        train_rows = split_sizes(rows, load_recipe(default_preset_name()).data.eval_fraction)[0]
        expect(page.get_by_text(f"{train_rows} training rows")).to_be_visible()

        # an upload with a bad line: the line is named, and the recipe trains on the copy
        page.get_by_role("tab", name="Data").click()
        page.locator("input[type=file]").first.set_input_files(str(upload))
        expect(page.get_by_role("gridcell", name=re.compile("^invalid JSON"))).to_be_visible(timeout=30_000)
        page.get_by_role("tab", name="Recipe").click()
        expect(page.get_by_role("cell", name=re.compile("^2 training rows"))).to_be_visible(timeout=30_000)
        expect(page.locator("#recipe-status")).to_contain_text("only 2 training rows: too few to learn from")
        expect(page.locator("#field-data-train-file")).to_contain_text("⚠ only 2 training rows")  # at its field
        expect(page.get_by_label("Training data")).to_have_value(re.compile(r"uploads/.+/mine\.jsonl$"))

        # save the recipe as YAML, change a value, load the YAML back: the value returns
        with page.expect_download() as download:
            page.get_by_role("button", name="Save recipe YAML").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert "mine.jsonl" in saved.read_text()
        alpha = page.get_by_label("LoRA alpha", exact=True)
        alpha.fill("7")
        alpha.press("Tab")
        page.wait_for_timeout(1000)  # let the edit's event finish before the load
        page.locator("input[type=file][accept*='.yaml']").set_input_files(str(saved))
        expect(page.get_by_text(f"Loaded {saved.name}")).to_be_visible(timeout=30_000)
        expect(alpha).to_have_value("32")
        with page.expect_download() as again:  # the visitor's recipe state followed the inputs
            page.get_by_role("button", name="Save recipe YAML").click()
        assert Path(again.value.path()).read_text() == saved.read_text()

        # a bad value is named live, at its own field and in the status line
        rank = page.get_by_label("LoRA rank", exact=True)
        rank.fill("0")
        rank.press("Tab")
        expect(page.locator("#field-lora-r")).to_contain_text("✖ must be at least 1 (got 0)", timeout=30_000)
        expect(page.locator("#recipe-status")).to_contain_text("must be at least 1 (got 0)")
        rank.fill("8")
        rank.press("Tab")
        expect(page.locator("#field-lora-r")).not_to_contain_text("✖", timeout=30_000)

        # the plan stays in view while the visitor edits the last settings of the form
        page.get_by_label("Checkpoints kept", exact=True).scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        assert page.evaluate("window.scrollY") > 300  # the form did scroll
        box = page.get_by_role("heading", name="Plan").bounding_box()
        assert box is not None and 0 <= box["y"] < 1000, box

        # a reload brings back the dataset, the edited recipe and the tab the visitor was on
        page.wait_for_function("() => localStorage.getItem('toolft-recipe') && localStorage.getItem('toolft-data')"
                               " && localStorage.getItem('toolft-tab')", timeout=30_000)  # saved in the browser
        page.wait_for_timeout(500)  # the last edit's save lands after its event
        page.reload()
        expect(page.get_by_role("heading", name="Plan")).to_be_visible(timeout=30_000)
        expect(page.get_by_label("LoRA rank", exact=True)).to_have_value("8", timeout=30_000)
        expect(page.get_by_label("Training data")).to_have_value(re.compile(r"uploads/.+/mine\.jsonl$"))
        page.get_by_role("tab", name="Data").click()
        expect(page.locator("#data-summary")).to_contain_text("Restored mine.jsonl", timeout=30_000)

        page.get_by_role("tab", name="Train").click()
        expect(page.get_by_text("No runs yet")).to_be_visible(timeout=30_000)
        expect(page.locator("#train-check")).to_contain_text("Ready")
        expect(page.locator("#train-check")).to_contain_text("too few to learn from")  # ready, with the warning
        page.screenshot(path=str(tmp_path / "toolft.png"), full_page=True)
    assert (tmp_path / "toolft.png").stat().st_size > 0


def test_data_tab_upload_format_preview_findings_inspector(app_url, tmp_path):
    """Upload an xLAM file with one bad row: the format is detected, the preview shows rows, the finding
    names its line and field, and the inspector highlights the trained tokens of a row."""
    import json

    from playwright.sync_api import expect

    tools = json.dumps([{"name": "convert_currency", "description": "Convert money",
                         "parameters": {"amount": {"type": "float", "description": "Amount"},
                                        "to": {"type": "str", "description": "Target currency"}}}])
    rows = [{"id": i, "query": f"Convert {amount} to yen", "tools": tools,
             "answers": json.dumps([{"name": "convert_currency", "arguments": {"amount": amount, "to": "JPY"}}])}
            for i, amount in enumerate([12.5, 40, 99])]
    rows[1]["answers"] = json.dumps([{"name": "convert_currency", "arguments": {"amount": "forty", "to": "JPY"}}])
    upload = tmp_path / "xlam.jsonl"
    upload.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with app_page(app_url, height=1000) as page:
        page.get_by_role("tab", name="Data").click()
        page.get_by_role("button", name="Inspect row").click()  # nothing loaded yet: said, not an error badge
        expect(page.locator("#inspect-counts")).to_contain_text("Load a dataset first.", timeout=30_000)
        page.locator("input[type=file]").first.set_input_files(str(upload))
        summary = page.locator("#data-summary")
        expect(summary).to_contain_text("Format: xlam", timeout=60_000)
        expect(summary).to_contain_text("2 valid, 1 invalid")
        findings = page.locator("#data-findings")
        expect(findings.get_by_role("gridcell", name="messages[1].tool_calls[0].function.arguments.amount")
               ).to_be_visible()
        expect(findings.get_by_role("gridcell", name=re.compile('"forty" is not of type "number"'))).to_be_visible()
        preview = page.locator("#data-preview")
        expect(preview.get_by_role("gridcell", name="Convert 99 to yen")).to_be_visible()
        expect(page.get_by_text("Page 1 of 1: valid rows 1–2 of 2")).to_be_visible()
        page_box = page.get_by_label("Page")
        page_box.fill("0")  # out of range: clamped by the handler, never a validation error
        page_box.press("Enter")
        expect(page_box).to_have_value("1", timeout=30_000)
        expect(page.get_by_text("Page 1 of 1: valid rows 1–2 of 2")).to_be_visible()
        expect(page.get_by_text("Error", exact=True)).to_have_count(0)

        page.get_by_role("button", name="Inspect row").click()
        expect(page.locator("#inspect-counts")).to_contain_text("trained", timeout=60_000)
        expect(page.locator("#inspect-counts")).to_contain_text("Round trip: ok")
        marked = page.locator("#inspect-text mark.trained")
        expect(marked.first).to_contain_text('"amount": 12.5')
        assert "Convert 12.5 to yen" not in "".join(marked.all_inner_texts())  # the prompt is not trained
        expect(page.locator("#inspect-text")).to_contain_text("Convert 12.5 to yen")


# elements that carry a payload as markup: an attribute holding it, or a script holding it (text in a textarea
# or an input is its value, not markup)
NO_PLANTED_MARKUP = """() => [...document.querySelectorAll('*')].filter(e =>
    !['TEXTAREA', 'INPUT'].includes(e.tagName) && ([...e.attributes].some(a => a.value.includes('__xss')) ||
    (e.tagName === 'SCRIPT' && e.textContent.includes('__xss')))).length"""


def test_playground_and_evaluate_tabs(app_url, tmp_path):
    """A run whose adapter learnt to call get_weather: the playground shows both answers, the parsed call
    and its checks, continues after a made-up tool result; the Evaluate tab scores the run's held-out rows."""
    import json

    from playwright.sync_api import expect

    from tests.conftest import write_taught_run
    from toolft.data.files import write_jsonl
    from toolft.data.sample import generate_sample
    from toolft.ui.playground_tab import DEFAULT_SYSTEM, DEFAULT_TOOL_SET, parse_tools, tool_set_json

    tools, _ = parse_tools(tool_set_json(DEFAULT_TOOL_SET))
    taught = {"messages": [
        {"role": "system", "content": DEFAULT_SYSTEM}, {"role": "user", "content": "What's the weather in Oslo?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]},
        {"role": "tool", "name": "get_weather", "content": '{"temp_c": 3}'},
        {"role": "assistant", "content": "It is 3 degrees in Oslo."}], "tools": tools}
    answer_payload = '<img src=x onerror="window.__xss=7"><script>window.__xss=8</script>'
    rogue = {"messages": [  # a fine-tuned model whose call carries markup: shown as text, never run
        {"role": "system", "content": DEFAULT_SYSTEM}, {"role": "user", "content": "Any news from the lab?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": answer_payload}}}]}],
        "tools": tools}
    run = write_taught_run(APP_HOME["path"] / "runs" / "20250107-000000-taught", [taught, rogue], steps=80)
    run.data_dir.mkdir(parents=True, exist_ok=True)
    payload = '<img src=x onerror="window.__xss=5"><script>window.__xss=6</script>'
    planted = {"messages": [{"role": "user", "content": f"What's the weather in {payload}?"},
                            {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {
                                "name": "get_weather", "arguments": {"city": payload}}}]}], "tools": tools}
    write_jsonl([planted, taught, *generate_sample(3, seed=5)], run.data_dir / "eval.jsonl")
    with app_page(app_url, height=1100) as page:
        page.get_by_role("tab", name="Playground").click()
        message = page.locator("#playground-message textarea")
        expect(message).to_be_visible(timeout=30_000)
        page.get_by_text("Sampling").click()  # shorter answers: the base's prose need not run to 160 tokens
        limit = page.get_by_label("Max new tokens")
        limit.fill("96")
        limit.press("Tab")
        message.fill("What's the weather in Oslo?")
        page.locator("#playground-send").click()
        status = page.locator("#playground-status")
        expect(status).to_contain_text("Answers from", timeout=120_000)
        expect(page.locator("#playground-base-chat textarea")).to_have_value(
            re.compile(r"^User: What's the weather in Oslo\?\n\nAssistant"))
        tuned = page.locator("#playground-finetuned-chat textarea")
        expect(tuned).to_have_value(re.compile(r'Assistant calls get_weather \{"city": "Oslo"\}$'))
        expect(page.locator("#playground-finetuned-review")).to_contain_text("tool call")
        expect(page.locator("#playground-finetuned-review")).to_contain_text("match the tools' schemas")
        expect(page.locator("#playground-finetuned-calls")).to_contain_text('"get_weather"')
        expect(status).to_contain_text("Give the pending call(s) a result")

        page.locator("#playground-mock").click()
        expect(tuned).to_have_value(re.compile(r'Tool result \(get_weather\): \{"mock": true'), timeout=120_000)
        expect(tuned).to_have_value(re.compile(r"Tool result[^\n]*\n\nAssistant: \S"), timeout=120_000)
        expect(status).to_contain_text("Answers from", timeout=120_000)

        # the model's own answer carries an onerror image and a script: the chat, the review (which names
        # the invented value) and the parsed calls show it as text; nothing runs
        page.get_by_role("button", name="Clear").click()
        message.fill("Any news from the lab?")
        page.locator("#playground-send").click()
        expect(tuned).to_have_value(re.compile(r"Assistant calls get_weather .*onerror="), timeout=120_000)
        review = page.locator("#playground-finetuned-review")
        expect(review).to_contain_text('invented: city = "<img src=x onerror=\\"window.__xss=7\\"><script>')
        expect(page.locator("#playground-finetuned-calls")).to_contain_text("<script>window.__xss=8</script>")
        page.wait_for_timeout(500)
        assert page.evaluate("window.__xss") is None
        assert page.evaluate(NO_PLANTED_MARKUP) == 0

        # Clear while the answers are being generated stops them: the conversations stay empty
        page.get_by_role("button", name="Clear").click()
        message.fill("What's the weather in Oslo?")
        page.locator("#playground-send").click()
        expect(status).to_contain_text(re.compile("Loading|Generating"), timeout=30_000)
        page.get_by_role("button", name="Clear").click()
        page.wait_for_timeout(5000)
        expect(page.locator("#playground-base-chat textarea")).to_have_value("")
        expect(tuned).to_have_value("")

        page.get_by_role("tab", name="Evaluate").click()
        page.locator("#evaluate-score").click()
        expect(page.locator("#evaluate-status")).to_contain_text("Scored 5 rows", timeout=180_000)
        expect(page.locator("#evaluate-headline")).to_contain_text("Right tool and right arguments: base")
        expect(page.locator("#evaluate-table").get_by_role("gridcell", name="right tool and right arguments")
               ).to_be_visible()
        detail = page.locator("#evaluate-detail textarea")
        expect(detail).to_have_value(re.compile(r"expected: .+\n\nBASE (passes|fails)"))
        assert json.loads(json.dumps(run.read_status()))["state"] == "completed"
        # a row whose text carries HTML and a script: shown as text in the failure detail, nothing runs
        page.get_by_label("Failed row").click()
        page.get_by_role("option", name=re.compile(r"^line 1 ·")).click()
        expect(detail).to_have_value(re.compile(re.escape('onerror=\\"window.__xss=5\\"')), timeout=30_000)
        page.wait_for_timeout(500)
        assert page.evaluate("window.__xss") is None
        assert page.evaluate(NO_PLANTED_MARKUP) == 0


def test_edit_launch_watch_cancel_resume(app_url, tmp_path):
    """A real training job from the browser: edit the recipe, launch, watch the chart and the step count grow,
    cancel (a checkpoint is kept), resume, and see it finish with the curve continued."""
    from playwright.sync_api import expect

    from toolft.runfolder import RunFolder

    with app_page(app_url, height=1100) as page:
        page.get_by_role("tab", name="Recipe").click()
        for label, value in (("Sample rows", "60"), ("Max steps", "40"), ("Batch size per device", "2"),
                             ("Checkpoint every (steps)", "3"), ("Log every (steps)", "1")):
            box = page.get_by_label(label, exact=True)
            box.fill(value)
            box.press("Tab")
            page.wait_for_timeout(500)
        expect(page.get_by_text("40 in all")).to_be_visible(timeout=30_000)
        page.get_by_role("tab", name="Train").click()
        expect(page.get_by_text("Ready: recipe")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Launch training").click()
        expect(page.get_by_text(re.compile(r"step \*?\*?[4-9]/40|step \*?\*?[1-3]\d/40"))).to_be_visible(
            timeout=180_000)
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Cancel").click()
        expect(page.get_by_text(re.compile(r"Cancelled run"))).to_be_visible(timeout=60_000)
        expect(page.get_by_text(re.compile(r"\*\*Resume\*\* continues it from checkpoint-\d+|Resume continues it "
                                           r"from checkpoint-\d+"))).to_be_visible(timeout=60_000)
        run = RunFolder(sorted((APP_HOME["path"] / "runs").iterdir())[-1])
        stopped = run.read_status()["step"]
        assert run.read_status()["state"] == "cancelled" and 0 < stopped < 40
        page.locator("#train-resume").click()
        expect(page.get_by_text(re.compile("Resuming run"))).to_be_visible(timeout=30_000)
        expect(page.get_by_text(re.compile(r": completed"))).to_be_visible(timeout=240_000)
        steps = [e["step"] for e in run.read_metrics() if e["event"] == "train"]
        assert steps == list(range(1, 41)) and run.read_status()["resumed_from"] == f"checkpoint-{stopped}"
        expect(page.get_by_text("The adapter is saved")).to_be_visible()

        # the registry opens the finished run: its numbers and its curves
        page.get_by_text("All runs: open, compare, delete").click()
        page.get_by_role("button", name="Refresh list").click()
        expect(page.locator("#runs-table")).to_contain_text(run.name, timeout=30_000)
        page.get_by_label("Run A", exact=True).click()
        page.get_by_role("option", name=run.name).click()
        page.locator("#runs-compare").click()
        expect(page.locator("#runs-compared")).to_contain_text("40/40", timeout=30_000)
        expect(page.locator("#runs-compared")).to_contain_text("completed")


XSS = ['<img src=x onerror="window.__xss=1">', '<script>window.__xss=2</script>',
       '<svg onload="window.__xss=3"></svg>', '"><iframe src="javascript:window.__xss=4">']


def test_dataset_text_never_runs_in_the_browser(app_url, tmp_path):
    """Rows whose messages, tool names, descriptions and arguments carry HTML and script payloads are shown as
    text in the summary, findings, preview and inspector: nothing of them runs."""
    import json

    from playwright.sync_api import expect

    tool = {"type": "function", "function": {"name": "lookup", "description": XSS[0],
                                             "parameters": {"type": "object", "properties": {
                                                 "q": {"type": "string", "description": XSS[2]}}}}}
    rows = [{"messages": [{"role": "user", "content": f"Find {payload}"},
                          {"role": "assistant", "content": "", "tool_calls": [
                              {"type": "function", "function": {"name": "lookup", "arguments": {"q": payload}}}]}],
             "tools": [tool]} for payload in XSS]
    rows.append({"messages": [{"role": "user", "content": XSS[1]},  # a call to an undeclared tool: a finding
                              {"role": "assistant", "content": "", "tool_calls": [
                                  {"type": "function", "function": {"name": XSS[3], "arguments": {}}}]}],
                 "tools": [tool]})
    upload = tmp_path / "xss.jsonl"
    upload.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with app_page(app_url, height=1000) as page:
        page.get_by_role("tab", name="Data").click()
        page.locator("input[type=file]").first.set_input_files(str(upload))
        expect(page.locator("#data-summary")).to_contain_text("5 rows", timeout=60_000)
        expect(page.locator("#data-preview")).to_contain_text("window.__xss=1", timeout=30_000)  # shown as text
        expect(page.locator("#data-findings")).to_contain_text("iframe")
        page.get_by_label("Row (its line in the file)").fill("2")
        page.get_by_role("button", name="Inspect row").click()
        expect(page.locator("#inspect-text")).to_contain_text("<script>window.__xss=2</script>", timeout=60_000)
        page.wait_for_timeout(1000)
        assert page.evaluate("window.__xss") is None
        # the payloads are text nodes only: no element carries them as an attribute, no script holds them
        planted = page.evaluate("""() => [...document.querySelectorAll('*')].filter(e =>
            [...e.attributes].some(a => a.value.includes('__xss')) ||
            (e.tagName === 'SCRIPT' && e.textContent.includes('__xss'))).length""")
        assert planted == 0


def test_an_upload_goes_when_its_session_ends(tmp_path):
    """A reload keeps the visitor's upload (the new session reclaims it); closing the tab deletes it once the
    grace period has passed (3 s here; Gradio notices the closed tab within a 1 s heartbeat). The home lies
    outside the working and temp folders, as /data/toolft does on a Space with a storage volume."""
    import shutil
    import tempfile

    from playwright.sync_api import expect

    upload = tmp_path / "mine.jsonl"
    upload.write_text("\n".join(ROW % i for i in range(3)) + "\n", encoding="utf-8")
    home = Path(tempfile.mkdtemp(prefix="toolft-home-", dir="/var/tmp"))
    env = {"TOOLFT_UPLOAD_GRACE_S": "3", "GRADIO_HEARTBEAT_INTERVAL": "1", "TOOLFT_HOME": str(home),
           "GRADIO_TEMP_DIR": str(tmp_path / "gradio")}
    with serve_app(tmp_path / "app", env) as url:
        uploads = home / "uploads"
        with app_page(url) as page:
            page.get_by_role("tab", name="Data").click()
            page.locator("input[type=file]").first.set_input_files(str(upload))
            expect(page.locator("#data-summary")).to_contain_text("3 rows", timeout=60_000)
            [folder] = list(uploads.iterdir())
            assert (folder / "mine.jsonl").read_text(encoding="utf-8") == upload.read_text(encoding="utf-8")
            assert not list((tmp_path / "gradio").rglob("mine.jsonl"))  # Gradio's copy went once toolft had its own
            page.wait_for_function("() => localStorage.getItem('toolft-data')", timeout=30_000)
            page.reload()
            expect(page.locator("#data-summary")).to_contain_text("Restored mine.jsonl", timeout=30_000)
            time.sleep(7)  # the first session ended (heartbeat) and its grace period passed: the reload owns it
            assert folder.exists()
        deadline = time.time() + 30  # the tab is closed: its session ends, the folder goes after 3 s
        while folder.exists() and time.time() < deadline:
            time.sleep(0.5)
        assert not folder.exists()
        assert upload.exists()  # the visitor's own file is never touched
    shutil.rmtree(home, ignore_errors=True)
