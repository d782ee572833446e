"""The access rules hold for the app's HTTP API too: on a Space, an anonymous client calling the Train tab's
endpoints directly (no browser, no button) is refused and nothing starts; with open training it is let through."""

import json

from tests.ui.test_browser import serve_app

SPACE = {"SPACE_ID": "ada/toolft", "SPACE_AUTHOR_NAME": "ada"}


def test_a_direct_api_call_is_refused_on_a_space_and_allowed_when_training_is_open(tmp_path):
    from gradio_client import Client

    with serve_app(tmp_path / "closed", SPACE) as url:
        client = Client(url, verbose=False)
        endpoints = json.dumps(client.view_api(return_format="dict", print_info=False))
        for name in ("/on_launch", "/on_cancel", "/on_resume"):
            assert name in endpoints
            answer = client.predict(api_name=name)
            assert answer.startswith("**Not allowed:**") and "duplicate=true" in answer, (name, answer)
        deleted = client.predict(None, True, api_name="/on_delete")
        assert deleted[0].startswith("**Not allowed:**")
        assert not (tmp_path / "closed" / "home" / "runs").exists() or not any(
            (tmp_path / "closed" / "home" / "runs").iterdir())  # nothing was started
        # in a browser: the visitor reads why, gets a Duplicate button, and the owner's buttons are greyed out
        from playwright.sync_api import expect

        from tests.ui.test_browser import app_page

        with app_page(url) as page:
            page.get_by_role("tab", name="Train").click()
            expect(page.locator("#train-access")).to_contain_text("Training on this Space is for its owner, ada",
                                                                  timeout=30_000)
            expect(page.get_by_text("Duplicate this Space")).to_be_visible()
            page.get_by_text("All runs: open, compare, delete").click()
            for name in ("Launch training", "Cancel", "Resume", "Resume run A", "Delete run", "Push adapter"):
                expect(page.get_by_role("button", name=name, exact=True)).to_be_disabled(timeout=30_000)
    with serve_app(tmp_path / "open", {**SPACE, "TOOLFT_OPEN_TRAINING": "1"}) as url:
        answer = Client(url, verbose=False).predict(api_name="/on_cancel")
        assert answer == "No training run is in progress."


OAUTH_SECRET = "test-oauth-secret"  # what a Space's hf_oauth sets in OAUTH_CLIENT_SECRET


def login_cookie(username: str) -> str:
    """The session cookie Gradio's ``/login/callback`` sets after a Hugging Face login as ``username``:
    Starlette's signed session (itsdangerous, keyed as ``gradio.oauth.attach_oauth`` keys it) holding the
    ``oauth_info`` the OpenID provider returned."""
    import base64
    import hashlib
    import time

    import itsdangerous

    info = {"access_token": f"hf_oauth_{username}", "token_type": "bearer", "scope": "openid profile",
            "expires_at": int(time.time()) + 3600, "userinfo": {"preferred_username": username, "name": username}}
    key = hashlib.sha256((OAUTH_SECRET + "-v4").encode()).hexdigest()
    data = base64.b64encode(json.dumps({"oauth_info": info}).encode())
    return "session=" + itsdangerous.TimestampSigner(key).sign(data).decode()


def test_the_owner_and_an_admin_logged_in_may_train_over_http_and_others_may_not(tmp_path):
    """The Space's owner, logged in with Hugging Face (Gradio's OAuth session cookie), launches and cancels a
    run through the HTTP API and gets past the check for delete and push; an admin from TOOLFT_ADMINS may
    cancel; another logged-in user and an anonymous client are refused train, cancel, resume, delete and push."""
    from gradio_client import Client

    env = {**SPACE, "SYSTEM": "spaces", "TOOLFT_ADMINS": "bob", "OAUTH_CLIENT_ID": "test-client", "OAUTH_CLIENT_SECRET": OAUTH_SECRET,
           "OAUTH_SCOPES": "openid profile", "OPENID_PROVIDER_URL": "http://127.0.0.1:9"}
    with serve_app(tmp_path, env) as url:
        def client(user=None):
            return Client(url, verbose=False, headers={"Cookie": login_cookie(user)} if user else None)

        for who in (None, "mallory"):
            for name in ("/on_launch", "/on_cancel", "/on_resume"):
                answer = client(who).predict(api_name=name)
                assert answer.startswith("**Not allowed:**"), (who, name, answer)
            assert client(who).predict(None, True, api_name="/on_delete")[0].startswith("**Not allowed:**")
            assert client(who).predict(None, "ada/x", False, api_name="/on_push").startswith("**Not allowed:**")
        runs = tmp_path / "home" / "runs"
        assert not runs.exists() or not any(runs.iterdir())  # nothing was started

        owner = client("ada")
        started = owner.predict(api_name="/on_launch")
        assert started.startswith("Started run **"), started
        name = started.split("**")[1]
        assert (runs / name / "status.json").is_file()
        assert client("mallory").predict(api_name="/on_cancel").startswith("**Not allowed:**")
        assert client("bob").predict(api_name="/on_cancel") == f"Cancelled run **{name}**."
        assert owner.predict(api_name="/on_cancel") == "No training run is in progress."
        # allowed: past the access check, to the next question
        assert owner.predict(None, True, api_name="/on_delete")[0] == "Pick the run to delete."
        assert owner.predict(None, "ada/x", False, api_name="/on_push").startswith("Pick a finished run")
