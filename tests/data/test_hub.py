"""Hub dataset ids (``owner/name``): the real huggingface_hub client against a fake Hub (tests/hub_server.py).

Nothing here reaches the network: ``HF_ENDPOINT`` points at a local server that serves repo folders written
by the tests, and every Hugging Face path (cache, token, home) is a temporary folder.
"""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.data.test_files import chat_row, event_row, weather_row
from tests.hub_server import FakeHub
from toolft.data.files import DataFileError, read_rows, write_jsonl
from toolft.data.records import load_records

import pyarrow as pa
import pyarrow.parquet as pq
import huggingface_hub.constants as constants

TRAIN = [weather_row("Lyon", row_id="w-1"), event_row("Standup", ["2024-05-06", "2024-05-13"]), chat_row("hello"),
         weather_row("Zürich")]
TEST = [weather_row("Pune"), event_row("Review", ["2024-06-01"]), chat_row("thanks")]
TRAIN_FILE = "data/train-00000-of-00001.parquet"
TEST_FILE = "data/test-00000-of-00001.jsonl"


def write_repo(folder):
    """A dataset repo as the Hub holds one: a parquet train split, a JSONL test split (a blank line: the
    rows are on lines 1, 3 and 4), a README."""
    (folder / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_struct_array(pa.array(TRAIN)), folder / TRAIN_FILE)
    lines = [json.dumps(row, ensure_ascii=False) for row in TEST]
    (folder / TEST_FILE).write_text(lines[0] + "\n\n" + lines[1] + "\n" + lines[2] + "\n", encoding="utf-8")
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# acme/tools\nWeather and calendar calls.\n")
    return folder


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A running fake Hub serving ``acme/tools``; huggingface_hub in this process points at it.

    huggingface_hub reads HF_ENDPOINT, HF_HUB_OFFLINE and HF_HOME when it is imported, so the constants
    it computed are patched: the endpoint, offline mode (tests/conftest.py turns it on), and every path
    under HF_HOME (cache, token, stored tokens...) moved to a temporary home.
    """
    server = FakeHub().start()
    server.add_repo("acme/tools", write_repo(tmp_path / "repos" / "tools"))
    home = tmp_path / "hf-home"
    old_home = constants.HF_HOME
    for name in dir(constants):
        value = getattr(constants, name)
        if name.isupper() and isinstance(value, str) and value.startswith(old_home):
            monkeypatch.setattr(constants, name, str(home) + value[len(old_home):])
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    monkeypatch.setattr(constants, "ENDPOINT", server.url)
    from huggingface_hub import hf_api

    monkeypatch.setattr(hf_api.api, "endpoint", server.url)  # the module's HfApi() read ENDPOINT when imported
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        server.url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_PROGRESS_BARS", True)
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    yield server
    server.stop()


def cli_env(hub, tmp_path, **extra):
    """The environment of a ``python -m toolft`` subprocess that talks to the fake Hub (set before import)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE_"))}
    env.update({"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "cli-home"),
                "HF_HUB_CACHE": str(tmp_path / "cli-home" / "hub"), "HF_HUB_DISABLE_PROGRESS_BARS": "1", **extra})
    return env


