"""Backpropagation as a computational graph: add distributes, max routes, multiply swaps.

Two pictures:

* ``backprop_graph.png`` (docs/backprop_graph.md): the graph of ``f = 2 * (x*y + max(z, w))``
  at ``x=3, y=-4, z=2, w=-1`` (CS231n's example), with every forward value (green, above
  each wire) and every gradient ``df/d(wire)`` (red, below). The gradients are computed
  gate by gate, as backprop does, and checked against central differences.
* ``two_layer_backprop.png`` (the notebook): the graph of a two-layer network,
  Dense -> ReLU -> Dense -> softmax-CE, with the shapes going forward and the gradients
  coming back, each labelled with the one of Nielsen's four equations it is.
"""

import sys
from pathlib import Path

from matplotlib.patches import Circle, FancyBboxPatch

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
    common.save(common.styled(draw_two_layers), out, "two_layer_backprop.png")
    return values, grads


def draw_two_layers():
    """x -> Dense(W1, b1) -> ReLU -> Dense(W2, b2) -> softmax + cross-entropy -> L."""
    fig = common.figure(11, 3.6)
    ax = fig.subplots()
    ax.set_xlim(-0.6, 14.2), ax.set_ylim(-1.8, 1.0), ax.set_axis_off()
    boxes = [(1.6, "z1 = x @ W1 + b1"), (4.9, "h = relu(z1)"), (8.2, "z2 = h @ W2 + b2"),
             (11.5, "L = CE(softmax(z2), y)")]
    width = 2.5
    for x, text in boxes:
        ax.add_patch(FancyBboxPatch((x - width / 2, -0.35), width, 0.7, boxstyle="round,pad=0.05",
                                    facecolor="#f4f6f9", edgecolor=style.INK, lw=1.4))
        ax.text(x, 0, text, ha="center", va="center", fontsize=10, fontweight="bold")
    ax.text(-0.45, 0, "x", ha="center", va="center", fontsize=13, fontweight="bold")
    ax.text(13.95, 0, "L", ha="center", va="center", fontsize=13, fontweight="bold")
    stops = [-0.25] + [x for x, _ in boxes] + [13.8]
    forward = ["(N, 784)", "(N, 32)", "(N, 32)", "(N, 10)", "one number"]
    backward = ["", "dz1 = dh * (z1 > 0)   BP2", "dh = dz2 @ W2.T   BP2", "dz2 = (p - y) / N   BP1", "1"]
    for i in range(5):
        start = stops[i] + (0.2 if i == 0 else width / 2 + 0.05)
        end = stops[i + 1] - (0.25 if i == 4 else width / 2 + 0.05)
        ax.annotate("", xy=(end, 0), xytext=(start, 0), arrowprops=dict(arrowstyle="-|>", color=style.MUTED, lw=1.4))
        middle = (start + end) / 2
        ax.text(middle, 0.12, forward[i], color=style.RIGHT, ha="center", fontsize=8.5)
        if backward[i]:
            ax.text(middle, -0.12 if i == 4 else -0.5, backward[i], color=style.WRONG, ha="center", va="top",
                    fontsize=9)
    for x, lines in ((1.6, "dW1 = x.T @ dz1   BP4\ndb1 = dz1.sum(0)   BP3"),
                     (8.2, "dW2 = h.T @ dz2   BP4\ndb2 = dz2.sum(0)   BP3")):
        ax.text(x, -1.3, lines, color=style.WRONG, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.3", facecolor="white", edgecolor=style.WRONG, lw=0.8))
        ax.annotate("", xy=(x, -1.0), xytext=(x, -0.42), arrowprops=dict(arrowstyle="-|>", color=style.WRONG, lw=1))
    ax.text(-0.6, 0.8, "forward: shapes, left to right", color=style.RIGHT, fontsize=10, fontweight="bold")
    ax.text(5.5, 0.8, "backward: gradients, right to left, with Nielsen's equation",
            color=style.WRONG, fontsize=10, fontweight="bold")
    fig.suptitle("A two-layer network as a graph: softmax-CE -> Dense -> ReLU -> Dense, backwards")
    return fig


if __name__ == "__main__":
    common.main(run, __doc__.splitlines()[0])
