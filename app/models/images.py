"""The model's embedded images: each must be there and be what its mimeType says.

A texture whose bytes are not an image makes Godot's importer fail late and
vaguely; sniffing the first bytes of each image view catches it at import time
with the image's index. Only the first few bytes of each view are read, except
for the one image the caller asks for in full (the thumbnail).
"""

from __future__ import annotations

from typing import Final, NoReturn

from app.errors import ModelError
from app.models.buffers import BufferSource, decode_data_uri
from app.models.document import Document

__all__ = ["SUPPORTED_MIME_TYPES", "check_images", "read_image", "sniff_image"]

SUPPORTED_MIME_TYPES: Final = ("image/png", "image/jpeg", "image/webp", "image/ktx2")
_ALIASES: Final = {"image/jpg": "image/jpeg"}
_SNIFF_BYTES: Final = 16


def sniff_image(head: bytes) -> str | None:
    """The mime type the bytes really are (of the supported ones), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"\xabKTX 20\xbb\r\n\x1a\n"):
        return "image/ktx2"
    return None


def check_images(doc: Document, source: BufferSource) -> None:
    """Check every texture's source and every image's bytes.

    Raises:
        ModelError: ``bad-image`` naming the image and what is wrong with it.
    """
    images = doc.gltf.images
    for index, texture in enumerate(doc.gltf.textures):
        if texture.source is not None and texture.source >= len(images):
            _fail(f"texture {index} uses image {texture.source}, which does not exist")
    for index in range(len(images)):
        read_image(doc, source, index, limit=_SNIFF_BYTES)


def read_image(
    doc: Document, source: BufferSource, index: int, *, limit: int | None = None
) -> tuple[bytes, str]:
    """Image ``index``'s bytes (at most ``limit``) and its real mime type, checked."""
    image = doc.gltf.images[index]
    views = doc.gltf.bufferViews
    if image.bufferView is not None:
        if image.bufferView >= len(views):
            _fail(f"image {index} refers to bufferView {image.bufferView}, which does not exist")
        data = source.read_view(image.bufferView, limit)
    elif image.uri is not None and image.uri.startswith("data:"):
        try:
            data = decode_data_uri(image.uri)
        except ValueError as exc:
            _fail(f"image {index} has a broken data: URI ({exc})")
        data = data if limit is None else data[:limit]
    elif image.uri is not None:
        _fail(
            f"image {index} refers to an external file ({image.uri[:80]!r}); "
            "a .vrm must carry its textures inside"
        )
    else:
        _fail(f"image {index} has neither a bufferView nor a uri")
    actual = sniff_image(data[:_SNIFF_BYTES])
    declared = _ALIASES.get(image.mimeType or "", image.mimeType)
    if actual is None:
        expected = declared or "PNG or JPEG"
        _fail(
            f"image {index} is declared {expected} "
            "but its bytes are not a PNG, JPEG, WebP or KTX2 image"
        )
    if declared is not None and declared != actual:
        _fail(f"image {index} is declared {declared} but its bytes are {actual}")
    return data, actual


def _fail(message: str) -> NoReturn:
    raise ModelError(f"A texture image is broken: {message}.", reason="bad-image")
