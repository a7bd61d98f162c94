#!/usr/bin/env python3
"""Generate the seed corpus for the local Microsoft 365 stand-in ("dev tenant").

Everything the dev tenant is seeded with is defined here and in ``corpus.py`` (identities,
catalogue, questions) and ``texts.py`` (document texts):

* the text of every sample document (``DOCS``), written as a tiny markup
  (``# `` = heading 1, ``## `` = heading 2, ``- `` = bullet, blank line =
  paragraph break) and rendered to PDF (reportlab), DOCX (python-docx),
  HTML, Markdown or plain text;
* the fixed ids of tenant, app, users, groups, sites, drives and items;
* the evaluation questions and the list of secret phrases.

Run it from anywhere; it writes ``documents/``, ``tenant.json``,
``questions.json`` and ``secrets.json`` next to itself.  Output is
deterministic (fixed timestamps), so regenerating produces identical files.

    python3.11 -m venv /tmp/docgen
    /tmp/docgen/bin/pip install reportlab python-docx
    /tmp/docgen/bin/python devtenant/seed/build_documents.py
"""
from __future__ import annotations

import datetime as _dt
import html
import io
import json
import zipfile
from pathlib import Path

from corpus import APP, BY_KEY, DOCS, GROUPS, QUESTIONS, SITE_ABT, SITE_INTRANET, TENANT, USERS, U, Doc

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "documents"
FIXED_DATE = _dt.datetime(2025, 6, 30, 9, 0, 0)
AUTHOR = "Contoso Dev GmbH"

# ---------------------------------------------------------------------------
# Mini-markup parsing
# ---------------------------------------------------------------------------

def parse(text: str):
    """Return a list of blocks: ("h1"|"h2"|"p", str) or ("ul", [str])."""
    blocks: list[tuple[str, str | list[str]]] = []
    para: list[str] = []
    items: list[str] = []

    def flush():
        nonlocal para, items
        if para:
            blocks.append(("p", " ".join(para)))
            para = []
        if items:
            blocks.append(("ul", items))
            items = []

    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("## "):
            flush()
            blocks.append(("h2", line[3:]))
        elif line.startswith("# "):
            flush()
            blocks.append(("h1", line[2:]))
        elif line.startswith("- "):
            if para:
                flush()
            items.append(line[2:])
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return blocks


def plain_text(doc: Doc) -> str:
    parts: list[str] = []
    for kind, val in parse(doc.text):
        parts.extend(val if kind == "ul" else [val])
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# Renderers
# ---------------------------------------------------------------------------

def render_pdf(doc: Doc, path: Path) -> None:
    from reportlab import rl_config
    rl_config.invariant = 1  # deterministic output (no creation timestamp / random id)
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer

    body = ParagraphStyle("Body", fontName="Helvetica", fontSize=10.5, leading=14.5,
                          spaceAfter=6, alignment=TA_LEFT)
    h1 = ParagraphStyle("H1", fontName="Helvetica-Bold", fontSize=19, leading=23,
                        spaceBefore=0, spaceAfter=10)
    h2 = ParagraphStyle("H2", fontName="Helvetica-Bold", fontSize=13.5, leading=17,
                        spaceBefore=10, spaceAfter=5)
    bullet = ParagraphStyle("Bullet", parent=body, leftIndent=16, bulletIndent=4, spaceAfter=3)
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731

    story = []
    for kind, val in parse(doc.text):
        if kind == "h1":
            story.append(Paragraph(esc(val), h1))
        elif kind == "h2":
            story.append(Paragraph(esc(val), h2))
        elif kind == "p":
            story.append(Paragraph(esc(val), body))
        else:
            for item in val:
                story.append(Paragraph(esc(item), bullet, bulletText="\u2013"))  # en dash: extracts cleanly with pypdf
            story.append(Spacer(1, 4))

    def footer(canvas, _doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(20 * mm, 12 * mm, f"{AUTHOR} – {doc.title}")
        canvas.drawRightString(190 * mm, 12 * mm, str(canvas.getPageNumber()))
        canvas.restoreState()

    tpl = BaseDocTemplate(
        str(path), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
        topMargin=20 * mm, bottomMargin=22 * mm,
        title=doc.title, author=AUTHOR, subject=doc.title, creator="build_documents.py",
        lang="de-DE" if doc.lang == "de" else "en-US",
    )
    frame = Frame(tpl.leftMargin, tpl.bottomMargin, tpl.width, tpl.height, id="body")
    # footer drawn at page end so text extraction yields the body text first
    tpl.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=footer)])
    tpl.build(story)


