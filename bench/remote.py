"""Benchmark of the remote core: Tandem Assist -> relay -> viewer on a 1080p Xvfb.

Starts its own Xvfb 1920x1080x24, the standalone relay and Tandem Assist (auto-consent
control, terminal mode) as separate processes, and PROTO's headless ViewerClient in this
process (decoder, acks after apply, input through the protocol). Workloads: idle desktop, typing into xterm through
the viewer's key events (closed loop at 20 chars/s), scrolling text in xterm (30 lines/s),
dragging a window (60 moves/s), a full-screen video-like image (60 fps source), and the
typing workload again through a 2 Mbit/s throttling TCP proxy.

    python bench/remote.py [--json] [--quick]

Prints one line per figure, or one JSON object with ``--json``. Targets (issue 4):
idle <= 1 KB/s, typing <= 20 KB/s, full screen >= 30 fps, latency p50 <= 40 ms and
p95 <= 80 ms, assist idle CPU <= 2 %, RSS <= 80 MB, throttled p95 <= 500 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT = 1920, 1080
XK_CONTROL_L = 0xFFE3
TARGETS = {
    "idle_kbps": ("<=", 1.0), "typing_kbps": ("<=", 20.0), "full_fps": (">=", 30.0),
    "latency_p50_ms": ("<=", 40.0), "latency_p95_ms": ("<=", 80.0),
    "assist_idle_cpu_pct": ("<=", 2.0), "assist_rss_mb": ("<=", 80.0),
    "throttled_latency_p95_ms": ("<=", 500.0), "assist_ready_ms": ("<=", 1500.0),
}


# --- helpers that run as separate X clients (``bench/remote.py --worker NAME``) ----------


def worker_video(display: str, fps: float) -> None:
    """A full-screen window showing a moving plasma: frames pre-rendered into pixmaps."""
    import numpy as np
    from Xlib import X
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    screen = d.screen()
    win = screen.root.create_window(0, 0, WIDTH, HEIGHT, 0, screen.root_depth,
                                    override_redirect=True, background_pixel=0)
    win.map()
    gc = win.create_gc()
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    pixmaps = []
    for i in range(12):
        p = i * 0.5
        img = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
        img[..., 0] = (np.sin(xx / 97 + p) * 60 + np.sin(yy / 53 - p) * 60 + 128).astype(np.uint8)
        img[..., 1] = (np.sin((xx + yy) / 131 + p * 1.3) * 100 + 128).astype(np.uint8)
        img[..., 2] = (np.cos(np.hypot(xx - 960, yy - 540) / 70 - p) * 110 + 128).astype(
            np.uint8)
        pm = win.create_pixmap(WIDTH, HEIGHT, screen.root_depth)
        step = 30  # a PutImage request must stay under 256 KiB
        for row in range(0, HEIGHT, step):
            part = np.ascontiguousarray(img[row:row + step])
            pm.put_image(gc, 0, row, WIDTH, part.shape[0], X.ZPixmap, 24, 0, part.tobytes())
        pixmaps.append(pm)
    d.sync()
    print("ready", flush=True)
    period = 1.0 / fps
    next_at = time.monotonic()
    i = 0
    while True:
        win.copy_area(gc, pixmaps[i % len(pixmaps)], 0, 0, WIDTH, HEIGHT, 0, 0)
        d.sync()
        i += 1
        next_at += period
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            next_at = time.monotonic()


def worker_drag(display: str, rate: float) -> None:
    """A 640x400 window with text-like content moved around the screen ``rate`` times/s."""
    import math

    import numpy as np
    from Xlib import X
    from Xlib import display as xdisplay

    d = xdisplay.Display(display)
    screen = d.screen()
    w, h = 640, 400
    rng = np.random.default_rng(1)
    img = np.full((h, w, 4), 235, np.uint8)
    img[:30] = (120, 70, 30, 0)
    glyphs = rng.random((h - 60, w - 40)) < 0.15
    img[45:h - 15, 20:w - 20][glyphs] = (30, 30, 30, 0)
    pm = screen.root.create_pixmap(w, h, screen.root_depth)
    gc = pm.create_gc()
    for row in range(0, h, 20):
        part = np.ascontiguousarray(img[row:row + 20])
        pm.put_image(gc, 0, row, w, part.shape[0], X.ZPixmap, 24, 0, part.tobytes())
    win = screen.root.create_window(100, 100, w, h, 0, screen.root_depth,
                                    override_redirect=True, background_pixmap=pm)
    win.map()
    d.sync()
    print("ready", flush=True)
    t0 = time.monotonic()
    period = 1.0 / rate
    k = 0
    while True:
        t = time.monotonic() - t0
        win.configure(x=int(600 + 450 * math.cos(t * 1.3)), y=int(330 + 250 * math.sin(t * 1.7)))
        d.sync()
        k += 1
        delay = t0 + k * period - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def worker_scroll(rate: float) -> None:
    """Print numbered lines of text ``rate`` lines per second (run inside an xterm)."""
    words = "the quick brown fox jumps over the lazy dog while support agents help".split()
    i = 0
    t0 = time.monotonic()
    while True:
        line = " ".join(words[(i + j) % len(words)] for j in range(12))
        print(f"{i:6d} {line}", flush=True)
        i += 1
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)


# --- process bookkeeping -----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Procs:
    """Child processes of the benchmark, all stopped at the end."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[Any]] = []

    def start(self, args: list[str], env: dict[str, str], **kw: Any) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(args, env=env, cwd=str(ROOT), **kw)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[Any]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)


