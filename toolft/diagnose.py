"""Read a run's curves and say, in plain words with the numbers behind them, how training is going.

The reading follows the reference recipe's guide to its logs (``shared/seed``, "How to
Interpret"): loss going down is learning; stuck near its start is not learning (check the data
and its format); a fast drop then a flat line is a normal plateau; loss going up again, or an
eval loss rising while the train loss falls, is overfitting; eval loss well above train loss
(the guide expects them within 0.1-0.3) is a generalisation gap. NaN or a sudden spike is
divergence (learning rate too high, or bad rows).

Each verdict is ``{"verdict", "severity" ("ok" | "warning" | "error"), "message", "evidence"}``.

>>> events = [{"event": "train", "step": s, "loss": 3.0 - 0.1 * s} for s in range(1, 21)]
>>> [v["verdict"] for v in diagnose(events)["verdicts"]]
['learning']
"""

from __future__ import annotations

import math
from statistics import mean, median

GAP = 0.3  # eval minus train loss above which the guide reads "eval >> train"
FLAT = 0.05  # a relative fall smaller than this between the first and last windows is "flat"
PLATEAU = 0.02  # a relative fall smaller than this over the last third is a plateau
SPIKE = 2.0  # a loss this many times the median of the previous window is a spike


def _window(values: list[float], share: float = 0.2) -> int:
    return max(2, round(len(values) * share))


def diagnose(events: list[dict]) -> dict:
    """Verdicts on the ``metrics.jsonl`` events of a run (``event``: ``train`` / ``eval``, ``step``, ``loss`` / ``eval_loss``).

    Returns ``{"verdicts": [...], "train_points": n, "eval_points": m}``; with fewer than five
    train points the only verdict is ``too_early``.
    """
    train = [(e["step"], e.get("loss")) for e in events if e.get("event") == "train" and "loss" in e]
    evals = [(e["step"], e["eval_loss"]) for e in events if e.get("event") == "eval" and e.get("eval_loss") is not None]
    out = {"train_points": len(train), "eval_points": len(evals), "verdicts": []}
    verdicts = out["verdicts"]
    bad = [step for step, loss in train if loss is None or not math.isfinite(loss)]
    if bad:
        verdicts.append(_v("diverging", "error", f"the loss became NaN or infinite at step {bad[0]}: lower the "
                           "learning rate, or check the data for broken rows", {"step": bad[0]}))
        return out
    losses = [loss for _, loss in train]
    if len(losses) < 5:
        verdicts.append(_v("too_early", "ok", f"{len(losses)} loss points so far: too early to read the curve", {}))
        return out
    w = _window(losses)
    for i in range(w, len(losses)):
        ref = median(losses[i - w:i])
        # relative AND absolute: a wobble from 0.002 to 0.006 on a memorised set is not divergence
        if i > len(losses) * 0.1 and losses[i] > SPIKE * ref and losses[i] - ref > 0.25 * losses[0]:
            verdicts.append(_v("diverging", "error", f"the loss jumped to {losses[i]:.3g} at step {train[i][0]} from "
                               f"about {ref:.3g}: the learning rate may be too high", {"step": train[i][0]}))
            return out
    first, last = mean(losses[:w]), mean(losses[-w:])
    fall = (first - last) / first if first else 0.0
    evidence = {"first_loss": round(first, 4), "last_loss": round(last, 4), "fall": round(fall, 4)}
    if fall < FLAT:
        verdicts.append(_v("not_learning", "error", f"the loss is flat near its start ({first:.3g} → {last:.3g}): "
                           "check the data and its format (are the assistant turns trained?), or raise the "
                           "learning rate", evidence))
    else:
        third = losses[-max(3, len(losses) // 3):]
        recent = (mean(third[:len(third) // 2]) - mean(third[len(third) // 2:])) / first
        # window averages, not single points: logged losses are noisy batch by batch
        means = [mean(losses[i:i + w]) for i in range(len(losses) - w + 1)]
        lowest = min(means)
        if last > lowest * 1.2 and means.index(lowest) < len(means) - w:
            verdicts.append(_v("overfitting", "warning", f"the train loss went back up from {lowest:.3g} to {last:.3g}: "
                               "stop earlier or lower the learning rate", evidence))
        elif recent < PLATEAU:
            verdicts.append(_v("plateau", "ok", f"the loss fell from {first:.3g} to {last:.3g} and has levelled off: "
                               "the model learnt what it can at this setting", evidence))
        else:
            verdicts.append(_v("learning", "ok", f"the loss is falling: {first:.3g} → {last:.3g} "
                               f"({fall:.0%} lower)", evidence))
    if len(evals) >= 2:
        best = min(evals, key=lambda p: p[1])
        latest = evals[-1]
        train_then = [loss for step, loss in train if best[0] <= step <= latest[0]]
        if latest[1] > best[1] * 1.05 and latest[0] > best[0] and len(train_then) >= 2 and train_then[-1] < train_then[0]:
            verdicts.append(_v("overfitting", "warning", f"eval loss rose from {best[1]:.3g} (step {best[0]}) to "
                               f"{latest[1]:.3g} (step {latest[0]}) while the train loss kept falling: the model "
                               "is memorising; fewer epochs or more data", {"best_eval": best, "last_eval": latest}))
    if evals:
        step, eval_loss = evals[-1]
        near = [loss for s, loss in train if abs(s - step) <= max(5, step // 10)]
        if near:
            gap = eval_loss - mean(near)
            if gap > GAP:
                verdicts.append(_v("generalisation_gap", "warning", f"eval loss {eval_loss:.3g} is {gap:.2f} above the "
                                   f"train loss ({mean(near):.3g}) at step {step}; the reference guide expects them "
                                   "within 0.1-0.3", {"gap": round(gap, 4), "step": step}))
    return out


def _v(verdict: str, severity: str, message: str, evidence: dict) -> dict:
    return {"verdict": verdict, "severity": severity, "message": message, "evidence": evidence}
