#!/usr/bin/env python3
"""A hostile registry front for kiln's tests (fault injection): forwards every request to a real
docker-registry on 127.0.0.1:UPSTREAM and misbehaves on the requests its MODE names.

Usage: hostile_proxy.py MODE LISTEN_ADDR LISTEN_PORT UPSTREAM_PORT [TARGET]
Modes:
  redirect-blobs   GET/HEAD of a blob answers 307 to TARGET + the same path (storage elsewhere)
  redirect-loop    GET/HEAD of a blob answers 302 to the same URL, forever
  drip-manifests   GET of a manifest sends the registry's answer at 2 bytes per second
Every request is logged to stderr as "METHOD PATH -> STATUS".
"""
import http.client
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE, ADDR, PORT, UPSTREAM = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
TARGET = sys.argv[5] if len(sys.argv) > 5 else ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, status):
        sys.stderr.write("%s %s -> %s\n" % (self.command, self.path, status))
        sys.stderr.flush()

    def answer(self, status, headers, body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.note(status)

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        keep = [(k, v) for k, v in r.getheaders()
                if k.lower() not in ("content-length", "connection", "transfer-encoding")]
        return r.status, keep, data

    def handle_any(self):
        is_blob = "/blobs/sha256:" in self.path
        if MODE == "redirect-blobs" and is_blob and self.command in ("GET", "HEAD"):
            return self.answer(307, [("Location", TARGET + self.path)])
        if MODE == "redirect-loop" and is_blob and self.command in ("GET", "HEAD"):
            return self.answer(302, [("Location", self.path)])
        status, headers, data = self.forward()
        if MODE == "drip-manifests" and "/manifests/" in self.path and self.command == "GET":
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.note("%d (dripping %d bytes)" % (status, len(data)))
            try:
                for i in range(0, len(data), 2):
                    self.wfile.write(data[i:i + 2])
                    self.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                sys.stderr.write("client hung up during the drip\n")
            self.close_connection = True
            return
        self.answer(status, headers, data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer((ADDR, PORT), Handler).serve_forever()
