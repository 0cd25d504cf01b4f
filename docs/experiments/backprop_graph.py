"""Backpropagation as a computational graph: add distributes, max routes, multiply swaps.

One picture for docs/backprop_graph.md, ``backprop_graph.png``: the graph of
``f = 2 * (x*y + max(z, w))`` at ``x=3, y=-4, z=2, w=-1`` (CS231n's example), with every
forward value (green, above each wire) and every gradient ``df/d(wire)`` (red, below).
The gradients are computed gate by gate, as backprop does, and checked against central
differences.
"""

import sys
from pathlib import Path

from matplotlib.patches import Circle

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from glassnet.workbench.plots import style  # noqa: E402


def forward_backward(x, y, z, w):
    """The graph, one gate per line; returns f and df/d(every wire)."""
    # forward
    xy = x * y                     # multiply gate
    m = max(z, w)                  # max gate
    s = xy + m                     # add gate
    f = 2 * s                      # multiply by a constant
    # backward: start from df/df = 1 and apply each gate's local rule, last gate first
    df = 1.0
    ds = 2 * df                    # d(2s)/ds = 2
    dxy, dm = ds, ds               # add: hands the same gradient to both inputs
    dz, dw = (dm, 0.0) if z >= w else (0.0, dm)   # max: all to the winner, 0 to the loser
    dx, dy = y * dxy, x * dxy      # multiply: each input gets the OTHER input times the gradient
    values = dict(x=x, y=y, z=z, w=w, xy=xy, m=m, s=s, f=f)
    grads = dict(x=dx, y=dy, z=dz, w=dw, xy=dxy, m=dm, s=ds, f=df)
    return values, grads


def numerical(point, name, eps=1e-6):
    """df/d(name) by central differences."""
    up, down = dict(point), dict(point)
    up[name] += eps
    down[name] -= eps
    return (forward_backward(**up)[0]["f"] - forward_backward(**down)[0]["f"]) / (2 * eps)


def run(quick=False, out=common.FIGURES):
    point = dict(x=3.0, y=-4.0, z=2.0, w=-1.0)
    values, grads = forward_backward(**point)
    for name in point:
        print(f"df/d{name} = {grads[name]:+.0f}   (central differences: {numerical(point, name):+.6f})")

    def draw():
        fig = common.figure(9, 4.2)
        ax = fig.subplots()
        ax.set_xlim(-0.4, 9.6), ax.set_ylim(-0.2, 4.4), ax.set_axis_off(), ax.set_aspect("equal")
        place = {"x": (0, 3.8), "y": (0, 2.6), "z": (0, 1.4), "w": (0, 0.2),
                 "xy": (3, 3.2), "m": (3, 0.8), "s": (5.5, 2.0), "f": (8, 2.0)}
        gates = {"xy": "×", "m": "max", "s": "+", "f": "×2"}
        wires = [("x", "xy"), ("y", "xy"), ("z", "m"), ("w", "m"), ("xy", "s"), ("m", "s"), ("s", "f")]
        for name, (px, py) in place.items():
            if name in gates:
                ax.add_patch(Circle((px, py), 0.42, facecolor="#f4f6f9", edgecolor=style.INK, lw=1.5, zorder=3))
                ax.text(px, py, gates[name], ha="center", va="center", fontsize=13, fontweight="bold", zorder=4)
            else:
                ax.text(px, py, name, ha="center", va="center", fontsize=14, fontweight="bold")
        for a, b in wires:
            (ax_, ay), (bx, by) = place[a], place[b]
            start = (ax_ + (0.25 if a in point else 0.42), ay)
            ax.annotate("", xy=(bx - 0.42, by), xytext=start,
                        arrowprops=dict(arrowstyle="-|>", color=style.MUTED, lw=1.4))
            t = 0.35 if a in point else 0.5          # where on the wire its two numbers go
            mx, my = start[0] + t * (bx - 0.42 - start[0]), ay + t * (by - ay)
            ax.text(mx, my + 0.13, f"{values[a]:g}", color=style.RIGHT, ha="center", fontsize=11, fontweight="bold")
            ax.text(mx, my - 0.13, f"{grads[a]:g}", color=style.WRONG, ha="center", va="top", fontsize=11,
                    fontweight="bold")
        fx, fy = place["f"]
        ax.annotate("", xy=(fx + 1.3, fy), xytext=(fx + 0.42, fy),
                    arrowprops=dict(arrowstyle="-|>", color=style.MUTED, lw=1.4))
        ax.text(fx + 0.86, fy + 0.13, f"{values['f']:g}", color=style.RIGHT, ha="center", fontsize=11,
                fontweight="bold")
        ax.text(fx + 0.86, fy - 0.13, "1", color=style.WRONG, ha="center", va="top", fontsize=11, fontweight="bold")
        notes = [((3, 3.85), "multiply swaps:\ndx = y · 2, dy = x · 2"),
                 ((3, 0.05), "max routes: all to z, 0 to w"),
                 ((5.5, 2.85), "add distributes:\n2 to each input")]
        for (nx, ny), text in notes:
            ax.text(nx, ny, text, ha="center", va="center", fontsize=9, color=style.INK, style="italic")
        ax.text(-0.4, 4.35, "forward value", color=style.RIGHT, fontsize=10, fontweight="bold")
        ax.text(1.6, 4.35, "gradient df/d(wire)", color=style.WRONG, fontsize=10, fontweight="bold")
        fig.suptitle("f = 2 · (x·y + max(z, w)): forward left to right, backward right to left")
        return fig
    common.save(common.styled(draw), out, "backprop_graph.png")
    return values, grads


if __name__ == "__main__":
    common.main(run, __doc__.splitlines()[0])
