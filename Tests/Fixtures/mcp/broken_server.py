#!/usr/bin/env python3
"""MCP test servers that misbehave on purpose, one mode per run: `python3 broken_server.py MODE`.

Each writes its pid (and, for `sleep`, its child's) to the file named by $MCP_FIXTURE_PIDFILE, so a test can check
that nothing of it is left running or unreaped.

  ok        a small well-behaved server: tools echo and add, a prompt, a resource
  exit      writes a line on stderr and exits with status 3 at once
  sleep     starts a child in its process group, then never answers (and ignores SIGTERM)
  garbage   answers initialize with a line that is not JSON
  version   answers initialize with protocol version 1999-01-01
  flood     writes 10 MB on stderr, then exits with status 2
  hugeline  writes a 20 MB line (no newline) on stdout

$MCP_FIXTURE_DELAY (seconds) delays the start, for the benchmark.
"""
import json
import os
import signal
import sys
import time

mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
pidfile = os.environ.get("MCP_FIXTURE_PIDFILE")
pids = [os.getpid()]

if mode == "sleep":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        while True:
            time.sleep(1000)
    pids.append(child)
if pidfile:
    with open(pidfile, "w") as f:
        f.write(" ".join(map(str, pids)))

if os.environ.get("MCP_FIXTURE_DELAY"):
    time.sleep(float(os.environ["MCP_FIXTURE_DELAY"]))  # a slow start (the benchmark's servers)
if mode == "exit":
    sys.stderr.write("fatal: missing API key\n")
    sys.exit(3)
if mode == "sleep":
    while True:
        time.sleep(1000)
if mode == "flood":
    chunk = "x" * 1023 + "\n"
    for _ in range(10 * 1024):
        sys.stderr.write(chunk)
    sys.stderr.flush()
    sys.exit(2)
if mode == "hugeline":
    sys.stdout.write("{" + "x" * (20 << 20))
    sys.stdout.flush()
    time.sleep(1000)

TOOLS = [
    {"name": "echo", "description": "Echo the text.", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
    {"name": "add", "description": "Add a and b.", "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}},
]


def reply(msg_id, result=None, error=None):
    out = {"jsonrpc": "2.0", "id": msg_id}
    if error is not None:
        out["error"] = error
    else:
        out["result"] = result
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    msg = json.loads(line)
    method, msg_id = msg.get("method"), msg.get("id")
    if msg_id is None:
        continue
    params = msg.get("params", {})
    if method == "initialize":
        if mode == "garbage":
            sys.stdout.write("Server starting on port 8080...\n")
            sys.stdout.flush()
            continue
        version = "1999-01-01" if mode == "version" else params.get("protocolVersion")
        reply(msg_id, {"protocolVersion": version,
                       "capabilities": {"tools": {}, "prompts": {}, "resources": {}},
                       "serverInfo": {"name": "fixture", "version": "2.0.0"}})
    elif method == "tools/list":
        reply(msg_id, {"tools": TOOLS})
    elif method == "prompts/list":
        reply(msg_id, {"prompts": [{"name": "review", "description": "Review code."}]})
    elif method == "resources/list":
        reply(msg_id, {"resources": [{"uri": "file:///readme", "name": "readme"}]})
    elif method == "tools/call":
        name, args = params.get("name"), params.get("arguments") or {}
        if name == "echo":
            reply(msg_id, {"content": [{"type": "text", "text": args.get("text", "")}]})
        elif name == "add":
            reply(msg_id, {"content": [{"type": "text", "text": str(args.get("a", 0) + args.get("b", 0))}]})
        else:
            reply(msg_id, error={"code": -32602, "message": f"unknown tool: {name}"})
    elif method == "ping":
        reply(msg_id, {})
    else:
        reply(msg_id, error={"code": -32601, "message": f"method not found: {method}"})
