"""Command line: ``python -m mlp_helpers {reproduce,bench,gradcheck,data}``."""
from __future__ import annotations

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mlp_helpers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run the report's experiments and our improved recipes")
    rep.add_argument("names", nargs="*", help="experiment names (default: all)")
    rep.add_argument("--quick", action="store_true", help="small subset, few epochs (a smoke test)")
    rep.add_argument("--force", action="store_true", help="retrain even if a cached run exists")
    rep.add_argument("--list", action="store_true", help="list the experiments and exit")
    sub.add_parser("bench", help="seconds per epoch against the matmul floor", add_help=False)
    sub.add_parser("data", help="download (if needed), verify and summarise CIFAR-10")
    args, rest = parser.parse_known_args(argv)

    if args.command == "bench":
        from .bench import main as bench_main
        return bench_main(rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if args.command == "data":
        from .data import load_cifar10, locate_cifar10
        folder = locate_cifar10()
        x_train, y_train, x_test, y_test = load_cifar10()
        print(f"CIFAR-10 at {folder}: train {x_train.shape}, test {x_test.shape}")
        return 0
    from .reproduce import main as reproduce_main
    return reproduce_main(args)


if __name__ == "__main__":
    sys.exit(main())
