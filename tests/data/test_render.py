"""Rendering with real chat templates (TRL's ``chat_templates/``) in local model folders:
what training tokenizes, which tokens carry loss, and whether calls read back."""

import json

import pytest

from tests.conftest import TRL_TEMPLATES, cli
from toolft.data import render

# assistant-only loss needs {% generation %} markers: TRL has training templates for these
MASKABLE = ("qwen2_5", "qwen3", "qwen3_5_nothink")

TOOLS = [{"type": "function", "function": {
    "name": "book_table", "description": "Book a restaurant table",
    "parameters": {"type": "object", "properties": {
        "restaurant": {"type": "string"}, "guests": {"type": "integer"}, "when": {"type": "string"}},
        "required": ["restaurant", "guests"]}}},
    {"type": "function", "function": {
        "name": "get_menu", "description": "Menu of a restaurant",
        "parameters": {"type": "object", "properties": {"restaurant": {"type": "string"}}, "required": ["restaurant"]}}}]

SINGLE = {"messages": [
    {"role": "user", "content": "Book Chez Marie for 4 tonight at 8."},
    # the arguments arrive as a JSON string, as many datasets store them
    {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "id": "c9", "function": {
        "name": "book_table", "arguments": '{"restaurant": "Chez Marie", "guests": 4, "when": "20:00"}'}}]},
    {"role": "tool", "tool_call_id": "c9", "name": "book_table", "content": "{\"confirmed\": true}"},
    {"role": "assistant", "content": "Booked: Chez Marie, 4 people at 20:00."}],
    "tools": TOOLS}

PARALLEL = {"messages": [
    {"role": "user", "content": "Menus of Nopa and Zuni?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"type": "function", "id": "a", "function": {"name": "get_menu", "arguments": {"restaurant": "Nopa"}}},
        {"type": "function", "id": "b", "function": {"name": "get_menu", "arguments": {"restaurant": "Zuni"}}}]},
    {"role": "tool", "tool_call_id": "a", "name": "get_menu", "content": "menu: tomato soup"},
    {"role": "tool", "tool_call_id": "b", "name": "get_menu", "content": "menu: green salad"},
    {"role": "assistant", "content": "Nopa has soup, Zuni salad."}],
    "tools": TOOLS}


# added-token text typed inside messages, a combining accent right after one, stray spaces and CRLF
ODD = {"messages": [
    {"role": "user", "content": "Type <tool_call> and <|im_end|> as text, then \u0301e and  \r\n  spaces  "},
    {"role": "assistant", "content": "  <tool_call> is a tag;\u0301 so is </tool_call>\n\n"}],
    "tools": TOOLS}


def tokenizer_for(template_model, name):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(template_model(name))


def test_template_messages_hand_objects_and_string_ids():
    messages = render.template_messages(SINGLE)
    call = messages[1]["tool_calls"][0]
    assert call["function"]["arguments"] == {"restaurant": "Chez Marie", "guests": 4, "when": "20:00"}
    assert call["id"] == "c9"
    assert SINGLE["messages"][1]["tool_calls"][0]["function"]["arguments"].startswith("{")  # input untouched


@pytest.mark.parametrize("name", TRL_TEMPLATES)
def test_real_templates_render_calls_once_encoded(template_model, name):
    tok = tokenizer_for(template_model, name)
    aol = name in MASKABLE
    template = render.training_chat_template(tok, aol, name)
    text = render.render_text(tok, render.template_messages(SINGLE), TOOLS, template)
    assert "Chez Marie" in text and "Book a restaurant table" in text
    assert '\\"restaurant\\"' not in text  # Qwen2.5 used to double-encode string arguments
    assert render.template_problems(tok, name, aol) == []


def test_qwen3_5_gets_xml_parameters_from_string_arguments(template_model):
    """Qwen3.5 iterates ``arguments|items``: a JSON string crashed it with TypeError."""
    tok = tokenizer_for(template_model, "qwen3_5_nothink")
    text = render.render_text(tok, render.template_messages(SINGLE), TOOLS)
    assert "<function=book_table>\n<parameter=restaurant>\nChez Marie\n</parameter>" in text
    assert "<parameter=guests>\n4\n</parameter>" in text


@pytest.mark.parametrize("name", ["llama3_2", "gemma4"])
def test_templates_without_training_template_refuse_assistant_only_loss(template_model, name):
    tok = tokenizer_for(template_model, name)
    [problem] = render.template_problems(tok, name, assistant_only_loss=True)
    assert name in problem and "assistant_only_loss: false" in problem
    with pytest.raises(render.TemplateError, match=name):
        render.inspect_row(tok, SINGLE, model_name=name)


