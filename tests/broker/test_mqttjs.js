// SPDX-License-Identifier: MIT
// MQTT.js (npm mqtt, pinned in package-lock.json) against mqttwire-broker over TCP and over
// WebSockets (3.1.1 and 3.1), the same port's static files over HTTP, and the WebSocket rules of
// MQTT 3.1.1 §6 checked with raw frames (npm ws): a packet split over two messages, two packets
// in one message, subprotocol choice, and a text frame closing the connection.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const mqtt = require('mqtt');
const WebSocket = require('ws');

const BROKER = process.env.MQTTWIRE_BROKER || 'build/ci-gcc/examples/mqttwire-broker';

function fail(message) {
  console.log('FAIL: ' + message);
  process.exit(1);
}
function check(condition, message) {
  if (!condition) fail(message);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(predicate, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return;
    await sleep(20);
  }
  fail('timed out waiting for ' + what);
}

function startBroker(root) {
  return new Promise((resolve) => {
    const child = spawn(BROKER, ['--port', '0', '--ws-port', '0', '--http-root', root], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const broker = { child, lines: [] };
    // The broker ends with this test, also when the test is killed (timeout sends SIGTERM).
    process.on('exit', () => child.kill('SIGKILL'));
    process.on('SIGTERM', () => process.exit(1));
    let pending = '';
    child.stderr.on('data', (chunk) => {
      pending += chunk.toString();
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        broker.lines.push(line);
        if (process.env.MQTTWIRE_BROKER_VERBOSE) console.log('  broker| ' + line);
        const m = /^listening mqtt=[^ ]*:(\d+) ws=[^ ]*:(\d+)/.exec(line);
        if (m) {
          broker.port = Number(m[1]);
          broker.wsPort = Number(m[2]);
          resolve(broker);
        }
      }
    });
    child.on('exit', (code) => {
      if (!broker.port) fail('broker exited with ' + code + ': ' + broker.lines.join('\n'));
    });
  });
}

// A client that records "topic payload qN".
async function client(url, options) {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  c.got = [];
  c.on('message', (topic, payload, packet) => c.got.push(`${topic} ${payload} q${packet.qos}`));
  return c;
}

