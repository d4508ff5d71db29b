// SPDX-License-Identifier: MIT
// Every known disagreement between mqttwire and mqtt-packet 9.0.2, with the rule that decides
// it. Each case is checked both ways round: mqttwire must give exactly the result written here
// and mqtt-packet must still behave as described, so a case that stops holding (either side
// changed) fails the test instead of silently hiding a new difference.
//
// A decode case feeds `hex` to both parsers. An encode case gives mqttwire a JSON line and
// mqtt-packet the same packet (`mqttPacketInput`, its object form) to generate.
'use strict'

const { toMqttPacket } = require('./mapping')

const err = (code) => `{"error": "${code}", "offset": 0}`

const cases = [
  // ---- mqtt-packet does not validate topic names and filters ----
  {
    name: 'PUBLISH topic name with a wildcard',
    rule: '[MQTT-3.3.2-2]: the topic name in a PUBLISH must not contain wildcard characters',
    decode: { version: '3.1.1', hex: '30050003612f23', mqttwire: err('wildcard_in_topic_name'), mqttPacket: 'accepts' },
    encode: { version: '3.1.1', packet: { type: 'publish', dup: false, qos: 0, retain: false, topic: 'a/#', packet_id: null, payload_hex: '' }, mqttwire: 'wildcard_in_topic_name', mqttPacket: '30050003612f23' }
  },
  {
    name: 'PUBLISH with an empty topic name',
    rule: '[MQTT-4.7.3-1]: topic names must be at least one character long',
    // one payload byte, so the Remaining Length (3) is possible and the body check speaks
    decode: { version: '3.1.1', hex: '3003000041', mqttwire: err('empty_topic_name'), mqttPacket: 'accepts' },
    encode: { version: '3.1.1', packet: { type: 'publish', dup: false, qos: 0, retain: false, topic: '', packet_id: null, payload_hex: '' }, mqttwire: 'empty_topic_name', mqttPacket: '30020000' }
  },
  {
    name: "SUBSCRIBE filter with '#' not at the end",
    rule: "[MQTT-4.7.1-2]: '#' must be the last character of a filter and a whole level",
    decode: { version: '3.1.1', hex: '820800010003232f6100', mqttwire: err('misplaced_multi_level_wildcard'), mqttPacket: 'accepts' },
    encode: { version: '3.1.1', packet: { type: 'subscribe', packet_id: 1, dup: false, subscriptions: [{ topic_filter: '#/a', qos: 0 }] }, mqttwire: 'misplaced_multi_level_wildcard', mqttPacket: '820800010003232f6100' }
  },
  {
    name: 'UNSUBSCRIBE filter "#a"',
    rule: "[MQTT-4.7.1-2]: '#' must be a whole level",
    decode: { version: '3.1.1', hex: 'a206000100022361', mqttwire: err('misplaced_multi_level_wildcard'), mqttPacket: 'accepts' }
  },
  // ---- mqtt-packet does not validate UTF-8 (it decodes with U+FFFD replacement) ----
  {
    name: 'ill-formed UTF-8 in a topic name (C3 28)',
    rule: '[MQTT-1.5.3-1]: ill-formed UTF-8 is a protocol violation; the receiver must close',
    decode: { version: '3.1.1', hex: '30040002c328', mqttwire: err('invalid_utf8'), mqttPacket: 'accepts' }
  },
  {
    name: 'encoded surrogate U+D800 (ED A0 80) in a topic name',
    rule: '[MQTT-1.5.3-1]: the encodings of U+D800..U+DFFF are not valid UTF-8',
    decode: { version: '3.1.1', hex: '30050003eda080', mqttwire: err('invalid_utf8'), mqttPacket: 'accepts' }
  },
  {
    name: 'ill-formed UTF-8 in a CONNECT client identifier',
    rule: '[MQTT-1.5.3-1] applies to every string field',
    decode: { version: '3.1.1', hex: '100e00044d515454040200000002c328', mqttwire: err('invalid_utf8'), mqttPacket: 'accepts' }
  },
  {
    name: 'U+0000 in a topic name',
    rule: '[MQTT-1.5.3-2] [MQTT-4.7.3-2]: strings must not contain the null character',
    decode: { version: '3.1.1', hex: '300400026100', mqttwire: err('null_character'), mqttPacket: 'accepts' },
    encode: { version: '3.1.1', packet: { type: 'publish', dup: false, qos: 0, retain: false, topic: 'a\u0000', packet_id: null, payload_hex: '' }, mqttwire: 'null_character', mqttPacket: '300400026100' }
  },
  {
    name: 'unpaired surrogate in a topic string',
    rule: '[MQTT-1.5.3-1]: a lone surrogate has no UTF-8 form; mqtt-packet writes U+FFFD instead, changing the topic',
    encode: { version: '3.1.1', packet: { type: 'publish', dup: false, qos: 0, retain: false, topic: 'a\ud800', packet_id: null, payload_hex: '' }, mqttwire: 'unpaired surrogate', mqttPacket: '3006000461efbfbd' }
  },
  // ---- packet identifiers ----
  {
    name: 'PUBACK with packet identifier 0',
    rule: '[MQTT-2.3.1-1]: a packet identifier is a non-zero 16-bit integer',
    decode: { version: '3.1.1', hex: '40020000', mqttwire: err('packet_id_zero'), mqttPacket: 'accepts' },
    encode: { version: '3.1.1', packet: { type: 'puback', packet_id: 0 }, mqttwire: 'packet_id_zero', mqttPacket: '40020000' }
  },
  {
    name: 'QoS 1 PUBLISH with packet identifier 0',
    rule: '[MQTT-2.3.1-1]',
    decode: { version: '3.1.1', hex: '32050001610000', mqttwire: err('packet_id_zero'), mqttPacket: 'accepts' },
    encode: { version: '3.1.1', packet: { type: 'publish', dup: false, qos: 1, retain: false, topic: 'a', packet_id: 0, payload_hex: '' }, mqttwire: 'packet_id_zero', mqttPacket: '32050001610000' }
  },
  // ---- empty lists ----
  {
    name: 'SUBSCRIBE without a topic filter',
    rule: '[MQTT-3.8.3-3]: the payload must contain at least one filter/QoS pair (mqtt-packet generate agrees)',
    decode: { version: '3.1.1', hex: '82020001', mqttwire: err('empty_subscription_list'), mqttPacket: 'accepts' }
  },
  {
    name: 'UNSUBSCRIBE without a topic filter',
    rule: '[MQTT-3.10.3-2]: the payload must contain at least one topic filter',
    decode: { version: '3.1.1', hex: 'a2020001', mqttwire: err('empty_unsubscribe_list'), mqttPacket: 'accepts' }
  },
  {
    name: 'SUBACK without a return code',
    rule: 'MQTT 3.1.1 §3.9.3: one return code per filter of the SUBSCRIBE, which has at least one',
    decode: { version: '3.1.1', hex: '90020001', mqttwire: err('empty_return_code_list'), mqttPacket: 'accepts' }
  },
  // ---- CONNACK ----
  {
    name: 'CONNACK return code 6',
    rule: 'MQTT 3.1.1 §3.2.2.3: return codes 6..255 are reserved',
    decode: { version: '3.1.1', hex: '20020006', mqttwire: err('invalid_connack_return_code'), mqttPacket: 'accepts' },
    encode: { version: '3.1.1', packet: { type: 'connack', session_present: false, return_code: 6 }, mqttwire: 'invalid_connack_return_code', mqttPacket: '20020006' }
  },
  {
    name: 'CONNACK with Session Present and a refusal',
    rule: '[MQTT-3.2.2-4]: a server that refuses a connection must set Session Present to 0 (mqttwire rejects it by default in 3.1.1, [MQTT-4.8.0-1]; --tolerant decodes it)',
    encode: { version: '3.1.1', packet: { type: 'connack', session_present: true, return_code: 5 }, mqttwire: 'session_present_with_error', mqttPacket: '20020105' }
  },
  {
    name: 'MQTT 3.1 CONNACK whose first byte is 01',
    rule: 'MQTT 3.1 §3.2: byte 1 of the variable header is not used; 3.1 has no Session Present (mqtt-packet reads one)',
    decode: { version: '3.1', hex: '20020100', mqttwire: '{"type": "connack", "session_present": false, "return_code": 0}', mqttPacket: 'accepts' },
    encode: { version: '3.1', packet: { type: 'connack', session_present: true, return_code: 0 }, mqttwire: 'session_present_in_3_1', mqttPacket: '20020100' }
  },
  {
    name: 'MQTT 3.1 SUBACK with the 3.1.1 failure code 0x80',
    rule: 'MQTT 3.1 §3.9: a SUBACK grants QoS 0..2; 0x80 exists only in 3.1.1',
    decode: { version: '3.1', hex: '9003000180', mqttwire: err('invalid_suback_return_code'), mqttPacket: 'accepts' },
    encode: { version: '3.1', packet: { type: 'suback', packet_id: 1, return_codes: [128] }, mqttwire: 'invalid_suback_return_code', mqttPacket: '9003000180' }
  },
  // ---- CONNECT ----
  {
    name: 'CONNECT with protocol name MQTT and level 3',
    rule: '[MQTT-3.1.2-2]: only (MQTT, 4) and (MQIsdp, 3) exist; the server answers CONNACK 1',
    decode: { version: '3.1.1', hex: '100c00044d515454030200000000', mqttwire: err('unsupported_protocol_level'), mqttPacket: 'accepts' }
  },
  {
    name: 'CONNECT with a password but no user name',
    rule: '[MQTT-3.1.2-22]: no Password Flag without the User Name Flag (mqtt-packet generate agrees)',
    decode: { version: '3.1.1', hex: '101000044d51545404420000000000027077', mqttwire: err('password_without_username'), mqttPacket: 'accepts' }
  },
  {
    name: 'CONNECT with bytes after its last field',
    rule: '[MQTT-3.1.4-1]: a CONNECT that does not follow the layout is malformed',
    decode: { version: '3.1.1', hex: '100d00044d515454040200000000ff', mqttwire: err('trailing_bytes'), mqttPacket: 'accepts' }
  },
  // ---- fixed-size packets with extra bytes ----
  {
    name: 'PUBACK with a Remaining Length of 3',
    rule: 'MQTT 3.1.1 §3.4.1: the Remaining Length of PUBACK is 2 (refused at the fixed header)',
    decode: { version: '3.1.1', hex: '40030001ff', mqttwire: err('impossible_remaining_length'), mqttPacket: 'accepts' }
  },
  {
    name: 'DISCONNECT with a body',
    rule: 'MQTT 3.1.1 §3.14: DISCONNECT has no variable header and no payload (refused at the fixed header)',
    decode: { version: '3.1.1', hex: 'e00100', mqttwire: err('impossible_remaining_length'), mqttPacket: 'accepts' }
  },
  {
    name: 'PINGREQ with a body',
    rule: 'MQTT 3.1.1 §3.12: PINGREQ has no variable header and no payload (refused at the fixed header)',
    decode: { version: '3.1.1', hex: 'c00100', mqttwire: err('impossible_remaining_length'), mqttPacket: 'accepts' }
  },
  // ---- where mqtt-packet is stricter than MQTT 3.1 ----
  {
    name: 'MQTT 3.1 PUBREL retransmitted with DUP (first byte 6A)',
    rule: 'MQTT 3.1 §2.1/§3.6: DUP marks a retransmitted PUBREL; mqtt-packet applies 3.1.1\'s fixed flags to 3.1 too (its generate() throws a TypeError)',
    decode: { version: '3.1', hex: '6a020001', mqttwire: '{"type": "pubrel", "packet_id": 1, "dup": true}', mqttPacket: 'rejects: Invalid header flag bits, must be 0x2 for pubrel packet' }
  },
  {
    name: 'MQTT 3.1 SUBSCRIBE retransmitted with DUP (first byte 8A)',
    rule: 'MQTT 3.1 §2.1/§3.8: DUP marks a retransmitted SUBSCRIBE; mqtt-packet rejects it as in 3.1.1',
    decode: { version: '3.1', hex: '8a06000100016100', mqttwire: '{"type": "subscribe", "packet_id": 1, "dup": true, "subscriptions": [{"topic_filter": "a", "qos": 0}]}', mqttPacket: 'rejects: Invalid header flag bits, must be 0x2 for subscribe packet' }
  }
]

