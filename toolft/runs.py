"""Run registry and the one-job-at-a-time training runner.

Training always happens in a separate process, ``python -m toolft train RECIPE
--run-dir DIR`` (no shell), so the app stays responsive and a crash in training
never takes the app down. The run folder is the only channel between them.

``RUNNER`` is the app's single training slot: a process-wide singleton guarded by
a lock, shared by every visitor of the app. It can be re-attached to after a page
reload (it lives in the server) and, after a server restart, a run whose
``status.json`` says running with a live ``pid`` is found again by ``active()``.

>>> cmd = training_command(Path("r/recipe.yaml"), Path("r"))
>>> cmd[1:4]
['-m', 'toolft', 'train']
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from toolft.home import runs_dir
from toolft.recipe import Recipe, flatten, save_recipe
from toolft.runfolder import FINAL_STATES, RunFolder


class JobBusyError(RuntimeError):
    """Another training run is still going; only one runs at a time."""


def training_command(recipe_path: Path, run_dir: Path) -> list[str]:
    """The exact command a run executes (shown in the UI before launch)."""
    return [sys.executable, "-m", "toolft", "train", str(recipe_path), "--run-dir", str(run_dir)]


def resume_command(run_dir: Path) -> list[str]:
    """The command that continues a run from its last checkpoint."""
    return [sys.executable, "-m", "toolft", "runs", "resume", str(run_dir)]


def resume_problem(run: RunFolder) -> str | None:
    """Why ``run`` cannot be resumed, or None when it can."""
    from toolft.runfolder import RESUMABLE_STATES

    state = run.read_status().get("state")
    if state not in RESUMABLE_STATES:
        return f"{run.name} is {state or 'not a run'}; only a failed, cancelled or interrupted run can be resumed"
    if not run.recipe_path.is_file() or not (run.data_dir / "train.jsonl").is_file():
        return f"{run.name} has no recipe.yaml or data/train.jsonl to resume with"
    if run.last_checkpoint() is None:
        return f"{run.name} has no complete checkpoint yet (it stopped before its first save)"
    return None


def run_slug(name: str) -> str:
    """The part of a run folder's name that comes from the recipe's name.

    >>> run_slug("my run/../x"), run_slug("  ")
    ('my-run-x', 'run')
    """
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name or "").strip("-")[:40] or "run"  # no dots or slashes: no traversal


def new_run_dir(name: str = "run") -> Path:
    """Create and return a fresh run folder ``<utc time>-<slug>[-n]`` (mkdir reserves the name)."""
    slug = run_slug(name)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    n = 1
    while True:
        path = runs_dir() / (f"{stamp}-{slug}" if n == 1 else f"{stamp}-{slug}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            n += 1


def list_runs() -> list[RunFolder]:
    """Every run folder under the home, newest first."""
    folders = [p for p in runs_dir().iterdir() if p.is_dir() and (p / "status.json").exists()]
    return [RunFolder(p) for p in sorted(folders, key=lambda p: p.name, reverse=True)]


class RunBusyError(RuntimeError):
    """The run is training now: it cannot be deleted."""


def find_run_dir(name_or_path: str | Path) -> RunFolder:
    """A run named by its folder (any path) or by its name under the home's ``runs/``.

    Raises ``FileNotFoundError`` naming it when it is not a run folder.
    """
    path = Path(name_or_path).expanduser()
    if not (path / "status.json").is_file():
        path = runs_dir() / str(name_or_path)
    if not (path / "status.json").is_file():
        raise FileNotFoundError(f"{name_or_path} is not a run folder (no status.json); "
                                f"`python -m toolft runs list` shows the runs")
    return RunFolder(path)


def _number(x) -> bool:
    """A finite int or float (not a bool, not NaN or inf): a loss worth showing."""
    import math

    return type(x) in (int, float) and math.isfinite(x)


def run_summary(run: RunFolder) -> dict:
    """One run in a few numbers: ``run``, ``run_dir``, ``state``, ``step``, ``total_steps``,
    ``train_loss`` (the last), ``eval_loss`` (the last) and ``best_eval_loss``; each may be
    ``None`` (a run that logged nothing yet). NaN losses are left out."""
    status = run.read_status()
    events = [e for e in run.read_metrics() if isinstance(e, dict)]
    train = [e["loss"] for e in events if e.get("event") == "train" and _number(e.get("loss"))]
    evals = [e["eval_loss"] for e in events if e.get("event") == "eval" and _number(e.get("eval_loss"))]
    return {"run": run.name, "run_dir": str(run.path), "state": status.get("state"), "step": status.get("step"),
            "total_steps": status.get("total_steps"), "train_loss": train[-1] if train else None,
            "eval_loss": evals[-1] if evals else None, "best_eval_loss": min(evals) if evals else None}


def compare_runs(a: RunFolder, b: RunFolder) -> dict:
    """Two runs side by side: each one's :func:`run_summary`, the recipe settings that differ
    (``recipe_diff``: ``[{"field", "a", "b"}]``, dotted YAML keys, compared as written so recipes of
    older versions compare too), ``recipe_problems`` (a recipe that cannot be read: then no diff)
    and both loss curves (``curves``: ``[[step, loss]...]``)."""
    import yaml

    def recipe_of(run: RunFolder) -> tuple[dict | None, str | None]:
        # the YAML as written, not re-validated: a recipe of an older toolft still compares key by key
        try:
            loaded = yaml.safe_load(run.recipe_path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            return None, f"run {run.name}'s recipe.yaml cannot be read ({type(exc).__name__})"
        if not isinstance(loaded, dict):
            return None, f"run {run.name}'s recipe.yaml is not a mapping"
        return flatten(loaded), None

    (ra, problem_a), (rb, problem_b) = recipe_of(a), recipe_of(b)
    problems = [p for p in (problem_a, problem_b) if p]
    diff = [] if problems else [
        {"field": key, "a": ra.get(key), "b": rb.get(key)}
        for key in sorted(set(ra) | set(rb)) if ra.get(key) != rb.get(key) and key != "name"]

    def curves(run: RunFolder) -> dict:
        events = [e for e in run.read_metrics() if isinstance(e, dict) and isinstance(e.get("step"), int)]
        return {"train_loss": [[e["step"], e["loss"]] for e in events
                               if e.get("event") == "train" and _number(e.get("loss"))],
                "eval_loss": [[e["step"], e["eval_loss"]] for e in events
                              if e.get("event") == "eval" and _number(e.get("eval_loss"))]}

    return {"a": run_summary(a), "b": run_summary(b), "recipe_diff": diff, "recipe_problems": problems,
            "curves": {"a": curves(a), "b": curves(b)}}


def delete_run(run: RunFolder, runner: "JobRunner | None" = None) -> None:
    """Delete a run folder under the home's ``runs/``, never a run that is training.

    Raises ``RunBusyError`` for the active run (``runner``'s, or any run whose trainer
    process is still alive, whatever its state says), ``ValueError`` for a folder outside
    ``runs/`` and ``OSError`` when the folder could not be removed (it may be partly gone).
    The check and the removal happen under ``runner``'s lock, so no launch or resume of that
    run can start in between.
    """
    import contextlib
    import shutil

    root, path = runs_dir().resolve(), run.path.resolve()
    if path.parent != root:
        raise ValueError(f"{run.path} is not a run folder under {root}; toolft deletes only its own runs")
    with runner._lock if runner is not None else contextlib.nullcontext():
        active = runner._active_locked() if runner is not None else None
        if (active is not None and active.path.resolve() == path) or _trainer_alive(run.read_status()):
            raise RunBusyError(f"run {run.name} is training; cancel it first")
        shutil.rmtree(path)


def process_start_time(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (``/proc``), or None if it is gone.

    A pid alone is not an identity: after a restart the number may belong to another
    process. Status files record this start time next to the pid.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the name in (...) may contain spaces
    if fields[0] == "Z":  # a zombie child of ours counts as gone
        return None
    return int(fields[19])


def _trainer_alive(status: dict) -> bool:
    """Is the process recorded in ``status`` (pid and its start time) still running?"""
    pid = status.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    started = process_start_time(pid)
    return started is not None and started == status.get("pid_started", started)


class JobRunner:
    """Starts, watches and cancels the single training subprocess."""

    def __init__(self):
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._run: RunFolder | None = None

    def active(self) -> RunFolder | None:
        """The run that is training now, if any (also one started before a server restart)."""
        with self._lock:
            return self._active_locked()

    def _active_locked(self) -> RunFolder | None:
        if self._proc is not None:
            if self._proc.poll() is None:
                return self._run
            self._finish_locked()
        for run in list_runs()[:20]:
            status = run.read_status()
            if status.get("state") not in ("queued", "running"):
                continue
            if _trainer_alive(status):
                return run
            # its trainer is gone without a final word (killed, or the server restarted)
            resumable = " It can be resumed from its last checkpoint." if run.last_checkpoint() else ""
            run.write_status(state="interrupted", error="interrupted: the trainer process is gone (killed, or the "
                                                        f"server restarted); see train.log.{resumable}")
        return None

    def _finish_locked(self) -> None:
        """Record the end of our child process; a child that died without saying why is marked failed."""
        proc, run = self._proc, self._run
        self._proc, self._run = None, None
        if proc is None or run is None:
            return
        status = run.read_status()
        if status.get("state") not in FINAL_STATES:
            if proc.returncode < 0:  # killed by a signal (kill -9, the OOM killer): it can resume
                name = signal.Signals(-proc.returncode).name if -proc.returncode in signal.valid_signals() else "?"
                resumable = " It can be resumed from its last checkpoint." if run.last_checkpoint() else ""
                run.write_status(state="interrupted", error=f"interrupted: the trainer was killed ({name}); "
                                                            f"see train.log.{resumable}")
                return
            last = next((line for line in reversed(run.tail_log(2000).splitlines()) if line.strip()), "")
            run.write_status(state="failed", error=f"trainer exited with code {proc.returncode}: "
                                                    f"{last.strip() or 'see train.log'}")

    def start(self, recipe: Recipe, name: str | None = None) -> RunFolder:
        """Write a new run folder for ``recipe`` and launch training; raise JobBusyError if busy."""
        with self._lock:
            self._refuse_if_busy_locked()
            run = RunFolder(new_run_dir(name or recipe.name))
            save_recipe(recipe, run.recipe_path)
            command = training_command(run.recipe_path, run.path)
            run.write_status(state="queued", command=command, created_at=time.time())
            return self._spawn_locked(run, command)

    def resume(self, run: RunFolder) -> RunFolder:
        """Continue ``run`` from its last checkpoint in a new trainer process.

        Raises JobBusyError if a job runs, ValueError if the run cannot be resumed.
        """
        with self._lock:
            self._refuse_if_busy_locked()
            problem = resume_problem(run)
            if problem:
                raise ValueError(problem)
            command = resume_command(run.path)
            run.write_status(command=command)  # the state stays until the trainer says "running"
            return self._spawn_locked(run, command)

    def _refuse_if_busy_locked(self) -> None:
        active = self._active_locked()
        if active is not None:
            raise JobBusyError(f"run {active.name} is in progress; cancel it or wait for it to finish")

    def _spawn_locked(self, run: RunFolder, command: list[str]) -> RunFolder:
        """Start ``command`` as the trainer of ``run`` (in its own session, output to train.log)."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        try:
            with run.log_path.open("ab") as log:
                proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=env, cwd=os.getcwd(), start_new_session=True)
        except OSError as exc:
            run.write_status(state="failed", error=f"could not start the trainer: {exc}")
            raise
        self._proc, self._run = proc, run
        run.write_status(pid=proc.pid, pid_started=process_start_time(proc.pid))
        return run

    def cancel(self, timeout: float = 30.0) -> RunFolder | None:
        """Ask the running trainer to stop (SIGTERM), wait, then kill; return the cancelled run."""
        with self._lock:
            run = self._active_locked()
            if run is None:
                return None
            own = self._proc if self._run is not None and self._run.path == run.path else None
        status = run.read_status()
        pid = own.pid if own is not None else status.get("pid")

        def alive() -> bool:
            return own.poll() is None if own is not None else _trainer_alive(status)

        try:
            os.kill(pid, signal.SIGTERM)  # the trainer stops after its current step
            deadline = time.time() + timeout
            while time.time() < deadline and alive():
                time.sleep(0.2)
            if alive():
                os.killpg(pid, signal.SIGKILL)  # its own session: the trainer and nothing else
        except ProcessLookupError:
            pass  # it ended in the meantime
        if own is not None:
            own.wait(10)
        if run.read_status().get("state") != "completed":
            run.write_status(state="cancelled", finished_at=time.time())
        with self._lock:
            if own is not None and self._proc is own:  # a newer job may have started meanwhile
                self._proc, self._run = None, None
        return run


RUNNER = JobRunner()
