"""The app assembles four tabs quickly, app.py launches with the right settings, the library stays gradio-free."""

import subprocess
import sys

import gradio as gr

from toolft.ui import build_app


def test_build_app_has_the_four_tabs():
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
