"""Reading a whole handwritten number: ``read_number(model, image) -> Reading``.

A digit classifier reads one digit, centred in a 28x28 frame. A number is several digits
in one picture, and cutting it into digits is the hard part: digits touch, and one digit
can be in several pieces. Deciding from the shapes alone fails often, so the classifier
takes part in the decision ("segmentation by recognition"):

1. the picture becomes an ink map, ink bright on black, as :func:`to_mnist` does;
2. :func:`~glassnet.workbench.segment.segment` cuts it into *atoms*: connected components,
   and slices of components wide enough to be two touching digits, left to right;
3. every plausible run of neighbouring atoms is a *candidate* digit. Each is converted to
   MNIST style, aspect ratio kept, and the classifier scores all of them in ONE batch;
4. dynamic programming picks the row of candidates that covers every atom with the
   highest total score, ``sum(log p(digit)) + priors``: the *product* of the digit
   probabilities, times a few plain-spoken doubts about shapes (too wide for one digit,
   too short to be a digit alone, two tall strokes side by side joined into one).

Joining the detached bar of a 5 to its body wins because the whole 5 is read far more
confidently than a bar and a hook apart. Cutting two touching digits wins because two
confident digits beat one squashed pair, which is also too wide to be one digit.
"""

from dataclasses import dataclass, field

import numpy as np

from glassnet.workbench.preprocess import RIM, fit_and_center, ink_image, ink_mask
from glassnet.workbench.recognize import check_digit_model, classify
from glassnet.workbench.segment import segment
from glassnet.workbench.strips import lines_error, number_picture

MAX_DIGIT_WIDTH = 1.6   # x the digit size: no run wider than this is even considered
WIDE = 1.1              # wider than this x the digit size is a doubt ...
WIDE_COST = 10.0        # ... costing this much log-probability per unit of excess width
JOIN_GAP = 0.15         # atoms further apart than this x the digit size are never one digit
STACK_GAP = 0.3         # a mark this far above or below a digit's other atoms is no part of it
FULL = 0.8              # a digit shorter than this x the typical digit size ...
FULL_COST = 1.0         # ... costs this much per unit of the shortfall (a doubt) ...
SHORT = 0.5             # ... and one shorter than this x the digit size ...
SHORT_COST = 3.0        # ... this much more: it is probably a fragment of one
TALL = 0.7              # two components at least this tall ...
OVERLAP = 0.3           # ... overlapping in x by less than this share of the narrower one
JOIN_COST = 5.0         # ... are probably two digits, not one
CUT_COST = 0.0          # a clean cut (one stroke, a tall part on either side) is free ...
CLEAN_SIDES = 0.7       # ... (tall: at least this x the digit size); any other cut costs
UNCLEAN_COST = 0.25     # ... this much, plus this for every stroke it goes through after
CROSS_COST = 0.25       # ... the first
MARK = 0.5              # a component smaller than this x the digit size both ways ...
RULE = 1.5              # ... or lower than that and this many digit sizes wide (an underline) ...
SKIP_COST = 2.0         # ... may be left out as a stray mark, at this cost
SLIVER_COST = 20.0      # a run only a pixel or two across is no digit
MAX_RUN = 12            # atoms in one candidate digit, at most
CHECK_BELOW = 0.5       # a line reader's reading less sure than this is checked for digits at all


@dataclass
class Reading:
    """What :func:`read_number` read.

    Attributes:
        text: the digits, left to right, e.g. ``"4071"``.
        digits: the same as integers.
        confidences: each digit's probability according to the classifier.
        confidence: the whole number's: the product of the digits' confidences.
        boxes: each digit's ink box in the image, ``(x0, y0, x1, y1)``, ends exclusive.
        probabilities: float ``(n, 10)``, the classifier's output for each digit.
        images: float32 ``(n, 28, 28)``, each digit as the network saw it.
    """

    text: str
    digits: list
    confidences: list
    confidence: float
    boxes: list
    probabilities: np.ndarray = field(repr=False)
    images: np.ndarray = field(repr=False)

    def to_dict(self):
        """A JSON-friendly summary (for ``--json`` and the web page)."""
        return {"text": self.text, "confidence": round(float(self.confidence), 4),
                "digits": [{"digit": d, "confidence": round(float(c), 4), "box": [int(v) for v in b]}
                           for d, c, b in zip(self.digits, self.confidences, self.boxes)]}


