#!/usr/bin/env python3
"""Measures how a real daemon behaves under the faults and abuse that
RELIABILITY.md lists, and prints the table's figures.

    python3 bench/reliability.py BINARY CORPUS [--copies N]

BINARY is a release `code-index`; CORPUS a source tree (bench/fetch-corpora.sh
fetches some), copied N times (default 2) into a temporary root so that the
tree is large. Linux only: memory and CPU are read from /proc.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # KiB
    raise KeyError(field)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Conn:
    def __init__(self, port, token=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.file = self.sock.makefile("rwb")
        self.next = 0
        if token:
            self.call("hello", {"token": token})

    def call(self, op, params=None):
        self.next += 1
        line = json.dumps({"id": self.next, "op": op, "params": params}) + "\n"
        self.file.write(line.encode())
        self.file.flush()
        answer = self.file.readline()
        if not answer:
            raise ConnectionError("closed")
        return json.loads(answer)


def lockfile(root):
    with open(os.path.join(root, ".code-index", "daemon.lock")) as f:
        return json.load(f)


def wait(what, probe, deadline=120):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(what)


def start_daemon(binary, root, prefix=()):
    proc = subprocess.Popen(
        [*prefix, binary, "daemon", "--no-stderr-log", "--root", root],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def published():
        try:
            lock = lockfile(root)
            return lock if lock.get("port") and lock["pid"] == proc.pid else None
        except (OSError, ValueError):
            return None

    lock = wait("the daemon to publish its port", published)
    return proc, lock


def ready(conn):
    wait("the index to be ready", lambda: conn.call("status")["result"]["state"] == "ready", 600)


def stop(proc):
    proc.terminate()
    proc.wait(30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("corpus")
    parser.add_argument("--copies", type=int, default=2)
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    rows = []

    work = tempfile.mkdtemp(prefix="code-index-reliability.")
    try:
        root = os.path.join(work, "tree")
        for i in range(args.copies):
            shutil.copytree(args.corpus, os.path.join(root, f"copy{i}"), symlinks=True)
        size = sum(
            os.path.getsize(os.path.join(d, f))
            for d, _, fs in os.walk(root) for f in fs
            if not os.path.islink(os.path.join(d, f))
        )
        root = os.path.realpath(root)
        proc, lock = start_daemon(binary, root)
        conn = Conn(lock["port"], lock["token"])
        ready(conn)
        files = conn.call("stats")["result"]["files"]
        print(f"tree: {size / 1e6:.0f} MB, {files} files", file=sys.stderr)

        # search_text (?s).* limit 1, alone and three at once.
        rss0 = proc_status(proc.pid, "VmRSS")
        t = time.monotonic()
        page = conn.call("search_text", {"pattern": "(?s).*", "regex": True, "limit": 1})["result"]
        one = time.monotonic() - t
        import threading
        times = []

        def search():
            c = Conn(lock["port"], lock["token"])
            t = time.monotonic()
            c.call("search_text", {"pattern": "(?s).*", "regex": True, "limit": 1})
            times.append(time.monotonic() - t)

        threads = [threading.Thread(target=search) for _ in range(3)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        hwm = proc_status(proc.pid, "VmHWM")
        rss1 = proc_status(proc.pid, "VmRSS")
        rows.append(("search_text `(?s).*` limit 1", f"{one * 1000:.0f} ms alone, {max(times) * 1000:.0f} ms slowest of 3 at once; total {page['total']} (lower bound: {page.get('total_is_lower_bound', False)}); RSS {rss0 // 1024} MiB before, peak {hwm // 1024} MiB, {rss1 // 1024} MiB after"))

        # A huge glob.
        t = time.monotonic()
        answer = conn.call("files", {"glob": "**/" + "a*" * 50000})
        rows.append(("files with a 100,000-character glob", f"{(time.monotonic() - t) * 1000:.1f} ms, error {answer['error']['code']}: {answer['error']['message'][:60]}…"))

        # Deleted lockfile.
        path = os.path.join(root, ".code-index", "daemon.lock")
        os.remove(path)
        t = time.monotonic()
        wait("the lockfile to be restored", lambda: os.path.exists(path) and os.path.getsize(path) > 0, 30)
        rows.append(("lockfile deleted under the daemon", f"restored after {time.monotonic() - t:.2f} s by the same pid: {lockfile(root)['pid'] == proc.pid}"))
        shutil.rmtree(os.path.join(root, ".code-index"))
        t = time.monotonic()
        wait("the state directory to be restored", lambda: os.path.exists(path) and os.path.getsize(path) > 0, 30)
        rows.append(("`.code-index/` deleted (`git clean -fdx`)", f"lockfile restored after {time.monotonic() - t:.2f} s"))
        conn.call("shutdown")
        proc.wait(60)

        # 200 idle connections, 128 file descriptors.
        small = os.path.join(work, "small")
        os.makedirs(os.path.join(small, "src"))
        with open(os.path.join(small, "src", "lib.rs"), "w") as f:
            f.write("pub fn idle() {}\n")
        small = os.path.realpath(small)
        proc, lock = start_daemon(binary, small, ("prlimit", "--nofile=128:128"))
        Conn(lock["port"], lock["token"])
        cpu0 = cpu_seconds(proc.pid)
        idle = [socket.create_connection(("127.0.0.1", lock["port"])) for _ in range(200)]
        t = time.monotonic()
        client = Conn(lock["port"], lock["token"])
        client.call("stats")
        answered = time.monotonic() - t
        time.sleep(5)
        cpu = cpu_seconds(proc.pid) - cpu0
        log = os.path.getsize(os.path.join(small, ".code-index", "daemon.log"))
        rows.append(("200 idle connections, `prlimit --nofile=128`", f"a real client answered in {answered * 1000:.0f} ms; daemon CPU over the next 5 s: {cpu:.2f} s; daemon.log {log} bytes"))
        for s in idle:
            s.close()
        stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("| case | measured |")
    print("|---|---|")
    for case, figure in rows:
        print(f"| {case} | {figure} |")


if __name__ == "__main__":
    main()
