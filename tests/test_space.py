"""`space build` makes a folder a Space can run: its card parses with the right keys, its requirements add
gradio's OAuth extra, and its app imports and configures itself from there with SPACE_ID set."""

import os
import subprocess
import sys

import gradio
import yaml

from tests.conftest import cli


def test_space_build_makes_a_folder_that_starts_the_app(tmp_path):
    out = tmp_path / "space"
    result = cli("space", "build", str(out))
    assert result.returncode == 0, result.stderr
    card = (out / "README.md").read_text(encoding="utf-8")
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == gradio.__version__ and meta["app_file"] == "app.py"
    assert meta["hf_oauth"] is True and meta["suggested_hardware"] == "t4-small" and meta["license"]
    requirements = (out / "requirements.txt").read_text()
    assert "gradio[oauth]>=6.0,<7" in requirements and "trl" in requirements
    assert (out / "toolft" / "__init__.py").is_file() and not list(out.rglob("__pycache__"))
    # the app imports from the Space folder alone (not this checkout) and listens as a Space must
    env = {**os.environ, "SPACE_ID": "ada/toolft", "SPACE_AUTHOR_NAME": "ada", "TOOLFT_HOME": str(tmp_path / "home"),
           "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    code = ("import app, toolft; k = app.launch_kwargs(); "
            "print(toolft.__file__); print(k['server_name']); print(type(app.demo).__name__)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=out, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    where, host, kind = proc.stdout.split()[-3:]
    assert where.startswith(str(out)) and host == "0.0.0.0" and kind == "Blocks"
    # an existing, non-empty folder is refused, not overwritten
    again = cli("space", "build", str(out))
    assert again.returncode == 2 and "not an empty folder" in again.stderr


def test_the_card_is_checked(tmp_path):
    from toolft.space import card_problems, read_card

    meta, body = read_card()
    assert card_problems(meta) == [] and "owner" in body
    bad = dict(meta, sdk_version="5.0.0", hf_oauth=False)
    problems = card_problems(bad)
    assert any("sdk_version 5.0.0" in p for p in problems) and any("hf_oauth" in p for p in problems)


def test_space_deploy_uploads_the_folder_with_huggingface_hub(tmp_path, hub, monkeypatch):
    from toolft.space import build_space, deploy_space

    secret = "hf_fakeWriteToken0123456789"
    hub.write_tokens.add(secret)
    folder = build_space(tmp_path / "space")
    url = deploy_space(folder, "ada/toolft", token=secret)
    assert url == f"{hub.url}/spaces/ada/toolft"
    repo = hub.repos[("space", "ada/toolft")]
    uploaded = repo.files()
    assert set(uploaded) == {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert uploaded["README.md"] == (folder / "README.md").read_bytes()
    assert hub.commits[-1]["summary"] == "toolft: deploy the Space"
    # deploying again updates the same Space (create_repo with exist_ok)
    assert deploy_space(folder, "ada/toolft", token=secret) == url
    # a refused token: one readable line, and the token never appears in it
    wrong = "hf_someoneElsesToken987654"
    try:
        deploy_space(folder, "ada/other", token=wrong)
    except RuntimeError as exc:
        assert "deploying to ada/other failed" in str(exc) and wrong not in str(exc)
    else:
        raise AssertionError("a refused token must fail the deploy")
    # the CLI builds the folder itself and takes the token from HF_TOKEN, printing only the Space's URL
    monkeypatch.setenv("HF_TOKEN", secret)
    out = cli("space", "deploy", "ada/cli-space")
    assert out.returncode == 0 and out.stdout.strip() == f"{hub.url}/spaces/ada/cli-space"
    assert secret not in out.stdout + out.stderr and "app.py" in hub.repos[("space", "ada/cli-space")].files()
    monkeypatch.setenv("HF_TOKEN", wrong)
    refused = cli("space", "deploy", "ada/cli-other")
    assert refused.returncode == 2 and "failed" in refused.stderr and wrong not in refused.stdout + refused.stderr
