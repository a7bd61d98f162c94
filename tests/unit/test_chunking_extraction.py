"""Markdown → sections, sections → chunks, and every seed document through the extractors."""

from __future__ import annotations

import hashlib
import io
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.chunking import chunk_document
from retrieval.extract import (
    ExtractionError,
    ExtractorRegistry,
    UnsupportedMediaType,
    default_registry,
    media_type_for,
)
from retrieval.markdown_sections import clean_inline, split_sections
from retrieval.types import DocumentRef, ExtractedDocument, Section
from tests.sample_files import encrypted_pdf
from tests.unit.conftest import DOCUMENTS

# --- markdown sections -----------------------------------------------------------------------


def test_heading_paths_nest_and_pop() -> None:
    title, sections = split_sections(
        "# Travel\nintro\n## Hotels\nhotel text\n### Germany\n120 EUR\n## Meals\nmeal text\n"
        "#### Deep\ndeep text\n## Trains\ntrain text\n# Other\nother text\n"
    )
    assert title == "Travel"
    assert [(s.headings, s.text) for s in sections] == [
        (("Travel",), "intro"),
        (("Travel", "Hotels"), "hotel text"),
        (("Travel", "Hotels", "Germany"), "120 EUR"),
        (("Travel", "Meals"), "meal text"),
        (("Travel", "Meals", "Deep"), "deep text"),  # a skipped level still nests
        (("Travel", "Trains"), "train text"),  # pops the deeper levels
        (("Other",), "other text"),
    ]


def test_text_before_first_heading_has_empty_path_and_empty_sections_are_dropped() -> None:
    title, sections = split_sections("preamble\n\n# A\n\n## B\n\nbody of b\n")
    assert title == "A"
    assert [s.headings for s in sections] == [(), ("A", "B")]
    assert sections[0].text == "preamble"


def test_first_title_is_the_first_level_one_heading() -> None:
    title, _ = split_sections("## Sub first\ntext\n# Real Title\nmore\n# Second\nx\n")
    assert title == "Real Title"
    assert split_sections("## only sub\ntext")[0] == ""


def test_setext_headings() -> None:
    title, sections = split_sections("Travel Policy\n=============\nintro\n\nHotels\n------\nhotel text\n")
    assert title == "Travel Policy"
    assert [(s.headings, s.text) for s in sections] == [
        (("Travel Policy",), "intro"),
        (("Travel Policy", "Hotels"), "hotel text"),
    ]


def test_list_item_or_table_row_above_dashes_is_not_a_heading() -> None:
    _, sections = split_sections("# T\n- item\n---\n| a | b |\n---\ntext\n")
    assert all(s.headings == ("T",) for s in sections)


def test_atx_closing_hashes_and_inline_markup_are_removed_from_headings() -> None:
    _, sections = split_sections("# **Reise**kosten ##\nx\n## [Hotels](https://x/y) `EU`\ny\n")
    assert [s.headings for s in sections] == [("Reisekosten",), ("Reisekosten", "Hotels EU")]


def test_hash_without_space_is_text() -> None:
    _, sections = split_sections("# A\n#hashtag is text\n")
    assert sections == (Section(("A",), "#hashtag is text"),)


def test_crlf_line_endings() -> None:
    _, sections = split_sections("# A\r\nline one\r\n## B\r\nline two\r\n")
    assert [(s.headings, s.text) for s in sections] == [(("A",), "line one"), (("A", "B"), "line two")]


def test_links_bold_italics_and_images_are_cleaned_and_code_spans_kept() -> None:
    cleaned = clean_inline(
        "See [the policy](https://intranet/x.pdf) and **bold** __strong__ *italic* `code` ![logo](a.png)end"
    )
    assert cleaned == "See the policy and bold strong italic `code` end"
    _, sections = split_sections("# T\nRead [**this**](http://a/b) now\n")
    assert sections[0].text == "Read this now"


def test_code_spans_are_quoted_as_written() -> None:
    assert clean_inline("Run `python -m devstack.llm __main__ *.gguf` or **stop**") == (
        "Run `python -m devstack.llm __main__ *.gguf` or stop"
    )


