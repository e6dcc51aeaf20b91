"""Small helpers the notebooks' exercises call: public checks, graded asserts, and guards.

    check("02.1", "dW", expected, got)          print expected against got (a public check)
    check_equal("07.2", "verdict", e, g)        the same for values that are not numbers
    assert_close("02.1", "dW", expected, got)   the same, raising AssertionError (a hidden test)
    assert_unchanged("03.1", "w", before, w)    AssertionError unless the caller's array is as it was, bit for bit
    forbid("02.1", layers.affine_backward)      while the block runs, the package function, or a copy of
                                                its code, fails the test; so does taking over 10 s
    requires("02.1", affine_backward)           "finish exercise 02.1 first" while it is still the stub
    status("02.1", "02.2")                      one line per exercise: done, not yet (and why), not run yet

Inside IPython, an unfinished exercise's stub (``NotImplementedError("Exercise 02.1: ...")``) shows that
one line instead of a traceback.

Hidden tests load this file afresh (a new module object, course/exercise_cells.HIDDEN_PROLOGUE), so a
notebook cell that replaced one of these helpers (exercises.assert_close = ...) changes nothing they do.

Errors are relative, as in notebook 02's gradient check, and have one home, model/gradcheck.py:
relative_error is ||e - g|| / (||e|| + ||g||), 0 for equal arrays and about 0.7 for unrelated ones, and a
check passes below its TOLERANCE (1e-6). The checks take both from a copy of that file of their own
(_fresh), so a cell that replaced gradcheck.TOLERANCE cannot loosen a hidden test either.
"""
from __future__ import annotations

import contextlib
import re
import signal
import sys
import threading
import types
from importlib import util as import_util

import numpy as np

TIME_LIMIT = 10          # seconds a graded call of the student's code may take, unless its test allows more


def _fresh(name):
    """A new module object executed from the file of module ``name``, not the one in sys.modules (whose
    attributes a notebook cell may have replaced)."""
    spec = import_util.spec_from_file_location(name, import_util.find_spec(name).origin)
    module = import_util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_gradcheck = _fresh("mlp_helpers.model.gradcheck")
relative_error, TOLERANCE = _gradcheck.relative_error, _gradcheck.TOLERANCE


def _describe(value):
    if value is None:
        return "None"
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item():.6g}" if np.issubdtype(array.dtype, np.number) else repr(value)
    shown = ", ".join(f"{v:.4g}" for v in array.ravel()[:4]) + (", ..." if array.size > 4 else "")
    return f"{array.shape} [{shown}]"


def _compare(expected, got, tol):
    """(ok, text): the comparison's verdict and a one-line description of both values."""
    text = f"expected {_describe(expected)}  got {_describe(got)}"
    e = np.asarray(expected)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False, text + "  (got is not numeric)"
    if g.shape != e.shape:
        return False, text + f"  (shape {g.shape} should be {e.shape})"
    if not np.all(np.isfinite(g)):
        return False, text + "  (got has NaN or inf)"
    err = relative_error(e, g)
    return err <= tol, text + f"  relative error {err:.1e}"


def check(exercise, name, expected, got, tol=TOLERANCE):
    """Print one line, expected against got, and whether they agree; return True if they do."""
    ok, text = _compare(expected, got, tol)
    line = f"{exercise} {name}: {text}  " + ("ok" if ok else f"WRONG (should be < {tol:g})")
    print(line)
    _record(exercise, ok, line)
    return ok


def check_equal(exercise, name, expected, got):
    """``check`` for values that are not numbers (a verdict, a label): print one line; True if equal."""
    ok = got == expected
    line = f"{exercise} {name}: expected {expected!r}  got {got!r}  " + ("ok" if ok else "WRONG")
    print(line)
    _record(exercise, ok, line)
    return ok


def assert_close(exercise, name, expected, got, tol=TOLERANCE):
    """Raise AssertionError naming the exercise and what was expected unless got matches."""
    ok, text = _compare(expected, got, tol)
    if not ok:
        raise AssertionError(f"Exercise {exercise}, {name}: {text} (should be < {tol:g})")


def assert_unchanged(exercise, name, before, after):
    """Raise AssertionError naming the exercise unless ``after`` equals ``before`` bit for bit: an
    array the student's code was given must come back as it was, not changed in place, not rounded."""
    b, a = np.asarray(before), np.asarray(after)
    if b.shape == a.shape and np.array_equal(b, a):
        return
    text = f"Exercise {exercise}, {name}: expected {_describe(before)} exactly as it was  got {_describe(after)}"
    if b.shape != a.shape:
        raise AssertionError(text + f"  (shape {a.shape} should be {b.shape})")
    changed = b != a
    largest = np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))
    raise AssertionError(text + f"  ({int(changed.sum())} of {b.size} entries changed, by up to {largest:.1e})")


def _function(obj):
    return getattr(obj, "__func__", obj)


def _fingerprints(fn):
    """What a copy of a function's code keeps: its bytecode, constants (the docstring among them) and
    names, and the file it was compiled from. A new function made from the code object or from a renamed
    copy of it keeps the file; source pasted into a cell keeps the docstring. A function without a
    docstring is matched in its own file only: a student's code can be the same as a short one by chance."""
    code = fn.__code__
    found = {(code.co_filename, code.co_code, code.co_consts, code.co_names, code.co_varnames)}
    if fn.__doc__:
        found.add((None, code.co_code, code.co_consts, code.co_names, code.co_varnames))
    return found


