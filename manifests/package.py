"""Build the Teams app package (`dist/teams-app.zip`) that a Teams admin uploads.

    python -m manifests.package --bot-app-id <guid> --public-host <host> [--teams-app-id <guid>]
                                [--app-version 1.0.0] [--out dist/teams-app.zip]

The template's placeholders are filled in, the manifest and the German localisation are validated
against the vendored v1.30 schemas (`manifests/schema/`), and the zip holds `manifest.json`,
`de-de.json`, `color.png` and `outline.png` at its root. Any problem is reported at once (exit 2)
and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft7Validator, FormatChecker, validators
from jsonschema.protocols import Validator

MANIFEST_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = MANIFEST_DIR / "schema"
DEFAULT_OUT = MANIFEST_DIR.parent / "dist" / "teams-app.zip"

TEMPLATE = "manifest.template.json"
LOCALIZATION_FILES = ("de-de.json",)
ICONS = {"color.png": (192, 192), "outline.png": (32, 32)}

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_NIL_GUID = "00000000-0000-0000-0000-000000000000"
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]*)\s*\}\}")
# A localisation key such as "bots[0].commandLists[1].commands[0].title".
_KEY_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[[0-9]+\])*)$")
# Zip entries get a fixed timestamp so the same inputs give the same bytes.
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """The package cannot be built; `problems` lists every reason, each readable on its own."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def check_guid(name: str, value: str) -> list[str]:
    """Problems with a GUID parameter (empty list when it is fine)."""
    if not value:
        return [f"{name} is missing: give the GUID, e.g. {name}=6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"]
    if not _GUID.fullmatch(value):
        return [f"{name} must be a GUID like 6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b, got {value!r}"]
    if value == _NIL_GUID:
        return [f"{name} is the all-zero GUID, which is a placeholder, not an app id"]
    return []


