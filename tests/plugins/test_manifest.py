"""Manifest validation: the pydantic models of client.types.plugins plus the files."""

from __future__ import annotations

import json

import pytest

from adminapp.plugins import manifest as manifests
from tests.plugins.factories import manifest, plugin_files, write_dir


def refusal(data: dict) -> manifests.ManifestInvalid:
    with pytest.raises(manifests.ManifestInvalid) as caught:
        manifests.parse(data)
    return caught.value


def test_a_valid_manifest_reads_back_with_its_components(tmp_path):
    root = write_dir(tmp_path, plugin_files("coco", "1.2.0-beta.1"))
    m = manifests.load(root)
    assert (m.id, m.version, m.meta.label) == ("coco", "1.2.0-beta.1", "coco plugin")
    assert [c.type for c in m.components] == ["importer", "macro"]
    assert m.components[1].params.required == ["name"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"id": "no spaces"}, "manifest.id", "should match pattern"),
        ({"version": "1.2"}, "manifest.version", "semantic version"),
        ({"meta": {}}, "manifest.meta.label", "Field required"),
        ({"requires": ">=banana"}, "manifest.requires", "is not a comparison"),
        ({"surprise": 1}, "manifest.surprise", "Extra inputs"),
    ],
)
def test_wrong_top_level_fields_are_named(change, field, words):
    error = refusal(manifest(**change))
    assert words in error.fields[field][0]


def test_component_rules_are_checked():
    m = manifest()
    m["components"][0]["entry"] = "../outside.py"
    assert "'..'" in refusal(m).fields["manifest.components.0.entry"][0]
    m = manifest()
    m["components"][0]["entry"] = "/etc/passwd.py"
    assert "relative path" in refusal(m).fields["manifest.components.0.entry"][0]
    m = manifest()
    m["components"][1]["id"] = "lines"
    assert "used twice" in refusal(m).message
    m = manifest()
    m["components"][1]["params"]["properties"]["name"]["default"] = 3
    assert "default must be of type string" in refusal(m).message
    m = manifest()
    m["components"][1]["params"]["required"] = ["nope"]
    assert "unknown properties: nope" in refusal(m).message
    m = manifest()
    m["components"][0]["type"] = "exporter"
    assert "manifest.components.0" in refusal(m).fields


def test_files_and_portal_version_are_checked_against_the_unpacked_plugin(tmp_path):
    files = plugin_files()
    del files["macros/hello.py"]
    with pytest.raises(manifests.ManifestInvalid, match="'macros/hello.py' is not a file"):
        manifests.load(write_dir(tmp_path / "a", files))
    files = plugin_files(requires=">=99.0.0")
    with pytest.raises(manifests.ManifestInvalid, match="requires the portal's version >=99"):
        manifests.load(write_dir(tmp_path / "b", files))
    files = {**plugin_files(), "plugin.json": b"{not json"}
    with pytest.raises(manifests.ManifestInvalid, match="not valid JSON"):
        manifests.load(write_dir(tmp_path / "c", files))
    assert json.loads(plugin_files(requires=">=0.1.0, <2.0.0")["plugin.json"])["requires"]
    assert manifests.load(write_dir(tmp_path / "d", plugin_files(requires=">= 0.1.0 <2.0.0")))


def test_the_shipped_schema_is_the_models_and_checks_manifests():
    import jsonschema

    assert manifests.SCHEMA_PATH.read_text() == manifests.schema_text()
    schema = json.loads(manifests.SCHEMA_PATH.read_text())
    jsonschema.validate(manifest(), schema)
    broken = manifest()
    del broken["meta"]["label"]
    with pytest.raises(jsonschema.ValidationError, match="'label' is a required property"):
        jsonschema.validate(broken, schema)


def test_labels_with_control_or_direction_changing_characters_are_refused(tmp_path):
    files = plugin_files(meta={"label": "Safe\u202eexe.txt"})
    with pytest.raises(manifests.ManifestInvalid, match="direction-changing") as caught:
        manifests.load(write_dir(tmp_path / "a", files))
    assert "manifest.meta.label" in caught.value.fields
    m = manifest()
    m["components"][0]["label"] = "Bell\x07"
    with pytest.raises(manifests.ManifestInvalid, match="control characters"):
        manifests.load(
            write_dir(tmp_path / "b", {**plugin_files(), "plugin.json": json.dumps(m).encode()})
        )
    reserved = plugin_files("Store")
    with pytest.raises(manifests.ManifestInvalid, match="'Store' is reserved"):
        manifests.load(write_dir(tmp_path / "c", reserved))
