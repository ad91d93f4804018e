#!/usr/bin/env python3
"""Benchmark for team plugin sets (issue 12): `kernel plugins sync` of a 50-plugin project set.

A local git marketplace (file://) lists 50 small plugins (a command, a skill, an executable); a project declares
all of them (`extraKnownMarketplaces`, `enabledPlugins`) and is trusted. Prints, each the median of several runs:
  1. cold: `plugins sync` in a fresh home with the committed lock (clone the marketplace, install 50 plugins,
     each checked against its locked tree hash);
  2. no-op: `plugins sync` when already in sync, as a whole process (target <= 50 ms), next to
     `plugins list --json` in the same home and `kernel --version` (the process start), with the ratios;
  3. no-op `plugins sync --frozen` (re-hashes every installed tree).

Usage: Tests/Benchmarks/sync_bench.py [--kernel PATH] [--runs N] [--plugins N]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(cmd, env, cwd, check=True):
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if check and r.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{r.stdout.decode()[-2000:]}{r.stderr.decode()[-2000:]}")
    return dt, r.stdout.decode()


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=str(ROOT / ".build/release/kernel"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--plugins", type=int, default=50)
    a = ap.parse_args()
    kernel = a.kernel
    if not Path(kernel).exists():
        sys.exit(f"no kernel at {kernel}: swift build -c release --product kernel")
    work = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    mkt = work / "mkt"
    (mkt / ".qoder-plugin").mkdir(parents=True)
    entries = []
    for i in range(a.plugins):
        name = f"p{i:03d}"
        root = mkt / "plugins" / name
        (root / "commands").mkdir(parents=True)
        (root / "commands" / f"{name}.md").write_text(f"---\ndescription: command {i}\n---\n# {name}\n")
        (root / "skills" / name).mkdir(parents=True)
        (root / "skills" / name / "SKILL.md").write_text(f"---\nname: {name}\ndescription: skill {i}\n---\nBody {i}\n")
        (root / "bin").mkdir()
        (root / "bin" / f"run-{name}").write_text("#!/bin/sh\necho hi\n")
        os.chmod(root / "bin" / f"run-{name}", 0o755)
        entries.append({"name": name, "version": "1.0.0", "source": f"./plugins/{name}"})
    (mkt / ".qoder-plugin" / "marketplace.json").write_text(json.dumps({"name": "team", "owner": {"name": "Bench"}, "plugins": entries}))
    subprocess.run(["git", "init", "-q", "-b", "main", str(mkt)], check=True)
    git(mkt, "add", "-A")
    git(mkt, "commit", "-q", "-m", "v1")

    project = work / "project"
    (project / ".git").mkdir(parents=True)
    (project / ".qoder").mkdir()
    settings = {"extraKnownMarketplaces": {"team": {"source": {"source": "git", "url": f"file://{mkt}"}}},
                "enabledPlugins": {f"p{i:03d}@team": True for i in range(a.plugins)}}
    (project / ".qoder" / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")

    base = dict(os.environ, NO_COLOR="1", GIT_CONFIG_NOSYSTEM="1")
    homes = iter(range(10_000))

    def fresh():
        home = work / f"home-{next(homes)}"
        env = dict(base, QODER_HOME=str(home))
        run([kernel, "trust"], env, project)
        return env

    # The first teammate writes the lock.
    env0 = fresh()
    run([kernel, "plugins", "sync"], env0, project)
    assert (project / ".qoder" / "plugins.lock").exists()

    cold = []
    for _ in range(max(3, a.runs // 3)):
        env = fresh()
        dt, out = run([kernel, "plugins", "sync", "--json"], env, project)
        report = json.loads(out)
        assert sum(1 for x in report["actions"] if x["action"] == "install") == a.plugins, report["actions"][:3]
        cold.append(dt)
    env = fresh()
    run([kernel, "plugins", "sync"], env, project)
    noop, listing, frozen, start = [], [], [], []
    for _ in range(a.runs):
        dt, out = run([kernel, "plugins", "sync"], env, project)
        assert "already in sync" in out, out
        noop.append(dt)
        listing.append(run([kernel, "plugins", "list", "--json"], env, project)[0])
        frozen.append(run([kernel, "plugins", "sync", "--frozen"], env, project)[0])
        start.append(run([kernel, "--version"], env, project)[0])
    ms = lambda xs: statistics.median(xs) * 1000
    load = os.getloadavg()[0]
    print(f"plugins: {a.plugins}, kernel: {kernel}, load average: {load:.2f}")
    print(f"cold sync (clone + {a.plugins} installs, lock checked): {ms(cold):8.1f} ms")
    print(f"no-op sync:                                {ms(noop):8.1f} ms  (target <= 50 ms: {'met' if ms(noop) <= 50 else 'MISSED'})")
    print(f"no-op sync --frozen (re-hashes the trees): {ms(frozen):8.1f} ms")
    print(f"plugins list --json, same home:            {ms(listing):8.1f} ms  (no-op sync / list: {ms(noop) / ms(listing):.2f}x)")
    print(f"kernel --version (process start floor):    {ms(start):8.1f} ms  (no-op sync / start: {ms(noop) / ms(start):.2f}x)")


if __name__ == "__main__":
    main()
