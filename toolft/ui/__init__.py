"""The toolft web app: five tabs (Data, Recipe, Train, Playground, Evaluate) over the library.

Only this package imports gradio. Each tab lives in its own module with one
``build_*_tab`` function (layout and wiring) and plain handler functions.

Per-visitor values live in ``gr.State``: ``recipe_state`` (the visitor's recipe as
a nested dict, edited in the Recipe tab and launched by the Train tab) and
``data_state`` (the dataset picked in the Data tab, ``{"train_file", "sample_rows"}``,
which the Recipe tab copies into ``data.*``). The only shared objects are
``toolft.runs.RUNNER`` (the one training job) and ``toolft.ui.shared_model.SLOT`` (the
one loaded model, which the Playground and Evaluate tabs take turns on).

Example (starts a web server)::

    demo = build_app()
    demo.launch()
"""

from __future__ import annotations

HEADER = """# toolft: teach a small model to call tools
Fine-tune a small Qwen3 model with LoRA (TRL + PEFT) to call tools, ask for missing arguments and refuse
dangerous requests. **Data** → pick a dataset · **Recipe** → settings and a plan · **Train** → launch and watch ·
**Playground** → talk to base and fine-tuned side by side · **Evaluate** → score both on held-out rows. Without a GPU the default recipe trains the offline
*tiny-qwen3* (built locally, no download) in a few CPU minutes.
"""


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
        with gr.Tabs():
            with gr.Tab("Data"):
                build_data_tab(data_state, recipe_state)
            with gr.Tab("Recipe"):
                build_recipe_tab(recipe_state, data_state)
            with gr.Tab("Train"):
                build_train_tab(demo, recipe_state)
            with gr.Tab("Playground") as playground:
                build_playground_tab(demo, playground)
            with gr.Tab("Evaluate") as evaluate:
                build_evaluate_tab(demo, evaluate)
    return demo


def theme():
    """The app's theme (Gradio 6 takes it in ``launch()``)."""
    import gradio as gr

    return gr.themes.Soft(primary_hue="indigo")


__all__ = ["build_app", "theme"]
