#!/usr/bin/env python3
"""MCP live benchmark (issue 13).

1. `kernel mcp list --probe --json` over 20 stdio servers (Tests/Fixtures/mcp/broken_server.py in `ok` mode, each
   with its own start-up delay, 0.05 s to 1.0 s, as real servers spend their start waiting on imports, npx, the
   network), against each server's own start-up (spawn to the answer to initialize, measured here by a bare
   client, one server at a time): the figure is the probe's wall time over the slowest server's start-up (target
   <= 1.2x), next to the sum of the start-ups (what probing one after the other would cost).
2. Per-call overhead: `kernel-mcp-bench calls N` (MCPSession.callTool in process) against the same `echo` calls made
   by a bare client over pipes (this script): the difference per call is the kernel's (target <= 5 ms).

    swift build --product kernel --product kernel-mcp-bench && python3 Tests/Benchmarks/mcp_bench.py
    KERNEL=.build/release/kernel BENCH=.build/release/kernel-mcp-bench python3 Tests/Benchmarks/mcp_bench.py

Environment: KERNEL, BENCH (default: .build/debug/...), SERVERS (20), CALLS (500), RUNS (5), PYFLAGS ("-I -S"),
SERVER_KIND (python, or sh: the probe's servers are Tests/Benchmarks/mcp_sh_server.sh, bash instead of Python —
~6 ms of CPU to start instead of ~45, so the figure shows the host's concurrency and not the two cores' CPU floor).

The servers run as `python3 -I -S`: without `site`, as a server's own launcher would start it. This machine's
Python (pyenv) imports certifi and more from `site` at every start: ~0.2 s of CPU per interpreter, so 20 at once on
2 cores cost ~2 s of CPU before any of them answers — a floor set by the fixture, not by the host. The script
prints that CPU floor (the servers' own CPU over the cores) beside the figure, and the kernel's own CPU (the
probe's CPU, children included, less the servers' CPU measured alone). PYFLAGS="" measures with `site`.
"""
import resource
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.environ.get("KERNEL", os.path.join(ROOT, ".build/debug/kernel"))
BENCH = os.environ.get("BENCH", os.path.join(ROOT, ".build/debug/kernel-mcp-bench"))
SERVER = os.path.join(ROOT, "Tests/Fixtures/mcp/broken_server.py")
SERVERS = int(os.environ.get("SERVERS", "20"))
CALLS = int(os.environ.get("CALLS", "500"))
RUNS = int(os.environ.get("RUNS", "5"))

PYFLAGS = shlex.split(os.environ.get("PYFLAGS", "-I -S"))
PYTHON = [sys.executable, *PYFLAGS]
SERVER_KIND = os.environ.get("SERVER_KIND", "python")
if SERVER_KIND == "sh":
    PROBE_SERVER = ["/bin/bash", os.path.join(ROOT, "Tests/Benchmarks/mcp_sh_server.sh")]
elif SERVER_KIND == "python":
    PROBE_SERVER = [*PYTHON, SERVER, "ok"]
else:
    sys.exit(f"SERVER_KIND is python or sh, not {SERVER_KIND!r}")

INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}


def delays():
    return [round(0.05 + (0.95 * i / max(1, SERVERS - 1)), 3) for i in range(SERVERS)]


