"""Build the shipped store: ``python -m adminapp.plugins.store.build``.

Each ``adminapp/plugins/store/src/<id>/`` (a plugin: plugin.json at its top, validated as an
install would) is zipped deterministically — sorted entries, fixed timestamps and modes, no
__pycache__ — into ``<id>-<version>.zip`` beside this file, and ``index.json`` lists them
with their sha256. The same sources always give the same bytes, so the committed index can
be checked against a rebuild (``--check``: exit 1 when they differ, nothing written).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from adminapp.plugins import archives, manifest
from adminapp.plugins.store import INDEX_NAME

STORE = Path(__file__).resolve().parent
SRC = STORE / "src"


class BuildError(Exception):
    pass


def plugin_dirs(src: Path) -> list[Path]:
    if not src.is_dir():
        return []
    return sorted(p for p in src.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def build(src: Path = SRC, out: Path = STORE) -> dict:
    """Zip every plugin of ``src`` into ``out`` and write ``out/index.json``; the index.
    Archives of ``out`` no plugin of ``src`` makes any more are removed."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for directory in plugin_dirs(src):
        try:
            m = manifest.load(directory)
        except manifest.ManifestInvalid as exc:
            raise BuildError(f"{directory.name}: {exc.message}") from None
        if m.id != directory.name:
            raise BuildError(f"{directory.name}: its plugin.json says id {m.id!r}")
        name = f"{m.id}-{m.version}.zip"
        sha = archives.deterministic_zip(directory, out / name)
        entries.append(
            {
                "id": m.id,
                "version": m.version,
                "archive": name,
                "sha256": sha,
                "size": (out / name).stat().st_size,
                "meta": m.meta.model_dump(mode="json", by_alias=True),
            }
        )
    keep = {e["archive"] for e in entries}
    for stale in out.glob("*.zip"):
        if stale.name not in keep:
            stale.unlink()
    index = {"plugins": entries}
    (out / INDEX_NAME).write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n")
    return index


def differences(src: Path = SRC, store: Path = STORE) -> list[str]:
    """What a rebuild of ``src`` would change in ``store`` (index and archives)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        build(src, fresh)
        wanted = {p.name: p.read_bytes() for p in fresh.iterdir()}
    have = {p.name: p.read_bytes() for p in store.glob("*.zip")}
    index = store / INDEX_NAME
    if index.is_file():
        have[INDEX_NAME] = index.read_bytes()
    return sorted(name for name in set(wanted) | set(have) if wanted.get(name) != have.get(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    parser.add_argument("--src", type=Path, default=SRC)
    parser.add_argument("--out", type=Path, default=STORE)
    args = parser.parse_args(argv)
    try:
        if args.check:
            changed = differences(args.src, args.out)
            if changed:
                print("out of date: " + ", ".join(changed), file=sys.stderr)
                return 1
            print("the store matches its sources")
            return 0
        index = build(args.src, args.out)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for entry in index["plugins"]:
        print(f"{entry['archive']}  {entry['sha256']}")
    print(f"{len(index['plugins'])} plugins in {args.out / INDEX_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
