"""Text extraction: a registry of extractors keyed by media type.

Office formats, PDF and HTML go through MarkItDown (one well-kept converter to Markdown, so
headings survive as ``#`` lines); Markdown and plain text are read as they are. The Markdown is
then split at headings for chunking. An unknown type raises ``UnsupportedMediaType``; broken,
encrypted or empty files raise ``ExtractionError``. Neither is fatal to a sync.
"""

from __future__ import annotations

import io
import logging
import mimetypes
from collections.abc import Callable
from pathlib import PurePosixPath

from retrieval.markdown_sections import split_sections
from retrieval.types import ExtractedDocument, Section, name_stem

log = logging.getLogger(__name__)


class ExtractionError(Exception):
    """The file could not be turned into text (corrupt, encrypted, empty). ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class UnsupportedMediaType(ExtractionError):
    """No extractor is registered for this media type."""

    def __init__(self, media_type: str) -> None:
        super().__init__("unsupported_type", media_type)


Extractor = Callable[[bytes, str], str]
"""(content, file name) -> Markdown."""

MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".html": "text/html",
    ".htm": "text/html",
    ".aspx": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
}


def media_type_for(name: str, declared: str | None = None) -> str:
    """The media type by file extension, falling back to what the source declared."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in MEDIA_TYPES:
        return MEDIA_TYPES[suffix]
    if declared:
        return declared.split(";")[0].strip().lower()
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _decode_text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _text(content: bytes, name: str) -> str:
    """Markdown and plain text: decoded as they are (Markdown is what the chunker reads)."""
    return _decode_text(content)


class _MarkItDownExtractor:
    """Converts Office documents, PDF and HTML to Markdown with MarkItDown."""

    def __init__(self) -> None:
        from markitdown import MarkItDown

        # No plugins, no LLM, no Azure Document Intelligence: everything stays local.
        self._converter = MarkItDown(enable_plugins=False)

    def __call__(self, content: bytes, name: str) -> str:
        from markitdown import StreamInfo

        suffix = PurePosixPath(name).suffix.lower()
        info = StreamInfo(extension=suffix, filename=name, mimetype=MEDIA_TYPES.get(suffix))
        try:
            result = self._converter.convert_stream(io.BytesIO(content), stream_info=info)
        except Exception as exc:  # noqa: BLE001 - converters raise anything on broken files
            text = f"{type(exc).__name__}: {exc}"
            reason = "encrypted" if "encrypt" in text.lower() or "password" in text.lower() else "corrupt"
            raise ExtractionError(reason, text[:300]) from exc
        return result.markdown or ""


class ExtractorRegistry:
    """Maps media types to extractors; ``extract`` returns heading-scoped sections."""

    def __init__(self) -> None:
        self._extractors: dict[str, Extractor] = {}

    def register(self, media_type: str, extractor: Extractor) -> None:
        self._extractors[media_type] = extractor

    def supports(self, media_type: str) -> bool:
        return media_type in self._extractors

    def extract(self, content: bytes, name: str, media_type: str, title: str = "") -> ExtractedDocument:
        extractor = self._extractors.get(media_type)
        if extractor is None:
            raise UnsupportedMediaType(media_type)
        if not content:
            raise ExtractionError("empty", name)
        markdown = extractor(content, name)
        first_heading, sections = split_sections(markdown)
        if media_type == "text/plain":
            sections = (Section((), markdown.strip()),) if markdown.strip() else ()
            first_heading = ""
        doc_title = title or first_heading or name_stem(name)
        extracted = ExtractedDocument(title=doc_title, sections=sections)
        if extracted.is_empty:
            raise ExtractionError("empty", f"{name} has no text")
        return extracted


def default_registry() -> ExtractorRegistry:
    """Every format the assistant reads out of the box."""
    registry = ExtractorRegistry()
    office = _MarkItDownExtractor()
    for media_type in (
        MEDIA_TYPES[".pdf"],
        MEDIA_TYPES[".docx"],
        MEDIA_TYPES[".pptx"],
        MEDIA_TYPES[".xlsx"],
        "text/html",
    ):
        registry.register(media_type, office)
    registry.register("text/markdown", _text)
    registry.register("text/plain", _text)
    return registry
