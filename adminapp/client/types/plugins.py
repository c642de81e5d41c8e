"""Wire types of plugins (issue 11): the ``plugin.json`` manifest a plugin ships, and what
the API says about installed plugins and the store's catalogue.

The manifest models are the one definition of a valid manifest: the server validates every
plugin it installs with ``PluginManifest`` (``adminapp.plugins.manifest`` adds what only the
unpacked files can tell: that each component's ``entry`` exists), and
``adminapp/plugins/plugin.schema.json`` is generated from it.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import semver
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from adminapp.client.types.common import Page, ParamsModel, WireModel

__all__ = [
    "ComponentType",
    "ImporterComponent",
    "MacroComponent",
    "ParamProperty",
    "ParamSchema",
    "Plugin",
    "PluginComponent",
    "PluginComponentRef",
    "PluginDeleteParams",
    "PluginGitInstallParams",
    "PluginManifest",
    "PluginMeta",
    "PluginPage",
    "PluginSource",
    "PluginStoreEntry",
    "PluginStoreInstallParams",
    "PluginUpdateParams",
    "PluginUsage",
    "PluginVersionInfo",
    "parse_version_range",
    "version_in_range",
]

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_COMPARISON = re.compile(r"^(>=|<=|==|!=|>|<|=)?\s*(\S+)$")
_ENTRY = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*\.py$")
_EXTENSION = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$")


def parse_version_range(text: str) -> list[tuple[str, semver.Version]]:
    """``">=0.1.0 <2.0.0"`` (comparisons separated by spaces or commas) as
    ``[(">=", 0.1.0), ("<", 2.0.0)]``; ValueError saying which part is wrong."""
    parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
    # ">= 1.0.0" written with a space: glue an operator alone to the version after it
    glued: list[str] = []
    for part in parts:
        if glued and glued[-1] in (">=", "<=", "==", "!=", ">", "<", "="):
            glued[-1] += part
        else:
            glued.append(part)
    if not glued:
        raise ValueError("the version range is empty")
    out = []
    for part in glued:
        m = _COMPARISON.match(part)
        if not m or not semver.Version.is_valid(m.group(2)):
            raise ValueError(
                f"{part!r} is not a comparison with a version such as '>=1.0.0' or '<2.0.0'"
            )
        out.append((m.group(1) or "==", semver.Version.parse(m.group(2))))
    return out


def version_in_range(version: str, text: str) -> bool:
    v = semver.Version.parse(version)
    checks = {
        ">=": lambda b: v >= b,
        "<=": lambda b: v <= b,
        ">": lambda b: v > b,
        "<": lambda b: v < b,
        "==": lambda b: v == b,
        "=": lambda b: v == b,
        "!=": lambda b: v != b,
    }
    return all(checks[op](bound) for op, bound in parse_version_range(text))


class ManifestModel(BaseModel):
    """Part of a manifest: an unknown key is refused (a typo such as ``entrypoint`` would
    otherwise be ignored silently)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ComponentType(StrEnum):
    IMPORTER = "importer"
    MACRO = "macro"


class PluginMeta(ManifestModel):
    label: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    author: str = Field("", max_length=200)
    icon: str = Field("", max_length=64, description="An emoji or a short name.")
    tags: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=20
    )
    license_info: str = Field("", alias="licenseInfo", max_length=200)
    url: str = Field("", max_length=2048)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^\s]+$", value):
            raise ValueError("must be an http:// or https:// address")
        return value


class ParamProperty(ManifestModel):
    """One parameter of a macro: a JSON-schema subset."""

    type: Literal["string", "integer", "number", "boolean"]
    title: str = Field("", max_length=100)
    description: str = Field("", max_length=1000)
    default: Any = None
    enum: list[Any] | None = Field(None, min_length=1, max_length=100)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = Field(None, alias="maxLength", ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _consistent(self) -> ParamProperty:
        kinds = {
            "string": (str,),
            "integer": (int,),
            "number": (int, float),
            "boolean": (bool,),
        }[self.type]

        def fits(value: Any) -> bool:
            if isinstance(value, bool) and self.type != "boolean":
                return False
            return isinstance(value, kinds)

        if self.default is not None and not fits(self.default):
            raise ValueError(f"default must be of type {self.type}")
        if self.enum is not None and not all(fits(v) for v in self.enum):
            raise ValueError(f"every enum value must be of type {self.type}")
        if (self.minimum is not None or self.maximum is not None) and self.type not in (
            "integer",
            "number",
        ):
            raise ValueError("minimum and maximum apply to integer and number parameters")
        if self.max_length is not None and self.type != "string":
            raise ValueError("maxLength applies to string parameters")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is greater than maximum")
        return self


class ParamSchema(ManifestModel):
    type: Literal["object"] = "object"
    properties: dict[Annotated[str, Field(pattern=ID_PATTERN)], ParamProperty] = Field(
        default_factory=dict, max_length=50
    )
    required: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _required_known(self) -> ParamSchema:
        unknown = [name for name in self.required if name not in self.properties]
        if unknown:
            raise ValueError(f"required names unknown properties: {', '.join(unknown)}")
        return self


class _Component(ManifestModel):
    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    entry: str = Field(
        max_length=255, description="A .py file inside the plugin, relative to plugin.json."
    )

    @field_validator("entry")
    @classmethod
    def _relative_python_file(cls, value: str) -> str:
        if value.startswith("/") or re.match(r"^[A-Za-z]:", value) or "\\" in value:
            raise ValueError("must be a relative path inside the plugin")
        if any(part in ("", ".", "..") for part in value.split("/")):
            raise ValueError("must not contain '..', '.' or empty parts")
        if not _ENTRY.match(value):
            raise ValueError("must be a relative path to a .py file (letters, digits, _ . -)")
        return value


class ImporterComponent(_Component):
    """Parses a file into data rows; a choice in the catalog's import."""

    type: Literal["importer"]
    extensions: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, value: list[str]) -> list[str]:
        for ext in value:
            if not _EXTENSION.match(ext):
                raise ValueError(f"{ext!r} is not a file extension such as '.json'")
        return [ext.lower() for ext in value]


