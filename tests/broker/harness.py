# SPDX-License-Identifier: MIT
"""Shared by the broker's real-peer tests: start mqttwire-broker (or mosquitto) on ports the OS
chooses, read its log, stop it by pid; free ports; a paho client that records what it gets.

Run with Debian's /usr/bin/python3 (python3-paho-mqtt). The broker binary comes from
$MQTTWIRE_BROKER (tools/ci/55-broker.sh sets it)."""
import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import paho.mqtt.client as mqtt

BROKER = os.environ.get("MQTTWIRE_BROKER", "build/ci-gcc/examples/mqttwire-broker")


_children = []


def _die_with_parent():
    # PR_SET_PDEATHSIG (1) with SIGKILL: a program this test starts ends with the test, even
    # when the test itself is killed (timeout).
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


def popen(cmd, **kwargs):
    """subprocess.Popen for every program a test starts: stopped when the test ends."""
    p = subprocess.Popen(cmd, preexec_fn=_die_with_parent, **kwargs)
    _children.append(p)
    return p


@atexit.register
def _stop_children():
    for p in _children:
        if p.poll() is None:
            p.kill()
            p.wait()


# SIGTERM (from timeout) runs the atexit handlers too.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    fail("timed out after %.1f s waiting for %s" % (timeout, what))


def free_port():
    """A port the OS says is free now (for programs that cannot be given port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """mqttwire-broker on 127.0.0.1, ports chosen by the OS (--port 0 --ws-port 0) unless given.
    Its stderr is read line by line into .lines (and echoed with a prefix when verbose)."""

    def __init__(self, *args, port=0, ws_port=0, persist=None):
        self.args = list(args)
        self.port_arg, self.ws_port_arg, self.persist = port, ws_port, persist
        self.lines = []
        self.proc = None
        self.start()

    def start(self):
        cmd = [BROKER, "--port", str(self.port_arg)]
        if self.ws_port_arg is not None:
            cmd += ["--ws-port", str(self.ws_port_arg)]
        if self.persist:
            cmd += ["--persist", self.persist]
        cmd += self.args
        self.proc = popen(cmd, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self.reader.start()
        line = self.wait_for(r"^listening ", 10)
        self.port = int(re.search(r"mqtt=[^ ]*:(\d+)", line).group(1))
        m = re.search(r"ws=[^ ]*:(\d+)", line)
        self.ws_port = int(m.group(1)) if m else None
        # A restart binds the same ports again.
        self.port_arg = self.port
        if self.ws_port is not None:
            self.ws_port_arg = self.ws_port

    def _read(self, proc):
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            if os.environ.get("MQTTWIRE_BROKER_VERBOSE"):
                print("  broker| " + line, flush=True)

    @property
    def pid(self):
        return self.proc.pid

    def wait_for(self, pattern, timeout=10, start=0):
        """The first log line from index `start` matching `pattern`."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[start:]:
                if rx.search(line):
                    return line
            if self.proc.poll() is not None and not self.reader.is_alive():
                fail("broker exited (rc %s) before logging %r; log:\n%s"
                     % (self.proc.returncode, pattern, "\n".join(self.lines[-30:])))
            time.sleep(0.02)
        fail("broker did not log %r within %s s; last lines:\n%s"
             % (pattern, timeout, "\n".join(self.lines[-30:])))

    def count(self, pattern):
        rx = re.compile(pattern)
        return sum(1 for line in self.lines if rx.search(line))

    def alive(self):
        return self.proc.poll() is None

    def status(self, field):
        """A field of /proc/PID/status in kB (VmRSS, VmHWM)."""
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def reset_peak(self):
        """Resets VmHWM to the current RSS (Linux: "5" into /proc/PID/clear_refs)."""
        with open("/proc/%d/clear_refs" % self.pid, "w") as f:
            f.write("5")

    def open_fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def stop(self):
        """SIGTERM, as an operator stops it; returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("broker did not stop within 10 s of SIGTERM")
        self.reader.join(timeout=5)
        return self.proc.returncode

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.reader.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Recorder:
    """A paho client that records every message as (topic, payload, qos, retain, dup)."""

    def __init__(self, client_id, port, version=mqtt.MQTTv311, clean=True, keepalive=30,
                 subscribe=None, on_message=None):
        self.messages = []
        self.connects = 0
        self.session_present = []
        self.subscribe = subscribe or []
        self.lock = threading.Lock()
        self.client = mqtt.Client(client_id=client_id, clean_session=clean, protocol=version)
        self.client.on_message = self._message
        self.client.on_connect = self._connect
        self.extra = on_message
        self.client.connect("127.0.0.1", port, keepalive)
        self.client.loop_start()
        wait_until(lambda: self.connects > 0, 10, "CONNACK for " + client_id)

    def _connect(self, client, userdata, flags, rc):
        if rc != 0:
            return
        self.session_present.append(bool(flags.get("session present")))
        for topic, qos in self.subscribe:
            client.subscribe(topic, qos)
        self.connects += 1

    def _message(self, client, userdata, m):
        with self.lock:
            self.messages.append((m.topic, m.payload, m.qos, bool(m.retain), bool(m.dup)))
        if self.extra:
            self.extra(m)

    def payloads(self, topic=None):
        with self.lock:
            return [p for (t, p, q, r, d) in self.messages if topic is None or t == topic]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def publish_all(client, topic, payloads, qos, timeout=60):
    """Publishes and waits until every message is acknowledged (QoS 1/2)."""
    infos = [client.publish(topic, p, qos) for p in payloads]
    deadline = time.monotonic() + timeout
    for info in infos:
        left = deadline - time.monotonic()
        if left <= 0:
            fail("publishes to %s not all acknowledged within %s s" % (topic, timeout))
        info.wait_for_publish(timeout=left)
        if not info.is_published():
            fail("publish to %s not acknowledged" % topic)


_temp_dirs = []


def temp_dir():
    """A new directory, removed when the test exits."""
    d = tempfile.mkdtemp(prefix="mqttwire-broker-")
    _temp_dirs.append(d)
    return d


@atexit.register
def _remove_temp_dirs():
    for d in _temp_dirs:
        shutil.rmtree(d, ignore_errors=True)
