"""Behaviour of the bundled sample-data generator (toolft.data.sample)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from toolft.data.files import write_jsonl
from toolft.data.sample import KINDS, TOOLS, generate_sample

REFUSAL_OPENERS = ("I can't", "I cannot", "I won't", "Sorry, I can't")
JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list,
              "object": dict}


@pytest.fixture(scope="module", params=[0.0, 0.5], ids=["listed-values", "half-invented"])
def rows(request) -> list[dict]:
    return generate_sample(600, seed=0, invented_share=request.param)


def kind_of(record: dict) -> str:
    """Classify a record by its structure, the way a reader of the data would."""
    calls = [m for m in record["messages"] if m["role"] == "assistant" and m.get("tool_calls")]
    if len(calls) > 1:
        return "multi_step"
    if calls:
        return "parallel_calls" if len(calls[0]["tool_calls"]) > 1 else "single_call"
    reply = record["messages"][-1]["content"]
    if reply.endswith("?"):
        return "clarification"
    if reply.startswith(REFUSAL_OPENERS):
        return "refusal"
    return "no_tool"


def type_ok(value, schema: dict) -> bool:
    """A tiny JSON-schema type check: type, enum and array items."""
    expected = schema["type"]
    if isinstance(value, bool) and expected != "boolean":
        return False
    if not isinstance(value, JSON_TYPES[expected]):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if expected == "array":
        return all(type_ok(item, schema["items"]) for item in value)
    return True


def leaves(value) -> list[str]:
    """All scalar values inside a JSON value, as strings."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in leaves(v)]
    return [str(value)]


def test_deterministic_for_same_seed():
    a = generate_sample(50, seed=3)
    assert json.dumps(a) == json.dumps(generate_sample(50, seed=3))
    assert json.dumps(a) != json.dumps(generate_sample(50, seed=4))


def test_n_respected_and_record_shape():
    for n in (1, 6, 37):
        records = generate_sample(n, seed=1)
        assert len(records) == n
        assert all(set(r) == {"messages", "tools", "kind"} for r in records)


def test_stated_kind_matches_what_the_row_shows():
    """The generator states each row's kind; the Data tab's rule, reading only the row and its tools,
    finds the same kind for every row."""
    from toolft.data.records import row_category

    for record in generate_sample(300, seed=2):
        stated = record.pop("kind")
        seen = row_category(record)
        assert seen == stated, record


@pytest.mark.parametrize("n", [0, -5])
def test_rejects_n_below_one(n):
    with pytest.raises(ValueError):
        generate_sample(n)


def test_tools_pool_covers_required_schemas():
    assert len(TOOLS) >= 10
    for name in ("run_shell", "read_file", "write_file", "list_directory", "git_status", "git_commit",
                 "web_search", "http_request", "create_event", "get_weather", "send_email"):
        fn = TOOLS[name]["function"]
        assert TOOLS[name]["type"] == "function" and fn["name"] == name and fn["description"]
        params = fn["parameters"]
        assert params["type"] == "object" and set(params["required"]) <= set(params["properties"])
    assert TOOLS["http_request"]["function"]["parameters"]["properties"]["method"]["enum"] == [
        "GET", "POST", "PUT", "DELETE"]


@pytest.mark.parametrize("n", [6, 60])
def test_all_kinds_present_for_small_n(n):
    assert set(map(kind_of, generate_sample(n, seed=2))) == set(KINDS)


def test_kind_shares_for_600(rows):
    target = {"single_call": 0.20, "parallel_calls": 0.25, "multi_step": 0.15, "clarification": 0.15,
              "refusal": 0.10, "no_tool": 0.15}
    counts = Counter(map(kind_of, rows))
    for kind, share in target.items():
        assert abs(counts[kind] / len(rows) - share) <= 0.07, (kind, counts)


def test_message_layout(rows):
    for r in rows:
        roles = [m["role"] for m in r["messages"]]
        if roles[0] == "system":
            roles = roles[1:]
        assert roles[0] == "user" and roles[-1] == "assistant"
        assert "user" not in roles[1:]
        last = r["messages"][-1]
        assert "tool_calls" not in last and last["content"].strip()
    share_system = sum(r["messages"][0]["role"] == "system" for r in rows) / len(rows)
    assert 0.35 < share_system < 0.65


def test_tool_subsets(rows):
    for r in rows:
        names = [t["function"]["name"] for t in r["tools"]]
        assert 2 <= len(names) <= 4 and len(set(names)) == len(names)
        assert all(t == TOOLS[t["function"]["name"]] for t in r["tools"])
    assert len({tuple(t["function"]["name"] for t in r["tools"]) for r in rows}) > 300


