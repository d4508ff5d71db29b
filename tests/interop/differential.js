// SPDX-License-Identifier: MIT
// Differential test of the mqttwire CLI against mqtt-packet, an independent implementation:
// seeded random packets of every type in MQTT 3.1 and 3.1.1 must mean the same to both, in
// both directions; every known disagreement is listed in ./laxity.js with the rule that decides
// it and is checked explicitly. usage: node differential.js <path to mqttwire> [seed]
'use strict'

const { spawnSync } = require('child_process')
const mqtt = require('mqtt-packet')
const { canonical, toMqttPacket, fromMqttPacket } = require('./mapping')
const { generatePackets } = require('./generate')
const laxity = require('./laxity')

const mqttwire = process.argv[2]
const seed = Number(process.argv[3] || 20141029)
const perType = 24
if (!mqttwire) {
  console.error('usage: node differential.js <path to mqttwire> [seed]')
  process.exit(64)
}

const versions = [{ name: '3.1', level: 3 }, { name: '3.1.1', level: 4 }]
let checked = 0
const failures = []
const fail = (what) => { failures.push(what); if (failures.length <= 20) console.log('MISMATCH ' + what) }

function run (args, input) {
  const r = spawnSync(mqttwire, args, { input, maxBuffer: 1 << 30 })
  if (r.error) throw r.error
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() }
}

// mqtt-packet's streaming parser over one buffer: its packets and errors, in order.
function mqttPacketParse (bytes, level) {
  const parser = mqtt.parser({ protocolVersion: level })
  const packets = []
  const errors = []
  parser.on('packet', (p) => packets.push(p))
  parser.on('error', (e) => errors.push(e.message))
  parser.parse(bytes)
  return { packets, errors }
}

function differential (version) {
  const packets = generatePackets(seed + version.level, version.level, perType)
  const lines = packets.map((p) => JSON.stringify(p))
  const counts = {}
  for (const p of packets) counts[p.type] = (counts[p.type] || 0) + 1

  // (a) mqttwire encodes; mqtt-packet parses each packet back to the same fields.
  const enc = run(['encode', '--hex', '--protocol', version.name], lines.join('\n') + '\n')
  if (enc.code !== 0) fail(`${version.name} encode exited ${enc.code}: ${enc.stderr}`)
  const hexLines = enc.stdout.toString().trim().split('\n')
  if (hexLines.length !== packets.length) fail(`${version.name} encode gave ${hexLines.length} lines for ${packets.length} packets`)
  const theirBytes = []
  packets.forEach((p, i) => {
    checked++
    const ours = Buffer.from(hexLines[i] || '', 'hex')
    const parsed = mqttPacketParse(ours, version.level)
    if (parsed.errors.length || parsed.packets.length !== 1) {
      return fail(`${version.name} (a) mqtt-packet rejects mqttwire's ${p.type} ${hexLines[i]}: ${parsed.errors}`)
    }
    const back = canonical(fromMqttPacket(parsed.packets[0], version.level))
    if (back !== canonical(p)) fail(`${version.name} (a) ${lines[i]}\n  mqtt-packet read: ${back}`)
    // The encodings are canonical on both sides (shortest Remaining Length, fixed field order),
    // so the bytes must be identical too.
    const theirs = mqtt.generate(toMqttPacket(p), { protocolVersion: version.level })
    theirBytes.push(theirs)
    if (!theirs.equals(ours)) fail(`${version.name} bytes differ for ${lines[i]}\n  mqttwire:    ${ours.toString('hex')}\n  mqtt-packet: ${theirs.toString('hex')}`)
  })

  // (b) mqtt-packet generates one stream of all packets; mqttwire decodes the same fields.
  const dec = run(['decode', '--protocol', version.name], Buffer.concat(theirBytes))
  if (dec.code !== 0) fail(`${version.name} decode of mqtt-packet's stream exited ${dec.code}`)
  const decoded = dec.stdout.toString().trim().split('\n')
  packets.forEach((p, i) => {
    checked++
    const got = decoded[i] === undefined ? '(nothing)' : canonical(JSON.parse(decoded[i]))
    if (got !== canonical(p)) fail(`${version.name} (b) mqtt-packet's ${theirBytes[i].toString('hex')}\n  expected ${canonical(p)}\n  mqttwire read ${got}`)
  })
  const summary = Object.keys(counts).sort().map((t) => `${t} ${counts[t]}`).join(', ')
  console.log(`MQTT ${version.name}: ${packets.length} packets (${summary}), both directions`)
}

function explainedCases () {
  let ok = 0
  for (const c of laxity.cases) {
    const problems = laxity.check(c, { run, mqttPacketParse })
    checked++
    if (problems.length) {
      fail(`documented case "${c.name}" no longer holds:\n  ${problems.join('\n  ')}`)
    } else {
      ok++
    }
  }
  console.log(`documented disagreements: ${ok}/${laxity.cases.length} hold as written (see laxity.js)`)
}

console.log(`mqtt-packet ${require('mqtt-packet/package.json').version}, ${run(['--version']).stdout.toString().trim()}, seed ${seed}`)
for (const v of versions) differential(v)
explainedCases()
if (failures.length) {
  console.log(`FAILED: ${failures.length} unexplained mismatch(es) in ${checked} checks`)
  process.exit(1)
}
console.log(`PASSED: ${checked} checks, no unexplained mismatch`)
