"""A copying circuit written into tiny-qwen3's initial weights.

A real base model copies spans from its prompt (a city, a path, an amount) into its answer with
*induction heads* (Olsson et al. 2022, "In-context Learning and Induction Heads",
arXiv:2209.11895): one attention head moves each token's identity to the position after it (a
*previous-token head*); a head in a later layer then attends from the current token to the position
that followed its earlier occurrence and copies that position's token. Trained from scratch, such
heads form late and abruptly: on this project's CI machine they needed more optimizer steps than a
CPU build affords (bench/tiny_copying.md, sections 2, 5 and 6). Here they are written into the
initial weights instead, and pre-training starts from a model that already copies; it learns when
to copy and what else to say.

The layout of the residual stream at initialisation (``d = head_dim``):

* dims ``[0, d)``: the token's identity (its embedding; random, as usual);
* dims ``[d, 2d)``: the previous token's identity, written by layer 0's head 0;
* dims ``[2d, 3d)`` (with ``bigram``): the identity of the token two back, written by layer 0's head 1;
* the last dim: a constant, the same for every token, which gives the previous-token head a
  query and key that do not depend on the token.

Layer 0, head 0 (the previous-token head) attends by position alone: its query and key read the
constant dim into the ``prev_pairs`` fastest rotary pairs, with the key's phase ahead by one
position, so ``q·k`` peaks at distance 1. Layer 1, head 0 (the induction head) matches this token's
identity (query) against each position's previous-token identity (key) in the slowest rotary pairs,
where RoPE turns the vectors by well under a radian over a prompt (rope_theta 1e6, as Qwen3's own
config has it), and copies the matched position's identity into the logits (tied embeddings).

One token of context is not enough in real text: a span like "Santa Fe" or "docs/changelog.md" runs
through spaces and slashes, and the prompt holds dozens of them, each followed by another word. With
``bigram=True`` a second induction head (layer 1, the first query head of key-value head 1) matches
the last *two* tokens, this one and the previous one, against each position's previous two, which
layer 0's query head 1 writes to dims ``[2d, 3d)`` (a previous-token head one position further
back, sharing head 0's key and value). Where the single head spreads its attention over every word
after a space, the bigram head attends to the one right word, and the reverse holds where the last
two tokens differ from the prompt's (the first token of a value after ``"``): a head that spreads its
attention writes an average of many tokens, which the sharp head outweighs.

All other attention and MLP output projections start at zero (as in GPT-2-style "zero-init
residual" schemes), so at step 0 the circuit is all the model does: on pre-split text, a repeated
span's word tokens are predicted right about half the time before any training; the same model
with the default initialisation needed more than a thousand steps to copy at all
(bench/tiny_copying.md, section 7).
"""

from __future__ import annotations

import math


