"""Assemble and upload the Hugging Face Space: ``python -m toolft space build OUT`` / ``space deploy REPO``.

A Space is a Git repository whose root holds the card (``README.md`` with YAML front matter:
``sdk: gradio``, ``sdk_version``, ``app_file``, ``hf_oauth``...), the app and its
``requirements.txt``. :func:`build_space` copies exactly that out of a toolft checkout:

* ``README.md``: ``space/card.md`` (``sdk_version`` must be the gradio version toolft is built
  and tested with, :func:`card_problems` checks it);
* ``app.py`` and the ``toolft/`` package (no caches);
* ``requirements.txt``: toolft's, with ``gradio[oauth]`` (the login button needs it).

:func:`deploy_space` creates the Space repository if needed and uploads the folder with
``huggingface_hub`` (the token comes from ``HF_TOKEN`` or the cached login; it is never printed).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CARD = REPO_ROOT / "space" / "card.md"
REQUIRED_CARD_KEYS = ("title", "emoji", "sdk", "sdk_version", "app_file", "suggested_hardware", "hf_oauth",
                      "license", "short_description")


def read_card(path: Path = CARD) -> tuple[dict, str]:
    """``(front matter as a dict, body)`` of a Space card. Raises ``ValueError`` when it has no front matter."""
    import yaml

    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n?(.*)", text, re.S)
    if not match:
        raise ValueError(f"{path} has no YAML front matter between '---' lines")
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: the front matter is not a mapping")
    return meta, match.group(2)


def card_problems(meta: dict) -> list[str]:
    """What is wrong with a card's front matter for toolft's Space (empty when nothing)."""
    import gradio

    problems = [f"missing {key}" for key in REQUIRED_CARD_KEYS if key not in meta]
    if meta.get("sdk") != "gradio":
        problems.append(f"sdk must be gradio, not {meta.get('sdk')!r}")
    if str(meta.get("sdk_version")) != gradio.__version__:
        problems.append(f"sdk_version {meta.get('sdk_version')} is not the gradio toolft runs with "
                        f"({gradio.__version__})")
    if meta.get("app_file") != "app.py":
        problems.append("app_file must be app.py")
    if meta.get("hf_oauth") is not True:
        problems.append("hf_oauth must be true: only the owner may train, and visitors log in to prove it")
    return problems


def space_requirements(path: Path = REPO_ROOT / "requirements.txt") -> str:
    """toolft's requirements with gradio's OAuth extra (``gr.LoginButton`` needs it)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = re.match(r"\s*([A-Za-z0-9_.-]+)", line)
        if name and name.group(1).lower() == "gradio":
            line = re.sub(r"^(\s*)gradio(\[[^\]]*\])?", r"\1gradio[oauth]", line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def build_space(out: str | Path, card: Path = CARD) -> Path:
    """Write a ready Space folder to ``out`` (created; it must be empty or absent) and return it.

    Raises ``ValueError`` when ``out`` is a non-empty folder or the card has problems
    (:func:`card_problems`), ``FileNotFoundError`` outside a toolft checkout (no ``app.py``).
    """
    from toolft.home import new_folder

    out = new_folder(out)
    if not (REPO_ROOT / "app.py").is_file():
        raise FileNotFoundError(f"{REPO_ROOT / 'app.py'} not found: build the Space from a toolft checkout")
    meta, _ = read_card(card)
    problems = card_problems(meta)
    if problems:
        raise ValueError(f"{card}: " + "; ".join(problems))
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(card, out / "README.md")
    shutil.copyfile(REPO_ROOT / "app.py", out / "app.py")
    shutil.copytree(REPO_ROOT / "toolft", out / "toolft",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    (out / "requirements.txt").write_text(space_requirements(), encoding="utf-8")
    return out


def deploy_space(folder: str | Path, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Create the Space ``repo_id`` (if needed) and upload ``folder`` to it; return the Space's URL.

    Uses ``huggingface_hub`` (its endpoint setting, ``HF_ENDPOINT``, is honoured) through
    :func:`toolft.hub_push.push_folder`. Errors from the Hub are raised as ``RuntimeError``
    (``PushError``) with the token removed from their text.
    """
    from toolft.hub_push import push_folder

    return push_folder(folder, repo_id, private=private, token=token, message="toolft: deploy the Space",
                       repo_type="space", action="deploying")
