"""Tool-free chat conversations that teach the tiny base model to be a small chatbot.

The tiny base must behave like a small chat model that has never seen tools, so
that LoRA fine-tuning visibly teaches tool calling. Its pre-training corpus
therefore has *no* tool schemas and no ``<tool_call>`` blocks, but it does teach
the skills tool calling builds on:

* the chat layout itself (system / user / assistant turns, stopping at ``<|im_end|>``);
* copying text from the prompt ("Repeat exactly: ...") so induction heads form;
* writing small JSON objects from key/value requests;
* answering "how do I list files?" in *prose* (what a base model does before it
  learns to call tools);
* reading and writing JSON Schema function descriptions, as any base model has seen
  in code and API docs. The functions are made up from word pools, and there is
  never a tools system prompt, a ``<tool_call>`` block or a tool result.

Everything is generated from templates with ``random.Random(seed)``: deterministic,
offline, no downloads.

>>> convs = chat_corpus(3, seed=0); [m["role"] for m in convs[0]][-1]
'assistant'
"""

from __future__ import annotations

import json
import random

from toolft.data.invented import DIRS, WORDS, made_up_pools, made_up_value

NAMES = ["Alice", "Bob", "Carla", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivan", "Jun",
         "Kofi", "Lena", "Marco", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq"]
CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Kenya": "Nairobi", "Peru": "Lima", "Italy": "Rome",
            "Canada": "Ottawa", "Egypt": "Cairo", "Spain": "Madrid", "Norway": "Oslo", "India": "New Delhi",
            "Brazil": "Brasilia", "Germany": "Berlin", "Chile": "Santiago", "Ghana": "Accra",
            "Poland": "Warsaw", "Vietnam": "Hanoi", "Portugal": "Lisbon", "Greece": "Athens"}
CITIES = ["London", "Paris", "Tokyo", "Berlin", "Madrid", "Oslo", "Cairo", "Lima", "Sydney", "Toronto",
          "Seoul", "Dublin", "Prague", "Vienna", "Nairobi", "Austin", "Denver", "Boston", "Mumbai", "Rome"]
EXTS = ["py", "txt", "md", "json", "csv", "yaml", "log", "js"]
SYSTEMS = ["You are a helpful assistant.", "You are a friendly chatbot.",
           "You are a concise assistant. Answer briefly.", "You are a helpful, honest assistant."]
HOWTO = [
    ("list the files in a folder", "On Linux or macOS you can run ls in a terminal; on Windows, dir does the same."),
    ("check the status of a git repository", "Open a terminal in the repository and run git status. It shows changed and staged files."),
    ("read a text file", "You can open it in any text editor, or print it in a terminal with cat followed by the file name."),
    ("search the web", "Open a browser, go to a search engine and type a few keywords that describe what you want."),
    ("check the weather", "A weather website or a phone app will show the forecast for your city."),
    ("send an email", "Open your mail program, write the address, a subject and your message, then press send."),
    ("make a calendar event", "In your calendar app, pick the day, choose a time and give the event a title."),
    ("commit my changes in git", "Stage the files with git add, then run git commit with a short message."),
    ("call a web API", "You send an HTTP request to its URL, for example with curl, and read the JSON it returns."),
    ("convert dollars to euros", "Multiply the amount by the current exchange rate, which a bank or news site lists."),
    ("write to a file", "Open the file in an editor, type the text and save it."),
    ("run a shell command", "Open a terminal, type the command and press Enter."),
]
CONCEPTS = [
    ("a variable", "A variable is a name that holds a value, so a program can use it later."),
    ("an API", "An API is a set of rules that lets one program ask another program for data or actions."),
    ("JSON", "JSON is a text format for data, made of objects with keys and values, and lists."),
    ("a function", "A function is a named piece of code that takes inputs and returns a result."),
    ("the cloud", "The cloud means computers in data centers that you use over the internet."),
    ("a database", "A database stores data in an organized way so it can be searched and updated."),
    ("photosynthesis", "Photosynthesis is how plants use sunlight, water and carbon dioxide to make sugar."),
    ("gravity", "Gravity is the force that pulls objects with mass toward each other."),
    ("a byte", "A byte is eight bits, enough to store one small number or one letter."),
    ("recursion", "Recursion is when a function solves a problem by calling itself on a smaller part of it."),
]


