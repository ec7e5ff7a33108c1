// Evaluation of aedes@2.0.0-beta.1 (MQTT 5) with real MQTT.js clients over TCP on a free loopback port.
// Usage (in tools/mqtt5-eval, outside the workspaces): npm install --no-package-lock && npm run eval   → one line per check, JSON summary at the end.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';

const results = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const clients = [];
let url;
let ingested = []; // what the authorizePublish "store" saw, in order
let ingestDelayMs = 0;
let failIngest = false;

const broker = await Aedes.createBroker({
  topicAliasMaximum: 10,
  authenticate: (client, username, password, done) => {
    if (username === 'bad') return done(Object.assign(new Error('bad credentials'), { returnCode: 4 }), false);
    done(null, true);
  },
  // Ingest before the PUBACK, as Parcours does with aedes 1.x.
  authorizePublish: (client, packet, done) => {
    if (!client || !packet.topic.startsWith('dev/')) return done(null);
    if (failIngest === 'close') return client.close(); // no ack at all: the device resends after reconnecting
    if (failIngest) return done(new Error('store failed'));
    setTimeout(() => {
      ingested.push({ topic: packet.topic, payload: packet.payload.toString(), at: Date.now() });
      done(null);
    }, ingestDelayMs);
  },
  authorizeSubscribe: (client, sub, done) => done(null, sub.topic.startsWith('denied/') ? null : sub),
});
const server = createServer(broker.handle);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
url = `mqtt://127.0.0.1:${server.address().port}`;

async function connect(options = {}) {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...options });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}
function nextMessages(client, n, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const got = [];
    const timer = setTimeout(() => resolve(got), timeoutMs);
    client.on('message', (topic, payload, packet) => {
      got.push({ topic, payload: payload.toString(), packet });
      if (got.length === n) { clearTimeout(timer); resolve(got); }
    });
  });
}
async function check(name, run) {
  try {
    const detail = await Promise.race([run(), sleep(15_000).then(() => { throw new Error('timed out after 15 s'); })]);
    results.push({ name, ok: true, detail: detail ?? '' });
  } catch (error) {
    results.push({ name, ok: false, detail: error.message });
  }
  console.log(`${results.at(-1).ok ? 'PASS' : 'FAIL'}  ${name}  ${results.at(-1).detail}`);
}
function assert(condition, message) { if (!condition) throw new Error(message); }