def run_toolft(*args, env):
    return subprocess.run([sys.executable, "-m", "toolft", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=300)


# ------------------------------------------------------------------ reading splits
def test_test_split_is_read_with_its_lines_and_only_its_file_is_downloaded(hub):
    loaded = load_records("acme/tools", split="test")
    assert loaded.records == TEST
    assert loaded.lines == [1, 3, 4]  # the JSONL's own line numbers (line 2 is blank)
    assert loaded.errors == [] and loaded.format == "openai"
    assert hub.file_requests("GET") == [TEST_FILE]  # not the train parquet, not the README
    assert set(hub.file_requests()) == {TEST_FILE}
    api = [path for _, path in hub.requests if path.startswith("/api/datasets/")]
    assert len(api) == 2 and api[0] == "/api/datasets/acme/tools"  # the commit, then the file list at it
    assert re.fullmatch(r"/api/datasets/acme/tools/tree/[0-9a-f]{40}", api[1])


def test_train_split_from_parquet_equals_the_original_rows(hub):
    loaded = load_records("acme/tools", split="train")
    assert loaded.records == TRAIN
    assert loaded.lines == [1, 2, 3, 4]
    assert hub.file_requests("GET") == [TRAIN_FILE]
    assert load_records("acme/tools").records == TRAIN  # train is the default split


def test_limit_stops_reading_and_downloading(hub, tmp_path):
    rows, notes = read_rows("acme/tools", split="test", limit=2)
    assert [(line, row) for line, row, _ in rows] == [(1, TEST[0]), (3, TEST[1])] and notes == []
    # a split in two shards: a limit the first one reaches leaves the second one on the Hub
    folder = tmp_path / "repos" / "shards"
    write_jsonl([weather_row("Lyon"), weather_row("Oslo")], folder / "data" / "train-00000-of-00002.jsonl")
    write_jsonl([weather_row("Pune")], folder / "data" / "train-00001-of-00002.jsonl")
    hub.add_repo("acme/shards", folder)
    loaded = load_records("acme/shards", limit=2)
    assert loaded.total == 2 and loaded.records == [weather_row("Lyon"), weather_row("Oslo")]
    assert hub.file_requests("GET")[-1:] == ["data/train-00000-of-00002.jsonl"]
    assert "data/train-00001-of-00002.jsonl" not in hub.file_requests()
    rows, _ = read_rows("acme/shards")  # all of it: numbered across the shards
    assert [(line, row["messages"][0]["content"]) for line, row, _ in rows] == [
        (1, "Weather in Lyon?"), (2, "Weather in Oslo?"), (3, "Weather in Pune?")]


def test_missing_split_lists_the_data_files(hub):
    with pytest.raises(DataFileError) as info:
        read_rows("acme/tools", split="validation")
    assert str(info.value) == f"acme/tools: no file of split 'validation' ({TEST_FILE}, {TRAIN_FILE})"
    assert hub.file_requests() == []


# ------------------------------------------------------------------ cache
def test_second_read_uses_the_cache_and_works_with_the_hub_down(hub):
    first = load_records("acme/tools", split="test")
    hub.requests.clear()
    again = load_records("acme/tools", split="test")  # online: the listing is asked again, the file is not
    assert again.records == first.records == TEST and hub.file_requests() == []
    hub.stop()
    rows, notes = read_rows("acme/tools", split="test")
    assert [row for _, row, _ in rows] == TEST and [line for line, _, _ in rows] == [1, 3, 4]
    assert len(notes) == 1 and notes[0].startswith(
        f"read from the local Hugging Face cache: the Hub cannot be reached ({hub.url} did not answer: ConnectError")
    offline = load_records("acme/tools", split="test")
    assert offline.records == TEST and "local Hugging Face cache" in offline.warnings[0].message
    # the train split was never downloaded: no copy to fall back on
    with pytest.raises(DataFileError, match=r"^acme/tools: a Hub dataset id needs network access \(.* did not "
                                            r"answer: ConnectError\), and split 'train' is not in the local "
                                            r"Hugging Face cache; where there is network, download it as a folder "
                                            r"\(hf download acme/tools --repo-type dataset --local-dir DIR\)"):
        read_rows("acme/tools", split="train")


def test_offline_mode_without_a_cached_copy_says_network_is_needed(hub, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(DataFileError) as info:
        load_records("acme/tools", split="test")
    message = str(info.value)
    assert message.startswith("acme/tools: a Hub dataset id needs network access (HF_HUB_OFFLINE=1 is set), and "
                              "split 'test' is not in the local Hugging Face cache; where there is network, "
                              "download it as a folder (hf download acme/tools --repo-type dataset --local-dir DIR)")
    assert "\n" not in message and hub.requests == []


# ------------------------------------------------------------------ refusals
def test_unknown_repo_is_named(hub):
    with pytest.raises(DataFileError) as info:
        load_records("acme/missing", split="test")
    assert str(info.value) == f"acme/missing: no such dataset on the Hub ({hub.url}); check the id (owner/name)"
    assert ("GET", "/api/datasets/acme/missing") in hub.requests
    with pytest.raises(DataFileError, match=r"^acme/a--b: not a valid Hub dataset id \(Cannot have -- or \.\. in "):
        read_rows("acme/a--b")


def test_gated_and_private_repos_need_a_token(hub, tmp_path, monkeypatch):
    hub.add_repo("acme/gated", write_repo(tmp_path / "repos" / "gated"), gated=True, tokens={"hf_good"})
    hub.add_repo("acme/private", write_repo(tmp_path / "repos" / "private"), private=True, tokens={"hf_good"})
    with pytest.raises(DataFileError) as info:
        read_rows("acme/gated", split="test")
    assert str(info.value) == (f"acme/gated: the dataset is gated: accept its conditions on {hub.url}/datasets/"
                               "acme/gated, then log in with a token that can read it (hf auth login, or set HF_TOKEN)")
    with pytest.raises(DataFileError) as info:
        read_rows("acme/private", split="test")
    assert str(info.value) == ("acme/private: the Hub refuses access (HTTP 401): the dataset does not exist, or it "
                               "is private or gated; log in with a token that can read it (hf auth login, or set "
                               "HF_TOKEN)")
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    with pytest.raises(DataFileError, match=r"^acme/gated: the dataset is gated: .* then the token in use cannot "
                                            r"read it: log in with one that can"):
        read_rows("acme/gated", split="test")
    monkeypatch.setenv("HF_TOKEN", "hf_good")
    assert load_records("acme/gated", split="test").records == TEST
    assert load_records("acme/private", split="train").records == TRAIN


def test_max_bytes_is_checked_before_any_download(hub, tmp_path):
    size = (tmp_path / "repos" / "tools" / TRAIN_FILE).stat().st_size
    with pytest.raises(DataFileError) as info:
        load_records("acme/tools", split="train", max_bytes=size - 1)
    assert str(info.value) == (f"acme/tools: {TRAIN_FILE} is {size / 1024:.1f} KiB, over the upload limit of "
                               f"{(size - 1) / 1024:.1f} KiB (nothing was downloaded)")
    assert hub.file_requests() == []  # not even a HEAD
    assert load_records("acme/tools", split="train", max_bytes=size).records == TRAIN


def test_a_split_in_several_files_counts_them_together(hub, tmp_path):
    folder = tmp_path / "repos" / "shards"
    write_jsonl([weather_row("Lyon")] * 10, folder / "train-0.jsonl")
    write_jsonl([weather_row("Oslo")] * 10, folder / "train-1.jsonl")
    hub.add_repo("acme/shards", folder)
    one = (folder / "train-0.jsonl").stat().st_size
    with pytest.raises(DataFileError, match=r"^acme/shards: the 2 train files are .* together, over the upload "
                                            r"limit of .* \(nothing was downloaded\)$"):
        read_rows("acme/shards", max_bytes=one + 10)
    assert hub.file_requests() == []


# ------------------------------------------------------------------ the CLI
def test_cli_data_check_reads_a_hub_dataset(hub, tmp_path):
    result = run_toolft("data", "check", "acme/tools", "--split", "test", "--json", "--no-tokens",
                        env=cli_env(hub, tmp_path))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["format"] == "openai" and summary["valid"] == len(TEST) and summary["rows"] == len(TEST)
    assert hub.file_requests("GET") == [TEST_FILE]


def test_cli_offline_mode_message_has_no_traceback(hub, tmp_path):
    result = run_toolft("data", "check", "acme/tools", "--split", "test", "--json", "--no-tokens",
                        env=cli_env(hub, tmp_path, HF_HUB_OFFLINE="1"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: acme/tools: a Hub dataset id needs network access (HF_HUB_OFFLINE=1 is "
                                    "set)")
    assert "download it as a folder" in result.stderr and "Traceback" not in result.stderr
    assert hub.file_requests() == []