def wait_line(proc: subprocess.Popen[Any], pattern: str, timeout: float = 30.0) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"process exited while waiting for {pattern!r}")
        found = re.search(pattern, line)
        if found:
            return found
    raise TimeoutError(pattern)


# --- throttling proxy ----------------------------------------------------------------------


class ThrottleProxy:
    """TCP proxy limiting each direction to ``bits_per_s`` (token bucket, 4 KB chunks).

    Only what is written is read, so backpressure reaches the sender's socket as on a
    real slow link.
    """

    def __init__(self, target_port: int, bits_per_s: float) -> None:
        self.target_port = target_port
        self.rate = bits_per_s / 8
        self.server: asyncio.AbstractServer | None = None
        self.port = 0
        self._connections: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(self._pipe(reader, up_w), self._pipe(up_r, writer),
                                 return_exceptions=True)
        except asyncio.CancelledError:
            writer.close()  # stop(): the proxy is going away with its connections
        finally:
            self._connections.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        next_free = time.monotonic()
        try:
            while data := await reader.read(4096):
                now = time.monotonic()
                next_free = max(next_free, now) + len(data) / self.rate
                if next_free > now:
                    await asyncio.sleep(next_free - now)
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            for task in list(self._connections):
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self.server.wait_closed()


# --- the viewer ----------------------------------------------------------------------------


@dataclass
class Meter:
    bytes: int = 0
    frames: int = 0
    big_frames: int = 0
    t0: float = field(default_factory=time.monotonic)

    def kbps(self) -> float:
        return self.bytes / 1024 / max(time.monotonic() - self.t0, 1e-6)

    def fps(self, big: bool = False) -> float:
        return (self.big_frames if big else self.frames) / max(time.monotonic() - self.t0, 1e-6)


