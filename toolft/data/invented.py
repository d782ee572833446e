"""Invented values: cities, names, paths, queries... that no dataset and no pre-training text holds.

A small model fine-tuned on a few hundred rows learns a short list of cities by heart and
answers "Prague" for any city it has not seen (issue 5; bench/tiny_copying.md). Rows whose
values are invented afresh ("What's the weather in Vorelta?") give it only one way to be
right: copy the value from the request. tiny-qwen3's pre-training draws its copy tasks from
here, and the bundled sample can mix such rows in (``generate_sample(invented_share=...)``).

Everything is drawn from the ``random.Random`` passed in: deterministic, offline.
"""

from __future__ import annotations

import random

WORDS = ["apple", "river", "stone", "cloud", "lamp", "garden", "rocket", "violin", "forest", "pixel",
         "silver", "harbor", "candle", "meadow", "engine", "falcon", "copper", "island", "velvet", "tunnel",
         "report", "budget", "server", "notes", "config", "backup", "photos", "draft", "invoice", "logs"]
DIRS = ["src", "docs", "data", "notes", "tests", "config", "scripts", "reports"]
_ONSETS = ["b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr", "st", "ch",
           "sh", "kr", "pl", "gr", "th", "qu", "w", "y", "j", "c", "dr"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ea", "io", "y"]
_CODAS = ["", "", "", "n", "r", "s", "l", "m", "k", "t", "nd", "st", "rg", "x"]
_EXTS = ["py", "md", "txt", "json", "yaml", "csv", "log", "toml", "js", "ts", "rs", "go", "html", "sql", "ini"]


def made_up_word(r: random.Random, syllables: tuple[int, int] = (1, 3)) -> str:
    """A pronounceable made-up word ("vorelta"); tokenized into pieces like any rare name."""
    return "".join(r.choice(_ONSETS) + r.choice(_VOWELS) + r.choice(_CODAS)
                   for _ in range(r.randint(*syllables)))


_ACCENTED = {"a": "áàãä", "e": "éèë", "i": "íï", "o": "óöøõ", "u": "úü", "n": "ñ", "c": "ç"}


def with_an_accent(r: random.Random, value: str) -> str:
    """``value`` with one letter accented ("Vorelta" -> "Vorélta"), or unchanged if none can be.

    Real names carry letters outside ASCII (Medellín, Tromsø, Kraków). A byte-level tokenizer
    splits such a letter into two rare byte tokens, which a model copies only if it has seen
    such tokens copied; made-up ASCII words never show it one.
    """
    spots = [i for i, ch in enumerate(value) if ch.lower() in _ACCENTED]
    if not spots:
        return value
    i = r.choice(spots)
    accented = r.choice(_ACCENTED[value[i].lower()])
    return value[:i] + (accented.upper() if value[i].isupper() else accented) + value[i + 1:]


def made_up_value(r: random.Random, kind: str):
    """A random value of one kind (city, path, number...) for copy and extraction tasks."""
    word = lambda: made_up_word(r)  # noqa: E731
    if kind == "city":
        name = word().capitalize()
        return name if r.random() < 0.75 else f"{r.choice(['San', 'New', 'Port', 'Lake', word().capitalize()])} {name}"
    if kind == "name":
        return word().capitalize()
    if kind == "path":
        parts = [r.choice([word(), r.choice(WORDS), r.choice(DIRS)]) for _ in range(r.randint(1, 3))]
        return "/".join(parts) + (f".{r.choice(_EXTS)}" if r.random() < 0.8 else "")
    if kind == "folder":
        return "/".join(r.choice([word(), r.choice(DIRS)]) for _ in range(r.randint(1, 2)))
    if kind == "integer":
        return r.choice([r.randint(1, 99), r.randint(100, 9999), r.randint(10, 500) * 10])
    if kind == "amount":
        return r.choice([r.randint(1, 5000), round(r.uniform(1, 999), 2), r.randint(1, 90) * 50])
    if kind == "date":
        return f"20{r.randint(24, 31)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
    if kind == "time":
        return f"{r.randint(0, 23):02d}:{r.choice(['00', '05', '10', '15', '20', '30', '40', '45', '50'])}"
    if kind == "email":
        return f"{word()}{r.choice(['', '.', '_'])}{word() if r.random() < 0.4 else ''}@{word()}.{r.choice(['com', 'org', 'io', 'net', 'dev'])}"
    if kind == "url":
        return f"https://{r.choice(['api.', 'www.', ''])}{word()}.{r.choice(['com', 'io', 'org'])}/{word()}" + (
            f"/{r.randint(1, 999)}" if r.random() < 0.5 else "")
    if kind == "code":
        return r.choice(["USD", "EUR", "GBP", "JPY", "SEK", "NOK", "MXN", "BRL", "ZAR", "KRW", "PLN", "TRY"])
    if kind == "title":
        words = [r.choice(WORDS + [word()]) for _ in range(r.randint(1, 4))]
        return " ".join(words).capitalize()
    if kind == "text":
        return " ".join(r.choice(WORDS + [word(), word()]) for _ in range(r.randint(2, 7))).capitalize() + r.choice([".", "!", ""])
    if kind == "command":
        return r.choice([f"ls -la {made_up_value(r, 'folder')}", f"cat {made_up_value(r, 'path')}",
                         f"grep -rn {word()} {made_up_value(r, 'folder')}", f"python {word()}.py",
                         f"echo {word()}", f"mkdir -p {made_up_value(r, 'folder')}", f"wc -l {made_up_value(r, 'path')}",
                         f"git log -n {r.randint(1, 20)}", f"npm run {word()}", f"du -sh {made_up_value(r, 'folder')}"])
    raise ValueError(kind)


def made_up_pools(r: random.Random):
    """A sample ``_Draw`` whose value pools are all made up (syllable cities, random paths, ...).

    Rows drawn with it have the sample's phrasings but values no dataset has, train or
    held-out: what the base learns from them is to copy, not to recall.
    """
    from datetime import date

    from toolft.data.sample import _Draw

    draw = _Draw(r.random())
    word = lambda: made_up_word(r)  # noqa: E731
    pools = draw.pools
    pools.CITIES = [made_up_value(r, "city") for _ in range(50)]
    pools.NAMES = [word().capitalize() for _ in range(25)]
    pools.DOMAINS = [f"{word()}.{r.choice(['com', 'io', 'org', 'net', 'dev'])}" for _ in range(12)]
    pools.DIRS = [word() for _ in range(25)]
    pools.STEMS = [word() for _ in range(25)]
    pools.PROJECTS = [f"{word()}{r.choice(['', '-' + word()])}" for _ in range(12)]
    pools.TOPICS = [f"{word()} {r.choice(WORDS + [word()])}" for _ in range(37)]
    pools.SITES = [f"{word()}.{r.choice(['com', 'org', 'io'])}" for _ in range(12)]
    pools.HOSTS = [f"api.{word()}.{r.choice(['com', 'io'])}" for _ in range(12)]
    pools.RESOURCES = [word() for _ in range(12)]
    pools.COMMIT_OBJECTS = [f"{word()} {r.choice(WORDS + [word()])}" for _ in range(37)]
    pools.EVENT_TITLES = [f"{word().capitalize()} {r.choice(WORDS + [word()])}" + r.choice(["", " with {n}"])
                          for _ in range(37)]
    pools.SUBJECTS = [f"{word().capitalize()} {r.choice(WORDS + [word()])}" for _ in range(25)]
    pools.BODIES = [made_up_value(r, "text") for _ in range(37)]
    pools.TASKS = [f"{r.choice(['buy', 'fix', 'call', 'send', 'clean'])} the {word()}" for _ in range(12)]
    pools.PACKAGES = [word() for _ in range(12)]
    pools.FIRST_DAY = date(r.randint(2024, 2031), 1, 1)
    high = r.choice([99, 999, 9999, 99999])
    pools.AMOUNTS = ((1, high), (1, max(high // 10, 9)))
    return draw
