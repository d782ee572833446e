"""Who may do what: the access matrix through the Train tab's handlers (train, cancel, resume, delete), for an
anonymous visitor, a logged-in visitor, the Space's owner, an admin, the open-training flag and a local app."""

import pytest

from toolft.access import AccessDenied, decide, oauth_token, oauth_username, owners, require

SPACE = {"SPACE_ID": "ada/toolft", "SPACE_AUTHOR_NAME": "ada", "TOOLFT_ADMINS": "grace, Linus"}
# (who, username, extra environment, may do owner actions)
MATRIX = [
    ("anonymous on a Space", None, SPACE, False),
    ("logged-in visitor", "mallory", SPACE, False),
    ("the owner", "ada", SPACE, True),
    ("the owner, other case", "ADA", SPACE, True),
    ("an admin", "linus", SPACE, True),
    ("anyone with open training", None, {**SPACE, "TOOLFT_OPEN_TRAINING": "1"}, True),
    ("the local user", None, {}, True),
]


@pytest.mark.parametrize("who,username,env,allowed", MATRIX, ids=[m[0] for m in MATRIX])
def test_access_matrix_through_the_train_tab_handlers(monkeypatch, who, username, env, allowed):
    """train, cancel, resume, delete and push: refused or let through for each kind of visitor."""
    from toolft.ui.train_tab import access_note, cancel, delete_view, launch, push_view, resume

    for key in ("SPACE_ID", "SPACE_AUTHOR_NAME", "TOOLFT_ADMINS", "TOOLFT_OPEN_TRAINING"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # each handler's answer when allowed is harmless here: a bad recipe, nothing running, nothing to resume or delete
    answers = {"train": launch({"lora": {"r": 0}}, username=username), "cancel": cancel(username=username),
               "resume": resume(username=username), "delete": delete_view(None, True, username=username),
               "push": push_view(None, None, False, username=username)}
    for action, answer in answers.items():
        assert answer.startswith("**Not allowed:**") is not allowed, (who, action, answer)
        assert decide(action, username, env).allowed is allowed
    if not allowed:
        assert "duplicate=true" in answers["train"] and "ada" in answers["train"]
        assert ("Log in with Hugging Face" in answers["train"]) is (username is None)
        assert "open to everyone" in access_note(username)
    else:
        assert answers["train"].startswith("**Not launched: fix these recipe settings")  # on to the recipe check
        assert answers["cancel"] == "No training run is in progress."


def test_require_and_owners():
    assert owners(SPACE) == {"ada", "grace", "linus"}
    require("push", "grace", SPACE)
    with pytest.raises(AccessDenied, match="Pushing to the Hub on this Space is for its owner, ada"):
        require("push", None, SPACE)
    with pytest.raises(ValueError, match="unknown action"):
        decide("format_disk", "ada", SPACE)


def test_the_username_comes_from_the_oauth_session_only():
    """Real ``gr.Request`` objects around real Starlette requests, as Gradio hands them to a handler."""
    import gradio as gr

    from tests.conftest import gradio_request as visitor
    from tests.conftest import logged_in

    ada = logged_in("ada", "hf_adaToken")
    assert oauth_username(visitor(ada)) == "ada"
    assert oauth_token(visitor(ada)) == "hf_adaToken" and oauth_token(visitor({})) is None
    assert oauth_username(visitor({})) is None and oauth_username(None) is None
    assert oauth_username(visitor()) is None  # no SessionMiddleware (no hf_oauth): Starlette would assert
    expired = logged_in("ada", "hf_adaToken", expires_in=-1)
    assert oauth_username(visitor(expired)) is None and oauth_token(visitor(expired)) is None  # as Gradio: logged out
    assert oauth_username(gr.Request(session_hash="abc")) is None  # a request rebuilt for the queue carries no session


def test_the_train_tab_says_where_runs_are_kept(monkeypatch, tmp_path):
    from toolft.ui.train_tab import storage_note

    monkeypatch.delenv("SPACE_ID", raising=False)
    assert storage_note() == f"Runs, uploads and models are kept in `{tmp_path / 'home'}`."
    monkeypatch.setenv("SPACE_ID", "ada/toolft")
    assert "lost when it restarts" in storage_note() and "/data" in storage_note()
