"""Batched generation and base-vs-fine-tuned scoring on a real tiny-qwen3 with a real (random) LoRA adapter."""

import threading
import time

import pytest

from toolft.evaluate import evaluate_records, evaluate_run
from toolft.inference import ModelSlot, Sampling, generate_batch
from toolft.scoring import check_row, first_turn

PROMPTS = [
    ([{"role": "user", "content": "Hi"}], None),
    ([{"role": "system", "content": "Be brief."},
      {"role": "user", "content": "What's the weather in Lisbon right now? Please answer in celsius."}],
     [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                                        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                       "required": ["city"]}}}]),
    ([{"role": "user", "content": "Tell me a short story about a lighthouse keeper and a storm at sea."}], None),
]


@pytest.fixture(scope="module")
def loaded(adapter_run):
    from toolft.modeling import load_finetuned

    return load_finetuned(adapter_run.path)


def test_batched_answers_equal_one_at_a_time_in_the_prompts_order(loaded):
    """Left padding and length sorting change nothing: each answer is the one its prompt gets alone."""
    model, tokenizer = loaded
    sampling = Sampling(max_new_tokens=24)
    for adapter_on in (False, True):
        alone = [generate_batch(model, tokenizer, [p], use_adapter=adapter_on, sampling=sampling)[0] for p in PROMPTS]
        together = generate_batch(model, tokenizer, PROMPTS, use_adapter=adapter_on, sampling=sampling, batch_size=3)
        assert together == alone
    base = generate_batch(model, tokenizer, PROMPTS, use_adapter=False, sampling=sampling)
    tuned = generate_batch(model, tokenizer, PROMPTS, use_adapter=True, sampling=sampling)
    assert base != tuned  # the adapter is really switched off for the base


def test_base_side_is_the_plain_base_model(loaded, tiny_model_path):
    from toolft.modeling import load_base_model

    model, tokenizer = loaded
    plain = load_base_model("tiny-qwen3", "float32")
    sampling = Sampling(max_new_tokens=16)
    assert (generate_batch(model, tokenizer, PROMPTS[:2], use_adapter=False, sampling=sampling)
            == generate_batch(plain, tokenizer, PROMPTS[:2], sampling=sampling))


def test_evaluation_scores_each_raw_answer_by_the_scorer_rules(adapter_run, loaded):
    result = evaluate_run(adapter_run.path, sampling=Sampling(max_new_tokens=40), loaded=loaded)
    from toolft.data.records import load_records

    held_out = load_records(adapter_run.data_dir / "eval.jsonl")
    assert len(result["rows"]) == len(held_out.records) == 12 and result["invalid_rows"] == 0
    for row, record, line in zip(result["rows"], held_out.records, held_out.lines):
        assert row["line"] == line and row["kind"] == check_row(record, "")["kind"]
        gold = first_turn(record)[1]
        assert row["expected"]["calls"] == [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]}
                                            for c in gold.get("tool_calls") or []]
        for side in ("base", "finetuned"):
            verdict = check_row(record, row[side]["text"])  # the row's verdict is the scorer's on its raw text
            assert (row[side]["valid"], row[side]["error_type"]) == (verdict["valid"], verdict["error_type"])
    for side in ("base", "finetuned"):
        overall = result[side]["overall"]
        wants = sum(bool(r["expected"]["calls"]) for r in result["rows"])
        assert overall["n"] == 12 and overall["n_full_call_accuracy"] == wants
        assert overall["full_call_accuracy"] == round(sum(r[side]["valid"] for r in result["rows"]
                                                          if r["expected"]["calls"]) / wants, 4)
        assert sum(result[side]["by_kind"][k]["n"] for k in result[side]["by_kind"]) == 12
    assert result["base"]["overall"]["call_rate"] == 0.0  # the base never saw a tool call
    assert all("<tool_call>" not in r["base"]["text"] for r in result["rows"])


def test_progress_counts_both_sides(loaded):
    model, tokenizer = loaded
    from toolft.data.sample import generate_sample

    records = generate_sample(3, seed=1)
    seen = []
    evaluate_records(model, tokenizer, records, sampling=Sampling(max_new_tokens=4), batch_size=2,
                     progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 6), (3, 6), (5, 6), (6, 6)]


def test_model_slot_serves_visitors_in_arrival_order_and_tells_their_place():
    slot = ModelSlot()
    first, second, third = slot.join(), slot.join(), slot.join()
    assert [slot.position(t) for t in (first, second, third)] == [1, 2, 3]
    assert slot.my_turn(first) and not slot.my_turn(second, wait=0.05)
    served = []

    def visitor(ticket, name):
        assert slot.my_turn(ticket, wait=5)
        served.append(name)
        slot.leave(ticket)

    threads = [threading.Thread(target=visitor, args=(t, n)) for t, n in ((third, "third"), (second, "second"))]
    for t in threads:
        t.start()
    time.sleep(0.1)
    assert served == []  # nobody passes the visitor whose turn it is
    slot.leave(first)
    for t in threads:
        t.join(5)
    assert served == ["second", "third"] and slot.waiting() == 0 and slot.position(first) == 0


def test_releasing_the_model_never_waits_for_a_turn():
    slot = ModelSlot()
    ticket = slot.join()
    assert slot.my_turn(ticket)
    model = slot.load("run-a", lambda: ("model", "tokenizer"))
    assert slot.load("run-a", lambda: pytest.fail("loaded twice")) is model
    released = threading.Event()
    threading.Thread(target=lambda: (slot.release(), released.set())).start()
    assert released.wait(2)  # the turn is still running
    assert slot.loaded_key() is None and slot.load("run-a", lambda: ("again", "tok")) == ("again", "tok")
    slot.leave(ticket)
