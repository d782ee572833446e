"""A fake Hugging Face Hub for tests: serves dataset and model repos from local folders to the real huggingface_hub client.

It answers the requests ``HfApi.dataset_info`` / ``repo_info``, ``list_repo_tree`` / ``list_repo_files``,
``get_paths_info`` and ``hf_hub_download`` make, the way the Hub does (JSON shapes, ``X-Error-Code`` headers
that ``hf_raise_for_status`` turns into ``RepositoryNotFoundError``, ``GatedRepoError``...):

* ``GET  /api/datasets/{owner}/{name}`` and ``/api/datasets/{owner}/{name}/revision/{rev}``: the repo's info
  (``id``, ``sha``, ``private``, ``gated``, ``siblings``; sizes and blob ids with ``?blobs=true``);
* ``GET  /api/datasets/{owner}/{name}/tree/{rev}[/{folder}]?recursive=true``: files and folders;
* ``POST /api/datasets/{owner}/{name}/paths-info/{rev}`` (form field ``paths``, repeated);
* ``HEAD`` and ``GET /datasets/{owner}/{name}/resolve/{rev}/{path}``: a file, with ``ETag``,
  ``X-Repo-Commit``, ``Content-Length`` (and ``Range`` support for resumed downloads).

Model repos (``add_repo(..., repo_type="model")``) answer the same under ``/api/models/...`` and
``/{owner}/{name}/resolve/{rev}/{path}``.

Writes, for the calls ``HfApi.create_repo`` and ``upload_folder`` / ``create_commit`` make (they need a
token from ``write_tokens``; any other is a 401 or 403):

* ``POST /api/repos/create`` (json ``name``, ``organization``, ``type``, ``visibility`` or ``private``, ``sdk``): a new, empty
  repo in a temporary folder (409 when it exists, which ``exist_ok=True`` accepts);
* ``POST /api/validate-yaml``: a README card's front matter must parse as a YAML mapping;
* ``POST /api/{type}s/{owner}/{name}/preupload/{rev}``: every file is uploaded "regular" (inline);
* ``POST /api/{type}s/{owner}/{name}/commit/{rev}``: the ndjson commit (``header``, ``file`` with base64
  content, ``deletedFile``); the files land in the repo's folder. Space repos answer under
  ``/api/spaces/...`` like the others.

``rev`` is ``main`` or the repo's commit hash (derived from its files, so changed files make a new
commit). An unknown repo is a 404 (``X-Error-Code: RepoNotFound``); a private one is a 401 with the same
code unless the request carries one of its tokens; a gated repo lists its files but its files are a 401
(no token) or 403 (another token) with ``X-Error-Code: GatedRepo``. Every request is recorded in
:attr:`FakeHub.requests` as ``(method, path)`` (the path without its query), for tests to assert on.

Example::

    hub = FakeHub().start()
    hub.add_repo("acme/tools", folder)
    hub.url   # 'http://127.0.0.1:40123'
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit


class _Repo:
    def __init__(self, repo_id: str, folder: Path, private: bool, gated: bool, tokens: set[str]):
        self.id, self.folder, self.private, self.gated, self.tokens = repo_id, Path(folder), private, gated, tokens

    def files(self) -> dict[str, bytes]:
        """``{path in repo: content}`` of every file under the folder (hidden ones too, like the Hub)."""
        return {p.relative_to(self.folder).as_posix(): p.read_bytes()
                for p in sorted(self.folder.rglob("*")) if p.is_file()}

    def sha(self, files: dict[str, bytes]) -> str:
        listing = "".join(f"{path}\0{_blob_id(data)}\n" for path, data in sorted(files.items()))
        return hashlib.sha1(f"{self.id}\n{listing}".encode()).hexdigest()


def _blob_id(data: bytes) -> str:
    """The git blob id of a file, as the Hub reports (``oid``/``blobId``) and uses for ETags."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeHub:
    """A threaded HTTP server on 127.0.0.1 (a free port) that serves the repos added with :meth:`add_repo`."""

    def __init__(self, write_tokens=()):
        import tempfile

        self.repos: dict[tuple[str, str], _Repo] = {}  # (repo type, repo id) -> repo
        self.write_tokens = set(write_tokens)
        self.created = Path(tempfile.mkdtemp(prefix="fake-hub-"))  # folders of repos made by create_repo
        self.commits: list[dict] = []  # each commit: repo type, id, summary, files written
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url = ""

    # ------------------------------------------------------------------ control
    def add_repo(self, repo_id: str, folder, *, private: bool = False, gated: bool = False,
                 tokens=(), repo_type: str = "dataset") -> None:
        """Serve ``folder`` as the repo ``repo_id`` (a ``dataset`` or a ``model`` repo); ``tokens`` may read it
        when private or gated."""
        self.repos[(repo_type, repo_id)] = _Repo(repo_id, folder, private, gated, set(tokens))

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self._url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port: later connections are refused. The repos it created are deleted."""
        import shutil

        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
        shutil.rmtree(self.created, ignore_errors=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (still the address once stopped: nothing answers there then)."""
        return self._url

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def file_requests(self, method: str | None = None) -> list[str]:
        """The paths in repo asked for on ``/resolve/`` (by ``method`` only, when given), in order."""
        out = []
        for m, path in list(self.requests):
            parts = path.split("/")
            if len(parts) > 6 and parts[1] == "datasets" and parts[4] == "resolve" and method in (None, m):
                out.append("/".join(parts[6:]))
        return out

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.0"  # one request per connection: stop() leaves no kept-alive connection serving

    def log_message(self, *args) -> None:  # quiet
        pass

    # ------------------------------------------------------------------ responses
    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, content_type="application/json"):
        self.send_response(status)
        for key, value in {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:  # a HEAD tells the headers of what a GET sends
            self.wfile.write(body)

    def _json(self, value, status: int = 200, headers: dict | None = None) -> None:
        self._send(status, json.dumps(value).encode(), headers)

    def _error(self, status: int, code: str | None, message: str, headers: dict | None = None) -> None:
        extra = {"X-Error-Message": message, **({"X-Error-Code": code} if code else {}), **(headers or {})}
        self._json({"error": message}, status, extra)

    # ------------------------------------------------------------------ routing
    def do_HEAD(self):
        self._route()

    def do_GET(self):
        self._route()

    def do_POST(self):
        self._route()

    def _route(self) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        self.fake.record(self.command, path)
        query = parse_qs(url.query)
        parts = url.path.split("/")  # still quoted: a repo folder's "/" is %2F in tree URLs
        try:
            if parts[1:4] == ["api", "repos", "create"] and self.command == "POST":
                self._create()
            elif parts[1:3] == ["api", "validate-yaml"] and self.command == "POST":
                self._validate_yaml()
            elif parts[1:3] in (["api", "datasets"], ["api", "models"], ["api", "spaces"]) and len(parts) >= 5:
                kind = parts[2][:-1]
                self._api(kind, unquote(f"{parts[3]}/{parts[4]}"), [unquote(p) for p in parts[5:]], query)
            elif parts[1] == "datasets" and len(parts) >= 7 and parts[4] == "resolve":
                self._resolve("dataset", unquote(f"{parts[2]}/{parts[3]}"), unquote(parts[5]),
                              unquote("/".join(parts[6:])))
            elif len(parts) >= 6 and parts[3] == "resolve":  # a model repo: no type prefix in its file URLs
                self._resolve("model", unquote(f"{parts[1]}/{parts[2]}"), unquote(parts[4]),
                              unquote("/".join(parts[5:])))
            else:
                self._error(404, None, "Not Found")
        except BrokenPipeError:
            pass

    def _repo(self, kind: str, repo_id: str) -> _Repo | None:
        """The repo, or None after sending the Hub's answer for a missing or private one."""
        repo = self.fake.repos.get((kind, repo_id))
        if repo is None:
            self._error(404, "RepoNotFound", "Repository not found")
            return None
        if repo.private and self._token() not in repo.tokens:
            self._error(401, "RepoNotFound", "Repository not found")
            return None
        return repo

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        return auth[len("Bearer "):] if auth.startswith("Bearer ") else None

    def _commit(self, repo: _Repo, revision: str, files: dict[str, bytes]) -> str | None:
        sha = repo.sha(files)
        if revision in ("main", sha):
            return sha
        self._error(404, "RevisionNotFound", "Invalid rev id: " + revision)
        return None

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _may_write(self) -> bool:
        """True for a write token; else sends the Hub's 401 (no token) or 403 (another token)."""
        token = self._token()
        if token in self.fake.write_tokens:
            return True
        self._error(403 if token else 401, None, "You don't have the rights to write to this repository"
                    if token else "Invalid username or password.")
        return False

    def _create(self) -> None:
        form = json.loads(self._body() or b"{}")
        if not self._may_write():
            return
        kind = form.get("type") or "model"
        repo_id = f"{form['organization']}/{form['name']}" if form.get("organization") else form["name"]
        if "/" not in repo_id:
            repo_id = f"user/{repo_id}"
        prefix = {"dataset": "datasets/", "space": "spaces/"}.get(kind, "")
        url = f"{self.fake.url}/{prefix}{repo_id}"
        if (kind, repo_id) in self.fake.repos:  # the Hub's 409 still names the repo's url
            return self._json({"error": "You already created this repo", "url": url}, status=409,
                              headers={"X-Error-Message": "You already created this repo"})
        folder = self.fake.created / kind / repo_id
        folder.mkdir(parents=True)
        private = form.get("visibility") == "private" if "visibility" in form else bool(form.get("private"))
        self.fake.add_repo(repo_id, folder, private=private, tokens=self.fake.write_tokens, repo_type=kind)
        return self._json({"url": url, "name": repo_id, "id": repo_id})

    def _validate_yaml(self) -> None:
        """The README card check ``upload_folder`` asks for: its front matter must be a YAML mapping."""
        import yaml

        content = json.loads(self._body() or b"{}").get("content", "")
        front = content.split("---")[1] if content.startswith("---") and content.count("---") >= 2 else ""
        try:
            ok = front == "" or isinstance(yaml.safe_load(front), dict)
        except yaml.YAMLError:
            ok = False
        if not ok:
            return self._json({"errors": [{"message": "the front matter is not a YAML mapping"}]}, status=400)
        return self._json({"errors": [], "warnings": []})

    def _write(self, repo: _Repo, action: str) -> None:
        import base64

        body = self._body()
        if not self._may_write():
            return
        if action == "preupload":
            files = json.loads(body or b"{}").get("files", [])
            return self._json({"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                         for f in files]})
        summary, written = "", []
        for line in body.decode().splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item.get("key"), item.get("value") or {}
            if key == "header":
                summary = value.get("summary", "")
            elif key == "file":
                target = (repo.folder / value["path"]).resolve()
                if not target.is_relative_to(repo.folder.resolve()):
                    return self._error(400, None, f"invalid path {value['path']}")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(value["content"]))
                written.append(value["path"])
            elif key == "deletedFile":
                (repo.folder / value["path"]).unlink(missing_ok=True)
            else:
                return self._error(400, None, f"this fake Hub takes inline files only, not {key}")
        sha = repo.sha(repo.files())
        self.fake.commits.append({"repo_id": repo.id, "summary": summary, "files": written})
        return self._json({"commitUrl": f"{self.fake.url}/{repo.id}/commit/{sha}", "commitOid": sha,
                           "pullRequestUrl": None})

    def _api(self, kind: str, repo_id: str, rest: list[str], query: dict) -> None:
        if rest and rest[0] in ("preupload", "commit") and self.command == "POST":
            repo = self.fake.repos.get((kind, repo_id))
            if repo is None:
                self._body()
                return self._error(404, "RepoNotFound", "Repository not found")
            return self._write(repo, rest[0])
        repo = self._repo(kind, repo_id)
        if repo is None:
            return
        files = repo.files()
        if not rest or rest[0] == "revision":
            if self.command != "GET":
                return self._error(405, None, "Method not allowed")
            sha = self._commit(repo, rest[1] if len(rest) > 1 else "main", files)
            if sha is None:
                return
            blobs = query.get("blobs", ["false"])[0].lower() == "true"
            siblings = [{"rfilename": p, **({"size": len(d), "blobId": _blob_id(d)} if blobs else {})}
                        for p, d in files.items()]
            return self._json({"_id": hashlib.md5(repo_id.encode()).hexdigest()[:24], "id": repo_id,
                               "author": repo_id.split("/")[0], "sha": sha, "private": repo.private,
                               "gated": "manual" if repo.gated else False, "disabled": False, "downloads": 0,
                               "likes": 0, "tags": [], "lastModified": "2024-05-06T07:08:09.000Z",
                               "createdAt": "2024-05-06T07:08:09.000Z", "siblings": siblings})
        if rest[0] == "tree" and len(rest) >= 2 and self.command == "GET":
            sha = self._commit(repo, rest[1], files)
            if sha is None:
                return
            folder = "/".join(rest[2:]).strip("/")
            recursive = query.get("recursive", ["false"])[0].lower() == "true"
            entries = self._entries(files, folder, recursive)
            if folder and not entries:
                return self._error(404, "EntryNotFound", f"{folder} does not exist on \"{rest[1]}\"",
                                   {"X-Repo-Commit": sha})
            return self._json(entries)
        if rest[0] == "paths-info" and len(rest) == 2 and self.command == "POST":
            sha = self._commit(repo, rest[1], files)
            if sha is None:
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = (json.loads(body) if (self.headers.get("Content-Type") or "").startswith("application/json")
                    else parse_qs(body))
            wanted = form.get("paths", [])
            wanted = [wanted] if isinstance(wanted, str) else wanted
            every = {e["path"]: e for e in self._entries(files, "", True)}
            return self._json([every[p] for p in wanted if p in every])
        self._error(404, None, "Not Found")

    @staticmethod
    def _entries(files: dict[str, bytes], folder: str, recursive: bool) -> list[dict]:
        """Tree entries under ``folder`` as the Hub lists them: files with size and oid, folders as directories."""
        prefix = folder + "/" if folder else ""
        out, folders = [], set()
        for path, data in files.items():
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):].split("/")
            for depth in range(1, len(rest)):
                if recursive or depth == 1:
                    folders.add(prefix + "/".join(rest[:depth]))
            if recursive or len(rest) == 1:
                out.append({"type": "file", "oid": _blob_id(data), "size": len(data), "path": path})
        out += [{"type": "directory", "oid": hashlib.sha1(f.encode()).hexdigest(), "size": 0, "path": f}
                for f in sorted(folders)]
        return sorted(out, key=lambda e: e["path"])

    def _resolve(self, kind: str, repo_id: str, revision: str, path: str) -> None:
        if self.command not in ("GET", "HEAD"):
            return self._error(405, None, "Method not allowed")
        repo = self._repo(kind, repo_id)
        if repo is None:
            return
        files = repo.files()
        sha = self._commit(repo, revision, files)
        if sha is None:
            return
        if repo.gated and self._token() not in repo.tokens:
            status = 403 if self._token() else 401
            return self._error(status, "GatedRepo", f"Access to dataset {repo_id} is restricted. You must have "
                                                    "access to it and be authenticated to access it. Please log in.",
                               {"X-Repo-Commit": sha})
        if path not in files:
            return self._error(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": sha})
        data = files[path]
        headers = {"ETag": f'"{_blob_id(data)}"', "X-Repo-Commit": sha, "Accept-Ranges": "bytes",
                   "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}"}
        status, body = 200, data
        ranges = self.headers.get("Range") or ""
        if ranges.startswith("bytes=") and self.command == "GET":
            start, _, end = ranges[len("bytes="):].partition("-")
            start, end = int(start or 0), int(end) if end else len(data) - 1
            status, body = 206, data[start:end + 1]
            headers["Content-Range"] = f"bytes {start}-{start + len(body) - 1}/{len(data)}"
        self._send(status, body, headers, "application/octet-stream")