def _normalize_zip(path: Path) -> None:
    """Rewrite a zip (docx) with fixed timestamps so regeneration is byte-stable."""
    src = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 6, 30, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data)
    path.write_bytes(out.getvalue())


def render_docx(doc: Doc, path: Path) -> None:
    import docx
    from docx.shared import Pt

    d = docx.Document()
    normal = d.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    cp = d.core_properties
    cp.title = doc.title
    cp.author = AUTHOR
    cp.last_modified_by = AUTHOR
    cp.language = "de-DE" if doc.lang == "de" else "en-US"
    cp.created = FIXED_DATE
    cp.modified = FIXED_DATE
    cp.revision = 1
    for kind, val in parse(doc.text):
        if kind == "h1":
            d.add_heading(val, level=1)  # style "Heading 1"
        elif kind == "h2":
            d.add_heading(val, level=2)  # style "Heading 2"
        elif kind == "p":
            d.add_paragraph(val)
        else:
            for item in val:
                d.add_paragraph(item, style="List Bullet")
    d.save(str(path))
    _normalize_zip(path)


def render_html(doc: Doc, path: Path) -> None:
    e = lambda s: html.escape(s, quote=True)  # noqa: E731
    lang = "de" if doc.lang == "de" else "en"
    nav = "Intranet" if doc.site is SITE_INTRANET else "Abteilungen"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '  <meta charset="utf-8">',
        f"  <title>{e(doc.title)}</title>",
        f'  <meta name="author" content="{e(AUTHOR)}">',
        "</head>",
        "<body>",
        f'  <header><nav><a href="/">{e(AUTHOR)}</a> &rsaquo; {e(nav)}</nav></header>',
        "  <main>",
        "  <article>",
    ]
    for kind, val in parse(doc.text):
        if kind in ("h1", "h2"):
            out.append(f"    <{kind}>{e(val)}</{kind}>")
        elif kind == "p":
            out.append(f"    <p>{e(val)}</p>")
        else:
            out.append("    <ul>")
            out.extend(f"      <li>{e(i)}</li>" for i in val)
            out.append("    </ul>")
    out += [
        "  </article>",
        "  </main>",
        f"  <footer><p>&copy; 2025 {e(AUTHOR)}</p></footer>",
        "</body>",
        "</html>",
        "",
    ]
    path.write_text("\n".join(out), encoding="utf-8")


def render_md(doc: Doc, path: Path) -> None:
    out = []
    for kind, val in parse(doc.text):
        if kind == "h1":
            out.append(f"# {val}")
        elif kind == "h2":
            out.append(f"## {val}")
        elif kind == "p":
            out.append(val)
        else:
            out.append("\n".join(f"- {i}" for i in val))
    path.write_text("\n\n".join(out) + "\n", encoding="utf-8")


def render_txt(doc: Doc, path: Path) -> None:
    out = []
    for kind, val in parse(doc.text):
        if kind == "h1":
            out.append(f"{val}\n{'=' * len(val)}")
        elif kind == "h2":
            out.append(f"{val}\n{'-' * len(val)}")
        elif kind == "p":
            out.append(val)
        else:
            out.append("\n".join(f"  * {i}" for i in val))
    path.write_text("\n\n".join(out) + "\n", encoding="utf-8")


RENDERERS = {"pdf": render_pdf, "docx": render_docx, "html": render_html, "md": render_md, "txt": render_txt}

# ---------------------------------------------------------------------------
# Access computation (mirrors what the permission mapper is expected to do)
# ---------------------------------------------------------------------------

