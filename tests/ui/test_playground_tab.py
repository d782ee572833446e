"""Playground handlers: bad input gives messages; a real tiny-qwen3 with a real LoRA adapter answers on both
sides, each side keeps its own conversation, and a pending tool call continues with a written or made-up result."""

import json
from pathlib import Path

from tests.conftest import write_adapter_run
from toolft.home import runs_dir
from toolft.runfolder import RunFolder
from toolft.ui import shared_model
from toolft.ui.playground_tab import (
    DEFAULT_TOOL_SET,
    TOOL_SETS,
    continue_with_result,
    default_tools_json,
    finished_runs,
    new_chat,
    parse_tools,
    pending_calls,
    send,
    tool_set_json,
    transcript,
)

GREEDY = (0.0, 1.0, 24, False)  # temperature, top-p, max new tokens, enable_thinking


def make_run(name: str, adapter: bool) -> RunFolder:
    run = RunFolder(runs_dir() / name)
    run.write_status(state="completed" if adapter else "failed")
    if adapter:
        run.adapter_path.mkdir()
        (run.adapter_path / "adapter_config.json").write_text("{}", encoding="utf-8")
    return run


def last(generator):
    out = None
    for out in generator:
        pass
    return out


def test_every_tool_set_is_valid_sample_schemas():
    for name, tool_names in TOOL_SETS.items():
        tools, problem = parse_tools(tool_set_json(name))
        assert problem is None and [t["function"]["name"] for t in tools] == list(tool_names), name
    assert default_tools_json() == tool_set_json(DEFAULT_TOOL_SET)


def test_invalid_tools_json_gives_a_message():
    status, *rest = last(send("any", "", '[{"type": "function",\n  "function": {"name": }}]', "", "Hi", *GREEDY,
                              new_chat()))
    assert status.startswith("**Tools JSON is invalid at line 2, column")
    assert rest[-1] == new_chat()  # nothing was added to the conversation
    assert "must be a list" in parse_tools('"get_weather"')[1]
    assert "tools[1] must be an object with a function name" in parse_tools('[{"name": "f"}, {"x": 1}]')[1]
    assert "tools[0].parameters must be a JSON object" in parse_tools('[{"name": "f", "parameters": 3}]')[1]
    tools, problem = parse_tools('{"name": "f", "parameters": {"type": "object"}}')
    assert problem is None and tools == [{"type": "function", "function": {"name": "f",
                                                                           "parameters": {"type": "object"}}}]


def test_missing_message_run_or_bad_settings_give_a_message():
    def status(*args, chat=None):
        return last(send(*args, chat or new_chat()))[0]

    assert "Type a user message" in status("any", "", "[]", "", "  ", *GREEDY)
    assert "Pick a finished run" in status(None, "", "[]", "", "Weather in Oslo?", *GREEDY)
    make_run("20250101-000000-failed", adapter=False)
    assert "Pick a finished run" in status("20250101-000000-failed", "", "[]", "", "Hi", *GREEDY)
    assert "Pick a finished run" in status("../../etc", "", "[]", "", "Hi", *GREEDY)
    assert "Max new tokens must be a whole number from 1 to 1024" in status("r", "", "[]", "", "Hi", 0.0, 1.0, 5000, False)
    assert "Temperature must be between 0 and 2" in status("r", "", "[]", "", "Hi", -1.0, 1.0, 10, False)
    assert "Top-p must be above 0" in status("r", "", "[]", "", "Hi", 0.5, 0.0, 10, False)
    assert "No tool call is waiting" in last(continue_with_result("r", "", "[]", "", "ok", False, *GREEDY,
                                                                  new_chat()))[0]


def test_finished_runs_lists_only_runs_with_an_adapter():
    make_run("20250101-000000-failed", adapter=False)
    make_run("20250102-000000-done", adapter=True)
    assert finished_runs() == [("20250102-000000-done (completed)", "20250102-000000-done")]