class MacroComponent(_Component):
    """An admin action with a parameter schema, run as a job."""

    type: Literal["macro"]
    params: ParamSchema = Field(default_factory=ParamSchema)
    result: Literal["csv"] | None = Field(
        None, description="'csv' when the macro writes a result file."
    )


PluginComponent = Annotated[ImporterComponent | MacroComponent, Field(discriminator="type")]


class PluginManifest(ManifestModel):
    """``plugin.json`` at the plugin's root."""

    id: str = Field(pattern=ID_PATTERN)
    version: str = Field(max_length=64, description="Semantic version, e.g. 1.2.0.")
    meta: PluginMeta
    requires: str | None = Field(
        None, max_length=200, description="The portal's versions, e.g. '>=0.1.0 <2.0.0'."
    )
    components: list[PluginComponent] = Field(default_factory=list, max_length=50)

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not semver.Version.is_valid(value):
            raise ValueError("must be a semantic version such as 1.2.0")
        return value

    @field_validator("requires")
    @classmethod
    def _range(cls, value: str | None) -> str | None:
        if value is not None:
            parse_version_range(value)
        return value

    @model_validator(mode="after")
    def _unique_components(self) -> PluginManifest:
        seen: set[str] = set()
        for component in self.components:
            if component.id in seen:
                raise ValueError(f"component id {component.id!r} is used twice")
            seen.add(component.id)
        return self


# --- what the API returns -----------------------------------------------------------------
class PluginSource(WireModel):
    """Where the installed version came from (never a credential)."""

    kind: Literal["store", "archive", "git"]
    store: str | None = Field(None, description="The store's location (store installs).")
    filename: str | None = Field(None, description="The uploaded file's name (archive).")
    url: str | None = Field(None, description="The repository (git).")
    checkout: str | None = Field(None, description="The branch, tag or sha asked for (git).")
    commit: str | None = Field(None, description="The commit installed (git).")
    subpath: str | None = None


class PluginVersionInfo(WireModel):
    version: str
    sha256: str = Field(description="Of the stored archive.")
    size: int = Field(description="The stored archive's size in bytes.")
    installed_at: datetime


class PluginComponentRef(WireModel):
    """An enabled plugin's component, as the import choices and macro lists show it."""

    plugin_id: str
    plugin_label: str
    type: ComponentType
    id: str
    label: str
    description: str = ""
    extensions: list[str] = Field(default_factory=list, description="Importers.")
    params: dict[str, Any] | None = Field(None, description="Macros: the parameter schema.")
    result: str | None = Field(None, description="Macros: 'csv' when they write a file.")


class Plugin(WireModel):
    id: str
    plugin_id: str = Field(description="The manifest's id.")
    label: str
    enabled: bool
    version: str | None = Field(None, description="The installed version.")
    installed: PluginVersionInfo | None = None
    source: PluginSource | None = None
    manifest: dict[str, Any] | None = Field(None, description="Omitted in lists.")
    components: list[PluginComponentRef] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class PluginPage(Page[Plugin]):
    pass


class PluginStoreEntry(WireModel):
    """One plugin of the store's catalogue (``index.json``)."""

    id: str
    version: str
    archive: str
    sha256: str
    size: int | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    installed_version: str | None = Field(None, description="The version installed here.")


class PluginUsage(WireModel):
    kind: str = Field(description="e.g. 'job' or 'saved_configuration'.")
    id: str
    label: str = ""


# --- request bodies -------------------------------------------------------------------------
class PluginStoreInstallParams(ParamsModel):
    plugin_id: str = Field(pattern=ID_PATTERN)
    version: str | None = Field(None, max_length=64, description="Default: the store's.")
    allow_downgrade: bool = False


class PluginGitInstallParams(ParamsModel):
    url: str = Field(max_length=2048)
    checkout: str | None = Field(
        None, max_length=255, description="Branch, tag or sha; default the remote's default."
    )
    subpath: str | None = Field(None, max_length=1024, description="Where plugin.json is.")
    allow_downgrade: bool = False


class PluginUpdateParams(ParamsModel):
    """Update an installed plugin from its own source (store: the store's version; git: the
    same URL and checkout, or the ones given)."""

    checkout: str | None = Field(None, max_length=255)
    allow_downgrade: bool = False


class PluginDeleteParams(ParamsModel):
    force: bool = False
