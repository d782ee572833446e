"""The app assembles five tabs quickly, app.py launches with the right settings, the library stays gradio-free."""

import subprocess
import sys

import gradio as gr

from toolft.ui import build_app


def test_build_app_has_the_five_tabs():
    demo = build_app()
    labels = [block.label for block in demo.blocks.values() if isinstance(block, gr.Tab)]
    assert labels == ["Data", "Recipe", "Train", "Playground", "Evaluate"]
    assert any(isinstance(block, gr.Timer) for block in demo.blocks.values())


def test_launch_kwargs(monkeypatch):
    import app

    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    kwargs = app.launch_kwargs()
    assert (kwargs["server_name"], kwargs["server_port"], kwargs["max_file_size"]) == ("127.0.0.1", 7860, "50mb")
    assert isinstance(kwargs["theme"], gr.themes.Base)
    monkeypatch.setenv("SPACE_ID", "someone/toolft")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7999")
    assert (app.launch_kwargs()["server_name"], app.launch_kwargs()["server_port"]) == ("0.0.0.0", 7999)


def test_library_does_not_import_gradio():
    code = ("import sys, toolft, toolft.recipe, toolft.runs, toolft.evaluate, toolft.plan, toolft.data.sample, "
            "toolft.__main__; assert 'gradio' not in sys.modules, 'gradio imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_saved_state_comes_back_only_where_it_still_holds(tmp_path, monkeypatch):
    from toolft.home import toolft_home
    from toolft.ui import TAB_IDS, browser_secret, remember, restore_saved, saved_data_choice
    from toolft.ui.common import store_upload

    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))
    key = browser_secret()
    assert browser_secret() == key and len(key) == 64  # made once, then read back: survives a restart
    assert (toolft_home() / "browser_state.key").stat().st_mode & 0o777 == 0o600
    upload = tmp_path / "rows.jsonl"
    upload.write_text('{"messages": []}\n')
    copy = store_upload(upload)
    assert saved_data_choice({"train_file": str(copy), "sample_rows": None}) == {"train_file": str(copy.resolve()),
                                                                               "sample_rows": None}
    assert saved_data_choice({"train_file": "sample", "sample_rows": 300}) == {"train_file": "sample",
                                                                             "sample_rows": 300}
    # a path outside the app's uploads, a vanished upload, or junk is not brought back
    assert saved_data_choice({"train_file": str(upload), "sample_rows": None}) is None
    assert saved_data_choice({"train_file": "/etc/passwd"}) is None
    assert saved_data_choice({"train_file": str(copy.parent / "gone.jsonl")}) is None
    assert saved_data_choice("sample") is None
    saved = remember(remember(None, tab="recipe"), recipe={"name": "mine"}, data={"train_file": "/etc/passwd"})
    recipe, data, tabs = restore_saved(saved)
    assert recipe == {"name": "mine"} and data == {"__type__": "update"}
    assert tabs.selected == "recipe" and set(TAB_IDS) >= {"recipe", "data"}
    recipe, data, tabs = restore_saved({"tab": "nowhere"})
    assert recipe == data == tabs == {"__type__": "update"}


def test_the_data_tab_shows_a_restored_choice_again(tmp_path, monkeypatch):
    from toolft.ui.common import store_upload
    from toolft.ui.data_tab import restore_view

    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))
    upload = tmp_path / "mine.jsonl"
    upload.write_text("\n".join('{"messages": [{"role": "user", "content": "Hi %d"}, '
                                '{"role": "assistant", "content": "Hello"}]}' % i for i in range(30)) + "\n")
    copy = store_upload(upload)
    out = restore_view({"train_file": str(copy), "sample_rows": None}, None)
    assert "mine.jsonl" in out[0] and "Restored" in out[0] and out[-2].result.records
    assert upload.read_text().count("\n") == 30  # the visitor's file is untouched
    sample = restore_view({"train_file": "sample", "sample_rows": 40}, None)
    assert sample[-1] == {"train_file": "sample", "sample_rows": 40} and len(sample[-2].result.records) == 40
    assert restore_view(None, None) is None
