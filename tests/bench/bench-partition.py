#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The cost of hvpart's partition semantics (issue 5), measured with the
# freestanding guest build/hvtest/hvtest-partition.elf (tests/hvtest/
# partition.c), which a host drives in lock-step through its mailbox page
# (tests/hvtest/partition-mailbox.h). Python 3 standard library only; the
# parent talks QMP over a UNIX socket.
#
#  intercept: the round trip of one intercept over QMP. The guest reads an
#     unmapped page N times in a row (probe read64); each read suspends the
#     VP and raises HVPART_INTERCEPT; this script answers each event with
#     hvpart-vp-resume "skip" (RAX = 0) as soon as it has it. The time from
#     one event to the next is one full round trip: event out, JSON parsed,
#     resume sent and executed, the guest continues to its next access,
#     intercepts, the next event is read. Reported: median (and p10, p90)
#     of the N - warm-up intervals, per run, and the median over the runs.
#     Also the guest's own view (TSC over the whole loop / N) and the plain
#     QMP command round trip (query-status) for scale.
#
#  loop: the guest's CPU/memory loop over a 64 MiB buffer, timed by the
#     guest's TSC (which TCG takes from the host's), with rights set on no
#     page, on 1 % and on 50 % of the guest's RAM pages, in two forms:
#     "stream" (HVPT_OP_BENCH_STREAM) updates every 8th qword of every
#     page in order, memory-bound work with one TLB fill per 64 accesses,
#     like hashing a file; "stride" (HVPT_OP_BENCH_STRIDE) updates one
#     qword per page with some arithmetic, so that every access is a TLB
#     fill, which is where hvpart checks the page map. Both reload CR3
#     now and then (every 4096 and every 64 pages), which keeps QEMU's
#     software TLB, resized at flushes, at a steady size; each loop runs
#     once unmeasured before it is measured. Pages: every 100th
#     (1 %) or every 2nd (50 %) page of RAM from 2 MiB up (the guest's
#     code, stack and page tables lie between 1 MiB and 2 MiB; nothing
#     above 2 MiB is ever executed: the buffer, the mailbox, the page pool
#     and the BIOS's leftovers are data). They get 'rw': a real restriction
#     (no execute), which keeps the pages off hvpart's fast path (any page
#     that is not plain rwx makes every TLB fill consult the page map and
#     narrows the TLB entry), while the guest, which only reads and writes
#     them, never raises an intercept. 'rx' or 'r' would fault on the
#     buffer's writes. As a control, 1 % of the pages set to 'rwx'
#     explicitly: plain rwx is the fast path, so that row must match 'none'.
#     The rights are set with the VM stopped (one hvpart-gpa-set-access
#     per page, pipelined; a stopped VM needs no pause per command), then
#     it runs.
#     Reported: the median over the runs of each configuration's total
#     time, and the fastest single pass over all runs (on a busy host the
#     least disturbed measure), each with its ratio to 'none'.
#     Configurations alternate within each run, in one QEMU.
#
# Usage: bench-partition.py QEMU IMAGE OUTDIR
#   BENCH_PARTITION_RUNS (default 3), BENCH_INTERCEPTS (default 1000),
#   BENCH_LOOP_PASSES (default 60)

import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

MAILBOX = 0x00f00000
TEST_AREA = 0x08000000
MB_READY, MB_GO, MB_DONE, MB_OP = 0x08, 0x10, 0x18, 0x20
MB_RES, MB_FAULT = 0x48, 0x68
OP_BENCH_INTERCEPTS = 27
OP_BENCH_STREAM = 28
OP_BENCH_STRIDE = 29
# name: (op, TLB flush every N pages)
LOOPS = {"stream": (OP_BENCH_STREAM, 4096), "stride": (OP_BENCH_STRIDE, 64)}
RAM_MIB = 256
LOOP_BUFFER = 64 << 20
PAGE = 4096


class QmpError(Exception):
    pass