def _conv_greeting(r: random.Random) -> list[dict]:
    name = r.choice(NAMES)
    user = r.choice([f"Hi, I am {name}.", f"Hello! My name is {name}.", f"Hey there, {name} here.",
                     "Good morning!", "Hi, how are you?"])
    answer = r.choice(["Hello! How can I help you today?", "Hi! Nice to meet you. What can I do for you?",
                       "Hello! I am doing well, thank you. How can I help?"])
    if name in user:
        answer = answer.replace("Hello!", f"Hello {name}!").replace("Hi!", f"Hi {name}!")
    return [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]


def _conv_capital(r: random.Random) -> list[dict]:
    country, capital = r.choice(list(CAPITALS.items()))
    user = r.choice([f"What is the capital of {country}?", f"Which city is the capital of {country}?",
                     f"Tell me the capital of {country}.", f"capital of {country}?"])
    return [{"role": "user", "content": user},
            {"role": "assistant", "content": f"The capital of {country} is {capital}."}]


def _conv_math(r: random.Random) -> list[dict]:
    a, b = r.randint(2, 99), r.randint(2, 99)
    op, word, value = r.choice([("+", "plus", a + b), ("-", "minus", a - b), ("*", "times", a * b)])
    user = r.choice([f"What is {a} {word} {b}?", f"Compute {a} {op} {b}.", f"How much is {a} {op} {b}?"])
    return [{"role": "user", "content": user}, {"role": "assistant", "content": f"{a} {word} {b} is {value}."}]


def _random_text(r: random.Random) -> str:
    kind = r.randrange(4)
    if kind == 0:
        return " ".join(r.choice(WORDS) for _ in range(r.randint(2, 6)))
    if kind == 1:
        return f"{r.choice(DIRS)}/{r.choice(WORDS)}.{r.choice(EXTS)}"
    if kind == 2:
        return f"{r.choice(NAMES).lower()}{r.randint(1, 99)}@example.{r.choice(['com', 'org', 'net'])}"
    return f"{r.choice(WORDS)}-{r.randint(100, 9999)}"


def _conv_copy(r: random.Random) -> list[dict]:
    text = _random_text(r)
    user = r.choice([f"Repeat exactly: {text}", f"Say this back to me: {text}", f"Echo: {text}",
                     f"Please copy this text: {text}"])
    return [{"role": "user", "content": user}, {"role": "assistant", "content": text}]


def _json_pairs(r: random.Random) -> dict:
    pool = {"name": lambda: r.choice(NAMES), "age": lambda: r.randint(3, 90), "city": lambda: r.choice(CITIES),
            "path": lambda: f"{r.choice(DIRS)}/{r.choice(WORDS)}.{r.choice(EXTS)}", "count": lambda: r.randint(1, 50),
            "title": lambda: f"{r.choice(WORDS)} {r.choice(WORDS)}", "active": lambda: r.choice([True, False]),
            "query": lambda: f"{r.choice(WORDS)} {r.choice(WORDS)}", "unit": lambda: r.choice(["celsius", "fahrenheit"])}
    keys = r.sample(sorted(pool), r.randint(1, 3))
    return {k: pool[k]() for k in keys}


def _conv_json(r: random.Random) -> list[dict]:
    obj = _json_pairs(r)
    spec = ", ".join(f"{k} {json.dumps(v) if not isinstance(v, str) else v}" for k, v in obj.items())
    user = r.choice([f"Write a JSON object with {spec}.", f"Give me JSON with {spec}.",
                     f"Format as JSON: {spec}", f"Make a JSON object: {spec}"])
    return [{"role": "user", "content": user}, {"role": "assistant", "content": json.dumps(obj)}]


def _conv_howto(r: random.Random) -> list[dict]:
    task, answer = r.choice(HOWTO)
    user = r.choice([f"How do I {task}?", f"How can I {task}?", f"What is the best way to {task}?",
                     f"Can you tell me how to {task}?"])
    return [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]