def copy_circuit_init(model, seed: int = 0, norm_weight: float = 2.5, gain: float = 8.0, prev_pairs: int = 4,
                      scale: float = 10.0, bigram: bool = False) -> None:
    """Write a previous-token head (layer 0) and an induction head (layer 1) into ``model``, in place.

    ``model`` is a freshly initialised ``Qwen3ForCausalLM`` with tied embeddings, at least two
    layers and ``hidden_size >= 2 * head_dim + 1``. ``norm_weight`` is the q/k RMSNorm weight of
    both layers (it sets how sharp the two heads attend), ``gain`` how strongly the induction head
    writes the copied token, ``prev_pairs`` how many of the fastest rotary pairs place the
    previous-token head. ``scale`` multiplies the embeddings and the two heads' query and key
    weights (the q/k RMSNorms undo the latter), and divides the final norm's weight so that the
    first logits keep their size. Adam moves each weight by about the learning rate per step,
    whatever its size, so large weights keep the circuit through the first steps of pre-training
    (measured on word copying: at scale 1 it fell from 0.48 to 0.08 in 50 steps; at scale 10 it
    stayed at 0.45). ``bigram`` adds the two-token induction head (module docstring); it needs
    ``hidden_size >= 3 * head_dim + 1``, two or more key-value heads and two or more query heads
    per key-value head. Measured on a repeated random span whose every other token is one of three
    separators: 0.52 of tokens right with the single head, 0.99 with both (tests/test_tiny.py).

    Raises ValueError when the model's shape cannot hold the circuit.
    """
    import torch

    cfg = model.config
    hd = cfg.head_dim
    half = hd // 2
    hidden = cfg.hidden_size
    if cfg.num_hidden_layers < 2 or hidden < 2 * hd + 1 or not cfg.tie_word_embeddings:
        raise ValueError(f"a copying circuit needs 2+ layers, hidden_size >= 2*head_dim+1 and tied embeddings "
                         f"(got {cfg.num_hidden_layers} layers, hidden {hidden}, head_dim {hd})")
    group = cfg.num_attention_heads // cfg.num_key_value_heads
    if bigram and (hidden < 3 * hd + 1 or group < 2 or cfg.num_key_value_heads < 2):
        raise ValueError(f"a bigram copying circuit needs hidden_size >= 3*head_dim+1, 2+ key-value heads and 2+ "
                         f"query heads per key-value head (got hidden {hidden}, head_dim {hd}, "
                         f"{cfg.num_key_value_heads} key-value heads of {group} query heads)")
    tok, prev, prev2, const = slice(0, hd), slice(hd, 2 * hd), slice(2 * hd, 3 * hd), hidden - 1
    theta = cfg.rope_parameters["rope_theta"]
    freqs = theta ** (-torch.arange(0, hd, 2).float() / hd)  # RoPE's inverse frequencies, one per pair
    g = torch.Generator().manual_seed(seed)
    layers = model.model.layers
    with torch.no_grad():
        emb = model.model.embed_tokens.weight
        emb[:, tok] = torch.randn(emb.shape[0], hd, generator=g) * 0.1
        emb[:, prev] = 0.0
        emb[:, const] = 0.5
        for layer in layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        # layer 0, query head 0 / key-value head 0: the previous-token head
        a0 = layers[0].self_attn
        a0.q_proj.weight[:hd] = 0
        a0.k_proj.weight[:hd] = 0
        a0.v_proj.weight[:hd] = 0
        for j in range(prev_pairs):  # the key's rotary phase is one position ahead of the query's
            a0.q_proj.weight[j, const] = 1.0
            a0.k_proj.weight[j, const] = math.cos(freqs[j])
            a0.k_proj.weight[j + half, const] = math.sin(freqs[j])
        a0.q_norm.weight.fill_(norm_weight)
        a0.k_norm.weight.fill_(norm_weight)
        a0.v_proj.weight[:hd, tok] = torch.eye(hd)
        a0.o_proj.weight[prev, :hd] = torch.eye(hd)
        if bigram:  # query head 1 shares key-value head 0; its query's phase one position behind: distance 2
            a0.q_proj.weight[hd:2 * hd] = 0
            for j in range(prev_pairs):
                a0.q_proj.weight[hd + j, const] = math.cos(freqs[j])
                a0.q_proj.weight[hd + j + half, const] = -math.sin(freqs[j])
            a0.o_proj.weight[prev2, hd:2 * hd] = torch.eye(hd)
        # layer 1: the induction head (query head 0 / key-value head 0), in the slow rotary pairs
        a1 = layers[1].self_attn
        proj = torch.linalg.qr(torch.randn(hd, hd, generator=g))[0][:half]  # the same random projection for q and k
        slow = list(range(half // 2, half)) + list(range(half // 2 + half, hd))
        heads = [(0, 0, [(tok, prev, proj)])]
        if bigram:  # query head `group` / key-value head 1: the last two tokens against each position's two before
            proj2 = torch.linalg.qr(torch.randn(hd, hd, generator=g))[0][:half]
            heads.append((group, 1, [(tok, prev, proj), (prev, prev2, proj2)]))
        for q_head, kv_head, matches in heads:
            q_rows, kv_rows = slice(q_head * hd, (q_head + 1) * hd), slice(kv_head * hd, (kv_head + 1) * hd)
            a1.q_proj.weight[q_rows] = 0
            a1.k_proj.weight[kv_rows] = 0
            a1.v_proj.weight[kv_rows] = 0
            for query_dims, key_dims, projection in matches:  # query reads query_dims, key reads key_dims
                a1.q_proj.weight[[q_head * hd + i for i in slow], query_dims] = projection
                a1.k_proj.weight[[kv_head * hd + i for i in slow], key_dims] = projection
            a1.v_proj.weight[kv_rows, tok] = torch.eye(hd)
            a1.o_proj.weight[tok, q_rows] = torch.eye(hd) * gain
            a1.q_proj.weight[q_rows].mul_(scale)
            a1.k_proj.weight[kv_rows].mul_(scale)
        a1.q_norm.weight.fill_(norm_weight)
        a1.k_norm.weight.fill_(norm_weight)
        emb.mul_(scale)
        model.model.norm.weight.div_(scale)
        a0.q_proj.weight[:(2 if bigram else 1) * hd].mul_(scale)
        a0.k_proj.weight[:hd].mul_(scale)
