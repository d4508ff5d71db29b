# SPDX-License-Identifier: MIT
"""paho-mqtt (Debian python3-paho-mqtt) against mqttwire-broker, MQTT 3.1 and 3.1.1:
1,000 QoS 2 messages arrive once each and in order (without and with --persist, where every one
is fsync'd before its PUBREC), and a persistent session gets what was queued while it was away."""
import time

import paho.mqtt.client as mqtt

from harness import Broker, Recorder, check, publish_all, temp_dir, wait_until

VERSIONS = [(mqtt.MQTTv31, "3.1"), (mqtt.MQTTv311, "3.1.1")]


def thousand_qos2(broker, version, name, persistent_subscriber):
    topic = "qos2/" + name
    sub = Recorder("sub-" + name, broker.port, version, clean=not persistent_subscriber,
                   subscribe=[(topic, 2)])
    wait_until(lambda: broker.count(r"connect client=sub-%s " % name) == 1, 5, "subscriber")
    time.sleep(0.2)  # the SUBACK
    pub = mqtt.Client(client_id="pub-" + name, protocol=version)
    pub.connect("127.0.0.1", broker.port, 30)
    pub.loop_start()
    payloads = [b"%d" % i for i in range(1000)]
    start = time.monotonic()
    publish_all(pub, topic, payloads, 2)
    wait_until(lambda: len(sub.payloads()) >= 1000, 60, "1000 QoS 2 messages")
    elapsed = time.monotonic() - start
    time.sleep(0.3)  # a duplicate would come now
    got = sub.payloads()
    check(len(got) == 1000, "%s: %d messages, not 1000" % (name, len(got)))
    check(got == payloads, "%s: messages lost, duplicated or out of order" % name)
    check(all(q == 2 for (_, _, q, _, _) in sub.messages), "%s: not all at QoS 2" % name)
    pub.disconnect()
    pub.loop_stop()
    sub.close()
    print("ok: %s: 1000 QoS 2 messages, each once, in order, in %.2f s" % (name, elapsed))


def queued_while_away(broker, version, label):
    name = "away-" + label
    topic = "queue/" + label
    away = Recorder(name, broker.port, version, clean=False, subscribe=[(topic, 2)])
    time.sleep(0.2)
    away.close()
    wait_until(lambda: broker.count(r"disconnect client=%s " % name) == 1, 5, "disconnect")
    pub = mqtt.Client(client_id="pub-" + name, protocol=version)
    pub.connect("127.0.0.1", broker.port, 30)
    pub.loop_start()
    publish_all(pub, topic, [b"one-%d" % i for i in range(10)], 1)
    publish_all(pub, topic, [b"two-%d" % i for i in range(10)], 2)
    publish_all(pub, topic, [b"zero-%d" % i for i in range(5)], 0)  # not kept offline
    pub.disconnect()
    pub.loop_stop()
    back = Recorder(name, broker.port, version, clean=False)
    if version == mqtt.MQTTv311:  # 3.1 has no Session Present
        check(back.session_present == [True], "%s: session present not set" % label)
    want = [b"one-%d" % i for i in range(10)] + [b"two-%d" % i for i in range(10)]
    wait_until(lambda: len(back.payloads()) >= 20, 10, "the queued messages")
    time.sleep(0.3)
    check(back.payloads() == want, "%s: queued messages %r" % (label, back.payloads()))
    qos = [q for (_, _, q, _, _) in back.messages]
    check(qos == [1] * 10 + [2] * 10, "%s: QoS %r" % (label, qos))
    back.close()
    print("ok: %s: persistent session got its 20 queued QoS 1/2 messages (QoS 0 not kept)" % label)


def main():
    with Broker() as b:
        for version, label in VERSIONS:
            thousand_qos2(b, version, label, False)
            queued_while_away(b, version, label)
    with Broker(persist=temp_dir()) as b:
        for version, label in VERSIONS:
            thousand_qos2(b, version, label + "-persist", True)
            queued_while_away(b, version, label + "-persist")
        print("ok: with --persist: " + survives_restart(b))


def survives_restart(b):
    """A retained message and an offline session's queue survive a stop (SIGTERM) and start."""
    away = Recorder("restart-away", b.port, clean=False, subscribe=[("restart/q", 1)])
    time.sleep(0.2)
    away.close()
    pub = mqtt.Client(client_id="restart-pub")
    pub.connect("127.0.0.1", b.port, 30)
    pub.loop_start()
    pub.publish("restart/kept", b"retained", 1, retain=True).wait_for_publish(5)
    publish_all(pub, "restart/q", [b"q-%d" % i for i in range(5)], 1)
    pub.disconnect()
    pub.loop_stop()
    check(b.stop() == 0, "exit code after SIGTERM")
    b.wait_for(r"^stopping on SIGTERM$")
    stats = b.wait_for(r"^stopped ")
    b.lines.clear()
    b.start()
    b.wait_for(r"^persist: replayed \d+ records: 1 retained, \d+ sessions$")
    back = Recorder("restart-away", b.port, clean=False)
    wait_until(lambda: len(back.payloads()) >= 5, 5, "the queue after a restart")
    check(back.payloads() == [b"q-%d" % i for i in range(5)], "queue after restart")
    late = Recorder("restart-late", b.port, subscribe=[("restart/kept", 1)])
    wait_until(lambda: len(late.payloads()) >= 1, 5, "the retained message after a restart")
    check(late.messages[0][1:4] == (b"retained", 1, True), "retained after restart")
    back.close()
    late.close()
    b.stop()
    print("ok: after SIGTERM and a restart: the retained message and an offline queue are there")
    return stats


if __name__ == "__main__":
    main()