def _conv_concept(r: random.Random) -> list[dict]:
    thing, answer = r.choice(CONCEPTS)
    user = r.choice([f"What is {thing}?", f"Explain {thing} in one sentence.", f"Can you explain {thing}?"])
    return [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]


def _conv_list(r: random.Random) -> list[dict]:
    items = r.sample(WORDS, r.randint(2, 4))
    user = r.choice([f"Sort these words: {', '.join(items)}", f"Put in alphabetical order: {', '.join(items)}"])
    return [{"role": "user", "content": user}, {"role": "assistant", "content": ", ".join(sorted(items))}]


VERBS = ["get", "create", "delete", "update", "list", "find", "send", "read", "fetch", "check", "set", "start"]
NOUNS = ["user", "order", "ticket", "invoice", "photo", "report", "note", "task", "song", "recipe", "flight",
         "device", "booking", "comment", "folder", "alarm", "playlist", "contact", "reminder", "account"]
PARAMS = [("id", "integer", "The item id."), ("name", "string", "A short name."), ("city", "string", "A city name."),
          ("query", "string", "Words to search for."), ("limit", "integer", "How many results at most."),
          ("path", "string", "A file path."), ("email", "string", "An email address."),
          ("date", "string", "A date as YYYY-MM-DD."), ("verbose", "boolean", "Give more detail."),
          ("tags", "array", "Labels to attach."), ("url", "string", "A web address."),
          ("message", "string", "The text to send."), ("amount", "number", "An amount of money.")]


def _function_schema(r: random.Random) -> dict:
    verb, noun = r.choice(VERBS), r.choice(NOUNS)
    params = r.sample(PARAMS, r.randint(1, 3))
    props = {}
    for name, kind, desc in params:
        props[name] = {"type": kind, "description": desc}
        if kind == "array":
            props[name]["items"] = {"type": "string"}
    required = [p[0] for p in params[: r.randint(1, len(params))]]
    return {"type": "function", "function": {
        "name": f"{verb}_{noun}", "description": r.choice([f"{verb.capitalize()} a {noun}.",
                                                           f"{verb.capitalize()} a {noun} and return its details.",
                                                           f"{verb.capitalize()} the {noun} with the given values."]),
        "parameters": {"type": "object", "properties": props, "required": required}}}


def _conv_schema_write(r: random.Random) -> list[dict]:
    schema = _function_schema(r)
    fn = schema["function"]
    params = ", ".join(fn["parameters"]["properties"])
    user = r.choice([f"Write a JSON schema for a function {fn['name']} with parameters {params}.",
                     f"Describe the function {fn['name']}({params}) as JSON.",
                     f"Give me the JSON definition of {fn['name']} taking {params}."])
    return [{"role": "user", "content": user}, {"role": "assistant", "content": json.dumps(schema)}]


def _conv_schema_read(r: random.Random) -> list[dict]:
    schema = _function_schema(r)
    fn = schema["function"]
    question, answer = r.choice([
        ("What is the name of this function?", fn["name"]),
        ("Which parameters are required?", ", ".join(fn["parameters"]["required"])),
        ("What does this function do?", fn["description"]),
        ("List its parameters.", ", ".join(fn["parameters"]["properties"])),
    ])
    return [{"role": "user", "content": f"{json.dumps(schema)}\n{question}"}, {"role": "assistant", "content": answer}]