def read_number(model, image, name=None, digit_model=None):
    """Read the handwritten number in ``image`` with ``model``.

    Args:
        model: a model (or the path of a saved one): a digit classifier (its input is a
            28x28 digit in 0..1), read by cutting the number into digits as described
            above; or a line reader (``glassnet train --task numbers``), which reads the
            whole strip at once (:mod:`glassnet.workbench.line_reader`).
        image: a file path, the file's bytes, a PIL image, or a NumPy array (gray or
            color; dark ink on light paper or light on dark).
        name: what to call the image in error messages.
        digit_model: with a line reader, optionally a digit classifier too: where the line
            reader is unsure, the segmenter reads the number as well and its reading rescores
            the line reader's candidates (:func:`glassnet.workbench.line_reader.read_line`).

    Returns:
        a :class:`Reading`.

    Raises:
        ImageError: the image can't be read, is blank, is 20,000 pixels wide or more, has
            more than 50 separate marks, or (read by cutting it into digits) holds two lines
            of writing or more, one above the other.
    """
    model = loaded(model)
    from glassnet.workbench import line_reader
    if line_reader.is_line_model(model):
        digit_model = loaded(digit_model)
        if digit_model is not None:
            check_digit_model(digit_model)
        return line_reader.read_line(model, image, name, digit_model=digit_model)
    if digit_model is not None:
        raise ValueError("read_number: digit_model= goes with a line reader; the model given is "
                         "a digit classifier already")
    check_digit_model(model)
    label, gray, scale = number_picture(image, name)
    ink = ink_image(gray, label)
    found = segment(ink, ink_mask(ink, min_part=0, boxed=None), label)   # segment drops specks itself
    lines = len(text_lines(found))
    if lines > 1:
        raise lines_error(label, lines)
    runs, drawn = candidate_runs(found)
    pieces = [render(found, atoms) for atoms in drawn]
    slivers = np.array([piece is None for piece in pieces])
    pieces = np.stack([np.zeros((28, 28), np.float32) if piece is None else piece for piece in pieces])
    probabilities = classify(model, pieces)   # one batch: every candidate at once
    chosen = choose(found, runs, drawn, probabilities, slivers)

    probabilities, images = probabilities[chosen], pieces[chosen]
    digits = [int(d) for d in probabilities.argmax(axis=1)]
    confidences = [float(p) for p in probabilities.max(axis=1)]
    boxes = [tuple(int(round(v / scale)) for v in union_box(drawn[k]))
             for k in chosen]                                   # in the original image's pixels
    return Reading("".join(map(str, digits)), digits, confidences, float(np.prod(confidences)),
                   boxes, probabilities, images)


def loaded(model):
    """A model, or the one saved in the file ``model`` names (None stays None)."""
    if isinstance(model, str) or hasattr(model, "__fspath__"):
        from glassnet.engine.saving import load_model
        return load_model(model, compile=False)
    return model


def read_leaving_out_nondigits(model, image, name=None, digit_model=None):
    """:func:`read_number`, with the marks that are not digits left out where a not-a-digit
    detector (:mod:`glassnet.workbench.novelty`) can tell: ``glassnet read`` and the
    drawing page read this way.

    * A digit classifier with a detector: each digit read is judged, and those refused are
      left out (:func:`~glassnet.workbench.novelty.leave_out_nondigits`).
    * A line reader, with a ``digit_model`` that has a detector: a reading whose whole
      number is less than :data:`CHECK_BELOW` sure is checked. The picture is also cut
      into digits for ``digit_model``, and when none of its marks is a digit (letters, a
      drawing, a scribble: the line reader read them 4% to 38% sure), the reading is that:
      no digits, every mark left out. A line reader alone reads anything as digits (a
      zigzag as ``11111``). Otherwise the line reader's reading stands: its digits are not
      judged one by one, since the slice of a strip it read a digit from holds the ink of
      the neighbours that digit touches. Only the unsure readings are checked because the
      segmenter costs as much time again, and on numbers whose digits all touch it sometimes
      refuses every piece it cuts (one number in 1,000 of the benchmark's harder ones).

    Returns ``(reading, left_out)``: a :class:`Reading` and one dict per mark left out.
    """
    from glassnet.workbench.line_reader import is_line_model
    from glassnet.workbench.novelty import has_detector, leave_out_nondigits

    model, digit_model = loaded(model), loaded(digit_model)
    reading = read_number(model, image, name, digit_model=digit_model)
    if not is_line_model(model):
        return leave_out_nondigits(model, reading) if has_detector(model) else (reading, [])
    if digit_model is not None and has_detector(digit_model) and reading.digits and reading.confidence < CHECK_BELOW:
        segmented, left_out = leave_out_nondigits(digit_model, read_number(digit_model, image, name))
        if not segmented.digits:
            return segmented, left_out
    return reading, []


