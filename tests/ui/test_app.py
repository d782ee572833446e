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
    assert isinstance(kwargs["theme"], gr.themes.Base) and "#recipe-plan" in kwargs["css"]
    monkeypatch.setenv("SPACE_ID", "someone/toolft")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7999")
    assert (app.launch_kwargs()["server_name"], app.launch_kwargs()["server_port"]) == ("0.0.0.0", 7999)


def test_library_does_not_import_gradio():
    code = ("import sys, toolft, toolft.recipe, toolft.runs, toolft.evaluate, toolft.plan, toolft.data.sample, "
            "toolft.__main__; assert 'gradio' not in sys.modules, 'gradio imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_saved_state_comes_back_only_where_it_still_holds(tmp_path, monkeypatch):
    from toolft.home import toolft_home
    from toolft.ui import TAB_IDS, browser_secret, restore_saved, saved_data_choice, saved_recipe
    from toolft.ui.common import store_upload
    from toolft.ui.recipe_tab import default_recipe

    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))
    key = browser_secret()
    assert browser_secret() == key and len(key) == 64  # made once, then read back: survives a restart
    assert (toolft_home() / "browser_state.key").stat().st_mode & 0o777 == 0o600
    (toolft_home() / "browser_state.key").write_text("")  # a start cut short: a new key, not ""
    assert len(browser_secret()) == 64
    upload = tmp_path / "rows.jsonl"
    upload.write_text('{"messages": []}\n')
    copy = store_upload(upload)
    from toolft.uploads import OWNERS

    owner_key = OWNERS.claim(copy, "first-session")
    assert saved_data_choice({"train_file": str(copy), "sample_rows": None, "key": owner_key}, "reloaded") == {
        "train_file": str(copy.resolve()), "sample_rows": None, "key": owner_key}
    assert saved_data_choice({"train_file": str(copy), "sample_rows": None}, "reloaded") is None  # no key: no
    assert saved_data_choice({"train_file": "sample", "sample_rows": 300}) == {"train_file": "sample",
                                                                             "sample_rows": 300}
    # the browser is visitor input: a huge or odd row count, a path outside the uploads, a vanished file, junk
    for rows in (10 ** 9, True, 3.5, -1):
        assert saved_data_choice({"train_file": "sample", "sample_rows": rows})["sample_rows"] is None
    assert saved_data_choice({"train_file": str(upload), "sample_rows": None}) is None
    assert saved_data_choice({"train_file": "/etc/passwd"}) is None
    assert saved_data_choice({"train_file": "bad\0path"}) is None
    assert saved_data_choice({"train_file": str(copy.parent / "gone.jsonl")}) is None
    assert saved_data_choice("sample") is None
    # a saved recipe is rebuilt on today's defaults: known settings of the right type kept, the rest named
    old = {"lora": {"r": 8, "rank_scale": 2}, "training": {"learning_rate": 1, "seed": "x"},
           "data": {"train_file": "/etc/passwd"}, "model": "not a section"}
    recipe, dropped = saved_recipe(old, None)
    assert recipe["lora"]["r"] == 8 and recipe["training"]["learning_rate"] == 1.0
    assert recipe["training"]["seed"] == default_recipe()["training"]["seed"]
    assert recipe["data"]["train_file"] == "sample"  # never a path from the browser
    assert sorted(dropped) == ["lora.rank_scale", "model", "training.seed"]
    assert saved_recipe(old, {"train_file": str(copy), "sample_rows": None})[0]["data"]["train_file"] == str(copy)
    assert saved_recipe(None, None) == (None, []) and saved_recipe("x", None) == (None, [])
    recipe, data, tabs, parts = restore_saved(old, {"train_file": "/etc/passwd"}, "recipe")
    assert recipe["lora"]["r"] == 8 and data == {"__type__": "update"} and tabs.selected == "recipe"
    assert parts == {"recipe": True, "data": False} and "recipe" in TAB_IDS
    recipe, data, tabs, parts = restore_saved(None, None, "nowhere")
    assert recipe == data == tabs == {"__type__": "update"} and parts == {"recipe": False, "data": False}


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
    copy.unlink()  # the upload vanished between the save and the reload: said, and the choice is dropped
    gone = restore_view({"train_file": str(copy), "sample_rows": None}, None)
    assert "cannot be read any more" in gone[0] and gone[-1] is None
