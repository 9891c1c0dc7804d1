"""What a VRM says about itself (title, authors, licence, thumbnail), for both spec lines.

VRM 0.x keeps its metadata in ``extensions.VRM.meta`` with free-form licence names;
VRM 1.0 keeps it in ``extensions.VRMC_vrm.meta`` with enumerated permissions. Both
end up in one :class:`VrmMeta` so the library, the CLI and the settings window
never branch on the spec line. Pure functions over the parsed glTF JSON: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeGuard

__all__ = [
    "VRM0_EXTENSION",
    "VRM1_EXTENSION",
    "VrmMeta",
    "VrmVersion",
    "build_meta",
    "licence_summary",
    "thumbnail_image_index",
]

VrmVersion = Literal["0.x", "1.0"]

VRM0_EXTENSION: Final = "VRM"
VRM1_EXTENSION: Final = "VRMC_vrm"

#: Licence and permission fields copied raw into ``VrmMeta.licence``.
VRM0_LICENCE_FIELDS: Final = (
    "licenseName",
    "otherLicenseUrl",
    "allowedUserName",
    "commercialUssageName",
    "violentUssageName",
    "sexualUssageName",
    "otherPermissionUrl",
)
VRM1_LICENCE_FIELDS: Final = (
    "licenseUrl",
    "avatarPermission",
    "commercialUsage",
    "allowRedistribution",
    "modification",
    "creditNotation",
    "allowExcessivelyViolentUsage",
    "allowExcessivelySexualUsage",
    "allowPoliticalOrReligiousUsage",
    "allowAntisocialOrHateUsage",
    "copyrightInformation",
    "thirdPartyLicenses",
    "otherLicenseUrl",
)

_VRM0_LICENCE_NAMES: Final = {
    "Redistribution_Prohibited": "redistribution prohibited",
    "CC0": "CC0",
    "CC_BY": "CC BY",
    "CC_BY_NC": "CC BY-NC",
    "CC_BY_SA": "CC BY-SA",
    "CC_BY_NC_SA": "CC BY-NC-SA",
    "CC_BY_ND": "CC BY-ND",
    "CC_BY_NC_ND": "CC BY-NC-ND",
    "Other": "other licence",
}
_VRM0_USERS: Final = {
    "OnlyAuthor": "author only",
    "ExplicitlyLicensedPerson": "licensed persons only",
    "Everyone": "anyone may use",
}
_VRM1_USERS: Final = {
    "onlyAuthor": "author only",
    "onlySeparatelyLicensedPerson": "licensed persons only",
    "everyone": "anyone may use",
}
_VRM1_COMMERCIAL: Final = {
    "personalNonProfit": "non-commercial only",
    "personalProfit": "personal commercial use",
    "corporation": "commercial use allowed",
}
_VRM1_MODIFICATION: Final = {
    "prohibited": "no modification",
    "allowModification": "modification allowed",
    "allowModificationRedistribution": "modification and redistribution of changes allowed",
}
_VRM1_LICENCE_URL: Final = "https://vrm.dev/licenses/1.0"


@dataclass(frozen=True)
class VrmMeta:
    """A VRM's self-description; ``licence`` keeps the raw fields as strings."""

    vrm_version: VrmVersion
    spec_version: str
    title: str
    version: str
    authors: list[str]
    contact: str
    licence: dict[str, str]
    licence_summary: str
    thumbnail: bytes | None = field(default=None, repr=False)
    thumbnail_mime: str | None = None
    mesh_count: int = 0
    material_count: int = 0
    humanoid_bone_count: int = 0

    def to_json(self) -> dict[str, Any]:
        """camelCase fields for ``models inspect --json``; the thumbnail as its size only."""
        return {
            "vrmVersion": self.vrm_version,
            "specVersion": self.spec_version,
            "title": self.title,
            "version": self.version,
            "authors": list(self.authors),
            "contact": self.contact,
            "licence": dict(self.licence),
            "licenceSummary": self.licence_summary,
            "thumbnail": None
            if self.thumbnail is None
            else {"size": len(self.thumbnail), "mimeType": self.thumbnail_mime},
            "meshCount": self.mesh_count,
            "materialCount": self.material_count,
            "humanoidBoneCount": self.humanoid_bone_count,
        }