def choose(found, runs, drawn, probabilities, slivers):
    """The best reading: which candidate runs (indices into ``runs``) are the digits.

    Each run scores ``log p(its likeliest digit) + prior(run)``; :func:`best_path` finds
    the row of runs, covering every atom once, with the highest total. ``drawn``: each
    run's atoms that draw its digit (:func:`digit_atoms`).
    """
    scores = np.log(np.maximum(probabilities.max(axis=1), 1e-12)) - SLIVER_COST * slivers
    scores += np.array([prior(found, i, j, atoms) for (i, j), atoms in zip(runs, drawn)])
    # A small mark on its own (a stray stroke, a dot) may also be left out, at a price.
    marks = [i for i, atom in enumerate(found.atoms) if is_mark(atom, found.size)]
    chosen = best_path(len(found.atoms), runs + [(i, i + 1) for i in marks],
                       np.concatenate([scores, np.full(len(marks), -SKIP_COST)]))
    return [k for k in chosen if k < len(runs)]


def union_box(atoms):
    return (min(a.x0 for a in atoms), min(a.y0 for a in atoms),
            max(a.x1 for a in atoms), max(a.y1 for a in atoms))


def is_mark(atom, size):
    """A whole component less than :data:`MARK` digit sizes across either way, or a rule
    (:func:`is_rule`): ink that may be left out of the number."""
    return atom.component == atom.label and (max(atom.x1 - atom.x0, atom.y1 - atom.y0) < MARK * size
                                             or is_rule(atom, size))


def is_rule(atom, size):
    """A flat line (less than :data:`MARK` digit sizes high) over :data:`RULE` digit sizes
    wide: an underline, a long dash. It is never part of a digit (the bar of a 5 drawn
    apart is less than one digit wide)."""
    flat, wide = atom.y1 - atom.y0 < MARK * size, atom.x1 - atom.x0 > RULE * size
    return atom.component == atom.label and flat and wide


def candidate_runs(found):
    """Every run ``(i, j)`` of atoms ``i..j-1`` that could be one digit: not wider than
    :data:`MAX_DIGIT_WIDTH` digit sizes, and without a gap wider than :data:`JOIN_GAP`.
    Single atoms are always candidates (but a rule, which may only be left out), so there is
    always a way to read the number. Returns ``(runs, drawn)``: the runs, and the atoms of
    each that draw its digit (:func:`digit_atoms`)."""
    atoms, size = found.atoms, found.size
    rules = [is_rule(atom, size) for atom in atoms]
    runs, drawn = [], []
    for i in range(len(atoms)):
        x0 = x1 = None                # the run's ink so far, left to right (a rule draws none)
        for j in range(i + 1, min(len(atoms), i + MAX_RUN) + 1):
            atom = atoms[j - 1]
            if not rules[j - 1]:      # an underline in the run neither widens it nor joins it
                if x1 is not None and (atom.x0 - x1 > JOIN_GAP * size
                                       or max(x1, atom.x1) - min(x0, atom.x0) > MAX_DIGIT_WIDTH * size):
                    break
                x0, x1 = (atom.x0, atom.x1) if x1 is None else (min(x0, atom.x0), max(x1, atom.x1))
            kept = digit_atoms(found, i, j)
            if kept is not None:
                runs.append((i, j))
                drawn.append(kept)
    return runs, drawn


def digit_atoms(found, i, j):
    """The atoms of run ``i..j-1`` that draw its digit: all of them, less the marks lying
    more than :data:`STACK_GAP` digit sizes above or below the rest (a stray dot under a
    digit whose pieces lie either side of it in the row of atoms); None when atoms that
    are no marks lie that far apart (one digit above another is not one digit), or when
    the run is only a rule (:func:`is_rule`, left out of any digit wherever it lies)."""
    atoms = [atom for atom in found.atoms[i:j] if not is_rule(atom, found.size)]
    if not atoms:
        return None
    groups = row_groups(atoms, STACK_GAP * found.size)
    main = max(groups, key=lambda group: max(a.y1 for a in group) - min(a.y0 for a in group))
    if any(not is_mark(atom, found.size) for group in groups if group is not main for atom in group):
        return None
    return [atom for atom in atoms if any(atom is kept for kept in main)]


def row_groups(atoms, gap):
    """The atoms in groups, top to bottom, each of atoms whose rows overlap or lie less
    than ``gap`` pixels apart."""
    groups, bottom = [], -np.inf
    for atom in sorted(atoms, key=lambda atom: atom.y0):
        if atom.y0 - bottom > gap:
            groups.append([])
        groups[-1].append(atom)
        bottom = max(bottom, atom.y1)
    return groups


