"""Page layout for the PDF reports: A4 geometry, coloured tables and monospace text columns."""

from __future__ import annotations

from typing import Sequence

from matplotlib.figure import Figure

A4 = (8.27, 11.69)  # inches
MONO_SIZE = 7.2  # points
LINE_IN = MONO_SIZE * 1.25 / 72  # inches per text line
GOOD, BAD = "#cdebc9", "#f6cccc"  # table cell colours: model beats / loses to the clean baseline


def draw_table(fig: Figure, rect: tuple[float, float, float, float], header: Sequence[str],
                rows: Sequence[Sequence[str]], col_widths: Sequence[float],
                colours: Sequence[Sequence[str | None]] | None = None, font_size: float = 9.0) -> None:
    """A table in `rect` (figure fractions): grey bold header, left-aligned first column, optional cell colours."""
    ax = fig.add_axes(rect)
    ax.axis("off")
    table = ax.table(cellText=[list(r) for r in rows], colLabels=list(header), colWidths=list(col_widths),
                     loc="upper center", cellLoc="center", bbox=(0, 0, 1, 1))
    table.auto_set_font_size(False)
    table.set_fontsize(font_size)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("0.75")
        if r == 0:
            cell.set_facecolor("0.88")
            cell.set_text_props(fontweight="bold")
        elif c == 0:
            cell.set_text_props(ha="left")
            cell.PAD = 0.03
        if r > 0 and colours is not None:
            colour = colours[r - 1][c]
            if colour:
                cell.set_facecolor(colour)


def text_block(fig: Figure, x: float, y_top: float, heading: str, lines: list[str]) -> None:
    """A bold heading at (x, y_top) and the lines below it in monospace."""
    fig.text(x, y_top, heading, fontsize=10, fontweight="bold", va="top", ha="left")
    body_top = y_top - 0.22 / fig.get_figheight()
    fig.text(x, body_top, "\n".join(lines), fontsize=MONO_SIZE, family="monospace", va="top", ha="left",
             linespacing=1.25)


def fit_column(blocks: list[tuple[str, list[str]]], budget: int) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Share `budget` text lines among a column's blocks; return the shown blocks and truncated headings."""
    need = [len(lines) + 2 for _, lines in blocks]  # +2: heading and gap
    if sum(need) <= budget:
        return blocks, []
    shown, truncated = [], []
    remaining = budget
    for i, (heading, lines) in enumerate(blocks):
        later_min = sum(min(n, 8) for n in need[i + 1:])  # leave room for later blocks
        room = max(remaining - later_min - 2, 3)
        if len(lines) > room:
            lines = lines[: room - 1] + [f"… {len(lines) - room + 1} more lines: full text in the appendix"]
            truncated.append(heading)
        shown.append((heading, lines))
        remaining -= len(lines) + 2
    return shown, truncated
