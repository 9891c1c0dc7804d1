"""VRM runtime benchmark: what our VRM support costs on top of Godot's own glTF import.

Prints, per file (the six real fixtures and both built-in avatars): the median time of
Godot's bare GLTFDocument import (append_from_file + generate_scene, our extension
unregistered) against VrmLoader.load (extension registered, avatar fully built), their
ratio, and the average/worst cost of one avatar frame with every spring chain active.
Both imports run in the same Godot process, alternating. Run: python bench/vrm_bench.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.avatar import DEFAULT_AVATAR_VERSIONS, default_avatar_path
from app.stage.inspect import run_godot_script
from app.stage.runtime import find_runtime
from tests.fixture_paths import real_fixtures_dir

__all__ = ["main"]

BENCH_SCRIPT = "res://scripts/vrm/bench.gd"


def default_files() -> list[Path]:
    fixtures = real_fixtures_dir()
    return [*sorted(fixtures.glob("*.vrm")),
            *(default_avatar_path(v) for v in DEFAULT_AVATAR_VERSIONS)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--frames", type=int, default=600)
    args = parser.parse_args(argv)
    files = args.files or default_files()
    report = run_godot_script(find_runtime(), BENCH_SCRIPT,
                              ["--repeat", str(args.repeat), "--frames", str(args.frames),
                               *(str(f.resolve()) for f in files)], timeout=900)
    print(f"VRM import: Godot bare glTF import vs VrmLoader.load (median of {report['repeat']}), "
          f"and one avatar frame ({report['frames']} frames at 60 fps)")
    print(f"{'file':32} {'bare ms':>8} {'vrm ms':>8} {'ratio':>6} {'+ms':>6} "
          f"{'chains':>6} {'joints':>6} {'frame us':>9} {'worst us':>9}")
    for row in report["files"]:
        print(f"{row['file']:32} {row['bareMs']:8.2f} {row['vrmMs']:8.2f} {row['ratio']:6.2f} "
              f"{row['vrmMs'] - row['bareMs']:6.2f} {row.get('springChains', 0):6d} "
              f"{row.get('springJoints', 0):6d} {row.get('frameUs', 0.0):9.1f} "
              f"{row.get('worstFrameUs', 0.0):9.1f}")
    rows = report["files"]
    total_bare = sum(r["bareMs"] for r in rows)
    total_vrm = sum(r["vrmMs"] for r in rows)
    print(f"{'all files':32} {total_bare:8.2f} {total_vrm:8.2f} {total_vrm / total_bare:6.2f} "
          f"{total_vrm - total_bare:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