def test_both_sides_answer_from_one_loaded_model(tiny_model_path):
    """The base side is the adapter switched off (same loaded weights); each side keeps its own history."""
    from toolft.inference import Sampling, generate_batch
    from toolft.modeling import load_base_model, load_tokenizer

    run = write_adapter_run(runs_dir() / "20250104-000000-fresh")
    tools, _ = parse_tools(default_tools_json())
    steps = list(send(run.name, "", default_tools_json(), "Be brief.", "What's the weather in Oslo?", *GREEDY,
                      new_chat()))
    assert any(s[0].startswith("Generating the base") for s in steps)  # streamed while generating
    status, base_chat, base_review, base_calls, tuned_chat, tuned_review, tuned_calls, chat = steps[-1]
    assert status.startswith(f"Answers from **{run.name}**")
    assert [m["role"] for m in chat["base"]] == ["user", "assistant"] == [m["role"] for m in chat["finetuned"]]
    assert base_chat.startswith("User: What's the weather in Oslo?") and base_chat == transcript(chat["base"])
    assert base_review.startswith("**") and isinstance(json.loads(tuned_calls), list)
    # the base answer is the plain base model's greedy answer to the same prompt
    plain = load_base_model("tiny-qwen3", "float32")
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What's the weather in Oslo?"}]
    expected = generate_batch(plain, load_tokenizer("tiny-qwen3"), [(prompt, tools)], sampling=Sampling(max_new_tokens=24))
    assert chat["base"][1]["content"] == expected[0] or chat["base"][1].get("tool_calls")
    assert transcript(chat["base"]) != transcript(chat["finetuned"])  # the adapter changes the answer
    loaded = shared_model.SLOT.loaded_key()
    last(send(run.name, "", "[]", "", "Hello", *GREEDY, new_chat()))
    assert shared_model.SLOT.loaded_key() == loaded  # loaded once, reused
    assert shared_model.SLOT.waiting() == 0