async function pubsub(broker) {
  const tcp = `mqtt://127.0.0.1:${broker.port}`;
  const ws = `ws://127.0.0.1:${broker.wsPort}/mqtt`;
  for (const [label, version] of [['3.1.1', 4], ['3.1', 3]]) {
    const opts = version === 3 ? { protocolVersion: 3, protocolId: 'MQIsdp' } : { protocolVersion: 4 };
    const overTcp = await client(tcp, { ...opts, clientId: `js-tcp-${version}` });
    const overWs = await client(ws, { ...opts, clientId: `js-ws-${version}` });
    const t = `js/${version}`;
    await overTcp.subscribeAsync(`${t}/from-ws/#`, { qos: 2 });
    await overWs.subscribeAsync(`${t}/from-tcp/#`, { qos: 2 });
    for (let q = 0; q <= 2; ++q) {
      await overWs.publishAsync(`${t}/from-ws/${q}`, `w${q}`, { qos: q });
      await overTcp.publishAsync(`${t}/from-tcp/${q}`, `t${q}`, { qos: q });
    }
    const n = 100;
    for (let i = 0; i < n; ++i) {
      await Promise.all([
        overWs.publishAsync(`${t}/from-ws/bulk`, `${i}`, { qos: 1 }),
        overTcp.publishAsync(`${t}/from-tcp/bulk`, `${i}`, { qos: 1 }),
      ]);
    }
    await waitUntil(() => overTcp.got.length >= 3 + n && overWs.got.length >= 3 + n, 10000,
                    `${label} messages both ways`);
    // MQTT.js hands a QoS 2 message over at its PUBREL, so QoS levels are compared apart;
    // the bulk QoS 1 messages must come in order ([MQTT-4.6.0-5]).
    const same = (got, from, p) => {
      const levels = got.filter((m) => !m.includes('/bulk ')).sort();
      const bulk = got.filter((m) => m.includes('/bulk '));
      return JSON.stringify(levels) === JSON.stringify([0, 1, 2].map((q) => `${t}/${from}/${q} ${p}${q} q${q}`)) &&
             JSON.stringify(bulk) === JSON.stringify([...Array(n).keys()].map((i) => `${t}/${from}/bulk ${i} q1`));
    };
    check(same(overTcp.got, 'from-ws', 'w'), `${label}: TCP client got ${overTcp.got.slice(0, 5)}`);
    check(same(overWs.got, 'from-tcp', 't'), `${label}: WebSocket client got ${overWs.got.slice(0, 5)}`);
    // Retained, across transports.
    await overTcp.publishAsync(`${t}/kept`, 'retained', { qos: 1, retain: true });
    const late = await client(ws, { ...opts, clientId: `js-late-${version}` });
    late.on('message', (topic, payload, packet) => { late.retainFlag = packet.retain; });
    await late.subscribeAsync(`${t}/kept`, { qos: 1 });
    await waitUntil(() => late.got.length === 1, 5000, 'the retained message');
    check(late.got[0] === `${t}/kept retained q1` && late.retainFlag === true, 'retained over ws');
    await Promise.all([overTcp.endAsync(), overWs.endAsync(), late.endAsync()]);
    const v = version === 4 ? '3.1.1' : '3.1';
    check(broker.lines.some((l) => l.startsWith(`connect client=js-ws-${version} version=${v} `) &&
                                   l.endsWith(` via=ws:${version === 4 ? 'mqtt' : 'mqttv3.1'}`)),
          `${label}: the ws connect log line, with the subprotocol MQTT.js chose`);
    console.log(`ok: MQTT.js ${label}: QoS 0/1/2 and ${n} QoS 1 messages each way between TCP ` +
                'and WebSocket clients, retained across transports');
  }
}