def test_arithmetic_stars_are_not_italics() -> None:
    assert clean_inline("2 * 3 * 4") == "2 * 3 * 4"


def test_hash_lines_inside_fenced_code_are_not_headings() -> None:
    _, sections = split_sections(
        "# Runbook\n## Step 1\nRun:\n\n```bash\n# install dependencies\nmake deps\n```\nDone.\n"
    )
    assert {s.headings for s in sections} == {("Runbook", "Step 1")}


# --- chunking --------------------------------------------------------------------------------

DOC = DocumentRef(item_id="ITEM1", drive_id="b!drive", site_id="site", title="Policy", web_url="https://x/p")
ACL = frozenset({"group:g1", "tenant:t"})


def _words(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def _paragraphs(prefix: str, sizes: list[int]) -> str:
    out, i = [], 0
    for size in sizes:
        out.append(" ".join(f"{prefix}{j}" for j in range(i, i + size)) + ".")
        i += size
    return "\n\n".join(out)


def test_chunks_keep_headings_acl_and_positions() -> None:
    extracted = ExtractedDocument(
        "Policy", (Section(("Policy",), "short intro"), Section(("Policy", "Hotels"), _paragraphs("h", [40] * 6)))
    )
    chunks = chunk_document(DOC, extracted, ACL, max_words=100, overlap_words=20)
    assert chunks[0].headings == ("Policy",) and chunks[0].text == "short intro"
    assert len(chunks) > 2
    assert all(c.headings == ("Policy", "Hotels") for c in chunks[1:])
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(c.acl == ACL and c.doc == DOC for c in chunks)
    assert chunks[1].context_line == "Policy › Hotels"
    assert chunks[1].indexed_text.startswith("Policy › Hotels\n")


def test_chunks_never_span_sections() -> None:
    extracted = ExtractedDocument("T", (Section(("A",), "a1 a2 a3"), Section(("B",), "b1 b2")))
    chunks = chunk_document(DOC, extracted, ACL, max_words=50, overlap_words=5)
    assert [(c.headings, c.text) for c in chunks] == [(("A",), "a1 a2 a3"), (("B",), "b1 b2")]


def test_consecutive_chunks_overlap() -> None:
    extracted = ExtractedDocument("T", (Section(("A",), _paragraphs("w", [10] * 12)),))
    chunks = chunk_document(DOC, extracted, ACL, max_words=50, overlap_words=15)
    assert len(chunks) >= 3
    for first, second in zip(chunks, chunks[1:], strict=False):
        assert second.text.split()[:15] == first.text.split()[-15:]


def test_no_overlap_when_zero() -> None:
    extracted = ExtractedDocument("T", (Section(("A",), _paragraphs("w", [10] * 12)),))
    chunks = chunk_document(DOC, extracted, ACL, max_words=50, overlap_words=0)
    words = [w for c in chunks for w in c.text.split()]
    assert len(words) == len(set(words)) == 120


def test_long_paragraph_without_sentence_ends_is_hard_split() -> None:
    text = " ".join(_words("x", 1000))
    chunks = chunk_document(DOC, ExtractedDocument("T", (Section((), text),)), ACL, max_words=64, overlap_words=8)
    assert max(len(c.text.split()) for c in chunks) <= 64
    assert {w for c in chunks for w in c.text.split()} == set(_words("x", 1000))


def test_chunk_ids_are_stable_unique_and_depend_on_the_item() -> None:
    extracted = ExtractedDocument("T", (Section(("A",), _paragraphs("w", [30] * 10)),))
    first = chunk_document(DOC, extracted, ACL, max_words=60, overlap_words=10)
    again = chunk_document(DOC, extracted, frozenset({"user:other"}), max_words=60, overlap_words=10)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    assert all(re.fullmatch(r"[0-9a-f]{16}", c.chunk_id) for c in first)
    assert first[0].chunk_id == hashlib.sha1(b"b!drive/ITEM1/0").hexdigest()[:16]
    other_item = DocumentRef("ITEM2", DOC.drive_id, DOC.site_id, DOC.title, DOC.web_url)
    moved = chunk_document(other_item, extracted, ACL, max_words=60, overlap_words=10)
    assert not {c.chunk_id for c in first} & {c.chunk_id for c in moved}


@pytest.mark.parametrize(("max_words", "overlap"), [(30, 30), (10, 30), (0, 0)])
def test_max_words_must_exceed_overlap(max_words: int, overlap: int) -> None:
    extracted = ExtractedDocument("T", (Section((), "text"),))
    with pytest.raises(ValueError):
        chunk_document(DOC, extracted, ACL, max_words=max_words, overlap_words=overlap)


_sentence = st.integers(1, 70)  # words per sentence
_paragraph = st.lists(_sentence, min_size=1, max_size=5)
_section = st.lists(_paragraph, min_size=0, max_size=6)


@settings(max_examples=150, deadline=None)
@given(
    sections=st.lists(_section, min_size=1, max_size=4),
    max_words=st.integers(5, 120),
    overlap_fraction=st.floats(0, 0.95),
)
def test_chunking_properties(sections: list[list[list[int]]], max_words: int, overlap_fraction: float) -> None:
    overlap = min(int(max_words * overlap_fraction), max_words - 1)
    counter = 0
    built: list[tuple[Section, list[str]]] = []
    for s_index, section in enumerate(sections):
        words: list[str] = []
        paragraphs = []
        for paragraph in section:
            sentences = []
            for size in paragraph:
                sentence = [f"w{counter + i}" for i in range(size)]
                counter += size
                words.extend(sentence)
                sentences.append(" ".join(sentence) + ".")
            paragraphs.append(" ".join(sentences))
        built.append((Section((f"H{s_index}",), "\n\n".join(paragraphs)), words))
    extracted = ExtractedDocument("T", tuple(s for s, _ in built))
    chunks = chunk_document(DOC, extracted, ACL, max_words=max_words, overlap_words=overlap)

    assert [c.position for c in chunks] == list(range(len(chunks)))
    for built_section, built_words in built:
        own = [c for c in chunks if c.headings == built_section.headings]
        assert bool(own) == bool(built_words)
        section_words = [w.rstrip(".") for w in built_words]
        index = {w: i for i, w in enumerate(section_words)}
        covered: set[str] = set()
        for chunk in own:
            chunk_words = [w.rstrip(".") for w in chunk.text.split()]
            assert 0 < len(chunk_words) <= max_words
            # each chunk is one contiguous run of its section's words
            start = index[chunk_words[0]]
            assert chunk_words == section_words[start : start + len(chunk_words)]
            covered.update(chunk_words)
        assert covered == set(section_words)


# --- extraction --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry() -> ExtractorRegistry:
    return default_registry()


SEED_FILES = sorted(p for p in DOCUMENTS.iterdir() if p.is_file())


def test_there_are_seed_documents_of_every_kind() -> None:
    assert {p.suffix for p in SEED_FILES} == {".pdf", ".docx", ".html", ".md", ".txt"}
    assert len(SEED_FILES) == 18


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_every_seed_document_extracts(registry: ExtractorRegistry, path: Path) -> None:
    media_type = media_type_for(path.name)
    assert registry.supports(media_type)
    extracted = registry.extract(path.read_bytes(), path.name, media_type)
    assert extracted.title.strip()
    assert extracted.sections
    assert not extracted.is_empty
    assert all(s.text.strip() for s in extracted.sections)
    assert sum(len(s.text.split()) for s in extracted.sections) > 80
    if path.suffix in (".docx", ".html", ".md"):
        headed = [s for s in extracted.sections if s.headings]
        assert headed, "structured formats keep their headings"
        assert any(s.headings[0] == extracted.title for s in headed)
        assert len({s.headings for s in headed}) >= 3
    if path.suffix in (".pdf", ".txt"):
        assert extracted.title == path.stem or extracted.title in {
            s.headings[0] for s in extracted.sections if s.headings
        }


def test_title_argument_wins(registry: ExtractorRegistry) -> None:
    path = DOCUMENTS / "datenschutzleitfaden.md"
    extracted = registry.extract(path.read_bytes(), path.name, "text/markdown", title="Given")
    assert extracted.title == "Given"


def test_plain_text_is_one_section_even_with_hash_lines(registry: ExtractorRegistry) -> None:
    extracted = registry.extract(b"# not a heading\nline\n", "notes.txt", "text/plain")
    assert extracted.title == "notes"
    assert extracted.sections == (Section((), "# not a heading\nline"),)


def test_text_encodings(registry: ExtractorRegistry) -> None:
    assert registry.extract("Büro".encode("cp1252"), "a.txt", "text/plain").sections[0].text == "Büro"
    assert registry.extract("\ufeffBüro".encode(), "a.txt", "text/plain").sections[0].text == "Büro"


@pytest.mark.parametrize("name", ["x.pdf", "x.docx", "x.pptx", "x.xlsx"])
def test_random_bytes_are_corrupt(registry: ExtractorRegistry, name: str) -> None:
    content = random.Random(name).randbytes(4096)
    with pytest.raises(ExtractionError) as info:
        registry.extract(content, name, media_type_for(name))
    assert info.value.reason in ("corrupt", "encrypted")
    assert not isinstance(info.value, UnsupportedMediaType)


@pytest.mark.parametrize("name", ["x.pdf", "x.docx", "x.md", "x.txt", "x.html"])
def test_empty_content_is_empty(registry: ExtractorRegistry, name: str) -> None:
    with pytest.raises(ExtractionError) as info:
        registry.extract(b"", name, media_type_for(name))
    assert info.value.reason == "empty"


@pytest.mark.parametrize(("content", "name"), [(b"  \n\n\t", "x.txt"), (b"# Heading only\n## another\n", "x.md")])
def test_content_without_text_is_empty(registry: ExtractorRegistry, content: bytes, name: str) -> None:
    with pytest.raises(ExtractionError) as info:
        registry.extract(content, name, media_type_for(name))
    assert info.value.reason == "empty"


def test_unknown_media_type(registry: ExtractorRegistry) -> None:
    with pytest.raises(UnsupportedMediaType) as info:
        registry.extract(b"\x00\x01", "x.bin", media_type_for("x.bin", "application/x-weird; charset=x"))
    assert info.value.reason == "unsupported_type"
    assert isinstance(info.value, ExtractionError)
    assert not registry.supports("application/zip")


def test_media_type_for() -> None:
    assert media_type_for("A.PDF") == "application/pdf"
    assert media_type_for("page.aspx") == "text/html"
    assert media_type_for("Notes.Markdown") == "text/markdown"
    assert media_type_for("noext", "Text/Plain; charset=utf-8") == "text/plain"
    assert media_type_for("x.pdf", "text/plain") == "application/pdf"  # the extension wins
    assert media_type_for("blob") == "application/octet-stream"


def _encrypted_pdfs() -> list[bytes]:
    pdfs = [encrypted_pdf()]
    try:
        from pypdf import PdfWriter  # type: ignore[import-not-found]
    except ImportError:
        return pdfs
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    return [*pdfs, buffer.getvalue()]


def test_hand_made_pdf_is_really_encrypted() -> None:
    from pdfminer.pdfdocument import PDFDocument, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser

    pdf = encrypted_pdf()
    assert PDFDocument(PDFParser(io.BytesIO(pdf)), password="secret").is_extractable
    with pytest.raises(PDFPasswordIncorrect):
        PDFDocument(PDFParser(io.BytesIO(pdf)), password="")


@pytest.mark.parametrize("pdf", _encrypted_pdfs(), ids=lambda b: f"{len(b)}B")
def test_encrypted_pdf_is_an_extraction_error(registry: ExtractorRegistry, pdf: bytes) -> None:
    with pytest.raises(ExtractionError) as info:
        registry.extract(pdf, "secret.pdf", "application/pdf")
    assert info.value.reason == "encrypted"
