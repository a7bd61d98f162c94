"""The numbers the sizing model stands on, each with where it comes from and when it was read.

Every row says whether it is *published* (a vendor's datasheet or benchmark table), *derived* (an
arithmetic rule applied to a published row, see ``ESTIMATE_RULES``) or an *assumption* (no public
figure found: replace it with your own quote or contract). docs/sizing.md lists all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

RETRIEVED = "2026-12-01"


@dataclass(frozen=True)
class Source:
    """Where a number comes from: a URL (or ``assumption``), the date it was read, and a caveat."""

    url: str
    date: str
    note: str = ""


@dataclass(frozen=True)
class GPUSpec:
    """One accelerator: memory (decimal GB), board power at TDP, a purchase price per GPU."""

    name: str
    memory_gb: float
    bandwidth_gb_s: float
    power_w: float
    price_eur: float
    fp8: bool
    spec_source: Source
    price_source: Source


_PRICE_ASSUMPTION = Source(
    "assumption",
    RETRIEVED,
    "NVIDIA publishes no list price; a street-price guess per GPU inside a server. Replace with your quote.",
)

GPUS: dict[str, GPUSpec] = {
    "A100-40": GPUSpec(
        "A100-40",
        40,
        1555,
        400,
        9_000,
        False,
        Source(
            "https://www.nvidia.com/en-us/data-center/a100/",
            RETRIEVED,
            "A100 SXM4 40GB: 1,555 GB/s HBM2, 400 W TDP (PCIe card: 250 W). End of sale; mostly refurbished.",
        ),
        _PRICE_ASSUMPTION,
    ),
    "A100-80": GPUSpec(
        "A100-80",
        80,
        2039,
        400,
        15_000,
        False,
        Source(
            "https://www.nvidia.com/en-us/data-center/a100/",
            RETRIEVED,
            "A100 SXM4 80GB: 2,039 GB/s HBM2e, 400 W TDP (PCIe: 1,935 GB/s, 300 W).",
        ),
        _PRICE_ASSUMPTION,
    ),
    "H100": GPUSpec(
        "H100",
        80,
        3350,
        700,
        27_000,
        True,
        Source(
            "https://www.nvidia.com/en-us/data-center/h100/",
            RETRIEVED,
            "H100 SXM 80GB: 3.35 TB/s HBM3, up to 700 W (H100 NVL/PCIe: 350-400 W). FP8 tensor cores.",
        ),
        _PRICE_ASSUMPTION,
    ),
    "L40S": GPUSpec(
        "L40S",
        48,
        864,
        350,
        8_500,
        True,
        Source(
            "https://www.nvidia.com/en-us/data-center/l40s/",
            RETRIEVED,
            "L40S: 48 GB GDDR6, 864 GB/s, 350 W max board power, PCIe Gen4, no NVLink. FP8 tensor cores (Ada).",
        ),
        _PRICE_ASSUMPTION,
    ),
}


@dataclass(frozen=True)
class ModelSpec:
    """A model's size and the attention shape that sets its KV cache per token."""

    name: str
    params_b: float
    layers: int
    kv_heads: int
    head_dim: int
    source: Source


MODELS: dict[str, ModelSpec] = {
    "7B": ModelSpec(
        "7B",
        7.0,
        32,
        32,
        128,
        Source("https://huggingface.co/meta-llama/Llama-2-7b-hf", RETRIEVED, "Llama 2 7B shape (full multi-head KV)."),
    ),
    "13B": ModelSpec(
        "13B",
        13.0,
        40,
        40,
        128,
        Source(
            "https://huggingface.co/TheBloke/Llama-2-13B-chat-AWQ",
            RETRIEVED,
            "Llama 2 13B shape (full multi-head KV); the tgi profile's model.",
        ),
    ),
    "70B": ModelSpec(
        "70B",
        70.0,
        80,
        8,
        128,
        Source("https://huggingface.co/meta-llama/Llama-2-70b-hf", RETRIEVED, "Llama 2/3 70B shape (GQA, 8 KV heads)."),
    ),
    "mistral-small-3.2-24b": ModelSpec(
        "mistral-small-3.2-24b",
        24.0,
        40,
        8,
        128,
        Source(
            "https://huggingface.co/mistralai/Mistral-Small-3.2-24B-Instruct-2506",
            RETRIEVED,
            "Apache-2.0; the vllm profile's model. Card: ~55 GB of GPU memory in bf16 (weights incl. vision encoder).",
        ),
    ),
    "qwen3-14b": ModelSpec(
        "qwen3-14b",
        14.8,
        40,
        8,
        128,
        Source(
            "https://huggingface.co/Qwen/Qwen3-14B",
            RETRIEVED,
            "Apache-2.0, 119 languages; thinking mode on by default.",
        ),
    ),
    "qwen3-32b": ModelSpec(
        "qwen3-32b",
        32.8,
        64,
        8,
        128,
        Source(
            "https://huggingface.co/Qwen/Qwen3-32B", RETRIEVED, "Apache-2.0, 119 languages; 64 layers, GQA 8 KV heads."
        ),
    ),
}

# Bytes per weight for each quantisation. int4 = AWQ/GPTQ 4-bit; int8 = W8A8 (SmoothQuant) or weight-only.
QUANT_BYTES: dict[str, float] = {"fp16": 2.0, "int8": 1.0, "int4": 0.5, "fp8": 1.0}