@pytest.mark.parametrize("name", TRL_TEMPLATES)
def test_gold_turns_read_back_in_each_models_own_format(template_model, name):
    tok = tokenizer_for(template_model, name)
    aol = name in MASKABLE
    rows = [SINGLE] if name == "llama3_2" else [SINGLE, PARALLEL]  # Llama 3.2's template allows one call per turn
    for row in rows:
        inspection = render.inspect_row(tok, row, model_name=name, assistant_only_loss=aol)
        assert inspection.roundtrip_ok, inspection.problems
        assert inspection.problems == []


def test_roundtrip_catches_a_template_that_drops_calls(template_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(template_model("qwen3"))
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{% if m.role == 'assistant' %}"
                         "{% generation %}{{ m.content }}<|im_end|>{% endgeneration %}{% else %}{{ m.content }}"
                         "<|im_end|>{% endif %}\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
                         "{% endif %}")
    problems = render.template_problems(tok, "plain-chatml")
    assert problems == ["plain-chatml's chat template drops the tool schema, the call's name, the argument value, "
                        "the tool result of a tool-calling conversation"] or "drops" in problems[0]
    inspection = render.inspect_row(tok, SINGLE, model_name="plain-chatml")
    assert not inspection.roundtrip_ok
    assert "calls read back as no call, expected [book_table(" in inspection.problems[0]


@pytest.mark.parametrize("name", MASKABLE)
def test_trained_tokens_are_exactly_trls_assistant_mask(template_model, name, tmp_path):
    """Our pre-tokenised labels equal what TRL's SFTTrainer builds itself from the same rows."""
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    folder = template_model(name)
    tok = AutoTokenizer.from_pretrained(folder)
    # tools as one JSON string (TRL decodes it): as an Arrow struct, get_menu would gain book_table's keys as nulls
    rows = [{"messages": render.template_messages(r), "tools": json.dumps(r["tools"])} for r in (PARALLEL,)]
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(folder), processing_class=tok,
        train_dataset=Dataset.from_list(rows),
        args=SFTConfig(output_dir=str(tmp_path), assistant_only_loss=True, use_cpu=True, bf16=False,
                       report_to="none", max_length=4096))
    theirs = trainer.train_dataset[0]
    ours = render.tokenize_row(tok, PARALLEL, render.training_chat_template(tok, True, name), True)
    assert ours["input_ids"] == theirs["input_ids"]
    assert ours["labels"] == theirs["labels"]
    trained = render.inspect_row(tok, PARALLEL, model_name=name).trained_text
    assert '"restaurant": "Nopa"' in trained or "<parameter=restaurant>\nNopa" in trained
    assert "Menus of Nopa and Zuni?" not in trained and "menu:" not in trained  # user turns, tool results: not trained
    assert "Nopa has soup, Zuni salad." in trained


def test_row_lengths_match_tokenize_row(template_model):
    from toolft.data.sample import generate_sample

    tok = tokenizer_for(template_model, "qwen3")
    template = render.training_chat_template(tok, True, "qwen3")
    rows = generate_sample(40, seed=5) + [SINGLE, PARALLEL, ODD]
    for fast, row in zip(render.row_lengths(tok, rows, template), rows):
        labels = render.tokenize_row(tok, row, template)["labels"]
        trained = [i for i, label in enumerate(labels) if label != render.IGNORE_INDEX]
        assert (fast.total, fast.trained, fast.first_trained, fast.last_trained) == (
            len(labels), len(trained), trained[0], trained[-1])


@pytest.mark.parametrize("name", ["qwen3", "qwen2_5", "llama3_2"])
def test_counting_distinct_pieces_equals_tokenizing_whole_rows(template_model, name):
    from toolft.data.sample import generate_sample

    tok = tokenizer_for(template_model, name)
    aol = name in MASKABLE
    template = render.training_chat_template(tok, aol, name)
    rows = generate_sample(80, seed=11) + [SINGLE, PARALLEL, ODD, ODD]
    assert render.piecewise_exact(tok.backend_tokenizer)
    pieces = render.row_lengths(tok, rows, template, aol, pieces=True)
    assert pieces == render.row_lengths(tok, rows, template, aol, pieces=False)
    # most rows render (Llama 3.2's template refuses the sample's quarter of parallel calls), so the
    # comparison is not empty
    assert sum(r.error is None and r.total > 0 for r in pieces) > len(rows) // 2


