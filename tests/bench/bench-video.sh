#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench, synthetic video (issue 6): the cost of screen updates. The
# Debian guest (hyperv_drm, tests/guest/scripts/fb-bench.sh) fills its
# framebuffer as fast as it can, whole frames and then bands of lines,
# under -accel hvpart with -device vmbus-video in its two redraw modes,
# alternating from run to run:
#   dirty-rects=on   the device asks the guest for dirty rectangles and
#                    limits the console's redraws to them (the default)
#   dirty-rects=off  the device ignores the guest's (unrequested) rectangles
#                    and finds changes in the VRAM's dirty-page log at each
#                    refresh, as QEMU's other display devices do
# The screen is really drawn: a VNC viewer (a minimal RFB 3.8 client,
# below, raw encoding) is connected over a UNIX socket and asks for
# incremental updates continuously, so QEMU refreshes the console every
# 30 ms or so, as for a user.
#
# Measured per phase (between the guest's fb-bench-start/-end lines):
#   fills/s            frames the guest wrote per second of its own clock
#   host CPU ms/fill   QEMU's CPU time (utime+stime of the whole process,
#                      /proc/PID/stat) over the phase, per frame, and the
#                      part of it in (/proc/PID/task/*/stat, named with
#                      debug-threads=on): the vCPU threads (the guest
#                      writing, its fbdev worker copying to the VRAM), the
#                      main loop (the device's messages and redraw, the VNC
#                      server's refresh and compare) and the VNC worker
#                      (encoding and sending)
#   display updates/s  framebuffer updates the viewer received
# Reports medians per mode and the ratio scan/rects.
#   BENCH_RUNS=N (default 3) runs per mode; BENCH_VIDEO_RUNS=N overrides
#   it for this benchmark alone
#   BENCH_FRAMES=N (default 100) full-frame fills, BENCH_BANDS=N (default
#   200) band fills of BENCH_LINES=N (default 64) lines
#   BENCH_VIDEO_RES=WxH (default 1024x768) the device's preferred mode,
#   which the guest uses (vram-size grows to hold it)
#   BENCH_VIDEO_PERF=DIR  also record each phase with perf record -g into
#   DIR/perf-PHASE-MODE-RUN.data (for looking into the numbers)
# Output: build/bench/video.txt (summary), video-raw.txt (one line per run
# and phase), video-console-MODE.log (the last run's guest console).
set -euo pipefail

# shellcheck source=tests/bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

for f in "$qemu" "$guest/vmlinuz" "$guest/initramfs.cpio.gz"; do
    if [ ! -e "$f" ]; then
        echo "bench-video: $f is missing (make tests guest)" >&2
        exit 1
    fi
done

exec python3 - "$qemu" "$guest" "$out" <<'PYTHON'
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

qemu, guest, out = sys.argv[1:4]
runs = int(os.environ.get("BENCH_VIDEO_RUNS",
                          os.environ.get("BENCH_RUNS", "3")))
frames = int(os.environ.get("BENCH_FRAMES", "100"))
bands = int(os.environ.get("BENCH_BANDS", "200"))
lines = int(os.environ.get("BENCH_LINES", "64"))
res = os.environ.get("BENCH_VIDEO_RES", "1024x768")
m = re.fullmatch(r"(\d+)x(\d+)", res)
if not m:
    sys.exit("bench-video: BENCH_VIDEO_RES must be WxH")
