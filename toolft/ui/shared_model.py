"""The one model the app keeps loaded, shared by the Playground and Evaluate tabs.

A model takes seconds to minutes to load and a T4 holds one comfortably, so the app keeps
ONE (:data:`SLOT`): a run's base model with its LoRA adapter, or an adapter from the Hub.
Visitors take turns in arrival order (:class:`toolft.inference.ModelSlot`); a handler that
has to wait yields its place in line instead of blocking silently. Starting a training job
releases the model without waiting (``release_model``), so Launch never waits on a
generation.
"""

from __future__ import annotations

from pathlib import Path

from toolft.inference import ModelSlot

SLOT = ModelSlot()


def model_key(source) -> tuple:
    """What identifies a loaded model: a run folder (with its adapter's time) or an adapter source string."""
    from toolft.runfolder import RunFolder

    if isinstance(source, RunFolder):
        return ("run", str(source.path), (source.adapter_path / "adapter_config.json").stat().st_mtime)
    folder = Path(str(source)).expanduser()
    marker = folder / "adapter_config.json"
    return ("adapter", str(source), marker.stat().st_mtime if marker.is_file() else None)


class ModelUnavailable(RuntimeError):
    """The model cannot be loaded now or from there; the message says why (shown to the visitor)."""


def is_hub_id(text: str) -> bool:
    """``owner/name`` with no path markers: the adapter box reads it as a Hub repo id, never a folder.

    >>> is_hub_id("ada/tools-lora"), is_hub_id("./ada/x"), is_hub_id("/data/runs/x/adapter")
    (True, False, False)
    """
    return not (text.startswith(("/", ".", "~")) or "\\" in text or text.count("/") != 1)


def check_adapter_source(source: str) -> None:
    """An adapter typed by a visitor: a Hub repo id, or a folder inside the toolft home (runs, uploads).

    Raises ModelUnavailable for any other server path, so the box cannot probe the server's files.
    """
    from toolft.home import toolft_home

    text = source.strip()
    if is_hub_id(text):
        return  # "owner/name": a Hub repo id
    home = toolft_home().resolve()
    if home not in Path(text).expanduser().resolve().parents:
        raise ModelUnavailable("an adapter folder must be inside the toolft home ($TOOLFT_HOME, e.g. a run's "
                               "adapter/ folder); other server paths are not allowed. A Hub repo id (owner/name) "
                               "works too.")


def _training_on_gpu() -> bool:
    from toolft.modeling import has_cuda_gpu
    from toolft.runs import RUNNER

    return has_cuda_gpu() and RUNNER.active() is not None


def load(source, token: str | bool | None = None) -> tuple:
    """``(model, tokenizer)`` for a run or an adapter source; call during your turn (see :func:`wait_turn`).

    ``token``: the Hub token to read an adapter id with (``toolft.access.hub_read_token``); a
    model loaded with one identity is never handed to another (it is part of the model's key).

    Raises ModelUnavailable while a training job holds the GPU (loading a model next to it
    could run the trainer out of memory), or for an adapter path outside the toolft home.
    """
    from toolft.modeling import load_adapter, load_finetuned
    from toolft.runfolder import RunFolder

    if _training_on_gpu():
        raise ModelUnavailable("a training job is using the GPU; try again when it has finished (or cancel it)")
    if not isinstance(source, RunFolder):
        check_adapter_source(str(source))

    if isinstance(source, RunFolder):
        return SLOT.load(model_key(source), lambda: load_finetuned(source.path))
    text = str(source).strip()
    key = model_key(text) + (_identity(token),)
    return SLOT.load(key, lambda: load_adapter(text, token=token, local=not is_hub_id(text)))


def _identity(token: str | bool | None) -> str:
    """Who read the model from the Hub, for its key (a token is hashed, never kept in clear)."""
    import hashlib

    if token is None or token is False:
        return "this machine" if token is None else "anonymous"
    return hashlib.sha256(str(token).encode()).hexdigest()[:16]


def wait_turn(ticket, what: str = "the model"):
    """Yield a line saying the visitor's place while ``ticket`` waits; returns once it is its turn."""
    while not SLOT.my_turn(ticket, wait=1.0):
        ahead = SLOT.position(ticket) - 1
        yield f"⏳ {what} is busy: {ahead} request{'s' if ahead != 1 else ''} ahead of yours."


def release_model() -> None:
    """Drop the loaded model now (before a training job starts); never waits for a generation to end."""
    SLOT.release()
