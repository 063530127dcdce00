#!/usr/bin/env python3
"""A small docker-registry token server for kiln's tests (test-environment.md section 3 d).

GET /token?service=S&scope=repository:NAME:pull,push[&scope=...] with optional Basic auth, or
POST /token (OAuth2 grant_type=password or refresh_token). Known users get pull and push on
every repository; anonymous callers get pull only. Tokens are RS256 JWTs with the signing
certificate in the x5c header, signed by the openssl CLI (no pip packages needed).

Usage: token_server.py PORT KEY.pem CERT.pem ISSUER SERVICE USERS_FILE TOKEN_LOG
USERS_FILE lines are "user:password" or "refresh:TOKEN:user". Every issued token is appended to
TOKEN_LOG (tests check that none of them leaks into kiln's output).
"""
import base64
import json
import os
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


PORT, KEY, CERT, ISSUER, SERVICE, USERS, TOKEN_LOG = sys.argv[1:8]
with open(CERT) as f:
    pem = "".join(l for l in f if "CERTIFICATE" not in l)
CERT_DER_B64 = base64.b64encode(base64.b64decode(pem)).decode()
PASSWORDS, REFRESH = {}, {}
with open(USERS) as f:
    for line in f:
        line = line.strip()
        if line.startswith("refresh:"):
            _, tok, user = line.split(":", 2)
            REFRESH[tok] = user
        elif ":" in line:
            user, pw = line.split(":", 1)
            PASSWORDS[user] = pw


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [CERT_DER_B64]}
    payload = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=payload.encode(),
                         capture_output=True, check=True).stdout
    return payload + "." + b64url(sig)


def access_for(user, scopes):
    access = []
    for scope in scopes:
        for one in scope.split(" "):
            parts = one.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            name, wanted = ":".join(parts[1:-1]), parts[-1].split(",")
            allowed = ["pull", "push"] if user else ["pull"]
            granted = [a for a in wanted if a in allowed]
            access.append({"type": "repository", "name": name, "actions": granted})
    return access


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("token-server: " + (fmt % args) + "\n")

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def basic_user(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return None, True
        user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
        return user, PASSWORDS.get(user) == pw

    def issue(self, user, service, scopes):
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": user or "", "aud": service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
                  "access": access_for(user, scopes)}
        token = sign(claims)
        with open(TOKEN_LOG, "a") as f:
            f.write(token + "\n")
        return token

    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        user, ok = self.basic_user()
        if not ok:
            return self.reply(401, {"details": "incorrect username or password"})
        token = self.issue(user, q.get("service", [SERVICE])[0], q.get("scope", []))
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        grant = form.get("grant_type", [""])[0]
        user = None
        if grant == "refresh_token":
            user = REFRESH.get(form.get("refresh_token", [""])[0])
        elif grant == "password":
            u, p = form.get("username", [""])[0], form.get("password", [""])[0]
            user = u if PASSWORDS.get(u) == p else None
        if not user:
            return self.reply(401, {"error": "invalid_grant"})
        scopes = form.get("scope", [""])[0].split(" ")
        token = self.issue(user, form.get("service", [SERVICE])[0], scopes)
        self.reply(200, {"access_token": token, "expires_in": 300, "refresh_token":
                         form.get("refresh_token", [""])[0]})


# TOKEN_SERVER_ADDR: another listening address (tests in a private network namespace).
ThreadingHTTPServer((os.environ.get("TOKEN_SERVER_ADDR", "127.0.0.1"), int(PORT)),
                    Handler).serve_forever()
