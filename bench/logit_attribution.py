"""What outvotes a right copy? Direct logit attribution of the value tokens a fine-tune gets wrong.

Teacher-forced on each row's first assistant turn (as ``bench/token_probe.py``), for every value token after
a value's first, the gap between the right token's logit and the written one's (for a token it gets right,
the runner-up's) is split exactly among the parts of the residual stream that the final norm reads: the embedding, each attention
head's output (through its slice of the output projection, LoRA merged in) and each MLP's output. The final
RMSNorm divides them all by the same number, so the shares add up to the gap (printed as a check). A positive
share favours the right token. Tokens are grouped into right ones, values ended early (a closing quote written
inside the value) and other wrong words (bench/tiny_copying.md, section 21).

    python bench/logit_attribution.py RUN_DIR DATA.jsonl [--rows 200]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _merged_weight(linear):
    """The weight a (LoRA-wrapped) linear layer applies: base plus ``B @ A * scaling``."""
    weight = getattr(linear, "base_layer", linear).weight
    if hasattr(linear, "lora_A") and "default" in linear.lora_A:
        weight = weight + linear.lora_B["default"].weight @ linear.lora_A["default"].weight * linear.scaling["default"]
    return weight.detach()


def main(argv: list[str] | None = None) -> None:
    import torch

    from token_probe import continues_a_value, first_turn
    from toolft.modeling import load_finetuned

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("data")
    p.add_argument("--rows", type=int, default=200)
    args = p.parse_args(argv)

    model, tok = load_finetuned(args.run_dir)
    model.eval()
    inner = model.base_model.model.model
    hd, heads = model.config.head_dim, model.config.num_attention_heads
    out_proj = [_merged_weight(layer.self_attn.o_proj) for layer in inner.layers]
    seen = {}
    for i, layer in enumerate(inner.layers):
        layer.self_attn.o_proj.register_forward_hook(lambda m, a, o, i=i: seen.__setitem__(("heads", i), a[0][0]))
        layer.mlp.register_forward_hook(lambda m, a, o, i=i: seen.__setitem__(("mlp", i), o[0]))
    inner.embed_tokens.register_forward_hook(lambda m, a, o: seen.__setitem__("embed", o[0]))
    inner.norm.register_forward_hook(lambda m, a, o: seen.__setitem__("final", a[0][0]))
    emb, norm_weight = inner.embed_tokens.weight.detach(), inner.norm.weight.detach()

    shares = collections.defaultdict(lambda: collections.defaultdict(float))
    counts, checks = collections.Counter(), []
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows[: args.rows]:
        prompt, full, ids, offsets, first = first_turn(tok, row)
        with torch.no_grad():
            logits = model(ids).logits[0]
        answer = full[len(prompt):]
        for index, position in enumerate(range(first, ids.shape[1])):
            start = offsets[position][0] - len(prompt)
            if not continues_a_value(answer, start, index):
                continue
            at = position - 1
            right, written = ids[0, position].item(), logits[at].argmax().item()
            if right == written:  # the margin over the runner-up instead
                written = logits[at].topk(2).indices[1].item()
            final = seen["final"][at]
            rms = torch.sqrt(final.pow(2).mean() + inner.norm.variance_epsilon)
            gap_direction = (emb[right] - emb[written]) * norm_weight / rms
            parts = {"embed": seen["embed"][at]}
            for i in range(len(inner.layers)):
                z = seen[("heads", i)][at]
                for h in range(heads):
                    parts[f"layer {i} head {h}"] = out_proj[i][:, h * hd:(h + 1) * hd] @ z[h * hd:(h + 1) * hd]
                parts[f"layer {i} MLP"] = seen[("mlp", i)][at]
            if logits[at, right] > logits[at, written]:
                group = "right (against the runner-up)"
            elif '"' in tok.convert_ids_to_tokens(written) and '"' not in tok.convert_ids_to_tokens(right):
                group = "wrong: ended early"
            else:
                group = "wrong: another word"
            share = {name: float(vector @ gap_direction) for name, vector in parts.items()}
            for name, value in share.items():
                shares[group][name] += value
            counts[group] += 1
            checks.append(abs(sum(share.values()) - float(logits[at, right] - logits[at, written])))
    print(f"largest difference between the shares' sum and the logit gap: {max(checks, default=0):.4f}")
    for group in sorted(shares):
        print(f"\n{group} ({counts[group]} tokens): mean share of the right token's logit minus the written one's")
        for name, value in sorted(shares[group].items(), key=lambda kv: kv[1]):
            print(f"  {name:16s} {value / counts[group]:+7.2f}")


if __name__ == "__main__":
    main()