def test_a_pending_call_continues_with_a_result(tiny_model_path):
    """A side that called a tool gets the visitor's result (or a made-up one) and answers again."""
    run = write_adapter_run(runs_dir() / "20250105-000000-calls")
    call = {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
    chat = {"base": [{"role": "user", "content": "Weather in Oslo?"}, {"role": "assistant", "content": "Sunny, I think."}],
            "finetuned": [{"role": "user", "content": "Weather in Oslo?"},
                          {"role": "assistant", "content": "", "tool_calls": [call]}]}
    assert pending_calls(chat["finetuned"]) == [call] and pending_calls(chat["base"]) == []
    assert "Write the tool result first" in last(continue_with_result(run.name, "", default_tools_json(), "", "  ",
                                                                      False, *GREEDY, chat))[0]
    out = last(continue_with_result(run.name, "", default_tools_json(), "", '{"temp_c": 3}', False, *GREEDY, chat))
    chat = out[-1]
    assert [m["role"] for m in chat["finetuned"]] == ["user", "assistant", "tool", "assistant"]
    assert chat["finetuned"][2] == {"role": "tool", "tool_call_id": "call_0", "name": "get_weather",
                                    "content": '{"temp_c": 3}'}
    assert len(chat["base"]) == 2  # the base had no call: it waits for the next message
    assert 'Tool result (get_weather): {"temp_c": 3}' in out[4]
    chat["finetuned"].append({"role": "assistant", "content": "", "tool_calls": [dict(call, id="call_1")]})
    chat = last(continue_with_result(run.name, "", default_tools_json(), "", "", True, *GREEDY, chat))[-1]
    made_up = json.loads(chat["finetuned"][5]["content"])
    assert made_up["mock"] is True and made_up["arguments"] == {"city": "Oslo"}


def test_an_adapter_folder_loads_instead_of_a_run(tiny_model_path, tmp_path):
    """A local adapter folder inside the toolft home loads; any other server path is refused unread."""
    run = write_adapter_run(runs_dir() / "elsewhere")
    status, *_ = last(send(None, str(run.adapter_path), "[]", "", "Hi", *GREEDY, new_chat()))
    assert status.startswith(f"Answers from **{run.adapter_path}**".replace("_", "\\_")), status
    empty = runs_dir() / "empty"
    empty.mkdir()
    status, *_ = last(send(None, str(empty), "[]", "", "Hi", *GREEDY, new_chat()))
    assert "Could not answer" in status and "adapter\\_config.json" in status
    outside = write_adapter_run(tmp_path / "outside")
    status, *rest = last(send(None, str(outside.adapter_path), "[]", "", "Hi", *GREEDY, new_chat()))
    assert "must be inside the toolft home" in status and "other server paths are not allowed" in status
    assert str(tmp_path) not in status
    assert rest[-1] == new_chat()  # the refused message was not left in the conversation


def test_an_adapter_from_a_hub_model_repo(tiny_model_path, tmp_path, hub):
    """A Hub repo id loads the adapter through huggingface_hub (a local fake Hub, the real client)."""
    from toolft.modeling import load_adapter

    run = write_adapter_run(tmp_path / "published")
    hub.add_repo("acme/tiny-tools-lora", run.adapter_path, repo_type="model")
    model, tokenizer = load_adapter("acme/tiny-tools-lora")
    assert model.active_adapter == "default" and tokenizer.eos_token == "<|im_end|>"
    status, *_ = last(send(None, "acme/tiny-tools-lora", "[]", "", "Hi", *GREEDY, new_chat()))
    assert status.startswith("Answers from **acme/tiny-tools-lora**"), status
    assert any(path.endswith("/resolve/main/adapter_model.safetensors") for _, path in hub.requests)
    missing = last(send(None, "acme/nothing-here", "[]", "", "Hi", *GREEDY, new_chat()))[0]
    assert "Could not answer with acme/nothing-here" in missing and "Traceback" not in missing


def test_a_private_hub_adapter_is_read_as_the_visitor(tiny_model_path, tmp_path, hub, monkeypatch):
    """This machine's token (on a Space: its HF_TOKEN secret, the owner's) can read acme/private-lora; a visitor
    without a token cannot, not even once the owner's copy is loaded; a visitor with their own token can."""
    run = write_adapter_run(tmp_path / "private")
    hub.add_repo("acme/private-lora", run.adapter_path, repo_type="model", private=True,
                 tokens={"hf_owner", "hf_eve"})
    monkeypatch.setenv("HF_TOKEN", "hf_owner")
    owner = last(send(None, "acme/private-lora", "[]", "", "Hi", *GREEDY, new_chat()))[0]
    assert owner.startswith("Answers from **acme/private-lora**"), owner  # off a Space: this machine's login
    anonymous = last(send(None, "acme/private-lora", "[]", "", "Hi", *GREEDY, new_chat(), token=False))[0]
    assert "Could not answer with acme/private-lora" in anonymous and "hf_owner" not in anonymous
    eve = last(send(None, "acme/private-lora", "[]", "", "Hi", *GREEDY, new_chat(), token="hf_eve"))[0]
    assert eve.startswith("Answers from **acme/private-lora**"), eve


def test_an_adapter_id_is_never_read_from_the_servers_disk(tiny_model_path, tmp_path, hub, monkeypatch):
    """``dir/sub`` in the adapter box is a Hub id: a folder of that name under the app's working folder is
    neither loaded nor probed."""
    import shutil

    run = write_adapter_run(tmp_path / "run")
    shutil.copytree(run.adapter_path, tmp_path / "cwd" / "acme" / "secret-lora")
    monkeypatch.chdir(tmp_path / "cwd")
    assert (Path("acme/secret-lora") / "adapter_config.json").is_file()
    status = last(send(None, "acme/secret-lora", "[]", "", "Hi", *GREEDY, new_chat()))[0]
    assert "Could not answer with acme/secret-lora" in status and "RepositoryNotFound" in status
    assert any("/acme/secret-lora/" in path for _, path in hub.requests)  # asked the Hub, not the disk
    assert (Path("acme/secret-lora") / "adapter_model.safetensors").is_file()


def test_pickled_adapter_weights_are_never_loaded(tiny_model_path, tmp_path, hub):
    """Only safetensors: an adapter shipped as a pickled .bin (which could run code on load) is refused,
    from a folder and from the Hub."""
    import pytest

    from toolft.modeling import load_adapter

    run = write_adapter_run(tmp_path / "pickled")
    weights = run.adapter_path / "adapter_model.safetensors"
    weights.rename(run.adapter_path / "adapter_model.bin")
    with pytest.raises(FileNotFoundError, match="only from safetensors"):
        load_adapter(str(run.adapter_path))
    hub.add_repo("acme/pickled-lora", run.adapter_path, repo_type="model")
    with pytest.raises(FileNotFoundError, match="only from safetensors"):
        load_adapter("acme/pickled-lora")


def test_a_busy_model_says_the_visitors_place_in_line(tiny_model_path):
    """While another visitor's turn runs, the handler yields its place instead of blocking silently."""
    run = write_adapter_run(runs_dir() / "20250108-000000-queue")
    holder = shared_model.SLOT.join()  # another visitor is using the model
    assert shared_model.SLOT.my_turn(holder)
    try:
        steps = send(run.name, "", "[]", "", "Hi", *GREEDY, new_chat())
        first = next(steps)[0]
        assert first == "⏳ the model is busy: 1 request ahead of yours."
        assert shared_model.SLOT.waiting() == 2
    finally:
        shared_model.SLOT.leave(holder)
    assert last(steps)[0].startswith(f"Answers from **{run.name}**")
    assert shared_model.SLOT.waiting() == 0


def test_stopping_a_stream_stops_the_generation(tiny_model_path):
    """A visitor who presses Stop closes the stream: the model is idle before the next turn starts."""
    import threading

    from toolft.inference import Sampling, stream_answer
    from toolft.modeling import load_base_model, load_tokenizer

    model, tokenizer = load_base_model("tiny-qwen3", "float32"), load_tokenizer("tiny-qwen3")
    before = set(threading.enumerate())  # other tests' threads may end meanwhile: compare threads, not counts
    stream = stream_answer(model, tokenizer, [{"role": "user", "content": "Tell me a long story."}], None,
                           sampling=Sampling(max_new_tokens=1024))
    next(stream)
    started = [t for t in threading.enumerate() if t not in before]
    stream.close()  # what Gradio does on Stop or a closed tab
    assert started and not any(t.is_alive() for t in started)  # the generating thread has ended, not left running


def test_an_answer_stops_at_its_time_limit(tiny_model_path):
    """Sampling.max_seconds caps how long one answer may hold the shared model, whatever max_new_tokens says."""
    import time

    from toolft.inference import Sampling, generate_batch, stream_answer
    from toolft.modeling import load_base_model, load_tokenizer

    model, tokenizer = load_base_model("tiny-qwen3", "float32"), load_tokenizer("tiny-qwen3")
    prompt = [{"role": "user", "content": "Repeat exactly: " + "a b c " * 40}]
    free = generate_batch(model, tokenizer, [(prompt, None)], sampling=Sampling(max_new_tokens=48))[0]
    started = time.monotonic()
    # 1,700 new tokens fit tiny-qwen3's 2,048-token context with this prompt, and take far longer on this CPU
    *_, capped = stream_answer(model, tokenizer, prompt, None, sampling=Sampling(max_new_tokens=1700, max_seconds=0.2))
    assert time.monotonic() - started < 5
    assert len(tokenizer(capped)["input_ids"]) < 1700 and (capped in free or free.startswith(capped[:10]))
    assert Sampling(max_seconds=30).generate_kwargs(tokenizer)["max_time"] == 30.0
    assert "max_time" not in Sampling().generate_kwargs(tokenizer)


def test_a_release_during_a_load_wins():
    from toolft.inference import ModelSlot

    slot = ModelSlot()
    slot.load("old", lambda: ("old-model", "tok"))

    def loader():
        slot.release()  # Launch pressed while this model loads
        return ("new-model", "tok")

    assert slot.load("new", loader) == ("new-model", "tok")  # handed to the caller...
    assert slot.loaded_key() is None  # ...but not kept
    assert slot.load("old", lambda: ("again", "tok")) == ("again", "tok")
    try:
        slot.load("broken", lambda: 1 / 0)
    except ZeroDivisionError:
        pass
    assert slot.loaded_key() == "old"  # a name that fails to load evicts nothing


def test_a_broken_tool_call_is_labelled_so_and_stays_in_the_conversation():
    """An answer whose only call does not parse is not a "plain answer" with nothing shown: its raw text stays
    in the conversation, labelled, with the parse error."""
    from toolft.answers import assistant_message, review_answer
    from toolft.ui.playground_tab import default_tools_json, parse_tools, review_markdown, transcript

    tools, _ = parse_tools(default_tools_json())
    chat = [{"role": "user", "content": "What's the weather in Lisbon?"}]
    text = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Lisb'
    review = review_answer(text, tools, chat)
    assert review.label == "broken tool call" and review.calls == [] and review.content == text
    assert review.problems[0].startswith("unparsed: tool call 1: invalid JSON")
    assert review_markdown(review).startswith("**broken tool call**\n- ⚠ unparsed: tool call 1: invalid JSON")
    shown = transcript([*chat, assistant_message(review.calls, review.content)])
    assert shown.endswith('Assistant: <tool_call>\n{"name": "get_weather", "arguments": {"city": "Lisb')
    plain = review_answer("It is sunny in Lisbon.", tools, chat)
    assert plain.label == "plain answer" and plain.content == "It is sunny in Lisbon."


def test_a_conversation_longer_than_the_context_is_refused_with_the_numbers(tiny_model_path):
    """tiny-qwen3 reads 2,048 tokens: a 20,000-character message gets a message, not 35 s of garbage."""
    run = write_adapter_run(runs_dir() / "20250109-000000-long")
    status, *rest = last(send(run.name, "", "[]", "", "word " * 4000, *GREEDY, new_chat()))
    assert "Could not answer with" in status and "passes this model's context of 2,048 tokens" in status, status
    assert "Press Clear" in status and rest[-1] == new_chat()  # nothing half-answered left in the conversation