async function staticFiles(broker, root) {
  const base = `http://127.0.0.1:${broker.wsPort}`;
  let r = await fetch(`${base}/`);
  check(r.status === 200 && r.headers.get('content-type') === 'text/html; charset=utf-8', 'GET /');
  check((await r.text()) === fs.readFileSync(path.join(root, 'index.html'), 'utf8'), 'index body');
  const types = { 'app.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8',
                  'logo.svg': 'image/svg+xml', 'data.json': 'application/json', 'pic.png': 'image/png' };
  for (const [file, type] of Object.entries(types)) {
    r = await fetch(`${base}/sub/${file}`);
    const body = Buffer.from(await r.arrayBuffer());
    check(r.status === 200 && r.headers.get('content-type') === type, `GET ${file}: ${r.status}`);
    check(body.equals(fs.readFileSync(path.join(root, 'sub', file))), `${file} body`);
  }
  r = await fetch(`${base}/sub/app.js`, { method: 'HEAD' });
  check(r.status === 200 && r.headers.get('content-length') ===
        String(fs.statSync(path.join(root, 'sub', 'app.js')).size), 'HEAD');
  r = await fetch(`${base}/index.html`, { method: 'POST', body: 'x' });
  check(r.status === 405 && r.headers.get('allow') === 'GET, HEAD', `POST: ${r.status}`);
  for (const bad of ['/missing.html', '/..%2f..%2fetc%2fpasswd', '/%2e%2e/secret.txt',
                     '/sub/%2e%2e/%2e%2e/secret.txt', '/escape/secret.txt']) {
    r = await fetch(base + bad);
    check(r.status === 404, `GET ${bad}: ${r.status}`);
  }
  // fetch normalises "..", so send one unnormalised request by hand.
  const raw = await new Promise((resolve) => {
    const s = require('net').connect(broker.wsPort, '127.0.0.1', () =>
      s.end('GET /../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    let data = '';
    s.on('data', (d) => { data += d; });
    s.on('close', () => resolve(data));
  });
  check(raw.startsWith('HTTP/1.1 404'), 'raw GET /../secret.txt: ' + raw.slice(0, 20));
  console.log('ok: static files over HTTP on the WebSocket port (types, HEAD, 405, 404, ' +
              'no path traversal nor symlink escape)');
}

function openWs(broker, protocols) {
  return new Promise((resolve) => {
    const s = new WebSocket(`ws://127.0.0.1:${broker.wsPort}/any/path`, protocols);
    s.binaryType = 'nodebuffer';
    s.received = Buffer.alloc(0);
    s.on('message', (data, isBinary) => { s.received = Buffer.concat([s.received, data]); s.sawText ||= !isBinary; });
    s.on('open', () => resolve(s));
    s.on('unexpected-response', (req, res) => resolve({ refused: res.statusCode }));
    s.on('error', () => {});
  });
}

async function websocketRules(broker) {
  // CONNECT (3.1.1, client id "raw", keep-alive 60) split over two messages, then SUBSCRIBE and
  // PINGREQ in one message: CONNACK, SUBACK, PINGRESP come back.
  const connect = Buffer.from('100f00044d5154540402003c0003726177', 'hex');
  const subscribe = Buffer.from('820800010003612f6201', 'hex');  // id 1, "a/b" QoS 1
  const pingreq = Buffer.from('c000', 'hex');
  let s = await openWs(broker, ['mqtt']);
  check(s.protocol === 'mqtt', `subprotocol ${s.protocol}`);
  s.send(connect.subarray(0, 5));
  await sleep(50);
  s.send(connect.subarray(5));
  s.send(Buffer.concat([subscribe, pingreq]));
  await waitUntil(() => s.received.length >= 11, 3000, 'CONNACK SUBACK PINGRESP');
  check(s.received.toString('hex') === '20020000' + '9003000101' + 'd000',
        'raw ws replies ' + s.received.toString('hex'));
  // A text frame is not MQTT ([MQTT-6.0.0-1]): the broker closes the connection.
  const closed = new Promise((resolve) => s.on('close', resolve));
  s.send('not mqtt');
  let closedYet = false;
  closed.then(() => { closedYet = true; });
  await waitUntil(() => closedYet, 3000, 'the close after a text frame');
  await waitUntil(() => broker.lines.some((l) => l.startsWith('protocol error client=raw errc=unexpected_packet')),
                  2000, 'the text frame log line');
  s = await openWs(broker, ['mqttv3.1']);
  check(s.protocol === 'mqttv3.1', 'mqttv3.1 subprotocol');
  s.close();
  s = await openWs(broker, ['foo', 'mqtt']);
  check(s.protocol === 'mqtt', 'mqtt chosen from a list');
  s.close();
  s = await openWs(broker, ['foo']);
  check(s.refused === 400, 'a WebSocket without an MQTT subprotocol is refused: ' + s.refused);
  console.log('ok: WebSocket: packets span messages and share them, subprotocol mqtt / ' +
              'mqttv3.1 chosen, others refused, a text frame closes the connection');
}

async function main() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttwire-http-'));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttwire-outside-'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>mqttwire</title>\n');
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'app.js'), 'console.log("hi");\n');
  fs.writeFileSync(path.join(root, 'sub', 'style.css'), 'body { margin: 0 }\n');
  fs.writeFileSync(path.join(root, 'sub', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
  fs.writeFileSync(path.join(root, 'sub', 'data.json'), '{"a": 1}\n');
  fs.writeFileSync(path.join(root, 'sub', 'pic.png'), Buffer.from('89504e470d0a1a0a0000', 'hex'));
  fs.writeFileSync(path.join(path.dirname(root), 'secret.txt'), 'secret\n');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret\n');
  fs.symlinkSync(outside, path.join(root, 'escape'));
  const broker = await startBroker(root);
  try {
    await pubsub(broker);
    await staticFiles(broker, root);
    await websocketRules(broker);
  } finally {
    broker.child.kill('SIGTERM');
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
    fs.rmSync(path.join(path.dirname(root), 'secret.txt'), { force: true });
  }
}

main().catch((e) => fail(e.stack || String(e)));