def transitive_members(group_name: str) -> set[str]:
    """UPNs of users that are (transitively) members of the named group."""
    by_id = {g["id"]: g for g in GROUPS}
    users = {u["id"]: u["userPrincipalName"] for u in USERS}
    start = next(g for g in GROUPS if g["displayName"] == group_name)
    seen, stack, result = set(), [start["id"]], set()
    while stack:
        gid = stack.pop()
        if gid in seen:
            continue
        seen.add(gid)
        for m in by_id[gid]["members"]:
            if m in users:
                result.add(users[m])
            elif m in by_id:
                stack.append(m)
    return result


def readers_upns(doc: Doc) -> list[str]:
    out: set[str] = set()
    for r in doc.readers:
        if r == "organization":
            out |= {u["userPrincipalName"] for u in USERS}
        elif r.startswith("group:"):
            out |= transitive_members(r[len("group:"):])
        elif r.startswith("user:"):
            out.add(r[len("user:"):])
        # "opaque" -> nobody
    return sorted(out)


# ---------------------------------------------------------------------------
# Manifest builders
# ---------------------------------------------------------------------------

def build_tenant() -> dict:
    sites = []
    for site in (SITE_INTRANET, SITE_ABT):
        items = [
            {"id": d.item_id, "path": d.path, "source": f"documents/{d.source}",
             "title": d.title, "readers": list(d.readers)}
            for d in DOCS if d.site is site
        ]
        sites.append({
            "id": site["id"], "name": site["name"], "displayName": site["displayName"],
            "drives": [{"id": site["drive_id"], "name": "Documents", "items": items}],
        })
    return {"tenant": TENANT, "app": APP, "users": USERS, "groups": GROUPS, "sites": sites}


def build_questions() -> list[dict]:
    out = []
    for key, lang, asker, question, fact in QUESTIONS:
        d = BY_KEY[key]
        upn = U[asker]["userPrincipalName"]
        out.append({"question": question, "lang": lang, "expected_item": d.item_id, "fact": fact, "asker": upn})
    return out


def build_secrets() -> list[dict]:
    return [{"phrase": d.secret, "item": d.item_id, "readers_upn": readers_upns(d)} for d in DOCS if d.secret]


def validate() -> None:
    ids = [d.item_id for d in DOCS]
    assert len(set(ids)) == len(ids), "duplicate item ids"
    for d in DOCS:
        assert len(d.item_id) == 34 and d.item_id.isalnum() and d.item_id.isupper(), d.item_id
        words = len(plain_text(d).split())
        assert 300 <= words <= 900, (d.key, words)
    assert transitive_members("Alle Mitarbeitenden") == {u["userPrincipalName"] for u in USERS}
    # secret phrases occur in exactly one document
    for d in DOCS:
        if d.secret:
            holders = [o.key for o in DOCS if d.secret in o.text]
            assert holders == [d.key], (d.secret, holders)
    # Every readable document has a question; facts are verbatim; askers may read the document.
    # The "opaque" document is readable by nobody, so no valid asker exists: it has no
    # question here and is covered by secrets.json (readers_upn == []) instead.
    readable = {d.key for d in DOCS if readers_upns(d)}
    assert {q[0] for q in QUESTIONS} == readable, readable ^ {q[0] for q in QUESTIONS}
    for key, _lang, asker, _question, fact in QUESTIONS:
        d = BY_KEY[key]
        assert fact in plain_text(d), (key, fact)
        assert U[asker]["userPrincipalName"] in readers_upns(d), (key, asker)
    # secret phrases stay out of every other document and out of all non-secret questions
    for d in DOCS:
        if d.secret:
            for key, *_rest, question, fact in QUESTIONS:
                if key != d.key:
                    assert d.secret not in question + fact, (d.secret, key)


def main() -> None:
    validate()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for d in DOCS:
        RENDERERS[d.fmt](d, OUT_DIR / d.source)
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, indent=2) + "\n"  # noqa: E731
    (HERE / "tenant.json").write_text(dump(build_tenant()), encoding="utf-8")
    (HERE / "questions.json").write_text(dump(build_questions()), encoding="utf-8")
    (HERE / "secrets.json").write_text(dump(build_secrets()), encoding="utf-8")
    for d in DOCS:
        print(f"{d.fmt:5} {d.lang} {len(plain_text(d).split()):4}w  {d.source:48} {', '.join(d.readers)}")


if __name__ == "__main__":
    main()
