#!/usr/bin/env python3
"""Kernel next to the reference host (Qoder CLI) on the same machine: `mcp add`, `mcp list`, `skills list`,
`agents list` and `skills install` (of `Plugins/hello-world/skills/greet`, replacing it after the first run), each
a whole process, in a scratch home with `Plugins/hello-world` installed by each tool.

Prints the median of N runs for each tool and the ratio (reference / kernel). The reference runs offline
(`unshare -rn`) with HOME set to a scratch folder; Kernel with QODER_HOME set to its own scratch folder.

Usage: Tests/Benchmarks/parity_bench.py [--kernel .build/release/kernel]
           [--qodercli /work/ref/qoder_agent_sdk/_bundled/qodercli] [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def timed(argv, env, cwd):
    start = time.perf_counter()
    r = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(argv)}")
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=str(ROOT / ".build/release/kernel"))
    ap.add_argument("--qodercli", default="/work/ref/qoder_agent_sdk/_bundled/qodercli")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()

    plugin = str(ROOT / "Plugins/hello-world")
    skill = str(ROOT / "Plugins/hello-world/skills/greet")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # One project per tool: each adds the same server names.
        kproject, rproject = tmp / "kernel-project", tmp / "ref-project"
        for p in (kproject, rproject):
            (p / ".git").mkdir(parents=True)
        kernel_home = tmp / "kernel-home"
        ref_home = tmp / "ref-home"
        ref_home.mkdir()
        kenv = dict(os.environ, QODER_HOME=str(kernel_home), NO_COLOR="1")
        renv = dict(os.environ, HOME=str(ref_home), NO_COLOR="1")
        kernel = [str(Path(a.kernel).resolve())]
        ref = ["unshare", "-rn", a.qodercli]
        timed(kernel + ["plugins", "install", plugin], kenv, kproject)
        timed(ref + ["plugins", "install", plugin], renv, rproject)

        work = [
            ("mcp add", lambda i: ["mcp", "add", f"server{i}", "--", "npx", "-y", "pkg"]),
            ("mcp list", lambda i: ["mcp", "list"]),
            ("skills list", lambda i: ["skills", "list"]),
            ("agents list", lambda i: ["agents", "list"]),
            ("skills install", lambda i: ["skills", "install", skill, "--consent"]),
        ]
        print(f"{'work':<14} {'kernel':>10} {'qodercli':>10} {'ratio':>8}")
        for name, args in work:
            k = statistics.median(timed(kernel + args(i), kenv, kproject) for i in range(a.runs))
            r = statistics.median(timed(ref + args(i), renv, rproject) for i in range(a.runs))
            print(f"{name:<14} {k * 1000:>8.1f}ms {r * 1000:>8.0f}ms {r / k:>7.0f}x")


if __name__ == "__main__":
    main()
