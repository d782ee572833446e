"""The toolft web app: five tabs (Data, Recipe, Train, Playground, Evaluate) over the library.

Only this package imports gradio. Each tab lives in its own module with one
``build_*_tab`` function (layout and wiring) and plain handler functions.

Per-visitor values live in ``gr.State``: ``recipe_state`` (the visitor's recipe as
a nested dict, edited in the Recipe tab and launched by the Train tab) and
``data_state`` (the dataset picked in the Data tab, ``{"train_file", "sample_rows"}``,
which the Recipe tab copies into ``data.*``). The only shared objects are
``toolft.runs.RUNNER`` (the one training job) and ``toolft.ui.shared_model.SLOT`` (the
one loaded model, which the Playground and Evaluate tabs take turns on).

A ``gr.BrowserState`` keeps the visitor's recipe, data choice and open tab in their own
browser (localStorage, encrypted with a secret kept in the toolft home), so a page reload,
or a restart of the app, brings back the same form on the same tab (:func:`restore_saved`).

Example (starts a web server)::

    demo = build_app()
    demo.launch()
"""

from __future__ import annotations

import os
from pathlib import Path

HEADER = """# toolft: teach a small model to call tools
Fine-tune a small Qwen3 model with LoRA (TRL + PEFT) to call tools, ask for missing arguments and refuse
dangerous requests. **Data** → pick a dataset · **Recipe** → settings and a plan · **Train** → launch and watch ·
**Playground** → talk to base and fine-tuned side by side · **Evaluate** → score both on held-out rows. Without a GPU the default recipe trains the offline
*tiny-qwen3* (built locally, no download) in a few CPU minutes.
"""


TAB_IDS = ("data", "recipe", "train", "playground", "evaluate")
SAVED_DEFAULT = {"recipe": None, "data": None, "tab": "data"}
# The plan column stays in view while the form scrolls; a field with a problem is marked at its input
CSS = """
.gradio-container { overflow: clip visible !important; }  /* hidden would make it the sticky plan's scroller */
#recipe-plan { position: sticky; top: 0.5rem; align-self: flex-start; max-height: calc(100vh - 1rem);
               overflow-y: auto; }
.field-problem { box-shadow: inset 3px 0 0 #dc2626; }
"""


def browser_secret() -> str:
    """The key ``gr.BrowserState`` encrypts with: made once and kept in the toolft home (owner-only file),
    so saved forms survive an app restart. Gradio would otherwise make a new key at every start."""
    import secrets

    from toolft.home import toolft_home

    path = toolft_home() / "browser_state.key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key


def saved_data_choice(choice) -> dict | None:
    """A data choice read back from the browser, or ``None`` when it no longer holds: the bundled sample,
    or a file that still exists under this app's ``uploads`` folder (never any other path)."""
    from toolft.home import toolft_home

    if not isinstance(choice, dict):
        return None
    source = choice.get("train_file")
    rows = choice.get("sample_rows")
    if source == "sample":
        return {"train_file": "sample", "sample_rows": int(rows) if isinstance(rows, int) and rows > 0 else None}
    if not isinstance(source, str):
        return None
    uploads = (toolft_home() / "uploads").resolve()
    path = Path(source).resolve()
    if path.is_file() and path.is_relative_to(uploads):
        return {"train_file": str(path), "sample_rows": None}
    return None


def restore_saved(saved):
    """``(recipe_state, data_state, tabs)`` from what the visitor's browser kept: each part only when it
    is still usable (an invalid recipe still comes back, with its problems shown at its fields)."""
    import gradio as gr

    saved = saved if isinstance(saved, dict) else {}
    recipe = saved.get("recipe")
    data = saved_data_choice(saved.get("data"))
    tab = saved.get("tab")
    return (recipe if isinstance(recipe, dict) and recipe else gr.skip(),
            data if data is not None else gr.skip(),
            gr.Tabs(selected=tab) if tab in TAB_IDS else gr.skip())


def remember(saved, **parts) -> dict:
    """The browser's saved state with ``parts`` replaced."""
    return {**SAVED_DEFAULT, **(saved if isinstance(saved, dict) else {}), **parts}


def build_app():
    """Assemble the five tabs into one ``gr.Blocks`` (fast: no model is built or loaded here)."""
    import gradio as gr

    from toolft.ui.data_tab import build_data_tab
    from toolft.ui.evaluate_tab import build_evaluate_tab
    from toolft.ui.playground_tab import build_playground_tab
    from toolft.ui.recipe_tab import build_recipe_tab, default_recipe
    from toolft.ui.train_tab import build_train_tab

    with gr.Blocks(title="toolft") as demo:
        gr.Markdown(HEADER)
        recipe_state = gr.State(default_recipe())
        data_state = gr.State(None)
        saved = gr.BrowserState(SAVED_DEFAULT, storage_key="toolft-visitor", secret=browser_secret())
        with gr.Tabs(selected="data") as tabs:
            with gr.Tab("Data", id="data") as data_tab:
                data_restore = build_data_tab(data_state, recipe_state)
            with gr.Tab("Recipe", id="recipe") as recipe_tab:
                recipe_restore = build_recipe_tab(recipe_state, data_state)
            with gr.Tab("Train", id="train") as train_tab:
                build_train_tab(demo, recipe_state)
            with gr.Tab("Playground", id="playground") as playground:
                build_playground_tab(demo, playground)
            with gr.Tab("Evaluate", id="evaluate") as evaluate:
                build_evaluate_tab(demo, evaluate)

        # after a reload: the saved recipe and data first, then each tab refills its own view from them
        restored = demo.load(restore_saved, inputs=[saved], outputs=[recipe_state, data_state, tabs])
        for handler, inputs, outputs in (recipe_restore, data_restore):
            restored = restored.then(handler, inputs=inputs, outputs=outputs)
        recipe_state.change(lambda s, r: remember(s, recipe=r), inputs=[saved, recipe_state], outputs=[saved])
        data_state.change(lambda s, d: remember(s, data=d), inputs=[saved, data_state], outputs=[saved])
        for tab_id, tab in zip(TAB_IDS, (data_tab, recipe_tab, train_tab, playground, evaluate)):
            tab.select(lambda s, t=tab_id: remember(s, tab=t), inputs=[saved], outputs=[saved])
    return demo


def theme():
    """The app's theme (Gradio 6 takes it in ``launch()``)."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo")


__all__ = ["CSS", "build_app", "theme"]
