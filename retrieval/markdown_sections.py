"""Turning Markdown (what every extractor produces) into heading-scoped sections."""

from __future__ import annotations

import re

from retrieval.types import Section

_ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT_H1 = re.compile(r"^=+\s*$")
_SETEXT_H2 = re.compile(r"^-+\s*$")
_INLINE = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> their text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),  # italics
]
_CODE_SPAN = re.compile(r"(`[^`]+`)")


def clean_inline(text: str) -> str:
    """Drop Markdown emphasis, link targets and images; keep the words. Code spans keep their
    backticks: they mark literal text (a command, a path, a setting) that the answer must quote as
    written, and that a question for "the command" asks for (``answering.focus``)."""
    parts = _CODE_SPAN.split(text)
    for i in range(0, len(parts), 2):  # the even parts are outside code spans
        for pattern, repl in _INLINE:
            parts[i] = pattern.sub(repl, parts[i])
    return "".join(parts)


def split_sections(markdown: str) -> tuple[str, tuple[Section, ...]]:
    """Split Markdown at headings. Returns the first top-level heading (or "") and the sections.

    Each section carries the full heading path above it, so "Hotels" under "Travel policy" is
    ``("Travel policy", "Hotels")``. Text before the first heading gets an empty path.
    """
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    path: list[tuple[int, str]] = []
    sections: list[Section] = []
    body: list[str] = []
    first_title = ""

    def flush() -> None:
        text = "\n".join(body).strip()
        if text:
            sections.append(Section(tuple(h for _, h in path), text))
        body.clear()

    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        level, heading = 0, ""
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence or line.lstrip().startswith(("```", "~~~")) else _ATX.match(line)
        if match:
            level, heading = len(match.group(1)), match.group(2)
        elif (
            not in_fence
            and i + 1 < len(lines)
            and line.strip()
            and not line.lstrip().startswith(("|", "-", "*", ">"))
            and (_SETEXT_H1.match(lines[i + 1]) or _SETEXT_H2.match(lines[i + 1]))
            and lines[i + 1].strip()
        ):
            level = 1 if _SETEXT_H1.match(lines[i + 1]) else 2
            heading = line.strip()
            i += 1
        if level:
            heading = clean_inline(heading).replace("`", "").strip()  # a label: no code marks
            flush()
            while path and path[-1][0] >= level:
                path.pop()
            if heading:
                path.append((level, heading))
                if not first_title and level == 1:
                    first_title = heading
        else:
            body.append(clean_inline(line))
        i += 1
    flush()
    return first_title, tuple(sections)