def build_meta(
    doc: dict[str, Any],
    vrm_version: VrmVersion,
    spec_version: str,
    *,
    thumbnail: bytes | None = None,
    thumbnail_mime: str | None = None,
) -> VrmMeta:
    """Collect the metadata of a parsed glTF document already known to be a VRM."""
    extension = _object(_object(doc.get("extensions")).get(_extension_name(vrm_version)))
    meta = _object(extension.get("meta"))
    if vrm_version == "0.x":
        title = _text(meta.get("title"))
        authors = [a for a in [_text(meta.get("author"))] if a]
        fields: tuple[str, ...] = VRM0_LICENCE_FIELDS
        bones = extension.get("humanoid")
        human_bones = _object(bones).get("humanBones")
        bone_count = len(human_bones) if isinstance(human_bones, list) else 0
    else:
        title = _text(meta.get("name"))
        raw_authors = meta.get("authors")
        authors = (
            [_text(a) for a in raw_authors if _text(a)] if isinstance(raw_authors, list) else []
        )
        fields = VRM1_LICENCE_FIELDS
        human_bones = _object(extension.get("humanoid")).get("humanBones")
        bone_count = len(human_bones) if isinstance(human_bones, dict) else 0
    licence = {
        name: _text(meta[name]) for name in fields if name in meta and meta[name] is not None
    }
    return VrmMeta(
        vrm_version=vrm_version,
        spec_version=spec_version,
        title=title,
        version=_text(meta.get("version")),
        authors=authors,
        contact=_text(meta.get("contactInformation")),
        licence=licence,
        licence_summary=licence_summary(vrm_version, licence),
        thumbnail=thumbnail,
        thumbnail_mime=thumbnail_mime,
        mesh_count=_count(doc.get("meshes")),
        material_count=_count(doc.get("materials")),
        humanoid_bone_count=bone_count,
    )


def thumbnail_image_index(doc: dict[str, Any], vrm_version: VrmVersion) -> int | None:
    """The ``images`` index of the thumbnail, or None when the model names none.

    VRM 0.x points at a *texture* (``meta.texture``; -1 means none), whose
    ``source`` is the image; VRM 1.0 points at the image directly.
    """
    meta = _object(
        _object(_object(doc.get("extensions")).get(_extension_name(vrm_version))).get("meta")
    )
    if vrm_version == "0.x":
        texture_index = meta.get("texture")
        textures = doc.get("textures")
        if not _is_index(texture_index) or not isinstance(textures, list):
            return None
        if texture_index >= len(textures):
            return None
        image_index = _object(textures[texture_index]).get("source")
    else:
        image_index = meta.get("thumbnailImage")
    images = doc.get("images")
    if not _is_index(image_index) or not isinstance(images, list) or image_index >= len(images):
        return None
    return int(image_index)


def licence_summary(vrm_version: VrmVersion, licence: dict[str, str]) -> str:
    """One short line a person can read in a list ("CC BY · anyone may use · …")."""
    parts: list[str] = []
    if vrm_version == "0.x":
        name = licence.get("licenseName", "")
        parts.append(_VRM0_LICENCE_NAMES.get(name, name) if name else "licence not stated")
        if users := licence.get("allowedUserName"):
            parts.append(_VRM0_USERS.get(users, users))
        commercial = licence.get("commercialUssageName")
        if commercial == "Allow":
            parts.append("commercial use allowed")
        elif commercial == "Disallow":
            parts.append("non-commercial only")
    else:
        url = licence.get("licenseUrl", "")
        if url.rstrip("/").startswith(_VRM1_LICENCE_URL):
            parts.append("VRM Public License 1.0")
        else:
            parts.append(url or "licence not stated")
        if users := licence.get("avatarPermission"):
            parts.append(_VRM1_USERS.get(users, users))
        if commercial := licence.get("commercialUsage"):
            parts.append(_VRM1_COMMERCIAL.get(commercial, commercial))
        if credit := licence.get("creditNotation"):
            parts.append("credit required" if credit == "required" else "no credit needed")
        if licence.get("allowRedistribution") == "false":
            parts.append("no redistribution")
        if modification := licence.get("modification"):
            parts.append(_VRM1_MODIFICATION.get(modification, modification))
    return " · ".join(parts)


def _extension_name(vrm_version: VrmVersion) -> str:
    return VRM0_EXTENSION if vrm_version == "0.x" else VRM1_EXTENSION


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list) else 0


def _is_index(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value: Any) -> str:
    """Metadata values as strings: exporters put numbers, booleans and lists in them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value).strip()
