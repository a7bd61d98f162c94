"""The sizing model against worked examples done by hand (docs/sizing.md shows the same steps)."""

from __future__ import annotations

import argparse
import json

import pytest

from sizing import SizingError, SizingInputs, size
from sizing.cli import add_size_parser, run_size
from sizing.model import kv_bytes_per_token, servers_for, throughput_per_gpu
from sizing.tables import GPUS, MODELS, PUBLISHED_THROUGHPUT


def test_example_1_one_thousand_users_7b_fp16_one_a100_80() -> None:
    r = size(
        SizingInputs(
            users=1000,
            questions_per_user_day=10,
            peak_factor=2,
            tokens_in=1000,
            tokens_out=200,
            model="7B",
            quant="fp16",
            gpu="A100-80",
            ha="none",
            api="gpt-4o-mini",
        )
    )
    # 10,000 questions in 8 h = 0.347/s, peak x2 = 0.694/s; each answer 200 / 20 = 10 s in flight.
    assert r.tokens_in_per_day == 10_000_000 and r.tokens_out_per_day == 2_000_000
    assert r.peak_requests_per_s == pytest.approx(10_000 / 28_800 * 2)
    assert r.peak_concurrent_generations == pytest.approx(6.944, abs=1e-3)
    assert r.peak_output_tokens_per_s == pytest.approx(138.89, abs=0.01)
    # Throughput: 138.9 / (591 x 0.5) = 0.47 -> 1 GPU. Memory: 72 - 2 - 14 = 56 GB of KV room;
    # 2 x 32 layers x 32 heads x 128 x 2 B = 524,288 B per token x 1,200 tokens = 0.629 GB -> 89 sequences.
    assert r.tokens_per_s_per_gpu == 591 and r.throughput_basis == "published"
    assert r.kv_gb_per_sequence == pytest.approx(0.6291456)
    assert r.sequences_per_replica == 89
    assert (r.gpus_for_memory, r.gpus_for_throughput, r.gpus, r.servers, r.gpus_installed) == (1, 1, 1, 1, 1)
    # €15,000 GPU + €30,000 server over 36 months = €1,250; (400 W + 1,000 W) x 1.58 = 2.212 kW x 730 h x €0.20.
    assert r.capex_eur == 45_000
    assert r.amortisation_eur_per_month == pytest.approx(1250)
    assert r.power_eur_per_month == pytest.approx(2.212 * 730 * 0.20)
    assert r.onprem_eur_per_month == pytest.approx(1250 + 322.952 + 500)
    # API: (10 M x $0.15 + 2 M x $0.60) / 1 M = $2.70 a day x 0.86 x 21 days.
    assert r.api_eur_per_month == pytest.approx(48.762)
    assert r.break_even_months is None


def test_example_2_five_thousand_users_13b_awq_on_a100_40_with_n_plus_1() -> None:
    r = size(SizingInputs(users=5000))  # the defaults: 13B int4 on A100-40, N+1, against gpt-4.1-mini
    assert r.questions_per_day == 25_000
    assert r.peak_concurrent_generations == pytest.approx(25_000 / 28_800 * 3 * 15)  # 39.06
    assert r.peak_output_tokens_per_s == pytest.approx(781.25)
    # 591 x 7/13 x 1555/2039 = 242.7 tok/s (derived); 781.25 / (242.7 x 0.5) = 6.4 -> 7 GPUs.
    assert r.tokens_per_s_per_gpu == pytest.approx(591 * 7 / 13 * 1555 / 2039)
    assert r.gpus_for_throughput == 7
    # 36 - 2 - 6.5 = 27.5 GB / (819,200 B x 1,800 tokens = 1.475 GB) = 18 sequences -> 3 GPUs for memory.
    assert r.sequences_per_replica == 18 and r.gpus_for_memory == 3
    # 7 GPUs on 4-GPU servers: 2 servers, +1 spare = 3; the 2 survivors must hold 7 -> 4 each, 12 installed.
    assert (r.gpus, r.servers, r.gpus_per_server_installed, r.gpus_installed) == (7, 3, 4, 12)
    assert r.capex_eur == 12 * 9_000 + 3 * 30_000
    assert r.power_kw == pytest.approx((12 * 400 + 3 * 1000) / 1000 * 1.58)
    assert r.onprem_eur_per_month == pytest.approx(198_000 / 36 + 12.324 * 730 * 0.2 + 1500)
    assert r.api_eur_per_month == pytest.approx((37.5 * 0.40 + 7.5 * 1.60) * 0.86 * 21)  # €487.62
    assert r.break_even_months is None


