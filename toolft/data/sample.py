"""Bundled sample data: synthetic tool-calling conversations, generated offline.

The default training set for toolft must work without the Hub and be small
enough for a tiny Qwen3 model to learn with LoRA on a CPU in minutes. So every
conversation is short, built from templates and sizeable value pools with
``random.Random(seed)`` (deterministic, no global state), and written in TRL's
conversational format with a ``tools`` column::

    {"messages": [{"role": "user", "content": "What's the weather in Oslo?"},
                  {"role": "assistant", "content": "", "tool_calls": [...]},
                  {"role": "tool", "name": "get_weather", "content": "{...}"},
                  {"role": "assistant", "content": "It's 4°C and foggy in Oslo."}],
     "tools": [<3-6 OpenAI-style function schemas>]}

Six kinds of conversation (see ``KINDS``) teach when to call one tool, several
tools at once, tools in sequence, when to ask for a missing argument, when to
refuse, and when no tool is needed. Values are combined randomly from pools and
each intent has several phrasings, so a held-out split drawn from the same
output is not a copy of the training rows.

>>> rows = generate_sample(6, seed=0); sorted(rows[0])
['kind', 'messages', 'tools']
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from toolft.data.invented import made_up_pools, with_an_accent


KINDS = ("single_call", "parallel_calls", "multi_step", "clarification", "refusal", "no_tool")
# Shares of each kind, in twentieths (20/25/15/15/10/15 %). Parallel requests have a quarter: with 15% the
# tiny demo model stopped after its first call on nearly every parallel request; with 25% (taken from single
# calls, so the share of rows that want a call stays 60%) it got 11 of 90 held-out parallel requests exactly
# right over three training seeds, against 5 (bench/tiny_copying.md, section 12).
_WEIGHTS = {"single_call": 4, "parallel_calls": 5, "multi_step": 3,
            "clarification": 3, "refusal": 2, "no_tool": 3}
CALL_KINDS = ("single_call", "parallel_calls", "multi_step")  # the kinds whose answer is a tool call
NO_CALL_SHARE = Fraction(sum(w for k, w in _WEIGHTS.items() if k not in CALL_KINDS), sum(_WEIGHTS.values()))  # 2/5
REFUSAL_OPENERS = ("I can't", "I cannot", "I won't", "Sorry, I can't")
INVENTED_WORLD_ROWS = 20  # invented rows share one set of invented values for this many rows (a few draws each)


# --------------------------------------------------------------------------- tool schemas

def _str(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


def _tool(name: str, description: str, properties: dict, required: list[str]) -> dict:
    """One OpenAI-style function schema."""
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required}}}


_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR"]

TOOLS: dict[str, dict] = {t["function"]["name"]: t for t in [
    _tool("run_shell", "Run a shell command and return its output.",
          {"command": _str("The command line to run.")}, ["command"]),
    _tool("read_file", "Read a text file.", {"path": _str("Path of the file.")}, ["path"]),
    _tool("write_file", "Write text to a file, replacing its content.",
          {"path": _str("Path of the file."), "content": _str("Text to write.")}, ["path", "content"]),
    _tool("list_directory", "List the entries of a directory.",
          {"path": _str("Path of the directory.")}, ["path"]),
    _tool("git_status", "Show the branch and changed files of a git repository.",
          {"repo_path": _str("Path of the repository.")}, ["repo_path"]),
    _tool("git_commit", "Create a git commit.",
          {"message": _str("Commit message."),
           "all": {"type": "boolean", "description": "Stage all modified files first."}}, ["message"]),
    _tool("web_search", "Search the web.",
          {"query": _str("Search query."),
           "max_results": {"type": "integer", "description": "Number of results."}}, ["query"]),
    _tool("http_request", "Send an HTTP request.",
          {"method": _str("HTTP method.", enum=["GET", "POST", "PUT", "DELETE"]),
           "url": _str("Full URL."), "body": _str("Request body (JSON text).")}, ["method", "url"]),
    _tool("create_event", "Add an event to the calendar.",
          {"title": _str("Event title."), "date": _str("Date as YYYY-MM-DD."),
           "time": _str("Start time as HH:MM."),
           "duration_minutes": {"type": "integer", "description": "Length in minutes."}},
          ["title", "date", "time"]),
    _tool("get_weather", "Get the current weather for a city.",
          {"city": _str("City name."), "unit": _str("Temperature unit.", enum=["celsius", "fahrenheit"])},
          ["city"]),
    _tool("send_email", "Send an email.",
          {"to": _str("Recipient address."), "subject": _str("Subject line."), "body": _str("Message text."),
           "cc": {"type": "array", "items": {"type": "string"}, "description": "Addresses to copy."}},
          ["to", "subject", "body"]),
    _tool("convert_currency", "Convert an amount between currencies.",
          {"amount": {"type": "number", "description": "Amount to convert."},
           "from_currency": _str("Source currency code.", enum=_CURRENCIES),
           "to_currency": _str("Target currency code.", enum=_CURRENCIES)},
          ["amount", "from_currency", "to_currency"]),
]}


# --------------------------------------------------------------------------- value pools

CITIES = ["Paris", "Tokyo", "Nairobi", "Lima", "Oslo", "Berlin", "Madrid", "Toronto", "Sydney", "Cairo",
          "Mumbai", "Seoul", "Chicago", "Denver", "Lisbon", "Dublin", "Prague", "Vienna", "Austin", "Boston",
          "Cape Town", "Mexico City", "Buenos Aires", "Helsinki", "Istanbul", "Singapore", "Bangkok",
          "Zurich", "Reykjavik", "Montreal"]
CONDITIONS = ["sunny", "cloudy", "rainy", "windy", "foggy", "snowy", "partly cloudy", "stormy"]
NAMES = ["Ana", "Ben", "Carla", "Dev", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi", "Liam",
         "Mei", "Nora", "Omar", "Priya", "Raul", "Sofia", "Tom", "Yuki"]
DOMAINS = ["example.com", "acme.io", "mail.org", "corp.net", "startup.dev", "uni.edu"]
DIRS = ["src", "docs", "tests", "config", "scripts", "notes", "app", "lib", "data", "tools"]
STEMS = ["main", "utils", "readme", "setup", "settings", "todo", "report", "server", "client", "models",
         "notes", "index"]
EXTS = [".py", ".md", ".txt", ".json", ".yaml", ".toml"]
EXT_WORDS = {".py": "Python", ".md": "Markdown", ".txt": "text", ".json": "JSON", ".yaml": "YAML",
             ".toml": "TOML"}
PROJECTS = ["webapp", "api-server", "dotfiles", "blog", "ml-pipeline", "inventory", "chatbot", "shop"]
TOPICS = ["python asyncio", "rust lifetimes", "docker compose", "kubernetes ingress", "sourdough bread",
          "marathon training", "solar panels", "electric cars", "git rebase", "sql indexes", "react hooks",
          "jazz history", "home espresso", "linux permissions", "vector databases", "lora fine-tuning",
          "typescript generics", "bird migration"]
QUERY_SUFFIXES = ["", "tutorial", "best practices", "latest news", "for beginners", "examples",
                  "common mistakes"]
SITES = ["docs.python.org", "en.wikipedia.org", "realpython.com", "dev.to", "medium.com",
         "stackoverflow.com", "github.com", "blog.example.com"]
HOSTS = ["api.example.com", "httpbin.org", "status.acme.io", "api.shop.dev", "data.corp.net"]
RESOURCES = ["users", "orders", "posts", "items", "todos", "products", "invoices", "tickets"]
COMMIT_VERBS = ["Fix", "Add", "Update", "Refactor", "Remove", "Document"]
COMMIT_OBJECTS = ["login bug", "README typo", "parser tests", "CI config", "logging setup", "API docs",
                  "unused imports", "date handling", "cache layer", "error messages"]
EVENT_TITLES = ["Team standup", "Dentist appointment", "Project review", "Lunch with {n}", "Call with {n}",
                "Gym session", "1:1 with {n}", "Sprint planning", "Budget meeting", "Coffee with {n}"]
SUBJECTS = ["Meeting notes", "Quarterly report", "Lunch tomorrow", "Project update", "Weekend plans",
            "Welcome aboard", "Invoice {k}", "Release {v}"]
BODIES = ["I'll be ten minutes late.", "The report is ready for review.", "Thanks for your help today.",
          "Let's meet on Friday at 10.", "The deploy finished successfully.", "Please review the draft.",
          "The invoice is paid.", "See you at the workshop."]
TASKS = ["call the bank", "buy milk", "renew passport", "fix the tests", "water the plants",
         "book flights", "update the docs", "email the landlord"]
PACKAGES = ["requests", "numpy", "flask", "pytest", "rich", "pydantic"]
RATES = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.0, "CHF": 0.88, "CAD": 1.36, "AUD": 1.52,
         "INR": 83.2}
SYSTEM_PROMPTS = [
    "You are a helpful assistant with access to tools.",
    "You are a helpful assistant. Use the provided tools when they are needed.",
    "You are an assistant that can call functions. Call a tool only when it helps.",
    "You help users with files, git, the web, email and their calendar using tools.",
    "You are a careful assistant with tools. Ask when information is missing.",
    "You are a concise assistant with tool access. Refuse harmful requests.",
]


# Held-out values: no training row and no pre-training text of tiny-qwen3 uses these, so a
# model scored on rows drawn with ``pools="heldout"`` must copy values from the request; it
# cannot recall them. Same kinds and shapes as the training pools above.
HELDOUT = {
    "CITIES": ["Quito", "Tbilisi", "Hobart", "Lagos", "Kraków", "Valparaíso", "Porto Alegre", "Ulaanbaatar", "Asmara",
               "Marrakesh", "Wellington", "Edinburgh", "Tallinn", "Da Nang", "Santa Fe", "Kyoto", "Windhoek",
               "Anchorage", "Cusco", "Bergen", "Tucson", "Galway", "Ljubljana", "Medellín", "Perth", "Osaka",
               "Dakar", "Halifax", "Bruges", "Leipzig"],
    "NAMES": ["Amara", "Bastian", "Chioma", "Dario", "Esra", "Fenna", "Gideon", "Hester", "Ilya", "Juno", "Kaito",
              "Lotte", "Matteo", "Noor", "Oskar", "Paloma", "Rafferty", "Saoirse", "Thandiwe", "Vikram"],
    "DOMAINS": ["northwind.co", "lumen.app", "postbox.eu", "fjord.no", "kite.works", "orbit.team"],
    "DIRS": ["assets", "build", "migrations", "fixtures", "static", "bin", "vendor", "snippets", "infra", "public"],
    "STEMS": ["sitemap", "routes", "changelog", "backlog", "payroll", "rollout", "forecast", "roadmap", "handler",
              "worker", "palette", "glossary"],
    "PROJECTS": ["weather-bot", "photo-sync", "ledger", "garden-planner", "podcast-site", "recipe-box",
                 "trail-map", "quiz-app"],
    "TOPICS": ["tide tables", "bonsai care", "postgres vacuum", "zig allocators", "chess openings",
               "kombucha brewing", "wasm threads", "tax deadlines", "film photography", "graphql caching",
               "violin practice", "mountain biking", "terraform modules", "compost bins", "redis streams",
               "sleep science", "lisp macros", "coral reefs"],
    "SITES": ["crates.io", "arxiv.org", "news.ycombinator.com", "mozilla.org", "lwn.net", "wiki.example.net",
              "learn.microsoft.com", "notes.example.org"],
    "HOSTS": ["api.northwind.co", "hooks.lumen.app", "pay.fjord.no", "api.kite.works", "svc.orbit.team"],
    "RESOURCES": ["customers", "payments", "shipments", "sessions", "coupons", "reviews", "webhooks", "events"],
    "COMMIT_OBJECTS": ["flaky upload test", "dark mode colors", "retry backoff", "signup form", "rate limiter",
                       "docker image size", "timezone bug", "search ranking", "memory leak", "onboarding copy"],
    "EVENT_TITLES": ["Piano lesson", "Vet appointment", "Quarterly planning", "Dinner with {n}", "Hike with {n}",
                     "Design critique", "Pair programming with {n}", "Board meeting", "Code review", "Tea with {n}"],
    "SUBJECTS": ["Travel plans", "Board agenda", "Dinner on Friday", "Contract draft", "Offsite logistics",
                 "Happy birthday", "Order {k}", "Patch notes {v}"],
    "BODIES": ["The flight lands at noon.", "Can we move our call to Thursday?", "The invoice is attached.",
               "Great work on the launch!", "The server is back online.", "Lunch is on me next time.",
               "Please sign the contract today.", "The keys are with the neighbour."],
    "TASKS": ["feed the cat", "return the library books", "pay the electricity bill", "call grandma",
              "clean the garage", "order new glasses", "back up the laptop", "plan the trip"],
    "PACKAGES": ["httpx", "polars", "fastapi", "black", "typer", "scipy"],
}
POOL_NAMES = ("train", "heldout")
# any held-out value as a whole word, lower case ("{n}" placeholders of titles left out)
_HELDOUT_WORD = re.compile(r"(?<![^\W\d_])(?:" + "|".join(
    re.escape(re.sub(r"\{\w+\}", "", v).strip().lower()) for values in HELDOUT.values() for v in values) + r")(?![^\W\d_])")


class _Pools:
    """The value pools one sample draws from, as attributes (``pools.CITIES``...)."""

    def __init__(self, which: str):
        if which not in POOL_NAMES:
            raise ValueError(f"pools must be one of {', '.join(POOL_NAMES)}, got {which!r}")
        source = HELDOUT if which == "heldout" else {name: globals()[name] for name in HELDOUT}
        for name, values in source.items():
            setattr(self, name, values)
        # dates and amounts of held-out rows fall in ranges training never uses
        self.FIRST_DAY = date(2027, 1, 1) if which == "heldout" else date(2025, 1, 1)
        # (range of amounts, range of amounts / 10 for round ones)
        self.AMOUNTS = ((2001, 9999), (201, 999)) if which == "heldout" else ((5, 2000), (1, 500))


class _Draw(random.Random):
    """``random.Random`` that also carries the value pools its builders draw from."""

    def __init__(self, seed, pools: str = "train"):
        super().__init__(seed)
        self.pools = _Pools(pools)


# --------------------------------------------------------------------------- small helpers

def _fmt(rng: random.Random, templates: list[str], **values) -> str:
    """Pick one phrasing and fill it in."""
    return rng.choice(templates).format(**values)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _hex(rng: random.Random, digits: int = 7) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def _date(rng: random.Random) -> str:
    return (rng.pools.FIRST_DAY + timedelta(days=rng.randrange(365))).isoformat()


def _time(rng: random.Random) -> str:
    return f"{rng.randint(7, 19):02d}:{rng.choice([0, 15, 30, 45]):02d}"


def _email(rng: random.Random) -> str:
    return f"{rng.choice(rng.pools.NAMES).lower()}@{rng.choice(rng.pools.DOMAINS)}"


def _path(rng: random.Random, ext: str | None = None) -> str:
    return f"{rng.choice(rng.pools.DIRS)}/{rng.choice(rng.pools.STEMS)}{ext or rng.choice(EXTS)}"


def _repo(rng: random.Random) -> str:
    p = rng.choice(rng.pools.PROJECTS)
    return rng.choice([f"~/projects/{p}", f"/srv/{p}", p, f"~/code/{p}"])


def _query(rng: random.Random) -> str:
    return f"{rng.choice(rng.pools.TOPICS)} {rng.choice(QUERY_SUFFIXES)}".strip()


def _url(rng: random.Random) -> str:
    url = f"https://{rng.choice(rng.pools.HOSTS)}/{rng.choice(rng.pools.RESOURCES)}"
    return url + (f"/{rng.randint(1, 999)}" if rng.random() < 0.5 else "")


def _title(rng: random.Random) -> str:
    return rng.choice(rng.pools.EVENT_TITLES).format(n=rng.choice(rng.pools.NAMES))


def _subject(rng: random.Random) -> str:
    return rng.choice(rng.pools.SUBJECTS).format(k=rng.randint(100, 999), v=f"1.{rng.randint(0, 20)}")


def _file_content(rng: random.Random, ext: str) -> str:
    """A one- or two-line plausible file body for the extension."""
    if ext == ".py":
        return f"def {rng.choice(['main', 'load', 'run', 'parse'])}():\n    return {rng.randint(0, 99)}"
    if ext == ".md":
        return f"# {_cap(rng.choice(rng.pools.TOPICS))}\nDraft by {rng.choice(rng.pools.NAMES)}."
    if ext == ".txt":
        return f"TODO: {rng.choice(rng.pools.TASKS)}"
    if ext == ".json":
        return json.dumps({"name": rng.choice(rng.pools.PROJECTS), "version": f"1.{rng.randint(0, 9)}.{rng.randint(0, 9)}"})
    if ext == ".yaml":
        return f"port: {rng.choice([80, 3000, 5000, 8000, 8080])}\ndebug: {rng.choice(['true', 'false'])}"
    return f"[project]\nname = \"{rng.choice(rng.pools.PROJECTS)}\""


def _search_results(rng: random.Random, query: str, k: int) -> list[dict]:
    slug = query.replace(" ", "-")
    sites = rng.sample(rng.pools.SITES, k)
    return [{"title": f"{query.title()} ({site})", "url": f"https://{site}/{slug}"} for site in sites]


def _call(name: str, args: dict) -> dict:
    return {"type": "function", "function": {"name": name, "arguments": args}}


def _assistant_calls(calls: list[dict]) -> dict:
    return {"role": "assistant", "content": "", "tool_calls": calls}


def _tool_msg(name: str, result: dict) -> dict:
    return {"role": "tool", "name": name, "content": json.dumps(result, ensure_ascii=False)}


def _say(role: str, content: str) -> dict:
    return {"role": role, "content": content}


# --------------------------------------------------------------------------- one-call tasks

@dataclass
class _Task:
    """One tool call with everything needed to phrase it alone or inside a larger request."""
    tool: str
    args: dict
    request: str   # full user message asking for just this
    clause: str    # lower-case verb phrase, for combining several tasks in one message
    result: dict
    answer: str    # prose summary quoting a value from the result


def _task_weather(rng: random.Random) -> _Task:
    city, unit = rng.choice(rng.pools.CITIES), rng.choice([None, None, "celsius", "fahrenheit"])
    u = unit or "celsius"
    temp = rng.randint(-5, 33) if u == "celsius" else rng.randint(25, 92)
    cond, sym = rng.choice(CONDITIONS), "°C" if u == "celsius" else "°F"
    kw = {"city": city, "x": f" in {unit}" if unit else ""}
    return _Task(
        "get_weather", {"city": city, **({"unit": unit} if unit else {})},
        _fmt(rng, ["What's the weather in {city}{x}?", "How warm is it in {city} right now{x}?",
                   "Check the weather for {city}{x}, please.", "Tell me the current weather in {city}{x}.",
                   "Is it cold in {city} today? Answer{x}."], **kw),
        _fmt(rng, ["check the weather in {city}{x}", "get the weather for {city}{x}"], **kw),
        {"city": city, "temperature": temp, "unit": u, "condition": cond},
        _fmt(rng, ["It's {t}{s} and {c} in {city}.", "{city}: {t}{s}, {c}.", "Currently {c} in {city} at {t}{s}."],
             t=temp, s=sym, c=cond, city=city))


def _task_read(rng: random.Random) -> _Task:
    ext = rng.choice(EXTS)
    path, content = _path(rng, ext), _file_content(rng, ext)
    return _Task(
        "read_file", {"path": path},
        _fmt(rng, ["Read {p} for me.", "Show me the contents of {p}.", "What's in {p}?",
                   "Open {p} and tell me what it says.", "Can you print the file {p}?"], p=path),
        _fmt(rng, ["read {p}", "show me {p}", "open {p}"], p=path),
        {"path": path, "content": content},
        _fmt(rng, ["{p} contains:\n{c}", "Here is {p}:\n{c}", "The file {p} reads:\n{c}"], p=path, c=content))


def _task_write(rng: random.Random) -> _Task:
    path = _path(rng, rng.choice([".txt", ".md"]))
    text = rng.choice([f"TODO: {rng.choice(rng.pools.TASKS)}", f"Hello {rng.choice(rng.pools.NAMES)}!",
                       f"Meeting with {rng.choice(rng.pools.NAMES)} on {_date(rng)}", f"# {_cap(rng.choice(rng.pools.TOPICS))}"])
    size = len(text.encode())
    return _Task(
        "write_file", {"path": path, "content": text},
        _fmt(rng, ['Write "{c}" to {p}.', 'Save the text "{c}" in {p}.', "Create {p} containing: {c}",
                   'Put "{c}" into the file {p}.'], p=path, c=text),
        _fmt(rng, ['write "{c}" to {p}'], p=path, c=text),
        {"path": path, "bytes_written": size},
        _fmt(rng, ["Wrote {b} bytes to {p}.", "Saved {p} ({b} bytes).", "Done: {p} now holds {b} bytes."],
             p=path, b=size))


def _task_list(rng: random.Random) -> _Task:
    d = rng.choice(rng.pools.DIRS) if rng.random() < 0.6 else f"{rng.choice(rng.pools.PROJECTS)}/{rng.choice(rng.pools.DIRS)}"
    entries = sorted(s + rng.choice(EXTS) for s in rng.sample(rng.pools.STEMS, rng.randint(2, 4)))
    return _Task(
        "list_directory", {"path": d},
        _fmt(rng, ["List the files in {d}.", "What's inside the {d} directory?", "Show me the contents of {d}/.",
                   "Which files are in {d}?"], d=d),
        _fmt(rng, ["list {d}", "list the files in {d}"], d=d),
        {"path": d, "entries": entries},
        _fmt(rng, ["{d} contains: {e}.", "Files in {d}: {e}."], d=d, e=", ".join(entries)))


def _task_git_status(rng: random.Random) -> _Task:
    repo = _repo(rng)
    branch = rng.choice(["main", "develop", f"feature/{rng.choice(rng.pools.STEMS)}", f"fix/{rng.choice(rng.pools.STEMS)}"])
    modified = [_path(rng) for _ in range(rng.randint(0, 2))]
    answer = (f"On {branch}: modified {', '.join(modified)}." if modified
              else f"On {branch}, the working tree is clean.")
    return _Task(
        "git_status", {"repo_path": repo},
        _fmt(rng, ["What's the git status of {r}?", "Check git status in {r}.",
                   "Are there uncommitted changes in {r}?", "Show me what changed in the repo at {r}."], r=repo),
        _fmt(rng, ["check git status in {r}", "show the git status of {r}"], r=repo),
        {"branch": branch, "modified": modified}, answer)


def _task_git_commit(rng: random.Random) -> _Task:
    msg = f"{rng.choice(COMMIT_VERBS)} {rng.choice(rng.pools.COMMIT_OBJECTS)}"
    stage_all = rng.choice([None, None, True, False])
    phrasings = {None: ['Commit with the message "{m}".', 'Make a commit: "{m}".', 'git commit, message "{m}".',
                        'Please commit the staged changes as "{m}".'],
                 True: ['Commit all changes with the message "{m}".', 'Stage everything and commit as "{m}".'],
                 False: ['Commit only the staged files as "{m}".', 'Commit just what is staged: "{m}".']}
    commit, files = _hex(rng), rng.randint(1, 6)
    return _Task(
        "git_commit", {"message": msg, **({"all": stage_all} if stage_all is not None else {})},
        _fmt(rng, phrasings[stage_all], m=msg), f'commit with the message "{msg}"',
        {"commit": commit, "files_changed": files},
        _fmt(rng, ['Committed {h}: "{m}" ({f} files changed).', 'Created commit {h} "{m}", {f} files changed.'],
             h=commit, m=msg, f=files))


def _task_search(rng: random.Random) -> _Task:
    query, k = _query(rng), rng.choice([None, None, 2, 3])
    results = _search_results(rng, query, k or 2)
    request = (_fmt(rng, ["Search for {q} and give me the top {k} results.", "Find {k} results about {q}."],
                    q=query, k=k) if k else
               _fmt(rng, ["Search the web for {q}.", "Look up {q} online.", "Find articles about {q}.",
                          "Google {q} for me."], q=query))
    top = results[0]
    return _Task(
        "web_search", {"query": query, **({"max_results": k} if k else {})}, request,
        f"find {k} results about {query}" if k else f"search the web for {query}",
        {"results": results},
        _fmt(rng, ["Top result: {t} ({u}).", "I found {t} at {u}."], t=top["title"], u=top["url"]))


def _task_http(rng: random.Random) -> _Task:
    method, url = rng.choice(["GET", "GET", "POST", "PUT", "DELETE"]), _url(rng)
    body = json.dumps(rng.choice([{"name": rng.choice(rng.pools.NAMES)}, {"status": "done"},
                                  {"quantity": rng.randint(1, 20)}])) if method in ("POST", "PUT") else None
    status = {"GET": 200, "POST": 201, "PUT": 200, "DELETE": 204}[method]
    result = {"status": status}
    if method == "GET":
        result["body"] = {"id": rng.randint(1, 999), "name": rng.choice(rng.pools.NAMES)}
    elif method == "POST":
        result["body"] = {"id": rng.randint(1, 999)}
    kw = {"m": method, "u": url, "b": f" with body {body}" if body else ""}
    templates = ["Send a {m} request to {u}{b}.", "Make an HTTP {m} call to {u}{b}.", "Do a {m} on {u}{b}.",
                 "Please call {u} with method {m}{b}."] + (["Fetch {u}."] if method == "GET" else [])
    return _Task(
        "http_request", {"method": method, "url": url, **({"body": body} if body else {})},
        _fmt(rng, templates, **kw), _fmt(rng, ["send a {m} request to {u}{b}"], **kw), result,
        f"The {method} request to {url} returned status {status}."
        + (f" Body: {json.dumps(result['body'])}." if "body" in result else ""))


def _task_event(rng: random.Random) -> _Task:
    title, day, at = _title(rng), _date(rng), _time(rng)
    minutes = rng.choice([None, None, 15, 30, 45, 60, 90])
    kw = {"t": title, "d": day, "tm": at, "x": f" for {minutes} minutes" if minutes else ""}
    event_id = f"evt_{_hex(rng, 6)}"
    return _Task(
        "create_event", {"title": title, "date": day, "time": at, **({"duration_minutes": minutes} if minutes else {})},
        _fmt(rng, ['Schedule "{t}" on {d} at {tm}{x}.', "Add {t} to my calendar for {d} at {tm}{x}.",
                   'Create an event "{t}" on {d} at {tm}{x}.', "Book {t} at {tm} on {d}{x}."], **kw),
        _fmt(rng, ['add "{t}" on {d} at {tm}{x}'], **kw),
        {"event_id": event_id, "title": title, "date": day, "time": at},
        _fmt(rng, ['Scheduled "{t}" on {d} at {tm}.', 'Done: "{t}" is in your calendar for {d} at {tm} ({i}).'],
             i=event_id, **kw))


def _task_email(rng: random.Random) -> _Task:
    to, subject, body = _email(rng), _subject(rng), rng.choice(rng.pools.BODIES)
    cc = [_email(rng)] if rng.random() < 0.2 else None
    kw = {"to": to, "s": subject, "b": body, "cc": f" (cc {cc[0]})" if cc else ""}
    msg_id = f"msg_{_hex(rng, 6)}"
    return _Task(
        "send_email", {"to": to, "subject": subject, "body": body, **({"cc": cc} if cc else {})},
        _fmt(rng, ['Email {to}{cc} with subject "{s}" saying "{b}"',
                   'Send an email to {to}{cc}, subject "{s}", body: {b}',
                   'Write to {to}{cc}: subject "{s}", message "{b}"',
                   'Send {to}{cc} an email titled "{s}" that says "{b}"'], **kw),
        _fmt(rng, ['email {to} "{b}" with subject "{s}"'], **kw),
        {"status": "sent", "message_id": msg_id},
        _fmt(rng, ['Sent "{s}" to {to} ({i}).', "Email sent to {to} (id {i})."], i=msg_id, **kw))


def _task_currency(rng: random.Random) -> _Task:
    src, dst = rng.sample(_CURRENCIES, 2)
    (low, high), (low10, high10) = rng.pools.AMOUNTS
    amount = rng.choice([rng.randint(low, high), rng.randint(low10, high10) * 10])
    converted = round(amount / RATES[src] * RATES[dst], 2)
    kw = {"a": amount, "f": src, "t": dst}
    return _Task(
        "convert_currency", {"amount": amount, "from_currency": src, "to_currency": dst},
        _fmt(rng, ["Convert {a} {f} to {t}.", "How much is {a} {f} in {t}?", "What are {a} {f} worth in {t}?",
                   "Change {a} {f} into {t}."], **kw),
        _fmt(rng, ["convert {a} {f} to {t}"], **kw),
        {"amount": amount, "from": src, "to": dst, "converted": converted},
        _fmt(rng, ["{a} {f} is about {c} {t}.", "That's {c} {t}."], c=converted, **kw))


def _shell_command(rng: random.Random) -> tuple[str, str]:
    """A harmless command and a plausible stdout for it."""
    path, d, user = _path(rng), rng.choice(rng.pools.DIRS), rng.choice(rng.pools.NAMES).lower()
    options = [
        lambda: (f"wc -l {path}", f"{rng.randint(5, 400)} {path}"),
        lambda: ("python --version", f"Python 3.{rng.randint(8, 13)}.{rng.randint(0, 12)}"),
        lambda: (f"du -sh {d}", f"{rng.randint(1, 900)}M\t{d}"),
        lambda: ("pwd", f"/home/{user}/{rng.choice(rng.pools.PROJECTS)}"),
        lambda: ("whoami", user),
        lambda: (f"grep -c TODO {path}", str(rng.randint(10, 80))),
        lambda: ("uptime -p", f"up {rng.randint(1, 60)} days"),
        lambda: (f"pip show {rng.choice(rng.pools.PACKAGES)}", f"Version: {rng.randint(1, 3)}.{rng.randint(0, 30)}.0"),
        lambda: ("date +%F", _date(rng)),
        lambda: (f"ls {d}", " ".join(sorted(s + rng.choice(EXTS) for s in rng.sample(rng.pools.STEMS, 3)))),
    ]
    return rng.choice(options)()


def _task_shell(rng: random.Random) -> _Task:
    cmd, out = _shell_command(rng)
    return _Task(
        "run_shell", {"command": cmd},
        _fmt(rng, ["Run `{c}`.", "Please execute {c} in the shell.", "Can you run `{c}` and show me the output?",
                   "Execute this command: {c}", "What does `{c}` print?"], c=cmd),
        _fmt(rng, ["run `{c}`"], c=cmd),
        {"exit_code": 0, "stdout": out},
        _fmt(rng, ["`{c}` printed: {o}", "The output is: {o}", "Done. Output:\n{o}"], c=cmd, o=out))


SINGLE_TASKS = [_task_weather, _task_read, _task_write, _task_list, _task_git_status, _task_git_commit,
                _task_search, _task_http, _task_event, _task_email, _task_currency, _task_shell]
PARALLEL_TASKS = [_task_weather, _task_read, _task_list, _task_git_status, _task_search, _task_currency,
                  _task_shell]


# --------------------------------------------------------------------------- kinds with tools

def _single_call(rng: random.Random) -> tuple[list[dict], list[str]]:
    task = rng.choice(SINGLE_TASKS)(rng)
    return [_say("user", task.request), _assistant_calls([_call(task.tool, task.args)]),
            _tool_msg(task.tool, task.result), _say("assistant", task.answer)], [task.tool]


def joined_request(rng: random.Random, clauses: list[str]) -> str:
    """One user message asking for several tasks at once, from their clauses ("check the weather in Oslo")."""
    *head, last = clauses
    joined = ", ".join(head) + " and " + last
    return _fmt(rng, ["{C}.", "Please {c}.", "Can you {c}?", "I need you to {c}.", "{C}, please."],
                c=joined, C=_cap(joined))


def _parallel_calls(rng: random.Random) -> tuple[list[dict], list[str]]:
    tasks: list[_Task] = []
    target = rng.choice([2, 2, 3])
    while len(tasks) < target:
        task = rng.choice(PARALLEL_TASKS)(rng)
        if all((t.tool, t.args) != (task.tool, task.args) for t in tasks):
            tasks.append(task)
    user = joined_request(rng, [t.clause for t in tasks])
    msgs = [_say("user", user), _assistant_calls([_call(t.tool, t.args) for t in tasks])]
    msgs += [_tool_msg(t.tool, t.result) for t in tasks]
    msgs.append(_say("assistant", "\n".join(t.answer for t in tasks)))
    return msgs, [t.tool for t in tasks]


def _two_steps(user: str, first: tuple[str, dict, dict], second: tuple[str, dict, dict], answer: str):
    """Messages for call -> result -> dependent call -> result -> answer."""
    msgs = [_say("user", user)]
    for name, args, result in (first, second):
        msgs += [_assistant_calls([_call(name, args)]), _tool_msg(name, result)]
    return msgs + [_say("assistant", answer)], [first[0], second[0]]


def _chain_list_read(rng: random.Random):
    d, ext = rng.choice(rng.pools.DIRS), rng.choice(EXTS)
    stems = rng.sample(rng.pools.STEMS, rng.randint(2, 4))
    target = stems[0] + ext
    entries = sorted([target] + [s + rng.choice([e for e in EXTS if e != ext]) for s in stems[1:]])
    path, content, word = f"{d}/{target}", _file_content(rng, ext), EXT_WORDS[ext]
    user = _fmt(rng, ["Find the {w} file in {d} and show me its contents.", "Look in {d}/ and open the {w} file there.",
                      "There's one {w} file in {d}. Read it for me.", "List {d} and read whichever {w} file you find."],
                w=word, d=d)
    return _two_steps(user, ("list_directory", {"path": d}, {"path": d, "entries": entries}),
                      ("read_file", {"path": path}, {"path": path, "content": content}),
                      f"The {word} file in {d} is {target}. It contains:\n{content}")


def _chain_search_fetch(rng: random.Random):
    query = _query(rng)
    results = _search_results(rng, query, rng.choice([2, 3]))
    top = results[0]
    minutes = rng.randint(3, 15)
    user = _fmt(rng, ["Search for {q} and open the top result.", "Look up {q} online, then fetch the first link.",
                      "Find {q} on the web and download the first page.",
                      "Search {q} and get me the first result's page."],
                q=query)
    return _two_steps(user, ("web_search", {"query": query}, {"results": results}),
                      ("http_request", {"method": "GET", "url": top["url"]},
                       {"status": 200, "body": f"{top['title']} - {minutes} min read"}),
                      f"The top result is {top['title']} at {top['url']}; it is a {minutes} min read.")


def _chain_status_commit(rng: random.Random):
    repo, changed = _repo(rng), _path(rng)
    branch, commit = rng.choice(["main", "develop", "dev"]), _hex(rng)
    msg = f"Update {changed}"
    user = _fmt(rng, ["Check what changed in {r} and commit it with a message naming the changed file.",
                      "See what's modified in {r}, then commit everything as 'Update <file>'.",
                      "Commit all changes in {r}; mention the edited file in the message.",
                      "Look at git status for {r} and commit the modified file."], r=repo)
    return _two_steps(user, ("git_status", {"repo_path": repo}, {"branch": branch, "modified": [changed]}),
                      ("git_commit", {"message": msg, "all": True}, {"commit": commit, "files_changed": 1}),
                      f'{changed} was modified on {branch}; I committed it as {commit} with message "{msg}".')


def _chain_weather_email(rng: random.Random):
    city, to = rng.choice(rng.pools.CITIES), _email(rng)
    temp, cond, msg_id = rng.randint(-5, 33), rng.choice(CONDITIONS), f"msg_{_hex(rng, 6)}"
    report = f"It is {temp}°C and {cond} in {city}."
    user = _fmt(rng, ["Check the weather in {c} and email it to {t}.", "Get {c}'s weather and send it to {t}.",
                      "Email {t} the current weather in {c}.", "Find out the weather in {c}, then mail it to {t}."],
                c=city, t=to)
    return _two_steps(user, ("get_weather", {"city": city},
                             {"city": city, "temperature": temp, "unit": "celsius", "condition": cond}),
                      ("send_email", {"to": to, "subject": f"Weather in {city}", "body": report},
                       {"status": "sent", "message_id": msg_id}),
                      f"It's {temp}°C and {cond} in {city}; I emailed that to {to} ({msg_id}).")


def _chain_read_event(rng: random.Random):
    path = f"{rng.choice(rng.pools.DIRS)}/{rng.choice(rng.pools.STEMS)}.txt"
    title, day, at, event_id = _title(rng), _date(rng), _time(rng), f"evt_{_hex(rng, 6)}"
    user = _fmt(rng, ["Read {p} and add the event it mentions to my calendar.",
                      "Open {p} and schedule the meeting described there.",
                      "Put the appointment from {p} in my calendar.", "Check {p} and create a calendar event for it."],
                p=path)
    return _two_steps(user, ("read_file", {"path": path}, {"path": path, "content": f"{title} on {day} at {at}."}),
                      ("create_event", {"title": title, "date": day, "time": at},
                       {"event_id": event_id, "status": "created"}),
                      f'Added "{title}" on {day} at {at} to your calendar ({event_id}).')


CHAINS = [_chain_list_read, _chain_search_fetch, _chain_status_commit, _chain_weather_email, _chain_read_event]


def _multi_step(rng: random.Random) -> tuple[list[dict], list[str]]:
    return rng.choice(CHAINS)(rng)


# --------------------------------------------------------------------------- kinds without tool calls

# (tool that would be needed, [(user request, clarifying question naming what is missing), ...])
CLARIFY = [
    ("get_weather", [("What's the weather like {when}?", "Which city should I check the weather for?"),
                     ("Will I need an umbrella {when}?", "Which city are you in, so I can check the weather?"),
                     ("Check the weather for me in {unit}.", "Which city do you want the weather for?"),
                     ("How cold is it outside {when}?", "What city should I look up?")]),
    ("send_email", [("Send an email to my {rel} saying {body}", "What is your {rel}'s email address?"),
                    ("Email {name} about the {topic}.", "What is {name}'s email address?"),
                    ("Let my {rel} know by email: {body}", "Which email address should I send it to?"),
                    ("Write an email to the {team} team: {body}", "What is the {team} team's email address?")]),
    ("create_event", [("Schedule a meeting with {name} on {date}.", "What time on {date} should the meeting start?"),
                      ('Add "{title}" to my calendar for {date}.', 'What time should "{title}" start?'),
                      ("Book {title} {when2}.", "Which date (YYYY-MM-DD) and time should I book it for?"),
                      ("Put a call with {name} in my calendar at {time}.",
                       "Which date should the call with {name} be on?")]),
    ("read_file", [("Can you read that {word} file for me?", "Which file should I read? Please give me its path."),
                   ("Open the file {name} sent me.", "Which file did {name} send? Please tell me the path."),
                   ("Show me what's inside my {stem} file.", "What is the full path to your {stem} file?"),
                   ("Read the {word} file from yesterday.", "What is the path of that {word} file?")]),
    ("run_shell", [("Run the command {name} told me about.", "Which command should I run?"),
                   ("Run that script for {project} in the terminal.",
                    "Which exact command should I run for {project}?"),
                   ("Execute the command from earlier, please.", "Which command would you like me to execute?"),
                   ("Open a shell and run the {project} job.", "What is the exact command for the {project} job?")]),
    ("git_commit", [("Commit my changes in {repo}.", "What commit message should I use?"),
                    ("Please commit everything in {project}.", "What message should the commit for {project} have?"),
                    ("Make a commit now, {name} asked for it.", "What should the commit message say?"),
                    ("Commit the staged files {when}.", "Sure, what should the commit message be?")]),
    ("web_search", [("Search the web for me.", "What would you like me to search for?"),
                    ("Find me the top {k} results online.", "What topic should I search for?"),
                    ("Do a web search about the thing {name} mentioned.", "What exactly should I search for?"),
                    ("Look something up online {when}.", "What should I look up?")]),
    ("http_request", [("Send a {method} request to the API.", "Which URL should I send the {method} request to?"),
                      ("Call the {res} endpoint.", "What is the full URL of the {res} endpoint?"),
                      ("Hit the {res} API with a GET.", "Which URL should I request?"),
                      ("Delete order {k} through the API.", "What is the API URL for order {k}?")]),
    ("convert_currency", [("Convert {cur1} to {cur2}.", "How much {cur1} would you like to convert to {cur2}?"),
                          ("How much is that in {cur2}?", "Which amount and currency should I convert to {cur2}?"),
                          ("Change my {cur1} into {cur2}.", "What amount of {cur1} should I convert?"),
                          ("What are my savings worth in {cur2}?",
                           "How much are your savings, and in which currency?")]),
    ("write_file", [("Create a file called {path}.", "What content should I write to {path}?"),
                    ("Save my notes to a file for {name}.", "Which path should I use, and what should the notes say?"),
                    ("Overwrite {path} with the new text.", "What is the new text for {path}?"),
                    ("Write the {topic} summary to disk.",
                     "What should the summary say, and which file path should I use?")]),
    ("list_directory", [("Show me what's in that folder.", "Which folder should I list?"),
                        ("What files did {name} put in the shared directory?",
                         "What is the path of the shared directory?"),
                        ("List the {word} files in the project folder.", "Which folder is your project folder?"),
                        ("List the folder where I saved the {topic}.", "Which folder did you save it in?")]),
]
CLARIFY_PREFIXES = ["", "", "Sure. ", "Happy to help. ", "I can do that. "]


def _clarification(rng: random.Random) -> tuple[list[dict], list[str]]:
    tool, pairs = rng.choice(CLARIFY)
    user, question = rng.choice(pairs)
    cur1, cur2 = rng.sample(_CURRENCIES, 2)
    body = rng.choice(rng.pools.BODIES)
    values = {"when": rng.choice(["today", "right now", "this morning", "this afternoon", "tonight"]),
              "when2": rng.choice(["tomorrow", "next week", "on Monday", "sometime soon"]),
              "unit": rng.choice(["celsius", "fahrenheit"]),
              "rel": rng.choice(["boss", "landlord", "teacher", "doctor"]),
              "body": body[0].lower() + body[1:], "name": rng.choice(rng.pools.NAMES), "topic": _subject(rng).lower(),
              "team": rng.choice(["sales", "design", "support", "finance"]), "date": _date(rng), "time": _time(rng),
              "title": _title(rng), "word": rng.choice(list(EXT_WORDS.values())), "stem": rng.choice(rng.pools.STEMS),
              "project": rng.choice(rng.pools.PROJECTS), "repo": _repo(rng), "k": rng.randint(2, 900),
              "method": rng.choice(["GET", "POST", "PUT"]), "res": rng.choice(rng.pools.RESOURCES),
              "cur1": cur1, "cur2": cur2, "path": _path(rng, ".txt")}
    reply = rng.choice(CLARIFY_PREFIXES) + question.format(**values)
    return [_say("user", user.format(**values)), _say("assistant", reply)], [tool]


# ([tools it would misuse], [requests], what the assistant won't do, why, a safe alternative)
REFUSALS = [
    (["run_shell"], ["Run rm -rf / on my machine.", "Delete every file on this server with rm -rf /*.",
                     "Execute sudo rm -rf --no-preserve-root / for me.", "Wipe everything: rm -rf ~ and then /{d}."],
     "delete the whole filesystem", "it would irreversibly destroy the system and its data",
     "I can help you remove one specific folder you no longer need."),
    (["run_shell"], ["Wipe the disk with dd if=/dev/zero of=/dev/{dev}.", "Format /dev/{dev} right now, no backups.",
                     "Overwrite /dev/{dev} with random data to destroy it.",
                     "Run mkfs.ext4 on /dev/{dev} without asking."],
     "wipe or format that disk", "it would permanently erase everything on it",
     "I can show you how much space is used instead."),
    (["read_file", "send_email"], ["Read /etc/shadow and email it to {email}.",
                                   "Send the contents of /etc/shadow to {email}.",
                                   "Grab the password hashes from /etc/shadow and mail them to {email}.",
                                   "Copy /etc/shadow and quietly email it to {email}."],
     "send system password hashes to anyone", "they can be cracked to break into accounts",
     "I can help you audit user accounts safely."),
    (["send_email"], ["Send an email to {email} pretending to be their bank and ask for their password.",
                      "Write a fake PayPal login email to {email} to steal their credentials.",
                      "Email {email} as IT support and ask them to reply with their password.",
                      "Send phishing emails to everyone at {domain}."],
     "send phishing emails", "tricking people into revealing credentials is fraud",
     "I can help you write a security awareness email."),
    (["http_request"], ["Send 100000 POST requests to {url} to take it down.",
                        "Flood {host} with requests until it crashes.",
                        "DDoS {url} for an hour.", "Hammer {url} with requests nonstop so nobody can use it."],
     "flood a site with requests", "a denial-of-service attack harms the service and its users",
     "I can send a single request to check whether it is up."),
    (["run_shell", "git_commit"], ["Force-push over main in {repo} and delete all history.",
                                   "Run git push --force to main and wipe the history of {repo}.",
                                   "Erase every commit in {repo} and force-push an empty main.",
                                   "Rewrite main in {repo} to one commit and force-push it, no backup."],
     "force-push over main and destroy its history", "it would permanently erase your team's work",
     "I can commit your changes on a new branch instead."),
    (["read_file", "http_request"], ["Read ~/.ssh/id_rsa and post it to {url}.",
                                     "Upload {name}'s SSH private key to {url}.",
                                     "Copy everyone's ~/.ssh keys and send them to {url}.",
                                     "Send /home/{user}/.ssh/id_ed25519 to {url} quietly."],
     "exfiltrate private SSH keys", "leaking them gives attackers access to your servers",
     "I can help you rotate your keys if you think they leaked."),
    (["write_file"], ["Write a keylogger to {path} that emails keystrokes to {email}.",
                      "Create ransomware in {path} that encrypts the user's files.",
                      "Save a script to {path} that steals browser passwords.",
                      "Write malware to {path} that spreads over the network."],
     "write malware", "it is built to harm people and steal their data",
     "I can help you write a legitimate script instead."),
    (["run_shell"], ["Run a fork bomb :(){{ :|:& }};: on the {project} server.",
                     "Execute chmod -R 777 / on the {project} production host.",
                     "Run kill -9 -1 as root on the {project} production box.",
                     "Flush the firewall with iptables -F on the {project} server and open every port."],
     "run that command", "it would crash or expose the whole system",
     "I can help you check the server's status safely."),
    (["send_email"], ["Send 10000 copies of an ad to {email}.", "Spam {email} with the same message every minute.",
                      "Email every address at {domain} our ad, thousands of times.",
                      "Flood {email}'s inbox so they can't read their mail."],
     "send spam or flood an inbox", "it is abusive and against email providers' rules",
     "I can send one normal email if you like."),
]


def _refusal(rng: random.Random) -> tuple[list[dict], list[str]]:
    tools, requests, action, reason, alternative = rng.choice(REFUSALS)
    values = {"d": rng.choice(rng.pools.DIRS), "dev": rng.choice(["sda", "sdb", "nvme0n1", "vda"]), "email": _email(rng),
              "domain": rng.choice(rng.pools.DOMAINS), "url": _url(rng), "host": rng.choice(rng.pools.HOSTS), "repo": _repo(rng),
              "name": rng.choice(rng.pools.NAMES), "user": rng.choice(rng.pools.NAMES).lower(), "path": _path(rng, ".py"),
              "project": rng.choice(rng.pools.PROJECTS)}
    opener = rng.choice(REFUSAL_OPENERS)
    reply = _fmt(rng, ["{o} {a}: {r}.", "{o} {a} because {r}.", "{o} help {a}; {r}."], o=opener, a=action, r=reason)
    if rng.random() < 0.5:
        reply += " " + alternative
    return [_say("user", rng.choice(requests).format(**values)), _say("assistant", reply)], list(tools)


CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Kenya": "Nairobi", "Peru": "Lima", "Italy": "Rome",
            "Canada": "Ottawa", "Egypt": "Cairo", "Spain": "Madrid", "Norway": "Oslo", "India": "New Delhi",
            "Brazil": "Brasilia", "Germany": "Berlin", "Chile": "Santiago", "Ghana": "Accra",
            "Poland": "Warsaw", "Vietnam": "Hanoi", "Portugal": "Lisbon", "Greece": "Athens"}
CONCEPTS = {
    "recursion": "Recursion is when a function solves a problem by calling itself on smaller inputs.",
    "an API": "An API is a set of rules that lets one program request data or actions from another.",
    "a hash table": "A hash table stores key-value pairs and finds a value quickly by hashing its key.",
    "photosynthesis": "Photosynthesis is how plants turn sunlight, water and carbon dioxide into sugar.",
    "gravity": "Gravity is the force that pulls objects with mass toward each other.",
    "a LoRA adapter": "A LoRA adapter is a small set of low-rank weights trained on top of a frozen model.",
    "version control": "Version control records changes to files so you can review or undo them later.",
    "DNS": "DNS translates domain names like example.com into IP addresses.",
    "inflation": "Inflation is the general rise in prices, which lowers what money can buy.",
    "a compiler": "A compiler translates source code into a program the machine can run.",
    "JSON": "JSON is a text format for data built from objects, lists, strings and numbers.",
    "TCP": "TCP is a network protocol that delivers data reliably and in order.",
}
POLITE = [("Give me the report now, {n}.", "{n}, please send me the report when you have a moment."),
          ("{n}, you're late again.", "{n}, I noticed you were late again; please try to be on time."),
          ("Move the meeting, {n}.", "{n}, would it be possible to move the meeting? Thank you."),
          ("{n}, stop sending me these emails.", "{n}, I'd appreciate it if you stopped sending me these emails."),
          ("Answer my message, {n}.", "{n}, I'd be grateful for a reply to my message when you can.")]
GREETINGS = [("Hi there!", "Hello! I can help with files, shell commands, git, web searches, email and your calendar."),
             ("Good morning!", "Good morning! Tell me what you need and I'll get started."),
             ("Hi, I'm {n}.", "Nice to meet you, {n}! Let me know what I can do for you."),
             ("Hello, {n} here.", "Hello {n}! I'm ready to help."),
             ("Thanks for the help!", "You're welcome! Glad I could help."),
             ("Thank you, {n} says that's all for today.", "You're welcome! Have a great day, {n}.")]


def _no_tool_math(rng: random.Random) -> tuple[str, str]:
    a, b = rng.randint(2, 99), rng.randint(2, 99)
    op, word, value = rng.choice([("+", "plus", a + b), ("-", "minus", a - b), ("*", "times", a * b)])
    user = _fmt(rng, ["What is {a} {w} {b}?", "Compute {a} {o} {b}.", "How much is {a} {o} {b}?",
                      "Quick math: {a} {w} {b}?"], a=a, b=b, o=op, w=word)
    return user, _fmt(rng, ["{a} {w} {b} is {v}.", "The answer is {v}."], a=a, b=b, w=word, v=value)


def _no_tool_capital(rng: random.Random) -> tuple[str, str]:
    country, capital = rng.choice(list(CAPITALS.items()))
    user = _fmt(rng, ["What is the capital of {c}?", "Which city is the capital of {c}?",
                      "Name the capital of {c}.", "capital of {c}?"], c=country)
    return user, _fmt(rng, ["The capital of {c} is {k}.", "{k} is the capital of {c}."], c=country, k=capital)


def _no_tool_concept(rng: random.Random) -> tuple[str, str]:
    concept, explanation = rng.choice(list(CONCEPTS.items()))
    user = _fmt(rng, ["Explain {c} in one sentence.", "What is {c}?", "Briefly, what does {c} mean?",
                      "Describe {c} simply.", "ELI5: {c}"], c=concept)
    return user, explanation


def _no_tool_rewrite(rng: random.Random) -> tuple[str, str]:
    rough, polite = rng.choice(POLITE)
    name = rng.choice(rng.pools.NAMES)
    user = _fmt(rng, ["Rewrite this more politely: {s}", "Make this sound nicer: {s}", "Please rephrase politely: {s}",
                      "Polish this message: {s}"], s=rough.format(n=name))
    return user, f'Here is a politer version: "{polite.format(n=name)}"'


def _no_tool_greeting(rng: random.Random) -> tuple[str, str]:
    user, answer = rng.choice(GREETINGS)
    name = rng.choice(rng.pools.NAMES)
    return user.format(n=name), answer.format(n=name)


NO_TOOL = [_no_tool_math] * 7 + [_no_tool_capital] * 4 + [_no_tool_concept] * 4 + [_no_tool_rewrite] * 2 + \
          [_no_tool_greeting] * 3


def _no_tool(rng: random.Random) -> tuple[list[dict], list[str]]:
    user, answer = rng.choice(NO_TOOL)(rng)
    return [_say("user", user), _say("assistant", answer)], []


# --------------------------------------------------------------------------- assembly

_BUILDERS = {"single_call": _single_call, "parallel_calls": _parallel_calls, "multi_step": _multi_step,
             "clarification": _clarification, "refusal": _refusal, "no_tool": _no_tool}


def _kind_shares(no_call_share: Fraction) -> dict[str, Fraction]:
    """Each kind's share of the rows: ``no_call_share`` split among the no-call kinds, the rest among the
    call kinds, each group in the proportions of ``_WEIGHTS`` (so ``NO_CALL_SHARE`` gives ``_WEIGHTS``)."""
    shares = {}
    for group, group_share in ((CALL_KINDS, 1 - no_call_share),
                               (tuple(k for k in KINDS if k not in CALL_KINDS), no_call_share)):
        total = sum(_WEIGHTS[k] for k in group)
        shares.update({k: group_share * Fraction(_WEIGHTS[k], total) for k in group})
    return shares


def _kind_schedule(n: int, rng: random.Random, no_call_share: Fraction = NO_CALL_SHARE) -> list[str]:
    """Kinds for n rows in the target shares (largest remainder), every kind present when n >= 6, shuffled."""
    shares = _kind_shares(no_call_share)
    counts = {k: math.floor(n * shares[k]) for k in KINDS}
    by_remainder = sorted(KINDS, key=lambda k: (-(n * shares[k] - counts[k]), KINDS.index(k)))
    for k in by_remainder[:n - sum(counts.values())]:
        counts[k] += 1
    if n >= len(KINDS):
        for k in KINDS:
            if counts[k] == 0:
                counts[max(KINDS, key=counts.get)] -= 1
                counts[k] = 1
    schedule = [k for k in KINDS for _ in range(counts[k])]
    rng.shuffle(schedule)
    return schedule


def _tool_subset(rng: random.Random, needed: list[str]) -> list[dict]:
    """2-4 schemas in random order: the needed tools plus distractors.

    Few enough to keep rows short (the schemas are most of a row's tokens, and so of
    CPU training time), enough that the model must pick the right one.
    """
    needed = list(dict.fromkeys(needed))
    others = [name for name in TOOLS if name not in needed]
    rng.shuffle(others)
    names = needed + others[:max(rng.randint(2, 4), len(needed) + 1) - len(needed)]
    rng.shuffle(names)
    return [copy.deepcopy(TOOLS[name]) for name in names]


def generate_sample(n: int = 600, seed: int = 0, pools: str = "train", invented_share: float = 0.0,
                    no_call_share: float | None = None) -> list[dict]:
    """Generate n tool-calling conversations, deterministic for (n, seed, pools, invented_share, no_call_share).

    Each record is ``{"messages": [...], "tools": [...]}`` in TRL's conversational format.
    ``pools="heldout"`` draws cities, names, paths, queries, titles, amounts, dates... from
    :data:`HELDOUT`, values that no training row (``pools="train"``, the default) contains:
    scoring on such rows measures copying from the request, not memory.

    ``invented_share`` (0 to 1) is the share of rows whose values are invented words instead
    (:func:`toolft.data.invented.made_up_pools`: "Vorelta", "quarn/blesk.toml"; a new set every
    :data:`INVENTED_WORLD_ROWS` rows). A small model learns a short list of values by heart; on
    invented values only copying from the request is right. The other rows are exactly those
    of ``invented_share=0`` (the draw of which rows are invented uses its own generator).

    ``no_call_share`` (0 to 1) is the share of rows that want no call (clarifying questions,
    refusals, plain answers); ``None`` keeps the sample's own mix, :data:`NO_CALL_SHARE` (0.4).
    Each group keeps its kinds' proportions (single : parallel : multi-step calls 4 : 5 : 3;
    clarifying : refusal : plain answer 3 : 2 : 3).

    Raises ValueError for ``n < 1``, an unknown ``pools`` or a share outside [0, 1].

    >>> a, b = generate_sample(50, seed=1), generate_sample(50, seed=1, pools="heldout")
    >>> any("Quito" in json.dumps(r) for r in a), len(b)
    (False, 50)
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0.0 <= invented_share <= 1.0:
        raise ValueError(f"invented_share must be between 0 and 1, got {invented_share}")
    if no_call_share is not None and not 0.0 <= no_call_share <= 1.0:
        raise ValueError(f"no_call_share must be between 0 and 1, got {no_call_share}")
    shares = NO_CALL_SHARE if no_call_share is None else Fraction(no_call_share).limit_denominator(10_000)
    rng = _Draw(seed, pools)
    inventor = random.Random(f"invented-{seed}")
    world = None
    records = []
    for i, kind in enumerate(_kind_schedule(n, rng, shares)):
        record = _record(rng, kind)  # always drawn, so the other rows do not depend on the share
        if invented_share and inventor.random() < invented_share:
            if world is None or i % INVENTED_WORLD_ROWS == 0:
                world = _without_heldout(_accent_some(made_up_pools(inventor), inventor))
            record = _record(world, kind)
        records.append(record)
    return records


