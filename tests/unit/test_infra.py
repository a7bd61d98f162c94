"""The deployment files: Dockerfile rules, compose against the Compose Specification schema, and the
kustomize trees rendered and validated against the Kubernetes 1.33 schemas (kubernetes-validate, strict)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
K8S_VERSION = "1.33"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY", re.IGNORECASE)
COMPILERS = re.compile(r"\b(gcc|g\+\+|build-essential|clang|cmake|make)\b")


# ---------- Dockerfile ----------


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """(instruction, arguments) per stage, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    stages: list[list[tuple[str, str]]] = []
    for line in lines:
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction, args.strip()))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[list[tuple[str, str]]]:
    return dockerfile_stages((INFRA / "Dockerfile").read_text())


def test_dockerfile_is_multi_stage_with_a_slim_final_stage(stages: list[list[tuple[str, str]]]) -> None:
    assert len(stages) >= 2
    assert stages[0][0][1].startswith("python:3.11-slim AS builder")
    assert stages[-1][0] == ("FROM", "python:3.11-slim")


def test_final_stage_runs_as_a_non_root_user(stages: list[list[tuple[str, str]]]) -> None:
    users = [args for instruction, args in stages[-1] if instruction == "USER"]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user == "10001"


def test_final_stage_installs_no_compilers(stages: list[list[tuple[str, str]]]) -> None:
    runs = [args for instruction, args in stages[-1] if instruction == "RUN"]
    assert runs
    for run in runs:
        assert not COMPILERS.search(run), run
    builder_runs = " ".join(args for instruction, args in stages[0] if instruction == "RUN")
    assert COMPILERS.search(builder_runs), "the compilers belong in the builder"


def test_no_stage_downloads_models_with_curl_or_wget(stages: list[list[tuple[str, str]]]) -> None:
    for stage in stages:
        for instruction, args in stage:
            if instruction in ("RUN", "ADD"):
                assert not re.search(r"\b(curl|wget)\b", args), args
            assert not (instruction == "ADD" and "://" in args), args


def test_builder_installs_cpu_torch_first_then_the_llama_wheel_then_requirements(
    stages: list[list[tuple[str, str]]],
) -> None:
    runs = [args for instruction, args in stages[0] if instruction == "RUN"]
    torch = next(i for i, r in enumerate(runs) if "torch==2.13.0" in r)
    assert "download.pytorch.org/whl/cpu" in runs[torch]
    wheel = next(i for i, r in enumerate(runs) if "pip wheel" in r and "llama-cpp-python" in r)
    reqs = next(i for i, r in enumerate(runs) if "-r /tmp/requirements.txt" in r)
    assert torch < wheel < reqs
    assert "/opt/venv" in " ".join(runs)


