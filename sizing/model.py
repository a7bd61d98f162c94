"""The sizing arithmetic: load -> concurrency -> GPUs (memory and throughput) -> servers -> euros.

Units: GB are decimal (1e9 bytes), rates per second, money in EUR per month of 730 hours. The load is
staff questions on working days: ``questions_per_user_day`` arrive within ``hours_per_day`` on
``days_per_month`` days, and the busiest moment runs at ``peak_factor`` times that average.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sizing import tables

HOURS_PER_MONTH = 8760 / 12
HA_MODES = ("none", "n+1", "3")


class SizingError(ValueError):
    """An input the model cannot size (unknown name, impossible combination); the message says why."""


@dataclass(frozen=True)
class SizingInputs:
    """Everything a sizing depends on; defaults are the ones docs/sizing.md states."""

    users: int
    questions_per_user_day: float = 5.0
    peak_factor: float = 3.0
    tokens_in: int = 1500
    tokens_out: int = 300
    model: str = "13B"
    quant: str = "int4"
    gpu: str = "A100-40"
    ha: str = "n+1"
    gpus_per_server: int = 4
    hours_per_day: float = 8.0
    days_per_month: float = 21.0
    stream_tokens_per_s: float = 20.0
    target_utilisation: float = 0.5
    gpu_memory_utilisation: float = 0.9
    runtime_overhead_gb: float = 2.0
    api: str = "gpt-4.1-mini"
    amortisation_months: int = 36
    eur_per_kwh: float = tables.EUR_PER_KWH
    pue: float = tables.PUE
    ops_eur_per_server_month: float = tables.OPS_EUR_PER_SERVER_MONTH
    server_price_eur: float = tables.SERVER_PRICE_EUR
    server_power_w: float = tables.SERVER_POWER_W


@dataclass(frozen=True)
class SizingResult:
    """The sizing's figures; ``as_dict`` is the CLI's JSON."""

    questions_per_day: float
    tokens_in_per_day: float
    tokens_out_per_day: float
    peak_requests_per_s: float
    generation_s: float
    peak_concurrent_generations: float
    peak_output_tokens_per_s: float
    tokens_per_s_per_gpu: float
    throughput_basis: str
    weights_gb: float
    kv_gb_per_sequence: float
    tensor_parallel: int
    sequences_per_replica: int
    gpus_for_memory: int
    gpus_for_throughput: int
    gpus: int
    servers: int
    gpus_per_server_installed: int
    gpus_installed: int
    capex_eur: float
    amortisation_eur_per_month: float
    power_kw: float
    power_eur_per_month: float
    ops_eur_per_month: float
    onprem_eur_per_month: float
    api_eur_per_month: float
    break_even_months: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _lookup(table: dict[str, Any], name: str, what: str) -> Any:
    for key, value in table.items():
        if key.lower() == name.lower():
            return value
    raise SizingError(f"unknown {what} {name!r}; choose one of: {', '.join(table)}")


def resolve_model(name: str) -> tables.ModelSpec:
    return _lookup(tables.MODELS, name, "model")  # type: ignore[no-any-return]


def resolve_gpu(name: str) -> tables.GPUSpec:
    return _lookup(tables.GPUS, name, "GPU")  # type: ignore[no-any-return]


def resolve_quant(name: str) -> str:
    key = name.lower()
    if key not in tables.QUANT_BYTES:
        raise SizingError(f"unknown quantisation {name!r}; choose one of: {', '.join(tables.QUANT_BYTES)}")
    return key


def throughput_per_gpu(model: tables.ModelSpec, quant: str, gpu: tables.GPUSpec) -> tables.Throughput:
    """Output tokens/s one GPU sustains: a published row, or one derived by ``tables.ESTIMATE_RULES``."""
    if quant == "fp8" and not gpu.fp8:
        raise SizingError(f"fp8 needs FP8 tensor cores (H100, L40S); {gpu.name} has none: use fp16, int8 or int4")
    published = tables.PUBLISHED_THROUGHPUT.get((model.name, quant, gpu.name))
    if published is not None:
        return published
    if gpu.name == "A100-40":
        base = throughput_per_gpu(model, quant, tables.GPUS["A100-80"])
        ratio = gpu.bandwidth_gb_s / tables.GPUS["A100-80"].bandwidth_gb_s
        return tables.Throughput(
            base.tokens_per_s * ratio, f"{base.basis}; A100-40 = A100-80 x {ratio:.3f}", base.source
        )
    if quant in ("int8", "int4"):
        base = throughput_per_gpu(model, "fp16", gpu)
        return tables.Throughput(base.tokens_per_s, f"{base.basis}; {quant} = fp16", base.source)
    if quant == "fp16" and gpu.fp8:
        base = throughput_per_gpu(model, "fp8", gpu)
        return tables.Throughput(base.tokens_per_s / 1.5, f"{base.basis}; fp16 = fp8 / 1.5", base.source)
    anchor = tables.PUBLISHED_THROUGHPUT.get(("7B", quant, gpu.name))
    if anchor is None or model.name == "7B":
        raise SizingError(f"no throughput figure for {model.name} {quant} on {gpu.name}")
    factor = tables.MODELS["7B"].params_b / model.params_b
    return tables.Throughput(anchor.tokens_per_s * factor, f"published 7B x {factor:.3f}", anchor.source)


def kv_bytes_per_token(model: tables.ModelSpec, kv_bytes: float = 2.0) -> float:
    """Keys and values of every layer for one token (fp16 KV cache unless told otherwise)."""
    return 2 * model.layers * model.kv_heads * model.head_dim * kv_bytes


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def servers_for(gpus: int, gpus_per_server: int, tp: int, ha: str) -> tuple[int, int]:
    """Identical servers and GPUs in each; with HA one whole server may fail and the rest carry ``gpus``."""
    if ha not in HA_MODES:
        raise SizingError(f"unknown HA mode {ha!r}; choose one of: {', '.join(HA_MODES)}")
    base = math.ceil(gpus / gpus_per_server)
    servers = {"none": base, "n+1": base + 1, "3": max(base + 1, 3)}[ha]
    survivors = servers if ha == "none" else servers - 1
    return servers, _round_up(math.ceil(gpus / survivors), tp)


def _check(inputs: SizingInputs) -> None:
    problems = []
    if inputs.users <= 0:
        problems.append("users must be positive")
    for name in ("questions_per_user_day", "peak_factor", "hours_per_day", "days_per_month", "stream_tokens_per_s"):
        if getattr(inputs, name) <= 0:
            problems.append(f"{name} must be positive")
    if inputs.tokens_in < 0 or inputs.tokens_out <= 0:
        problems.append("tokens_in must be >= 0 and tokens_out > 0")
    if not 0 < inputs.target_utilisation <= 1 or not 0 < inputs.gpu_memory_utilisation <= 1:
        problems.append("utilisations must be in (0, 1]")
    if inputs.gpus_per_server <= 0 or inputs.amortisation_months <= 0:
        problems.append("gpus_per_server and amortisation_months must be positive")
    if inputs.ha not in HA_MODES:
        problems.append(f"unknown HA mode {inputs.ha!r}; choose one of: {', '.join(HA_MODES)}")
    if problems:
        raise SizingError("; ".join(problems))


def size(inputs: SizingInputs) -> SizingResult:
    """Size the LLM serving for a load; raises ``SizingError`` for inputs it cannot size."""
    _check(inputs)
    model = resolve_model(inputs.model)
    gpu = resolve_gpu(inputs.gpu)
    quant = resolve_quant(inputs.quant)
    api = _lookup(tables.API_PRICES, inputs.api, "API price")

    # Load and Little's law: generations in flight = arrival rate x time each one takes.
    questions = inputs.users * inputs.questions_per_user_day
    peak_rate = questions / (inputs.hours_per_day * 3600) * inputs.peak_factor
    generation_s = inputs.tokens_out / inputs.stream_tokens_per_s
    concurrency = peak_rate * generation_s
    peak_out_tps = peak_rate * inputs.tokens_out

    # Memory: weights split over a tensor-parallel group, KV cache for every sequence in flight.
    weights_gb = model.params_b * tables.QUANT_BYTES[quant]
    usable_gb = gpu.memory_gb * inputs.gpu_memory_utilisation
    kv_gb_seq = kv_bytes_per_token(model) * (inputs.tokens_in + inputs.tokens_out) / 1e9
    tp = next(
        (n for n in (1, 2, 4, 8) if usable_gb - inputs.runtime_overhead_gb - weights_gb / n >= 0.1 * usable_gb),
        None,
    )
    if tp is None:
        raise SizingError(f"{model.name} at {quant} ({weights_gb:.0f} GB) does not fit on 8 x {gpu.name}")
    if inputs.gpus_per_server % tp:
        raise SizingError(f"a tensor-parallel group of {tp} GPUs must fit in one server of {inputs.gpus_per_server}")
    kv_room_gb = tp * (usable_gb - inputs.runtime_overhead_gb) - weights_gb
    seqs_per_replica = math.floor(kv_room_gb / kv_gb_seq)
    if seqs_per_replica < 1:
        raise SizingError(
            f"one sequence of {inputs.tokens_in + inputs.tokens_out} tokens does not fit beside the weights"
        )
    gpus_memory = math.ceil(concurrency / seqs_per_replica) * tp

    throughput = throughput_per_gpu(model, quant, gpu)
    gpus_throughput = _round_up(math.ceil(peak_out_tps / (throughput.tokens_per_s * inputs.target_utilisation)), tp)
    gpus = max(gpus_memory, gpus_throughput, tp)

    servers, per_server = servers_for(gpus, inputs.gpus_per_server, tp, inputs.ha)
    installed = servers * per_server

    # Money.
    capex = installed * gpu.price_eur + servers * inputs.server_price_eur
    amortisation = capex / inputs.amortisation_months
    power_kw = (installed * gpu.power_w + servers * inputs.server_power_w) / 1000 * inputs.pue
    power_eur = power_kw * HOURS_PER_MONTH * inputs.eur_per_kwh
    ops_eur = servers * inputs.ops_eur_per_server_month
    onprem = amortisation + power_eur + ops_eur
    tokens_in_day = questions * inputs.tokens_in
    tokens_out_day = questions * inputs.tokens_out
    api_eur = (
        (tokens_in_day * api.usd_per_m_in + tokens_out_day * api.usd_per_m_out)
        / 1e6
        * tables.EUR_PER_USD
        * inputs.days_per_month
    )
    saving = api_eur - (power_eur + ops_eur)
    break_even = capex / saving if saving > 0 else None

    return SizingResult(
        questions_per_day=questions,
        tokens_in_per_day=tokens_in_day,
        tokens_out_per_day=tokens_out_day,
        peak_requests_per_s=peak_rate,
        generation_s=generation_s,
        peak_concurrent_generations=concurrency,
        peak_output_tokens_per_s=peak_out_tps,
        tokens_per_s_per_gpu=throughput.tokens_per_s,
        throughput_basis=throughput.basis,
        weights_gb=weights_gb,
        kv_gb_per_sequence=kv_gb_seq,
        tensor_parallel=tp,
        sequences_per_replica=seqs_per_replica,
        gpus_for_memory=gpus_memory,
        gpus_for_throughput=gpus_throughput,
        gpus=gpus,
        servers=servers,
        gpus_per_server_installed=per_server,
        gpus_installed=installed,
        capex_eur=capex,
        amortisation_eur_per_month=amortisation,
        power_kw=power_kw,
        power_eur_per_month=power_eur,
        ops_eur_per_month=ops_eur,
        onprem_eur_per_month=onprem,
        api_eur_per_month=api_eur,
        break_even_months=break_even,
    )
