"""Generation for scoring and the playground, and the one loaded model the app shares.

* :func:`generate_batch` answers many prompts at once (left padding, prompts sorted by
  length so a batch holds similar lengths): the Evaluate tab and ``toolft eval``.
* :func:`stream_answer` streams one answer as it is generated: the playground.
* :class:`ModelSlot` holds the one model the app keeps loaded (a run's base model with
  its LoRA adapter). Visitors take turns in arrival order and can be told their place in
  line; releasing the model (before training starts) never waits for a turn to end.

The base model's answers come from the same loaded weights with the adapter switched off
(PEFT's ``model.disable_adapter()``), so base and fine-tuned see the identical prompt,
template and decoding settings.
"""

from __future__ import annotations

import threading
from collections import deque
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Iterator

DEFAULT_MAX_NEW_TOKENS = 160  # tokens; the longest sample answer (three parallel calls) takes about 110


@dataclass(frozen=True)
class Sampling:
    """Decoding settings: ``temperature`` 0 means greedy (deterministic); ``top_p`` in (0, 1].

    ``enable_thinking`` is passed to the chat template (Qwen3 templates read it; others ignore it).
    ``max_seconds``: stop an answer after this many seconds of generation (transformers'
    ``max_time``), so one visitor cannot hold the shared model; ``None``: no limit.
    """

    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.0
    top_p: float = 1.0
    enable_thinking: bool = False
    max_seconds: float | None = None

    def generate_kwargs(self, tokenizer) -> dict:
        kwargs = {"max_new_tokens": self.max_new_tokens, "pad_token_id": tokenizer.pad_token_id,
                  "eos_token_id": tokenizer.eos_token_id}
        if self.max_seconds:
            kwargs["max_time"] = float(self.max_seconds)
        if self.temperature > 0:
            return {**kwargs, "do_sample": True, "temperature": self.temperature, "top_p": self.top_p}
        return {**kwargs, "do_sample": False, "temperature": None, "top_p": None, "top_k": None}


def render_prompt(tokenizer, messages: list[dict], tools: list[dict] | None, enable_thinking: bool = False) -> str:
    """The prompt text the model continues: the chat template with the generation prompt added."""
    from toolft.data.render import template_messages

    return tokenizer.apply_chat_template(template_messages({"messages": messages}), tools=tools or None,
                                         add_generation_prompt=True, tokenize=False, enable_thinking=enable_thinking)


def _adapter(model, use_adapter: bool):
    """A context where ``model`` answers as the base (adapter off) or as itself."""
    return model.disable_adapter() if not use_adapter and hasattr(model, "disable_adapter") else nullcontext()


def generate_batch(model, tokenizer, prompts: list[tuple[list[dict], list[dict] | None]], *,
                   use_adapter: bool = True, sampling: Sampling = Sampling(), batch_size: int = 16,
                   progress=None) -> list[str]:
    """Answer every ``(messages, tools)`` prompt; returns the raw texts in the prompts' order.

    Prompts are sorted by length and generated ``batch_size`` at a time with left padding
    (a decoder continues from the right edge, so padding must go left). The raw text keeps
    markup such as ``<tool_call>``; only special tokens like ``<|im_end|>`` are dropped.
    ``progress(done, total)`` is called after each batch. bench/generation.py measures the
    speed-up over one prompt at a time.
    """
    import torch

    if not prompts:
        return []
    texts = [render_prompt(tokenizer, messages, tools, sampling.enable_thinking) for messages, tools in prompts]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    answers: list[str] = [""] * len(texts)
    device = next(model.parameters()).device
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        encoded = tokenizer([texts[i] for i in batch], add_special_tokens=False, padding=True,
                            padding_side="left", return_tensors="pt").to(device)
        with torch.no_grad(), _adapter(model, use_adapter):
            output = model.generate(**encoded, **sampling.generate_kwargs(tokenizer))
        for row, i in enumerate(batch):
            answers[i] = tokenizer.decode(output[row, encoded["input_ids"].shape[1]:], skip_special_tokens=True).strip()
        if progress:
            progress(min(start + batch_size, len(order)), len(order))
    return answers


class ContextTooLong(ValueError):
    """The prompt and the new tokens asked for do not fit the model's context; the message says by how much."""


