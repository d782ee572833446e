"""Give a tiny-qwen3 build's never-seen tokens the embeddings the fixed build code gives them, in place.

Up to ``TinySpec.version`` 14, a build gave the tokens pre-training never saw the mean embedding plus noise
drawn with seed 0, the seed of the copy circuit's token identities, so each of them shared its identity with
another token and was copied as it (bench/tiny_copying.md, section 21). ``tiny.unseen_seed`` fixed the code.
Pre-training never updates those rows (they are set after the last step), so a build's weights with the fixed
code differ from the old ones in those rows alone; this script rewrites them without the 40-minute rebuild.

It finds the rows by their noise: each unseen token's row, standardised, correlates about 1.0 with its row
of the seed-0 noise, in order. It then checks the finding: the build's own functions with the old seeds
must give back the file exactly. Only then does it write the rows with today's seeds, and the spec of
today's ``TinySpec`` into ``toolft_tiny.json`` (the corpus fingerprint must be unchanged).

    python bench/reseed_unseen.py toolft/prebuilt/tiny-qwen3
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> None:
    import torch
    from transformers import AutoTokenizer, Qwen3ForCausalLM

    from toolft import tiny

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("build", type=Path, help="a tiny-qwen3 build folder (rewritten in place)")
    args = p.parse_args(argv)

    meta_path = args.build / "toolft_tiny.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    spec = tiny.TinySpec()
    old_spec = dataclasses.replace(spec, version=meta["spec"]["version"])
    if meta["spec"] != dataclasses.asdict(old_spec) or meta["corpus_sha"] != tiny.corpus_fingerprint(spec):
        sys.exit("the build is not today's spec and corpus (apart from the version): rebuild it instead")
    if meta["spec"]["version"] >= 15:
        sys.exit("already a version-15 build: its unseen tokens have seeds of their own")

    tok = AutoTokenizer.from_pretrained(args.build)
    model = Qwen3ForCausalLM.from_pretrained(args.build, dtype=torch.float32)
    emb = model.get_input_embeddings().weight
    shipped = emb.detach().clone()

    noise = torch.randn(len(tok), emb.shape[1], generator=torch.Generator().manual_seed(0))
    standardised = torch.nn.functional.normalize((shipped - shipped.mean(0)) / shipped.std(0), dim=-1)
    best, rank = (standardised @ torch.nn.functional.normalize(noise, dim=-1).T).max(-1)
    found = (best > 0.9).nonzero().flatten().tolist()
    if [rank[i].item() for i in found] != list(range(len(found))):
        sys.exit("the rows that match the seed-0 noise are not in its order: not an old build's unseen tokens")
    markup = tok.convert_tokens_to_ids(list(tiny.MARKUP_TOKENS))
    unseen = set(found) | set(markup)
    seen = [[i for i in range(len(tok)) if i not in unseen]]

    tiny._mean_init_unseen(model, tok, seen, seed=0)  # the old code's seeds
    tiny._noise_init_markup(model, tok, seed=1)
    if not torch.equal(emb.detach(), shipped):
        sys.exit("the old seeds do not give back the shipped rows: the unseen tokens were not found exactly")
    print(f"found the {len(found)} unseen tokens and the {len(markup)} markup tokens; the old seeds give back the "
          f"file exactly")

    tiny._mean_init_unseen(model, tok, seen, seed=tiny.unseen_seed(spec))
    tiny._noise_init_markup(model, tok, seed=tiny.markup_seed(spec))
    changed = (emb.detach() != shipped).any(-1)
    model.save_pretrained(args.build)
    meta["spec"] = dataclasses.asdict(spec)
    meta["reseeded"] = (f"bench/reseed_unseen.py: the {int(changed.sum())} unseen tokens re-seeded "
                        f"(bench/tiny_copying.md, section 21)")
    meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    print(f"rewrote {int(changed.sum())} rows; spec version {spec.version}")


if __name__ == "__main__":
    main()
