"""The toolft web app: five tabs (Data, Recipe, Train, Playground, Evaluate) over the library.

Only this package imports gradio. Each tab lives in its own module with one
``build_*_tab`` function (layout and wiring) and plain handler functions.

Per-visitor values live in ``gr.State``: ``recipe_state`` (the visitor's recipe as
a nested dict, edited in the Recipe tab and launched by the Train tab) and
``data_state`` (the dataset picked in the Data tab, ``{"train_file", "sample_rows"}``,
which the Recipe tab copies into ``data.*``). The only shared objects are
``toolft.runs.RUNNER`` (the one training job) and ``toolft.ui.shared_model.SLOT`` (the
one loaded model, which the Playground and Evaluate tabs take turns on).

``gr.BrowserState`` keeps the visitor's recipe, data choice and open tab in their own
browser (localStorage), so a page reload, or a restart of the app, brings back the same form
on the same tab (:func:`restore_saved`); what comes back is checked again like any input.

Example (starts a web server)::

    demo = build_app()
    demo.launch(theme=theme(), css=CSS)
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
# The plan column stays in view while the form scrolls; a field with a problem is marked at its input
CSS = """
.gradio-container { overflow: clip visible !important; }  /* hidden would make it the sticky plan's scroller */
#recipe-plan { position: sticky; top: 0.5rem; align-self: flex-start; max-height: calc(100vh - 1rem);
               overflow-y: auto; }
