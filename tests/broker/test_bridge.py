# SPDX-License-Identifier: MIT
"""mosquitto (Debian's mosquitto 2.0) as a bridge to mqttwire-broker, the way brokers are
federated: a `connection` to our port with topics both ways, QoS 1, and the bridge's own
reconnect after our broker restarts with --persist."""
import os
import subprocess
import time

import paho.mqtt.client as mqtt

from harness import Broker, Recorder, check, free_port, popen, publish_all, temp_dir, wait_until

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
log_dest stdout
log_type error
log_type warning
log_type notice

connection to-mqttwire
address 127.0.0.1:{ours}
bridge_protocol_version {version}
# mosquitto's default (try_private true) sends protocol level 0x84 or 0x83 to mark a bridge;
# that level is not MQTT 3.1.1, so mqttwire-broker answers CONNACK 1 and the bridge is told to
# connect as a plain client.
try_private false
cleansession false
clientid bridge-{version}
keepalive_interval 5
restart_timeout 1
topic up/# out 1
topic down/# in 1
"""


class Mosquitto:
    def __init__(self, ours, version):
        self.port = free_port()
        self.dir = temp_dir()
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(port=self.port, ours=ours, version=version))
        self.log = open(os.path.join(self.dir, "mosquitto.log"), "w+")
        self.proc = popen(["mosquitto", "-c", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


def run(version, paho_version):
    with Broker(persist=temp_dir()) as ours:
        m = Mosquitto(ours.port, version)
        try:
            ours.wait_for(r"^connect client=bridge-%s version=%s clean=0 "
                          % (version, "3.1" if version == "mqttv31" else "3.1.1"), 15)
            time.sleep(0.5)  # the bridge's SUBSCRIBE for down/#
            # Theirs to ours: published at mosquitto, received from our broker.
            at_ours = Recorder("ours-sub-" + version, ours.port, paho_version,
                               subscribe=[("up/#", 1)])
            at_theirs = Recorder("theirs-sub-" + version, m.port, paho_version,
                                 subscribe=[("down/#", 1)])
            time.sleep(0.3)
            p_theirs = mqtt.Client(client_id="theirs-pub-" + version, protocol=paho_version)
            p_theirs.connect("127.0.0.1", m.port, 30)
            p_theirs.loop_start()
            p_ours = mqtt.Client(client_id="ours-pub-" + version, protocol=paho_version)
            p_ours.connect("127.0.0.1", ours.port, 30)
            p_ours.loop_start()
            up = [b"up-%d" % i for i in range(100)]
            down = [b"down-%d" % i for i in range(100)]
            publish_all(p_theirs, "up/x", up, 1)
            publish_all(p_ours, "down/y", down, 1)
            wait_until(lambda: len(at_ours.payloads()) >= 100, 15, "up/# through the bridge")
            wait_until(lambda: len(at_theirs.payloads()) >= 100, 15, "down/# through the bridge")
            time.sleep(0.3)
            check(at_ours.payloads() == up, "%s: up/x at ours: %r" % (version, at_ours.payloads()[:5]))
            check(at_theirs.payloads() == down, "%s: down/y at theirs" % version)
            print("ok: %s: 100 QoS 1 messages each way through a mosquitto bridge" % version)

            # Our broker restarts (SIGTERM): the bridge reconnects, resumes its persistent
            # session (its down/# subscription is kept) and traffic flows again.
            p_ours.disconnect()
            p_ours.loop_stop()
            at_ours.close()
            ours.stop()
            ours.start()
            ours.wait_for(r"^connect client=bridge-%s .* resumed=1 " % version, 20)
            time.sleep(0.3)
            p_ours = mqtt.Client(client_id="ours-pub2-" + version, protocol=paho_version)
            p_ours.connect("127.0.0.1", ours.port, 30)
            p_ours.loop_start()
            publish_all(p_ours, "down/z", [b"after-restart"], 1)
            wait_until(lambda: b"after-restart" in at_theirs.payloads(), 15,
                       "down/z after our restart")
            p_ours.disconnect()
            p_ours.loop_stop()
            p_theirs.disconnect()
            p_theirs.loop_stop()
            at_theirs.close()
            print("ok: %s: the bridge resumed its session after our broker restarted" % version)
        except SystemExit:
            print("mosquitto's log:\n" + m.output())
            raise
        finally:
            m.stop()


def main():
    run("mqttv311", mqtt.MQTTv311)
    run("mqttv31", mqtt.MQTTv31)


if __name__ == "__main__":
    main()
