"""Uploads belong to the visitor session that made them.

The Data tab copies each upload (and each Hub split it loads) into a folder of its own,
``toolft_home()/uploads/<32 hex digits>/``. :data:`OWNERS` remembers which visitor sessions
(Gradio's ``session_hash``) own each folder:

- an upload or a Hub load makes the session that did it the owner (:meth:`UploadOwners.claim`),
  which returns the folder's key: 128 random bits kept in the folder (``.owner-key``) and in the
  session's data choice, never shown to anyone else;
- a page reload is a new session: the app brings back the data choice the browser kept, and the
  new session owns the folder again only when the choice carries the folder's key
  (:meth:`UploadOwners.reclaim`). A ``gr.BrowserState`` is client input (its secret is sent to
  the browser), so a path alone proves nothing;
- training may only start from the upload of the session's own data choice, key included
  (:meth:`UploadOwners.holds`);
- when a session ends (its tab is closed or reloaded, ``demo.unload``) its folders wait
  ``TOOLFT_UPLOAD_GRACE_S`` seconds (default 600: a reload reclaims them well within that),
  then are deleted, unless another session owns them or a run was started from them
  (:func:`runs_using`).

Folders that no session of this process owns (left by an earlier process: a restart ends
every session) are deleted by :meth:`UploadOwners.sweep` once they are older than the grace
period, with the same exception for runs.

Example::

    key = OWNERS.claim(copy, "session-a")   # kept in session-a's data choice
    OWNERS.owns(copy, "session-b")          # False
    OWNERS.reclaim(copy, key, "session-c")  # True: session-a's tab, reloaded
    OWNERS.end_session("session-a")  # deleted after the grace period, unless a run uses it
"""

from __future__ import annotations

import hmac
import os
import secrets
import shutil
import threading
import time
from pathlib import Path

from toolft.home import runs_dir, toolft_home

GRACE_S = float(os.environ.get("TOOLFT_UPLOAD_GRACE_S", "600"))  # seconds an ownerless upload is kept
# an owned upload goes after this long too (a client that never keeps a heartbeat never ends its session)
MAX_AGE_S = float(os.environ.get("TOOLFT_UPLOAD_MAX_AGE_S", str(24 * 3600)))
KEY_FILE = ".owner-key"


def uploads_dir() -> Path:
    """``toolft_home()/uploads``: one folder per upload or Hub load."""
    return toolft_home() / "uploads"


def upload_folder(path: str | Path) -> Path | None:
    """The ``uploads/<id>`` folder that holds ``path`` (resolved), or ``None`` when ``path`` lies elsewhere.

    >>> upload_folder("/etc/passwd") is None
    True
    """
    try:
        root, target = uploads_dir().resolve(), Path(path).resolve()
        relative = target.relative_to(root)
    except (OSError, ValueError):  # outside uploads, a NUL byte, a path too long...
        return None
    return root / relative.parts[0] if relative.parts else None


def runs_using(folder: Path) -> list[str]:
    """Names of the runs whose recipe trains on a file in ``folder`` (``data.train_file`` in ``recipe.yaml``)."""
    import yaml

    names = []
    for recipe in sorted(runs_dir().glob("*/recipe.yaml")):
        try:
            data = (yaml.safe_load(recipe.read_text(encoding="utf-8")) or {}).get("data") or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError):
            continue  # an unreadable recipe names no upload
        source = data.get("train_file") if isinstance(data, dict) else None
        if isinstance(source, str) and source != "sample" and upload_folder(source) == folder:
            names.append(recipe.parent.name)
    return names


class UploadOwners:
    """Which sessions own each upload folder, and when ownerless folders are deleted (thread-safe)."""

    def __init__(self, grace_s: float | None = None):
        self.grace_s = GRACE_S if grace_s is None else grace_s
        self._owners: dict[Path, set[str]] = {}   # folder -> sessions owning it
        self._expires: dict[Path, float] = {}     # ownerless folder -> time.time() after which it goes
        self._swept = 0.0                          # time.time() of the last sweep
        self._lock = threading.Lock()

    def claim(self, path: str | Path, session: str | None) -> str | None:
        """Make ``session`` an owner of the upload folder holding ``path`` and return the folder's key
        (made on first claim); ``None`` when ``path`` is no upload or the folder is gone."""
        folder = upload_folder(path)
        if folder is None or not session or not folder.is_dir():
            return None
        if time.time() - self._swept > self.grace_s:  # sessions that never end (no heartbeat) leave folders too
            self.sweep()
        with self._lock:
            key = _read_key(folder)
            if key is None:
                key = secrets.token_hex(16)
                descriptor = os.open(folder / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                    handle.write(key)
            self._owners.setdefault(folder, set()).add(session)
            self._expires.pop(folder, None)
        return key

    def holds(self, path: str | Path, key) -> bool:
        """True when ``key`` is the key of the upload folder holding ``path`` (compared in constant time)."""
        folder = upload_folder(path)
        if folder is None or not isinstance(key, str) or not key:
            return False
        stored = _read_key(folder)
        return stored is not None and hmac.compare_digest(stored.encode(), key.encode())

    def reclaim(self, path: str | Path, key, session: str | None) -> bool:
        """A data choice brought back from a browser: ``session`` owns the folder again when ``key`` is its key."""
        return self.holds(path, key) and self.claim(path, session) is not None

    def owns(self, path: str | Path, session: str | None) -> bool:
        """True when ``path`` lies in an upload folder that ``session`` owns."""
        folder = upload_folder(path)
        with self._lock:
            return folder is not None and bool(session) and session in self._owners.get(folder, ())

    def end_session(self, session: str | None, now: float | None = None) -> list[Path]:
        """``session`` has ended: the folders it alone owned are deleted after the grace period (a timer
        sweeps then). Returns those folders."""
        now = time.time() if now is None else now
        orphaned = []
        with self._lock:
            for folder, sessions in list(self._owners.items()):
                if session in sessions:
                    sessions.discard(session)
                    if not sessions:
                        del self._owners[folder]
                        self._expires[folder] = now + self.grace_s
                        orphaned.append(folder)
        if orphaned:
            timer = threading.Timer(self.grace_s + 1, self.sweep)
            timer.daemon = True
            timer.start()
        return orphaned

    def sweep(self, now: float | None = None) -> list[Path]:
        """Delete the upload folders no session has owned for the grace period, except those a run
        trains on (they are then kept for good). Returns the folders deleted."""
        now = time.time() if now is None else now
        root = uploads_dir()
        with self._lock:
            self._swept = time.time()
            due = [folder for folder, when in self._expires.items() if when <= now]
            owned = set(self._owners) | set(self._expires)
            try:  # folders no session of this process knows (left by an earlier process), and old ones
                stray = [p.resolve() for p in root.iterdir() if p.is_dir() and (
                    p.resolve() not in owned and p.stat().st_mtime + self.grace_s <= now
                    or p.stat().st_mtime + MAX_AGE_S <= now)]
            except OSError:
                stray = []
            deleted = []
            for folder in dict.fromkeys(due + stray):
                self._expires.pop(folder, None)
                if runs_using(folder):
                    continue
                shutil.rmtree(folder, ignore_errors=True)
                self._owners.pop(folder, None)
                deleted.append(folder)
        return deleted


def _read_key(folder: Path) -> str | None:
    try:
        return (folder / KEY_FILE).read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


OWNERS = UploadOwners()  # one per app process, shared by every visitor