def test_tool_calls_are_valid_and_answered(rows):
    for r in rows:
        schemas = {t["function"]["name"]: t["function"]["parameters"] for t in r["tools"]}
        msgs = r["messages"]
        for i, m in enumerate(msgs):
            if not m.get("tool_calls"):
                continue
            assert m["content"] == ""
            for j, call in enumerate(m["tool_calls"]):
                assert call["type"] == "function"
                name, args = call["function"]["name"], call["function"]["arguments"]
                assert name in schemas and isinstance(args, dict)
                params = schemas[name]
                assert set(params["required"]) <= set(args) <= set(params["properties"])
                assert all(type_ok(v, params["properties"][k]) for k, v in args.items()), (name, args)
                result = msgs[i + 1 + j]
                assert result["role"] == "tool" and result["name"] == name
                assert isinstance(json.loads(result["content"]), dict)
            after = msgs[i + 1 + len(m["tool_calls"])]
            assert after["role"] == "assistant"


def test_final_answers_quote_tool_results(rows):
    for r in rows:
        results = [json.loads(m["content"]) for m in r["messages"] if m["role"] == "tool"]
        if results:
            answer = r["messages"][-1]["content"]
            values = [v for result in results for v in leaves(result) if len(v) > 1]
            assert any(v in answer for v in values), answer


def test_multi_step_uses_first_result(rows):
    for r in (r for r in rows if kind_of(r) == "multi_step"):
        first = r["messages"][[m["role"] for m in r["messages"]].index("tool")]
        second_call = [m for m in r["messages"] if m.get("tool_calls")][1]["tool_calls"][0]
        args = [a for a in leaves(second_call["function"]["arguments"]) if len(a) > 3]
        found = [v for v in leaves(json.loads(first["content"])) if len(v) > 3]
        assert any(a in v or v in a for a in args for v in found), (first, args)


def test_no_tool_turn_texts(rows):
    for r in rows:
        kind, reply = kind_of(r), r["messages"][-1]["content"]
        if kind == "clarification":
            assert reply.endswith("?")
        elif kind == "refusal":
            assert reply.startswith(REFUSAL_OPENERS) and not reply.endswith("?") and len(reply.split()) > 4
        elif kind == "no_tool":
            assert not reply.endswith("?") and not reply.startswith(REFUSAL_OPENERS)


def test_turns_without_tools_are_one_exchange(rows):
    for r in rows:
        if kind_of(r) in ("clarification", "refusal", "no_tool"):
            assert [m["role"] for m in r["messages"] if m["role"] != "system"] == ["user", "assistant"]


def test_variety(rows):
    users = [next(m["content"] for m in r["messages"] if m["role"] == "user") for r in rows]
    duplicated = 1 - len(set(users)) / len(users)
    assert duplicated < 0.10
    assert max(len(u.split()) for u in users) <= 35
    convs = [json.dumps(r["messages"]) for r in rows]
    assert len(set(convs)) / len(convs) > 0.95


def test_held_out_split_is_not_a_copy(rows):
    import random

    shuffled = rows[:]
    random.Random(0).shuffle(shuffled)
    train = {json.dumps(r["messages"]) for r in shuffled[60:]}
    copies = sum(json.dumps(r["messages"]) in train for r in shuffled[:60])
    assert copies <= 3


def test_ignores_global_random_state():
    import random

    random.seed(1)
    a = generate_sample(30, seed=5)
    random.seed(2)
    assert generate_sample(30, seed=5) == a


def test_write_jsonl_round_trip(tmp_path):
    path = tmp_path / "nested" / "dir" / "sample.jsonl"
    records = generate_sample(20, seed=0) + [{"messages": [{"role": "user", "content": "Zürich, 5°C"}], "tools": []}]
    write_jsonl(records, path)
    text = path.read_text(encoding="utf-8")
    assert "Zürich, 5°C" in text and len(text.splitlines()) == len(records)
    assert [json.loads(line) for line in text.splitlines()] == records