def _conv_call_json(r: random.Random) -> list[dict]:
    """'Write the call f(x=1) as JSON': the shape of a call, as seen in API docs and code."""
    fn = _function_schema(r)["function"]
    pool = {"id": lambda: r.randint(1, 999), "name": lambda: r.choice(NAMES), "city": lambda: r.choice(CITIES),
            "query": lambda: f"{r.choice(WORDS)} {r.choice(WORDS)}", "limit": lambda: r.randint(1, 20),
            "path": lambda: f"{r.choice(DIRS)}/{r.choice(WORDS)}.{r.choice(EXTS)}",
            "email": lambda: f"{r.choice(NAMES).lower()}@example.com", "date": lambda: f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            "verbose": lambda: r.choice([True, False]), "tags": lambda: r.sample(WORDS, 2),
            "url": lambda: f"https://{r.choice(WORDS)}.example.com/{r.choice(WORDS)}",
            "message": lambda: f"{r.choice(WORDS)} {r.choice(WORDS)}", "amount": lambda: round(r.uniform(1, 500), 2)}
    args = {k: pool[k]() for k in fn["parameters"]["properties"]}
    call = ", ".join(f"{k}={json.dumps(v)}" for k, v in args.items())
    user = r.choice([f"Write the call {fn['name']}({call}) as JSON.", f"Convert {fn['name']}({call}) to a JSON object.",
                     f"As JSON with name and arguments: {fn['name']}({call})"])
    return [{"role": "user", "content": user},
            {"role": "assistant", "content": json.dumps({"name": fn["name"], "arguments": args})}]


def _conv_json_read(r: random.Random) -> list[dict]:
    obj = _json_pairs(r)
    key = r.choice(sorted(obj))
    user = r.choice([f"In {json.dumps(obj)}, what is the {key}?", f"{json.dumps(obj)}\nWhat is the value of {key}?"])
    return [{"role": "user", "content": user}, {"role": "assistant", "content": json.dumps(obj[key]).strip('"')}]


GENERATORS = [_conv_schema_write, _conv_schema_read, _conv_json_read, _conv_call_json, _conv_greeting, _conv_capital, _conv_math, _conv_copy, _conv_copy, _conv_json, _conv_json,
              _conv_howto, _conv_concept, _conv_list]


def chat_corpus(n: int, seed: int = 0) -> list[list[dict]]:
    """Return ``n`` tool-free conversations (lists of chat messages).

    About a third carry a system prompt and a fifth have a second exchange, so the
    model sees multi-turn layouts too.
    """
    r = random.Random(seed)
    out = []
    for _ in range(n):
        messages = list(r.choice(GENERATORS)(r))
        if r.random() < 0.2:
            messages += r.choice(GENERATORS)(r)
        if r.random() < 0.35:
            messages.insert(0, {"role": "system", "content": r.choice(SYSTEMS)})
        out.append(messages)
    return out


DOC_SEED_OFFSET = 1_000_003  # documents never reuse the seeds of the sample's train/eval rows


def text_documents(n: int, seed: int = 0) -> list[str]:
    """Plain-text documents with the vocabulary of tool use, but not its protocol.

    A real base model has read API references, requests, JSON responses and prose
    about them on the web. These documents give the tiny base that background: each
    is built from one synthetic sample row as an API reference (its tool schemas),
    the request, the JSON results and the prose answer, run together as text. There
    is no chat template, no assistant tool-call message and no ``<tool_call>`` block,
    so the base learns the words and JSON, never when or how to call a tool.
    """
    from toolft.data.sample import generate_sample

    r = random.Random(seed)
    docs = []
    for row in generate_sample(n, seed=seed + DOC_SEED_OFFSET):
        parts = []
        if r.random() < 0.7:
            parts.append("API reference:\n" + "\n".join(json.dumps(t) for t in row["tools"]))
        for message in row["messages"]:
            if message["role"] != "system" and message.get("content") and not message.get("tool_calls"):
                parts.append(message["content"])
        docs.append("\n\n".join(parts))
    return docs