def test_example_3_five_thousand_users_mistral_small_fp8_on_h100_against_gpt_4o() -> None:
    r = size(SizingInputs(users=5000, model="mistral-small-3.2-24b", quant="fp8", gpu="H100", api="gpt-4o"))
    assert r.tokens_per_s_per_gpu == pytest.approx(3450 * 7 / 24)  # 1,006 tok/s
    assert r.gpus_for_throughput == 2
    assert r.sequences_per_replica == 155 and r.gpus_for_memory == 1  # 46 GB / 0.295 GB
    assert (r.gpus, r.servers, r.gpus_installed) == (2, 2, 4)
    assert r.capex_eur == 4 * 27_000 + 2 * 30_000
    running = 7.584 * 730 * 0.2 + 1000
    api = (37.5 * 2.50 + 7.5 * 10.00) * 0.86 * 21  # €3,047.63
    assert r.api_eur_per_month == pytest.approx(api)
    assert r.break_even_months == pytest.approx(168_000 / (api - running))  # 178.7 months


def test_kv_cache_per_token_follows_the_attention_shape() -> None:
    assert kv_bytes_per_token(MODELS["7B"]) == 524_288
    assert kv_bytes_per_token(MODELS["70B"]) == 327_680  # GQA: 8 KV heads
    assert kv_bytes_per_token(MODELS["mistral-small-3.2-24b"]) == 163_840


def test_published_rows_win_and_derivations_say_so() -> None:
    h100 = GPUS["H100"]
    assert throughput_per_gpu(MODELS["70B"], "fp8", h100) is PUBLISHED_THROUGHPUT[("70B", "fp8", "H100")]
    fp16 = throughput_per_gpu(MODELS["70B"], "fp16", h100)
    assert fp16.tokens_per_s == pytest.approx(381 / 1.5) and "fp8 / 1.5" in fp16.basis
    int4 = throughput_per_gpu(MODELS["13B"], "int4", GPUS["A100-80"])
    assert int4.tokens_per_s == pytest.approx(591 * 7 / 13) and "int4 = fp16" in int4.basis


@pytest.mark.parametrize(
    ("gpus", "per_server", "tp", "ha", "expected"),
    [
        (5, 4, 1, "none", (2, 3)),
        (5, 4, 1, "n+1", (3, 3)),  # one server down: 2 x 3 = 6 >= 5
        (1, 4, 1, "3", (3, 1)),  # at least three servers even for one GPU
        (6, 4, 2, "3", (3, 4)),  # survivors need 3 each, rounded up to whole TP groups of 2
        (8, 8, 1, "n+1", (2, 8)),
    ],
)
def test_ha_rounding(gpus: int, per_server: int, tp: int, ha: str, expected: tuple[int, int]) -> None:
    servers, each = servers_for(gpus, per_server, tp, ha)
    assert (servers, each) == expected
    survivors = servers if ha == "none" else servers - 1
    assert survivors * each >= gpus and each % tp == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quant": "fp4"}, "unknown quantisation 'fp4'; choose one of: fp16, int8, int4, fp8"),
        ({"gpu": "V100"}, "unknown GPU 'V100'; choose one of: A100-40, A100-80, H100, L40S"),
        ({"model": "405B"}, "unknown model '405B'"),
        ({"quant": "fp8", "gpu": "A100-80"}, "fp8 needs FP8 tensor cores"),
        ({"ha": "2n"}, "unknown HA mode '2n'"),
        ({"model": "70B", "quant": "fp16", "gpu": "A100-80", "gpus_per_server": 2}, "must fit in one server"),
    ],
)
def test_bad_inputs_get_a_clear_error(change: dict[str, object], message: str) -> None:
    with pytest.raises(SizingError, match=message.replace("(", r"\(").replace("+", r"\+")):
        size(SizingInputs(users=100, **change))  # type: ignore[arg-type]


def test_names_are_case_insensitive_and_70b_fp16_needs_four_a100_80() -> None:
    r = size(SizingInputs(users=100, model="70b", quant="FP16", gpu="a100-80"))
    assert r.tensor_parallel == 4 and r.gpus % 4 == 0  # 140 GB of weights: 2 x 72 GB leaves no KV room


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_size_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_json_has_the_contract_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_size(_parse(["size", "--users", "5000", "--json"])) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"gpus", "servers", "onprem_eur_per_month", "api_eur_per_month", "break_even_months"} <= set(out)
    assert out["gpus"] == 7 and out["servers"] == 3 and out["break_even_months"] is None


def test_cli_text_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_size(_parse(["size", "--users", "5000", "--model", "mistral-small-3.2-24b", "--quant", "fp8",
                            "--gpu", "H100", "--api", "gpt-4o"])) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "GPUs needed" in text and "178.7 months" in text
    assert run_size(_parse(["size", "--users", "10", "--gpu", "V100"])) == 2
    assert "unknown GPU 'V100'" in capsys.readouterr().err
