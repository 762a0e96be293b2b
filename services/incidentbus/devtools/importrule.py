"""The import rules: the correlator core stays pure (no I/O, no asyncio, no faust, no wall clock),
and the operator tools never load a faust shell.

Walks the modules of `incidentbus.correlator.domain` and every `incidentbus` module they reach,
and fails on a forbidden import or a wall-clock call; then walks `incidentbus.ops` and
`incidentbus.cli` (but not `cli.run`, which starts the services) and fails on any path to faust
or to a shell module: replay, correlate and the reading tools share the engine edge, not the
shell. Run by `make lint` in CI.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]  # services/
CORE = "incidentbus.correlator.domain"
FORBIDDEN = {
    "asyncio",
    "faust",
    "mode",
    "aiokafka",
    "os",
    "time",
    "socket",
    "random",
    "secrets",
    "threading",
    "subprocess",
    "aiohttp",
    "requests",
    "multiprocessing",
    "signal",
    "shutil",
    "tempfile",
}
SHELLS = (
    "incidentbus.kernel.faust_shell",
    "incidentbus.kernel.faust_consumer",
    "incidentbus.correlator.service",
    "incidentbus.correlator.runtime",
    "incidentbus.agencies.service",
)
TOOLS = ("incidentbus.ops", "incidentbus.cli")
SHELL_STARTERS = {"incidentbus.cli.run"}  # `incidentbus run <service>` starts a shell, lazily
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("datetime", "today")}


def module_path(name: str, root: Path = SOURCE) -> Path | None:
    base = root / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(tree: ast.AST, module: str) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(module.split(".")[: -node.level] + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _clock_calls(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        name = node.value.id if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) else ""
        if name and (name, node.attr) in WALL_CLOCK:  # type: ignore[attr-defined]
            yield f"{name}.{node.attr}"  # type: ignore[attr-defined]


def _modules(root: Path, package: str) -> list[str]:
    return [
        p.relative_to(root).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
        for p in sorted((root / Path(*package.split("."))).rglob("*.py"))
    ]


def _walk(
    root: Path, start: list[str], follow: Callable[[str], bool]
) -> Iterator[tuple[str, ast.AST, set[str]]]:
    """Each `incidentbus` module reachable from `start` through imports `follow` accepts, once:
    (module, its tree, the names it imports)."""
    pending, done = list(start), set[str]()
    while pending:
        module = pending.pop()
        path = module_path(module, root)
        if module in done or path is None:
            continue
        done.add(module)
        tree = ast.parse(path.read_text("utf-8"))
        names = set(_imports(tree, module))
        yield module, tree, names
        pending.extend(
            n
            for n in names
            if n.startswith("incidentbus.") and not n.startswith("incidentbus.v1") and follow(n)
        )


def shell_violations(root: Path = SOURCE, tools: tuple[str, ...] = TOOLS) -> list[str]:
    """Every path from an operator tool to faust or a shell module, as `module: imports name`."""
    start = [m for package in tools for m in _modules(root, package) if m not in SHELL_STARTERS]
    problems = [
        f"{module}: imports {name} (a faust shell)"
        for module, _, names in _walk(
            root, start, lambda n: not n.startswith(SHELLS) and n not in SHELL_STARTERS
        )
        for name in names
        if name.split(".")[0] in ("faust", "mode") or name.startswith(SHELLS)
    ]
    return sorted(set(problems))


def violations(root: Path = SOURCE, core: str = CORE) -> list[str]:
    """Every forbidden import or wall-clock call reachable from the core, as `module: problem`."""
    problems: list[str] = []
    for module, tree, names in _walk(root, _modules(root, core), lambda _: True):
        problems.extend(f"{module}: imports {name}" for name in names if name.split(".")[0] in FORBIDDEN)
        problems.extend(f"{module}: calls {call} (wall clock)" for call in _clock_calls(tree))
    return sorted(set(problems))


def main() -> int:
    problems = violations() + shell_violations()
    for problem in problems:
        print(f"import rule: {problem}", file=sys.stderr)
    if not problems:
        print(f"import rule: {CORE} and everything it reaches is pure; ops/ and cli/ load no faust shell")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
