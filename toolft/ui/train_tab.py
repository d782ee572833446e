"""The Train tab: show the exact command, launch or cancel the one training job, watch it.

Training runs in a subprocess owned by ``toolft.runs.RUNNER`` (shared by every
visitor: one job at a time). This tab only reads the run folder (``status.json``,
``metrics.jsonl``, ``train.log``) every two seconds, so a page reload, or a second
visitor, finds the running job again: the view shows ``RUNNER.active()`` or else
the newest run.
"""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path

from toolft.runfolder import FINAL_STATES, RunFolder
from toolft.ui.common import check_recipe, duration, find_run, md_literal, problems_markdown, warning_lines

LOG_LINES = 20  # the box is this tall, so the newest line is always in view (autoscroll does not fire)
BAR_WIDTH = 24


def command_preview(recipe: dict) -> str:
    """The command Launch will run; the run folder's time stamp is filled in at launch."""
    from toolft.home import runs_dir
    from toolft.runs import run_slug, training_command

    run_dir = runs_dir() / f"<YYYYmmdd-HHMMSS>-{run_slug((recipe or {}).get('name') or 'run')}"
    return shlex.join(training_command(run_dir / "recipe.yaml", run_dir))


def launch_problems(recipe: dict):
    """``(recipe or None, problems)``: the app's recipe checks, then the pre-flight check every launch passes.

    The recipe is None when any problem is an error; warnings alone let it launch.
    """
    from toolft.preflight import errors_of, preflight

    checked, problems = check_recipe(recipe or {})
    if checked is not None and not problems:
        problems = preflight(checked)
    return (checked if not errors_of(problems) else None), problems


def recipe_check(recipe: dict) -> str:
    """One line saying whether the visitor's recipe can be launched, or its problems."""
    checked, problems = launch_problems(recipe)
    if checked is None:
        return problems_markdown(problems, "This recipe cannot be launched yet (edit it in the Recipe tab):")
    data = checked.data
    source = f"bundled sample ({data.sample_rows} rows)" if data.train_file == "sample" else Path(data.train_file).name
    ready = (f"Ready: recipe **{md_literal(checked.name)}** on **{md_literal(checked.model.name_or_path)}**, "
             f"data: {md_literal(source)}.")
    return ready + ("\n\n" + warning_lines(problems) if problems else "")


def refused(action: str, username: str | None) -> str | None:
    """Why ``username`` may not do ``action`` here (``toolft.access``), as markdown; ``None`` when allowed."""
    from toolft.access import decide

    decision = decide(action, username)
    return None if decision.allowed else f"**Not allowed:** {md_literal(decision.reason)}"


def access_note(username: str | None) -> str:
    """The Train tab's first line on a Space: who may train here, and whether this visitor may."""
    from toolft.access import decide, on_space, open_training

    if not on_space():
        return ""
    if open_training():
        return "Training on this Space is open to every visitor (`TOOLFT_OPEN_TRAINING=1`)."
    decision = decide("train", username)
    if decision.allowed:
        return f"Logged in as **{md_literal(username or '')}**: you may train, cancel, resume and delete runs here."
    return md_literal(decision.reason) + " The Data, Recipe, Playground and Evaluate tabs are open to everyone."


def storage_note() -> str:
    """Where runs are kept, and whether they outlive a restart of the app (a Space without /data does not)."""
    from toolft.access import on_space
    from toolft.home import toolft_home

    home = toolft_home()
    if str(home).startswith("/data"):
        return f"Runs, uploads and models are kept in `{home}` (a storage volume): they survive a restart."
    if on_space():
        return (f"Runs, uploads and models are kept in `{home}`, on this Space's own disk: they are lost when it "
                "restarts. Mount a storage volume at /data to keep them.")
    return f"Runs, uploads and models are kept in `{home}`."


def _without_home(text: str) -> str:
    """``text`` with the toolft home folder written as ``$TOOLFT_HOME`` (no server folder shown to visitors)."""
    from toolft.home import toolft_home

    home = str(toolft_home().resolve())
    return text.replace(home, "$TOOLFT_HOME").replace(str(toolft_home()), "$TOOLFT_HOME")


