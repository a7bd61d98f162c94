"""``python app.py size``: the sizing model on the command line (text table or ``--json``)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, fields
from typing import Any

from sizing import tables
from sizing.model import HA_MODES, SizingError, SizingInputs, SizingResult, size

_DEFAULTS = {f.name: f.default for f in fields(SizingInputs) if f.name != "users"}


def add_size_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``size`` command to an ``argparse`` subparsers object and return its parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "size",
        help="GPUs, servers and monthly cost for a number of users, against API prices",
        description="Size the LLM serving (docs/sizing.md explains the model and every number's source).",
    )
    d = _DEFAULTS
    p.add_argument("--users", type=int, required=True, help="staff who use the assistant")
    p.add_argument("--questions-per-user-day", type=float, default=d["questions_per_user_day"])
    p.add_argument("--peak-factor", type=float, default=d["peak_factor"], help="busiest rate / average rate")
    p.add_argument("--tokens-in", type=int, default=d["tokens_in"], help="prompt tokens per question")
    p.add_argument("--tokens-out", type=int, default=d["tokens_out"], help="answer tokens per question")
    p.add_argument("--model", default=d["model"], help=f"one of {', '.join(tables.MODELS)}")
    p.add_argument("--quant", default=d["quant"], help=f"one of {', '.join(tables.QUANT_BYTES)}")
    p.add_argument("--gpu", default=d["gpu"], help=f"one of {', '.join(tables.GPUS)}")
    p.add_argument(
        "--ha",
        default=d["ha"],
        help=f"{' | '.join(HA_MODES)}: none; one spare server (N+1); N+1 and at least 3 servers",
    )
    p.add_argument("--gpus-per-server", type=int, default=d["gpus_per_server"])
    p.add_argument("--hours-per-day", type=float, default=d["hours_per_day"], help="hours the questions arrive in")
    p.add_argument("--days-per-month", type=float, default=d["days_per_month"], help="working days per month")
    p.add_argument("--stream-tokens-per-s", type=float, default=d["stream_tokens_per_s"], help="per answer")
    p.add_argument("--target-utilisation", type=float, default=d["target_utilisation"], help="of published tok/s")
    p.add_argument("--api", default=d["api"], help=f"API to compare with: {', '.join(tables.API_PRICES)}")
    p.add_argument("--amortisation-months", type=int, default=d["amortisation_months"])
    p.add_argument("--eur-per-kwh", type=float, default=d["eur_per_kwh"])
    p.add_argument("--pue", type=float, default=d["pue"])
    p.add_argument("--ops-eur-per-server-month", type=float, default=d["ops_eur_per_server_month"])
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    return p


def inputs_from_args(args: argparse.Namespace) -> SizingInputs:
    names = {f.name for f in fields(SizingInputs)}
    return SizingInputs(**{k: v for k, v in vars(args).items() if k in names})


def _eur(value: float) -> str:
    return f"€{value:,.0f}"


def format_result(inputs: SizingInputs, r: SizingResult) -> str:
    break_even = "never (the API costs less than power and operations)"
    if r.break_even_months is not None:
        break_even = f"{r.break_even_months:.1f} months"
    rows = [
        ("questions per day", f"{r.questions_per_day:,.0f}"),
        ("tokens per day (in / out)", f"{r.tokens_in_per_day:,.0f} / {r.tokens_out_per_day:,.0f}"),
        ("peak requests/s", f"{r.peak_requests_per_s:.2f}"),
        ("peak concurrent generations", f"{r.peak_concurrent_generations:.1f} (each {r.generation_s:.0f} s)"),
        ("peak output tokens/s", f"{r.peak_output_tokens_per_s:,.0f}"),
        (f"tokens/s per {inputs.gpu} GPU", f"{r.tokens_per_s_per_gpu:,.0f} ({r.throughput_basis})"),
        ("weights / KV per sequence", f"{r.weights_gb:.1f} GB / {r.kv_gb_per_sequence:.2f} GB"),
        ("tensor parallel / sequences per replica", f"{r.tensor_parallel} / {r.sequences_per_replica}"),
        ("GPUs for memory / throughput", f"{r.gpus_for_memory} / {r.gpus_for_throughput}"),
        ("GPUs needed", str(r.gpus)),
        (f"servers (HA {inputs.ha})", f"{r.servers} x {r.gpus_per_server_installed} GPUs = {r.gpus_installed}"),
        ("capex", _eur(r.capex_eur)),
        (
            "on-prem per month",
            f"{_eur(r.onprem_eur_per_month)} (amortisation {_eur(r.amortisation_eur_per_month)} over "
            f"{inputs.amortisation_months} months, power {_eur(r.power_eur_per_month)} at {r.power_kw:.1f} kW, "
            f"operations {_eur(r.ops_eur_per_month)})",
        ),
        (f"API per month ({inputs.api})", _eur(r.api_eur_per_month)),
        ("break-even", break_even),
    ]
    width = max(len(k) for k, _ in rows)
    title = f"{inputs.users:,} users, {inputs.model} {inputs.quant} on {inputs.gpu}"
    return "\n".join([title, *(f"{k.ljust(width)}  {v}" for k, v in rows)])


def run_size(args: argparse.Namespace) -> int:
    """Run the sizing for parsed arguments; 0 on success, 2 with a message on stderr for bad input."""
    inputs = inputs_from_args(args)
    try:
        result = size(inputs)
    except SizingError as exc:
        print(f"size: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"inputs": asdict(inputs), **result.as_dict()}, indent=2))
    else:
        print(format_result(inputs, result))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sizing.cli")
    add_size_parser(parser.add_subparsers(dest="command", required=True))
    return run_size(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
