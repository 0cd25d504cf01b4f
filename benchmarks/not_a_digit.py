"""Benchmark: does the workbench refuse pictures that are not digits, and only those?

For the default MLP and the default CNN (``glassnet train --arch mlp`` / ``--arch cnn``), a
not-a-digit detector is calibrated (:func:`glassnet.workbench.novelty.fit_detector`: the
model's held-out validation digits, non-digits rendered in the DejaVu fonts, seed 0), then
scored on data it never saw:

* generated non-digits (letters, words, symbols, shapes, noise, scribbles, smileys) in the
  Liberation fonts, other seeds, photographed dark-on-light: target >= 90% refused;
* the 10,000 MNIST test digits, as they are: target <= 1% refused;
* MNIST test digits photographed as a user would (``benchmarks/own_images.py``'s photos,
  read back by ``to_mnist``): target <= 3% refused.

    flock /tmp/glassnet-heavy.lock python benchmarks/not_a_digit.py [--mlp MLP.npz]
        [--cnn CNN.npz] [--data-dir ../shared/data/mnist] [--curve tradeoff.png]

Without ``--mlp`` / ``--cnn`` the model is trained here first (about 10 s and 3 min).
A photo that ``to_mnist`` finds blank is refused before any model sees it; those are
counted apart.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_MNIST, blas_info, mlp_and_cnn  # noqa: E402

TARGETS = {"nondigits": 0.90, "digits": 0.01, "photos": 0.03}


def train(arch, x_train, y_train):
    """The model ``glassnet train --arch ARCH`` makes (its epochs, batch, rate, seed 0)."""
    import math
    from glassnet.workbench import zoo
    spec = zoo.get(arch)
    model = spec.build(seed=0)
    steps = math.ceil(len(x_train) * 0.8 / spec.batch_size) * spec.epochs
    model.compile(optimizer=spec.optimizer(steps=steps), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=spec.epochs, batch_size=spec.batch_size,
              validation_split=0.2, verbose=0)
    model.settings.update(arch=arch, dataset="mnist")
    return model


def benchmark_sets(x_test, count, photos, seed):
    """What every model is scored on: generated non-digits (photographed), MNIST test
    digits as they are, and some of them photographed."""
    from glassnet.datasets.nondigits import make_nondigits
    from glassnet.datasets.photos import photographed_mnist
    rng = np.random.default_rng(seed)
    made = make_nondigits(count, seed=seed, fonts="benchmark")
    nondigits, readable = photographed_mnist(made.images, rng, name="non-digit")
    pick = rng.choice(len(x_test), size=min(photos, len(x_test)), replace=False)
    shots, shot_ok = photographed_mnist(x_test[pick], rng, name="digit photo")
    return {"made": made, "nondigits": nondigits[readable], "blank": int((~readable).sum()),
            "kinds": np.array(made.kinds)[readable], "names": np.array(made.names)[readable],
            "photos": shots[shot_ok], "photo_blank": int((~shot_ok).sum()), "fonts": made.fonts}


def score_model(name, model, data, sets, args):
    from glassnet.engine.splits import stratified_split
    from glassnet.workbench.novelty import fit_detector
    (x_train, y_train), (x_test, y_test) = data
    split = (model.settings or {}).get("validation_split") or 0.2
    x_fit, y_fit, x_val, y_val = stratified_split(x_train, y_train, split)
    start = time.perf_counter()
    detector = fit_detector(model, x_fit, y_fit, x_val, y_val, nondigits=args.calibration,
                            photos=args.calibration_photos, seed=0)
    calibrated = time.perf_counter() - start
    start = time.perf_counter()
    refused = {"digits": ~detector.is_digit(model, x_test)}
    per_image = (time.perf_counter() - start) / len(x_test)
    refused["photos"] = ~detector.is_digit(model, sets["photos"])
    refused["nondigits"] = ~detector.is_digit(model, sets["nondigits"])
    blank = sets["blank"]
    share = {"digits": refused["digits"].mean(), "photos": refused["photos"].mean(),
             # a blank photo is refused too, by to_mnist, before the detector
             "nondigits": (refused["nondigits"].sum() + blank) / (len(refused["nondigits"]) + blank)}
    accuracy = model.predict(x_test, verbose=0).argmax(axis=1) == y_test
    print(f"\n{name}: calibrated in {calibrated:.0f}s (threshold {detector.threshold:.2f}; "
          f"{detector.info['nondigits']:,} non-digits, DejaVu fonts, seed 0), "
          f"{1000 * per_image:.2f} ms per image to judge")
    rows = [("generated non-digits refused", "nondigits", ">=", len(refused["nondigits"]) + blank,
             f" ({blank} of them blank to to_mnist)"),
            ("MNIST test digits refused", "digits", "<=", len(x_test),
             f" (accuracy on the rest {accuracy[~refused['digits']].mean():.2%}, on all "
             f"{accuracy.mean():.2%}; {(~accuracy[refused['digits']]).sum()} of the refused were misread)"),
            ("photographed test digits refused", "photos", "<=", len(refused["photos"]), "")]
    ok = True
    for label, key, sign, count, extra in rows:
        hit = share[key] >= TARGETS[key] if sign == ">=" else share[key] <= TARGETS[key]
        ok &= hit
        print(f"  {label:34s} {share[key]:7.2%} of {count:,} (target {sign} {TARGETS[key]:.0%}: "
              f"{'OK' if hit else 'MISSED'}){extra}")
    kinds = sets["kinds"]
    print("  by kind: " + ", ".join(f"{k} {refused['nondigits'][kinds == k].mean():.0%}"
                                    for k in dict.fromkeys(kinds)))
    if args.show_accepted:
        accepted = sets["names"][~refused["nondigits"]]
        names, counts = np.unique(accepted, return_counts=True)
        print("  let through: " + ", ".join(f"{n} x{c}" if c > 1 else n
                                            for n, c in sorted(zip(names, counts), key=lambda t: -t[1])))
    scores = {"digits": detector.scores(model, x_test), "photos": detector.scores(model, sets["photos"]),
              "nondigits": detector.scores(model, sets["nondigits"]), "threshold": detector.threshold}
    return ok, scores


def plot_curves(curves, path):
    """Refused non-digits against refused real digits, one line per model and digit set."""
    from glassnet.workbench.novelty import tradeoff
    from glassnet.workbench.plots import style
    fig = style.new_figure(7, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    for (name, scores), color in zip(curves.items(), [style.TRAIN, style.VALIDATION]):
        for key, dash in (("digits", "-"), ("photos", "--")):
            _, digits, nondigits = tradeoff(scores[key], scores["nondigits"], points=400)
            ax.plot(100 * digits, 100 * nondigits, dash, color=color,
                    label=f"{name}: {'MNIST test digits' if key == 'digits' else 'photographed test digits'}")
            at_digits = np.mean(scores[key] > scores["threshold"])
            at_nondigits = np.mean(scores["nondigits"] > scores["threshold"])
            ax.plot([100 * at_digits], [100 * at_nondigits], "o", color=color)
    ax.set_xscale("symlog", linthresh=1, linscale=1.5)   # linear up to 1%, then logarithmic
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1, 3, 10, 30, 100], ["0", ".25", ".5", ".75", "1", "3", "10", "30", "100"])
    ax.set_ylim(0, 101)
    ax.set_xlabel("real digits refused (%)")
    ax.set_ylabel("non-digits refused (%)")
    ax.set_title("Not a digit: what the threshold trades (dots: the operating point)")
    ax.legend(loc="lower right", fontsize=8)
    style.save(fig, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mlp", help="a saved default MLP (default: train it now)")
    parser.add_argument("--cnn", help="a saved default CNN (default: train it now)")
    parser.add_argument("--only", choices=["mlp", "cnn"], help="benchmark one model only")
    parser.add_argument("--data-dir", default=os.environ.get("GLASSNET_DATA") or str(DEFAULT_MNIST))
    parser.add_argument("--count", type=int, default=2100, help="non-digits to score")
    parser.add_argument("--photos", type=int, default=2000, help="test digits to photograph")
    parser.add_argument("--calibration", type=int, default=4000, help="non-digits to calibrate on")
    parser.add_argument("--calibration-photos", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1, help="of the scored pictures (calibration: 0)")
    parser.add_argument("--curve", metavar="PNG", help="draw the trade-off curve here")
    parser.add_argument("--show-accepted", action="store_true", help="list the non-digits let through")
    args = parser.parse_args(argv)
    if args.seed == 0:
        parser.error("--seed 0 is the calibration's seed; score other pictures")

    from glassnet.datasets import mnist
    if not os.path.isdir(args.data_dir):
        sys.exit(f"MNIST not found at {args.data_dir}; pass --data-dir")
    (x_train, y_train), (x_test, y_test) = mnist.load_data(args.data_dir)
    scale = np.float32(1 / 255)
    data = ((x_train * scale, y_train), (x_test * scale, y_test))
    print(f"BLAS: {blas_info()}; MNIST from {args.data_dir}")

    start = time.perf_counter()
    sets = benchmark_sets(data[1][0], args.count, args.photos, args.seed)
    print(f"scored: {args.count:,} generated non-digits (seed {args.seed}, fonts: "
          f"{', '.join(sets['fonts'][:3])}{' ...' if len(sets['fonts']) > 3 else ''}), 10,000 MNIST "
          f"test digits, {len(sets['photos']):,} of them photographed ({sets['photo_blank']} blank); "
          f"made in {time.perf_counter() - start:.0f}s")

    ok, curves = True, {}
    for arch, model, name in mlp_and_cnn(args, lambda arch: train(arch, *data[0])):
        passed, curves[arch.upper()] = score_model(name, model, data, sets, args)
        ok &= passed
    if args.curve:
        plot_curves(curves, args.curve)
        print(f"\ntrade-off curve: {args.curve}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
