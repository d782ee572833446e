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


def run_cli(*args, env=None, timeout=900):
    """Run ``python -m toolft ARGS`` in a real subprocess; return the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "toolft", *map(str, args)], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=timeout)