@dataclass(frozen=True)
class Throughput:
    """Output tokens per second that one GPU sustains for a model class at a precision."""

    tokens_per_s: float
    basis: str
    source: Source


_TRTLLM_061 = (
    "https://github.com/NVIDIA/TensorRT-LLM/blob/138f96d45f90b9667426f7c47297d8c06bafac73/docs/source/performance.md"
)
_TRTLLM_NOW = "https://github.com/NVIDIA/TensorRT-LLM/blob/00f37686aa854010d68bcbd0f4ab000221541ca6/docs/source/performance/perf-overview.md"
_SHAPE = "offline max-throughput, input 2048 / output 128 tokens (RAG-shaped: long prompt, short answer), TensorRT-LLM"

# Published anchors: (model class, quant, gpu) -> output tokens/s per GPU. Everything else is derived
# from these by ESTIMATE_RULES in sizing.model.throughput_per_gpu.
PUBLISHED_THROUGHPUT: dict[tuple[str, str, str], Throughput] = {
    ("7B", "fp8", "H100"): Throughput(
        3450,
        "published",
        Source(_TRTLLM_NOW, RETRIEVED, f"Llama 3.1 8B FP8, H100 SXM TP1, {_SHAPE}."),
    ),
    ("70B", "fp8", "H100"): Throughput(
        381,
        "published",
        Source(_TRTLLM_NOW, RETRIEVED, f"Llama 3.3 70B FP8, H100 SXM TP2: 762 tok/s total = 381 per GPU, {_SHAPE}."),
    ),
    ("7B", "fp16", "A100-80"): Throughput(
        591,
        "published",
        Source(
            _TRTLLM_061, RETRIEVED, f"LLaMA 7B FP16 on A100 (variant not stated; taken as SXM 80GB), {_SHAPE} v0.6.1."
        ),
    ),
    ("70B", "fp16", "A100-80"): Throughput(
        79,
        "published",
        Source(
            _TRTLLM_061,
            RETRIEVED,
            f"LLaMA 70B FP16 on 4 A100, {_SHAPE} v0.6.1. Unverified whether the column is per GPU or total; "
            "taken as per GPU (its ratio to H100 FP8, 3.9x, matches the 7B rows).",
        ),
    ),
    ("7B", "fp8", "L40S"): Throughput(
        581,
        "published",
        Source(_TRTLLM_061, RETRIEVED, f"LLaMA 7B FP8 on L40S, {_SHAPE} v0.5 (older software than the H100 rows)."),
    ),
}

ESTIMATE_RULES = (
    "other model sizes: the 7B row of the same GPU and precision x 7 / parameters (decode reads every weight per step)",
    "fp16 on H100 or L40S: the fp8 row / 1.5 (FP8 doubles peak tensor FLOPs; 1.5 is a guess, not a measurement)",
    "int8 and int4: the same tokens/s as fp16 on that GPU (no speed-up claimed at large batch; the gain is memory)",
    "A100-40: the A100-80 row x 1555 / 2039 (memory bandwidth ratio)",
    "fp8 on A100: not supported (no FP8 tensor cores before Ada/Hopper)",
)


@dataclass(frozen=True)
class APIPrice:
    """A hosted API's list price per million tokens, in USD as published, converted to EUR by the model."""

    name: str
    usd_per_m_in: float
    usd_per_m_out: float
    source: Source


_OPENAI = Source(
    "https://platform.openai.com/docs/pricing",
    RETRIEVED,
    "Read through third-party copies of the page (2026); check the page itself before quoting.",
)

API_PRICES: dict[str, APIPrice] = {
    "gpt-4o-mini": APIPrice("gpt-4o-mini", 0.15, 0.60, _OPENAI),
    "gpt-4.1-mini": APIPrice("gpt-4.1-mini", 0.40, 1.60, _OPENAI),
    "gpt-4o": APIPrice("gpt-4o", 2.50, 10.00, _OPENAI),
    "mistral-small-3.2": APIPrice(
        "mistral-small-3.2",
        0.075,
        0.20,
        Source(
            "https://openrouter.ai/mistralai/mistral-small-3.2-24b-instruct",
            RETRIEVED,
            "OpenRouter listing; Mistral's own price page not checked (another listing shows $0.10/$0.30).",
        ),
    ),
}

EUR_PER_USD = 0.86
EUR_PER_USD_SOURCE = Source(
    "https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html",
    RETRIEVED,
    "assumption: a round rate; take the ECB reference rate of the day.",
)

PUE = 1.58
PUE_SOURCE = Source(
    "https://journal.uptimeinstitute.com/large-data-centers-are-mostly-more-efficient-analysis-confirms/",
    "2024-02-07",
    "Uptime Institute industry average PUE for 2023 (1.55-1.59 since 2020); new large sites reach ~1.3.",
)

EUR_PER_KWH = 0.20
EUR_PER_KWH_SOURCE = Source(
    "assumption", RETRIEVED, "German business electricity, order of magnitude; use your contract."
)

SERVER_PRICE_EUR = 30_000
SERVER_POWER_W = 1_000
OPS_EUR_PER_SERVER_MONTH = 500
SERVER_SOURCE = Source(
    "assumption",
    RETRIEVED,
    "Per GPU server without GPUs (CPUs, RAM, NICs, disks), its non-GPU power, and operations "
    "(support contract, rack space, admin time) per month. No public figure; replace with yours.",
)
