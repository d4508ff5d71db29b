# SPDX-License-Identifier: MIT
"""Faults and bad input while a paho subscriber receives a steady stream (QoS 1, and QoS 2 beside
it) from a paho publisher, both with persistent sessions, on a broker with --persist:
a malformed CONNECT, random garbage, an HTTP request on the MQTT port, half a packet and a
stall (before and after CONNECT), 1,000 connections opened and dropped, a subscriber that stops
reading (bounded queue, bounded memory), an oversized packet, and kill -9 of the broker and a
restart. After each: the offender is closed and logged, the stream still flows; at the end the
subscriber has every message, and none twice at QoS 2. Prints the broker's peak RSS."""
import random
import socket
import threading
import time

import paho.mqtt.client as mqtt

from harness import Broker, check, fail, temp_dir, wait_until

MAX_PACKET = 64 * 1024
MAX_QUEUED = 200


# ---- raw MQTT 3.1.1 packets, for the misbehaving clients

def remaining(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def string(s):
    return len(s).to_bytes(2, "big") + s


def connect_packet(client_id, keepalive=0, name=b"MQTT", level=4, flags=0x02):
    body = string(name) + bytes([level, flags]) + keepalive.to_bytes(2, "big") + string(client_id)
    return b"\x10" + remaining(len(body)) + body


def publish_packet(topic, payload, qos=0, packet_id=1):
    body = string(topic) + (packet_id.to_bytes(2, "big") if qos else b"") + payload
    return bytes([0x30 | (qos << 1)]) + remaining(len(body)) + body


def subscribe_packet(packet_id, topic, qos):
    body = packet_id.to_bytes(2, "big") + string(topic) + bytes([qos])
    return b"\x82" + remaining(len(body)) + body


def raw(port, data=b"", rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    if data:
        s.sendall(data)
    return s


def closed_by_peer(s, timeout):
    """True when the broker closes the socket within `timeout` (what it sent first is read)."""
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    finally:
        s.close()
    return False


# ---- the steady stream

class Publisher(mqtt.Client):
    """paho 1.6.1 with one fix for what a restart of the broker takes several attempts to reach:
    reconnect() resets the outgoing messages before every attempt, the first reset turns a QoS 2
    message awaiting PUBCOMP into "PUBREL to resend", and the next one turns that into "PUBLISH
    to send", with DUP 0 and the same id. The broker released the id at the PUBREL, so the
    PUBLISH is a new message to it ([MQTT-4.3.3-2]) and the subscriber gets it twice. Here the
    owed PUBREL stays owed, as [MQTT-4.3.3-1] asks of the sender, so the exactly-once check is a
    check of the broker."""

    def _messages_reconnect_reset_out(self):
        with self._out_message_mutex:
            owed = [m for m in self._out_messages.values()
                    if m.state == mqtt.mqtt_ms_resend_pubrel]
            super()._messages_reconnect_reset_out()
            for m in owed:
                m.state = mqtt.mqtt_ms_resend_pubrel


class Stream:
    """A persistent publisher sending numbered QoS 1 messages (and one QoS 2 message per five)
    and a persistent subscriber recording them; both reconnect by themselves."""

    def __init__(self, port):
        self.q1, self.q2 = [], []
        self.sent1 = self.sent2 = 0
        self.lock = threading.Lock()
        self.running = True
        self.sub = mqtt.Client(client_id="steady-sub", clean_session=False)
        self.sub.reconnect_delay_set(0.1, 0.5)
        self.sub.on_connect = lambda c, u, f, rc: (rc == 0 and c.subscribe([("stream/q1", 1), ("stream/q2", 2)]))
        self.sub.on_message = self._message
        self.sub.connect("127.0.0.1", port, 10)
        self.sub.loop_start()
        self.pub = Publisher(client_id="steady-pub", clean_session=False)
        self.pub.reconnect_delay_set(0.1, 0.5)
        self.pub.max_inflight_messages_set(20)
        self.pub.connect("127.0.0.1", port, 10)
        self.pub.loop_start()
        time.sleep(0.5)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _message(self, client, userdata, m):
        with self.lock:
            (self.q1 if m.topic == "stream/q1" else self.q2).append(int(m.payload))

    def _run(self):
        while self.running:
            self.pub.publish("stream/q1", b"%d" % self.sent1, 1)
            self.sent1 += 1
            if self.sent1 % 5 == 0:
                self.pub.publish("stream/q2", b"%d" % self.sent2, 2)
                self.sent2 += 1
            time.sleep(0.004)

    def received(self):
        with self.lock:
            return len(self.q1)

    def still_flowing(self, what):
        n = self.received()
        wait_until(lambda: self.received() >= n + 20, 10, "the stream to go on after " + what)

    def finish(self):
        self.running = False
        self.thread.join()
        wait_until(lambda: len(set(self.q1)) >= self.sent1 and len(self.q2) >= self.sent2, 30,
                   "every message of the stream")
        time.sleep(0.5)  # duplicates would arrive now
        with self.lock:
            missing1 = set(range(self.sent1)) - set(self.q1)
            check(not missing1, "QoS 1 messages lost: %s" % sorted(missing1)[:10])
            check(sorted(self.q2) == list(range(self.sent2)),
                  "QoS 2: %d received for %d sent, duplicates %s" % (
                      len(self.q2), self.sent2,
                      sorted({x for x in self.q2 if self.q2.count(x) > 1})[:10]))
            dup1 = len(self.q1) - len(set(self.q1))
        for c in (self.pub, self.sub):
            c.disconnect()
            c.loop_stop()
        return dup1


def main():
    directory = temp_dir()
    b = Broker("--connect-timeout", "2", "--max-packet-size", str(MAX_PACKET), "--max-queued",
               str(MAX_QUEUED), persist=directory)
    stream = Stream(b.port)
    b.wait_for(r"^connect client=steady-pub ")
    stream.still_flowing("start")
    rss_start = b.status("VmRSS")

    # A malformed CONNECT: protocol name "MQTX", then one with a reserved flag set.
    mark = len(b.lines)
    check(closed_by_peer(raw(b.port, connect_packet(b"bad", name=b"MQTX")), 3), "bad name: open")
    b.wait_for(r"^protocol error client=\? errc=invalid_protocol_name offset=0 ", 3, mark)
    check(closed_by_peer(raw(b.port, connect_packet(b"bad", flags=0x03)), 3), "bad flags: open")
    b.wait_for(r"^protocol error client=\? errc=reserved_connect_flag offset=0 ", 3, mark)
    stream.still_flowing("a malformed CONNECT")
    print("ok: malformed CONNECTs closed and logged")

    # Random garbage.
    mark = len(b.lines)
    junk = bytes(random.Random(7).getrandbits(8) for _ in range(4096))
    check(closed_by_peer(raw(b.port, junk), 3), "garbage: still open")
    b.wait_for(r"^protocol error client=\? errc=", 3, mark)
    stream.still_flowing("garbage")
    print("ok: random garbage closed and logged")

    # HTTP on the MQTT port.
    mark = len(b.lines)
    check(closed_by_peer(raw(b.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 3), "HTTP: open")
    b.wait_for(r"^protocol error client=\? errc=first_packet_not_connect offset=0 ", 3, mark)
    stream.still_flowing("an HTTP request")
    print("ok: an HTTP request on the MQTT port closed and logged")

    # Half a packet, then a stall: before CONNECT (the CONNECT deadline, 2 s) and after it (1.5
    # times the keep-alive of 2 s without a byte).
    mark = len(b.lines)
    t = time.monotonic()
    half_connect = raw(b.port, connect_packet(b"half")[:7])
    stalled = raw(b.port, connect_packet(b"stall", keepalive=2) + publish_packet(b"t", b"x" * 100)[:20])
    check(closed_by_peer(half_connect, 6), "half CONNECT: still open")
    check(closed_by_peer(stalled, 6), "half PUBLISH: still open")
    b.wait_for(r"^disconnect client=\? reason=connect_timeout$", 1, mark)
    b.wait_for(r"^disconnect client=stall reason=keep_alive_timeout$", 1, mark)
    stream.still_flowing("stalled clients")
    print("ok: half a packet and a stall: closed after %.1f s (CONNECT deadline, keep-alive)"
          % (time.monotonic() - t))

    # 1,000 connections opened and dropped, half of them after a CONNECT.
    mark = len(b.lines)
    fds = b.open_fds()
    before_unnamed = b.count(r"^disconnect client=\? reason=(connection_lost|connect_timeout)$")
    sockets = []
    for i in range(1000):
        sockets.append(raw(b.port, connect_packet(b"flood-%d" % i, keepalive=30) if i % 2 else b""))
    wait_until(lambda: b.count(r"^connect client=flood-") == 500, 15, "500 flood CONNECTs")
    stream.still_flowing("1,000 connections opened")
    peak_fds = b.open_fds()
    for s in sockets:
        s.close()
    # A socket without CONNECT may meet its CONNECT deadline (--connect-timeout 2) before it is
    # closed here when the machine is busy; either way it is closed and logged once.
    wait_until(lambda: b.count(r"^disconnect client=flood-\d+ reason=connection_lost$") == 500 and
               b.count(r"^disconnect client=\? reason=(connection_lost|connect_timeout)$") -
               before_unnamed >= 500, 15, "1,000 disconnects")
    wait_until(lambda: b.open_fds() <= fds + 2, 10, "the broker's sockets to close")
    stream.still_flowing("1,000 connections dropped")
    print("ok: 1,000 connections opened (%d fds at the peak) and dropped (%d fds after)"
          % (peak_fds, b.open_fds()))

    # A subscriber that stops reading: its queue is bounded (--max-queued 200; QoS 0 past the
    # output limit is dropped), and so is the broker's memory, while 40 MB go past it.
    mark = len(b.lines)
    rss_before = b.status("VmRSS")
    b.reset_peak()  # VmHWM from here on is this fault's peak
    lazy = raw(b.port, connect_packet(b"lazy") + subscribe_packet(1, b"big/#", 1), rcvbuf=4096)
    b.wait_for(r"^connect client=lazy ", 3, mark)
    time.sleep(0.2)
    big = mqtt.Client(client_id="big-pub")
    big.connect("127.0.0.1", b.port, 30)
    big.loop_start()
    payload = b"z" * 20000
    for i in range(2000):
        info = big.publish("big/%d" % (i % 2), payload, i % 2)
        if i % 100 == 99:
            info.wait_for_publish(timeout=10)
    big.disconnect()
    big.loop_stop()
    b.wait_for(r"^drop client=lazy reason=queue_full$", 5, mark)
    rss_lazy = b.status("VmRSS")
    peak_lazy = b.status("VmHWM")
    check(rss_lazy - rss_before < 60 * 1024, "memory grew by %d kB" % (rss_lazy - rss_before))
    # What the limits let the broker hold for the lazy subscriber: its queue (--max-queued
    # messages of one packet each), its output buffer (max output, 1 MiB by default) and a
    # packet being read; twice that for allocator slack and the copy in the write in flight,
    # plus 8 MiB for everything else. A bound from the limits, not a measured figure.
    held = MAX_QUEUED * (len(payload) + 64) + (1 << 20) + MAX_PACKET
    bound = rss_before + 2 * held // 1024 + 8 * 1024
    check(peak_lazy < bound, "peak RSS %d kB under a lazy subscriber, bound %d kB" % (
        peak_lazy, bound))
    stream.still_flowing("a subscriber that stops reading")
    lazy.close()
    b.wait_for(r"^disconnect client=lazy reason=connection_lost$", 5, mark)
    print("ok: a subscriber that stops reading: its queue bounded, RSS %d kB -> %d kB (peak "
          "%d kB, bound %d kB) while 40 MB went past it" % (rss_before, rss_lazy, peak_lazy, bound))

    # An oversized packet (--max-packet-size 65536).
    mark = len(b.lines)
    s = raw(b.port, connect_packet(b"huge") + publish_packet(b"t", b"y" * (MAX_PACKET + 1)))
    check(closed_by_peer(s, 3), "oversized: still open")
    b.wait_for(r"^protocol error client=huge errc=packet_too_large offset=", 3, mark)
    stream.still_flowing("an oversized packet")
    print("ok: an oversized packet closed and logged")
    peak = b.status("VmHWM")

    # kill -9 of the broker, then a restart on the same ports with the same --persist: both
    # paho clients reconnect and resume their sessions.
    before = stream.received()
    b.kill9()
    time.sleep(0.3)
    b.lines.clear()
    b.start()
    b.wait_for(r"^persist: replayed \d+ records: \d+ retained, \d+ sessions$", 5)
    b.wait_for(r"^connect client=steady-sub .* resumed=1 ", 10)
    b.wait_for(r"^connect client=steady-pub .* resumed=1 ", 10)
    stream.still_flowing("kill -9 and a restart")
    print("ok: kill -9 and restart: both clients resumed their sessions (%d messages before)"
          % before)

    dup1 = stream.finish()
    print("ok: the subscriber has all %d QoS 1 messages (%d delivered twice, allowed at QoS 1) "
          "and all %d QoS 2 messages once each" % (stream.sent1, dup1, stream.sent2))
    peak_after = b.status("VmHWM")
    b.stop()
    print("peak RSS: %d kB at the start, %d kB through the faults, %d kB after the restart"
          % (rss_start, peak, peak_after))


if __name__ == "__main__":
    main()