.field-problem { box-shadow: inset 3px 0 0 #dc2626; }
"""


def browser_secret() -> str:
    """The key ``gr.BrowserState`` encrypts with, made once and kept in the toolft home (an owner-only
    file), so saved forms survive an app restart (Gradio would make a new key at every start).

    Gradio hands this key to the browser, so it keeps saved values private from other sites, not
    from the visitor: everything read back is treated as visitor input and checked again
    (:func:`saved_recipe`, :func:`saved_data_choice`).
    """
    import secrets

    from toolft.home import toolft_home

    path = toolft_home() / "browser_state.key"
    for _ in range(3):
        try:
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
            path.unlink()  # an empty file (a start cut short): make a new key
        except FileNotFoundError:
            pass
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: read theirs
            continue
        key = secrets.token_hex(32)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key
    raise OSError(f"cannot read or create {path}")


def saved_data_choice(choice, session: str | None = None) -> dict | None:
    """A data choice read back from the browser, or ``None`` when it no longer holds: the bundled sample
    (with a row count the Data tab offers), or a file that still exists under this app's ``uploads``
    folder (never any other path) with that upload's key, which makes ``session`` its owner again
    (``toolft.uploads``: the browser's copy is client input, so the path alone proves nothing)."""
    from toolft.ui.data_tab import MAX_SAMPLE_ROWS, MIN_SAMPLE_ROWS
    from toolft.uploads import OWNERS, upload_folder

    if not isinstance(choice, dict):
        return None
    source = choice.get("train_file")
    rows = choice.get("sample_rows")
    if source == "sample":
        ok = type(rows) is int and MIN_SAMPLE_ROWS <= rows <= MAX_SAMPLE_ROWS
        return {"train_file": "sample", "sample_rows": rows if ok else None}
    if not isinstance(source, str):
        return None
    try:
        path = Path(source).resolve()
        key = choice.get("key")
        if path.is_file() and upload_folder(path) is not None and OWNERS.reclaim(path, key, session):
            return {"train_file": str(path), "sample_rows": None, "key": key}
    except (OSError, ValueError):  # a NUL byte, a path too long...
        pass
    return None


def saved_recipe(value, data: dict | None) -> tuple[dict | None, list[str]]:
    """A recipe read back from the browser, rebuilt on today's defaults: ``(recipe dict or None, dropped)``.

    Each known setting whose saved value has the right type is kept (a number out of range is
    kept too, so the Recipe tab shows its problem at its field); unknown keys and values of the
    wrong type are dropped and named in ``dropped``. The data file is never taken from the
    browser: it is ``data``'s (a checked choice) or the bundled sample. ``None`` when nothing
    usable was saved.
    """
    from toolft.recipe import field_type, flatten
    from toolft.ui.recipe_tab import PATHS, default_recipe, flat_values, nest

    if not isinstance(value, dict) or not value:
        return None, []
    saved = flatten(value)
    dropped: list[str] = []
    values = dict(zip(PATHS, flat_values(default_recipe())))
    for path, sub in saved.items():
        if path == "data.train_file":
            continue  # never a path from the browser
        if path not in values:
            dropped.append(path)
            continue
        kind = field_type(path)
        if kind is float and type(sub) in (int, float) or type(sub) is kind:
            values[path] = float(sub) if kind is float else sub
        else:
            dropped.append(path)
    values["data.train_file"] = (data or {}).get("train_file") or "sample"
    if data and data.get("sample_rows"):
        values["data.sample_rows"] = data["sample_rows"]
    return nest(values), dropped


def restore_saved(recipe, data, tab, session: str | None = None):
    """``(recipe_state, data_state, tabs, restored)`` from what the visitor's browser kept, each part only
    when it still holds; ``restored`` says which parts came back, so the tabs refill only those.

    A restored upload becomes ``session``'s again when the saved choice carries its key
    (:func:`saved_data_choice`)."""
    import gradio as gr

    choice = saved_data_choice(data, session)
    recipe_dict, _ = saved_recipe(recipe, choice)
    restored = {"recipe": recipe_dict is not None, "data": choice is not None}
    return (recipe_dict if recipe_dict is not None else gr.skip(),
            choice if choice is not None else gr.skip(),
            gr.Tabs(selected=tab) if tab in TAB_IDS else gr.skip(),
            restored)


def build_app():
    """Assemble the five tabs into one ``gr.Blocks`` (fast: no model is built or loaded here)."""
    import gradio as gr

    from toolft.ui.data_tab import build_data_tab
    from toolft.ui.evaluate_tab import build_evaluate_tab
    from toolft.ui.playground_tab import build_playground_tab
    from toolft.ui.recipe_tab import build_recipe_tab, default_recipe
    from toolft.ui.train_tab import build_train_tab

    from toolft.uploads import GRACE_S, OWNERS

    # Gradio's own copies of files it served (downloads of converted rows hold a visitor's data) expire after
    # an hour; its copy of an upload is deleted as soon as toolft holds its own (drop_gradio_copy)
    keep_s = int(max(GRACE_S, 3600))
    with gr.Blocks(title="toolft", delete_cache=(keep_s, keep_s)) as demo:
        gr.Markdown(HEADER)
        recipe_state = gr.State(default_recipe())
        data_state = gr.State(None)
        restored_parts = gr.State({})
        secret = browser_secret()
        # one BrowserState per part: saving one never overwrites another with a stale copy
        saved_recipe_box = gr.BrowserState(None, storage_key="toolft-recipe", secret=secret)
        saved_data_box = gr.BrowserState(None, storage_key="toolft-data", secret=secret)
        saved_tab_box = gr.BrowserState(None, storage_key="toolft-tab", secret=secret)  # None: nothing saved yet
        with gr.Tabs(selected="data") as tabs:
            with gr.Tab("Data", id="data") as data_tab:
                data_restore = build_data_tab(data_state, recipe_state, restored_parts)
            with gr.Tab("Recipe", id="recipe") as recipe_tab:
                recipe_restore = build_recipe_tab(recipe_state, data_state, restored_parts)
            with gr.Tab("Train", id="train") as train_tab:
                train_restore = build_train_tab(demo, recipe_state, data_state)
            with gr.Tab("Playground", id="playground") as playground:
                build_playground_tab(demo, playground)
            with gr.Tab("Evaluate", id="evaluate") as evaluate:
                build_evaluate_tab(demo, evaluate)

        # after a reload: the saved recipe and data first, then each tab refills its own view from them
        def on_page_load(recipe, data, tab, request: gr.Request):
            return restore_saved(recipe, data, tab, request.session_hash)

        def on_session_end(request: gr.Request):
            OWNERS.end_session(request.session_hash)  # its uploads go after the grace period

        for handler in (on_page_load, on_session_end):  # annotations are strings here (PEP 563): give Gradio
            handler.__annotations__["request"] = gr.Request  # the class, so it passes the request

        restored = demo.load(on_page_load, inputs=[saved_recipe_box, saved_data_box, saved_tab_box],
                             outputs=[recipe_state, data_state, tabs, restored_parts], show_progress="hidden")
        for handler, inputs, outputs in (recipe_restore, data_restore, train_restore):
            restored = restored.then(handler, inputs=inputs, outputs=outputs, show_progress="hidden")
        recipe_state.change(lambda r: r, inputs=[recipe_state], outputs=[saved_recipe_box], show_progress="hidden")
        data_state.change(lambda d: d, inputs=[data_state], outputs=[saved_data_box], show_progress="hidden")
        for tab_id, tab in zip(TAB_IDS, (data_tab, recipe_tab, train_tab, playground, evaluate)):
            tab.select(lambda t=tab_id: t, outputs=[saved_tab_box], show_progress="hidden")
        demo.unload(on_session_end)
    OWNERS.sweep()  # uploads left ownerless by an earlier process
    return demo


def theme():
    """The app's theme (Gradio 6 takes it in ``launch()``)."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo")


__all__ = ["CSS", "build_app", "theme"]