def function_choice_corpus(n: int, seed: int = 0) -> list[list[dict]]:
    """Conversations that ask, in prose, which listed function fits a request.

    Any instruction-tuned model can answer "which of these functions would handle
    this?" by name; what it lacks before tool-calling SFT is the protocol (the tools
    system prompt, ``<tool_call>`` blocks, arguments as JSON, when *not* to call).
    The functions are shown in the user message and the answer is just a name, so
    this teaches reading schemas against a request, not calling tools.
    """
    from toolft.data.sample import generate_sample

    r = random.Random(seed)
    out = []
    for row in generate_sample(n * 2, seed=seed + 2 * DOC_SEED_OFFSET):
        calls = next((m.get("tool_calls") for m in row["messages"] if m["role"] == "assistant"), None)
        if not calls:
            continue
        request = next(m["content"] for m in row["messages"] if m["role"] == "user")
        names = ", ".join(dict.fromkeys(c["function"]["name"] for c in calls))
        listing = "\n".join(json.dumps(t) for t in row["tools"])
        question = r.choice([f"Which of these functions fits the request \"{request}\"?",
                             f"Request: {request}\nWhich function should handle it?",
                             f"Pick the function for: {request}"])
        out.append([{"role": "user", "content": f"{listing}\n\n{question}"}, {"role": "assistant", "content": names}])
        if len(out) == n:
            break
    return out


# ------------------------------------------------------------------ fresh copy tasks


# (JSON key, value kind, ways to mention it in a sentence)
FIELDS = [
    ("city", "city", ["in {v}", "for {v}", "to {v}", "from {v}", "near {v}"]),
    ("path", "path", ["the file {v}", "{v}", "the file at {v}", "my {v}"]),
    ("folder", "folder", ["the folder {v}", "the {v} directory", "{v}/"]),
    ("date", "date", ["on {v}", "for {v}", "by {v}"]),
    ("time", "time", ["at {v}", "around {v}"]),
    ("amount", "amount", ["{v}", "an amount of {v}", "exactly {v}"]),
    ("count", "integer", ["{v} times", "{v} items", "up to {v}"]),
    ("email", "email", ["to {v}", "{v}", "from {v}"]),
    ("url", "url", ["{v}", "the page {v}", "at {v}"]),
    ("title", "title", ['called "{v}"', 'titled "{v}"', '"{v}"']),
    ("message", "text", ['saying "{v}"', 'with the text "{v}"', ': "{v}"']),
    ("command", "command", ["`{v}`", "the command {v}", "{v}"]),
    ("name", "name", ["with {v}", "for {v}", "named {v}"]),
    ("currency", "code", ["in {v}", "to {v}", "from {v}"]),
]
_LEADS = ["Please note", "I need", "Remember", "Plan", "Book something", "Here is a request", "Log this", "Note",
          "Set it up", "Take care of it", "Do it", "Handle this"]


def _sentence(r: random.Random, fields: list[tuple[str, str, list[str]]]) -> tuple[str, dict]:
    values = {key: made_up_value(r, kind) for key, kind, _ in fields}
    pieces = [r.choice(forms).format(v=values[key]) for key, _, forms in fields]
    return f"{r.choice(_LEADS)} {' '.join(pieces)}{r.choice(['.', '!', '', '?'])}", values


def _conv_extract(r: random.Random) -> list[dict]:
    """'Put the city and date of this sentence in JSON': copy spans into a JSON object."""
    fields = r.sample(FIELDS, r.randint(1, 3))
    sentence, values = _sentence(r, fields)
    keys = ", ".join(values)
    ask = r.choice([f"Extract {keys} from this text as JSON: {sentence}",
                    f"{sentence}\nGive the {keys} as a JSON object.",
                    f"Text: {sentence}\nFill in this JSON: {json.dumps({k: '...' for k in values})}",
                    f"Read this and answer with JSON ({keys}): {sentence}",
                    f"Fields: {json.dumps({k: {'type': 'number' if isinstance(v, (int, float)) else 'string'} for k, v in values.items()})}\n"
                    f"Fill them from: {sentence}"])
    return [{"role": "user", "content": ask}, {"role": "assistant", "content": json.dumps(values, ensure_ascii=False)}]


def _conv_quote(r: random.Random) -> list[dict]:
    """Quote one span of a sentence back: which city, which path, which number."""
    fields = r.sample(FIELDS, r.randint(1, 3))
    sentence, values = _sentence(r, fields)
    key = r.choice(list(values))
    ask = r.choice([f"{sentence}\nWhich {key} is mentioned?", f"What is the {key} in this text? {sentence}",
                    f"Quote the {key} from: {sentence}", f"{sentence}\nCopy the {key} exactly."])
    return [{"role": "user", "content": ask}, {"role": "assistant", "content": str(values[key])}]