def text_lines(found):
    """The lines of writing: groups of atoms one above the other, :data:`STACK_GAP`
    digit sizes apart or more, each holding an atom at least :data:`SHORT` digit sizes
    tall (a stray mark or an underline is no line of its own)."""
    groups = row_groups([atom for atom in found.atoms if not is_mark(atom, found.size)],
                        STACK_GAP * found.size)
    return [group for group in groups if any(a.y1 - a.y0 >= SHORT * found.size for a in group)]


def prior(found, i, j, atoms=None):
    """Log-probability doubts about the shape of run ``i..j-1`` as one digit (0 = none);
    ``atoms``: the run's :func:`digit_atoms`, when already known."""
    atoms, size = digit_atoms(found, i, j) if atoms is None else atoms, found.size
    x0, y0, x1, y1 = union_box(atoms)
    score = -SKIP_COST * (j - i - len(atoms))   # stray marks left out, as if each were skipped
    if x1 - x0 > WIDE * size:
        score -= WIDE_COST * ((x1 - x0) / size - WIDE)
    # Digits of one number are about equally tall; a short piece is often a fragment.
    score -= FULL_COST * max(0.0, FULL - (y1 - y0) / size)
    if y1 - y0 < SHORT * size:
        score -= SHORT_COST
    # Different components side by side, both tall, barely overlapping: two digits.
    parts = {}
    for atom in atoms:
        box = parts.get(atom.component, (atom.x0, atom.y0, atom.x1, atom.y1))
        parts[atom.component] = (min(box[0], atom.x0), min(box[1], atom.y0),
                                 max(box[2], atom.x1), max(box[3], atom.y1))
    boxes = sorted(parts.values())
    for a, b in zip(boxes[:-1], boxes[1:]):
        tall = min(a[3] - a[1], b[3] - b[1]) >= TALL * size
        overlap = (min(a[2], b[2]) - max(a[0], b[0])) / min(a[2] - a[0], b[2] - b[0])
        if tall and overlap < OVERLAP:
            score -= JOIN_COST
    # A cut at the run's left edge (this atom is a slice, and the one before it is
    # another slice of the same component). A clean cut goes through one stroke with a
    # tall part of the component on either side: two touching digits look like that.
    first = found.atoms[i]
    if first.crossings and i > 0 and found.atoms[i - 1].component == first.component:
        clean = first.crossings == 1 and first.sides >= CLEAN_SIDES
        score -= CUT_COST + (0 if clean else UNCLEAN_COST) + CROSS_COST * (first.crossings - 1)
    return score


def best_path(count, runs, scores):
    """Dynamic programming: the runs covering atoms ``0..count-1`` exactly once, in order,
    whose scores add up to the most. Returns their indices into ``runs``."""
    best = np.full(count + 1, -np.inf)
    best[0] = 0.0
    came_from = np.zeros(count + 1, dtype=int)
    by_end = sorted(range(len(runs)), key=lambda k: runs[k][1])
    for k in by_end:
        i, j = runs[k]
        if best[i] + scores[k] > best[j]:
            best[j] = best[i] + scores[k]
            came_from[j] = k
    chosen, j = [], count
    while j > 0:
        chosen.append(came_from[j])
        j = runs[came_from[j]][0]
    return chosen[::-1]


def render(found, atoms):
    """The ink of a run of atoms as the 28x28 digit an MNIST model expects.

    Only the run's own pixels are kept (a neighbour reaching into its box is masked out),
    then :func:`~glassnet.workbench.preprocess.fit_and_center` does what MNIST did: 20x20
    box, aspect ratio kept, centre of mass in the middle of 28x28.
    """
    x0, y0, x1, y1 = union_box(atoms)
    # A margin for the atoms' faint ink, and for the anti-aliased rim fit_and_center keeps.
    margin = found.reach + RIM
    x0, y0, x1, y1 = max(x0 - margin, 0), max(y0 - margin, 0), x1 + margin, y1 + margin
    mask = np.isin(found.labels[y0:y1, x0:x1], [atom.label for atom in atoms])
    rows, cols = np.nonzero(mask)
    if max(np.ptp(rows), np.ptp(cols)) + 1 < 3:   # a sliver: nothing a classifier could read
        return None
    # Each digit at its own stroke strength, so a faint digit beside a bold one looks as
    # strong as any MNIST digit does.
    ink = found.ink[y0:y1, x0:x1]
    level = float(np.median(ink[mask]))
    return fit_and_center(np.minimum(ink / max(level, 1e-3), 1), mask)
