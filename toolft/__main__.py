"""The toolft command line: ``python -m toolft <command> ...``.

Commands::

    data sample OUT.jsonl [--n N] [--seed S] [--pools heldout]   write the bundled synthetic dataset
    data check FILE [--json] [--model M]         read, convert and lint a dataset; summarise it
    data convert FILE OUT.jsonl [--format F]     write its valid rows in the canonical format
    data inspect FILE --row N [--model M] --json one row as training tokenizes it
    plan RECIPE [--json]                         parameters, steps and memory before training
    train RECIPE --run-dir DIR                   train; DIR becomes a run folder
    export RECIPE --out DIR                      recipe.yaml, trl-sft.yaml for `trl sft`, accelerate command
    eval --run-dir DIR [--data FILE] [--json]    base vs fine-tuned on held-out rows
    score --data GOLD --predictions PRED [--json] score any model's raw outputs (BFCL-style rules)
    runs list [--json]                           the run folders under TOOLFT_HOME
    runs resume RUN_DIR                          continue a stopped run from its last checkpoint
    runs diagnose RUN_DIR [--json]               read its curves: learning, plateau, diverging, overfitting...
    tiny build [--from-scratch]                  install (or pre-train) the offline tiny-qwen3 model

RECIPE is a preset name (see ``plan --help``) or a YAML path. Expected failures
(a missing file, a bad recipe) print one line on stderr and exit with 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


class UsageError(Exception):
    """A user-facing problem: printed as one line, exit code 2."""


def share(text: str) -> float:
    """argparse type: a number from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text}")
    return value


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))


def cmd_data_sample(args) -> int:
    from toolft.data.files import write_jsonl
    from toolft.data.sample import generate_sample

    rows = generate_sample(args.n, seed=args.seed, pools=args.pools, invented_share=args.invented,
                           no_call_share=args.no_call_share)
    write_jsonl(rows, args.out)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


def _load_data(args):
    from toolft.data.records import DataFileError, load_records

    _short_command_gc()
    try:
        return load_records(args.file, args.format, split=args.split, limit=args.limit)
    except DataFileError as exc:
        raise UsageError(str(exc)) from None


def _short_command_gc() -> None:
    """Cyclic garbage collection off for the rest of a short data command, and no last pass at exit.

    Reading a dataset builds millions of small objects, none of them cyclic garbage, and
    each pass of the collector walks them all: about 0.45 s per pass on 15,694 rows
    (bench/data_check.py), and Python makes one more pass at exit unless they are frozen.
    Reference counting still frees everything as usual.
    """
    import atexit
    import gc

    gc.disable()
    atexit.register(gc.freeze)


def _tokenizer(model: str):
    from toolft.modeling import load_tokenizer

    try:
        return load_tokenizer(model)
    except OSError as exc:
        raise UsageError(f"cannot load the tokenizer of {model}: {str(exc).splitlines()[0]} "
                         "(use --no-tokens to skip token counts)") from None


def _render_settings(args) -> tuple[str, int, bool]:
    """``(model, max_length, assistant_only_loss)``: the recipe's, with the flags given overriding them."""
    recipe = _load_recipe(args.recipe)
    model = args.model or recipe.model.name_or_path
    max_length = args.max_length or recipe.training.max_length
    return model, max_length, recipe.training.assistant_only_loss and not args.full_loss


def cmd_data_check(args) -> int:
    from toolft.data.render import TemplateError
    from toolft.data.stats import length_lint, summarize

    result = _load_data(args)
    model, max_length, aol = _render_settings(args)
    lengths = None
    if not args.no_tokens:
        try:
            lengths = length_lint(result, _tokenizer(model), max_length, model, aol)
        except TemplateError as exc:
            raise UsageError(f"{exc} (data check: --full-loss, or --no-tokens)") from None
    summary = summarize(result, lengths, max_length, max_findings=None)  # every finding, every row
    code = 1 if args.strict and result.errors else 0
    if args.json:
        _print_json(summary)
        return code
    print(f"{args.file}: {summary['format'] or 'no known'} format, {_count(summary['rows'], 'row')}, "
          f"{summary['valid']} valid, {summary['invalid']} invalid, {_count(len(result.warnings), 'warning')}")
    print("row kinds: " + ", ".join(f"{k}={v}" for k, v in summary["categories"].items()))
    if summary.get("tokens") and summary["valid"]:
        t = summary["tokens"]
        print(f"tokens ({model}): min {t['min']}, median {t['median']}, max {t['max']}, "
              f"{t['over_max_length']} over max_length {max_length}")
    for finding in result.errors + result.warnings:
        print(f"{finding.severity}: {finding}")
    return code


