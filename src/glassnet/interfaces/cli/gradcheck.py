"""``glassnet gradcheck``: check every layer, loss and activation against finite differences.

It runs :func:`glassnet.gradcheck.run_all`, the same function the test suite runs, and
prints one row per check: the component, its configuration, the largest relative error
between ``backward`` and central differences (in float64), and pass or FAIL. The exit
status is 1 when any check fails, so scripts and CI can rely on it.
"""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "gradcheck", help="check every layer's and loss's gradients against finite differences",
        description="Compare each component's backward pass with central differences in float64 "
                    "and print a table; exit status 1 if any check fails.")
    parser.add_argument("--only", metavar="TEXT",
                        help="check only the components whose name contains TEXT (e.g. Conv2D)")
    parser.set_defaults(run=run)


def format_table(rows, tolerance):
    """The rows as an aligned text table, followed by a one-line summary."""
    header = ("component", "configuration", "max rel. error", "result")
    cells = [(r.component, r.configuration, f"{r.max_error:.2e}" if r.max_error == r.max_error else "-",
              "pass" if r.passed else "FAIL") for r in rows]
    widths = [max(len(row[i]) for row in [header] + cells) for i in range(4)]
    lines = ["  ".join(text.ljust(w) for text, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row, cell in zip(rows, cells):
        lines.append("  ".join(text.ljust(w) for text, w in zip(cell, widths)).rstrip())
        if row.detail:
            lines.append(" " * (widths[0] + 2) + "-> " + row.detail)
    failed = sum(not r.passed for r in rows)
    lines.append(f"{len(rows) - failed} of {len(rows)} checks passed (tolerance {tolerance:g}, float64)"
                 + (f"; {failed} FAILED" if failed else ""))
    return "\n".join(lines)


def run(args):
    from glassnet.gradcheck import TOLERANCE, run_all

    rows = run_all(only=args.only)
    if not rows:
        print(f"no component matches {args.only!r}")
        return 1
    print(format_table(rows, TOLERANCE))
    return 0 if all(r.passed for r in rows) else 1