def test_final_stage_settings_entrypoint_and_healthcheck(stages: list[list[tuple[str, str]]]) -> None:
    final = stages[-1]
    env = " ".join(args for instruction, args in final if instruction == "ENV")
    assert "HF_HUB_OFFLINE=1" in env and "DATA_DIR=/data" in env and "HOST=0.0.0.0" in env
    assert ("EXPOSE", "3978") in final
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in final
    health = [args for instruction, args in final if instruction == "HEALTHCHECK"]
    assert health and "/healthz" in health[0]
    entry = [json.loads(args) for instruction, args in final if instruction == "ENTRYPOINT"]
    cmd = [json.loads(args) for instruction, args in final if instruction == "CMD"]
    assert entry == [["python", "app.py"]]
    assert cmd == [["serve"]]


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_context() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", "data", ".local", "**/*.env", ".env"} <= ignored


# ---------- compose ----------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((INFRA / "compose.yaml").read_text()))


@pytest.fixture(scope="module")
def compose_validator() -> jsonschema.Draft7Validator:
    schema = json.loads((INFRA / "schema" / "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_matches_the_compose_specification(
    compose: dict[str, Any], compose_validator: jsonschema.Draft7Validator
) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in compose_validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_can_fail(compose: dict[str, Any], compose_validator: jsonschema.Draft7Validator) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["assistant"]["helthcheck"] = {"test": ["NONE"]}
    broken["services"]["postgres"]["deploy"] = {"resources": {"reservations": {"devices": "all"}}}
    assert len(list(compose_validator.iter_errors(broken))) >= 2


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def test_compose_has_no_secret_literals(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            if SECRET_NAME.search(key):
                is_reference = "${" in value
                is_secret_file = key.endswith("_FILE") and value.startswith("/run/secrets/")
                assert is_reference or is_secret_file, f"{name}: {key} holds a literal"
        for entry in service.get("env_file", []):
            path = entry["path"] if isinstance(entry, dict) else entry
            assert (INFRA / path).suffix == ".env"
            assert not (INFRA / path).exists() or not _tracked(INFRA / path), f"{path} must not be committed"
    for secret in compose.get("secrets", {}).values():
        assert set(secret) & {"environment", "file"}, secret
    for example in INFRA.glob("*.env.example"):
        for line in example.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#") and SECRET_NAME.search(key):
                assert value == "", f"{example.name}: {key} has a value"


def _tracked(path: Path) -> bool:
    result = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(path)], cwd=REPO, capture_output=True, check=False
    )
    return result.returncode == 0


def test_compose_llm_profiles_reserve_a_gpu_and_share_one_alias(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, profile, port_flag in (("tgi", "tgi", "--port=8080"), ("vllm", "vllm", "--port=8080")):
        service = services[name]
        assert service["profiles"] == [profile]
        devices = service["deploy"]["resources"]["reservations"]["devices"]
        assert any(d["driver"] == "nvidia" and d["capabilities"] == ["gpu"] for d in devices)
        assert "llm" in service["networks"]["backend"]["aliases"]
        assert _environment(service)["HF_HUB_OFFLINE"] == "1"
        assert port_flag in service["command"]
        assert all(v.endswith(":ro") for v in service["volumes"] if "/models" in v)
        assert "healthcheck" in service and "/health" in " ".join(service["healthcheck"]["test"])
    assert "--quantize=awq" in services["tgi"]["command"]
    assert any("Llama-2-13B-chat-AWQ" in arg for arg in services["tgi"]["command"])
    assert any("Mistral-Small-3.2-24B-Instruct-2506" in arg for arg in services["vllm"]["command"])
    for name in ("assistant", "sync", "postgres"):
        assert "profiles" not in services[name]


def test_compose_app_services_health_volumes_and_single_writer(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assistant, sync, postgres = services["assistant"], services["sync"], services["postgres"]
    assert assistant["command"] == ["serve"]
    assert "/healthz" in " ".join(assistant["healthcheck"]["test"])
    assert _environment(assistant)["TGI_URL"] == "http://llm:8080"
    assert _environment(assistant)["HF_HUB_OFFLINE"] == "1"
    assert "${POSTGRES_PASSWORD" in _environment(assistant)["DATABASE_URL"]
    assert sync["command"] == ["sync", "--watch"]
    assert sync["deploy"]["replicas"] == 1
    assert re.match(r"postgres:1[67]\b", postgres["image"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert set(compose["volumes"]) >= {"assistant-data", "postgres-data"}
    assert "assistant-data:/data" in assistant["volumes"] and "assistant-data:/data" in sync["volumes"]
    assert any(v.startswith("postgres-data:") for v in postgres["volumes"])


# ---------- Kubernetes ----------

TREES = ("base", "overlays/tgi", "overlays/vllm")


def _render(tree: str) -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize` renders the trees (apt/brew package kubectl)")
    out = subprocess.run(
        ["kubectl", "kustomize", str(INFRA / "k8s" / tree)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=TREES)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, _render(request.param)


def _get(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def test_every_rendered_document_is_valid_kubernetes_1_33(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    tree, docs = rendered
    assert len(docs) >= 10
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_strict_validation_rejects_an_unknown_field(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    broken = json.loads(json.dumps(_get(docs, "Deployment", "assistant")))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_assistant_is_replicated_probed_bounded_and_non_root(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    deployment = _get(docs, "Deployment", "assistant")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    index = next(m for m in container["volumeMounts"] if m["mountPath"] == "/data/index")
    assert index["readOnly"] is True
    hpa = _get(docs, "HorizontalPodAutoscaler", "assistant")
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert _get(docs, "PodDisruptionBudget", "assistant")["spec"]["minAvailable"] >= 1
    claims = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolumeClaim"}
    assert claims["assistant-data"]["spec"]["accessModes"] == ["ReadWriteMany"]


def test_sync_is_a_single_writer(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    sync = _get(docs, "Deployment", "sync")
    assert sync["spec"]["replicas"] == 1
    assert sync["spec"]["strategy"]["type"] == "Recreate"
    assert sync["spec"]["template"]["spec"]["containers"][0]["args"] == ["sync", "--watch"]


def test_llm_requests_a_gpu_and_the_overlay_sets_the_engine(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    tree, docs = rendered
    (container,) = _get(docs, "Deployment", "llm")["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    env = {e["name"]: e for e in container["env"]}
    assert env["HF_HUB_OFFLINE"]["value"] == "1"
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("assistant-config"))
    assert config["data"]["TGI_URL"] == "http://llm:8080"
    if tree == "overlays/tgi":
        assert container["image"].startswith("ghcr.io/huggingface/text-generation-inference:")
        assert "--quantize=awq" in container["args"] and "--port=8080" in container["args"]
        assert "secretKeyRef" in env["API_KEY"]["valueFrom"]
    if tree == "overlays/vllm":
        assert container["image"].startswith("vllm/vllm-openai:")
        assert container["command"] == ["vllm", "serve"] and "--port=8080" in container["args"]
        assert "secretKeyRef" in env["VLLM_API_KEY"]["valueFrom"]


def test_no_secret_values_in_the_rendered_trees(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    assert not [d for d in docs if d["kind"] == "Secret"]
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            assert not [k for k in doc["data"] if SECRET_NAME.search(k)]
        if doc["kind"] != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if SECRET_NAME.search(env["name"]):
                    assert "value" not in env and "secretKeyRef" in env["valueFrom"], env["name"]
    example = list(yaml.safe_load_all((INFRA / "k8s" / "base" / "secret.example.yaml").read_text()))
    assert all(value == "" for doc in example for value in doc["stringData"].values())
    kustomization = yaml.safe_load((INFRA / "k8s" / "base" / "kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]


def test_network_policy_limits_the_assistant(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    policy = _get(docs, "NetworkPolicy", "assistant")["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert [p["port"] for rule in policy["ingress"] for p in rule["ports"]] == [3978]
    egress_ports = sorted({p["port"] for rule in policy["egress"] for p in rule["ports"]})
    assert egress_ports == [53, 443, 5432, 8080]
    llm_rule = next(r for r in policy["egress"] if any(p["port"] == 8080 for p in r["ports"]))
    assert llm_rule["to"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "llm"}}}]
    assert "egress" not in _get(docs, "NetworkPolicy", "llm")["spec"]