def test_same_seed_gives_byte_identical_files(tmp_path):
    write_jsonl(generate_sample(40, seed=9), tmp_path / "a.jsonl")
    write_jsonl(generate_sample(40, seed=9), tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


# --------------------------------------------------------------------------- held-out value pools
def _whole_word(value: str, text: str) -> bool:
    import re

    # a plain substring test first: the regex alone takes ~0.2 s on megabytes of JSON
    return value in text and re.search(r"(?<![A-Za-z])" + re.escape(value) + r"(?![A-Za-z])", text) is not None


def _pool_values(pools: dict) -> list[tuple[str, str]]:
    import re

    return [(name, re.sub(r"\{\w+\}", "", v).strip()) for name, values in pools.items() for v in values]


def test_held_out_rows_use_values_no_training_row_has():
    from toolft.data.sample import HELDOUT

    train = json.dumps(generate_sample(3000, seed=0), ensure_ascii=False)
    leaked = [(name, v) for name, v in _pool_values(HELDOUT) if _whole_word(v, train)]
    assert leaked == []
    held = generate_sample(300, seed=987654, pools="heldout")
    text = json.dumps(held, ensure_ascii=False)
    assert sum(_whole_word(v, text) for name, v in _pool_values(HELDOUT) if name == "CITIES") >= 10
    # every argument of every held-out call is new: no training row holds that value
    seen = [(key, value) for row in held for message in row["messages"] for call in message.get("tool_calls") or []
            for key, value in call["function"]["arguments"].items()
            if key in ("city", "path", "repo_path", "query", "title", "to", "date", "message")
            and json.dumps(value, ensure_ascii=False) in train]
    assert seen == []  # (a bare `x not in train` assert would make pytest print megabytes)


def test_held_out_values_are_not_in_tiny_qwen3_pretraining_either():
    from toolft.data.sample import HELDOUT
    from toolft.tiny import TinySpec, _pretraining_text

    text = json.dumps(_pretraining_text(TinySpec()), ensure_ascii=False)
    named = {k: HELDOUT[k] for k in ("CITIES", "NAMES", "TOPICS", "COMMIT_OBJECTS", "PROJECTS")}
    assert [v for _, v in _pool_values(named) if _whole_word(v, text)] == []


def test_held_out_rows_have_the_same_shape_as_training_rows():
    held, train = generate_sample(600, seed=3, pools="heldout"), generate_sample(600, seed=3)
    assert Counter(map(kind_of, held)) == Counter(map(kind_of, train))  # same kinds, same shares
    with pytest.raises(ValueError, match="pools must be one of"):
        generate_sample(5, pools="test")


# --------------------------------------------------------------------------- invented values
def _call_values(rows: list[dict], key: str) -> list[str]:
    return [call["function"]["arguments"][key] for row in rows for m in row["messages"] for call in m.get("tool_calls") or []
            if key in call["function"]["arguments"]]


def test_invented_rows_replace_a_share_of_rows_and_leave_the_others_as_they_were():
    from toolft.data.sample import CITIES, HELDOUT

    listed, mixed = generate_sample(400, seed=2), generate_sample(400, seed=2, invented_share=0.5)
    same = [a == b for a, b in zip(listed, mixed)]
    assert 0.35 <= sum(same) / 400 <= 0.65
    assert [a["kind"] for a in listed] == [b["kind"] for b in mixed]  # same kinds in the same order
    changed = [b for b, s in zip(mixed, same) if not s]
    cities = _call_values(changed, "city")
    assert len(cities) >= 10 and not set(cities) & set(CITIES + HELDOUT["CITIES"])
    assert len(set(cities)) >= len(cities) / 2  # not one short list again
    assert generate_sample(50, seed=2, invented_share=1.0) == generate_sample(50, seed=2, invented_share=1.0)


def test_some_invented_cities_carry_an_accented_letter_as_real_ones_do():
    """Real cities have letters outside ASCII (Medellín, Kraków); a byte-level tokenizer makes them two
    rare byte tokens, which the fine-tune only learns to copy if some training values have them."""
    import random

    from toolft.data.invented import with_an_accent

    cities = set(_call_values(generate_sample(400, seed=2, invented_share=1.0), "city"))
    accented = {c for c in cities if not c.isascii()}
    assert 0.1 <= len(accented) / len(cities) <= 0.45
    assert all(sum(not ch.isascii() for ch in c) == 1 for c in accented)
    r = random.Random(0)
    for word in ("Vorelta", "Port Nian", "CUSCO"):
        changed = with_an_accent(r, word)
        assert len(changed) == len(word) and sum(a != b for a, b in zip(word, changed)) == 1
        assert [ch.isupper() for ch in changed] == [ch.isupper() for ch in word]
    assert with_an_accent(r, "Styx") == "Styx"  # nothing to accent


def test_invented_values_that_spell_a_held_out_value_are_left_out():
    """Invented words can happen to spell a held-out value ("Dakar"); those are left out, so the held-out
    scorecard keeps measuring copying."""
    import random

    from toolft.data.invented import made_up_pools
    from toolft.data.sample import HELDOUT, _without_heldout

    world = made_up_pools(random.Random(1))
    world.pools.CITIES[:4] = ["Dakar", "Port Dakar", "Dakarville", "Santa Fe"]
    world.pools.TOPICS[:1] = ["bonsai care tutorial"]
    kept = _without_heldout(world).pools
    assert "Dakarville" in kept.CITIES and not {"Dakar", "Port Dakar", "Santa Fe"} & set(kept.CITIES)
    assert "bonsai care tutorial" not in kept.TOPICS and len(kept.TOPICS) > 10
    text = json.dumps(generate_sample(1000, seed=0, invented_share=1.0), ensure_ascii=False)
    assert [(name, v) for name, v in _pool_values(HELDOUT) if _whole_word(v, text)] == []


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_an_invented_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match="invented_share must be between 0 and 1"):
        generate_sample(5, invented_share=share)


