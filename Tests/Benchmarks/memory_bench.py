#!/usr/bin/env python3
"""Benchmark for static memory (issue 16): `kernel memory show` for a working directory 10 levels deep in a git
repository holding 1,000 rule files, and the in-process on-demand walk for one accessed file.

The tree: repo/.git, levels repo/l1/…/l10 (the working directory is l10), each of the ten folders from repo to
l9 with an AGENTS.md and .qoder/rules holding 100 rules (50 always-on, 20 file-scoped — 10 of them matching the
accessed file —, 20 model-decision, 10 manual; a third of them with an @-free paragraph of text), plus l10/src/deep/x.ts as the accessed file.
Prints, as medians over --runs:
  - `kernel memory show --json --no-content --cwd l10`, whole process, warm (files in the page cache);
  - the kernel's start floor on the same machine: `kernel memory show` in an empty folder outside any repo;
  - the in-process start and on-demand figures from `kernel-memory-bench`.
Targets: memory show <= 20 ms whole process; on-demand query <= 1 ms in process.

Usage: Tests/Benchmarks/memory_bench.py [--kernel PATH] [--bench PATH] [--runs N]
Build first: swift build -c release --static-swift-stdlib --product kernel --product kernel-memory-bench
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RULE_KINDS = (["---\ntrigger: always_on\n---\n"] * 50 + ["---\npaths:\n  - \"**/*.ts\"\n---\n"] * 10
              + ["---\npaths:\n  - \"src/**/*.md\"\n  - \"docs/*.md\"\n---\n"] * 10
              + ["---\ntrigger: model_decision\ndescription: Read when touching module {i}\n---\n"] * 20
              + ["---\ntrigger: manual\n---\n"] * 10)


def make_tree(root: Path) -> tuple[Path, Path, Path]:
    repo = root / "repo"
    (repo / ".git").mkdir(parents=True)
    level = repo
    count = 0
    for depth in range(10):
        (level / "AGENTS.md").write_text(f"# Level {depth}\nBuild with make; test with make test.\n")
        rules = level / ".qoder" / "rules"
        rules.mkdir(parents=True)
        for i, head in enumerate(RULE_KINDS):
            body = f"Rule {depth}-{i}: keep functions small.\n"
            if i % 3 == 0:
                body += "Explain the why in comments, not the what. " * 3 + "\n"
            (rules / f"rule-{i:03d}.md").write_text(head.replace("{i}", str(i)) + body)
            count += 1
        level = level / f"l{depth + 1}"
        level.mkdir()
    assert count == 1000
    (level / "src" / "deep").mkdir(parents=True)
    accessed = level / "src" / "deep" / "x.ts"
    accessed.write_text("export {}\n")
    return repo, level, accessed


def median_ms(cmd, env, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=str(ROOT / ".build/release/kernel"))
    ap.add_argument("--bench", default=str(ROOT / ".build/release/kernel-memory-bench"))
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        repo, cwd, accessed = make_tree(tmp)
        home = tmp / "home"
        home.mkdir()
        empty = tmp / "empty"
        empty.mkdir()
        env = dict(os.environ, QODER_HOME=str(home))
        subprocess.run([a.kernel, "trust", str(cwd)], env=env, check=True, stdout=subprocess.DEVNULL)
        show = [a.kernel, "memory", "show", "--json", "--no-content", "--cwd", str(cwd)]
        out = subprocess.run(show, env=env, check=True, capture_output=True, text=True).stdout
        items = out.count('"loadReason"')
        for _ in range(5):
            subprocess.run(show, env=env, stdout=subprocess.DEVNULL, check=True)
        warm = median_ms(show, env, a.runs)
        floor = median_ms([a.kernel, "memory", "show", "--json", "--cwd", str(empty)], env, a.runs)
        print(f"memory show --json, cwd 10 levels deep, 1,000 rule files ({items} items injected), warm: {warm:.1f} ms "
              f"(target <= 20 ms); kernel start floor (empty folder): {floor:.1f} ms; ratio {warm / floor:.2f}x")
        bench = subprocess.run([a.bench, str(cwd), str(home), str(accessed), "200"], check=True, capture_output=True, text=True)
        print(bench.stdout.strip())
        print("target: on-demand query for one accessed file <= 1 ms (1000 us) in process")


if __name__ == "__main__":
    main()
