#!/usr/bin/env python3
"""Drives the tasks dashboard in headless Chromium over the DevTools protocol (stdlib only).

usage: drive_dashboard.py BASE_URL TOKEN TASK
Signs in with TOKEN, loads the index, presses "Run now" on TASK's row, waits for the run page and prints one JSON
object: {"index": <outer HTML of the index>, "runPath": <path of the run page>, "runPage": <its outer HTML>}.
"""
import base64, json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request


class WebSocket:
    def __init__(self, url):
        m = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        self.sock = socket.create_connection((host, port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket handshake failed: " + head.decode(errors="replace"))

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        header = bytearray([0x81])
        n = len(data)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise RuntimeError("websocket closed")
            out += chunk
        return out

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exact(8), "big")
            payload = self._exact(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise RuntimeError("websocket closed by the browser")
            if opcode in (0x9, 0xA):
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class Page:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return r.get("result", {}).get("value")

    def wait(self, condition, what, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.eval(condition):
                    return
            except RuntimeError:
                pass  # a navigation is under way
            time.sleep(0.05)
        raise RuntimeError("timed out waiting for " + what + " at " + str(self.eval("location.href")))


def main():
    base, token, task = sys.argv[1], sys.argv[2], sys.argv[3]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        print(json.dumps({"error": "no chromium on PATH"}))
        return 3
    profile = tempfile.mkdtemp(prefix="kernel-dashboard-")
    proc = subprocess.Popen([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        end = time.time() + 60
        while time.time() < end and port is None:
            line = proc.stderr.readline()
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                port = int(m.group(1))
        if port is None:
            raise RuntimeError("chromium did not start its DevTools endpoint")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = Page(next(t for t in targets if t.get("type") == "page")["webSocketDebuggerUrl"])
        page.call("Page.enable")
        page.call("Page.navigate", url=base + "/login")
        page.wait("document.readyState === 'complete' && !!document.querySelector('input[name=token]')", "the login form")
        page.eval(f"document.querySelector('input[name=token]').value = {json.dumps(token)}; document.querySelector('form').submit(); true")
        page.wait("location.pathname === '/' && document.readyState === 'complete' && !!document.querySelector('#tasks')", "the index")
        index = page.eval("document.documentElement.outerHTML")
        selector = f"tr[data-task={json.dumps(task)}] button.run-now"
        if not page.eval(f"!!document.querySelector({json.dumps(selector)})"):
            raise RuntimeError("no Run now button for " + task)
        page.eval(f"document.querySelector({json.dumps(selector)}).click(); true")
        page.wait("location.pathname.startsWith('/runs/') && document.readyState === 'complete' && !!document.querySelector('#run')", "the run page")
        run_path = page.eval("location.pathname")
        run_page = page.eval("document.documentElement.outerHTML")
        print(json.dumps({"index": index, "runPath": run_path, "runPage": run_page}))
        return 0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # reported to the Swift test as JSON
        print(json.dumps({"error": str(e)}))
        sys.exit(1)
