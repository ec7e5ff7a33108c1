import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, scrapeMetrics, startApp, testConfig } from './helpers.js';

/** MQTT over WebSocket: a frame is bounded by the packet size before it is buffered, not after. */
let app: ParcoursApp;
const maxPacketSize = 4096;

beforeAll(async () => {
  app = await startApp(testConfig({ mqtt: { maxPacketSize } }));
});

afterAll(() => app.stop());

describe('a WebSocket message larger than the largest packet', () => {
  it('closes the connection as too big (1009), counted as a packet-size breach', async () => {
    const ws = new WebSocket(`${app.urls.http.replace('http', 'ws')}/mqtt`, 'mqtt');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const connack = new Promise((resolve) => ws.once('message', resolve));
    ws.send(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: 'big-frames',
        clean: true,
        keepalive: 0,
        username: 'ops',
        password: Buffer.from(adminKey()),
      }),
    );
    await connack;
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    // Many small packets in one message, as large as ten packets of the largest size: no single packet is too big.
    const pingreq = mqttPacket.generate({ cmd: 'pingreq' });
    ws.send(Buffer.concat(Array.from({ length: (10 * maxPacketSize) / pingreq.length }, () => pingreq)));
    expect(await closed).toBe(1009);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_mqtt_limit_breaches_total\{listener="ws",limit="packet_size"\} 1/);
  });
});
