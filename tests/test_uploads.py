"""Uploads belong to the visitor session that made them (toolft.uploads): owned, reclaimed on reload,
deleted after their session ends unless a run trains on them; another session can never train on them."""

import os

import pytest

from toolft.recipe import load_recipe, save_recipe
from toolft.uploads import UploadOwners, runs_using, upload_folder, uploads_dir

ROW = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}\n'


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLFT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def an_upload(name: str = "mine.jsonl", folder: str = "a" * 32):
    path = uploads_dir() / folder / name
    path.parent.mkdir(parents=True)
    path.write_text(ROW, encoding="utf-8")
    return path


def test_upload_folder_is_the_uploads_subfolder_or_none(home):
    path = an_upload()
    assert upload_folder(path) == path.parent.resolve()
    assert upload_folder(path.parent / "converted" / "x.jsonl") == path.parent.resolve()
    assert upload_folder(uploads_dir() / ".." / "runs" / "x") is None  # resolved first: no way out with ..
    assert upload_folder(home / "elsewhere.jsonl") is None and upload_folder("a\0b") is None


def test_owner_only_and_two_tabs_of_one_browser(home):
    owners, path = UploadOwners(grace_s=60), an_upload()
    key = owners.claim(path, "tab-1")
    assert len(key) == 32 and (path.parent / ".owner-key").read_text() == key
    assert oct((path.parent / ".owner-key").stat().st_mode & 0o777) == "0o600"
    assert owners.owns(path, "tab-1") and not owners.owns(path, "stranger") and not owners.owns(path, None)
    assert owners.claim(home / "not-an-upload.jsonl", "tab-1") is None
    assert owners.claim(path, "tab-1") == key  # one key per folder
    assert owners.holds(path, key) and owners.holds(path.parent / "converted.jsonl", key)
    assert not owners.holds(path, key[:-1] + "x") and not owners.holds(path, None) and not owners.holds(path, "")
    # a path alone (as anyone can send in place of the browser's saved choice) claims nothing
    assert not owners.reclaim(path, None, "thief") and not owners.reclaim(path, "0" * 32, "thief")
    assert not owners.owns(path, "thief")
    assert owners.reclaim(path, key, "tab-2")  # the same browser restored it in a second tab
    assert owners.end_session("tab-1", now=0) == []  # tab-2 still owns it: nothing waits for deletion
    assert owners.sweep(now=10_000) == [] and path.exists()


def test_a_closed_session_loses_its_upload_after_the_grace_period(home):
    owners, path = UploadOwners(grace_s=60), an_upload()
    other = an_upload(folder="b" * 32)
    owners.claim(path, "s1")
    owners.claim(other, "s2")
    assert owners.end_session("s1", now=1000) == [path.parent.resolve()]
    os.utime(other.parent, (0, 0))  # old, but s2 still owns it
    assert owners.sweep(now=1059) == [] and path.exists()  # within the grace period
    assert owners.sweep(now=1060) == [path.parent.resolve()]
    assert not path.parent.exists() and other.exists()
    assert not owners.owns(path, "s1")


def test_a_reload_reclaims_the_upload_within_the_grace_period(home):
    owners, path = UploadOwners(grace_s=60), an_upload()
    key = owners.claim(path, "before-reload")
    owners.end_session("before-reload", now=1000)
    assert owners.reclaim(path, key, "after-reload")  # the page came back and restored its data choice
    assert owners.sweep(now=5000) == [] and path.exists() and owners.owns(path, "after-reload")


def test_an_upload_a_run_trains_on_is_kept(home):
    owners, path = UploadOwners(grace_s=60), an_upload()
    recipe = load_recipe("tiny-cpu")
    recipe.data.train_file = str(path)
    run_dir = home / "runs" / "20260101-000000-mine"
    run_dir.mkdir(parents=True)
    save_recipe(recipe, run_dir / "recipe.yaml")
    (home / "runs" / "broken").mkdir()
    (home / "runs" / "broken" / "recipe.yaml").write_text("data: [unclosed", encoding="utf-8")
    assert runs_using(path.parent.resolve()) == ["20260101-000000-mine"]
    owners.claim(path, "s1")
    owners.end_session("s1", now=1000)
    assert owners.sweep(now=2000) == [] and path.exists()
    assert owners.sweep(now=9000) == [] and path.exists()  # kept for good, also as a stray folder


def test_folders_left_by_an_earlier_process_go_once_older_than_the_grace_period(home):
    owners = UploadOwners(grace_s=60)
    old, recent = an_upload(folder="c" * 32), an_upload(folder="d" * 32)
    os.utime(old.parent, (1000, 1000))
    os.utime(recent.parent, (1950, 1950))
    assert owners.sweep(now=2000) == [old.parent.resolve()]
    assert recent.exists()


def test_an_owned_upload_goes_after_the_maximum_age(home):
    """A client that never keeps a heartbeat never ends its session: its uploads still go after a day."""
    from toolft.uploads import MAX_AGE_S

    owners, path = UploadOwners(grace_s=60), an_upload()
    owners.claim(path, "api-client")
    os.utime(path.parent, (1000, 1000))
    assert owners.sweep(now=1000 + MAX_AGE_S - 1) == [] and path.exists()
    assert owners.sweep(now=1000 + MAX_AGE_S) == [path.parent.resolve()] and not owners.owns(path, "api-client")


def test_launch_refuses_an_upload_that_is_not_the_sessions_own_choice(home):
    from toolft.ui.train_tab import launch
    from toolft.uploads import OWNERS

    path, other = an_upload(), an_upload(folder="f" * 32)
    key = OWNERS.claim(path, "owner-session")
    other_key = OWNERS.claim(other, "someone-else")
    recipe = load_recipe("tiny-cpu").to_dict()
    recipe["data"]["train_file"] = str(path)
    for data in (None,  # a recipe naming the path, from a session whose data choice is something else
                 {"train_file": "sample", "sample_rows": 50},
                 {"train_file": str(path), "sample_rows": None},  # the path without its key
                 {"train_file": str(path), "sample_rows": None, "key": other_key},
                 {"train_file": str(other), "sample_rows": None, "key": other_key}):  # its own, but not this one
        message = launch(recipe, session="someone-else", data=data)
        assert message.startswith("**Not launched:** this dataset is not one you uploaded in this session"), data
    recipe["data"]["train_file"] = " " + str(path)  # spaces around it change nothing
    assert launch(recipe, session="someone-else", data=None).startswith("**Not launched:** this dataset is not")
    assert not list(home.glob("runs/*/status.json"))  # no run started
    assert OWNERS.owns(path, "owner-session") and not OWNERS.owns(path, "someone-else")
    assert key != other_key


def test_a_restored_data_choice_is_claimed_by_the_new_session(home):
    from toolft.ui import restore_saved
    from toolft.uploads import OWNERS

    path = an_upload(folder="e" * 32)
    key = OWNERS.claim(path, "before-reload")
    _, data, _, parts = restore_saved(None, {"train_file": str(path), "sample_rows": None, "key": key}, "data",
                                      "reloaded")
    assert parts["data"] and data == {"train_file": str(path.resolve()), "sample_rows": None, "key": key}
    assert OWNERS.owns(path, "reloaded") and not OWNERS.owns(path, "someone-else")
    # anyone can send a saved choice naming the path (BrowserState is client input): without the key, nothing
    for forged in ({"train_file": str(path), "sample_rows": None}, {"train_file": str(path), "key": "0" * 32}):
        _, data, _, parts = restore_saved(None, forged, "data", "thief")
        assert not parts["data"] and not OWNERS.owns(path, "thief")