class Qmp:
    """A minimal QMP client: commands, and events kept in arrival order."""

    def __init__(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.buf = b""
        self.events = []
        self._read(timeout)                     # greeting
        self.cmd("qmp_capabilities")

    def _read(self, timeout):
        while b"\n" not in self.buf:
            self.sock.settimeout(timeout)
            data = self.sock.recv(65536)
            if not data:
                raise QmpError("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def cmd(self, name, timeout=60, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            resp = self._read(timeout)
            if "event" in resp:
                self.events.append((time.perf_counter(), resp))
            elif "error" in resp:
                raise QmpError("%s: %s" % (name, resp["error"]["desc"]))
            elif "return" in resp:
                return resp["return"]

    def cmd_many(self, name, arglist, chunk=256, timeout=600):
        """The same command with each of @arglist, pipelined."""
        for i in range(0, len(arglist), chunk):
            part = arglist[i:i + chunk]
            self.sock.sendall(b"".join(
                json.dumps({"execute": name, "arguments": a}).encode() +
                b"\n" for a in part))
            left = len(part)
            while left:
                resp = self._read(timeout)
                if "event" in resp:
                    self.events.append((time.perf_counter(), resp))
                elif "error" in resp:
                    raise QmpError("%s: %s" % (name, resp["error"]["desc"]))
                elif "return" in resp:
                    left -= 1

    def event(self, name, timeout=60):
        """The next event @name: (host time it was read, event)."""
        while True:
            while self.events:
                t, ev = self.events.pop(0)
                if ev["event"] == name:
                    return t, ev
            resp = self._read(timeout)
            if "event" in resp:
                self.events.append((time.perf_counter(), resp))

    def close(self):
        self.sock.close()


class Guest:
    """QEMU with the partition test guest, driven through the mailbox."""

    def __init__(self, qemu, image, tmpdir, name):
        self.sock_path = os.path.join(tmpdir, name + ".qmp")
        self.console = os.path.join(tmpdir, name + ".log")
        self.proc = subprocess.Popen(
            [qemu, "-accel", "hvpart", "-machine", "pc", "-m", str(RAM_MIB),
             "-smp", "1", "-nodefaults", "-no-reboot", "-display", "none",
             "-monitor", "none", "-serial", "file:" + self.console,
             "-qmp", "unix:%s,server=on,wait=off" % self.sock_path,
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
             "-kernel", image],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.qmp = Qmp(self.sock_path)
        self.step = 0
        self.image_end = None
        self.wait_word(MB_READY, 1)
        with open(self.console, errors="replace") as f:
            for line in f:
                if "HVPART: START" in line:
                    for word in line.split():
                        if word.startswith("image_end="):
                            self.image_end = int(word.split("=")[1], 0)
        if self.image_end is None:
            raise RuntimeError("the guest printed no START line")

    def read_u64(self, off):
        data = self.qmp.cmd("hvpart-read-gpa", vp=0, gpa=MAILBOX + off,
                            size=8)["data"]
        return struct.unpack("<Q", bytes.fromhex(data))[0]

    def write_u64s(self, off, values):
        data = b"".join(struct.pack("<Q", v) for v in values).hex()
        self.qmp.cmd("hvpart-write-gpa", vp=0, gpa=MAILBOX + off, data=data)

    def wait_word(self, off, value, timeout=600):
        deadline = time.monotonic() + timeout
        while self.read_u64(off) != value:
            if self.proc.poll() is not None:
                raise RuntimeError("QEMU exited (console: %s)" % self.console)
            if time.monotonic() > deadline:
                raise RuntimeError("guest timeout (console: %s)" %
                                   self.console)
            time.sleep(0.0005)

    def begin(self, op, *args):
        """Hand the guest its next step and start it."""
        self.step += 1
        self.wait_word(MB_READY, self.step)
        a = list(args) + [0] * (4 - len(args))
        self.write_u64s(MB_OP, [op] + a)
        self.write_u64s(MB_GO, [self.step])

    def end(self, timeout=600):
        self.wait_word(MB_DONE, self.step, timeout)
        if self.read_u64(MB_FAULT):
            raise RuntimeError("the guest faulted in step %d (console: %s)" %
                               (self.step, self.console))
        return [self.read_u64(MB_RES + 8 * i) for i in range(4)]

    def quit(self):
        try:
            self.qmp.cmd("quit")
        except (QmpError, OSError):
            pass
        self.qmp.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def bench_intercepts(qemu, image, tmpdir, count, warmup):
    g = Guest(qemu, image, tmpdir, "intercept")
    try:
        qmp = g.qmp
        qmp.cmd("hvpart-gpa-unmap", gpa=TEST_AREA, size=PAGE)
        qmp_rt = []
        for _ in range(200):
            t0 = time.perf_counter()
            qmp.cmd("query-status")
            qmp_rt.append(time.perf_counter() - t0)
        g.begin(OP_BENCH_INTERCEPTS, TEST_AREA + 0x100, count)
        times = []
        for i in range(count):
            t, ev = qmp.event("HVPART_INTERCEPT")
            if ev["data"]["sequence"] != i + 1:
                raise RuntimeError("intercept %d has sequence %s" %
                                   (i + 1, ev["data"]["sequence"]))
            times.append(t)
            qmp.cmd("hvpart-vp-resume", vp=0, action="skip",
                    registers={"rax": 0})
        res = g.end()
        gaps = [b - a for a, b in zip(times[warmup:], times[warmup + 1:])]
        guest_us = res[0] / res[1] * 1000 / count
        return {
            "median_us": statistics.median(gaps) * 1e6,
            "p10_us": pct(gaps, 10) * 1e6,
            "p90_us": pct(gaps, 90) * 1e6,
            "guest_us": guest_us,
            "qmp_us": statistics.median(qmp_rt) * 1e6,
        }
    finally:
        g.quit()


def restricted_pages(config, first_pfn, last_pfn):
    if config == "none":
        return "rwx", []
    if config == "1% rwx":
        return "rwx", [p for p in range(first_pfn, last_pfn) if p % 100 == 0]
    if config == "1% rw":
        return "rw", [p for p in range(first_pfn, last_pfn) if p % 100 == 0]
    if config == "50% rw":
        return "rw", [p for p in range(first_pfn, last_pfn) if p % 2 == 0]
    raise ValueError(config)


def bench_loops(qemu, image, tmpdir, configs, passes, runs, log):
    """All configurations in one QEMU, alternating, @runs times."""
    g = Guest(qemu, image, tmpdir, "loop")
    try:
        qmp = g.qmp
        first_pfn = max(2 << 20, (g.image_end + PAGE - 1) & ~(PAGE - 1)) // PAGE
        last_pfn = (RAM_MIB << 20) // PAGE
        # Warm up: QEMU's RAM behind the buffer is touched, the code is
        # translated.
        for op, flush in LOOPS.values():
            g.begin(op, TEST_AREA, LOOP_BUFFER, 2, flush)
            g.end()
        out = {c: [] for c in configs}
        for r in range(runs):
            for c in configs:
                access, pfns = restricted_pages(c, first_pfn, last_pfn)
                t0 = time.perf_counter()
                qmp.cmd("stop")
                # Everything back to plain rwx, then this configuration.
                qmp.cmd("hvpart-gpa-map", gpa=0, size=last_pfn * PAGE,
                        access="rwx")
                qmp.cmd_many("hvpart-gpa-set-access",
                             [{"gpa": pfn * PAGE, "size": PAGE,
                               "access": access} for pfn in pfns])
                qmp.cmd("cont")
                setup = time.perf_counter() - t0
                runs_q = qmp.cmd("hvpart-gpa-query")
                res = {"pages": len(pfns), "total_pages": last_pfn,
                       "not_rwx": sum(x["size"] // PAGE for x in runs_q
                                      if x.get("access") != "rwx"),
                       "setup_s": setup}
                for name, (op, flush) in LOOPS.items():
                    # QEMU resizes its software TLB at flushes, from the
                    # use it saw in the last 100 ms: let it settle to this
                    # loop first, then measure.
                    g.begin(op, TEST_AREA, LOOP_BUFFER, max(passes // 2, 4),
                            flush)
                    g.end()
                    g.begin(op, TEST_AREA, LOOP_BUFFER, passes, flush)
                    rr = g.end()
                    res[name] = rr[0] / rr[1]       # milliseconds
                    res[name + "-sum"] = rr[2]
                    res[name + "-pass"] = rr[3] / rr[1]
                out[c].append(res)
                line = "run %d loop %s %s" % (r + 1, c, json.dumps(res))
                print(line, flush=True)
                log.write(line + "\n")
        return out
    finally:
        g.quit()


def main():
    qemu, image, outdir = sys.argv[1:4]
    runs = int(os.environ.get("BENCH_PARTITION_RUNS", "3"))
    count = int(os.environ.get("BENCH_INTERCEPTS", "1000"))
    passes = int(os.environ.get("BENCH_LOOP_PASSES", "60"))
    warmup = min(20, count // 10)
    configs = ["none", "1% rw", "50% rw", "1% rwx"]
    raw = open(os.path.join(outdir, "partition-raw.txt"), "w")

    with tempfile.TemporaryDirectory(prefix="hvpart-bench-") as tmpdir:
        icpt = []
        for r in range(runs):
            res = bench_intercepts(qemu, image, tmpdir, count, warmup)
            icpt.append(res)
            line = "run %d intercept %s" % (r + 1, json.dumps(res))
            print(line, flush=True)
            raw.write(line + "\n")
        loops = bench_loops(qemu, image, tmpdir, configs, passes, runs, raw)
    raw.close()

    lines = []
    med = statistics.median
    lines.append("benchmark: hvpart partition semantics, %d runs (medians)" %
                 runs)
    lines.append("intercept round trip over QMP (guest access -> "
                 "HVPART_INTERCEPT -> hvpart-vp-resume skip -> guest "
                 "continues), %d intercepts per run:" % (count - warmup - 1))
    lines.append("  per intercept  %8.1f us  (p10 %.1f, p90 %.1f; guest's "
                 "view %.1f us)" %
                 (med([x["median_us"] for x in icpt]),
                  med([x["p10_us"] for x in icpt]),
                  med([x["p90_us"] for x in icpt]),
                  med([x["guest_us"] for x in icpt])))
    lines.append("  for scale: a QMP command round trip (query-status) "
                 "%.1f us" % med([x["qmp_us"] for x in icpt]))
    first = loops["none"][0]
    lines.append("guest CPU/memory loop, %d passes over %d MiB, rights 'rw' "
                 "on pages of the %d (RAM from 2 MiB), guest ms:" %
                 (passes, LOOP_BUFFER >> 20, first["total_pages"]))
    lines.append("  total: median of %d runs; pass: the fastest pass of all "
                 "runs (least disturbed by the host); xN: against 'none'" %
                 runs)
    lines.append("  %-7s %6s | %-31s | %-31s" %
                 ("pages", "count", "stream (TLB flush / 4096 pages)",
                  "stride (TLB flush / 64 pages)"))
    lines.append("  %-7s %6s | %-31s | %-31s" %
                 ("", "", "total         pass", "total         pass"))
    base = {}
    for k in ("stream", "stride"):
        base[k] = med([x[k] for x in loops["none"]])
        base[k + "-pass"] = min(x[k + "-pass"] for x in loops["none"])
    for c in configs:
        cols = []
        for k in ("stream", "stride"):
            t = med([x[k] for x in loops[c]])
            p = min(x[k + "-pass"] for x in loops[c])
            cols.append("%7.1f x%.3f %6.2f x%.3f" %
                        (t, t / base[k], p, p / base[k + "-pass"]))
        lines.append("  %-7s %6d | %-31s | %-31s" %
                     (c, loops[c][0]["pages"], cols[0], cols[1]))
    sums = {(k, x[k + "-sum"]) for c in configs for x in loops[c]
            for k in ("stream", "stride")}
    lines.append("  (every run computed the same checksum: %s)" %
                 ("yes" if len(sums) == 2 else "NO: %s" % sums))
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(outdir, "partition.txt"), "w") as f:
        f.write(text + "\n")
    return 0 if len(sums) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
