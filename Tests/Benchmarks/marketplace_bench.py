#!/usr/bin/env python3
"""Benchmark for marketplaces (issue 11), side by side with the reference host when it is present.

Prints, each a median of several runs in fresh scratch homes:
  1. on the corpus's official marketplace (286 entries) as a folder (the reference host refuses file:// URLs):
     `plugins marketplace add DIR`, `plugins install NAME@MKT`, `plugins list --available --json`,
     `plugins marketplace update`, `plugins update NAME` — Kernel and Qoder CLI, and the ratio (target >= 10x);
     Kernel's `marketplace add file://…` of the same tree as a git repository (a real clone), for reference;
  2. a generated 20,000-entry marketplace.json: `marketplace update` after one entry changed (only that row is
     rewritten; target <= 1 s), and `plugins search WORD` over it as a whole process, median of 50 runs each
     (target <= 20 ms), beside the start of the same binary (`kernel --version`);
  3. `install` of a 1,000-file plugin from a local marketplace against `cp -r` of it plus `plugins validate`
     (target <= 1.5x).

The machine's load (`uptime`) is printed first: compare figures taken in one run, as ratios, on a loaded machine.

Usage: Tests/Benchmarks/marketplace_bench.py [--kernel PATH] [--qodercli PATH] [--runs N] [--ref-runs N]
                                             [--search-runs N] [--only-big]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared/corpus/claude-plugins-official"
QODERCLI = Path("/work/ref/qoder_agent_sdk/_bundled/qodercli")


def timed(cmd, env, cwd=None, check=True):
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if check and r.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{r.stdout.decode()[-2000:]}{r.stderr.decode()[-2000:]}")
    return dt


class Host:
    """One tool run in scratch homes: Kernel (QODER_HOME) or the reference host (HOME, no network)."""

    def __init__(self, name, exe, work):
        self.name, self.exe, self.work = name, exe, work
        self.count = 0

    def fresh(self):
        self.count += 1
        home = self.work / f"{self.name}-home-{self.count}"
        home.mkdir(parents=True)
        return home

    def env(self, home):
        env = dict(os.environ)
        if self.name == "kernel":
            env["QODER_HOME"] = str(home / ".qoder")
        else:
            env["HOME"] = str(home)
        env["NO_COLOR"] = "1"
        return env

    def cmd(self, args):
        if self.name == "kernel":
            return [str(self.exe)] + args
        return ["unshare", "-rn", str(self.exe)] + args

    def run(self, home, args, check=True):
        return timed(self.cmd(args), self.env(home), cwd=str(home), check=check)


def median_ms(samples):
    return statistics.median(samples) * 1000


def side_by_side(hosts, mkt_dir, plugin, runs, ref_runs):
    results = {}
    for host in hosts:
        n = runs if host.name == "kernel" else ref_runs
        add, install, available, mupdate, pupdate = [], [], [], [], []
        for _ in range(n):
            home = host.fresh()
            add.append(host.run(home, ["plugins", "marketplace", "add", str(mkt_dir)]))
            install.append(host.run(home, ["plugins", "install", f"{plugin}@claude-plugins-official"]))
            available.append(host.run(home, ["plugins", "list", "--available", "--json"]))
            mupdate.append(host.run(home, ["plugins", "marketplace", "update", "claude-plugins-official"]))
            pupdate.append(host.run(home, ["plugins", "update", plugin]))
        results[host.name] = {
            "marketplace add": median_ms(add), f"install {plugin}@mkt": median_ms(install),
            "list --available --json": median_ms(available), "marketplace update": median_ms(mupdate),
            f"update {plugin}": median_ms(pupdate),
        }
    return results


def git_repo(src, dst):
    shutil.copytree(src, dst)
    subprocess.run(["chmod", "-R", "u+w", str(dst)], check=True)
    g = ["git", "-C", str(dst), "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run(g + ["init", "-q"], check=True)
    subprocess.run(g + ["add", "-A"], check=True)
    subprocess.run(g + ["commit", "-q", "-m", "corpus"], check=True)


def big_marketplace(dst, n, version="1.0.0"):
    (dst / ".claude-plugin").mkdir(parents=True, exist_ok=True)
    words = ["formatter", "linter", "deploy", "database", "review", "security", "testing", "docs", "cloud", "git"]
    plugins = [{
        "name": f"plugin-{i:05d}", "version": version if i == 0 else "1.0.0",
        "description": f"Synthetic plugin {i}: helps with {words[i % 10]} and {words[(i * 7) % 10]} tasks.",
        "keywords": [words[(i * 3) % 10], f"k{i % 97}"], "category": words[i % 10],
        "source": {"source": "github", "repo": f"owner{i % 50}/plugin-{i:05d}"},
    } for i in range(n)]
    (dst / ".claude-plugin/marketplace.json").write_text(json.dumps(
        {"name": "big", "owner": {"name": "Bench"}, "plugins": plugins}, indent=1))


def big_bench(kh, work, args):
    print("2. generated 20,000-entry marketplace.json (folder source)")
    big = work / "big"
    big_marketplace(big, 20000)
    home = kh.fresh()
    add = kh.run(home, ["plugins", "marketplace", "add", str(big)])
    updates = []
    for i in range(args.runs):
        big_marketplace(big, 20000, version=f"1.0.{i + 1}")
        updates.append(kh.run(home, ["plugins", "marketplace", "update", "big"]))
    same = [kh.run(home, ["plugins", "marketplace", "update", "big"]) for _ in range(args.runs)]
    start = median_ms([kh.run(home, ["--version"]) for _ in range(args.search_runs)])
    searches = {w: median_ms([kh.run(home, ["plugins", "search", w, "--json"]) for _ in range(args.search_runs)])
                for w in ["formatter", "plugin-01234", "k42 cloud"]}
    print(f"   marketplace add: {add * 1000:.0f} ms; update (one entry changed, one row rewritten): "
          f"{median_ms(updates):.0f} ms (target <= 1000 ms); update, unchanged: {median_ms(same):.1f} ms")
    print(f"   kernel --version (the process start): {start:.1f} ms")
    for w, ms in searches.items():
        print(f"   plugins search '{w}' --json, whole process: {ms:.1f} ms (target <= 20 ms)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=str(ROOT / ".build/release/kernel"))
    ap.add_argument("--qodercli", default=str(QODERCLI))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--ref-runs", type=int, default=3)
    ap.add_argument("--search-runs", type=int, default=50)
    ap.add_argument("--only-big", action="store_true", help="only part 2 (the 20,000-entry marketplace)")
    args = ap.parse_args()
    kernel = Path(args.kernel)
    if not kernel.exists():
        sys.exit(f"no kernel binary at {kernel}: run `swift build -c release --static-swift-stdlib` first")
    if not CORPUS.exists():
        sys.exit(f"no corpus at {CORPUS}")
    work = Path(tempfile.mkdtemp(prefix="marketplace-bench-"))
    print("load:", subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True).stdout.strip())
    try:
        if args.only_big:
            big_bench(Host("kernel", kernel, work), work, args)
            return
        mkt = work / "claude-plugins-official"
        shutil.copytree(CORPUS, mkt)
        subprocess.run(["chmod", "-R", "u+w", str(mkt)], check=True)
        plugin = "commit-commands"
        hosts = [Host("kernel", kernel, work)]
        ref = Path(args.qodercli)
        if ref.exists():
            hosts.append(Host("qodercli", ref, work))
        else:
            print(f"(no reference host at {ref}: Kernel's figures only)")

        print(f"1. official marketplace of the corpus (286 entries, folder source), median of {args.runs} "
              f"(Kernel) / {args.ref_runs} (Qoder CLI) runs, fresh home each")
        res = side_by_side(hosts, mkt, plugin, args.runs, args.ref_runs)
        print(f"   {'work':34} {'kernel':>10} {'qodercli':>10} {'ratio':>8}  target")
        for key in res["kernel"]:
            k = res["kernel"][key]
            q = res.get("qodercli", {}).get(key)
            ratio = f"{q / k:7.1f}x" if q else "      -"
            print(f"   {key:34} {k:8.1f}ms {q if q else 0:8.0f}ms {ratio}  >= 10x")

        repo = work / "official-git"
        git_repo(CORPUS, repo)
        kh = hosts[0]
        clone = [kh.run(kh.fresh(), ["plugins", "marketplace", "add", f"file://{repo}"]) for _ in range(args.runs)]
        print(f"   kernel marketplace add file://… (git clone of the same tree): {median_ms(clone):.1f} ms")

        big_bench(kh, work, args)

        print("3. install of a 1,000-file plugin from a local marketplace")
        local = work / "local-mkt"
        p = local / "plugins/thousand"
        (p / ".claude-plugin").mkdir(parents=True)
        (p / ".claude-plugin/plugin.json").write_text('{"name": "thousand", "version": "1.0.0"}')
        (p / "commands").mkdir()
        (p / "commands/run.md").write_text("---\ndescription: Run\n---\nRun it.\n")
        for i in range(999):
            d = p / "assets" / f"d{i % 20:02d}"
            d.mkdir(parents=True, exist_ok=True)
            (d / f"f{i:04d}.txt").write_text(("asset line %d\n" % i) * 40)
        (local / ".claude-plugin").mkdir()
        (local / ".claude-plugin/marketplace.json").write_text(json.dumps(
            {"name": "local-mkt", "owner": {"name": "Bench"}, "plugins": [{"name": "thousand", "source": "./plugins/thousand"}]}))
        home = kh.fresh()
        kh.run(home, ["plugins", "marketplace", "add", str(local)])
        installs, floors = [], []
        for i in range(args.runs):
            installs.append(kh.run(home, ["plugins", "install", "thousand@local-mkt"]))
            kh.run(home, ["plugins", "uninstall", "thousand@local-mkt"])
            target = work / f"cp-{i}"
            t = time.perf_counter()
            subprocess.run(["cp", "-r", str(p), str(target)], check=True)
            cp = time.perf_counter() - t
            floors.append(cp + kh.run(home, ["plugins", "validate", str(target)]))
            shutil.rmtree(target)
        k, f = median_ms(installs), median_ms(floors)
        print(f"   install: {k:.1f} ms; cp -r + validate: {f:.1f} ms; ratio {k / f:.2f}x (target <= 1.5x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