def _count(n: int, noun: str) -> str:
    """``_count(1, "row") == "1 row"``, ``_count(2, "row") == "2 rows"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def cmd_data_convert(args) -> int:
    from toolft.data.files import write_jsonl

    result = _load_data(args)
    if Path(args.out).resolve() == Path(args.file).resolve():
        raise UsageError(f"{args.out}: refusing to overwrite the input file; choose another output path")
    write_jsonl(result.records, args.out)
    print(f"wrote {_count(len(result.records), 'canonical row')} ({result.format or 'no known'} format in) to "
          f"{args.out}; {_count(len({e.line for e in result.errors}), 'row')} not converted", file=sys.stderr)
    for finding in result.errors:
        print(f"error: {finding}", file=sys.stderr)
    return 0


def cmd_data_inspect(args) -> int:
    from toolft.data.render import TemplateError, inspect_row

    result = _load_data(args)
    if args.row not in result.lines:
        problems = [f for f in result.errors if f.line == args.row]
        detail = (f": {problems[0].field + ': ' if problems[0].field else ''}{problems[0].message}" if problems
                  else f" (valid rows are at lines {', '.join(map(str, result.lines[:5]))}"
                       f"{'...' if len(result.lines) > 5 else ''})")
        raise UsageError(f"{args.file}: line {args.row} is not a valid row{detail}")
    record = result.records[result.lines.index(args.row)]
    model, max_length, aol = _render_settings(args)
    try:
        inspection = inspect_row(_tokenizer(model), record, model_name=model, max_length=max_length,
                                 assistant_only_loss=aol)
    except TemplateError as exc:
        raise UsageError(f"{exc} (data inspect: --full-loss)") from None
    if args.json:
        _print_json({"line": args.row, **inspection.to_json()})
        return 0
    print(inspection.text)
    print(f"--- {inspection.trained_tokens} of {inspection.total_tokens} tokens trained; "
          f"round trip {'ok' if inspection.roundtrip_ok else 'FAILED'}")
    for problem in inspection.problems:
        print(f"problem: {problem}")
    return 0


def _load_recipe(name_or_path: str):
    from toolft.recipe import RecipeError, load_recipe

    try:
        return load_recipe(name_or_path)
    except RecipeError as exc:
        raise UsageError(f"invalid recipe {name_or_path}: {exc}") from None


def _preflight(recipe, **kwargs) -> None:
    """Refuse a recipe that cannot run, before anything loads: exit 2, one line naming the field."""
    from toolft.preflight import PreflightError, check_or_raise

    try:
        warnings = check_or_raise(recipe, **kwargs)
    except PreflightError as exc:
        raise UsageError(str(exc)) from None
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def cmd_plan(args) -> int:
    from toolft.plan import plan

    recipe = _load_recipe(args.recipe)
    _preflight(recipe, check_hardware=False, tokenizer=False)  # a plan may be for another machine
    try:
        result = plan(recipe)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        _print_json(result)
        return 0
    mem = result["memory_gb"]
    print(f"model {result['model']}: {result['total_params']:,} parameters, "
          f"{result['trainable_params']:,} trainable ({result['trainable_percent']}%)")
    print(f"data: {result['train_rows']} training rows, {result['eval_rows']} held out; "
          f"effective batch {result['effective_batch']}")
    print(f"steps: {result['steps_per_epoch']} per epoch, {result['total_steps']} in all")
    print(f"memory (estimate): {mem['total']} GB = weights {mem['weights']} + adapter/optimizer "
          f"{mem['adapter_and_optimizer']} + activations {mem['activations']}")
    return 0


def cmd_export(args) -> int:
    from toolft.export import export_recipe

    recipe = _load_recipe(args.recipe)
    try:
        result = export_recipe(recipe, args.out)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        _print_json(result)
        return 0
    print("wrote " + ", ".join(result["files"]))
    for name, command in result["commands"].items():
        print(f"{name:>10}: {command}")
    return 0


def cmd_train(args) -> int:
    from toolft.train import run_training

    recipe = _load_recipe(args.recipe)  # fail fast, before a run folder is written
    _preflight(recipe)
    return run_training(args.recipe, args.run_dir)


def cmd_eval(args) -> int:
    from toolft.evaluate import evaluate_run
    from toolft.inference import Sampling
    from toolft.runfolder import RunFolder
    from toolft.scoring import format_scorecard

    run_dir = Path(args.run_dir)
    if not RunFolder(run_dir).has_adapter():
        raise UsageError(f"{run_dir} has no trained adapter (is it a finished run folder?)")
    if args.data:
        from toolft.data.records import DataFileError, load_records

        try:
            if not load_records(args.data).records:
                raise UsageError(f"{args.data}: no valid rows to score")
        except DataFileError as exc:
            raise UsageError(str(exc)) from None
    result = evaluate_run(run_dir, args.data, limit=args.limit, sampling=Sampling(max_new_tokens=args.max_new_tokens),
                          batch_size=args.batch_size,
                          progress=lambda i, n: print(f"\r{i}/{n} answers", end="", file=sys.stderr))
    print(file=sys.stderr)
    if not args.verbose:
        result.pop("rows")
    if args.json:
        _print_json(result)
        return 0
    for side, title in (("base", "base (adapter off)"), ("finetuned", "fine-tuned")):
        print(f"{title}: full-call accuracy (right tool and right arguments) "
              f"{_share(result[side]['overall'], 'full_call_accuracy')}\n{format_scorecard(result[side])}\n")
    print(f"{result['seconds']:.0f} s; rows not scored (invalid or no assistant turn): {result['invalid_rows']}")
    return 0


def _share(section: dict, metric: str) -> str:
    value = section[metric]
    return "n/a (no such rows)" if value is None else f"{value:.0%} of {section['n_' + metric]}"


def cmd_score(args) -> int:
    from toolft.scoring import ScoringInputError, format_scorecard, score_file

    try:
        result = score_file(args.data, args.predictions)
    except ScoringInputError as exc:
        raise UsageError(str(exc)) from None
    rows = result.pop("rows")
    if args.json:
        _print_json({**result, **({"rows": rows} if args.verbose else {})})
        return 0
    print(format_scorecard(result))
    failed = [r for r in rows if not r["valid"]]
    if args.verbose:
        for r in failed:
            where = f"line {r['line']}" + (f" (id {r['id']})" if r["id"] is not None else "")
            print(f"{where}: {r['kind']}: {r['error_type']}: {'; '.join(r['error'])}")
    elif failed:
        print(f"{len(failed)} of {len(rows)} rows failed; --verbose lists them")
    return 0


def cmd_runs_list(args) -> int:
    from toolft.runs import list_runs

    runs = [{"run": r.name, "run_dir": str(r.path), "path": str(r.path),
             **{k: r.read_status().get(k) for k in ("state", "step", "total_steps")},
             "last_checkpoint": (r.last_checkpoint() or Path()).name or None}
            for r in list_runs()]
    if args.json:
        _print_json(runs)
    elif not runs:
        from toolft.home import toolft_home

        print(f"no runs yet under {toolft_home() / 'runs'}")
    else:
        for r in runs:
            print(f"{r['run']}  {r['state']}  {r['step']}/{r['total_steps']}")
    return 0


def cmd_runs_resume(args) -> int:
    from toolft.runfolder import RunFolder
    from toolft.runs import resume_problem
    from toolft.train import run_training

    run = RunFolder(Path(args.run_dir))
    problem = resume_problem(run) if run.status_path.is_file() else f"{args.run_dir} is not a run folder"
    if problem:
        raise UsageError(problem)
    return run_training(run.recipe_path, run.path, resume=True)


def cmd_runs_compare(args) -> int:
    from toolft.runs import compare_runs, find_run_dir

    try:
        a, b = find_run_dir(args.run_a), find_run_dir(args.run_b)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    result = compare_runs(a, b)
    if args.json:
        _print_json(result)
        return 0
    def num(x) -> str:
        return f"{x:.4g}" if isinstance(x, (int, float)) else "-"

    for side in ("a", "b"):
        r = result[side]
        print(f"{side}: {r['run']}  {r['state'] or '-'}  step {r['step'] or 0}/{r['total_steps'] or '-'}  "
              f"train loss {num(r['train_loss'])}  eval loss {num(r['eval_loss'])} (best {num(r['best_eval_loss'])})")
    for problem in result["recipe_problems"]:
        print(f"{problem}: no recipe comparison")
    if result["recipe_problems"]:
        pass
    elif result["recipe_diff"]:
        print("recipe settings that differ:")
        for d in result["recipe_diff"]:
            print(f"  {d['field']}: {d['a']!r} -> {d['b']!r}")
    else:
        print("the two recipes are the same (apart from their names)")
    return 0


def cmd_runs_delete(args) -> int:
    from toolft.runs import RunBusyError, delete_run, find_run_dir

    try:
        run = find_run_dir(args.run_dir)
        delete_run(run)
    except (FileNotFoundError, ValueError, RunBusyError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{args.run_dir} could not be removed completely: {exc}") from None
    print(f"deleted {run.path}", file=sys.stderr)
    return 0


def cmd_space_build(args) -> int:
    from toolft.space import build_space

    try:
        out = build_space(args.out)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    print(f"Space folder ready: {out} (README.md card, app.py, toolft/, requirements.txt)", file=sys.stderr)
    return 0


def cmd_space_deploy(args) -> int:
    import tempfile

    from toolft.space import build_space, deploy_space

    with tempfile.TemporaryDirectory(prefix="toolft-space-") as tmp:
        try:
            folder = args.folder or build_space(Path(tmp) / "space")
            url = deploy_space(folder, args.repo_id, private=args.private)
        except (ValueError, FileNotFoundError, RuntimeError) as exc:
            raise UsageError(str(exc)) from None
    print(url)
    return 0


def cmd_runs_push(args) -> int:
    from toolft.hub_push import PushError, push_adapter
    from toolft.runs import find_run_dir

    try:
        url = push_adapter(find_run_dir(args.run_dir), args.repo_id, private=not args.public)
    except (FileNotFoundError, PushError) as exc:
        raise UsageError(str(exc)) from None
    print(url)
    return 0


def cmd_runs_merge(args) -> int:
    from toolft.hub_push import PushError, export_merged, push_folder
    from toolft.runs import find_run_dir

    try:
        out = export_merged(find_run_dir(args.run_dir), args.out)
        print(f"merged model saved to {out}", file=sys.stderr)
        if args.push:
            print(push_folder(out, args.push, private=not args.public))
    except (FileNotFoundError, ValueError, PushError) as exc:
        raise UsageError(str(exc)) from None
    return 0


def cmd_runs_diagnose(args) -> int:
    from toolft.diagnose import diagnose
    from toolft.runfolder import RunFolder

    run = RunFolder(Path(args.run_dir))
    if not run.status_path.is_file():
        raise UsageError(f"{args.run_dir} is not a run folder")
    result = {"run_dir": str(run.path), **diagnose(run.read_metrics())}
    if args.json:
        _print_json(result)
        return 0
    for v in result["verdicts"]:
        print(f"{v['severity']}: {v['verdict']}: {v['message']}")
    return 0


def cmd_tiny_build(args) -> int:
    from toolft.tiny import ensure_tiny_model

    print(ensure_tiny_model(from_scratch=args.from_scratch))
    return 0


def _data_source_args(p) -> None:
    from toolft.data.formats import FORMATS

    p.add_argument("file", help="a .jsonl/.json/.parquet/.csv file, a Hub-layout folder, or a Hub dataset id")
    p.add_argument("--format", choices=FORMATS, help="the rows' format (default: detected per row)")
    p.add_argument("--split", default="train", help="the split of a Hub-layout folder or Hub dataset (default train; "
                                                    "a single file is read whole)")
    p.add_argument("--limit", type=positive_int, help="read at most this many rows")


def _render_args(p) -> None:
    from toolft.recipe import default_preset_name

    p.add_argument("--recipe", default=default_preset_name(),
                   help="whose model, max_length and loss to render with (default: this machine's default preset)")
    p.add_argument("--model", help="override the recipe's model (a preset model name, a folder or a Hub id)")
    p.add_argument("--max-length", type=positive_int, help="override the recipe's max_length, in tokens")
    p.add_argument("--full-loss", action="store_true",
                   help="train on every token, as with training.assistant_only_loss: false")


def build_parser() -> argparse.ArgumentParser:
    from toolft.recipe import preset_names

    parser = argparse.ArgumentParser(prog="python -m toolft", description="Fine-tune small models to call tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    recipe_help = f"a preset ({', '.join(preset_names())}) or a recipe YAML file"

    data = sub.add_parser("data", help="sample or check datasets").add_subparsers(dest="data_command", required=True)
    p = data.add_parser("sample", help="write the bundled synthetic tool-calling dataset")
    p.add_argument("out")
    p.add_argument("--n", type=positive_int, default=600, help="number of rows (default 600)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pools", choices=["train", "heldout"], default="train",
                   help="value pools: train (default) or heldout (cities, paths, amounts... no training row uses)")
    p.add_argument("--invented", type=share, default=0.0, metavar="SHARE",
                   help="share of rows (0-1) whose values are invented words instead (default 0)")
    p.add_argument("--no-call-share", type=share, default=None, metavar="SHARE",
                   help="share of rows (0-1) that want no tool call: clarifying questions, refusals, plain answers "
                        "(default 0.4)")
    p.set_defaults(func=cmd_data_sample)
    p = data.add_parser("check", help="read, convert and lint a dataset; summarise it")
    _data_source_args(p)
    _render_args(p)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-tokens", action="store_true", help="skip token counting (no tokenizer needed)")
    p.add_argument("--strict", action="store_true", help="exit with 1 when any row has an error (for CI)")
    p.set_defaults(func=cmd_data_check)
    p = data.add_parser("convert", help="write a dataset's valid rows as canonical {messages, tools} JSONL")
    _data_source_args(p)
    p.add_argument("out", help="output .jsonl (never the input file)")
    p.set_defaults(func=cmd_data_convert)
    p = data.add_parser("inspect", help="one row rendered exactly as training tokenizes it, with its trained tokens")
    _data_source_args(p)
    p.add_argument("--row", type=positive_int, required=True,
                   help="the row's line in a .jsonl/.csv file (a CSV's header is line 1), else its 1-based number")
    _render_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_data_inspect)

    p = sub.add_parser("plan", help="estimate parameters, steps and memory for a recipe")
    p.add_argument("recipe", help=recipe_help)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("train", help="train a LoRA adapter; the run folder receives everything")
    p.add_argument("recipe", help=recipe_help)
    p.add_argument("--run-dir", required=True, help="the run folder to create or fill")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="the recipe as YAML, as a `trl sft --config` file and as an accelerate command")
    p.add_argument("recipe", help=recipe_help)
    p.add_argument("--out", required=True, help="folder to write recipe.yaml, trl-sft.yaml (and sample.jsonl) into")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("eval", help="compare base and fine-tuned on held-out rows")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--data", help="held-out .jsonl (default: the run's data/eval.jsonl)")
    p.add_argument("--limit", type=positive_int, help="score at most this many rows")
    p.add_argument("--max-new-tokens", type=positive_int, default=160, help="tokens per answer (default 160)")
    p.add_argument("--batch-size", type=positive_int, default=16,
                   help="prompts generated at once, left-padded (default 16; bench/generation.py)")
    p.add_argument("--json", action="store_true",
                   help="print only JSON: base and finetuned, each with overall and by_kind metrics")
    p.add_argument("--verbose", action="store_true",
                   help="include every row: line, expected answer, and each side's raw text and verdict")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("score", help="score saved model outputs against gold rows, BFCL-style")
    p.add_argument("--data", required=True, help="the gold dataset (.jsonl); its rows' first assistant turn is scored")
    p.add_argument("--predictions", required=True,
                   help='.jsonl of {"id": ..., "output": "<raw model text>"}, one per gold row (paired by id, '
                        "or by line order when the predictions have no ids)")
    p.add_argument("--json", action="store_true", help="print only JSON: overall and by_kind metrics")
    p.add_argument("--verbose", action="store_true", help="list each failed row's errors (with --json: every row's check, as rows)")
    p.set_defaults(func=cmd_score)

    runs = sub.add_parser("runs", help="list, compare, resume, diagnose or delete runs").add_subparsers(
        dest="runs_command", required=True)
    p = runs.add_parser("list", help="the run folders under TOOLFT_HOME, newest first")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_runs_list)
    p = runs.add_parser("resume", help="continue a failed, cancelled or interrupted run from its last checkpoint")
    p.add_argument("run_dir")
    p.set_defaults(func=cmd_runs_resume)
    p = runs.add_parser("diagnose", help="read a run's loss curves: learning, plateau, not learning, diverging, "
                                         "overfitting, generalisation gap")
    p.add_argument("run_dir")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_runs_diagnose)
    p = runs.add_parser("compare", help="two runs side by side: states, losses and the recipe settings that differ")
    p.add_argument("run_a", help="a run folder, or a run's name under TOOLFT_HOME/runs")
    p.add_argument("run_b")
    p.add_argument("--json", action="store_true", help="also both loss curves")
    p.set_defaults(func=cmd_runs_compare)
    p = runs.add_parser("push", help="upload a finished run's adapter with a model card to a Hub model repo "
                                     "(private unless --public; token from HF_TOKEN or the cached login)")
    p.add_argument("run_dir", help="a run folder, or a run's name")
    p.add_argument("repo_id", help="owner/name of the model repo")
    p.add_argument("--public", action="store_true", help="make a new repo public (default: private)")
    p.set_defaults(func=cmd_runs_push)
    p = runs.add_parser("merge", help="fold a run's adapter into its base and save a standalone model (the base's "
                                      "dtype, its tokenizer and chat template unchanged); --push uploads it")
    p.add_argument("run_dir", help="a run folder, or a run's name")
    p.add_argument("out", help="a new or empty folder")
    p.add_argument("--push", metavar="REPO_ID", help="also upload the merged model to this Hub model repo")
    p.add_argument("--public", action="store_true", help="make a new repo public (default: private)")
    p.set_defaults(func=cmd_runs_merge)
    p = runs.add_parser("delete", help="delete a run folder under TOOLFT_HOME/runs (never one that is training)")
    p.add_argument("run_dir", help="a run folder, or a run's name")
    p.set_defaults(func=cmd_runs_delete)

    space = sub.add_parser("space", help="the Hugging Face Space: build its folder, deploy it").add_subparsers(
        dest="space_command", required=True)
    p = space.add_parser("build", help="write a ready Space folder: card README.md, app.py, toolft/, requirements.txt")
    p.add_argument("out", help="a new or empty folder")
    p.set_defaults(func=cmd_space_build)
    p = space.add_parser("deploy", help="create the Space repo if needed and upload the Space folder (HF_TOKEN)")
    p.add_argument("repo_id", help="owner/name of the Space")
    p.add_argument("--folder", help="a folder made by `space build` (default: build one now)")
    p.add_argument("--private", action="store_true")
    p.set_defaults(func=cmd_space_deploy)

    tiny = sub.add_parser("tiny", help="the offline tiny-qwen3 model").add_subparsers(dest="tiny_command", required=True)
    p = tiny.add_parser("build", help="install tiny-qwen3 now (otherwise done on first use)")
    p.add_argument("--from-scratch", action="store_true",
                   help="pre-train it here (about 40 minutes on 2 CPU cores) instead of copying the build shipped with toolft")
    p.set_defaults(func=cmd_tiny_build)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