class BenchViewer:
    """PROTO's headless ``ViewerClient`` (decoder, ack after apply, input) plus counters."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.meter = Meter()
        self.frame_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def join(cls, url: str, code: str) -> BenchViewer:
        from remote.viewer.client import ViewerClient

        client = ViewerClient(url, code, ping_interval_s=None)
        await client.connect()
        viewer = cls(client)
        viewer.task = asyncio.create_task(viewer._run())
        return viewer

    async def _run(self) -> None:
        from remote.protocol.codec import encode
        from remote.viewer.client import FrameApplied

        async for event in self.client.events():
            if isinstance(event, FrameApplied):
                fb = self.client.framebuffer
                self.meter.bytes += event.nbytes
                self.meter.frames += 1
                area = sum(w * h for _, _, w, h in event.dirty)
                if fb is not None and area >= 0.9 * fb.width * fb.height:
                    self.meter.big_frames += 1
                self.frame_event.set()
            else:
                try:  # cursor, layout, consent...: count their wire size too
                    self.meter.bytes += len(encode(event))
                except TypeError:
                    pass  # Disconnected/Resumed/Closed are not messages

    def reset_meter(self) -> None:
        self.meter = Meter()

    async def wait_frame(self, timeout: float) -> None:
        self.frame_event.clear()
        await asyncio.wait_for(self.frame_event.wait(), timeout)

    async def settle(self, quiet_s: float = 1.0, timeout: float = 20.0) -> None:
        """Wait until no frame arrived for ``quiet_s`` (initial frame and refresh done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                await self.wait_frame(quiet_s)
            except TimeoutError:
                return

    async def key(self, keysym: int) -> None:
        await self.client.tap_key(keysym)

    async def send_key(self, keysym: int, down: bool) -> None:
        await self.client.send_key(keysym, down)

    async def pointer(self, x: int, y: int, buttons: int = 0) -> None:
        await self.client.send_pointer(x, y, buttons)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.close()
        if self.task:
            self.task.cancel()


# --- the run ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, quick: bool, window: int = 4) -> None:
        self.quick = quick
        self.window = window
        # TANDEM_BENCH_ASSIST_LOG=DEBUG shows the assist's per-frame timings on stderr.
        self.assist_log = None if os.environ.get("TANDEM_BENCH_ASSIST_LOG") else \
            subprocess.DEVNULL
        self.phase_s = 4.0 if quick else 10.0
        self.procs = Procs()
        self.results: dict[str, Any] = {}
        self.notes: list[str] = []

    def env(self) -> dict[str, str]:
        env = self.xvfb.env()
        env["PYTHONPATH"] = str(ROOT)
        env["XDG_CONFIG_HOME"] = str(self.tmp)
        return env

    async def start_assist(self, hub_port: int) -> tuple[subprocess.Popen[Any], BenchViewer]:
        t0 = time.monotonic()
        assist = self.procs.start(
            [sys.executable, "-m", "remote.assist.main", "--hub", f"ws://127.0.0.1:{hub_port}",
             "--terminal", "--request-help", "--auto-consent", "control", "--problem", "bench",
             "--log-level", os.environ.get("TANDEM_BENCH_ASSIST_LOG", "WARNING"),
             "--window", str(self.window)],
            self.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.assist_log,
            text=True)
        await asyncio.to_thread(wait_line, assist, "Tandem Assist ready")
        ready_ms = (time.monotonic() - t0) * 1000
        self.results.setdefault("assist_ready_ms", round(ready_ms, 1))
        match = await asyncio.to_thread(wait_line, self.relay, r"--code (\d+)")
        viewer = await BenchViewer.join(f"ws://127.0.0.1:{self.relay_port}/viewer", match[1])
        await viewer.wait_frame(20)
        await viewer.settle()
        return assist, viewer

    async def typing(self, viewer: BenchViewer, seconds: float) -> tuple[list[float], float]:
        """Closed-loop typing at <= 20 chars/s; latency = key sent -> changed frame decoded."""
        await viewer.pointer(300, 200)  # the xterm has the focus under the pointer
        await viewer.settle(0.3)
        text = "the quick brown fox jumps over the lazy dog "
        latencies: list[float] = []
        viewer.reset_meter()
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            sent = time.monotonic()
            ch = text[i % len(text)]
            i += 1
            viewer.frame_event.clear()
            await viewer.key(ord(ch))
            try:
                await asyncio.wait_for(viewer.frame_event.wait(), 2.0)
                latencies.append((time.monotonic() - sent) * 1000)
            except TimeoutError:
                latencies.append(2000.0)
            if i % 40 == 0:  # clear the line now and then (Ctrl+U) so it never wraps
                await viewer.send_key(XK_CONTROL_L, True)
                await viewer.key(ord("u"))
                await viewer.send_key(XK_CONTROL_L, False)
            delay = sent + 0.05 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        return latencies, viewer.meter.kbps()

    async def run(self) -> dict[str, Any]:
        import tempfile

        from tests.support.xserver import Xvfb

        self.tmp = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
        self.xvfb = Xvfb(WIDTH, HEIGHT, 24).start()
        try:
            return await self._run()
        finally:
            self.procs.stop_all()
            self.xvfb.stop()

    async def _run(self) -> dict[str, Any]:
        env = self.env()
        self.relay = self.procs.start(
            [sys.executable, "-m", "remote.relay.standalone", "--port", "0"], env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.relay_port = int((await asyncio.to_thread(wait_line, self.relay, r":(\d+) "))[1])
        xterm = self.procs.start(["xterm", "-geometry", "100x30+40+40", "+sb"], env,
                                 stderr=subprocess.DEVNULL)
        del xterm
        await asyncio.sleep(1.0)
        assist, viewer = await self.start_assist(self.relay_port)
        pid = assist.pid
        r = self.results

        # idle
        viewer.reset_meter()
        c0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(self.phase_s)
        r["assist_idle_cpu_pct"] = round((cpu_seconds(pid) - c0) / (time.monotonic() - t0)
                                         * 100, 2)
        r["idle_kbps"] = round(viewer.meter.kbps(), 3)

        # typing
        latencies, kbps = await self.typing(viewer, self.phase_s)
        r["typing_kbps"] = round(kbps, 2)
        r["latency_p50_ms"] = round(statistics.median(latencies), 1)
        r["latency_p95_ms"] = round(_p95(latencies), 1)
        r["latency_samples"] = len(latencies)

        # scrolling text in an xterm
        scroll = self.procs.start(
            ["xterm", "-geometry", "100x45+700+60", "+sb", "-e", sys.executable, __file__,
             "--worker", "scroll"], env, stderr=subprocess.DEVNULL)
        await asyncio.sleep(1.0)
        viewer.reset_meter()
        await asyncio.sleep(self.phase_s)
        r["scroll_kbps"] = round(viewer.meter.kbps(), 1)
        r["scroll_fps"] = round(viewer.meter.fps(), 1)
        self.procs.stop(scroll)
        await viewer.settle(0.5)

        # dragging a window
        drag = self.procs.start([sys.executable, __file__, "--worker", "drag", "--display",
                                 self.xvfb.display], env, stdout=subprocess.PIPE, text=True)
        await asyncio.to_thread(wait_line, drag, "ready")
        await asyncio.sleep(0.5)
        viewer.reset_meter()
        await asyncio.sleep(self.phase_s)
        r["drag_fps"] = round(viewer.meter.fps(), 1)
        r["drag_kbps"] = round(viewer.meter.kbps(), 1)
        self.procs.stop(drag)
        await viewer.settle(0.5)

        # full-screen video-like image
        video = self.procs.start([sys.executable, __file__, "--worker", "video", "--display",
                                  self.xvfb.display], env, stdout=subprocess.PIPE, text=True)
        await asyncio.to_thread(wait_line, video, "ready", 120)
        await asyncio.sleep(1.0)
        viewer.reset_meter()
        others = {"relay": self.relay.pid, "xvfb": self.xvfb.process.pid, "video_source": video.pid,
                  "viewer": os.getpid()}
        before = {name: cpu_seconds(p) for name, p in others.items()}
        c0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(self.phase_s)
        elapsed = time.monotonic() - t0
        r["assist_busy_cpu_pct"] = round((cpu_seconds(pid) - c0) / elapsed * 100, 1)
        r["full_phase_cpu_pct"] = {name: round((cpu_seconds(p) - before[name]) / elapsed * 100, 1)
                                   for name, p in others.items()}
        r["load_average"] = round(os.getloadavg()[0], 2)
        r["full_fps"] = round(viewer.meter.fps(big=True), 1)
        r["full_updates_fps"] = round(viewer.meter.fps(), 1)
        r["full_kbps"] = round(viewer.meter.kbps(), 1)
        self.procs.stop(video)
        await viewer.settle(1.0)
        await asyncio.sleep(1.5)  # the assist returns freed buffers 1 s after the last frame
        r["assist_rss_mb"] = round(rss_mb(pid), 1)
        r["assist_peak_rss_mb"] = round(rss_mb(pid, "VmHWM"), 1)
        await viewer.close()
        self.procs.stop(assist)

        # typing again through a 2 Mbit/s link between the assist and the relay
        proxy = ThrottleProxy(self.relay_port, 2_000_000)
        await proxy.start()
        try:
            assist2, viewer2 = await self.start_assist(proxy.port)
            latencies, kbps = await self.typing(viewer2, self.phase_s)
            r["throttled_latency_p50_ms"] = round(statistics.median(latencies), 1)
            r["throttled_latency_p95_ms"] = round(_p95(latencies), 1)
            r["throttled_typing_kbps"] = round(kbps, 2)
            await viewer2.close()
            self.procs.stop(assist2)
        finally:
            await proxy.stop()
        return r


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="4 s phases instead of 10 s")
    parser.add_argument("--window", type=int, default=4, help="assist's frame window")
    parser.add_argument("--worker", choices=("video", "drag", "scroll"), help=argparse.SUPPRESS)
    parser.add_argument("--display", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "video":
        worker_video(args.display, 60.0)
        return 0
    if args.worker == "drag":
        worker_drag(args.display, 60.0)
        return 0
    if args.worker == "scroll":
        worker_scroll(30.0)
        return 0
    started = time.monotonic()
    results = asyncio.run(Bench(args.quick, args.window).run())
    results["bench_seconds"] = round(time.monotonic() - started, 1)
    if args.json:
        print(json.dumps(results))
        return 0
    for key, value in results.items():
        target = TARGETS.get(key)
        verdict = ""
        if target:
            op, bound = target
            ok = value <= bound if op == "<=" else value >= bound
            verdict = f"  (target {op} {bound}: {'ok' if ok else 'MISS'})"
        print(f"{key:28s} {value}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
