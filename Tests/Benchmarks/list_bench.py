#!/usr/bin/env python3
"""Benchmark for `kernel plugins list --json` on a synthetic tree (issue: scopes, settings, registry).

Generates plugins with 10 skills, 5 commands and 2 agents each, installs them with `kernel plugins install`
into a temporary QODER_HOME, and prints for 50, 100, 200 and 500 installed plugins (500 plugins = 5,000 skills,
2,500 commands, 1,000 agents):
  - cold: `kernel plugins list --json` after `kernel cache clear` (every plugin file read and parsed);
  - warm: the same again, nothing changed (served from the cache: stats, no parsing);
  - two floors measured on the same files by a small C program compiled here (a process, like kernel):
    stat of every component file, and reading every component file;
  - the ratios against the targets (warm <= 1.5x stat floor, cold <= 2x read floor) and the time per plugin.

Usage: Tests/Benchmarks/list_bench.py [--kernel PATH] [--runs N] [--sizes 50,100,200,500]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FLOOR_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int do_read = argc > 2 && strcmp(argv[2], "read") == 0;
    FILE *list = fopen(argv[1], "r");
    if (!list) return 2;
    static char path[4096], buf[1 << 16];
    long n = 0;
    while (fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = 0;
        if (do_read) {
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) return 3;
            while (read(fd, buf, sizeof buf) > 0) {}
            close(fd);
        } else {
            struct stat st;
            if (stat(path, &st) != 0) return 3;
        }
        n++;
    }
    printf("%ld\n", n);
    return 0;
}
"""


def make_plugin(dst: Path, i: int):
    name = f"bench-{i:04d}"
    (dst / ".qoder-plugin").mkdir(parents=True)
    (dst / ".qoder-plugin/plugin.json").write_text(
        f'{{"name": "{name}", "version": "1.0.{i}", "description": "Synthetic plugin {i} for the list benchmark."}}\n')
    body = "Follow these steps carefully.\n" * 8
    for s in range(10):
        d = dst / "skills" / f"skill-{s}"
        d.mkdir(parents=True)
        (d / "SKILL.md").write_text(
            f"---\nname: skill-{s}\ndescription: Synthetic skill {s} of plugin {i}. Use when benchmarking how fast "
            f"listings are.\nlicense: MIT\n---\n\n# Skill {s}\n\n{body}")
    (dst / "commands").mkdir()
    for c in range(5):
        (dst / "commands" / f"cmd-{c}.md").write_text(
            f"---\ndescription: Synthetic command {c}\nargument-hint: \"[target]\"\n---\nDo task {c} on $ARGUMENTS.\n{body}")
    (dst / "agents").mkdir()
    for a in range(2):
        (dst / "agents" / f"agent-{a}.md").write_text(
            f"---\nname: agent-{i}-{a}\ndescription: Synthetic agent {a} of plugin {i}.\ntools: Read, Grep\n---\n"
            f"You are agent {a}.\n{body}")
    return name


def timed(cmd, env, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed: {proc.stderr.decode()}")
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=str(ROOT / ".build/release/kernel"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sizes", default="50,100,200,500")
    opts = ap.parse_args()
    kernel = opts.kernel
    if not os.access(kernel, os.X_OK):
        sys.exit(f"no kernel binary at {kernel}: run `swift build -c release --static-swift-stdlib` first")
    sizes = [int(s) for s in opts.sizes.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor = tmp / "floor"
        (tmp / "floor.c").write_text(FLOOR_C)
        subprocess.run(["cc", "-O2", "-o", str(floor), str(tmp / "floor.c")], check=True)
        home, project, src = tmp / "home", tmp / "project", tmp / "src"
        (project / ".git").mkdir(parents=True)
        env = dict(os.environ, QODER_HOME=str(home))
        env.pop("HOME", None)
        env["HOME"] = str(tmp)
        installed = 0
        print(f"{'plugins':>7} {'files':>6} {'stat floor':>11} {'read floor':>11} {'cold':>9} {'warm':>9} "
              f"{'warm/stat':>9} {'cold/read':>9} {'cold/plugin':>11} {'warm/plugin':>11}")
        results = []
        for size in sizes:
            while installed < size:
                d = src / f"p{installed:04d}"
                make_plugin(d, installed)
                subprocess.run([kernel, "plugins", "install", str(d)], env=env, cwd=project, check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                installed += 1
            files = sorted(str(p) for p in (home / "plugins/cache").rglob("*.md"))
            files += sorted(str(p) for p in (home / "plugins/cache").rglob("plugin.json"))
            (tmp / "files.txt").write_text("\n".join(files) + "\n")
            stat_floor = timed([str(floor), str(tmp / "files.txt"), "stat"], env, opts.runs)
            read_floor = timed([str(floor), str(tmp / "files.txt"), "read"], env, opts.runs)
            listing = [kernel, "plugins", "list", "--json"]
            colds = []
            for _ in range(opts.runs):
                subprocess.run([kernel, "cache", "clear"], env=env, cwd=project, check=True, stdout=subprocess.DEVNULL)
                colds.append(timed(listing, env | {"PWD": str(project)}, 1))
            cold = statistics.median(colds)
            subprocess.run(listing, env=env, cwd=project, check=True, stdout=subprocess.DEVNULL)
            warm = timed(listing, env, opts.runs)
            results.append((size, cold, warm))
            print(f"{size:>7} {len(files):>6} {stat_floor*1000:>9.1f}ms {read_floor*1000:>9.1f}ms "
                  f"{cold*1000:>7.1f}ms {warm*1000:>7.1f}ms {warm/stat_floor:>8.2f}x {cold/read_floor:>8.2f}x "
                  f"{cold/size*1000:>9.3f}ms {warm/size*1000:>9.3f}ms")
        size, cold, warm = results[-1]
        print(f"\ntargets at {size} plugins: warm <= 1.5x stat floor, cold <= 2x read floor (ratios above);")
        if len(results) > 1:
            small = results[0]
            print(f"growth {small[0]} -> {size} plugins ({size/small[0]:.0f}x): cold {cold/small[1]:.1f}x, "
                  f"warm {warm/small[2]:.1f}x (linear = {size/small[0]:.0f}x; fixed start-up cost makes it less)")
            # Linear means a constant cost per added plugin: the slope between successive sizes.
            slopes = [((b[1] - a[1]) / (b[0] - a[0]) * 1000, (b[2] - a[2]) / (b[0] - a[0]) * 1000)
                      for a, b in zip(results, results[1:])]
            print("cost per added plugin between successive sizes: cold "
                  + ", ".join(f"{c:.3f}" for c, _ in slopes) + " ms; warm "
                  + ", ".join(f"{w:.3f}" for _, w in slopes) + " ms")


if __name__ == "__main__":
    main()