def stream_answer(model, tokenizer, messages: list[dict], tools: list[dict] | None, *, use_adapter: bool = True,
                  sampling: Sampling = Sampling()) -> Iterator[str]:
    """Yield the answer so far, each time new text is generated (the last value is the whole answer).

    Raises:
        ContextTooLong: the rendered prompt plus ``sampling.max_new_tokens`` passes the model's
            ``max_position_embeddings`` (past it a model writes garbage, slowly).
    """
    import torch
    from transformers import TextIteratorStreamer

    from transformers import StoppingCriteria, StoppingCriteriaList

    text = render_prompt(tokenizer, messages, tools, sampling.enable_thinking)
    encoded = tokenizer(text, add_special_tokens=False, return_tensors="pt").to(next(model.parameters()).device)
    context = getattr(model.config, "max_position_embeddings", None)
    prompt_tokens = encoded["input_ids"].shape[1]
    if context and prompt_tokens + sampling.max_new_tokens > context:
        raise ContextTooLong(f"the conversation is {prompt_tokens:,} tokens; with {sampling.max_new_tokens} new "
                             f"tokens that passes this model's context of {context:,} tokens. Press Clear, or "
                             "shorten the message, the system prompt or the tools")
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600)
    failure: list[BaseException] = []
    stop = threading.Event()

    class StopWhenAsked(StoppingCriteria):
        """Ends generation at the next token once the caller stops reading (a visitor pressed Stop or left)."""

        def __call__(self, input_ids, scores, **kwargs):
            return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool, device=input_ids.device)

    def run() -> None:
        try:
            with torch.no_grad(), _adapter(model, use_adapter):
                model.generate(**encoded, streamer=streamer, stopping_criteria=StoppingCriteriaList([StopWhenAsked()]),
                               **sampling.generate_kwargs(tokenizer))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
            failure.append(exc)
            streamer.end()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    answer = ""
    try:
        for piece in streamer:
            answer += piece
            yield answer.strip()
    finally:
        # also when the caller closes this generator early: the model must be idle when the turn ends,
        # or the next visitor would generate on it (and toggle its adapter) at the same time
        stop.set()
        worker.join()
    if failure:
        raise failure[0]
    yield answer.strip()


class ModelSlot:
    """The one model the app keeps loaded, and the line of visitors waiting to use it.

    Usage (a Gradio generator handler)::

        ticket = SLOT.join()
        try:
            while not SLOT.my_turn(ticket, wait=1.0):
                yield f"busy: you are number {SLOT.position(ticket)} in line"
            model, tokenizer = SLOT.load(key, loader)
            ...
        finally:
            SLOT.leave(ticket)

    Turns are first come, first served. :meth:`release` drops the model at once, even
    during a turn (the turn keeps its own reference until it ends), so starting a training
    job never waits for a generation.
    """

    def __init__(self) -> None:
        self._line: deque[object] = deque()
        self._changed = threading.Condition()
        self._model_lock = threading.Lock()
        self._key = None
        self._loaded: tuple | None = None
        self._generation = 0  # bumped by release(): a load that started before it is not kept

    def join(self) -> object:
        """Queue up; returns the ticket to pass to the other methods."""
        ticket = object()
        with self._changed:
            self._line.append(ticket)
        return ticket

    def position(self, ticket) -> int:
        """1 when it is this ticket's turn, 2 for the next one...; 0 when the ticket has left."""
        with self._changed:
            return self._line.index(ticket) + 1 if ticket in self._line else 0

    def my_turn(self, ticket, wait: float = 0.0) -> bool:
        """True when ``ticket`` is first in line, waiting up to ``wait`` seconds for it."""
        with self._changed:
            return self._changed.wait_for(lambda: bool(self._line) and self._line[0] is ticket, timeout=wait)

    def leave(self, ticket) -> None:
        """Leave the line (whether or not the turn came); the next visitor's turn starts."""
        with self._changed:
            if ticket in self._line:
                self._line.remove(ticket)
            self._changed.notify_all()

    def waiting(self) -> int:
        """Visitors in line, the one whose turn it is included."""
        with self._changed:
            return len(self._line)

    def load(self, key, loader) -> tuple:
        """The loaded ``(model, tokenizer)`` for ``key``, calling ``loader()`` when another (or none) is loaded.

        Call during your turn. The previous model stays until the next one has loaded (a name
        that fails to load evicts nothing); a :meth:`release` during the load wins: the new
        model is handed to this caller but not kept.
        """
        with self._model_lock:
            if self._key == key and self._loaded is not None:
                return self._loaded
            generation = self._generation
        loaded = loader()
        with self._model_lock:
            if generation == self._generation:
                self._key, self._loaded = key, loaded
        return loaded

    def loaded_key(self):
        with self._model_lock:
            return self._key

    def release(self) -> None:
        """Drop the loaded model now (and free GPU memory not in use); never waits for a turn."""
        import sys

        with self._model_lock:
            self._key, self._loaded = None, None
            self._generation += 1
        torch = sys.modules.get("torch")  # only if a model was ever loaded in this process
        if torch is not None and torch.cuda.is_available():
            torch.cuda.empty_cache()