def launch(recipe: dict, username: str | None = None, session: str | None = None, data: dict | None = None) -> str:
    """Start training the visitor's recipe; a message saying what happened (never raises).

    ``username``: the visitor's Hugging Face login (``None``: anonymous); on a Space only
    its owner may train (``toolft.access``). An uploaded dataset must be the one of the
    visitor's data choice ``data`` (kept on the server for their session), with that upload's
    key (``toolft.uploads``); ``session`` (their Gradio session) then owns it again."""
    from toolft.runs import RUNNER, JobBusyError
    from toolft.uploads import OWNERS, upload_folder

    if (denied := refused("train", username)) is not None:
        return denied

    checked, problems = launch_problems(recipe)
    if checked is None:
        return problems_markdown(problems, "Not launched: fix these recipe settings first:")
    source = checked.data.train_file.strip()
    if source != "sample":
        chosen = (data or {}).get("train_file")
        same = isinstance(chosen, str) and upload_folder(source) is not None and (
            Path(source).resolve() == Path(chosen).resolve())
        if not same or not OWNERS.holds(source, (data or {}).get("key")):
            return ("**Not launched:** this dataset is not one you uploaded in this session (uploads belong to the "
                    "visitor who made them and are removed when their session ends). Upload it again in the Data "
                    "tab.")
        OWNERS.claim(source, session)  # a tab whose heartbeat dropped for a while owns it again
    from toolft.ui.shared_model import release_model

    release_model()  # the trainer gets the GPU memory the playground's cached model held
    try:
        run = RUNNER.start(checked)
    except JobBusyError as exc:
        return f"**Not launched:** {exc}."
    except OSError as exc:
        return f"**Not launched:** could not start the trainer: {exc}"
    return f"Started run **{run.name}**. Progress appears below every two seconds."


def cancel(username: str | None = None) -> str:
    """Stop the running job (SIGTERM, then kill); a message saying what happened."""
    from toolft.runs import RUNNER

    if (denied := refused("cancel", username)) is not None:
        return denied
    run = RUNNER.cancel()
    return f"Cancelled run **{run.name}**." if run else "No training run is in progress."


def resume(username: str | None = None, name: str | None = None) -> str:
    """Continue run ``name`` (default: the run shown, the newest) from its last checkpoint; a message saying
    what happened."""
    from toolft.runs import RUNNER, JobBusyError

    if (denied := refused("resume", username)) is not None:
        return denied
    run = find_run(name) if name else current_run()
    if run is None:
        return f"**No run called {md_literal(name)}** (deleted meanwhile?)." if name else "There is no run to resume yet."
    from toolft.runs import resume_problem
    from toolft.ui.shared_model import release_model

    problem = resume_problem(run)
    if problem:
        return f"**Not resumed:** {problem}."
    try:
        release_model()  # only once it will resume: a refusal must not drop every visitor's model
        RUNNER.resume(run)
    except (JobBusyError, ValueError) as exc:
        return f"**Not resumed:** {exc}."
    except OSError as exc:
        return f"**Not resumed:** could not start the trainer: {exc}"
    checkpoint = run.last_checkpoint()
    return f"Resuming run **{run.name}** from {checkpoint.name if checkpoint else 'its last checkpoint'}."


def current_run() -> RunFolder | None:
    """The run to show: the one training now, else the newest one, else None."""
    from toolft.runs import RUNNER, list_runs

    active = RUNNER.active()
    if active is not None:
        return active
    runs = list_runs()
    return runs[0] if runs else None


def stale_message_cleared(message: str | None):
    """"" for a launch refusal that no longer applies (the job it named has ended), else no change."""
    import gradio as gr
    from toolft.runs import RUNNER

    if message and message.startswith("**Not launched:** run ") and "is in progress" in message \
            and RUNNER.active() is None:
        return ""
    return gr.skip()


