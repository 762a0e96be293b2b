"""Generate the Python code for proto/ (one command: `make proto`); `--check` fails if it is stale.

The generator is grpcio-tools' bundled protoc at a pinned version, so the output is
reproducible byte for byte; CI regenerates into a temporary folder and compares.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROTO = ROOT / "proto"
OUT = ROOT / "services"
GENERATED = OUT / "incidentbus" / "v1"


def generate(out: Path) -> None:
    """Run protoc over every .proto file into `out` (a source root)."""
    import grpc_tools
    from grpc_tools import protoc

    includes = Path(grpc_tools.__file__).parent / "_proto"
    files = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    args = ["protoc", f"-I{PROTO}", f"-I{includes}", f"--python_out={out}", f"--pyi_out={out}", *files]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    (out / "incidentbus" / "v1" / "__init__.py").write_text(
        '"""Generated from proto/incidentbus/v1. Do not edit."""\n'
    )


def stale_files(fresh: Path) -> list[str]:
    """Files whose committed copy differs from a fresh generation (or is missing or extra)."""
    new, old = fresh / "incidentbus" / "v1", GENERATED
    names = {p.name for p in new.iterdir()} | {p.name for p in old.glob("*") if p.is_file()}
    return sorted(
        n
        for n in names
        if n != "__pycache__"
        and not ((new / n).exists() and (old / n).exists() and filecmp.cmp(new / n, old / n, shallow=False))
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if committed code is stale")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        stale = stale_files(Path(tmp))
        if args.check:
            if stale:
                print(f"generated code is stale: {', '.join(stale)}; run `make proto`", file=sys.stderr)
                return 1
            print("generated code is up to date")
            return 0
        shutil.rmtree(GENERATED, ignore_errors=True)
        shutil.copytree(Path(tmp) / "incidentbus" / "v1", GENERATED)
    print(f"generated {GENERATED.relative_to(ROOT)} ({len(stale)} file(s) changed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