def _conv_copy_made_up(r: random.Random) -> list[dict]:
    kind = r.choice(["city", "path", "email", "url", "title", "text", "command", "date", "amount", "integer"])
    text = str(made_up_value(r, kind))
    ask = r.choice([f"Repeat exactly: {text}", f"Say this back to me: {text}", f'Copy this: "{text}"',
                    f"Echo: {text}", f"Write {text} again."])
    return [{"role": "user", "content": ask}, {"role": "assistant", "content": text}]


def _conv_copy_long(r: random.Random) -> list[dict]:
    """Repeat a long string of made-up words, numbers and paths: every answer token needs copying.

    The densest signal there is for the attention heads that copy (induction heads):
    measured on tiny-qwen3, they form several times sooner with these in the mix than
    with short copy answers alone.
    """
    kinds = ["city", "path", "title", "integer", "date", "email", "command", "name", "text"]
    text = " ".join(str(made_up_value(r, r.choice(kinds))) for _ in range(r.randint(3, 10)))
    ask = r.choice([f"Repeat exactly: {text}", f"Copy this text: {text}", f"Say it back, word for word: {text}",
                    f"{text}\nRepeat the line above."])
    return [{"role": "user", "content": ask}, {"role": "assistant", "content": text}]


# What a chat model without tools says when asked to act: it cannot, and says how to do it.
CANNOT = {
    "get_weather": "I can't check live weather from here. A weather website or app will show the current conditions{in_city}.",
    "read_file": "I can't open files on your computer. You can view {path} in a text editor or print it with cat.",
    "write_file": "I can't write files on your machine, but you can save that text to {path} in any editor.",
    "list_directory": "I can't see your folders. Run ls {path} in a terminal to list them.",
    "git_status": "I can't access your repository. Run git status inside it to see what changed.",
    "git_commit": "I can't run git for you, but git commit -m with your message will create the commit.",
    "web_search": "I can't browse the web, but a search engine will find pages about that.",
    "http_request": "I can't send requests from here. A tool like curl can call that URL for you.",
    "create_event": "I can't reach your calendar. Add the event in your calendar app.",
    "send_email": "I can't send emails myself. Your mail program can send that message.",
    "convert_currency": "I don't have live exchange rates. A bank or currency website will convert that for you.",
    "run_shell": "I can't run commands on your machine, but you can paste it into a terminal.",
}


def cannot_act_corpus(n: int, seed: int = 0) -> list[list[dict]]:
    """Requests for actions answered in prose: sorry, I can't, here is how you could.

    This is how a small chat model that knows nothing of tools answers "What's the
    weather in Oslo?". The requests come from the sample's task builders (another
    seed than any dataset), so after fine-tuning the *same* request under a tools
    prompt becomes a call: the change the demo exists to show.
    """
    from toolft.data.sample import SINGLE_TASKS

    r = random.Random(seed)
    out = []
    for i in range(n):
        if i % 50 == 0:
            draw = made_up_pools(r)
        task = r.choice(SINGLE_TASKS)(draw)
        reply = cannot_sentence(task)
        out.append([{"role": "user", "content": task.request},
                    {"role": "assistant", "content": r.choice(["", "Sorry, ", "I'm sorry: "]) + reply}])
    return out


def arguments_corpus(n: int, seed: int = 0) -> list[list[dict]]:
    """Requests paired with the JSON arguments a named function would need, values made up.

    "Fill in the arguments of get_weather(city, unit) as JSON" is API-documentation
    reading that any instruction-tuned model can do; it is *not* the tool protocol
    (no tools system prompt, no ``<tool_call>``, no function name in the answer). It
    teaches the one skill a call needs beyond the protocol: copy each value from the
    request into the right key.
    """
    from toolft.data.sample import SINGLE_TASKS, TOOLS

    r = random.Random(seed)
    out = []
    draw = made_up_pools(r)
    for i in range(n):
        if i % 200 == 199:
            draw = made_up_pools(r)  # fresh values now and then
        task = r.choice(SINGLE_TASKS)(draw)
        params = ", ".join(TOOLS[task.tool]["function"]["parameters"]["properties"])
        ask = r.choice([f"{task.request}\nFill in the arguments of {task.tool}({params}) as JSON.",
                        f"Request: {task.request}\nArguments for {task.tool}({params}), as JSON?",
                        f"Which arguments would {task.tool}({params}) need for this? {task.request}"])
        out.append([{"role": "user", "content": ask},
                    {"role": "assistant", "content": json.dumps(task.args, ensure_ascii=False)}])
    return out


