"""The Teams app package: built into a temporary folder and checked against the vendored v1.30 schemas."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from manifests import make_icons
from manifests.package import (
    MANIFEST_DIR,
    PackageError,
    build_package,
    leftover_placeholders,
    load_schema,
    localisation_problems,
    main,
    resolve_key,
    schema_problems,
)

BOT_ID = "6F1A2B3C-4D5E-4F60-8A7B-9C0D1E2F3A4B"
HOST = "assistant.contoso.com"
FILES = {"manifest.json", "de-de.json", "color.png", "outline.png"}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = build_package(tmp_path_factory.mktemp("dist") / "teams-app.zip", BOT_ID, HOST)
    with zipfile.ZipFile(out) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def app_manifest(package: dict[str, bytes]) -> dict[str, Any]:
    return dict(json.loads(package["manifest.json"]))


@pytest.fixture(scope="module")
def german(package: dict[str, bytes]) -> dict[str, Any]:
    return dict(json.loads(package["de-de.json"]))


def test_zip_holds_the_four_files_at_its_root(package: dict[str, bytes]) -> None:
    assert set(package) == FILES


def test_manifest_validates_against_the_v1_30_schema(app_manifest: dict[str, Any]) -> None:
    assert app_manifest["manifestVersion"] == "1.30"
    assert (
        app_manifest["$schema"] == "https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json"
    )
    assert schema_problems(load_schema("MicrosoftTeams.schema.json"), app_manifest, "manifest.json") == []


def test_the_schema_check_rejects_a_broken_manifest(app_manifest: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(app_manifest))
    broken["manifestVersion"] = "1.29"
    broken["bots"][0]["scopes"].append("meeting")
    del broken["developer"]["privacyUrl"]
    problems = schema_problems(load_schema("MicrosoftTeams.schema.json"), broken, "manifest.json")
    assert len(problems) == 3, problems
    assert any("$.manifestVersion" in p for p in problems)
    assert any("$.bots[0].scopes[3]" in p for p in problems)
    assert any("privacyUrl" in p for p in problems)


def test_bot_is_conversational_in_every_scope(app_manifest: dict[str, Any]) -> None:
    (bot,) = app_manifest["bots"]
    assert bot["botId"] == BOT_ID.lower()
    assert app_manifest["id"] == BOT_ID.lower()  # no TEAMS_APP_ID given: the app id is the bot's
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False


def test_command_lists(app_manifest: dict[str, Any]) -> None:
    lists = {tuple(sorted(c["scopes"])): c["commands"] for c in app_manifest["bots"][0]["commandLists"]}
    assert set(lists) == {("personal",), ("groupChat", "team")}
    personal = lists[("personal",)]
    assert len(personal) <= 10  # Microsoft's documented limit for prompt starters (the schema allows 12)
    assert [c["title"] for c in personal[:3]] == ["help", "reset", "sources"]
    examples = [c for c in personal if c.get("type") == "prompt"]
    assert 3 <= len(examples) <= 4
    assert all(c["prompt"].endswith("?") for c in examples)
    assert [c["title"] for c in lists[("groupChat", "team")]] == ["help"]
    assert all(len(c["title"]) <= 32 for commands in lists.values() for c in commands)


def test_urls_and_domains_use_the_public_host(app_manifest: dict[str, Any]) -> None:
    assert HOST in app_manifest["validDomains"]
    developer = app_manifest["developer"]
    assert developer["websiteUrl"] == f"https://{HOST}/"
    assert developer["privacyUrl"] == f"https://{HOST}/privacy"
    assert developer["termsOfUseUrl"] == f"https://{HOST}/terms"
    assert "webApplicationInfo" not in app_manifest


def test_no_placeholder_is_left_anywhere(package: dict[str, bytes]) -> None:
    for name in ("manifest.json", "de-de.json"):
        text = package[name].decode("utf-8")
        assert "{{" not in text and "}}" not in text, name
        assert not re.search(r"BOT_APP_ID|TEAMS_APP_ID|PUBLIC_HOST|APP_VERSION", text), name
    for name in ("color.png", "outline.png"):
        assert b"{{" not in package[name]


def test_a_placeholder_left_in_the_template_is_reported() -> None:
    document = {"name": {"short": "Assistant"}, "validDomains": ["{{PUBLIC_HOST}}", "{{ OTHER }}.example.com"]}
    assert leftover_placeholders(document, "manifest.json") == [
        "manifest.json: validDomains[0] still holds a placeholder: '{{PUBLIC_HOST}}'",
        "manifest.json: validDomains[1] still holds a placeholder: '{{ OTHER }}.example.com'",
    ]


def test_a_separate_teams_app_id_and_version(tmp_path: Path) -> None:
    teams_id = "0b8c3d9e-1f2a-4b3c-9d4e-5f6a7b8c9d0e"
    out = build_package(tmp_path / "app.zip", BOT_ID, HOST, teams_app_id=teams_id, app_version="1.2.3")
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["id"], manifest["bots"][0]["botId"], manifest["version"]) == (teams_id, BOT_ID.lower(), "1.2.3")


def test_the_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    first = build_package(tmp_path / "a.zip", BOT_ID, HOST).read_bytes()
    assert build_package(tmp_path / "b.zip", BOT_ID, HOST).read_bytes() == first


def test_german_localisation_validates_and_names_only_manifest_strings(
    app_manifest: dict[str, Any], german: dict[str, Any]
) -> None:
    schema = load_schema("MicrosoftTeams.Localization.schema.json")
    assert schema_problems(schema, german, "de-de.json") == []
    assert localisation_problems(app_manifest, german, "de-de.json") == []
    assert app_manifest["localizationInfo"] == {
        "defaultLanguageTag": "en-us",
        "additionalLanguages": [{"languageTag": "de-de", "file": "de-de.json"}],
    }


def test_german_localisation_is_complete_and_translated(app_manifest: dict[str, Any], german: dict[str, Any]) -> None:
    expected = {"name.short", "name.full", "description.short", "description.full"}
    for i, command_list in enumerate(app_manifest["bots"][0]["commandLists"]):
        for j, command in enumerate(command_list["commands"]):
            expected |= {
                f"bots[0].commandLists[{i}].commands[{j}].{field}"
                for field in ("title", "description", "prompt")
                if field in command
            }
    assert set(german) - {"$schema"} == expected
    assert all(german[key] != resolve_key(app_manifest, key) for key in expected)
    assert all(len(german[key]) <= 32 for key in expected if key.endswith(".title"))  # as the English ones


def test_the_localisation_schema_enforces_its_length_limits(german: dict[str, Any]) -> None:
    # These maxLengths sit beside a "$ref", which plain draft-04 validation would ignore.
    too_long = {**german, "name.short": "A" * 31, "description.short": "B" * 81}
    problems = schema_problems(load_schema("MicrosoftTeams.Localization.schema.json"), too_long, "de-de.json")
    assert len(problems) == 2, problems
    assert all("is too long" in p for p in problems)


def test_a_localisation_key_the_manifest_lacks_is_reported(app_manifest: dict[str, Any]) -> None:
    problems = localisation_problems(
        app_manifest,
        {"name.short": "x", "bots[0].commandLists[0].commands[11].title": "x", "bots[0].scopes": "x"},
        "de-de.json",
    )
    assert problems == [
        "de-de.json: key 'bots[0].commandLists[0].commands[11].title' names nothing in the manifest",
        "de-de.json: key 'bots[0].scopes' names a list in the manifest, not a string",
    ]


@pytest.mark.parametrize(
    "bot_id",
    [
        "",
        "not-a-guid",
        "{6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b}",
        "6f1a2b3c4d5e4f608a7b9c0d1e2f3a4b",
        "00000000-0000-0000-0000-000000000000",
        "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b\n",
    ],
)
def test_a_bad_bot_app_id_is_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bot_id: str
) -> None:
    out = tmp_path / "dist" / "teams-app.zip"
    assert main(["--bot-app-id", bot_id, "--public-host", HOST, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "BOT_APP_ID" in err and ("GUID" in err or "missing" in err) and "Traceback" not in err
    assert not out.parent.exists()


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("", "missing"),
        ("https://assistant.contoso.com", "scheme"),
        ("assistant.contoso.com/api/messages", "path"),
        ("assistant.contoso.com:3978", "port"),
        ("localhost", "fully qualified"),
        ("10.0.0.1", "fully qualified"),
        ("-bad.contoso.com", "fully qualified"),
        ("assistent.müller.de", "punycode"),
    ],
)
def test_a_bad_public_host_is_refused_and_nothing_is_written(tmp_path: Path, host: str, reason: str) -> None:
    out = tmp_path / "teams-app.zip"
    with pytest.raises(PackageError) as refused:
        build_package(out, BOT_ID, host)
    assert len(refused.value.problems) == 1
    assert refused.value.problems[0].startswith("PUBLIC_HOST") and reason in refused.value.problems[0]
    assert list(tmp_path.iterdir()) == []


def _check_color(image: Image.Image) -> None:
    assert image.size == (192, 192)
    assert image.mode == "RGB"
    red, green, blue = image.split()
    assert ImageChops.difference(red, blue).getbbox() is not None  # in colour, not grey


def _check_outline(image: Image.Image) -> None:
    assert image.size == (32, 32)
    assert image.mode == "RGBA"
    # White everywhere (transparent pixels too); the shape lives in the alpha channel only.
    assert image.convert("RGB").getextrema() == ((255, 255), (255, 255), (255, 255))
    alpha = image.getchannel("A").histogram()
    assert alpha[0] > 300 and alpha[255] > 100  # a transparent background and an opaque shape


def test_committed_icons_are_the_ones_packaged_and_meet_teams_rules(package: dict[str, bytes]) -> None:
    for name, check in (("color.png", _check_color), ("outline.png", _check_outline)):
        assert package[name] == (MANIFEST_DIR / name).read_bytes()
        with Image.open(io.BytesIO(package[name])) as image:
            assert image.format == "PNG"
            check(image)


def test_the_icon_script_draws_icons_that_meet_teams_rules() -> None:
    _check_color(make_icons.color_icon())
    _check_outline(make_icons.outline_icon())
