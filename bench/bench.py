#!/usr/bin/env python3
"""Pantau performance benchmark (issue #7). Run through bench/run.sh, which installs the
Debian packages and builds pantau first.

Everything runs on loopback: nginx answers 200 on every path, a refused port has nothing
listening, a "slow" listener accepts connections and never answers, a small webhook
receiver records when notifications arrive. Figures come from /proc (CPU, RSS) and from
pantau's own /metrics (probe counters, the schedule-lag histogram, skipped runs).
"""
import argparse
import datetime
import http.server
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HZ = os.sysconf("SC_CLK_TCK")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOPBACKS = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[11], [12] are utime, stime (14th and 15th of the full line)
    return (int(fields[11]) + int(fields[12])) / HZ


def rss_kib(pid, key="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def http_get(url, timeout=120, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


# --------------------------------------------------------------------------- targets


class Nginx:
    """nginx on loopback: every path answers 200, one worker, no access log."""

    def __init__(self, workdir, workers=1):
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        listens = "\n".join(f"        listen {ip}:{self.port} backlog=8192;" for ip in LOOPBACKS)
        conf = f"""
worker_processes {workers};
worker_rlimit_nofile 65536;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
daemon off;
events {{ worker_connections 16384; multi_accept on; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    keepalive_timeout 5;
    server {{
{listens}
        location / {{ default_type text/plain; return 200 "ok\\n"; }}
    }}
}}
"""
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-c", path, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open("127.0.0.1", self.port), 10, "nginx")

    def pids(self):
        out = [self.proc.pid]
        try:
            out += [int(p) for p in open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
                    .read().split()]
        except OSError:
            pass
        return out

    def cpu(self):
        return sum(cpu_seconds(p) for p in self.pids())

    def url(self, i):
        return f"http://{LOOPBACKS[i % len(LOOPBACKS)]}:{self.port}/s/{i}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


SLOW_SERVER = r"""
import asyncio, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
async def hold(reader, writer):
    # accept, never answer; close when the prober gives up (its timeout)
    try:
        while await reader.read(65536):
            pass
    except OSError:
        pass
    writer.close()
async def main():
    srv = await asyncio.start_server(hold, "127.0.0.1", int(sys.argv[1]), backlog=8192)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
"""


class SlowTarget:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-c", SLOW_SERVER, str(self.port)])
        wait_until(lambda: port_open("127.0.0.1", self.port), 10, "slow target")

    def url(self, i):
        return f"http://127.0.0.1:{self.port}/slow/{i}"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Refused:
    def __init__(self):
        self.port = free_port()  # nothing listens here

    def url(self, i):
        return f"http://127.0.0.1:{self.port}/down/{i}"


class Webhook:
    """Records the arrival time of every notification."""

    def __init__(self):
        arrivals = self.arrivals = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                arrivals.append((time.monotonic(), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


class Flip:
    """A target that is up (200) until down() closes its listening socket (refused)."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"ok\n")

            def log_message(self, *args):
                pass

        self.handler = Handler
        self.port = free_port()
        self.up()

    def up(self):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


# --------------------------------------------------------------------------- pantau


def yaml_str(s):
    return json.dumps(s)


def write_config(path, port, ledger, groups, max_in_flight=16000, extra="", per_service=10):
    """groups: list of (prefix, count, url_fn, interval, timeout). One agency per group."""
    out = [f"listen: 127.0.0.1:{port}", f"ledger: {ledger}", "admin_token: bench-token",
           f"max_in_flight: {max_in_flight}", "defaults: {interval: 60s, timeout: 5s}"]
    out.append(extra)
    out.append("agencies:")
    for g in groups:
        esc = f", escalation: {g['escalation']}" if g.get("escalation") else ""
        out.append(f"  - {{id: {g['prefix']}, name: {g['prefix']}{esc}}}")
    out.append("services:")
    for g in groups:
        n = g["count"]
        timing = f"interval: {g['interval']}, timeout: {g['timeout']}"
        if g.get("timing"):
            timing += ", " + g["timing"]
        for s in range(0, n, per_service):
            out.append(f"  - id: {g['prefix']}-{s // per_service}")
            out.append(f"    agency: {g['prefix']}")
            out.append("    checks:")
            for i in range(s, min(n, s + per_service)):
                out.append(f"      - {{id: c{i}, {timing}, http: {{url: {yaml_str(g['url'](i))}}}}}")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


class Metrics:
    def __init__(self, text_lines):
        self.values = {}
        self.up_checks = 0
        for line in text_lines:
            if line.startswith(b"pantau_check_state{"):
                if line.endswith(b'state="up"} 1'):
                    self.up_checks += 1
                continue
            if not line.startswith(b"pantau_"):
                continue
            name, _, value = line.decode().rpartition(" ")
            try:
                self.values[name] = float(value)
            except ValueError:
                pass

    def get(self, name, default=0.0):
        return self.values.get(name, default)

    def probes(self, result=None):
        return sum(v for k, v in self.values.items() if k.startswith("pantau_probes_total{")
                   and (result is None or f'result="{result}"' in k))

    def buckets(self):
        out = []
        for k, v in self.values.items():
            m = re.match(r'pantau_schedule_lag_seconds_bucket\{le="([^"]+)"\}', k)
            if m:
                out.append((float(m.group(1)), v))
        return sorted(out)


class Pantau:
    def __init__(self, binary, workdir, name, groups, env=None, wrapper=None, **kw):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.config = os.path.join(self.dir, "pantau.yaml")
        self.groups = groups
        self.kw = kw
        write_config(self.config, self.port, os.path.join(self.dir, "ledger.db"), groups, **kw)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir, "pantau.log"), "w")
        cmd = (wrapper or []) + [binary, "run", "--config", self.config, "--log-level", "warn"]
        self.t_spawn = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **(env or {})))
        self.pid = self.proc.pid

    def wait_ready(self, timeout=120):
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"pantau exited with {self.proc.returncode}; see {self.log.name}")
            try:
                return http_get(self.base + "/-/ready", timeout=2)[0] == 200
            except OSError:
                return False
        wait_until(ready, timeout, "pantau ready")
        self.startup = time.monotonic() - self.t_spawn
        return self.startup

    def scrape(self):
        req = urllib.request.Request(self.base + "/metrics")
        with urllib.request.urlopen(req, timeout=300) as r:
            return Metrics(line.rstrip(b"\n") for line in r)

    def reload(self):
        t = time.monotonic()
        status, body = http_get(self.base + "/-/reload", data=b"",
                                headers={"Authorization": "Bearer bench-token"}, timeout=300)
        return time.monotonic() - t, status, body.decode().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def quantile(buckets, q):
    """Upper bucket bound holding quantile q (cumulative buckets, like histogram_quantile
    but without interpolation: an honest upper bound)."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    for le, c in buckets:
        if c >= q * total:
            return le
    return float("inf")


def max_bucket(buckets):
    """Upper bound of the highest non-empty bucket: the largest lag seen is at most this."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    for le, c in buckets:
        if c >= buckets[-1][1]:
            return le
    return float("inf")


def diff_buckets(a, b):
    return [(le, c - dict(a).get(le, 0)) for le, c in b]


def window(p, seconds, label):
    """Measures one steady-state window: CPU, probes, lag histogram and RSS."""
    m0 = p.scrape()
    c0, t0 = cpu_seconds(p.pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(p.pid), time.monotonic()
    m1 = p.scrape()
    probes = m1.probes() - m0.probes()
    b = diff_buckets(m0.buckets(), m1.buckets())
    r = {
        "label": label,
        "seconds": t1 - t0,
        "probes": probes,
        "failures": m1.probes("failure") - m0.probes("failure"),
        "probes_per_s": probes / (t1 - t0),
        "cpu_s": c1 - c0,
        "cpu_us_per_probe": (c1 - c0) / probes * 1e6 if probes else None,
        "cpu_share": (c1 - c0) / (t1 - t0),
        "lag_p50": quantile(b, 0.5),
        "lag_p99": quantile(b, 0.99),
        "lag_max": max_bucket(b),
        "skipped": m1.get("pantau_schedule_skipped_total") - m0.get("pantau_schedule_skipped_total"),
        "skipped_total": m1.get("pantau_schedule_skipped_total"),
        "in_flight": m1.get("pantau_probes_in_flight"),
        "checks": m1.get("pantau_checks"),
        "rss_kib": rss_kib(p.pid),
        "hwm_kib": rss_kib(p.pid, "VmHWM"),
        "up_checks": m1.up_checks,
    }
    log(f"{label}: {r['probes_per_s']:.0f} probes/s, {fmt(r['cpu_us_per_probe'])} us CPU/probe, "
        f"lag p50 {fmt_s(r['lag_p50'])} p99 {fmt_s(r['lag_p99'])} max {fmt_s(r['lag_max'])}, "
        f"skipped {r['skipped']:.0f}, RSS {r['rss_kib'] / 1024:.0f} MiB")
    return r


def fmt(v, digits=0):
    return "n/a" if v is None else f"{v:,.{digits}f}"


def fmt_s(v):
    if v is None:
        return "n/a"
    if v == float("inf"):
        return "> 5 s"
    return f"{v * 1000:.0f} ms" if v >= 0.001 else f"{v * 1e6:.0f} us"


# --------------------------------------------------------------------------- experiments


def healthy(nginx, n, interval, timeout, prefix="ok"):
    return {"prefix": prefix, "count": n, "url": nginx.url, "interval": interval,
            "timeout": timeout}


def scale_groups(nginx, slow, refused, n, interval, timeout):
    """90% healthy, 5% refused, 5% slow (never answers)."""
    bad = max(1, n // 20)
    return [healthy(nginx, n - 2 * bad, interval, timeout),
            {"prefix": "refused", "count": bad, "url": refused.url, "interval": interval,
             "timeout": timeout},
            {"prefix": "slow", "count": bad, "url": slow.url, "interval": interval,
             "timeout": timeout}]


def run_scale(binary, workdir, nginx, slow, refused, n, interval, measure_s, reload_check):
    log(f"scale run: {n:,} checks at {interval}")
    timeout = "5s" if parse_s(interval) >= 5 else interval  # a timeout may not exceed the interval
    p = Pantau(binary, workdir, f"scale-{n}", scale_groups(nginx, slow, refused, n, interval,
                                                             timeout))
    try:
        startup = p.wait_ready()
        log(f"  ready after {startup:.2f} s; RSS {rss_kib(p.pid) / 1024:.0f} MiB")
        secs = parse_s(interval)
        # Let every check run once (phases spread over one interval) before measuring.
        time.sleep(secs + 2)
        r = window(p, max(measure_s, secs), f"{n:,} checks @ {interval}")
        r.update(n=n, interval=interval, startup_s=startup)
        r["rss_per_check_b"] = r["rss_kib"] * 1024 / n
        if reload_check:
            before = p.scrape()
            # Change one check, add one: the rest must keep state and schedule.
            groups = list(p.groups)
            groups[0] = dict(groups[0], count=groups[0]["count"] + 1)
            write_config(p.config, p.port, os.path.join(p.dir, "ledger.db"), groups)
            dt, status, body = p.reload()
            after = p.scrape()
            r.update(reload_s=dt, reload_status=status, reload_body=body,
                     up_before=before.up_checks, up_after=after.up_checks,
                     probes_before=before.probes(), probes_after=after.probes())
            log(f"  reload: {dt:.2f} s ({status} {body}); checks up before {before.up_checks:,}, "
                f"right after {after.up_checks:,}")
        return r
    finally:
        p.stop()


def parse_s(d):
    m = re.fullmatch(r"(\d+)(ms|s|m)", d)
    v = int(m.group(1))
    return v / 1000 if m.group(2) == "ms" else v * 60 if m.group(2) == "m" else v


def run_throughput(binary, workdir, nginx, n, measure_s):
    log(f"throughput run: {n:,} healthy checks at 1s (offered {n:,} probes/s)")
    p = Pantau(binary, workdir, f"throughput-{n}", [healthy(nginx, n, "1s", "1s")])
    try:
        p.wait_ready()
        time.sleep(3)
        n0 = nginx.cpu()
        r = window(p, measure_s, f"throughput, {n:,} checks @ 1s")
        r["nginx_cpu_share"] = (nginx.cpu() - n0) / r["seconds"]
        r["n"] = n
        return r
    finally:
        p.stop()


def run_timeouts(binary, workdir, nginx, slow, n_healthy, n_slow, measure_s):
    out = {}
    for label, groups in [
        ("healthy only", [healthy(nginx, n_healthy, "10s", "5s")]),
        (f"healthy + {n_slow:,} never answering",
         [healthy(nginx, n_healthy, "10s", "5s"),
          {"prefix": "slow", "count": n_slow, "url": slow.url, "interval": "30s",
           "timeout": "10s"}]),
    ]:
        log(f"timeouts run: {label}")
        p = Pantau(binary, workdir, "timeouts-" + str(len(out)), groups)
        try:
            p.wait_ready()
            time.sleep(12)
            out[label] = window(p, measure_s, f"timeouts: {label}")
        finally:
            p.stop()
    return out


def run_alerting(binary, workdir, trials):
    log("alerting latency")
    hook = Webhook()
    flip = Flip()
    extra = f"""channels:
  hook: {{webhook: {{url: "http://127.0.0.1:{hook.port}/hook"}}}}
escalation:
  fast:
    - {{after: 0m, notify: [hook]}}"""
    interval, threshold, retry = 5, 3, 1
    group = {"prefix": "alert", "count": 1, "url": lambda i: f"http://127.0.0.1:{flip.port}/",
             "interval": f"{interval}s", "timeout": "1s", "escalation": "fast",
             "timing": f"failure_threshold: {threshold}, retry_interval: {retry}s"}
    p = Pantau(binary, workdir, "alerting", [group], extra=extra)
    samples = []
    try:
        p.wait_ready()
        for t in range(trials):
            time.sleep(interval + 2.3 * t + 1)  # vary where the outage falls in the interval
            n0 = len(hook.arrivals)
            flip.down()
            t_down = time.monotonic()
            wait_until(lambda: any(b"firing" in body for _, body in hook.arrivals[n0:]), 60,
                       "firing webhook")
            t_hook = next(at for at, body in hook.arrivals[n0:] if b"firing" in body)
            samples.append(t_hook - t_down)
            log(f"  trial {t + 1}: first notification {t_hook - t_down:.2f} s after the target went down")
            n1 = len(hook.arrivals)
            flip.up()
            wait_until(lambda: any(b"resolved" in body for _, body in hook.arrivals[n1:]), 60,
                       "resolved webhook")
    finally:
        p.stop()
        hook.stop()
        flip.down()
    bound = interval + (threshold - 1) * retry + 1
    return {"samples": samples, "max": max(samples), "bound": bound, "interval": interval,
            "threshold": threshold, "retry": retry}


def run_blackbox(workdir, nginx, measure_s, concurrency):
    exe = shutil.which("prometheus-blackbox-exporter")
    d = os.path.join(workdir, "blackbox")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "blackbox.yml")
    with open(conf, "w") as f:
        f.write("modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n"
                "    http:\n      preferred_ip_protocol: ip4\n")
    port = free_port()
    proc = subprocess.Popen([exe, f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{port}",
                             "--log.level=warn"], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(d, "log"), "w"))
    try:
        wait_until(lambda: port_open("127.0.0.1", port), 20, "blackbox_exporter")
        lua = os.path.join(d, "probe.lua")
        with open(lua, "w") as f:
            f.write(f"""
local i = 0
request = function()
  i = i + 1
  local host = ({{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"}})[(i % 4) + 1]
  return wrk.format("GET", "/probe?module=http_2xx&target=http://" .. host .. ":{nginx.port}/bb/" .. i)
end
local ok, bad = 0, 0
response = function(status, headers, body)
  if string.find(body, "probe_success 1", 1, true) then ok = ok + 1 else bad = bad + 1 end
end
""")
        log(f"blackbox_exporter: wrk with {concurrency} connections")
        # warm up
        subprocess.run(["wrk", "-t1", f"-c{concurrency}", "-d3s", "-s", lua,
                        f"http://127.0.0.1:{port}/"], capture_output=True)
        c0, n0, t0 = cpu_seconds(proc.pid), nginx.cpu(), time.monotonic()
        res = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{measure_s}s", "-s", lua,
                              f"http://127.0.0.1:{port}/"], capture_output=True, text=True)
        c1, n1, t1 = cpu_seconds(proc.pid), nginx.cpu(), time.monotonic()
        m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", res.stdout)
        reqs = int(m.group(1))
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", res.stdout)
        errors = re.search(r"Socket errors: (.*)", res.stdout)
        r = {"probes": reqs, "seconds": t1 - t0, "probes_per_s": reqs / (t1 - t0),
             "cpu_us_per_probe": (c1 - c0) / reqs * 1e6 if reqs else None,
             "cpu_share": (c1 - c0) / (t1 - t0), "nginx_cpu_share": (n1 - n0) / (t1 - t0),
             "non2xx": int(bad.group(1)) if bad else 0,
             "socket_errors": errors.group(1) if errors else "",
             "rss_kib": rss_kib(proc.pid), "concurrency": concurrency}
        # did the probes succeed? (one sample)
        _, body = http_get(f"http://127.0.0.1:{port}/probe?module=http_2xx&target="
                           f"http://127.0.0.1:{nginx.port}/check")
        r["probe_success"] = b"probe_success 1" in body
        log(f"blackbox_exporter: {r['probes_per_s']:.0f} probes/s, "
            f"{r['cpu_us_per_probe']:.0f} us CPU/probe (success sample: {r['probe_success']})")
        return r
    finally:
        proc.terminate()
        proc.wait(10)


def run_callgrind(binary, workdir, nginx, n, window_s):
    log(f"callgrind: {n} checks at 2s under valgrind")
    out = os.path.join(workdir, "callgrind.out")
    p = Pantau(binary, workdir, "callgrind", [healthy(nginx, n, "2s", "2s")],
               wrapper=["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        "--collect-atstart=yes"])
    try:
        p.wait_ready(timeout=300)
        time.sleep(6)
        m0 = p.scrape()
        subprocess.run(["callgrind_control", "-z", str(p.pid)], capture_output=True, check=True)
        time.sleep(window_s)
        subprocess.run(["callgrind_control", "-d", "window", str(p.pid)], capture_output=True,
                       check=True)
        m1 = p.scrape()
    finally:
        p.stop()
    dumps = sorted(f for f in os.listdir(workdir) if f.startswith("callgrind.out") and "window"
                   not in f and f != "callgrind.out")
    # callgrind names a dump "<file>.<n>"; the window dump is the first numbered one
    cand = [os.path.join(workdir, f) for f in os.listdir(workdir)
            if f.startswith("callgrind.out.")]
    cand.sort(key=lambda f: int(f.rsplit(".", 1)[1]) if f.rsplit(".", 1)[1].isdigit() else 0)
    dump = cand[0] if cand else out
    ir = None
    with open(dump) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                ir = int(line.split()[1])
    probes = m1.probes() - m0.probes()
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", dump], capture_output=True,
                         text=True).stdout
    with open(os.path.join(workdir, "callgrind-annotate.txt"), "w") as f:
        f.write(ann)
    r = {"ir": ir, "probes": probes, "ir_per_probe": ir / probes if probes and ir else None,
         "dump": dump, "n": n}
    log(f"callgrind: {fmt(r['ir_per_probe'])} instructions per probe ({probes:.0f} probes)")
    return r


# --------------------------------------------------------------------------- report


def machine():
    def cmd(*a):
        try:
            return subprocess.run(a, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = rss = 0
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1])
    deb = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    return {"cpus": os.cpu_count(), "model": model, "ram_gib": mem / 1024 / 1024,
            "kernel": platform.release(), "debian": deb,
            "nginx": cmd("dpkg-query", "-W", "-f=${Version}", "nginx-light") or cmd(
                "dpkg-query", "-W", "-f=${Version}", "nginx"),
            "blackbox": cmd("dpkg-query", "-W", "-f=${Version}", "prometheus-blackbox-exporter"),
            "curl": cmd("dpkg-query", "-W", "-f=${Version}", "libcurl4"),
            "commit": cmd("git", "-C", ROOT, "rev-parse", "--short", "HEAD")}


def ok(cond):
    return "met" if cond else "**missed**"


def write_results(path, res, args):
    m = res["machine"]
    L = []
    L.append("# Benchmark results\n")
    L.append(f"Generated by `bench/run.sh{' --quick' if args.quick else ''}` on "
             f"{res['date']} (commit {m['commit']}).\n")
    L.append(f"Machine: {m['cpus']} CPUs ({m['model']}), {m['ram_gib']:.1f} GiB RAM, "
             f"Linux {m['kernel']}, Debian {m['debian']}; nginx-light {m['nginx']}, "
             f"prometheus-blackbox-exporter {m['blackbox']}, libcurl {m['curl']}. "
             "Everything (pantau, nginx with one worker, the load driver, blackbox_exporter) "
             "shares the same CPUs; every HTTP probe opens a fresh TCP connection.\n")
    L.append("| figure | goal | measured | |")
    L.append("| --- | --- | --- | --- |")
    tp = res.get("throughput")
    bb = res.get("blackbox")
    if tp:
        L.append(f"| HTTP probes/s, sustained ({tp['n']:,} checks @ 1 s) | ≥ 10,000 | "
                 f"{tp['probes_per_s']:,.0f} | {ok(tp['probes_per_s'] >= 10000)} |")
        L.append(f"| CPU per HTTP probe (pantau process, /proc) | ≤ 100 µs | "
                 f"{fmt(tp['cpu_us_per_probe'])} µs | {ok((tp['cpu_us_per_probe'] or 1e9) <= 100)} |")
    if bb:
        L.append(f"| blackbox_exporter probes/s (wrk, {bb['concurrency']} connections) | "
                 f"(about 2,000) | {bb['probes_per_s']:,.0f} | |")
        L.append(f"| blackbox_exporter CPU per probe | (about 800 µs) | "
                 f"{fmt(bb['cpu_us_per_probe'])} µs | |")
    if tp and bb:
        L.append(f"| ratio pantau/blackbox, probes/s | | "
                 f"{tp['probes_per_s'] / bb['probes_per_s']:.1f}× | |")
        L.append(f"| ratio pantau/blackbox, CPU per probe | | "
                 f"{tp['cpu_us_per_probe'] / bb['cpu_us_per_probe']:.2f}× | |")
    cg = res.get("callgrind")
    if cg:
        L.append(f"| instructions per probe (callgrind, {cg['n']} checks @ 2 s) | | "
                 f"{fmt(cg['ir_per_probe'])} | |")
    for r in res.get("scale", []):
        big = r["n"] >= 100000
        L.append(f"| {r['n']:,} checks @ {r['interval']}: probes/s | "
                 f"{'' if not big else '(1,667 offered)'} | {r['probes_per_s']:,.0f} "
                 f"({r['failures'] / max(r['probes'], 1):.0%} failing by design) | |")
        L.append(f"| {r['n']:,} checks: CPU per probe | | {fmt(r['cpu_us_per_probe'])} µs | |")
        L.append(f"| {r['n']:,} checks: schedule lag p50 / p99 / max | "
                 f"{'p99 ≤ 100 ms' if big else ''} | {fmt_s(r['lag_p50'])} / {fmt_s(r['lag_p99'])} / "
                 f"{fmt_s(r['lag_max'])} | {ok((r['lag_p99'] or 0) <= 0.1) if big else ''} |")
        L.append(f"| {r['n']:,} checks: runs skipped | {'0' if big else ''} | "
                 f"{r['skipped_total']:.0f} | {ok(r['skipped_total'] == 0) if big else ''} |")
        L.append(f"| {r['n']:,} checks: RSS total / per check | {'≤ 400 MB' if big else ''} | "
                 f"{r['rss_kib'] / 1024:,.0f} MiB / {r['rss_per_check_b']:,.0f} B (peak "
                 f"{r['hwm_kib'] / 1024:,.0f} MiB) | {ok(r['rss_kib'] * 1024 <= 400e6) if big else ''} |")
        L.append(f"| {r['n']:,} checks: start-up (spawn → /-/ready) | {'≤ 3 s' if big else ''} | "
                 f"{r['startup_s']:.2f} s | {ok(r['startup_s'] <= 3) if big else ''} |")
        if "reload_s" in r:
            kept = r["up_after"] >= r["up_before"] * 0.99
            L.append(f"| {r['n']:,} checks: reload (POST /-/reload, 1 check added) | "
                     f"{'≤ 3 s, state kept' if big else ''} | {r['reload_s']:.2f} s; checks UP "
                     f"before/after {r['up_before']:,}/{r['up_after']:,} | "
                     f"{ok(r['reload_s'] <= 3 and kept) if big else ''} |")
    to = res.get("timeouts")
    if to:
        (la, a), (lb, b) = list(to.items())
        L.append(f"| timeouts: lag p99 / max, {la} | | {fmt_s(a['lag_p99'])} / {fmt_s(a['lag_max'])} | |")
        cheap = (b["lag_p99"] or 0) <= max(0.01, 2 * (a["lag_p99"] or 0))
        L.append(f"| timeouts: lag p99 / max, {lb} | unchanged | {fmt_s(b['lag_p99'])} / "
                 f"{fmt_s(b['lag_max'])}; CPU {b['cpu_share']:.0%} vs {a['cpu_share']:.0%} of a core | "
                 f"{ok(cheap)} |")
    al = res.get("alerting")
    if al:
        L.append(f"| alerting latency (interval {al['interval']} s, threshold {al['threshold']}, "
                 f"retry {al['retry']} s) | ≤ {al['bound']} s | "
                 f"{', '.join(f'{s:.1f}' for s in al['samples'])} s | {ok(al['max'] <= al['bound'])} |")
    L.append("")
    L.append("Lag quantiles are the upper bound of the histogram bucket that holds them "
             "(no interpolation), and max is the upper bound of the highest non-empty bucket. "
             "Each window is bracketed by two full `/metrics` scrapes, so one scrape's pause "
             "falls inside every window, as with a Prometheus scraping once a window.\n")
    L.append("## Raw figures\n")
    L.append("```json")
    L.append(json.dumps({k: v for k, v in res.items()}, indent=1, default=str))
    L.append("```")
    notes = os.path.join(os.path.dirname(path), "RESULTS.notes.md")
    if os.path.exists(notes):
        L.append("")
        L.append(open(notes).read())
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")
    log(f"wrote {path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "daemon", "app", "pantau"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma list: throughput,blackbox,scale,"
                    "timeouts,alerting,callgrind")
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))

    def want(x):
        return not only or x in only

    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    workdir = tempfile.mkdtemp(prefix="pantau-bench-")
    log(f"work directory {workdir}")
    res = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "machine": machine(), "quick": args.quick}
    nginx = Nginx(workdir)
    slow = SlowTarget()
    refused = Refused()
    q = args.quick
    try:
        def attempt(name, fn):
            if not want(name):
                return
            try:
                res[name] = fn()
            except Exception as e:  # keep the other figures
                log(f"{name} failed: {e!r}")
                res[name + "_error"] = repr(e)

        attempt("throughput", lambda: run_throughput(args.binary, workdir, nginx,
                                                     6000 if q else 12000, 10 if q else 20))
        attempt("blackbox", lambda: run_blackbox(workdir, nginx, 10 if q else 20, 64))
        attempt("scale", lambda: [
            run_scale(args.binary, workdir, nginx, slow, refused, n, interval, secs,
                      reload_check=True)
            for n, interval, secs in ([(1000, "1s", 10), (10000, "10s", 10)] if q else
                                      [(1000, "1s", 20), (10000, "10s", 20), (100000, "60s", 60)])])
        attempt("timeouts", lambda: run_timeouts(args.binary, workdir, nginx, slow,
                                                 2000 if q else 10000, 2000 if q else 10000,
                                                 10 if q else 20))
        attempt("alerting", lambda: run_alerting(args.binary, workdir, 2 if q else 3))
        if shutil.which("valgrind"):
            attempt("callgrind", lambda: run_callgrind(args.binary, workdir, nginx, 100,
                                                       10 if q else 20))
    finally:
        slow.stop()
        nginx.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    with open(os.path.join(ROOT, "bench", "last-run.json"), "w") as f:
        json.dump(res, f, indent=1, default=str)
    write_results(args.results, res, args)


if __name__ == "__main__":
    main()