def _bar(done: float) -> str:
    """A text progress bar, ``done`` in [0, 1]."""
    filled = round(done * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def status_markdown(run: RunFolder, status: dict, now: float | None = None) -> str:
    """Run name, state, a text progress bar with ETA, and the error if it failed."""
    now = now or time.time()
    state = status.get("state", "unknown")
    step, total = status.get("step") or 0, status.get("total_steps")
    lines = [f"### Run `{run.name}`: {state}"]
    if total:
        done = min(step / total, 1.0)
        progress = f"`{_bar(done)}` step **{step}/{total}** ({done:.0%})"
        # ETA from step time only; a resumed run has no clock until its training restarts
        started = status.get("train_started_at") or (None if status.get("resumed_from") else status.get("started_at"))
        done_here = step - (status.get("train_started_step") or 0)  # a resumed run counts from its checkpoint
        if state == "running" and started and done_here > 0:
            elapsed = now - started
            progress += f" · elapsed {duration(elapsed)} · ETA {duration(elapsed / done_here * (total - step))}"
        lines.append(progress)
    elif state in ("queued", "running") and status.get("phase"):
        # a one-off step before training, such as building tiny-qwen3 on its first use
        line = f"Preparing: {status['phase']}…"
        phase_step, phase_total = status.get("phase_step") or 0, status.get("phase_total")
        if phase_total:
            done = min(phase_step / phase_total, 1.0)
            line += f"\n\n`{_bar(done)}` step {phase_step}/{phase_total} ({done:.0%})"
            if status.get("phase_eta_s") is not None:
                line += f" · ETA {duration(status['phase_eta_s'])}"
        lines.append(line)
    elif state in ("queued", "running"):
        lines.append("Preparing: loading the data and the model…")
    if state in FINAL_STATES and status.get("started_at") and status.get("finished_at"):
        lines.append(f"Took {duration(status['finished_at'] - status['started_at'])}.")
    if status.get("error"):  # shown to every visitor: as text, and without the server's folders
        lines.append(f"**Error:** {md_literal(_without_home(str(status['error'])))}")
    reading = curve_reading(run)
    if reading:
        lines.append(reading)
    if state in ("failed", "cancelled", "interrupted") and run.last_checkpoint() is not None:
        lines.append(f"**Resume** continues it from {run.last_checkpoint().name}.")
    if state == "completed" and run.has_adapter():
        lines.append("The adapter is saved: try it in the **Playground** tab.")
    return "\n\n".join(lines)


def curve_reading(run: RunFolder) -> str:
    """The verdicts of :func:`toolft.diagnose.diagnose` on the run's curves, one markdown line each."""
    from toolft.diagnose import diagnose

    marks = {"ok": "✓", "warning": "⚠", "error": "✗"}
    verdicts = [v for v in diagnose(run.read_metrics())["verdicts"] if v["verdict"] != "too_early"]
    return "\n".join(f"- {marks[v['severity']]} **{v['verdict'].replace('_', ' ')}**: {v['message']}"
                     for v in verdicts)


def throughput(events: list[dict]) -> list[tuple[int, float]]:
    """``(step, trained tokens per second)`` between consecutive train logs (from ``num_tokens`` and ``time``).

    >>> throughput([{"event": "train", "step": 1, "num_tokens": 100, "time": 10.0},
    ...             {"event": "train", "step": 2, "num_tokens": 400, "time": 12.0}])
    [(2, 150.0)]
    """
    logged = [e for e in events if e.get("event") == "train" and e.get("num_tokens") is not None and e.get("time")]
    out = []
    for before, after in zip(logged, logged[1:]):
        tokens, seconds = after["num_tokens"] - before["num_tokens"], after["time"] - before["time"]
        if tokens > 0 and seconds > 0:  # a resumed run starts its token count again: skip that gap
            out.append((after["step"], round(tokens / seconds, 1)))
    return out


def metrics_figure(events: list[dict]):
    """Plotly figure against step: loss and eval loss (left) and learning rate (right) on top; gradient norm
    (left) and throughput in tokens/s (right) below.

    None until the first training step is logged (the plot shows its empty placeholder).
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    train = [e for e in events if e.get("event") == "train" and "loss" in e]
    evals = [e for e in events if e.get("event") == "eval" and "eval_loss" in e]
    rates = [e for e in events if e.get("event") == "train" and "learning_rate" in e]
    norms = [e for e in events if e.get("event") == "train" and e.get("grad_norm") is not None]
    speed = throughput(events)
    if not (train or evals):
        return None
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.08,
                        specs=[[{"secondary_y": True}], [{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=[e["step"] for e in train], y=[e["loss"] for e in train], name="loss",
                             mode="lines+markers"), row=1, col=1, secondary_y=False)
    if evals:
        fig.add_trace(go.Scatter(x=[e["step"] for e in evals], y=[e["eval_loss"] for e in evals], name="eval_loss",
                                 mode="lines+markers"), row=1, col=1, secondary_y=False)
    fig.add_trace(go.Scatter(x=[e["step"] for e in rates], y=[e["learning_rate"] for e in rates],
                             name="learning_rate", mode="lines", line={"dash": "dot"}), row=1, col=1, secondary_y=True)
    if norms:
        fig.add_trace(go.Scatter(x=[e["step"] for e in norms], y=[e["grad_norm"] for e in norms], name="grad_norm",
                                 mode="lines"), row=2, col=1, secondary_y=False)
    if speed:
        fig.add_trace(go.Scatter(x=[s for s, _ in speed], y=[v for _, v in speed], name="tokens/s",
                                 mode="lines", line={"dash": "dash"}), row=2, col=1, secondary_y=True)
    fig.update_layout(height=520, margin={"l": 50, "r": 50, "t": 50, "b": 40},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1})
    fig.update_xaxes(title_text="step", row=2, col=1)
    fig.update_yaxes(title_text="loss", row=1, col=1, secondary_y=False)
    fig.update_yaxes(title_text="learning rate", row=1, col=1, secondary_y=True)
    fig.update_yaxes(title_text="gradient norm", row=2, col=1, secondary_y=False)
    fig.update_yaxes(title_text="tokens/s", row=2, col=1, secondary_y=True)
    return fig


def refresh(run: RunFolder | None = None) -> tuple[str, object, str, tuple]:
    """What the tab shows now: ``(status markdown, figure, last log lines, plot key)``.

    ``plot key`` changes only when new metrics arrive, so the browser can skip
    redrawing an unchanged plot every two seconds.
    """
    run = run or current_run()
    if run is None:
        return "No runs yet: check the recipe above and press **Launch training**.", None, "", ("", 0)
    status = run.read_status()
    events = run.read_metrics()
    log = "\n".join(run.tail_log(16000).splitlines()[-LOG_LINES:])
    return status_markdown(run, status), metrics_figure(events), log, (run.name, len(events))


# ------------------------------------------------------------------ run registry
REGISTRY_HEADERS = ["run", "state", "steps", "train loss", "eval loss (best)"]


def registry_rows() -> list[list]:
    """Every run under the home, newest first, as the registry table's rows."""
    from toolft.runs import list_runs, run_summary

    def num(x):
        return f"{x:.4g}" if isinstance(x, (int, float)) else ""

    rows = []
    for run in list_runs():
        s = run_summary(run)
        steps = f"{s['step'] or 0}/{s['total_steps']}" if s["total_steps"] else str(s["step"] or "")
        best = f" ({num(s['best_eval_loss'])})" if s["best_eval_loss"] is not None else ""
        rows.append([s["run"], s["state"] or "", steps, num(s["train_loss"]), num(s["eval_loss"]) + best])
    return rows


def run_names() -> list[str]:
    from toolft.runs import list_runs

    return [run.name for run in list_runs()]


def compare_view(a: str | None, b: str | None):
    """``(markdown, figure)`` for one run opened (``b`` empty) or two runs compared: their numbers, the
    recipe settings that differ and their loss curves overlaid."""
    from toolft.runs import compare_runs
    from toolft.ui.common import find_run

    if not a:
        return "Pick a run to open (and a second one to compare).", None
    run_a, run_b = find_run(a), (find_run(b) if b else None)  # names under the home only, never a path
    missing = [name for name, run in ((a, run_a), (b, run_b)) if name and run is None]
    if missing:
        return f"**No run called {md_literal(missing[0])}** (deleted meanwhile?). Press **Refresh list**.", None
    result = compare_runs(run_a, run_b or run_a)
    sides = [("a", result["a"])] if not b else [("a", result["a"]), ("b", result["b"])]
    lines = ["| | run | state | steps | train loss | eval loss | best eval loss |", "|---|---|---|---|---|---|---|"]
    for side, r in sides:
        steps = f"{r['step'] or 0}/{r['total_steps']}" if r["total_steps"] else "–"
        lines.append(f"| {side.upper()} | `{r['run']}` | {r['state'] or '–'} | {steps} | "
                     f"{_fmt(r['train_loss'])} | {_fmt(r['eval_loss'])} | {_fmt(r['best_eval_loss'])} |")
    if b:
        diff = result["recipe_diff"]
        if result["recipe_problems"]:
            lines += [""] + [f"- {md_literal(p)}: no recipe comparison." for p in result["recipe_problems"]]
        elif diff:
            lines += ["", "**Recipe settings that differ**", "", "| setting | A | B |", "|---|---|---|"]
            lines += [f"| `{d['field']}` | {_setting(d['field'], d['a'])} | {_setting(d['field'], d['b'])} |"
                      for d in diff]
        else:
            lines += ["", "The two recipes are the same (apart from their names)."]
    return "\n".join(lines), curves_figure(result, sides)


def _setting(field: str, value) -> str:
    """A recipe value for the diff table; an uploaded file shows by its name only (its folder under
    the home is private to the visitor who uploaded it)."""
    if field == "data.train_file" and isinstance(value, str) and value != "sample":
        value = Path(value).name
    return md_literal(repr(value))


def _fmt(x) -> str:
    return f"{x:.4g}" if isinstance(x, (int, float)) else "–"


def curves_figure(result: dict, sides):
    """Train (solid) and eval (dotted) loss of each run on one chart."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for side, summary in sides:
        curves = result["curves"][side]
        for key, dash in (("train_loss", "solid"), ("eval_loss", "dot")):
            points = curves[key]
            if points:
                fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers",
                                         line={"dash": dash}, marker={"size": 4},
                                         name=f"{side.upper()} {key.replace('_', ' ')}"))
    fig.update_layout(xaxis_title="step", yaxis_title="loss", height=320, margin={"l": 40, "r": 10, "t": 20, "b": 40})
    return fig


def delete_view(name: str | None, confirmed: bool, username: str | None = None) -> str:
    """Delete a run when confirmed; the message says what happened (a training run is never deleted)."""
    from toolft.runs import RUNNER, RunBusyError, delete_run
    from toolft.ui.common import find_run

    if (denied := refused("delete", username)) is not None:
        return denied
    if not name:
        return "Pick the run to delete."
    if not confirmed:
        return f"Tick **Yes, delete it** to delete `{name}` and everything in it (adapter, checkpoints, logs)."
    run = find_run(name)  # a name under the home only, never a path
    if run is None:
        return f"**Not deleted:** there is no run called {md_literal(name)} (deleted meanwhile?)."
    try:
        delete_run(run, RUNNER)
    except (ValueError, RunBusyError) as exc:
        return f"**Not deleted:** {md_literal(str(exc))}"
    except OSError as exc:
        return f"**Partly deleted:** {md_literal(name)} could not be removed completely ({exc.strerror or exc})."
    return f"Deleted `{name}`."


def push_view(name: str | None, repo_id: str | None, public: bool, username: str | None = None,
              token: str | None = None) -> str:
    """Push a finished run's adapter and model card to a Hub model repo (owner-only on a Space); a message.

    ``token``: the visitor's OAuth token; without one, ``HF_TOKEN`` or the cached login is used.
    """
    from toolft.hub_push import PushError, push_adapter
    from toolft.ui.common import find_run

    if (denied := refused("push", username)) is not None:
        return denied
    repo_id = (repo_id or "").strip()
    if not name or not repo_id or repo_id.count("/") != 1 or any(c.isspace() for c in repo_id):
        return "Pick a finished run and type the model repo as `owner/name`."
    run = find_run(name, need_adapter=True)
    if run is None:
        return f"**Not pushed:** run {md_literal(name)} has no trained adapter."
    try:
        url = push_adapter(run, repo_id, private=not public, token=token)
    except (PushError, FileNotFoundError) as exc:
        return f"**Not pushed:** {md_literal(str(exc))}"
    return f"Pushed the adapter of `{name}` to [{md_literal(repo_id)}]({url}) ({'public' if public else 'private'})."


def build_train_tab(demo, recipe_state, data_state):
    """Lay out the Train tab and poll the run folder with a 2-second timer.

    Returns ``(handler, inputs, outputs)`` that checks the visitor's recipe again: ``toolft.ui.build_app``
    runs it once the saved recipe is restored after page load, so the check never shows a stale one."""
    import gradio as gr

    from toolft.access import duplicate_url, on_space, oauth_username

    with gr.Row():
        access = gr.Markdown(access_note(None), elem_id="train-access")
        if on_space() and os.environ.get("OAUTH_CLIENT_ID"):  # a Space with hf_oauth: true (needs gradio[oauth])
            gr.LoginButton(scale=0)
        if duplicate_url():
            gr.Button("Duplicate this Space", link=duplicate_url(), scale=0)
    gr.Markdown(f"<small>{storage_note()}</small>", elem_id="train-storage")
    check = gr.Markdown(recipe_check(recipe_state.value), elem_id="train-check")
    command = gr.Code(command_preview(recipe_state.value), language="shell", label="Command run by Launch",
                      interactive=False, lines=1, wrap_lines=True)
    with gr.Row():
        launch_btn = gr.Button("Launch training", variant="primary")
        cancel_btn = gr.Button("Cancel", variant="stop")
        resume_btn = gr.Button("Resume", elem_id="train-resume")
    message = gr.Markdown()
    status = gr.Markdown("Loading…")
    plot = gr.Plot(label="Loss and learning rate")
    log = gr.Textbox(label=f"train.log (last {LOG_LINES} lines)", lines=LOG_LINES, max_lines=LOG_LINES,
                     interactive=False)
    plot_key = gr.State(None)
    timer = gr.Timer(2)
    with gr.Accordion("All runs: open, compare, delete", open=False):
        registry = gr.Dataframe(headers=REGISTRY_HEADERS, value=[], interactive=False,  # filled on page load
                                elem_id="runs-table", max_height=300)
        with gr.Row():
            run_a = gr.Dropdown(run_names(), value=None, label="Run A", elem_id="runs-a")
            run_b = gr.Dropdown(run_names(), value=None, label="Run B (to compare)", elem_id="runs-b")
            compare_btn = gr.Button("Open / compare", elem_id="runs-compare")
            resume_a_btn = gr.Button("Resume run A", elem_id="runs-resume")
            refresh_btn = gr.Button("Refresh list", size="sm")
        compared = gr.Markdown(elem_id="runs-compared")
        compared_plot = gr.Plot(label="Loss curves")
        with gr.Row():
            doomed = gr.Dropdown(run_names(), value=None, label="Run to delete", elem_id="runs-delete-pick")
            sure = gr.Checkbox(False, label="Yes, delete it")
            delete_btn = gr.Button("Delete run", variant="stop", elem_id="runs-delete")
        deleted = gr.Markdown(elem_id="runs-deleted")
        with gr.Row():
            to_push = gr.Dropdown(run_names(), value=None, label="Run to push to the Hub", elem_id="runs-push-pick")
            push_repo = gr.Textbox(label="Model repo", placeholder="you/qwen3-tools-lora")
            push_public = gr.Checkbox(False, label="Public (default: private)")
            push_btn = gr.Button("Push adapter", elem_id="runs-push")
        pushed = gr.Markdown(elem_id="runs-pushed")

    def on_launch(recipe, data, request: gr.Request):
        return launch(recipe, username=oauth_username(request), session=request.session_hash, data=data)

    def on_cancel(request: gr.Request):
        return cancel(username=oauth_username(request))

    def on_resume(request: gr.Request):
        return resume(username=oauth_username(request))

    def on_resume_run(name, request: gr.Request):
        if not name:
            return "Pick the run to resume as run A."
        return resume(username=oauth_username(request), name=name)

    owner_buttons = [launch_btn, cancel_btn, resume_btn, resume_a_btn, delete_btn, push_btn]

    def on_access(request: gr.Request):
        """The access note, and the owner's buttons greyed out for a visitor who may not use them (the
        handlers refuse them anyway: this only spares the click)."""
        from toolft.access import decide

        username = oauth_username(request)
        allowed = decide("train", username).allowed
        return (access_note(username), *(gr.update(interactive=allowed) for _ in owner_buttons))

    def keep(value, names):
        return value if value in names else None

    def on_refresh(a=None, b=None, d=None, p=None):
        names = run_names()  # a choice another visitor deleted is cleared, so Compare never sends a stale name
        return (registry_rows(), gr.update(choices=names, value=keep(a, names)),
                gr.update(choices=names, value=keep(b, names)), gr.update(choices=names, value=keep(d, names)),
                gr.update(choices=names, value=keep(p, names)))

    def on_push(name, repo_id, public, request: gr.Request):
        from toolft.access import oauth_token

        return push_view(name, repo_id, public, username=oauth_username(request), token=oauth_token(request))

    def on_delete(name, confirmed, request: gr.Request):
        text = delete_view(name, confirmed, username=oauth_username(request))
        names = run_names()
        return (text, False, registry_rows(), *(gr.update(choices=names, value=None) for _ in range(4)))

    def on_recipe(recipe):
        return recipe_check(recipe), command_preview(recipe), ""  # an old launch message no longer applies

    def on_tick(shown_key, shown_message):
        status_md, figure, log_text, key = refresh()
        return (status_md, figure if key != shown_key else gr.skip(), log_text, key,
                stale_message_cleared(shown_message))

    recipe_state.change(on_recipe, inputs=[recipe_state], outputs=[check, command, message], show_progress="hidden")
    for handler in (on_launch, on_cancel, on_resume, on_resume_run, on_access, on_delete, on_push):  # annotations are strings (PEP 563):
        handler.__annotations__["request"] = gr.Request  # give Gradio the class, so it passes the request
    launch_btn.click(on_launch, inputs=[recipe_state, data_state], outputs=[message]).then(
        on_tick, inputs=[plot_key, message], outputs=[status, plot, log, plot_key, message], show_progress="hidden")
    cancel_btn.click(on_cancel, outputs=[message])
    resume_btn.click(on_resume, outputs=[message]).then(
        on_tick, inputs=[plot_key, message], outputs=[status, plot, log, plot_key, message], show_progress="hidden")
    resume_a_btn.click(on_resume_run, inputs=[run_a], outputs=[message]).then(
        on_tick, inputs=[plot_key, message], outputs=[status, plot, log, plot_key, message], show_progress="hidden")
    timer.tick(on_tick, inputs=[plot_key, message], outputs=[status, plot, log, plot_key, message])
    demo.load(on_tick, inputs=[plot_key, message], outputs=[status, plot, log, plot_key, message], show_progress="hidden")
    compare_btn.click(compare_view, inputs=[run_a, run_b], outputs=[compared, compared_plot])
    refresh_btn.click(on_refresh, inputs=[run_a, run_b, doomed, to_push],
                      outputs=[registry, run_a, run_b, doomed, to_push])
    push_btn.click(on_push, inputs=[to_push, push_repo, push_public], outputs=[pushed])
    delete_btn.click(on_delete, inputs=[doomed, sure],
                     outputs=[deleted, sure, registry, doomed, run_a, run_b, to_push])
    demo.load(on_refresh, outputs=[registry, run_a, run_b, doomed, to_push], show_progress="hidden")
    demo.load(on_access, outputs=[access, *owner_buttons], show_progress="hidden")
    return on_recipe, [recipe_state], [check, command, message]
