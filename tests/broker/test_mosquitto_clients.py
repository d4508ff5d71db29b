# SPDX-License-Identifier: MIT
"""mosquitto_pub and mosquitto_sub (Debian mosquitto-clients) against mqttwire-broker, with
-V mqttv31 and -V mqttv311: QoS 0/1/2, retained messages (set, replace, clear), the will of a
client killed with SIGKILL, wildcards (one delivery per client however many filters match, and
no $-topic under a leading wildcard)."""
import subprocess
import time

from harness import Broker, check, popen

FORMAT = "%t %p %q %r"  # topic payload qos retain


class Sub:
    """A mosquitto_sub process; lines() waits for it to end (-C or -W) and returns its output."""

    def __init__(self, broker, version, client_id, topics, qos=0, extra=()):
        self.broker, self.client_id = broker, client_id
        cmd = ["mosquitto_sub", "-p", str(broker.port), "-V", version, "-i", client_id,
               "-q", str(qos), "-F", FORMAT] + list(extra)
        for t in topics:
            cmd += ["-t", t]
        self.proc = popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        broker.wait_for(r"^connect client=%s " % client_id, 10)
        time.sleep(0.3)  # its SUBACK

    def lines(self, timeout=15):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return out.decode().splitlines()


def pub(broker, version, topic, message, qos=0, retain=False):
    cmd = ["mosquitto_pub", "-p", str(broker.port), "-V", version, "-t", topic, "-q", str(qos)]
    cmd += ["-n"] if message is None else ["-m", message]
    if retain:
        cmd.append("-r")
    r = subprocess.run(cmd, capture_output=True, timeout=10)
    check(r.returncode == 0, "mosquitto_pub %s: rc %d %s" % (topic, r.returncode, r.stderr))


def qos_levels(b, v):
    s = Sub(b, v, "qos-" + v, ["q/%s/#" % v], qos=2, extra=["-C", "3"])
    for q in range(3):
        pub(b, v, "q/%s/%d" % (v, q), "m%d" % q, q)
    got = s.lines()
    want = ["q/%s/%d m%d %d 0" % (v, q, q, q) for q in range(3)]
    check(got == want, "%s QoS: %r" % (v, got))
    # A QoS 0 subscription gets QoS 2 messages at QoS 0 ([MQTT-3.8.4-6]).
    s = Sub(b, v, "qos0-" + v, ["q0/%s" % v], qos=0, extra=["-C", "1"])
    pub(b, v, "q0/%s" % v, "down", 2)
    got = s.lines()
    check(got == ["q0/%s down 0 0" % v], "%s QoS 0 grant: %r" % (v, got))
    print("ok: %s: QoS 0, 1 and 2 delivered at the granted QoS" % v)


def retained(b, v):
    t = "r/" + v
    pub(b, v, t, "first", 1, retain=True)
    pub(b, v, t, "second", 1, retain=True)
    got = Sub(b, v, "ret1-" + v, [t], qos=1, extra=["-C", "1"]).lines()
    check(got == ["%s second 1 1" % t], "%s retained replace: %r" % (v, got))
    pub(b, v, t, None, 1, retain=True)  # an empty payload clears it
    got = Sub(b, v, "ret2-" + v, [t], qos=1, extra=["-W", "1"]).lines()
    check(got == [], "%s retained clear: %r" % (v, got))
    print("ok: %s: retained set, replaced, cleared by an empty payload" % v)


def will(b, v):
    t = "will/" + v
    watch = Sub(b, v, "watch-" + v, [t], qos=1, extra=["-C", "1"])
    victim = Sub(b, v, "victim-" + v, ["nothing"], extra=["--will-topic", t, "--will-payload",
                                                          "gone-" + v, "--will-qos", "1", "-k", "60"])
    victim.proc.kill()  # SIGKILL: no DISCONNECT, the kernel closes the socket
    victim.proc.wait()
    got = watch.lines()
    check(got == ["%s gone-%s 1 0" % (t, v)], "%s will: %r" % (v, got))
    b.wait_for(r"^disconnect client=victim-%s reason=connection_lost$" % v, 5)
    # A client that disconnects cleanly has its will dropped ([MQTT-3.14.4-3]).
    watch = Sub(b, v, "watch2-" + v, [t], qos=1, extra=["-W", "2"])
    polite = Sub(b, v, "polite-" + v, ["nothing"], extra=["--will-topic", t, "--will-payload",
                                                          "no", "-W", "1"])
    polite.lines()
    got = watch.lines()
    check(got == [], "%s will after DISCONNECT: %r" % (v, got))
    print("ok: %s: the will of a killed client is published, not after DISCONNECT" % v)


def wildcards(b, v):
    p = "w/" + v
    plus = Sub(b, v, "plus-" + v, [p + "/+/x"], extra=["-W", "2"])
    hash_ = Sub(b, v, "hash-" + v, ["#"], extra=["-W", "2"])
    sys_ = Sub(b, v, "sys-" + v, ["$SYS/#"], extra=["-W", "2"])
    both = Sub(b, v, "both-" + v, [p + "/#", p + "/+/x", p + "/a/x"], extra=["-W", "2"])
    pub(b, v, p + "/a/x", "1")
    pub(b, v, p + "/a/y", "2")
    pub(b, v, "$SYS/" + v, "3")
    check(plus.lines() == [p + "/a/x 1 0 0"], "%s +" % v)
    got = hash_.lines()
    check(got == [p + "/a/x 1 0 0", p + "/a/y 2 0 0"], "%s #: %r" % (v, got))
    check(sys_.lines() == ["$SYS/%s 3 0 0" % v], "%s $SYS/#" % v)
    got = both.lines()
    check(got == [p + "/a/x 1 0 0", p + "/a/y 2 0 0"], "%s overlapping filters: %r" % (v, got))
    print("ok: %s: + and #, one delivery per client, $-topics not under leading wildcards" % v)


def main():
    with Broker() as b:
        for v in ["mqttv31", "mqttv311"]:
            qos_levels(b, v)
            retained(b, v)
            will(b, v)
            wildcards(b, v)


if __name__ == "__main__":
    main()