const levelOf = (version) => (version === '3.1' ? 3 : 4)

// Returns the ways in which case `c` does not hold (empty when it holds).
function check (c, { run, mqttPacketParse }) {
  const problems = []
  if (c.decode) {
    const d = c.decode
    const r = run(['decode', '--hex', '--protocol', d.version], d.hex)
    const out = r.stdout.toString().trim()
    const wantCode = d.mqttwire.startsWith('{"error"') ? 1 : 0
    if (out !== d.mqttwire || r.code !== wantCode) problems.push(`mqttwire decode gave ${out} (exit ${r.code}), expected ${d.mqttwire}`)
    const parsed = mqttPacketParse(Buffer.from(d.hex, 'hex'), levelOf(d.version))
    if (d.mqttPacket === 'accepts') {
      if (parsed.errors.length || parsed.packets.length !== 1) problems.push(`mqtt-packet no longer accepts ${d.hex}: ${parsed.errors}`)
    } else {
      const message = d.mqttPacket.replace(/^rejects: /, '')
      if (parsed.errors[0] !== message) problems.push(`mqtt-packet no longer rejects ${d.hex} with "${message}": ${parsed.errors}`)
    }
  }
  if (c.encode) {
    const e = c.encode
    const line = JSON.stringify(e.packet)
    const r = run(['encode', '--hex', '--protocol', e.version], line + '\n')
    if (r.code !== 1 || r.stdout.length !== 0 || !r.stderr.includes(e.mqttwire)) {
      problems.push(`mqttwire encode of ${line} gave exit ${r.code}, stdout "${r.stdout}", stderr "${r.stderr.trim()}"; expected exit 1 naming ${e.mqttwire}`)
    }
    let theirs
    try {
      theirs = require('mqtt-packet').generate(toMqttPacket(e.packet), { protocolVersion: levelOf(e.version) }).toString('hex')
    } catch (x) {
      theirs = 'throws: ' + x.message
    }
    if (theirs !== e.mqttPacket) problems.push(`mqtt-packet generate gave ${theirs}, documented ${e.mqttPacket}`)
  }
  return problems
}

module.exports = { cases, check }
