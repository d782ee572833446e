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
    with serve_app(tmp_path / "open", {**SPACE, "TOOLFT_OPEN_TRAINING": "1"}) as url:
        answer = Client(url, verbose=False).predict(api_name="/on_cancel")
        assert answer == "No training run is in progress."
