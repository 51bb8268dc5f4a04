#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""uplink_stub.py - a stand-in collector for the uplink's tests.

An HTTPS server (Python's ssl module, client certificates required and
checked against the fleet CA) that implements the response table of
docs/uplink-protocol.md without opening the batches: it reads the sealed
header (docs/sealed-format.md) for the device id, batch seq and flags,
answers 200 "stored" the first time a (device id, batch seq) pair comes,
200 "duplicate" after that (also across restarts: what it stored is on
disk), 400 for an export batch or a malformed one, 413 over --max-bytes,
and 503 when told to. Stored batches are appended, in the order stored,
to OUT/stored.sealed, which `edgetrace decode` reads; every request is a
JSON line in OUT/requests.jsonl (time, connection, TLS session resumed,
batch, bytes, status).

  uplink_stub.py --bind ADDR --port N --cert F --key F --ca F --out DIR
                 [--refuse-batch N]... [--unavailable K] [--max-bytes N]

--refuse-batch N answers 400 to batch seq N (a batch the collector finds
invalid); --unavailable K answers 503 to the first K posts of this run.
"""
import argparse
import http.server
import json
import os
import socketserver
import ssl
import struct
import threading
import time

LOCK = threading.Lock()


def parse_header(body):
    if len(body) < 145 or body[:4] != b"ETSB":
        return None
    flags, count, batch, first, last = struct.unpack_from("<IIQQQ", body, 8)
    idlen = body[7]
    dev = body[145:145 + idlen].decode("ascii", "replace")
    return {"flags": flags, "count": count, "batch": batch, "first": first,
            "last": last, "device": dev}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        srv = self.server
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n <= srv.args.max_bytes else None
        if body is None:
            self.close_connection = True
        h = parse_header(body) if body else None
        rec = {"t": time.time(), "conn": self.conn_id,
               "resumed": self.resumed, "bytes": n,
               "header_batch": self.headers.get("Edgetrace-Batch"),
               "header_device": self.headers.get("Edgetrace-Device")}
        with LOCK:
            if body is None:
                status, text = 413, "too large"
            elif not h:
                status, text = 400, "refused 0: not a sealed batch"
            elif h["flags"] & 1:
                status, text = 400, "refused %d: export batch" % h["batch"]
            elif h["batch"] in srv.args.refuse_batch:
                status, text = 400, "refused %d: test" % h["batch"]
            elif srv.unavailable > 0:
                srv.unavailable -= 1
                status, text = 503, "unavailable: test"
            else:
                key = "%s-%d" % (h["device"], h["batch"])
                path = os.path.join(srv.args.out, "batches", key)
                if os.path.exists(path):
                    status, text = 200, "duplicate %s %d" % (h["device"],
                                                           h["batch"])
                else:
                    with open(os.path.join(srv.args.out, "stored.sealed"),
                              "ab") as f:
                        f.write(body)
                        f.flush()
                        os.fsync(f.fileno())
                    with open(path, "wb") as f:
                        f.write(body)
                    status, text = 200, "stored %s %d" % (h["device"],
                                                        h["batch"])
            if h:
                rec.update(h)
            rec["status"] = status
            with open(os.path.join(srv.args.out, "requests.jsonl"), "a") as f:
                f.write(json.dumps(rec) + "\n")
        self.answer(status, text)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    conns = 0

    def finish_request(self, request, client_address):
        request.settimeout(120)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            with LOCK, open(os.path.join(self.args.out, "tls.log"), "a") as f:
                f.write("handshake failed: %s\n" % e)
            return
        with LOCK:
            Server.conns += 1
            cid = Server.conns
        Handler.conn_id = cid
        h = type("H", (Handler,), {"conn_id": cid,
                                   "resumed": tls.session_reused})
        try:
            h(tls, client_address, self)
        except (ssl.SSLError, OSError):
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--refuse-batch", type=int, action="append", default=[])
    ap.add_argument("--unavailable", type=int, default=0)
    ap.add_argument("--max-bytes", type=int, default=16 << 20)
    args = ap.parse_args()
    os.makedirs(os.path.join(args.out, "batches"), exist_ok=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_verify_locations(args.ca)
    ctx.verify_mode = ssl.CERT_REQUIRED
    srv = Server((args.bind, args.port), Handler)
    srv.ctx = ctx
    srv.args = args
    srv.unavailable = args.unavailable
    with open(os.path.join(args.out, "ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    srv.serve_forever()


if __name__ == "__main__":
    main()