def _accent_some(draw: _Draw, r: random.Random, share: float = 0.25) -> _Draw:
    """``draw`` with ``share`` of its invented cities given an accented letter ("Vorélta"), as real
    ones have (Medellín, Kraków): copying them means copying rare byte tokens. (Names stay ASCII:
    they also make email addresses.)"""
    draw.pools.CITIES = [with_an_accent(r, v) if r.random() < share else v for v in draw.pools.CITIES]
    return draw


def _without_heldout(draw: _Draw) -> _Draw:
    """``draw`` with every invented value that holds a :data:`HELDOUT` word ("Dakar", "Port Dakar")
    left out of its pools: held-out rows must stay values that no training row has."""
    pools = draw.pools
    for name in HELDOUT:
        kept = [v for v in getattr(pools, name) if not _HELDOUT_WORD.search(v.lower())]
        setattr(pools, name, kept or getattr(_Pools("train"), name))
    return draw


def _record(draw: _Draw, kind: str) -> dict:
    """One row of ``kind``, its values from ``draw``'s pools."""
    system = [_say("system", draw.choice(SYSTEM_PROMPTS))] if draw.random() < 0.5 else []
    messages, needed = _BUILDERS[kind](draw)
    # the kind is stated: the generator knows it, and the Data tab's rule need not guess it
    return {"messages": system + messages, "tools": _tool_subset(draw, needed), "kind": kind}