NO_CALL = {"clarification", "refusal", "no_tool"}


@pytest.mark.parametrize("share", [0.25, 0.5, 0.7])
def test_the_no_call_share_sets_how_many_rows_want_no_call_and_keeps_each_groups_proportions(share):
    counts = Counter(r["kind"] for r in generate_sample(1000, seed=5, no_call_share=share))
    assert abs(sum(counts[k] for k in NO_CALL) - 1000 * share) <= 1
    calls = 1000 * (1 - share)  # single : parallel : multi-step 4 : 5 : 3, clarifying : refusal : answer 3 : 2 : 3
    for kind, part in (("single_call", 4 / 12 * calls), ("parallel_calls", 5 / 12 * calls),
                       ("multi_step", 3 / 12 * calls), ("clarification", 3 / 8 * 1000 * share),
                       ("refusal", 2 / 8 * 1000 * share), ("no_tool", 3 / 8 * 1000 * share)):
        assert abs(counts[kind] - part) < 1, (kind, counts)


def test_no_call_share_left_unset_is_the_samples_own_mix_row_for_row():
    from toolft.data.sample import NO_CALL_SHARE
    from toolft.recipe import Recipe

    assert Recipe().data.no_call_share == float(NO_CALL_SHARE)  # a recipe that leaves it alone trains the usual mix
    assert generate_sample(333, seed=8, no_call_share=0.4) == generate_sample(333, seed=8)
    assert generate_sample(333, seed=8, no_call_share=0.5) != generate_sample(333, seed=8)


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_a_no_call_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match="no_call_share must be between 0 and 1"):
        generate_sample(5, no_call_share=share)


def test_the_recipes_no_call_share_shapes_the_training_rows_and_leaves_the_held_out_mix():
    from toolft.recipe import load_recipe, replace_field
    from toolft.train import load_training_rows

    recipe = replace_field(replace_field(load_recipe("tiny-cpu"), "data.sample_rows", 400), "data.no_call_share", 0.6)
    plain = replace_field(recipe, "data.no_call_share", 0.4)
    train, held, _ = load_training_rows(recipe)
    assert abs(sum(r["kind"] in NO_CALL for r in train) - 0.6 * len(train)) <= 1
    assert held == load_training_rows(plain)[1]  # the held-out rows keep the usual 0.4, so runs compare
    assert abs(sum(r["kind"] in NO_CALL for r in held) - 0.4 * len(held)) <= 1


VISITOR_PROMPTS = Path(__file__).resolve().parent.parent / "fixtures" / "visitor_prompts.jsonl"


def test_visitor_prompts_are_valid_rows_that_the_generator_never_writes():
    """The hand-written visitor prompts (bench/tiny_e2e.py scores them) load cleanly, cover every kind, and no
    first user turn of theirs is one the generator writes, in any pool."""
    from toolft.data.records import load_records

    result = load_records(VISITOR_PROMPTS)
    raw = [json.loads(line) for line in VISITOR_PROMPTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert not result.errors and len(result.records) == len(raw) >= 30
    assert {r["kind"] for r in raw} >= {"single_call", "parallel_calls", "clarification", "refusal", "no_tool"}
    written = {next(m["content"] for m in r["messages"] if m["role"] == "user")
               for pools in ("train", "heldout") for r in generate_sample(4000, seed=11, pools=pools, invented_share=0.3)}
    visitor = [next(m["content"] for m in r["messages"] if m["role"] == "user") for r in result.records]
    assert not set(visitor) & written
