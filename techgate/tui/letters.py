"""Large letters for the decision banner, drawn with block characters.

A projector at the back of a room needs the decision in letters several
lines tall; terminals have no font sizes, so the words GO, CONDITIONAL and
NO-GO are drawn from 5-row glyphs. 'compact' packs two pixel rows into one
line with half blocks (3 lines tall, for 100x30); 'large' draws each pixel
as two full blocks (5 lines tall, twice as wide) when the screen has room.
Only the letters those three words need are drawn; others are refused.
"""

from __future__ import annotations

_GLYPHS: dict[str, tuple[str, ...]] = {
    "A": (".##.", "#..#", "####", "#..#", "#..#"),
    "C": (".###", "#...", "#...", "#...", ".###"),
    "D": ("###.", "#..#", "#..#", "#..#", "###."),
    "G": (".###", "#...", "#.##", "#..#", ".###"),
    "I": ("###", ".#.", ".#.", ".#.", "###"),
    "L": ("#..", "#..", "#..", "#..", "###"),
    "N": ("#..#", "##.#", "#.##", "#..#", "#..#"),
    "O": (".##.", "#..#", "#..#", "#..#", ".##."),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "-": ("...", "...", "###", "...", "..."),
}
_HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def _pixels(word: str) -> list[str]:
    """The word's five pixel rows, one column of space between letters."""
    try:
        glyphs = [_GLYPHS[letter] for letter in word.upper()]
    except KeyError as missing:
        raise ValueError(f"no large letter for {missing.args[0]!r}") from None
    return [".".join(glyph[row] for glyph in glyphs) for row in range(5)]


def compact(word: str) -> list[str]:
    """The word three lines tall (half blocks: two pixel rows a line)."""
    rows = [*_pixels(word), ""]
    rows[5] = "." * len(rows[0])
    return [
        "".join(
            _HALF[(top == "#", bottom == "#")] for top, bottom in zip(upper, lower, strict=True)
        )
        for upper, lower in zip(rows[0::2], rows[1::2], strict=True)
    ]


def large(word: str) -> list[str]:
    """The word five lines tall, each pixel two columns wide."""
    return ["".join("██" if pixel == "#" else "  " for pixel in row) for row in _pixels(word)]


def width(word: str, *, big: bool) -> int:
    """Columns the word takes."""
    columns = len(_pixels(word)[0])
    return columns * 2 if big else columns
