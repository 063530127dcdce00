#!/usr/bin/env python3
"""Loads an HTML file in headless Chromium and reports what happened, as one JSON object.

Usage: render_html.py CHROMIUM PAGE.html OUT.png [JS_EXPRESSION]

Drives Chromium through the DevTools protocol over --remote-debugging-pipe (fds 3 and 4,
NUL-separated JSON messages; no websocket, no port). Records every network request
(Network.requestWillBeSent) and every console message, log entry and uncaught exception
(Runtime.consoleAPICalled, Log.entryAdded, Runtime.exceptionThrown) from navigation until
the load event plus a settle time, saves a 1200x900 screenshot (Page.captureScreenshot)
and evaluates JS_EXPRESSION (its JSON-able value is returned as "value").

Prints {"requests": [url...], "console": [text...], "png": path, "value": ...}; the page's own
file:// URL is not listed among the requests. The PNG's pixels are summarised by png_stats().
"""
import base64
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
import zlib


def png_stats(path):
    """(width, height, distinct colours, variance of grey levels) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours, total, total_sq, count = set(), 0, 0, 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        prev = line
        for x in range(0, stride, bpp * 4):  # every 4th pixel is plenty
            r, g, bl = line[x], line[x + 1], line[x + 2]
            colours.add((r, g, bl))
            grey = (r * 299 + g * 587 + bl * 114) // 1000
            total += grey
            total_sq += grey * grey
            count += 1
    mean = total / count
    return width, height, len(colours), total_sq / count - mean * mean


class Pipe:
    def __init__(self, proc, write_fd, read_fd):
        self.proc, self.w, self.r = proc, write_fd, read_fd
        self.buf, self.next_id, self.events = b"", 0, []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.wait(lambda m: m.get("id") == self.next_id)

    def read_one(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def wait(self, pred, timeout=30):
        deadline = time.time() + timeout
        while True:
            m = self.read_one(deadline)
            if "method" in m:
                self.events.append(m)
            if pred(m):
                if "error" in m:
                    raise RuntimeError(json.dumps(m["error"]))
                return m


def main():
    chromium, page, png = sys.argv[1:4]
    expr = sys.argv[4] if len(sys.argv) > 4 else "null"
    url = "file://" + os.path.abspath(page)
    profile = tempfile.mkdtemp(prefix="kiln-chromium-")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def child_fds():  # the protocol pipes as fds 3 (commands in) and 4 (answers out)
        a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)  # above 4: dup2 cannot clobber them
        os.dup2(a, 3)  # inheritable
        os.dup2(b, 4)

    proc = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
         "--remote-debugging-pipe", "about:blank"],
        preexec_fn=child_fds, pass_fds=(3, 4),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    cdp = Pipe(proc, to_chrome_w, from_chrome_r)
    try:
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["result"]["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["result"]["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            cdp.send(domain + ".enable", None, session)
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
        start = len(cdp.events)
        cdp.send("Page.navigate", {"url": url}, session)
        cdp.wait(lambda m: m.get("method") == "Page.loadEventFired" and m.get("sessionId") == session)
        # Let late requests and errors (timers, lazy images) show up.
        try:
            cdp.wait(lambda m: False, timeout=1.5)
        except TimeoutError:
            pass
        shot = cdp.send("Page.captureScreenshot", {"format": "png"}, session)["result"]["data"]
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot))
        value = cdp.send("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                         session)["result"]["result"].get("value")
        requests, console = [], []
        for e in cdp.events[start:]:
            m, p = e.get("method"), e.get("params", {})
            if m == "Network.requestWillBeSent" and p["request"]["url"] != url:
                requests.append(p["request"]["url"])
            elif m == "Runtime.consoleAPICalled":
                console.append(p["type"] + ": " + " ".join(str(a.get("value", a.get("description", "")))
                                                          for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                console.append("exception: " + p["exceptionDetails"].get("text", ""))
            elif m == "Log.entryAdded":
                console.append(p["entry"]["level"] + ": " + p["entry"].get("text", ""))
        w, h, colours, variance = png_stats(png)
        print(json.dumps({"requests": requests, "console": console, "png": png, "width": w,
                          "height": h, "colours": colours, "variance": variance, "value": value}))
    finally:
        try:
            cdp.send("Browser.close")
        except Exception:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        subprocess.run(["rm", "-rf", profile])


if __name__ == "__main__":
    main()
