"""Who may do what: on a Hugging Face Space only its owner trains; off a Space, the local user does everything.

A public Space lends its GPU to every visitor, so the actions that spend it or change what
the owner keeps (:data:`OWNER_ACTIONS`: train, cancel, resume, delete, push) are reserved:

* off a Space (no ``SPACE_ID``): everyone, which is the person at the keyboard;
* ``TOOLFT_OPEN_TRAINING=1`` (a duplicated private Space): everyone;
* on a Space: a visitor logged in with Hugging Face whose username is the Space's owner
  (``SPACE_AUTHOR_NAME``, set by Spaces) or is listed in ``TOOLFT_ADMINS`` (comma- or
  space-separated usernames). Anonymous visitors and everyone else are refused, with the
  reason and a link to duplicate the Space.

Everything else (the Data tab, the planner, the Playground, the Evaluate tab) is open to
all. The app's handlers call :func:`require` themselves, so a direct call of the HTTP API
is refused exactly like a click. Usernames compare case-insensitively, as Hub usernames do.

>>> decide("train", None, env={}).allowed                       # not a Space: the local user
True
>>> d = decide("train", None, env={"SPACE_ID": "ada/toolft", "SPACE_AUTHOR_NAME": "ada"})
>>> d.allowed, d.reason.split(".")[0]
(False, 'Training on this Space is for its owner, ada')
>>> decide("cancel", "Ada", env={"SPACE_ID": "ada/toolft", "SPACE_AUTHOR_NAME": "ada"}).allowed
True
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping

OWNER_ACTIONS = ("train", "cancel", "resume", "delete", "push")
ACTION_WORDS = {"train": "Training", "cancel": "Cancelling a run", "resume": "Resuming a run",
                "delete": "Deleting a run", "push": "Pushing to the Hub"}


class AccessDenied(PermissionError):
    """Raised by :func:`require`; its message says why and what the visitor can do instead."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # empty when allowed


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def on_space(env: Mapping[str, str] | None = None) -> bool:
    """True when running on a Hugging Face Space (Spaces set ``SPACE_ID``)."""
    return bool(_env(env).get("SPACE_ID"))


def owners(env: Mapping[str, str] | None = None) -> set[str]:
    """The usernames that may train on this Space, lower-cased: its author and ``TOOLFT_ADMINS``."""
    e = _env(env)
    names = {e.get("SPACE_AUTHOR_NAME", "")} | set(re.split(r"[,\s]+", e.get("TOOLFT_ADMINS", "")))
    return {name.strip().lower() for name in names if name.strip()}


def open_training(env: Mapping[str, str] | None = None) -> bool:
    """``TOOLFT_OPEN_TRAINING=1``: everyone may train (a duplicated private Space)."""
    return _env(env).get("TOOLFT_OPEN_TRAINING", "").strip().lower() in ("1", "true", "yes")


def duplicate_url(env: Mapping[str, str] | None = None) -> str | None:
    """The Space's "Duplicate this Space" link, or ``None`` off a Space."""
    space = _env(env).get("SPACE_ID")
    return f"https://huggingface.co/spaces/{space}?duplicate=true" if space else None


def decide(action: str, username: str | None, env: Mapping[str, str] | None = None) -> Decision:
    """May ``username`` (``None``: not logged in) do ``action`` here? See the module docstring.

    Raises ``ValueError`` for an action that is not in :data:`OWNER_ACTIONS`.
    """
    if action not in OWNER_ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(OWNER_ACTIONS)}")
    if not on_space(env) or open_training(env):
        return Decision(True, "")
    allowed = owners(env)
    if username and username.strip().lower() in allowed:
        return Decision(True, "")
    e = _env(env)
    owner = e.get("SPACE_AUTHOR_NAME") or "its owner"
    what = ACTION_WORDS[action]
    who = (f"You are logged in as {username}, and {what.lower()} on this Space is for its owner, {owner}"
           if username else f"{what} on this Space is for its owner, {owner}")
    login = "" if username else " Log in with Hugging Face if that is you."
    link = duplicate_url(env)
    return Decision(False, f"{who}.{login} Duplicate the Space to train on your own GPU: {link}")


def require(action: str, username: str | None, env: Mapping[str, str] | None = None) -> None:
    """Raise :class:`AccessDenied` (with :func:`decide`'s reason) unless ``username`` may do ``action``."""
    decision = decide(action, username, env)
    if not decision.allowed:
        raise AccessDenied(decision.reason)


def _oauth_info(request) -> dict:
    """Gradio's OAuth record of a request's visitor (``{}`` when not logged in or when the login expired).

    Gradio keeps the login in the request's session (``oauth_info``, written by its
    ``/login/huggingface`` callback on a Space with ``hf_oauth: true``); a direct API call
    without that session cookie is anonymous. The session is read from the Starlette request
    inside the ``gr.Request``: the ``gr.Request`` attribute itself hands back a copy whose
    values are not dicts (``gradio.route_utils.Obj``), which read as "not logged in".
    """
    import time

    if request is None:
        return {}
    try:  # without Gradio's OAuth (no hf_oauth) there is no session: anonymous
        raw = getattr(request, "request", None) or request
        scope = getattr(raw, "scope", None)
        session = scope.get("session") if isinstance(scope, dict) else getattr(raw, "session", None)
        info = session.get("oauth_info") if session is not None else None
    except Exception:  # noqa: BLE001 - a session of another shape: not logged in
        return {}
    if not isinstance(info, dict):
        return {}
    expires = info.get("expires_at")
    if isinstance(expires, (int, float)) and expires < time.time():  # as Gradio's own check: logged out
        return {}
    return info


def hub_read_token(request, env: Mapping[str, str] | None = None) -> str | bool | None:
    """The Hub token to read datasets and adapters with on behalf of a request's visitor.

    On a Space: the visitor's own login token, or ``False`` (anonymous), never the Space's
    ``HF_TOKEN`` secret (it is the owner's, for pushing: with it a visitor could read the owner's
    private repos). Off a Space: ``None``, this machine's login (huggingface_hub's default).
    """
    if not on_space(env):
        return None
    return oauth_token(request) or False


def oauth_username(request) -> str | None:
    """The Hugging Face username of a Gradio request's visitor, or ``None`` when not logged in."""
    name = (_oauth_info(request).get("userinfo") or {}).get("preferred_username")
    return name if isinstance(name, str) and name else None


def oauth_token(request) -> str | None:
    """The access token of a visitor logged in with Hugging Face (for a push in their name), or ``None``."""
    token = _oauth_info(request).get("access_token")
    return token if isinstance(token, str) and token else None