width, height = int(m.group(1)), int(m.group(2))
mib = 1 << 20
vram = max(8 * mib, (width * height * 4 + mib - 1) // mib * mib)
perf_dir = os.environ.get("BENCH_VIDEO_PERF")
TCK = os.sysconf("SC_CLK_TCK")
RUN_TIMEOUT = 900
MODES = ("on", "off")
VIDEO = "/machine/peripheral/video"


def log(msg):
    print(msg, flush=True)


class Viewer(threading.Thread):
    """A VNC viewer (RFC 6143): security None, raw encoding plus the
    DesktopSize pseudo-encoding, incremental update requests one after the
    other. Counts the framebuffer updates and pixel bytes it receives."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.updates = 0
        self.bytes = 0
        self.error = None
        self.sock = None

    def recv(self, n):
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = self.sock.recv_into(view[got:], n - got)
            if k == 0:
                raise EOFError("VNC server closed the connection")
            got += k
        return bytes(buf)

    def skip(self, n):
        buf = bytearray(min(n, 1 << 20))
        while n > 0:
            k = self.sock.recv_into(buf, min(n, len(buf)))
            if k == 0:
                raise EOFError("VNC server closed the connection")
            n -= k

    def request(self, incremental):
        self.sock.sendall(struct.pack(">BBHHHH", 3, incremental, 0, 0,
                                      self.w, self.h))

    def run(self):
        try:
            self.session()
        except (OSError, EOFError, ValueError) as e:
            self.error = str(e)

    def session(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(600):
            try:
                self.sock.connect(self.path)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise OSError("cannot connect to " + self.path)
        if self.recv(12) != b"RFB 003.008\n":
            raise ValueError("not an RFB 3.8 server")
        self.sock.sendall(b"RFB 003.008\n")
        types = self.recv(self.recv(1)[0])
        if 1 not in types:
            raise ValueError("VNC server wants authentication")
        self.sock.sendall(b"\x01")
        if struct.unpack(">I", self.recv(4))[0] != 0:
            raise ValueError("VNC security handshake failed")
        self.sock.sendall(b"\x01")                      # shared
        init = self.recv(24)
        self.w, self.h = struct.unpack(">HH", init[:4])
        bypp = init[4] // 8
        self.recv(struct.unpack(">I", init[20:24])[0])  # name
        self.sock.sendall(struct.pack(">BBHii", 2, 0, 2, 0, -223))
        self.request(0)
        while True:
            kind = self.recv(1)[0]
            if kind == 0:                               # FramebufferUpdate
                nrects = struct.unpack(">xH", self.recv(3))[0]
                for _ in range(nrects):
                    x, y, w, h, enc = struct.unpack(">HHHHi", self.recv(12))
                    if enc == 0:
                        self.skip(w * h * bypp)
                        self.bytes += w * h * bypp
                    elif enc == -223:
                        self.w, self.h = w, h
                    else:
                        raise ValueError("unexpected encoding %d" % enc)
                self.updates += 1
                self.request(1)
            elif kind == 1:                             # SetColourMapEntries
                n = struct.unpack(">xHH", self.recv(5))[1]
                self.recv(6 * n)
            elif kind == 2:                             # Bell
                pass
            elif kind == 3:                             # ServerCutText
                self.recv(struct.unpack(">3xI", self.recv(7))[0])
            else:
                raise ValueError("unexpected server message %d" % kind)


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(600):
            try:
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise OSError("cannot connect to " + path)
        self.f = self.sock.makefile("rwb")
        self.f.readline()                               # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name,
                                 "arguments": args}).encode() + b"\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("QMP closed")
            r = json.loads(line)
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise ValueError("QMP %s: %s" % (name, r["error"]))

    def close(self):
        self.sock.close()


def cpu_times(pid):
    """CPU seconds of process PID: "cpu" all of it (reaped threads too),
    "vcpu" its vCPU threads' (named "CPU n/..." with debug-threads=on),
    "main" the main loop's (the device's redraw, the VNC server's refresh),
    "vnc" the VNC worker's (encoding, sending)."""
    def fields(path):
        with open(path) as f:
            s = f.read()
        return s[s.index("(") + 1:s.rindex(")")], s[s.rindex(")") + 2:].split()

    _, f = fields("/proc/%d/stat" % pid)
    t = {"cpu": int(f[11]) + int(f[12]), "vcpu": 0, "main": 0, "vnc": 0}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            comm, f = fields("/proc/%d/task/%s/stat" % (pid, tid))
        except OSError:
            continue
        if comm.startswith("CPU "):
            key = "vcpu"
        elif int(tid) == pid:
            key = "main"
        elif comm == "vnc_worker":
            key = "vnc"
        else:
            continue
        t[key] += int(f[11]) + int(f[12])
    return {k: v / TCK for k, v in t.items()}


def sample(pid, viewer, qmp):
    s = cpu_times(pid)
    s.update({
        "t": time.monotonic(),
        "updates": viewer.updates, "vbytes": viewer.bytes,
        "rects": qmp.cmd("qom-get", path=VIDEO, property="redraws-from-rects"),
        "scans": qmp.cmd("qom-get", path=VIDEO, property="redraws-from-scan"),
    })
    return s


def one_run(mode, run):
    """Boot the guest with dirty-rects=MODE; returns {phase: result}."""
    tmp = tempfile.mkdtemp(prefix="bench-video-")
    vnc_path = os.path.join(tmp, "vnc.sock")
    qmp_path = os.path.join(tmp, "qmp.sock")
    append = ("console=ttyS0 panic=-1 vt.global_cursor_default=0"
              " hvtest.mods=hv_vmbus,hyperv_drm hvtest.script=fb-bench"
              " fbbench.frames=%d fbbench.bands=%d fbbench.lines=%d"
              % (frames, bands, lines))
    cmd = [qemu, "-accel", "hvpart", "-machine", "pc", "-m", "512",
           "-smp", "2", "-name", "bench-video,debug-threads=on",
           "-nodefaults", "-no-reboot", "-display", "none",
           "-vnc", "unix:" + vnc_path,
           "-qmp", "unix:%s,server=on,wait=off" % qmp_path,
           "-serial", "stdio",
           "-device", "vmbus-video,id=video,dirty-rects=%s,xres=%d,yres=%d,"
                      "vram-size=%d" % (mode, width, height, vram),
           "-kernel", os.path.join(guest, "vmlinuz"),
           "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
           "-append", append]
    console = open(os.path.join(out, "video-console-%s.log" % mode), "w")
    for attempt in range(30):
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            break
        except (PermissionError, FileNotFoundError, OSError):
            # Being relinked by a build in the shared tree: wait for it.
            if attempt == 29:
                raise
            time.sleep(10)
    timer = threading.Timer(RUN_TIMEOUT, proc.kill)
    timer.start()
    viewer = Viewer(vnc_path)
    viewer.start()
    qmp = None
    results, start, info, err = {}, {}, None, None
    viewer_error = None
    perf = None
    try:
        qmp = Qmp(qmp_path)
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            console.write(line)
            i = line.find("HVTEST: ")
            if i < 0:
                continue
            words = line[i + 8:].split()
            if not words:
                continue
            kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            if words[0] == "fb-bench-info":
                info = kv
            elif words[0] == "fb-bench-start":
                start[kv["phase"]] = sample(proc.pid, viewer, qmp)
                if perf_dir:
                    perf = subprocess.Popen(
                        ["perf", "record", "-q", "-g", "-p", str(proc.pid),
                         "-o", os.path.join(perf_dir, "perf-%s-%s-%d.data"
                                            % (kv["phase"], mode, run))],
                        stdout=subprocess.DEVNULL)
            elif words[0] == "fb-bench-end":
                end = sample(proc.pid, viewer, qmp)
                if perf:
                    perf.send_signal(signal.SIGINT)
                    perf.wait()
                    perf = None
                s = start[kv["phase"]]
                n = int(kv["frames"])
                guest_s = int(kv["guest_ms"]) / 1000
                host_s = end["t"] - s["t"]
                results[kv["phase"]] = {
                    "frames": n,
                    "fps": n / guest_s if guest_s > 0 else float("nan"),
                    "host_fps": n / host_s,
                    "cpu_ms": (end["cpu"] - s["cpu"]) * 1000 / n,
                    "vcpu_ms": (end["vcpu"] - s["vcpu"]) * 1000 / n,
                    "main_ms": (end["main"] - s["main"]) * 1000 / n,
                    "vnc_ms": (end["vnc"] - s["vnc"]) * 1000 / n,
                    "cpu_util": (end["cpu"] - s["cpu"]) / host_s,
                    "ups": (end["updates"] - s["updates"]) / host_s,
                    "vmbps": (end["vbytes"] - s["vbytes"]) / host_s / mib,
                    "rects": end["rects"] - s["rects"],
                    "scans": end["scans"] - s["scans"],
                }
            elif words[0] in ("fb-bench-error", "fb-bench-done") or \
                    words[0] == "done":
                if words[0] == "fb-bench-error":
                    err = " ".join(words)
                # The viewer sees the end of QEMU later: not an error.
                viewer_error = viewer.error
                break
    finally:
        if qmp:
            try:
                qmp.cmd("quit")
            except (OSError, EOFError, ValueError):
                pass
            qmp.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        timer.cancel()
        console.close()
        for p in (vnc_path, qmp_path):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(tmp)
    if err or set(results) != {"full", "band"}:
        raise RuntimeError("dirty-rects=%s run %d did not finish (%s; "
                           "viewer: %s); see %s" %
                           (mode, run, err or "no fb-bench-end",
                            viewer.error or "ok", console.name))
    if viewer_error:
        raise RuntimeError("VNC viewer: " + viewer_error)
    if info and (int(info["width"]), int(info["height"])) != (width, height):
        raise RuntimeError("the guest used %sx%s, not %s" %
                           (info["width"], info["height"], res))
    return results


COLS = ("fps", "host_fps", "cpu_ms", "vcpu_ms", "main_ms", "vnc_ms",
        "cpu_util",
        "ups", "vmbps", "rects", "scans")
raw_path = os.path.join(out, "video-raw.txt")
all_runs = {m: [] for m in MODES}
with open(raw_path, "w") as raw:
    raw.write("# mode run phase frames " + " ".join(COLS) + "\n")
    for run in range(1, runs + 1):
        for mode in MODES:
            r = one_run(mode, run)
            all_runs[mode].append(r)
            for phase in ("full", "band"):
                p = r[phase]
                row = "dirty-rects=%s %d %s %d " % (mode, run, phase,
                                                    p["frames"])
                row += " ".join("%.3f" % p[c] if isinstance(p[c], float)
                                else str(p[c]) for c in COLS)
                raw.write(row + "\n")
                raw.flush()
                log("video: dirty-rects=%-3s run %d %-4s %6.1f fills/s "
                    "%6.2f ms CPU/fill (vCPU %.2f, main loop %.2f, "
                    "VNC worker %.2f) %4.1f display updates/s"
                    % (mode, run, phase, p["fps"], p["cpu_ms"],
                       p["vcpu_ms"], p["main_ms"], p["vnc_ms"], p["ups"]))


def med(mode, phase, col):
    return statistics.median(r[phase][col] for r in all_runs[mode])


rows = [
    ("fills/s", "fps"),
    ("host CPU ms/fill", "cpu_ms"),
    ("  vCPU threads", "vcpu_ms"),
    ("  main loop", "main_ms"),
    ("  VNC worker", "vnc_ms"),
    ("display updates/s", "ups"),
]
summary = ["benchmark: vmbus-video screen updates, %dx%d 32 bpp, VNC viewer "
           "connected, %d run(s) per mode (medians)" % (width, height, runs),
           "  full: %d whole-frame writes; band: %d writes of %d lines"
           % (frames, bands, lines),
           "%-28s %12s %12s %8s" % ("", "dirty-rects", "scan", "ratio")]
for phase in ("full", "band"):
    for name, col in rows:
        on, off = med("on", phase, col), med("off", phase, col)
        ratio = "%8.3f" % (off / on) if on else "%8s" % "-"
        summary.append("%-28s %12.2f %12.2f %s" %
                       ("%s %s" % (phase, name), on, off, ratio))
summary.append("(ratio = scan / dirty-rects; dirty-rects=on: redraws from "
               "the guest's rectangles, off: from the VRAM's dirty-page log)")
text = "\n".join(summary) + "\n"
with open(os.path.join(out, "video.txt"), "w") as f:
    f.write(text)
sys.stdout.write(text)
PYTHON