class Bare:
    """A bare client: the server over pipes, one JSON line each way."""

    def __init__(self, delay=0.0, command=None):
        env = dict(os.environ, MCP_FIXTURE_DELAY=str(delay))
        self.p = subprocess.Popen(command or PROBE_SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.next_id = 1

    def request(self, method, params):
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.next_id += 1
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.p.kill()
        self.p.wait()


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def startup(delay):
    """Spawn to the answer to initialize, seconds."""
    t = time.perf_counter()
    b = Bare(delay)
    b.p.stdin.write((json.dumps(INIT) + "\n").encode())
    b.p.stdin.flush()
    b.p.stdout.readline()
    elapsed = time.perf_counter() - t
    b.close()
    return elapsed


def probe_bench():
    home = tempfile.mkdtemp(prefix="mcp-bench-home-")
    project = tempfile.mkdtemp(prefix="mcp-bench-project-")
    servers = {f"s{i:02d}": {"command": PROBE_SERVER[0], "args": PROBE_SERVER[1:], "env": {"MCP_FIXTURE_DELAY": str(d)}}
               for i, d in enumerate(delays())}
    with open(os.path.join(home, "settings.json"), "w") as f:
        json.dump({"mcpServers": servers}, f)
    cpu0 = children_cpu()
    own = [startup(d) for d in delays()]
    servers_cpu = children_cpu() - cpu0
    slowest, total = max(own), sum(own)
    walls, cpus = [], []
    for _ in range(RUNS):
        cpu0 = children_cpu()
        t = time.perf_counter()
        r = subprocess.run([KERNEL, "mcp", "list", "--probe", "--json", "--home", home, "--project", project],
                           capture_output=True, text=True)
        walls.append(time.perf_counter() - t)
        cpus.append(children_cpu() - cpu0)
        rows = json.loads(r.stdout)
        failed = [row["name"] for row in rows if not (row.get("probe") or {}).get("ok")]
        if r.returncode != 0 or failed:
            sys.exit(f"mcp list --probe failed ({r.returncode}): {failed} {r.stderr}")
    empty = tempfile.mkdtemp(prefix="mcp-bench-empty-")
    floor = []
    for _ in range(RUNS):
        t = time.perf_counter()
        subprocess.run([KERNEL, "mcp", "list", "--json", "--home", empty, "--project", project], capture_output=True)
        floor.append(time.perf_counter() - t)
    wall = statistics.median(walls)
    print(f"mcp list --probe, {SERVERS} stdio {SERVER_KIND} servers (start-up delays 0.05-1.0 s), median of {RUNS}:")
    print(f"  wall {wall * 1000:.0f} ms; slowest server's own start-up {slowest * 1000:.0f} ms -> {wall / slowest:.2f}x "
          f"(target <= 1.2x); sum of start-ups {total * 1000:.0f} ms ({total / wall:.1f}x the probe)")
    cores = os.cpu_count() or 1
    kernel_cpu = statistics.median(cpus) - servers_cpu
    print(f"  the servers' own CPU {servers_cpu * 1000:.0f} ms ({servers_cpu / SERVERS * 1000:.0f} ms each; "
          f"{'python ' + (' '.join(PYFLAGS) or '(with site)') if SERVER_KIND == 'python' else 'bash'}) -> CPU floor on {cores} cores {servers_cpu / cores * 1000:.0f} ms; "
          f"the kernel's own CPU in the probe ~{kernel_cpu * 1000:.0f} ms")
    print(f"  kernel start + compose alone (mcp list --json, empty home): {statistics.median(floor) * 1000:.0f} ms")


def call_bench():
    r = subprocess.run([BENCH, "calls", str(CALLS), *PYTHON, SERVER, "ok"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"kernel-mcp-bench failed: {r.stderr}")
    kernel = json.loads(r.stdout)
    b = Bare(command=[*PYTHON, SERVER, "ok"])
    b.request("initialize", INIT["params"])
    for _ in range(20):
        b.request("tools/call", {"name": "echo", "arguments": {"text": "warm"}})
    samples = []
    for i in range(CALLS):
        t = time.perf_counter()
        b.request("tools/call", {"name": "echo", "arguments": {"text": f"call {i}"}})
        samples.append((time.perf_counter() - t) * 1e6)
    b.close()
    bare = statistics.median(samples)
    overhead = kernel["medianMicros"] - bare
    print(f"tools/call echo, {CALLS} calls on one session, median per call:")
    print(f"  through MCPSession {kernel['medianMicros']:.0f} us (p90 {kernel['p90Micros']:.0f}); bare client over pipes {bare:.0f} us "
          f"-> kernel overhead {overhead / 1000:.2f} ms per call (target <= 5 ms)")


if __name__ == "__main__":
    for exe in (KERNEL, BENCH):
        if not os.access(exe, os.X_OK):
            sys.exit(f"{exe} not built: swift build --product kernel --product kernel-mcp-bench")
    probe_bench()
    call_bench()
