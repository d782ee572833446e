"""Helpers shared by the tabs: upload copies, recipe checking, run lookup, small formatting.

Everything here works on plain values and never imports gradio, so the tab
handlers that use it stay testable without a browser.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from toolft.uploads import upload_folder, uploads_dir
from toolft.recipe import FieldError, Recipe, RecipeError, recipe_from_dict
from toolft.runfolder import RunFolder


def safe_upload_name(name: str) -> str:
    """The file name an upload copy gets: its last path part, word characters, dots, dashes and spaces
    only, no leading dot (no ``..``, no separators, no hidden file); ``upload`` when nothing is left."""
    name = re.sub(r"[^\w.\- ]+", "_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return name or "upload"


def store_upload(path: str | Path) -> Path:
    """Copy an uploaded file to ``toolft_home()/uploads/<uuid>/<original name>`` and return the copy.

    The app only ever reads and trains on the copy, so the visitor's file (and
    Gradio's temporary one) is never modified.

    Example (needs a real upload)::

        store_upload("/tmp/gradio/abc/train.jsonl")
        # PosixPath('.toolft/uploads/3f2c.../train.jsonl')
    """
    source = Path(path)
    target = uploads_dir() / uuid.uuid4().hex / safe_upload_name(source.name)
    target.parent.mkdir(parents=True)
    shutil.copyfile(source, target)
    return target


def whole_number(value) -> int | None:
    """``value`` as an int when it is a finite whole number (``3``, ``3.0``), else ``None`` (a number box sent
    through the API may hold NaN, infinity, a bool or text).

    >>> whole_number(3.0), whole_number(float("inf")), whole_number(float("nan")), whole_number(2.5)
    (3, None, None, None)
    """
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        return None
    return int(value)


SERVED_DIR_NAME = "toolft-served"  # under the system temp folder, where Gradio may serve files from
SERVED_KEEP_S = 3600  # a served copy only has to live until Gradio has copied it into its cache


def served_copy(path: str | Path | None) -> str | None:
    """A copy of ``path`` that a ``gr.File`` output may return, or ``None`` when there is no file.

    Gradio serves only files under the working folder and the system temp folder; the toolft
    home may lie elsewhere (``/data/toolft`` on a Space with a storage volume), where returning
    the file itself fails (``InvalidPathError``). Adding the home to ``allowed_paths`` would
    serve every upload to anyone who learnt its path, so a copy goes to
    ``<tmp>/toolft-served/<uuid>/``; copies older than an hour are deleted on the next call.
    """
    import tempfile
    import time

    if not path or not Path(path).is_file():
        return None
    root = Path(tempfile.gettempdir()) / SERVED_DIR_NAME
    root.mkdir(exist_ok=True)
    for old in root.iterdir():
        try:
            if old.stat().st_mtime < time.time() - SERVED_KEEP_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass
    target = root / uuid.uuid4().hex / Path(path).name
    target.parent.mkdir()
    shutil.copyfile(path, target)
    return str(target)


def drop_gradio_copy(path: str | Path | None) -> None:
    """Delete Gradio's temporary copy of an uploaded file once toolft holds its own (a visitor's data is
    kept once, in the session's upload folder). Only a file inside Gradio's upload folder is touched."""
    from gradio.utils import get_upload_folder

    if not path:
        return
    try:
        target = Path(path).resolve()
        if target.is_relative_to(Path(get_upload_folder()).resolve()) and target.is_file():
            target.unlink()
    except OSError:
        pass


def check_recipe(values: dict) -> tuple[Recipe | None, list[FieldError]]:
    """Build and validate a recipe from nested dicts: ``(recipe or None, problems)``.

    A leaf left empty in the UI (``None``) is reported as "a value is required",
    and the other fields are still checked (against the default in its place), so
    the visitor sees every problem at once. The recipe is None when it cannot be
    built or a value is missing; otherwise it is returned even with problems.

    >>> recipe, problems = check_recipe({"lora": {"r": 0}})
    >>> [str(p) for p in problems]
    ['lora.r: must be at least 1 (got 0)']
    """
    defaults, filled, missing = Recipe().to_dict(), {}, []
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            filled[key] = dict(value)
            for sub, v in value.items():
                if v is None:
                    missing.append(FieldError(f"{key}.{sub}", "a value is required"))
                    filled[key][sub] = (defaults.get(key) or {}).get(sub)
        elif value is None:
            missing.append(FieldError(key, "a value is required"))
            filled[key] = defaults.get(key)
        else:
            filled[key] = value
    try:
        recipe = recipe_from_dict(filled)
    except RecipeError as exc:
        return None, missing + exc.errors
    problems = missing + recipe.validate() + _data_source_problems(recipe)
    return (None if missing else recipe), problems


def _data_source_problems(recipe: Recipe) -> list[FieldError]:
    """In the app, training data is the bundled sample or an upload copy, never another server path.

    A visitor's recipe (typed, uploaded as YAML or sent through the API) could
    otherwise point ``data.train_file`` at any file the server can read, including
    another visitor's upload folder name guessed from a log.
    """
    source = recipe.data.train_file.strip()
    if source == "sample":
        return []
    if upload_folder(source) is not None:
        return []
    return [FieldError("data.train_file", "in the app, pick the data in the Data tab (an upload or the bundled "
                                          "sample); other server paths are not allowed")]


def problems_markdown(problems: list[FieldError], heading: str = "Fix these settings:") -> str:
    """One "field: message" line per problem, as markdown (warnings marked ⚠)."""
    return f"**{heading}**\n\n" + "\n".join(
        f"- {'⚠ ' if p.severity == 'warning' else ''}{_where(p.field)}: {md_literal(p.message)}" for p in problems)


def _where(field: str) -> str:
    """A recipe field as the Recipe tab labels it, with its YAML key: ``**LoRA rank** (`lora.r`)``."""
    from toolft.ui.recipe_tab import LABELS

    if not field:
        return "`recipe`"
    return f"**{LABELS[field]}** (`{field}`)" if field in LABELS else f"`{field}`"


def warning_lines(warnings: list[FieldError]) -> str:
    """Warnings that do not stop a launch, one markdown line each."""
    return "\n".join(f"- ⚠ {_where(w.field)}: {md_literal(w.message)}" for w in warnings)


def find_run(name: str | None, need_adapter: bool = False) -> RunFolder | None:
    """The run folder called ``name`` under the home, or None (never a path outside it)."""
    from toolft.runs import list_runs

    if not name:
        return None
    for run in list_runs():
        if run.name == name and (run.has_adapter() or not need_adapter):
            return run
    return None


def duration(seconds: float | None) -> str:
    """Human-readable duration: ``duration(75) == '1m 15s'``."""
    if seconds is None or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def md_literal(text: str) -> str:
    """``text`` shown literally in markdown (a file name such as ``**x**.jsonl``, ``<img ...>``, model output).

    >>> print(md_literal("<b>*hi*</b>"))
    &lt;b&gt;\\*hi\\*&lt;/b&gt;
    """
    import html

    return html.escape(text, quote=False).translate({ord(c): f"\\{c}" for c in "\\`*_[]~"})
