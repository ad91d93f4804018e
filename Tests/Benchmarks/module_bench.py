#!/usr/bin/env python3
"""Benchmark for native modules (issue 5): scanning, warm start and in-process hook calls.

Generates N C modules (default 200) by compiling one source with different names (-D flags), puts them in one
plugin folder, and prints:
  - cold scan: the scanner child (`kernel __scan-modules`) over all N modules in one process: total and per
    module (target <= 150 us per module in batch); and `kernel modules list` after `kernel modules rescan`
    (spawns the scanner, stores the verdicts);
  - warm start: `kernel modules list --json` again, nothing changed (verdicts from the cache) next to the stat
    floor (a C program stat-ing the N module files, a process like kernel), and the same without the plugin
    (the process's fixed cost); and in process (`kernel-bench modules-warm`): stat of the N files against
    stat + the cached verdicts (what decides that nothing is scanned), then decoding the results and parsing
    what they contribute; target <= 2x the stat floor. Every module's describe appends to a marker file, so
    the benchmark proves that the warm runs opened none;
  - an in-process native hook call: `kernel-bench native-hook` on the guard module (target <= 5 us).

Build first: swift build -c release --static-swift-stdlib --product kernel && \
  swift build -c release --static-swift-stdlib --product kernel-bench
Usage: Tests/Benchmarks/module_bench.py [--kernel PATH] [--modules N] [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MODULE_C = r"""
#include "kernel_module.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
static const kernel_module_descriptor d = KERNEL_MODULE_DESCRIPTOR(NAME, "1.0.0", KERNEL_TOOLCHAIN_C);
const kernel_module_descriptor *kernel_module_describe(void) {
    int fd = open(MARKER, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) { (void)!write(fd, "x", 1); close(fd); }
    return &d;
}
static int handler(const char *e, const uint8_t *in, size_t n, kernel_sink *out, kernel_sink *err, void *u) {
    (void)e; (void)in; (void)n; (void)out; (void)err; (void)u; return 0;
}
int kernel_module_register(const kernel_host *host) {
    const char *cmd = "{\"name\": \"" NAME "\", \"description\": \"bench\", \"body\": \"Hello.\"}";
    host->contribute(host->context, KERNEL_COMPONENT_COMMAND, cmd, strlen(cmd));
    return host->register_hook(host->context, "PreToolUse", "Bash", NAME, handler, 0, KERNEL_HOOK_THREAD_SAFE);
}
"""

FLOOR_C = r"""
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
int main(int argc, char **argv) {
    FILE *list = fopen(argv[1], "r");
    static char path[4096];
    long n = 0;
    struct stat st;
    while (fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = 0;
        if (stat(path, &st) != 0) return 3;
        n++;
    }
    printf("%ld\n", n);
    return 0;
}
"""


def timed(cmd, env, runs, **kw):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=str(ROOT / ".build/release/kernel"))
    ap.add_argument("--modules", type=int, default=200)
    ap.add_argument("--runs", type=int, default=7)
    opts = ap.parse_args()
    kernel = opts.kernel
    bench = str(Path(kernel).with_name("kernel-bench"))  # beside kernel: it finds the scanner there
    n = opts.modules

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        marker = tmp / "opened"
        plugin = tmp / "bench-plugin"
        (plugin / "modules").mkdir(parents=True)
        (tmp / "m.c").write_text(MODULE_C)

        def build(i):
            name = f"bench{i:03d}"
            subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-I", str(ROOT / "Kernel/ABI"), f'-DNAME="{name}"',
                            f'-DMARKER="{marker}"', "-o", str(plugin / "modules" / f"{name}.so"), str(tmp / "m.c")],
                           check=True)
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(build, range(n)))
        print(f"built {n} modules in {time.perf_counter() - t:.1f} s")
        paths = sorted(str(p) for p in (plugin / "modules").glob("*.so"))
        (tmp / "files.txt").write_text("\n".join(paths) + "\n")
        subprocess.run(["cc", "-O2", "-o", str(tmp / "floor"), "-x", "c", "-"], input=FLOOR_C.encode(), check=True)

        env = dict(os.environ, QODER_HOME=str(tmp / "home"), KERNEL_BUILTIN_MODULES="")
        # 1. The scanner child alone: all modules in one process, replies to fd 3 (/dev/null here).
        args = [kernel, "__scan-modules"]
        for p in paths:
            args += [p, "bench-plugin", str(plugin), ""]
        os.dup2(os.open(os.devnull, os.O_WRONLY), 3)
        samples = []
        for _ in range(opts.runs):
            t = time.perf_counter()
            subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           pass_fds=(3,))
            samples.append(time.perf_counter() - t)
        scan = statistics.median(samples)
        empty = timed([kernel, "__scan-modules"], env, opts.runs)

        # 2. kernel modules list: cold (rescan first) and warm.
        listing = [kernel, "modules", "list", "--json", "--plugin-dir", str(plugin)]
        cold_samples = []
        for _ in range(opts.runs):
            subprocess.run([kernel, "modules", "rescan"], env=env, check=True, stdout=subprocess.DEVNULL)
            t = time.perf_counter()
            subprocess.run(listing, env=env, check=True, stdout=subprocess.DEVNULL)
            cold_samples.append(time.perf_counter() - t)
        cold = statistics.median(cold_samples)
        out = subprocess.run(listing, env=env, check=True, capture_output=True, text=True).stdout
        assert out.count('"state": "ok"') == n, "every module should scan ok"
        opened_before = marker.stat().st_size
        warm = timed(listing, env, opts.runs)
        opened_after = marker.stat().st_size
        stat_floor = timed([str(tmp / "floor"), str(tmp / "files.txt")], env, opts.runs)
        empty_listing = timed([kernel, "modules", "list", "--json"], env, opts.runs)
        inproc = subprocess.run([bench, "modules-warm", str(tmp / "home")] + paths, env=env, check=True,
                                capture_output=True, text=True).stdout.strip()

        # 3. In-process native hook calls (the guard module).
        guard = tmp / "guard.so"
        subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-I", str(ROOT / "Kernel/ABI"), "-o", str(guard),
                        str(ROOT / "Plugins/guard/src/guard.c")], check=True)
        hook = subprocess.run([bench, "native-hook", str(guard), "1000000"], env=env, check=True,
                              capture_output=True, text=True).stdout.strip()

        per_module = (scan - empty) / n * 1e6
        print(f"\n{n} modules (median of {opts.runs} runs; {kernel})")
        print(f"cold scan, scanner child:  {scan*1000:7.1f} ms total, {scan/n*1e6:6.1f} us per module "
              f"({per_module:.1f} us without the child's start, {empty*1000:.1f} ms)   target <= 150 us per module")
        print(f"cold `modules list`:       {cold*1000:7.1f} ms (scan + store {n} verdicts + list)")
        print(f"warm `modules list`:       {warm*1000:7.1f} ms; stat floor {stat_floor*1000:.1f} ms; "
              f"ratio {warm/stat_floor:.2f}x   target <= 2x")
        print(f"  the same command without the plugin: {empty_listing*1000:.1f} ms: the modules add "
              f"{(warm-empty_listing)*1000:.1f} ms ({(warm-empty_listing)/n*1e6:.1f} us per module)")
        print(f"warm path in process:      {inproc}   target <= 2x")
        print(f"modules opened by the {opts.runs} warm runs: {opened_after - opened_before} (describe writes a marker)")
        print(f"native hook (guard, in process): {hook.replace(chr(10), '; ')}   target <= 5 us per call")


if __name__ == "__main__":
    main()
