"""Where toolft keeps its files: built models, uploads and run folders.

``TOOLFT_HOME`` wins when set. On a Hugging Face Space with a storage bucket
mounted at ``/data`` we use ``/data/toolft`` so runs survive restarts; anywhere
else a local ``.toolft`` folder in the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path


def toolft_home() -> Path:
    """Return the home folder, creating it if needed.

    >>> import os; os.environ["TOOLFT_HOME"] = "/tmp/th"; str(toolft_home())
    '/tmp/th'
    """
    env = os.environ.get("TOOLFT_HOME")
    if env:
        home = Path(env)
    elif Path("/data").is_dir() and os.access("/data", os.W_OK):
        home = Path("/data/toolft")
    else:
        home = Path.cwd() / ".toolft"
    home.mkdir(parents=True, exist_ok=True)
    return home


def new_folder(path: str | Path) -> Path:
    """``path`` as a folder to write into, when it is absent or empty; raises ``ValueError`` otherwise
    (nothing already there is ever overwritten)."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ValueError(f"{path} is not an empty folder; give a new one (nothing there is overwritten)")
    return path


def models_dir() -> Path:
    """Built models (tiny-qwen3). ``TOOLFT_MODELS_DIR`` can point elsewhere, e.g. a cache shared by tests."""
    env = os.environ.get("TOOLFT_MODELS_DIR")
    path = Path(env) if env else toolft_home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir() -> Path:
    path = toolft_home() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path
