"""Load base models, tokenizers and fine-tuned adapters, the same way everywhere.

Training, evaluation and the playground all go through these functions, so a
model is resolved (``tiny-qwen3`` → the locally built folder), typed (float16 on
a T4, bfloat16 on newer GPUs, float32 on CPU) and placed identically.
"""

from __future__ import annotations

from pathlib import Path

from toolft.tiny import TINY_NAME, ensure_tiny_model


def resolve_model_path(name_or_path: str) -> str:
    """Map ``tiny-qwen3`` to its built folder; pass Hub ids and local folders through.

    >>> resolve_model_path("Qwen/Qwen3-1.7B")
    'Qwen/Qwen3-1.7B'
    """
    if name_or_path == TINY_NAME:
        return str(ensure_tiny_model())
    return name_or_path


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def has_cuda_gpu() -> bool:
    """True when this process can use a CUDA GPU.

    Where torch is already imported, torch decides. Otherwise the NVIDIA driver's device
    list decides (``/proc/driver/nvidia/gpus``, honouring ``CUDA_VISIBLE_DEVICES``), so a
    command that only counts tokens never pays torch's import (~2 s on 2 cores).
    """
    import os
    import sys

    if "torch" in sys.modules:
        return sys.modules["torch"].cuda.is_available()
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return False
    gpus = Path("/proc/driver/nvidia/gpus")
    try:
        return gpus.is_dir() and any(gpus.iterdir())
    except OSError:
        return False


def pick_dtype(setting: str = "auto"):
    """Resolve a recipe's ``model.dtype``; ``auto`` = bf16 if the GPU has it, fp16 on older GPUs, fp32 on CPU."""
    import torch

    if setting != "auto":
        return getattr(torch, setting)
    if not torch.cuda.is_available():
        return torch.float32
    return torch.bfloat16 if gpu_has_bf16() else torch.float16


def gpu_has_bf16() -> bool:
    """True on GPUs that compute bfloat16 natively (Ampere and newer).

    ``torch.cuda.is_bf16_supported()`` also says yes on a T4, where bf16 is only
    emulated (slow, no tensor cores): the T4 must get float16 instead.
    """
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)