await check('v5 CONNECT accepted; CONNACK properties', async () => {
  const c = await connect({ protocolVersion: 5, clientId: 'v5-probe' });
  return JSON.stringify(c.connackPacket?.properties ?? {}) + ` reasonCode=${c.connackPacket?.reasonCode}`;
});
await check('v4 (3.1.1) CONNECT accepted', async () => { await connect({ protocolVersion: 4 }); });
await check('v5 bad credentials → CONNACK reason code', async () => {
  try { await connect({ protocolVersion: 5, username: 'bad', password: 'x' }); } catch (error) { return `${error.message} (code ${error.code})`; }
  throw new Error('accepted');
});
for (const [pv, sv] of [[5, 5], [4, 5], [5, 4]]) {
  await check(`QoS 0/1/2 publish v${pv} → subscribe v${sv}`, async () => {
    const sub = await connect({ protocolVersion: sv });
    await sub.subscribeAsync('qos/#', { qos: 2 });
    const pub = await connect({ protocolVersion: pv });
    const got = nextMessages(sub, 3);
    for (const qos of [0, 1, 2]) await pub.publishAsync(`qos/${qos}`, `m${qos}`, { qos });
    const list = await got;
    assert(list.length === 3, `received ${list.length}/3`);
    return list.map((m) => `${m.topic}@q${m.packet.qos}`).join(' ');
  });
}
await check('retained: set, delivered to a new subscriber, cleared by an empty payload', async () => {
  const pub = await connect({ protocolVersion: 5 });
  await pub.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
  const s1 = await connect({ protocolVersion: 5 });
  const got1 = nextMessages(s1, 1, 1000);
  await s1.subscribeAsync('ret/a', { qos: 1 });
  const [m] = await got1;
  assert(m?.payload === 'kept' && m.packet.retain, 'retained message not delivered');
  await pub.publishAsync('ret/a', '', { qos: 1, retain: true });
  const s2 = await connect({ protocolVersion: 5 });
  const got2 = nextMessages(s2, 1, 700);
  await s2.subscribeAsync('ret/a', { qos: 1 });
  assert((await got2).length === 0, 'cleared retained message still delivered');
});
await check('will published on ungraceful disconnect (v5)', async () => {
  const sub = await connect({ protocolVersion: 5 });
  await sub.subscribeAsync('will/#', { qos: 1 });
  const dying = await connect({ protocolVersion: 5, will: { topic: 'will/x', payload: Buffer.from('offline'), qos: 1, retain: false } });
  const got = nextMessages(sub, 1);
  dying.stream.destroy();
  const [m] = await got;
  assert(m?.payload === 'offline', 'no will');
});
for (const pv of [5, 4]) {
  await check(`persistent session (v${pv}): QoS 1 queued while offline, delivered after reconnect`, async () => {
    const options = { protocolVersion: pv, clientId: `persist-${pv}`, clean: false, ...(pv === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}) };
    const s = await connect(options);
    await s.subscribeAsync(`sess${pv}/#`, { qos: 1 });
    await s.endAsync();
    const pub = await connect({ protocolVersion: 5 });
    for (let i = 0; i < 3; i++) await pub.publishAsync(`sess${pv}/t`, `q${i}`, { qos: 1 });
    const again = mqtt.connect(url, { ...options, reconnectPeriod: 0 });
    clients.push(again);
    const got = nextMessages(again, 3);
    const present = await new Promise((resolve) => again.once('connect', (connack) => resolve(connack.sessionPresent)));
    const list = await got;
    assert(list.length === 3, `sessionPresent=${present}, received ${list.length}/3`);
    return `sessionPresent=${present}`;
  });
}
await check('session expiry (v5): a 1 s session is gone after 2 s', async () => {
  const options = { protocolVersion: 5, clientId: 'expiring', clean: false, properties: { sessionExpiryInterval: 1 } };
  const s = await connect(options);
  await s.subscribeAsync('exp/#', { qos: 1 });
  await s.endAsync();
  await sleep(2000);
  const again = await connect(options);
  assert(again.connackPacket.sessionPresent === false, 'session still present');
});
await check('$-topics not matched by # (MQTT-4.7.2-1)', async () => {
  const s = await connect({ protocolVersion: 5 });
  await s.subscribeAsync('#', { qos: 0 });
  const got = nextMessages(s, 1, 700);
  await new Promise((resolve) => broker.publish({ cmd: 'publish', topic: '$internal/x', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }, resolve));
  const list = await got;
  s.removeAllListeners('message');
  assert(!list.some((m) => m.topic.startsWith('$')), `got ${list.map((m) => m.topic)}`);
});
await check('authorizePublish: async ingest completes before the PUBACK (v5 and v4)', async () => {
  ingestDelayMs = 150;
  const out = [];
  for (const pv of [5, 4]) {
    const c = await connect({ protocolVersion: pv });
    ingested = [];
    await c.publishAsync('dev/1/telemetry', `v${pv}`, { qos: 1 });
    const acked = Date.now();
    assert(ingested.length === 1 && ingested[0].at <= acked, `v${pv}: PUBACK before ingest`);
    out.push(`v${pv} ok`);
  }
  ingestDelayMs = 0;
  return out.join(', ');
});
await check('authorizePublish error (v5): PUBACK with failure reason code, connection kept', async () => {
  failIngest = true;
  const c = await connect({ protocolVersion: 5 });
  let detail;
  try { await c.publishAsync('dev/1/telemetry', 'x', { qos: 1 }); detail = 'acked as success'; } catch (error) { detail = `${error.message} (code ${error.code})`; }
  failIngest = false;
  await sleep(100);
  assert(c.connected, 'connection closed');
  return `${detail}; still connected`;
});
await check('store failure handled by closing the connection (no PUBACK): a v5 device resends on reconnect', async () => {
  failIngest = 'close';
  ingested = [];
  const c = mqtt.connect(url, { protocolVersion: 5, clientId: 'resender', clean: false, properties: { sessionExpiryInterval: 60 }, reconnectPeriod: 200 });
  c.on('error', () => undefined);
  clients.push(c);
  await new Promise((resolve) => c.once('connect', resolve));
  const acked = c.publishAsync('dev/2/telemetry', 'again', { qos: 1 });
  await sleep(500);
  failIngest = false;
  await acked;
  assert(ingested.length === 1 && ingested[0].payload === 'again', `ingested ${ingested.length}`);
  return 'resent and stored once';
});
await check('user properties forwarded', async () => {
  const s = await connect({ protocolVersion: 5 });
  await s.subscribeAsync('up/#', { qos: 1 });
  const got = nextMessages(s, 1);
  const p = await connect({ protocolVersion: 5 });
  await p.publishAsync('up/x', 'x', { qos: 1, properties: { userProperties: { source: 'eval' }, contentType: 'text/plain' } });
  const [m] = await got;
  assert(m?.packet.properties?.userProperties?.source === 'eval', `properties: ${JSON.stringify(m?.packet.properties)}`);
  return JSON.stringify(m.packet.properties);
});
await check('topic aliases (client → broker, topicAliasMaximum 10)', async () => {
  const s = await connect({ protocolVersion: 5 });
  await s.subscribeAsync('alias/#', { qos: 1 });
  const got = nextMessages(s, 2);
  const p = await connect({ protocolVersion: 5 });
  await p.publishAsync('alias/long/topic', 'a', { qos: 1, properties: { topicAlias: 1 } });
  await p.publishAsync('', 'b', { qos: 1, properties: { topicAlias: 1 } });
  const list = await got;
  assert(list.length === 2 && list.every((m) => m.topic === 'alias/long/topic'), `got ${JSON.stringify(list.map((m) => m.topic))}`);
});
await check('SUBACK denial reason code (v5)', async () => {
  const c = await connect({ protocolVersion: 5 });
  try { const granted = await c.subscribeAsync('denied/x', { qos: 1 }); return `granted ${JSON.stringify(granted)}`; } catch (error) { return `${error.message} (code ${error.code})`; }
});
await check('message expiry: an expired queued message is not delivered', async () => {
  const options = { protocolVersion: 5, clientId: 'expiry-msg', clean: false, properties: { sessionExpiryInterval: 300 } };
  const s = await connect(options);
  await s.subscribeAsync('mexp/#', { qos: 1 });
  await s.endAsync();
  const p = await connect({ protocolVersion: 5 });
  await p.publishAsync('mexp/short', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
  await p.publishAsync('mexp/long', 'long', { qos: 1, properties: { messageExpiryInterval: 60 } });
  await sleep(2000);
  const again = mqtt.connect(url, { ...options, reconnectPeriod: 0 });
  clients.push(again);
  const list = await nextMessages(again, 2, 1500);
  const topics = list.map((m) => `${m.topic}(expiry ${m.packet.properties?.messageExpiryInterval})`);
  assert(!list.some((m) => m.topic === 'mexp/short'), `expired message delivered: ${topics}`);
  return topics.join(' ');
});
await check('shared subscription $share/g/topic', async () => {
  const a = await connect({ protocolVersion: 5 });
  try { const granted = await a.subscribeAsync('$share/g/sh/#', { qos: 1 }); return `granted ${JSON.stringify(granted)}`; } catch (error) { throw new Error(`${error.message} (code ${error.code})`); }
});
await check('load: 3 × 1000 QoS 1 (v5 and v4 devices), ingest in authorizePublish, exactly once', async () => {
  ingested = [];
  ingestDelayMs = 1;
  const devices = await Promise.all([5, 4, 5].map((pv, i) => connect({ protocolVersion: pv, clientId: `load-${i}` })));
  const started = Date.now();
  await Promise.all(devices.map(async (c, i) => {
    for (let seq = 0; seq < 1000; seq++) await c.publishAsync(`dev/load${i}/telemetry`, String(seq), { qos: 1 });
  }));
  const keys = new Set(ingested.map((m) => `${m.topic}/${m.payload}`));
  assert(ingested.length === 3000 && keys.size === 3000, `ingested ${ingested.length}, distinct ${keys.size}`);
  return `${Math.round(3000 / ((Date.now() - started) / 1000))} msg/s`;
});

for (const c of clients) c.end(true);
await new Promise((resolve) => broker.close(resolve));
server.close();
console.log(JSON.stringify({ passed: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length }));
process.exit(0);