def refusal_corpus(n: int, seed: int = 0) -> list[list[dict]]:
    """Harmful requests (wipe a disk, steal keys, phishing...) refused, as chat models are taught to.

    Values are made up (see ``made_up_pools``); there are no tools in these conversations.
    """
    from toolft.data.sample import _refusal

    r = random.Random(seed)
    draw = made_up_pools(r)
    return [_refusal(draw)[0] for _ in range(n)]


def long_copy_corpus(n: int, seed: int = 0) -> list[list[dict]]:
    """``n`` long repeat-after-me conversations (see ``_conv_copy_long``)."""
    r = random.Random(seed + 7)
    return [_conv_copy_long(r) for _ in range(n)]


# ----------------------------------------------------------------------------- requests of several parts, in order
# A fine-tune names the wrong tool most often on the second or third part of a request, and answers a
# tools prompt in prose where a call is due (bench/tiny_copying.md, sections 13-14). These tasks walk a
# request in order, in prose, with no tools prompt and no call: which function each part needs, the parts
# one per line, and "I can't ..." for every part. 600 steps of them continued from the previous build
# (variant F, section 14) raised the fine-tune's right tool names on held-out rows from 0.40 to 0.53
# (3 training seeds); the build's third phase draws them (section 15 measures that build).

def _made_up_request(r: random.Random, parts=(1, 2, 2, 3)):
    """``(tasks, request)``: 1-3 of the sample's parallel tasks, made-up values, joined as the sample joins them."""
    from toolft.data.sample import PARALLEL_TASKS, joined_request

    draw = made_up_pools(r)
    n = r.choice(parts)
    tasks = []
    while len(tasks) < n:
        task = r.choice(PARALLEL_TASKS)(draw)
        if all((t.tool, t.args) != (task.tool, task.args) for t in tasks):
            tasks.append(task)
    if n == 1:
        return tasks, tasks[0].request
    return tasks, joined_request(r, [t.clause for t in tasks])


def _several_parts(r: random.Random):
    tasks, request = _made_up_request(r)
    while len(tasks) < 2:
        tasks, request = _made_up_request(r)
    return tasks, request


def _listed_functions(r: random.Random, tasks) -> str:
    """The functions the request needs and 1-2 others, shuffled, comma-separated (names only, no schema)."""
    from toolft.data.sample import TOOLS

    needed = list(dict.fromkeys(t.tool for t in tasks))
    names = needed + r.sample([n for n in TOOLS if n not in needed], r.randint(1, 2))
    r.shuffle(names)
    return ", ".join(names)


def cannot_sentence(task) -> str:
    """:data:`CANNOT` of a sample task's function, with its city or path filled in."""
    return CANNOT[task.tool].format(in_city=f" in {task.args['city']}" if "city" in task.args else "",
                                    path=task.args.get("path", "the folder"))


def cannot_reply(r: random.Random, tasks) -> str:
    """What a chat model without tools says to a request of one or more parts: "I can't ..." for each function."""
    first = {}
    for task in tasks:
        first.setdefault(task.tool, task)
    return r.choice(["", "Sorry, ", "I'm sorry: "]) + " ".join(cannot_sentence(t) for t in first.values())


def _chat(user: str, assistant: str) -> list[dict]:
    return [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]


