#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""delay_proxy.py - a TCP relay that holds every chunk DELAY seconds in
each direction, for the uplink test on kernels without sch_netem (no
qdisc delay there). Packet loss is applied under it, on the veth, by
tests/tools/bpf/loss.bpf.c; the relay adds the latency of a slow link
(2 x DELAY per round trip on top of the link's own).

  delay_proxy.py --listen ADDR:PORT --to ADDR:PORT --delay SECONDS
"""
import argparse
import queue
import socket
import threading
import time


def pump(src, dst, delay):
    q = queue.Queue()

    def writer():
        while True:
            t, data = q.get()
            wait = t - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    threading.Thread(target=writer, daemon=True).start()
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        q.put((time.monotonic() + delay, data))
        if not data:
            return


def serve(conn, to, delay):
    try:
        up = socket.create_connection(to, timeout=10)
    except OSError:
        conn.close()
        return
    up.settimeout(None)
    threading.Thread(target=pump, args=(conn, up, delay), daemon=True).start()
    threading.Thread(target=pump, args=(up, conn, delay), daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--to", required=True)
    ap.add_argument("--delay", type=float, default=0.5)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    thost, tport = a.to.rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(16)
    while True:
        c, _ = ls.accept()
        serve(c, (thost, int(tport)), a.delay)


if __name__ == "__main__":
    main()