def cpu_has_bf16() -> bool:
    """True when this CPU computes bfloat16 natively (AVX512-BF16 or AMX): autocast then halves step time."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def pick_mixed_precision(setting: str = "auto") -> str:
    """Resolve ``training.mixed_precision`` to ``"bf16"``, ``"fp16"`` or ``"no"``.

    ``auto``: bf16 on GPUs that have it, fp16 on older GPUs (the T4), bf16 on CPUs with
    native bf16, else full float32. Weights stay in ``model.dtype``; this only sets autocast.

    >>> pick_mixed_precision("no")
    'no'
    """
    import torch

    if setting != "auto":
        return setting
    if torch.cuda.is_available():
        return "bf16" if gpu_has_bf16() else "fp16"
    return "bf16" if cpu_has_bf16() else "no"


def load_tokenizer(name_or_path: str, token: str | bool | None = None):
    """The tokenizer of a model; for ``tiny-qwen3`` only its tokenizer is built (seconds), never the model.

    ``token``: the Hub token for a Hub id (``None``: this machine's login; ``False``: anonymous)."""
    from toolft.tiny import ensure_tiny_tokenizer

    path = str(ensure_tiny_tokenizer()) if name_or_path == TINY_NAME else resolve_model_path(name_or_path)
    if _plain_rust_tokenizer(path):
        # the class AutoTokenizer would pick anyway, without importing torch (~2 s of `data check`)
        from transformers.tokenization_utils_tokenizers import TokenizersBackend as tokenizer_class
    else:
        from transformers import AutoTokenizer as tokenizer_class
    tokenizer = tokenizer_class.from_pretrained(path, **({} if token is None else {"token": token}))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _plain_rust_tokenizer(path: str) -> bool:
    """True when a local tokenizer folder names the generic Rust-backed class (as tiny-qwen3's does)."""
    import json

    config = Path(path) / "tokenizer_config.json"
    if not (Path(path) / "tokenizer.json").is_file() or not config.is_file():
        return False
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("tokenizer_class") in (
            "TokenizersBackend", "PreTrainedTokenizerFast")
    except (OSError, ValueError):
        return False


def load_base_model(name_or_path: str, dtype: str = "auto", token: str | bool | None = None):
    """Load a causal LM for training or generation, on the GPU when there is one.

    ``token``: the Hub token for a Hub id (``None``: this machine's login; ``False``: anonymous)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(resolve_model_path(name_or_path), dtype=pick_dtype(dtype),
                                                 **({} if token is None else {"token": token}))
    return model.to(device())


def load_finetuned(run_dir: str | Path):
    """Load a finished run's base model with its LoRA adapter: ``(peft_model, tokenizer)``.

    The base model's answers come from the same weights via ``model.disable_adapter()``.
    The model is always loaded fresh from the saved folder, never copied from a
    trained instance (a Trainer-wrapped ``forward`` would bypass the adapter).
    """
    from peft import PeftModel

    from toolft.recipe import load_recipe
    from toolft.runfolder import RunFolder

    run = RunFolder(run_dir)
    if not run.has_adapter():
        raise FileNotFoundError(f"{run.name} has no trained adapter (adapter/adapter_config.json is missing)")
    adapter = run.adapter_path
    recipe = load_recipe(run.recipe_path)
    # the base this adapter was trained on, when the run recorded it and it is still there
    trained_on = run.read_status().get("base_model_path")
    name = trained_on if trained_on and Path(trained_on).is_dir() else recipe.model.name_or_path
    base = load_base_model(name, recipe.model.dtype)
    model = PeftModel.from_pretrained(base, str(adapter))
    model.eval()
    tokenizer = load_tokenizer(str(adapter))
    return model, tokenizer


def _check_readable(repo_id: str, token: str | bool | None) -> None:
    """With a ``token`` given (someone else's identity), ask the Hub whether it may read ``repo_id``.

    huggingface_hub serves a file from its local cache when the Hub refuses the request, and the
    cache is shared: files this machine's login downloaded would reach a visitor who may not
    read them. Raises huggingface_hub's error (401/404, or no network) when not readable.
    """
    if token is None:
        return
    from huggingface_hub import HfApi

    HfApi(token=token).model_info(repo_id)


def load_adapter(source: str, token: str | bool | None = None, local: bool = True):
    """Load a LoRA adapter with its base model: ``(peft_model, tokenizer)``.

    ``source`` is a local adapter folder (``adapter_config.json`` inside, as PEFT saves it)
    or a Hub model repo id holding one; with ``local=False`` it is always a Hub id (the app's
    adapter box: a visitor's text never names a folder of the server). ``token``: the Hub
    token for the adapter and its base (``None``: this machine's login; ``False``: anonymous). The base is the one the adapter names
    (``base_model_name_or_path``); the tokenizer is the adapter's when it ships one, else
    the base's.

    Weights are read from ``adapter_model.safetensors`` only, never from a pickled ``.bin``.

    Raises:
        FileNotFoundError: a folder or repo without ``adapter_config.json`` or ``adapter_model.safetensors``.
        OSError / ValueError: the Hub repo or the base cannot be loaded (messages from huggingface_hub).
    """
    import json

    from peft import PeftModel

    folder = Path(source).expanduser()
    hub = {} if token is None else {"token": token}
    if local and folder.is_dir():
        config_path = folder / "adapter_config.json"
        if not config_path.is_file():
            raise FileNotFoundError(f"{source}: no adapter_config.json (not a LoRA adapter folder)")
        if not (folder / "adapter_model.safetensors").is_file():
            raise FileNotFoundError(f"{source}: no adapter_model.safetensors; toolft loads adapter weights only "
                                    "from safetensors (a pickled .bin could run code)")
    else:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import EntryNotFoundError

        _check_readable(source, token)
        config_path = Path(hf_hub_download(source, "adapter_config.json", **hub))
        try:
            hf_hub_download(source, "adapter_model.safetensors", **hub)
        except EntryNotFoundError:
            raise FileNotFoundError(f"{source}: no adapter_model.safetensors; toolft loads adapter weights only "
                                    "from safetensors (a pickled .bin could run code)") from None
        try:  # an adapter that ships its own tokenizer (a changed chat template, added tokens) uses it
            for name in ("tokenizer_config.json", "tokenizer.json", "chat_template.jinja"):
                hf_hub_download(source, name, **hub)
        except EntryNotFoundError:
            pass
    config = json.loads(config_path.read_text(encoding="utf-8"))
    base_name = config.get("base_model_name_or_path")
    if not base_name:
        raise ValueError(f"{source}: adapter_config.json does not name its base model")
    if base_name != TINY_NAME and not Path(base_name).is_dir():
        _check_readable(base_name, token)
    base = load_base_model(base_name, token=token)
    model = PeftModel.from_pretrained(base, str(config_path.parent))  # the folder, or the downloaded snapshot
    model.eval()
    has_tokenizer = (config_path.parent / "tokenizer_config.json").is_file()
    return model, load_tokenizer(str(config_path.parent) if has_tokenizer else base_name, token=token)
