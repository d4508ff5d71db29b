// SPDX-License-Identifier: MIT
// Seeded random packets of every type, valid for the given protocol level, in the CLI's JSON form.
'use strict'

// mulberry32: a small, well-distributed 32-bit PRNG, so that a seed reproduces a run exactly.
function prng (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function generatePackets (seed, level, perType) {
  const rnd = prng(seed)
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1))
  const pick = (xs) => xs[int(0, xs.length - 1)]
  const bool = () => rnd() < 0.5
  // Characters of every UTF-8 length, plus the controls and the BOM that 3.1.1 allows (MAY
  // close is a receiver's choice; both implementations accept them by default).
  const chars = ['a', 'b', 'z', 'Q', '0', '9', '-', '_', '.', ' ', 'é', 'ß', 'Ω', '中', '€', '😀', '𝄞', '\u0001', '\u007f', '\u0085', '\ufeff']
  const text = (lo, hi) => Array.from({ length: int(lo, hi) }, () => pick(chars)).join('')
  const level_ = () => text(1, 6)
  const topicName = () => Array.from({ length: int(1, 4) }, level_).join('/')
  const topicFilter = () => {
    const levels = Array.from({ length: int(1, 4) }, () => (rnd() < 0.25 ? '+' : level_()))
    if (rnd() < 0.3) levels.push('#')
    return levels.join('/')
  }
  const hexBytes = (lo, hi) => {
    const n = rnd() < 0.05 ? int(200, 20000) : int(lo, hi) // sometimes a multi-byte Remaining Length
    let s = ''
    for (let i = 0; i < n; i++) s += int(0, 255).toString(16).padStart(2, '0')
    return s
  }
  const id = () => int(1, 65535)
  const qos = () => int(0, 2)
  const v311 = level === 4

  const make = {
    connect: () => ({
      type: 'connect',
      protocol_name: v311 ? 'MQTT' : 'MQIsdp',
      protocol_level: level,
      clean_session: bool(),
      keep_alive: int(0, 65535),
      client_id: v311 ? text(0, 23) : text(1, 23),
      will: bool() ? { topic: topicName(), payload_hex: hexBytes(0, 30), qos: qos(), retain: bool() } : null,
      ...(() => {
        const username = bool() ? text(0, 12) : null
        return { username, password_hex: username !== null && bool() ? hexBytes(0, 12) : null }
      })()
    }),
    connack: () => {
      const code = int(0, 5)
      return { type: 'connack', session_present: v311 && code === 0 && bool(), return_code: code }
    },
    publish: () => {
      const q = qos()
      return { type: 'publish', dup: q > 0 && bool(), qos: q, retain: bool(), topic: topicName(), packet_id: q > 0 ? id() : null, payload_hex: hexBytes(0, 40) }
    },
    puback: () => ({ type: 'puback', packet_id: id() }),
    pubrec: () => ({ type: 'pubrec', packet_id: id() }),
    // DUP on PUBREL/SUBSCRIBE/UNSUBSCRIBE (3.1 only) is a documented disagreement (laxity.js).
    pubrel: () => ({ type: 'pubrel', packet_id: id(), dup: false }),
    pubcomp: () => ({ type: 'pubcomp', packet_id: id() }),
    subscribe: () => ({
      type: 'subscribe',
      packet_id: id(),
      dup: false,
      subscriptions: Array.from({ length: int(1, 5) }, () => ({ topic_filter: topicFilter(), qos: qos() }))
    }),
    suback: () => ({
      type: 'suback',
      packet_id: id(),
      return_codes: Array.from({ length: int(1, 6) }, () => (v311 && rnd() < 0.2 ? 128 : qos()))
    }),
    unsubscribe: () => ({ type: 'unsubscribe', packet_id: id(), dup: false, topic_filters: Array.from({ length: int(1, 5) }, topicFilter) }),
    unsuback: () => ({ type: 'unsuback', packet_id: id() }),
    pingreq: () => ({ type: 'pingreq' }),
    pingresp: () => ({ type: 'pingresp' }),
    disconnect: () => ({ type: 'disconnect' })
  }

  // Every type perType times, in a shuffled order so that packets of all types follow each other.
  const packets = []
  for (const type of Object.keys(make)) for (let i = 0; i < perType; i++) packets.push(make[type]())
  for (let i = packets.length - 1; i > 0; i--) {
    const j = int(0, i);
    [packets[i], packets[j]] = [packets[j], packets[i]]
  }
  return packets
}

module.exports = { generatePackets }
