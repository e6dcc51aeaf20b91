"""The cells a grading runs: the graded cells and the cells they need, found by the names they read.

A notebook's figures, explorers and demonstration runs cost minutes; its hidden tests cost seconds. So a
notebook is graded on a slice of its cells:

* every graded cell (an answer cell or a test cell: the cells with nbgrader data) is needed;
* a cell is needed if it binds a name that a later needed cell reads before binding it itself (an
  assignment, an import, a def or class, or a change such as ``name[k] = v`` or ``name.attr = v``);
  the names a function reads when it is called count as read where it is defined;
* a cell that cannot be analysed (not plain Python: a magic, a star import, ``globals()``, ``exec``) is needed,
  and so is every code cell before it.

Every other code cell becomes a markdown cell that shows its code under a one-line note, so the student's
feedback still shows it, unrun. The analysis errs towards running a cell: a cell that binds a wanted name
is kept even if a later cell binds it again. A name bound where no analysis looks (setattr on the main
module) shows as a NameError, and the grader then grades that notebook whole (course/grade.py).
"""
from __future__ import annotations

import ast
import symtable

import nbformat

NOTE = "*Not run while grading: no graded cell needs this cell.*"
DYNAMIC = {"globals", "locals", "vars", "exec", "eval", "__import__"}


def _python(source):
    """The cell's source if it is plain Python, else None: a cell with IPython's magics or shell commands
    (their code is a string the slice cannot read) or one that is not Python at all."""
    try:
        ast.parse(source)
    except SyntaxError:
        return None
    return source


class _Names(ast.NodeVisitor):
    """The names a cell's top level reads while they may still be unbound (``reads``) and the names it binds
    or changes (``binds``), in the order Python evaluates them. A name bound inside a branch or a loop is
    not surely bound after it; function and class bodies are left to _reads_when_called."""

    def __init__(self):
        self.reads, self.binds, self.sure = set(), set(), set()

    def _bind(self, name, sure=True):
        self.binds.add(name)
        if sure:
            self.sure.add(name)

    def _branches(self, *blocks):
        before = set(self.sure)
        for block in blocks:
            for node in block:
                self.visit(node)
            self.sure = set(before)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            if node.id not in self.sure:
                self.reads.add(node.id)
        else:
            self._bind(node.id, sure=isinstance(node.ctx, ast.Store))

    def _changed(self, node):
        """name.attr = v, name[k] += v, del name[k]: a change of name (which must exist)."""
        base = node
        while isinstance(base, (ast.Attribute, ast.Subscript)):
            base = base.value
        if isinstance(base, ast.Name):
            self._bind(base.id, sure=False)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        (self._changed if isinstance(node.ctx, (ast.Store, ast.Del)) else self.generic_visit)(node)

    visit_Subscript = visit_Attribute

    def visit_Assign(self, node):
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node):
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.visit(ast.Name(node.target.id, ast.Load()))
        self.visit(node.target)

    def visit_AnnAssign(self, node):
        for child in (node.annotation, node.value, node.target):
            if child is not None:
                self.visit(child)

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node):
        self.visit(node.iter)
        before = set(self.sure)
        self.visit(node.target)
        self._branches(node.body, node.orelse)
        self.sure = before

    visit_AsyncFor = visit_For

    def visit_While(self, node):
        self.visit(node.test)
        self._branches(node.body, node.orelse)

    def visit_If(self, node):
        self.visit(node.test)
        self._branches(node.body, node.orelse)

    def visit_Try(self, node):
        self._branches(node.body, *([h] for h in node.handlers), node.orelse, node.finalbody)

    def visit_ExceptHandler(self, node):
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for child in node.body:
            self.visit(child)

    def visit_FunctionDef(self, node):
        args = node.args
        for child in [*node.decorator_list, *args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            self.visit(child)
        self._bind(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        for child in [*node.decorator_list, *node.bases, *[k.value for k in node.keywords]]:
            self.visit(child)
        self._bind(node.name)

    def visit_Lambda(self, node):
        for child in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
            self.visit(child)

    def _comprehension(self, node, *results):
        before = set(self.sure)
        for generator in node.generators:
            self.visit(generator.iter)
            self.sure |= {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
            for condition in generator.ifs:
                self.visit(condition)
        for result in results:
            self.visit(result)
        self.sure = before

    def visit_ListComp(self, node):
        self._comprehension(node, node.elt)

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._comprehension(node, node.key, node.value)

    def visit_Import(self, node):
        for alias in node.names:
            self._bind((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_Global(self, node):
        for name in node.names:
            self._bind(name, sure=False)

    visit_Nonlocal = visit_Global


def _reads_when_called(table):
    """Global names read inside the functions, classes and comprehensions of a symbol table."""
    found = set()
    for child in table.get_children():
        for symbol in child.get_symbols():
            if symbol.is_referenced() and symbol.is_global():
                found.add(symbol.get_name())
        found |= _reads_when_called(child)
    return found


def cell_names(source):
    """(names the cell reads before binding them, names it binds), or None if it cannot be analysed."""
    python = _python(source)
    if python is None:
        return None
    tree = ast.parse(python)
    if any(isinstance(n, ast.Match) or isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names)
           for n in ast.walk(tree)):
        return None
    names = _Names()
    for statement in tree.body:
        names.visit(statement)
    called = _reads_when_called(symtable.symtable(python, "<cell>", "exec"))
    if (names.reads | called) & DYNAMIC:
        return None
    return names.reads | (called - names.sure), names.binds


def needed_cells(nb, tests=None):
    """Indices of the code cells a grading must run. ``tests`` ({grade id: source}) gives the code the
    grader will run in a graded cell, hidden tests included, where the notebook's copy lacks them (a
    student's notebook). A needed cell that cannot be analysed might read anything: every code cell
    before it is needed too."""
    tests = tests or {}
    wanted, needed = set(), set()
    for k in reversed(range(len(nb.cells))):
        cell = nb.cells[k]
        if cell.cell_type != "code":
            continue
        names = cell_names(tests.get(cell.metadata.get("nbgrader", {}).get("grade_id"), cell.source))
        if names is None:
            return needed | {i for i, c in enumerate(nb.cells[:k + 1]) if c.cell_type == "code"}
        if "nbgrader" in cell.metadata or names[1] & wanted:
            needed.add(k)
            wanted |= names[0]
    return needed


def graded_sources(nb):
    """{grade id: source} of the graded test cells of an instructor notebook (hidden tests included)."""
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


def slice_for_grading(nb, tests=None):
    """Turn every code cell no graded cell needs into a markdown cell showing its code (in place);
    ``tests`` as for needed_cells. Returns how many cells were turned."""
    keep = needed_cells(nb, tests)
    turned = 0
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and k not in keep and cell.source.strip():
            fence = "````" if "```" in cell.source else "```"   # plain, not coloured: a third of the size
            shown = nbformat.v4.new_markdown_cell(f"{NOTE}\n\n{fence}\n{cell.source}\n{fence}")
            shown.metadata = cell.metadata
            if "id" in cell:
                shown["id"] = cell["id"]
            nb.cells[k] = shown
            turned += 1
    return turned
