#!/usr/bin/env python3
"""Side by side with the reference host (Qoder CLI 1.1.76): the same 100 installed plugins and the same plugin
folder, each tool's whole process timed (start-up included), medians.

  - `plugins list --json` with 100 installed plugins (10 skills, 5 commands, 2 agents each; installed with
    `kernel plugins install`, and recorded in `plugins/installed_plugins_v2.json` the way the reference host
    records its own installs, so both list the same copies); kernel warm (its cache filled by a first run);
  - `plugins validate` of one plugin folder.
Targets: list >= 40x faster, validate >= 50x faster.

The reference host runs with no network and a scratch home: HOME=<tmp> unshare -rn qodercli ...

Usage: Tests/Benchmarks/host_bench.py [--kernel PATH] [--qodercli PATH] [--plugins N] [--runs N]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from list_bench import make_plugin  # noqa: E402  (the same synthetic plugins)

ROOT = Path(__file__).resolve().parents[2]
QODERCLI = "/work/ref/qoder_agent_sdk/_bundled/qodercli"


def timed(cmd, env, runs, cwd):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[:500]}")
    return statistics.median(times), proc.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=str(ROOT / ".build/release/kernel"))
    ap.add_argument("--qodercli", default=QODERCLI)
    ap.add_argument("--plugins", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    opts = ap.parse_args()
    if not os.access(opts.kernel, os.X_OK):
        sys.exit(f"no kernel binary at {opts.kernel}: run `swift build -c release --static-swift-stdlib` first")
    if not os.access(opts.qodercli, os.X_OK):
        sys.exit(f"no reference host at {opts.qodercli}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        home = tmp / ".qoder"
        project = tmp / "project"
        (project / ".git").mkdir(parents=True)
        env = dict(os.environ, HOME=str(tmp), QODER_HOME=str(home))
        records = {}
        for i in range(opts.plugins):
            src = tmp / "src" / f"p{i:04d}"
            name = make_plugin(src, i)
            subprocess.run([opts.kernel, "plugins", "install", str(src)], env=env, cwd=project, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            records[f"{name}@local"] = [{
                "scope": "user", "installPath": str(home / "plugins/cache/local" / name / f"1.0.{i}"),
                "version": f"1.0.{i}", "installedAt": "2026-12-01T00:00:00.000Z"}]
        (home / "plugins/installed_plugins_v2.json").write_text(json.dumps({"version": 2, "plugins": records}))

        ref = ["unshare", "-rn", opts.qodercli]
        ref_list, out = timed(ref + ["plugins", "list", "--json"], env, opts.runs, project)
        listed = len(json.loads(out.decode() or "[]"))
        subprocess.run([opts.kernel, "plugins", "list", "--json"], env=env, cwd=project, check=True,
                       stdout=subprocess.DEVNULL)
        kernel_list, out = timed([opts.kernel, "plugins", "list", "--json"], env, opts.runs * 3, project)
        kernel_listed = len(json.loads(out.decode()))

        one = tmp / "src" / "p0000"
        ref_validate, _ = timed(ref + ["plugins", "validate", str(one)], env, opts.runs, project)
        kernel_validate, _ = timed([opts.kernel, "plugins", "validate", str(one)], env, opts.runs * 3, project)

        print(f"{'work':<44} {'qodercli':>10} {'kernel':>10} {'ratio':>8} {'target':>8}")
        print(f"{f'plugins list --json, {opts.plugins} installed':<44} {ref_list*1000:>8.0f}ms {kernel_list*1000:>8.1f}ms "
              f"{ref_list/kernel_list:>7.1f}x {'>= 40x':>8}   (listed: {listed} and {kernel_listed})")
        print(f"{'plugins validate <one plugin>':<44} {ref_validate*1000:>8.0f}ms {kernel_validate*1000:>8.1f}ms "
              f"{ref_validate/kernel_validate:>7.1f}x {'>= 50x':>8}")


if __name__ == "__main__":
    main()