def which_first(r: random.Random) -> list[dict]:
    """Function names, then "which does each part need, in order?" → "First get_weather, then read_file." """
    tasks, request = _made_up_request(r)
    listed = _listed_functions(r, tasks)
    ask = r.choice([f"Functions: {listed}. Which function handles each part of this request, in order? {request}",
                    f"Of {listed}, which function does each part of this need, in order? {request}",
                    f"Match each part of this request to one of {listed}, in order: {request}"])
    tools = [t.tool for t in tasks]
    if len(tools) == 1:
        answer = r.choice([f"That needs {tools[0]}.", f"Use {tools[0]} for that.", f"The function for that is {tools[0]}."])
    else:
        answer = "First " + ", then ".join(tools) + "."
    return _chat(ask, answer)


def split_first(r: random.Random) -> list[dict]:
    """"Split this request into its parts, one per line: ..." → its clauses, in order."""
    tasks, request = _several_parts(r)
    ask = r.choice([f"Split this request into its parts, one per line: {request}",
                    f"List each thing asked here, in order, one per line: {request}",
                    f"What are the separate steps here, in order? {request}"])
    return _chat(ask, "\n".join(t.clause for t in tasks))


def several_cannot(r: random.Random) -> list[dict]:
    """A request of 2-3 parts alone → "I can't ..." for each function it needs, in order."""
    tasks, request = _several_parts(r)
    return _chat(request, cannot_reply(r, tasks))


def listed_cannot(r: random.Random) -> list[dict]:
    """Function names listed, then a request that asks nothing about them → "I can't ..." for each part."""
    tasks, request = _made_up_request(r)
    listed = _listed_functions(r, tasks)
    ask = r.choice([f"Functions: {listed}. {request}", f"I have {listed}. {request}", f"{listed}\n{request}"])
    return _chat(ask, cannot_reply(r, tasks))


FRESH_TASKS = [(_conv_extract, 0.2), (_conv_quote, 0.12), (_conv_copy_made_up, 0.08), (_conv_copy_long, 0.15),
               ("arguments", 0.25), ("cannot", 0.13), ("refusal", 0.07)]
# the build's third phase draws these beside FRESH_TASKS (weights relative to FRESH_TASKS', which sum to 1)
ORDER_TASKS = [(which_first, 0.15), (split_first, 0.1), (several_cannot, 0.1), (listed_cannot, 0.1)]


def fresh_conversations(n: int, seed: int, tasks: list[tuple] | None = None) -> list[list[dict]]:
    """``n`` single-exchange copy and extraction conversations whose values are all made up afresh.

    Pre-training draws a new set for every batch (``seed`` = the step), so no value ever
    repeats between steps: only copying it from the prompt lowers the loss of an answer,
    never remembering it (a fixed corpus seen many times is learnt by heart instead;
    bench/tiny_copying.md, section 5). ``tasks``: ``[(kind, weight), ...]`` to draw from
    (default :data:`FRESH_TASKS`; the build's third phase adds :data:`ORDER_TASKS`).
    """
    from toolft.data.sample import SINGLE_TASKS, TOOLS, _refusal

    r = random.Random(seed)
    draw = made_up_pools(r)  # one made-up world a batch: ~400 cities, 200 folders... none of them real
    kinds, weights = zip(*(FRESH_TASKS if tasks is None else tasks))
    out = []
    for _ in range(n):
        kind = r.choices(kinds, weights)[0]
        if kind == "refusal":
            out.append(_refusal(draw)[0])
        elif kind in ("arguments", "cannot"):
            task = r.choice(SINGLE_TASKS)(draw)
            if kind == "arguments":
                params = ", ".join(TOOLS[task.tool]["function"]["parameters"]["properties"])
                ask = r.choice([f"{task.request}\nFill in the arguments of {task.tool}({params}) as JSON.",
                                f"Request: {task.request}\nArguments for {task.tool}({params}), as JSON?",
                                f"Which arguments would {task.tool}({params}) need for this? {task.request}"])
                answer = json.dumps(task.args, ensure_ascii=False)
            else:
                ask = task.request
                answer = r.choice(["", "Sorry, ", "I'm sorry: "]) + cannot_sentence(task)
            out.append([{"role": "user", "content": ask}, {"role": "assistant", "content": answer}])
        else:
            out.append(kind(r))
    return out
