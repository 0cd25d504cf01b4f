"""The box Keras 3 draws ``model.summary()`` in (with the rich library), drawn here by hand.

Keras gives the table a width, ``line_length`` (88 characters for a chain of layers, 108 with
the "Connected to" column, 12 more with "Trainable"; never more than the terminal's width
less 4), and each column a share of it, ``positions`` (``[0.45, 0.80, 1.0]``: where each
column ends). The rules between the columns and the cells' one-space margins take room
too, so rich takes it back from the columns evenly (:func:`share_out`). A cell too narrow
for its text wraps it at spaces; a word that still doesn't fit ends in "…"::

    ┏━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━┓
    ┃ Layer (type)         ┃ Output Shape  ┃  Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━┩
    │ dense (Dense)        │ (None, 16)    │      144 │
    ├──────────────────────┼───────────────┼──────────┤
    │ batch_normalization  │ (None, 16)    │       64 │
    │ (BatchNormalization) │               │          │
    └──────────────────────┴───────────────┴──────────┘
"""

import shutil

SEQUENTIAL_WIDTH, FUNCTIONAL_WIDTH, TRAINABLE_WIDTH = 88, 108, 12


def line_length_for(columns, show_trainable, line_length=None):
    """Keras's width of the whole table."""
    if line_length:
        return int(line_length)
    width = (SEQUENTIAL_WIDTH if columns == 3 else FUNCTIONAL_WIDTH) + (TRAINABLE_WIDTH if show_trainable else 0)
    return min(width, shutil.get_terminal_size().columns - 4)


def default_positions(columns, show_trainable):
    """Where each column ends, as shares of the width (Keras's defaults)."""
    positions = [0.45, 0.80, 1.0] if columns - show_trainable == 3 else [0.3, 0.56, 0.74, 1.0]
    return [p * 0.90 for p in positions] + [1.0] if show_trainable else positions


def column_widths(line_length, positions):
    """Each column's width, rules and margins included: what rich gives the cells of a
    table ``line_length`` wide whose columns end at ``positions``."""
    widths, end = [], 0
    for position in positions:
        width = int(position * line_length if position <= 1 else position) - end
        if width < 4:
            raise ValueError("summary: the line is too short for the columns (line_length or positions)")
        widths.append(width)
        end += width
    padded = [w + 2 for w in widths]                      # one space each side of the text
    room = line_length - (len(widths) + 1)                # less the rules: │ between and around
    return share_out(sum(padded) - room, padded) if sum(padded) > room else padded


def share_out(excess, widths):
    """Take ``excess`` characters from the columns evenly, rounding as rich does (each
    column its share of what is left, ``round`` to the nearest even on .5)."""
    result, left, count = [], excess, len(widths)
    for width in widths:
        cut = min(width, round(left / count))
        result.append(width - cut)
        left, count = left - cut, count - 1
    return result


def wrap(text, width):
    """``text`` in lines of at most ``width`` characters, broken at spaces; a word longer
    than a line is cut with "…" (rich's ellipsis overflow)."""
    lines, line = [], ""
    for word in str(text).split(" "):
        joined = f"{line} {word}" if line else word
        if len(joined) <= width or not line:
            line = joined
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return [ln if len(ln) <= width else ln[:max(width - 1, 0)] + "…" for ln in lines]


def _aligned(text, width, how):
    if how == "right":
        return text.rjust(width)
    if how == "center":
        left = (width - len(text)) // 2
        return " " * left + text + " " * (width - len(text) - left)
    return text.ljust(width)


def draw(headers, rows, widths, alignments):
    """The box's lines: the headers, then each row, wrapped into its column widths."""
    inner = [w - 2 for w in widths]

    def rule(left, fill, middle, right):
        return left + middle.join(fill * w for w in widths) + right

    def cells(row, side, between):
        wrapped = [wrap(text, w) for text, w in zip(row, inner)]
        height = max(len(lines) for lines in wrapped)
        return [side + between.join(" " + _aligned(lines[i] if i < len(lines) else "", w, how) + " "
                                    for lines, w, how in zip(wrapped, inner, alignments)) + side
                for i in range(height)]

    lines = [rule("┏", "━", "┳", "┓"), *cells(headers, "┃", "┃"), rule("┡", "━", "╇", "┩")]
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("├", "─", "┼", "┤"))
        lines += cells(row, "│", "│")
    lines.append(rule("└", "─", "┴", "┘"))
    return lines


def readable_size(size):
    """Bytes as Keras writes them: ``780.00 B``, ``2.80 KB``, ``1.79 MB`` (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def read_rows(text):
    """The cells of a box :func:`draw` drew, row by row (the headers first), each cell's
    wrapped lines joined again by spaces: for reading a summary back (tests, reports)."""
    rows, current = [], None
    for line in text.splitlines():
        if line[:1] in ("│", "┃"):
            parts = [part.strip() for part in line[1:-1].split(line[0])]
            current = parts if current is None else [f"{a} {b}".strip() for a, b in zip(current, parts)]
        elif line[:1] in ("├", "┡", "└") and current is not None:
            rows.append(current)
            current = None
    return rows
