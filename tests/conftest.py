"""Shared fixtures: offline, CPU, one tiny-qwen3 build shared by the whole session.

Every test gets its own ``TOOLFT_HOME`` (a temporary folder) so runs and uploads
never leak between tests; built models live in ``TOOLFT_MODELS_DIR``, a cache in
the repository (``.toolft/models``, git-ignored, the same folder the app uses when started from the repository) so tiny-qwen3 is built once
per machine, not once per test.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOOLFT_MODELS_DIR", str(REPO / ".toolft" / "models"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def tiny_model_path():
    """The built tiny-qwen3 folder (built on first use, ~2-3 minutes on 2 cores)."""
    from toolft.tiny import ensure_tiny_model

    return ensure_tiny_model()


def cli(*args):
    """Run the CLI in this process (``main([...])``), returning what ``run_cli`` returns: returncode,
    stdout, stderr. For checks of output and exit codes; ``run_cli`` where a real process matters."""
    import io
    from contextlib import redirect_stderr, redirect_stdout
    from types import SimpleNamespace

    from toolft.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def run_cli(*args, env=None, timeout=900):
    """Run ``python -m toolft ARGS`` in a real subprocess; return the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "toolft", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=timeout)


TRL_TEMPLATES = ("qwen2_5", "qwen3", "qwen3_5_nothink", "llama3_2", "gemma4")


@pytest.fixture(scope="session")
def template_model(tmp_path_factory):
    """``template_model(name)`` → a local model folder in the Hub layout: tiny-qwen3's tokenizer with one
    of the real chat templates TRL ships (``trl/chat_templates/NAME.jinja``) and a tiny random-weight Qwen3."""
    import trl

    from toolft.modeling import load_tokenizer

    made = {}

    def make(name: str) -> Path:
        if name not in made:
            from transformers import AutoModelForCausalLM, Qwen3Config

            folder = tmp_path_factory.mktemp(f"model-{name}")
            tok = load_tokenizer("tiny-qwen3")
            tok.chat_template = (Path(trl.__file__).parent / "chat_templates" / f"{name}.jinja").read_text()
            tok.save_pretrained(folder)
            config = Qwen3Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                                 max_position_embeddings=4096, tie_word_embeddings=True)
            AutoModelForCausalLM.from_config(config).save_pretrained(folder)
            made[name] = folder
        return made[name]

    return make


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A running fake Hub serving ``acme/tools`` (see tests/data/test_hub.py), the client pointed at it."""
    from tests.data import test_hub

    yield from test_hub.hub.__wrapped__(tmp_path, monkeypatch)


def write_adapter_run(run_dir: Path):
    """A finished run folder with a random (non-zero) LoRA adapter on tiny-qwen3: no training, seconds.

    alpha/r = 16 scales the random adapter up so it always changes the answers."""
    import torch
    from peft import LoraConfig, get_peft_model

    from toolft.modeling import load_base_model, load_tokenizer
    from toolft.recipe import load_recipe, save_recipe
    from toolft.runfolder import RunFolder

    run = RunFolder(run_dir)
    run.write_status(state="completed")
    save_recipe(load_recipe("tiny-cpu"), run.recipe_path)
    torch.manual_seed(0)
    model = get_peft_model(load_base_model("tiny-qwen3", "float32"),
                           LoraConfig(r=4, lora_alpha=64, target_modules="all-linear", task_type="CAUSAL_LM",
                                      init_lora_weights=False))
    model.save_pretrained(str(run.adapter_path))
    load_tokenizer("tiny-qwen3").save_pretrained(str(run.adapter_path))
    return run


@pytest.fixture(scope="session")
def adapter_run(tmp_path_factory, tiny_model_path):
    """A shared random-adapter run folder (see :func:`write_adapter_run`) with held-out rows in data/eval.jsonl."""
    from toolft.data.files import write_jsonl
    from toolft.data.sample import generate_sample

    run = write_adapter_run(tmp_path_factory.mktemp("adapter") / "run")
    run.data_dir.mkdir(parents=True, exist_ok=True)
    write_jsonl(generate_sample(12, seed=987654, pools="heldout"), run.data_dir / "eval.jsonl")
    return run


def write_taught_run(run_dir: Path, rows: list[dict], steps: int = 60):
    """A finished run folder whose LoRA adapter was really trained (plain PEFT, seconds) until it answers
    ``rows`` as written: a fine-tuned side that calls a tool on cue, for end-to-end UI tests.

    The labels are the trainer's (:func:`toolft.data.render.tokenize_row`: assistant tokens only)."""
    import torch
    from peft import LoraConfig, get_peft_model

    from toolft.data.render import tokenize_row
    from toolft.modeling import load_base_model, load_tokenizer
    from toolft.recipe import load_recipe, save_recipe
    from toolft.runfolder import RunFolder

    run = RunFolder(run_dir)
    run.write_status(state="completed")
    save_recipe(load_recipe("tiny-cpu"), run.recipe_path)
    tokenizer = load_tokenizer("tiny-qwen3")
    torch.manual_seed(0)
    model = get_peft_model(load_base_model("tiny-qwen3", "float32"),
                           LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM"))
    batches = [{k: torch.tensor([v]) for k, v in tokenize_row(tokenizer, row).items()} for row in rows]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    model.train()
    for step in range(steps):
        loss = model(**batches[step % len(batches)]).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    model.save_pretrained(str(run.adapter_path))
    tokenizer.save_pretrained(str(run.adapter_path))
    return run


def gradio_request(session: dict | None = None, session_hash: str = "abc"):
    """A real ``gr.Request`` around a real Starlette request, as Gradio hands one to a handler. ``session``:
    what Starlette's SessionMiddleware (installed by Gradio's OAuth) read from the cookie; ``None``: no
    middleware (an app without ``hf_oauth``)."""
    import gradio as gr
    from starlette.requests import Request

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    if session is not None:
        scope["session"] = session
    return gr.Request(Request(scope), session_hash=session_hash)


def logged_in(username: str, token: str, expires_in: float = 600) -> dict:
    """The session of a visitor logged in with Hugging Face, as Gradio's ``/login/callback`` stores it."""
    import time

    return {"oauth_info": {"userinfo": {"preferred_username": username}, "access_token": token,
                           "expires_at": int(time.time() + expires_in)}}
