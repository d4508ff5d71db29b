// SPDX-License-Identifier: MIT
// Maps the mqttwire CLI's JSON form of a packet to mqtt-packet's object form and back.
'use strict'

const hex = (buf) => Buffer.from(buf || []).toString('hex')
const bytes = (h) => Buffer.from(h, 'hex')

// JSON with sorted keys, so that two objects compare by content.
function canonical (value) {
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']'
  if (value && typeof value === 'object') {
    return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}'
  }
  return JSON.stringify(value)
}

function toMqttPacket (p) {
  switch (p.type) {
    case 'connect': {
      const c = {
        cmd: 'connect',
        protocolId: p.protocol_name,
        protocolVersion: p.protocol_level,
        clean: p.clean_session,
        keepalive: p.keep_alive,
        clientId: p.client_id
      }
      if (p.will) c.will = { topic: p.will.topic, payload: bytes(p.will.payload_hex), qos: p.will.qos, retain: p.will.retain }
      if (p.username !== null) c.username = p.username
      if (p.password_hex !== null) c.password = bytes(p.password_hex)
      return c
    }
    case 'connack': return { cmd: 'connack', sessionPresent: p.session_present, returnCode: p.return_code }
    case 'publish': {
      const m = { cmd: 'publish', dup: p.dup, qos: p.qos, retain: p.retain, topic: p.topic, payload: bytes(p.payload_hex) }
      if (p.packet_id !== null) m.messageId = p.packet_id
      return m
    }
    case 'puback': case 'pubrec': case 'pubcomp': case 'unsuback':
      return { cmd: p.type, messageId: p.packet_id }
    case 'pubrel': return { cmd: 'pubrel', messageId: p.packet_id, dup: p.dup }
    case 'subscribe':
      return { cmd: 'subscribe', messageId: p.packet_id, dup: p.dup, subscriptions: p.subscriptions.map((s) => ({ topic: s.topic_filter, qos: s.qos })) }
    case 'suback': return { cmd: 'suback', messageId: p.packet_id, granted: p.return_codes }
    case 'unsubscribe': return { cmd: 'unsubscribe', messageId: p.packet_id, dup: p.dup, unsubscriptions: p.topic_filters }
    default: return { cmd: p.type }
  }
}

function fromMqttPacket (m) {
  const type = m.cmd
  switch (type) {
    case 'connect':
      return {
        type,
        protocol_name: m.protocolId,
        protocol_level: m.protocolVersion,
        clean_session: m.clean,
        keep_alive: m.keepalive,
        client_id: m.clientId,
        will: m.will ? { topic: m.will.topic, payload_hex: hex(m.will.payload), qos: m.will.qos, retain: m.will.retain } : null,
        username: m.username === undefined ? null : m.username,
        password_hex: m.password === undefined ? null : hex(m.password)
      }
    case 'connack': return { type, session_present: m.sessionPresent, return_code: m.returnCode }
    case 'publish':
      return { type, dup: m.dup, qos: m.qos, retain: m.retain, topic: m.topic, packet_id: m.qos > 0 ? m.messageId : null, payload_hex: hex(m.payload) }
    case 'puback': case 'pubrec': case 'pubcomp': case 'unsuback':
      return { type, packet_id: m.messageId }
    case 'pubrel': return { type, packet_id: m.messageId, dup: m.dup }
    case 'subscribe':
      return { type, packet_id: m.messageId, dup: m.dup, subscriptions: m.subscriptions.map((s) => ({ topic_filter: s.topic, qos: s.qos })) }
    case 'suback': return { type, packet_id: m.messageId, return_codes: m.granted }
    case 'unsubscribe': return { type, packet_id: m.messageId, dup: m.dup, topic_filters: m.unsubscriptions }
    default: return { type }
  }
}

module.exports = { canonical, toMqttPacket, fromMqttPacket }
