"""Draw the app icons: `color.png` (192x192, full colour) and `outline.png` (32x32, white on transparent).

    python manifests/make_icons.py

The icon is a speech bubble holding lines of text, the bubble white on the accent colour of the
manifest. Shapes are drawn four times larger and scaled down, which gives smooth edges; the
outline icon keeps every pixel white and carries the shape in its alpha channel only, as Teams
asks. The PNGs are committed; rerun this only to change the design.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

MANIFEST_DIR = Path(__file__).resolve().parent
ACCENT = (0x2E, 0x5E, 0x8C)  # the manifest's accentColor
WHITE = (255, 255, 255)
SUPERSAMPLE = 4


def bubble_mask(size: int, box: tuple[float, float, float, float], rim: float = 0.0) -> Image.Image:
    """An 'L' mask of the speech bubble on a `size` square: 255 on the shape, 0 elsewhere.

    `box` is the bubble's (left, top, right, bottom) as fractions of `size`; its tail hangs below.
    Without a `rim` the bubble is solid with three text lines cut out; with one (a fraction of
    `size`) the bubble is an outline of that width holding two text lines.
    """
    big = size * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    left, top, right, bottom = (big * f for f in box)
    width, height = right - left, bottom - top
    radius = height * 0.3
    tail = [
        (left + width * 0.18, bottom - 1),
        (left + width * 0.12, bottom + height * 0.4),
        (left + width * 0.45, bottom - 1),
    ]
    rows: tuple[tuple[float, float], ...]  # (height of the line's centre, length) as fractions of the bubble
    if rim:
        draw.rounded_rectangle((left, top, right, bottom), radius, outline=255, width=max(1, round(big * rim)))
        draw.polygon(tail, fill=255)
        line_fill, rows = 255, ((0.35, 1.0), (0.66, 0.6))
    else:
        draw.rounded_rectangle((left, top, right, bottom), radius, fill=255)
        draw.polygon(tail, fill=255)
        line_fill, rows = 0, ((0.27, 1.0), (0.50, 1.0), (0.73, 0.6))
    line_height = height * (0.13 if not rim else 0.16)
    x0, x1 = left + width * 0.18, right - width * 0.18
    for row, length in rows:
        y = top + height * row - line_height / 2
        draw.rounded_rectangle((x0, y, x0 + (x1 - x0) * length, y + line_height), line_height / 2, fill=line_fill)
    return mask.resize((size, size), Image.Resampling.LANCZOS)


def color_icon() -> Image.Image:
    """192x192 RGB: a white bubble on the accent colour, the text lines in the accent colour."""
    icon = Image.new("RGB", (192, 192), ACCENT)
    icon.paste(Image.new("RGB", (192, 192), WHITE), mask=bubble_mask(192, box=(0.24, 0.27, 0.76, 0.64)))
    return icon


def outline_icon() -> Image.Image:
    """32x32 RGBA: every pixel white, the bubble's outline and text lines in the alpha channel."""
    icon = Image.new("RGBA", (32, 32), (*WHITE, 0))
    icon.putalpha(bubble_mask(32, box=(0.06, 0.08, 0.94, 0.70), rim=0.09))
    return icon


def main() -> None:
    color_icon().save(MANIFEST_DIR / "color.png", optimize=True)
    outline_icon().save(MANIFEST_DIR / "outline.png", optimize=True)
    print(f"Wrote {MANIFEST_DIR / 'color.png'} and {MANIFEST_DIR / 'outline.png'}")


if __name__ == "__main__":
    main()