def check_host(value: str) -> list[str]:
    """Problems with PUBLIC_HOST: a DNS host name only, no scheme, port, path or IP address."""
    name = "PUBLIC_HOST"
    if not value:
        return [f"{name} is missing: give the public host name of the bot, e.g. {name}=assistant.example.com"]
    if "://" in value:
        return [f"{name} must be a host name without a scheme (drop 'https://'), got {value!r}"]
    if "/" in value or "?" in value or "#" in value:
        return [f"{name} must be a host name without a path, got {value!r}"]
    if ":" in value:
        return [f"{name} must be a host name without a port (the Azure Bot holds the endpoint's port), got {value!r}"]
    if not value.isascii():
        return [f"{name} must be ASCII; write an internationalised name in its xn-- (punycode) form, got {value!r}"]
    labels = value.split(".")
    if (
        len(value) > 253
        or len(labels) < 2
        or not all(_HOST_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return [f"{name} must be a fully qualified host name such as assistant.example.com, got {value!r}"]
    return []


def substitute(node: Any, values: Mapping[str, str]) -> Any:
    """`node` with every `{{NAME}}` in its strings replaced by `values[NAME]`; unknown names stay."""
    if isinstance(node, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), node)
    if isinstance(node, list):
        return [substitute(item, values) for item in node]
    if isinstance(node, dict):
        return {key: substitute(item, values) for key, item in node.items()}
    return node


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(node, dict):
        for key, item in node.items():
            child = f"{path}.{key}" if path else key
            yield from _strings(key, f"{child} (the key)")
            yield from _strings(item, child)


def leftover_placeholders(document: Any, filename: str) -> list[str]:
    """A problem for every string in `document` that still holds a `{{...}}` placeholder."""
    return [
        f"{filename}: {path or '(root)'} still holds a placeholder: {text!r}"
        for path, text in _strings(document)
        if "{{" in text or "}}" in text
    ]


def resolve_key(manifest: Any, key: str) -> Any:
    """The manifest value a localisation key such as `bots[0].commands[1].title` names; KeyError if none."""
    node = manifest
    for part in key.split("."):
        match = _KEY_PART.fullmatch(part)
        if match is None or not isinstance(node, dict) or match.group(1) not in node:
            raise KeyError(key)
        node = node[match.group(1)]
        for index in re.findall(r"\[([0-9]+)\]", match.group(2)):
            if not isinstance(node, list) or int(index) >= len(node):
                raise KeyError(key)
            node = node[int(index)]
    return node


def localisation_problems(manifest: Mapping[str, Any], localisation: Mapping[str, Any], filename: str) -> list[str]:
    """Keys of a localisation file that name no string in the manifest (Teams would reject or ignore them)."""
    problems = []
    for key in localisation:
        if key in ("$schema", "localizationKeys"):
            continue
        try:
            value = resolve_key(manifest, key)
        except KeyError:
            problems.append(f"{filename}: key {key!r} names nothing in the manifest")
            continue
        if not isinstance(value, str):
            problems.append(f"{filename}: key {key!r} names a {type(value).__name__} in the manifest, not a string")
    return problems


# The Teams schemas declare draft-04 but are written for later drafts: `manifestVersion` is pinned with
# `const` (draft-06), `agentConnectors` uses `if`/`then` (draft-07), and the localisation schema puts
# `maxLength` beside `$ref` (ignored before 2019-09). A plain draft-04 validator would skip all three and
# accept, say, manifestVersion "1.29", so this one is draft-04 plus those keywords and `$ref` siblings,
# which is also how Microsoft's own check (ajv-draft-04 in @microsoft/app-manifest) treats these schemas.
TeamsSchemaValidator = validators.create(
    meta_schema=Draft4Validator.META_SCHEMA,
    validators={**Draft4Validator.VALIDATORS, **{k: Draft7Validator.VALIDATORS[k] for k in ("const", "if")}},
    type_checker=Draft4Validator.TYPE_CHECKER,
    format_checker=Draft4Validator.FORMAT_CHECKER,
    id_of=Draft4Validator.ID_OF,
    applicable_validators=lambda schema: schema.items(),
)


def load_schema(filename: str) -> Validator:
    """A validator for one of the vendored Teams schemas (see `TeamsSchemaValidator`)."""
    schema = json.loads((SCHEMA_DIR / filename).read_text(encoding="utf-8"))
    if schema.get("$schema") != "http://json-schema.org/draft-04/schema#":
        raise PackageError(
            [f"schema/{filename} is not draft-04 ({schema.get('$schema')!r}): review TeamsSchemaValidator"]
        )
    # No format check of the schema itself: one of its patterns uses ECMA-262 `\p{L}`, which Python's `re`
    # lacks; it sits in a part (extension functions) this manifest does not use, so it is never compiled.
    Draft4Validator.check_schema(schema, format_checker=None)
    return TeamsSchemaValidator(schema, format_checker=FormatChecker())


def schema_problems(validator: Validator, document: Any, filename: str) -> list[str]:
    """Every schema violation of `document`, with the JSON path where it is."""
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{filename}: {e.json_path}: {e.message}" for e in errors]


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None if `data` is not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def build_manifest(
    bot_app_id: str, public_host: str, teams_app_id: str | None = None, app_version: str = "1.0.0"
) -> dict[str, Any]:
    """The filled-in manifest, validated; PackageError lists every problem found."""
    problems = check_guid("BOT_APP_ID", bot_app_id) + check_host(public_host)
    if teams_app_id:
        problems += check_guid("TEAMS_APP_ID", teams_app_id)
    if not _SEMVER.fullmatch(app_version):
        problems.append(f"APP_VERSION must be MAJOR.MINOR.PATCH such as 1.0.0, got {app_version!r}")
    if problems:
        raise PackageError(problems)
    values = {
        "BOT_APP_ID": bot_app_id.lower(),
        # One GUID for both is what the Bot Framework samples do; a separate one lets the bot be re-registered.
        "TEAMS_APP_ID": (teams_app_id or bot_app_id).lower(),
        "PUBLIC_HOST": public_host.lower(),
        "APP_VERSION": app_version,
    }
    template = json.loads((MANIFEST_DIR / TEMPLATE).read_text(encoding="utf-8"))
    manifest: dict[str, Any] = substitute(template, values)
    problems = leftover_placeholders(manifest, "manifest.json")
    problems += schema_problems(load_schema("MicrosoftTeams.schema.json"), manifest, "manifest.json")
    if problems:
        raise PackageError(problems)
    return manifest


def package_files(manifest: Mapping[str, Any]) -> dict[str, bytes]:
    """Every file of the package by name, checked; PackageError lists every problem found."""
    files = {"manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")}
    problems: list[str] = []
    localisation_schema = load_schema("MicrosoftTeams.Localization.schema.json")
    for filename in LOCALIZATION_FILES:
        data = (MANIFEST_DIR / filename).read_bytes()
        localisation = json.loads(data)
        problems += schema_problems(localisation_schema, localisation, filename)
        problems += leftover_placeholders(localisation, filename)
        problems += localisation_problems(manifest, localisation, filename)
        files[filename] = data
    listed = {entry["file"] for entry in manifest.get("localizationInfo", {}).get("additionalLanguages", [])}
    if listed != set(LOCALIZATION_FILES):
        problems.append(f"localizationInfo lists {sorted(listed)}, the package holds {list(LOCALIZATION_FILES)}")
    for filename, expected in ICONS.items():
        data = (MANIFEST_DIR / filename).read_bytes()
        size = png_size(data)
        if size != expected:
            problems.append(f"{filename} must be a {expected[0]}x{expected[1]} PNG, found {size or 'no PNG'}")
        files[filename] = data
    if set(manifest["icons"].values()) != set(ICONS):
        problems.append(f"manifest icons {manifest['icons']} do not match the package's icons {sorted(ICONS)}")
    if problems:
        raise PackageError(problems)
    return files


def build_package(
    out: Path,
    bot_app_id: str,
    public_host: str,
    teams_app_id: str | None = None,
    app_version: str = "1.0.0",
) -> Path:
    """Write the app package to `out` (atomically) and return it; on any problem nothing is written."""
    files = package_files(build_manifest(bot_app_id, public_host, teams_app_id, app_version))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".teams-app-", suffix=".zip", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, files[name])
        os.replace(tmp_name, out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m manifests.package", description=__doc__.splitlines()[0])
    parser.add_argument("--bot-app-id", default="", help="Microsoft App ID of the Azure Bot registration (GUID)")
    parser.add_argument("--public-host", default="", help="public host name of the bot, e.g. assistant.example.com")
    parser.add_argument("--teams-app-id", default="", help="Teams app id (GUID); default: the bot app id")
    parser.add_argument("--app-version", default="1.0.0", help="app version; raise it for every re-upload")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output zip (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        out = build_package(args.out, args.bot_app_id, args.public_host, args.teams_app_id or None, args.app_version)
    except PackageError as error:
        print("Teams app package not built:", file=sys.stderr)
        for problem in error.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    print(f"Wrote {out}: upload it in the Teams admin centre (Teams apps > Manage apps > Upload new app).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
