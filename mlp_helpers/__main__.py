"""Command line: ``python -m mlp_helpers {reproduce,data}``."""
from __future__ import annotations

import argparse
import sys

EPILOG = ("The quick setting: --quick or --full wins, else the environment variable MLP_QUICK=1, "
          "else full scale. The epoch benchmark is `make bench` (benchmarks/).")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlp_helpers", epilog=EPILOG,
                                     description="Reproduce the course report's experiments, or check the data.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{reproduce,data}")
    rep = sub.add_parser("reproduce", help="run the report's experiments and our improved recipes",
                         description="Run the named experiments (default: all) and write the results table. "
                                     "Only a full-scale run of every experiment writes results/ and "
                                     "figures/; a partial or quick run writes under runs/ instead.",
                         epilog=EPILOG)
    rep.add_argument("names", nargs="*", help="experiment names (default: all; `--list` shows them)")
    scale = rep.add_mutually_exclusive_group()
    scale.add_argument("--quick", dest="quick", action="store_const", const=True, default=None,
                       help="small subset, few epochs (a smoke test)")
    scale.add_argument("--full", dest="quick", action="store_const", const=False,
                       help="full scale even if MLP_QUICK=1 is set")
    rep.add_argument("--force", action="store_true",
                     help="retrain and replace cached runs (the cache is in runs/; deleting it also works)")
    rep.add_argument("--list", action="store_true", help="list the experiments and exit")
    sub.add_parser("data", help="download (if needed), verify and summarise CIFAR-10",
                   description="Find CIFAR-10 (CIFAR10_DIR, else data/; downloading it if missing), "
                               "read every batch and print its shapes and fingerprint.")
    return parser


def main(argv=None) -> int:
    args = make_parser().parse_args(argv)
    from .data import DataError
    from .experiments import CacheError
    try:
        if args.command == "data":
            return data_command()
        return reproduce_command(args)
    except (DataError, CacheError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def reproduce_command(args) -> int:
    from .settings import quick_mode
    try:
        quick = quick_mode(args.quick)
    except ValueError as err:                   # MLP_QUICK set to something that is neither on nor off
        print(f"error: {err}", file=sys.stderr)
        return 1
    from .experiments.reproduce import main as reproduce_main
    return reproduce_main(args.names, quick=quick, force=args.force, list_only=args.list)


def data_command() -> int:
    from .data import data_fingerprint, load_raw_cifar10, locate_cifar10
    folder = locate_cifar10()
    raw = load_raw_cifar10(folder)
    print(f"CIFAR-10 at {folder}: train {raw.x_train.shape}, test {raw.x_test.shape}, "
          f"fingerprint {data_fingerprint(folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
