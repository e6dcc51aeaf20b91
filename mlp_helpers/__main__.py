"""Command line: ``python -m mlp_helpers {reproduce,reproduce-conventions,data}``."""
from __future__ import annotations

import argparse
import signal
import sys
import threading

EPILOG = ("The quick setting: --quick or --full wins, else the environment variable MLP_QUICK=1, "
          "else full scale. The epoch benchmark is `make bench` (benchmarks/).")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlp_helpers", epilog=EPILOG,
                                     description="Reproduce the course report's experiments, or check the data.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{reproduce,reproduce-conventions,data}")
    rep = sub.add_parser("reproduce", help="run the report's experiments and our improved recipes, every seed",
                         description="Run the named experiments (default: all) and write the results table. "
                                     "Only a full-scale run of every experiment writes results/ and "
                                     "figures/; a partial or quick run writes under runs/ instead.",
                         epilog=EPILOG)
    rep.add_argument("names", nargs="*", help="experiment names (default: all; `--list` shows them)")
    rep.add_argument("--list", action="store_true", help="list the experiments and exit")
    add_run_options(rep)
    study = sub.add_parser("reproduce-conventions", help="the pre-registered study of the report's conventions",
                           description="Run the conventions study of results/preregistration.md (each "
                                       "convention alone, then the report-conventions set on all thirteen "
                                       "comparisons, five seeds each) and merge its rows into results/.",
                           epilog=EPILOG)
    add_run_options(study)
    sub.add_parser("data", help="download (if needed), verify and summarise CIFAR-10",
                   description="Find CIFAR-10 (CIFAR10_DIR, else data/; downloading it if missing), "
                               "read every batch and print its shapes and fingerprint.")
    return parser


def add_run_options(parser) -> None:
    """The options every reproduction command shares: scale, cache, workers."""
    scale = parser.add_mutually_exclusive_group()
    scale.add_argument("--quick", dest="quick", action="store_const", const=True, default=None,
                       help="small subset, few epochs (a smoke test)")
    scale.add_argument("--full", dest="quick", action="store_const", const=False,
                       help="full scale even if MLP_QUICK=1 is set")
    parser.add_argument("--force", action="store_true",
                        help="retrain and replace cached runs (the cache is in runs/; deleting it also works)")
    parser.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                        help="local worker processes for independent runs (default: the number of cores)")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="the run cache to read and fill (default: runs/); an empty folder times a fresh run")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="run on the Dask cluster at ADDR (e.g. tcp://127.0.0.1:8786) through joblib's Dask "
                          "backend instead of local processes (needs the dask extra)")


def positive_int(text) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def main(argv=None) -> int:
    args = make_parser().parse_args(argv)
    from .data import DataError
    from .store.run_cache import CacheError
    before = stop_on_sigterm()
    try:
        if args.command == "data":
            return data_command()
        if args.command == "reproduce-conventions":
            return conventions_command(args)
        return reproduce_command(args)
    except (DataError, CacheError, ConnectionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print("interrupted: finished runs are cached; run the same command to resume", file=sys.stderr)
        return 128 + signal.SIGTERM if stop.args == (TERMINATED,) else 130
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)


TERMINATED = "SIGTERM"


def stop_on_sigterm():
    """Make a ``kill`` (SIGTERM) stop the command as Ctrl-C does, so its worker processes stop with it and
    nothing cut short is cached (by default SIGTERM ends this process at once and its workers go on).
    Returns the handler it replaced (None off the main thread, where handlers cannot be set)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt(TERMINATED)
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, interrupt)


def reproduce_command(args) -> int:
    from .settings import quick_mode
    try:
        quick = quick_mode(args.quick)
    except ValueError as err:                   # MLP_QUICK set to something that is neither on nor off
        print(f"error: {err}", file=sys.stderr)
        return 1
    from .reproduction.reproduce import main as reproduce_main
    if args.list:
        return reproduce_main(args.names, quick=quick, force=args.force, list_only=True)
    from .plots.spread import save_reproduce_figures  # the entry point may import any layer
    return reproduce_main(args.names, quick=quick, force=args.force, list_only=False, jobs=args.jobs,
                          scheduler=args.scheduler, cache_dir=args.cache_dir, figures=save_reproduce_figures)


def conventions_command(args) -> int:
    from .settings import quick_mode
    try:
        quick = quick_mode(args.quick)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    from .reproduction.study import main as study_main
    return study_main(quick=quick, jobs=args.jobs, scheduler=args.scheduler, cache_dir=args.cache_dir,
                      force=args.force)


def data_command() -> int:
    from .data import data_fingerprint, load_raw_cifar10, locate_cifar10
    folder = locate_cifar10()
    raw = load_raw_cifar10(folder)
    print(f"CIFAR-10 at {folder}: train {raw.x_train.shape}, test {raw.x_test.shape}, "
          f"fingerprint {data_fingerprint(folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