def _watch(fingerprints, found):
    """A profile hook that appends to ``found`` the name of each function called whose code has one of
    ``fingerprints`` ({fingerprint: name})."""
    verdicts = {}                                   # id(code) -> (code, name or None): each code looked at once

    def hook(frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        known = verdicts.get(id(code))
        if known is None or known[0] is not code:
            shape = code.co_code, code.co_consts, code.co_names, code.co_varnames
            name = fingerprints.get((code.co_filename, *shape)) or fingerprints.get((None, *shape))
            known = verdicts[id(code)] = (code, name)
        if known[1] is not None:
            found.append(known[1])
    return hook


class _TimeUp(BaseException):
    """Raised into the student's code when its time is up (not an Exception: `except Exception` in a
    student's loop cannot swallow it)."""


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise _TimeUp into the block after ``seconds``, and every second after that should the block
    catch it. SIGALRM reaches the main thread only, on POSIX systems; elsewhere there is no limit."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    armed = [True]

    def stop(signum, frame):
        if armed[0]:
            raise _TimeUp

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        armed[0] = False                # first: a late alarm must not cut the clean-up short
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def forbid(exercise, *functions, seconds=TIME_LIMIT):
    """While the block runs, each package function (or method) raises AssertionError when called,
    under any name, and a copy of its code (a new function made from its code object, or its source
    pasted into a cell: see _fingerprints) fails the test when the block ends: a graded test sees the
    student's own code. The block is stopped after ``seconds``, failing the test in one line (an
    endless loop costs seconds, not the grading's cell timeout)."""
    originals, fingerprints, found = [], {}, []
    for fn in map(_function, functions):
        if not isinstance(fn, types.FunctionType):
            raise TypeError(f"forbid() needs Python functions or methods, got {fn!r}")
        if fn.__code__.co_freevars:
            raise TypeError(f"forbid() cannot patch {fn.__qualname__}: it is a closure")
        message = (f"Exercise {exercise}: your code called the package's {fn.__qualname__}; "
                   "expected your own code (write it yourself)")
        namespace = {}
        exec(f"def raiser(*args, **kwargs):\n    raise AssertionError({message!r})", namespace)
        fingerprints.update(dict.fromkeys(_fingerprints(fn), fn.__qualname__))
        originals.append((fn, fn.__code__))
        fn.__code__ = namespace["raiser"].__code__
    profiler = sys.getprofile()
    sys.setprofile(_watch(fingerprints, found))
    try:
        with _time_limit(seconds):
            yield
    except _TimeUp:
        raise AssertionError(f"Exercise {exercise}: expected your code to finish within {seconds:g} s; "
                             "it was stopped then (an endless loop?)") from None
    finally:
        sys.setprofile(profiler)
        for fn, code in reversed(originals):          # reversed: a function listed twice
            fn.__code__ = code
    if found:
        raise AssertionError(f"Exercise {exercise}: your code ran a copy of the package's {found[0]}; "
                             "expected your own code (write it yourself)")


def _raises_not_implemented(code):
    if "NotImplementedError" in code.co_names:
        return True
    return any(isinstance(c, types.CodeType) and _raises_not_implemented(c) for c in code.co_consts)


def _stubs(obj):
    """Names of the functions in obj (a function, method or class) that still raise
    NotImplementedError, i.e. are an exercise's stub."""
    if isinstance(obj, type):
        return [n for f in vars(obj).values() for n in _stubs(f)]
    fn = _function(obj)
    code = getattr(fn, "__code__", None)
    return [fn.__qualname__] if code is not None and _raises_not_implemented(code) else []


def requires(exercise, *functions):
    """Stop a cell that uses the student's functions while one is still unfinished, with one
    line ("finish exercise 02.1 first") instead of a traceback from deep inside numpy."""
    unfinished = [name for fn in functions for name in _stubs(fn)]
    if unfinished:
        verb = "raises" if len(unfinished) == 1 else "raise"
        error = NotImplementedError(f"finish exercise {exercise} first ({', '.join(unfinished)} "
                                    f"still {verb} NotImplementedError)")
        # IPython shows what _render_traceback_ returns instead of the traceback.
        error._render_traceback_ = lambda: [f"NotImplementedError: {error}"]
        _record(exercise, False, str(error))
        raise error


# ------------------------------------------------------------------ status ---
_outcomes: dict[str, str | None] = {}     # exercise -> None (every check passed) or the first line that failed
_UNFINISHED = re.compile(r"^(?:Exercise|finish exercise) (\d\d\.\d+)")


def _record(exercise, ok, line):
    if ok:
        _outcomes.setdefault(exercise, None)
    elif _outcomes.get(exercise) is None:
        _outcomes[exercise] = line


def status(*exercise_ids) -> None:
    """Print one line per exercise, from the checks run so far in this kernel: done, not yet (with the
    first line that failed), or not run yet. Each notebook ends with it."""
    lines = []
    for exercise in exercise_ids:
        if exercise not in _outcomes:
            lines.append(f"{exercise} not run yet: run the cells of the exercise and its check")
        elif _outcomes[exercise] is None:
            lines.append(f"{exercise} done")
        else:
            lines.append(f"{exercise} not yet: {_outcomes[exercise]}")
    print("\n".join(lines))


def _one_line_if_unfinished(shell, etype, value, tb, tb_offset=None):
    """IPython's handler for NotImplementedError: an unfinished exercise's stub shows its one line (and
    is recorded for ``status``); any other shows the usual traceback."""
    match = _UNFINISHED.match(str(value))
    if match is not None:
        _record(match[1], False, str(value))
        if not hasattr(value, "_render_traceback_"):
            value._render_traceback_ = lambda: [f"{etype.__name__}: {value}"]
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)     # honours _render_traceback_
    return []


def _install_handler():
    """Install the handler in a running IPython kernel (not for a copy of this module loaded afresh)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and __name__ == "mlp_helpers.exercises":
        shell.set_custom_exc((NotImplementedError,), _one_line_if_unfinished)


_install_handler()
