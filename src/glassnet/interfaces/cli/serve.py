"""``glassnet serve [MODEL [MODEL2]]``: the drawing page, at http://127.0.0.1:8000 by default.

Draw a digit with a mouse, pen or finger and watch the model's probabilities change as
you draw; see the 28x28 image it actually reads, which of its pixels mattered, and look
inside its layers. Two models (``glassnet serve mnist-mlp.npz mnist-cnn.npz``) answer the
same drawing side by side. When the model reads a digit wrong, "Wrong? It was a ..."
keeps the drawing and its right label in a folder (``--collect DIR``; by default
``~/.local/share/glassnet/digits``), ready for ``glassnet train --resume MODEL
--extra-data DIR``. With ``--reader LINE.npz`` (``glassnet train --task numbers``), the
whole-number mode reads with that line reader, its candidates rescored by the model. The
page and everything it loads come from glassnet itself, so it works with no internet.
"""

import ipaddress
import socket
import sys
from pathlib import Path

from glassnet.errors import GlassnetError, ModelFileError

DEFAULT_MODEL = "mnist-mlp.npz"   # what ``glassnet train`` saves by default
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "serve", help="open a web page to draw digits and watch the network read them",
        description="Serve the drawing page for a saved model (localhost only unless --host says otherwise).")
    parser.add_argument("model", nargs="*", metavar="MODEL",
                        help=f"a model file (default: {DEFAULT_MODEL} in this folder, as saved by glassnet "
                             f"train); a second one is shown beside it, answering the same drawing")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this computer only; "
                             "0.0.0.0 lets other devices on your network in)")
    parser.add_argument("--port", type=port_number, default=8000, help="port (default: 8000)")
    parser.add_argument("--collect", metavar="DIR",
                        help="where 'Wrong? It was a ...' keeps your drawings, DIR/<label>/<n>.png "
                             "(default: $XDG_DATA_HOME/glassnet/digits or ~/.local/share/glassnet/digits)")
    parser.add_argument("--no-collect", action="store_true", help="keep no drawings (hides 'Wrong? It was a ...')")
    parser.add_argument("--reader", metavar="LINE_MODEL",
                        help="a line reader (glassnet train --task numbers): the whole-number mode reads "
                             "with it, each digit model's probabilities rescoring its candidates, instead "
                             "of cutting the number into digits")
    parser.set_defaults(run=run)


def port_number(text):
    import argparse
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {text!r}")
    return int(text)


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_digit_model(path):
    """Load and check the model once, before the server starts; a clear error if it can't."""
    import os

    from glassnet.engine.saving import load_model
    from glassnet.interfaces.cli.checks import check_detector
    from glassnet.workbench.recognize import check_digit_model

    if path is None:
        if not os.path.exists(DEFAULT_MODEL):
            raise ModelFileError(
                f"no model given and no {DEFAULT_MODEL} in {os.getcwd()}: train one with "
                f"'glassnet train' (it saves {DEFAULT_MODEL}), or run 'glassnet serve MODEL.npz'")
        path = DEFAULT_MODEL
    model = load_model(path, compile=False)
    check_digit_model(model, path)
    check_detector(model, path)   # a damaged one: one line now, not an error on every drawing
    return model, path


def load_line_reader(path):
    """Load the line reader for ``--reader`` once, before the server starts; a clear error
    for a file that is not one."""
    from glassnet.engine.saving import load_model
    from glassnet.workbench.line_reader import is_line_model

    model = load_model(path, compile=False)
    if not is_line_model(model):
        raise ModelFileError(f"{path}: not a line reader (it reads {model.input_shape[1:]}, not a "
                             f"strip of a whole number); --reader takes a model made by "
                             f"'glassnet train --task numbers'")
    return model, path


def open_socket(host, port):
    """Bind the listening socket ourselves, so a busy port is one clear line, not a log dump."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP said out loud: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
    # sockets that say so, and with it on, every response waits ~40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # inherited by accepted sockets
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as error:
        sock.close()
        hint = f"; try --port {port + 1}" if error.errno == 98 else ""
        raise GlassnetError(f"can't listen on {host}:{port} ({error.strerror}){hint}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def run(args):
    import uvicorn

    from glassnet.interfaces.web.app import MAX_MODELS, create_app
    from glassnet.workbench.handwriting import default_folder
    from glassnet.workbench.novelty import has_detector, no_detector_note

    if len(args.model) > MAX_MODELS:
        raise GlassnetError(f"give at most {MAX_MODELS} models to compare side by side, got {len(args.model)}")
    if args.collect and args.no_collect:
        raise GlassnetError("--collect DIR and --no-collect contradict each other; give one")
    loaded = [load_digit_model(path) for path in (args.model or [None])]
    reader = load_line_reader(args.reader) if args.reader else None
    collect = None if args.no_collect else Path(args.collect or default_folder()).expanduser()
    local = is_loopback(args.host)
    (model, path), compare = loaded[0], loaded[1:]
    app = create_app(model, model_file=path, allowed_hosts=LOOPBACK_NAMES if local else None,
                     compare=compare, collect=collect, reader=reader)
    sock = open_socket(args.host, args.port)
    port = sock.getsockname()[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    for one, name in loaded:
        accuracy = (one.settings or {}).get("test_accuracy")
        note = f", test accuracy {accuracy:.2%}" if isinstance(accuracy, float) else ""
        print(f"serving {name} ({one.name}{note})")
        if not has_detector(one):
            print(no_detector_note(name))
    if reader is not None:
        print(f"whole numbers are read by the line reader {args.reader}, rescored by the digit model")
    if collect is not None:
        print(f"'Wrong? It was a ...' keeps your drawings in {collect}; teach the model with them: "
              f"glassnet train --resume {path} --extra-data {collect}")
    print(f"open http://{shown if local else 'localhost'}:{port} in a browser; Ctrl+C stops")
    if not local:
        print(f"warning: listening on {args.host}: other devices on your network can reach this page",
              file=sys.stderr)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