def test_pieces_find_the_same_trained_tokens_for_any_span():
    from toolft.modeling import load_tokenizer

    backend = load_tokenizer("tiny-qwen3").backend_tokenizer
    text = 'Say  hi<|im_end|>\n<tool_call>{"a": 1}</tool_call>  ok \n'
    whole = backend.encode(text, add_special_tokens=False)
    spans = [[(s, e)] for s in range(len(text)) for e in range(s + 1, len(text) + 1)]
    spans += [[(0, 3), (9, 20)], [(4, 6), (5, 30)]]  # two spans; overlapping ones merge
    spans += [[(5, 5)], [(3, 3), (9, 20)]]  # an empty generation block: the offsets are walked instead
    counter = render._PieceCounter(backend)
    got = counter.lengths([text] * len(spans), spans, [None] * len(spans))
    assert got == render._lengths(spans, [None] * len(spans), [whole] * len(spans))
    assert got[-1].trained == 3 and got[-2].trained == 0  # '<|im_end|>', '\n', '<tool_call>': tokens 3-5


def test_piecewise_counting_refused_where_a_piece_depends_on_its_place():
    from tokenizers import AddedToken, Tokenizer, pre_tokenizers

    from toolft.modeling import load_tokenizer

    tok = load_tokenizer("tiny-qwen3")
    backend = tok.backend_tokenizer

    def variant(change):
        copy = Tokenizer.from_str(backend.to_str())
        change(copy)
        return copy

    # Metaspace adds a space only at the start of the whole text, not at the start of each piece
    metaspace = variant(lambda t: setattr(t, "pre_tokenizer", pre_tokenizers.Metaspace(
        replacement="Ġ", prepend_scheme="first")))  # Ġ: the space of this byte-level vocabulary
    text = "hello<|im_end|>world"
    counter = render._PieceCounter(metaspace)
    assert counter.lengths([text], [None], [None])[0].total != len(metaspace.encode(text, add_special_tokens=False))
    assert not render.piecewise_exact(metaspace)
    assert not render.piecewise_exact(variant(lambda t: setattr(
        t, "pre_tokenizer", pre_tokenizers.ByteLevel(add_prefix_space=True))))
    assert not render.piecewise_exact(variant(lambda t: t.add_special_tokens([AddedToken("<sep>", lstrip=True)])))
    assert not render.piecewise_exact(variant(lambda t: t.enable_padding()))
    assert render.piecewise_exact(backend)
    # a tokenizer where it does not hold still gets right lengths, the whole-row way
    from transformers import PreTrainedTokenizerFast

    slow_way = PreTrainedTokenizerFast(tokenizer_object=metaspace, eos_token="<|im_end|>")
    slow_way.chat_template = tok.chat_template
    with pytest.raises(ValueError, match="added tokens independently"):
        render.row_lengths(slow_way, [SINGLE], pieces=True)
    whole = render.row_lengths(slow_way, [SINGLE, ODD])
    assert [r.total for r in whole] == [len(render.tokenize_row(slow_way, row)["input_ids"]) for row in (SINGLE, ODD)]


def test_inspector_cuts_at_max_length(template_model):
    tok = tokenizer_for(template_model, "qwen3")
    full = render.inspect_row(tok, SINGLE, model_name="qwen3")
    cut = render.inspect_row(tok, SINGLE, model_name="qwen3", max_length=full.total_tokens - 5)
    assert cut.total_tokens == full.total_tokens and cut.truncated_tokens == 5
    assert cut.trained_tokens == full.trained_tokens - 5  # the last tokens are the final answer's
    assert any("5 tokens past max_length" in p and "5 of them trained" in p for p in cut.problems)
    assert "".join(text for text, _ in full.segments) == tok.decode(tok(full.text, add_special_tokens=False)["input_ids"])


def test_data_inspect_cli(template_model, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps(PARALLEL) + "\n" + json.dumps(SINGLE) + "\n")
    proc = cli("data", "inspect", path, "--row", 2, "--model", template_model("qwen2_5"), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"line", "text", "trained_text", "total_tokens", "trained_tokens", "truncated_tokens",
                        "roundtrip_ok", "problems"}
    assert out["line"] == 2 and out["roundtrip_ok"] is True
    assert '{"name": "book_table", "arguments": {"restaurant": "Chez Marie", "guests": 4, "when": "20:00"}}' in out["trained_text"]
    assert "Book Chez Marie for 4" not in out["trained_text"] and "Book Chez Marie for 4" in out["text"]
    assert 0 < out["trained_tokens"] < out["total_tokens"]
    proc = cli("data", "inspect", path, "--row", 2, "--model", template_model("gemma4"), "--json")
    assert proc.returncode == 2 and "gemma4" not in proc.stdout
    assert "assistant_only_loss: false" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("data", "inspect", path, "--row", 2, "--model", template_model("gemma4"), "--full-loss", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["roundtrip_ok"] is True
