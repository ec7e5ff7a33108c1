import { connect } from 'node:net';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startInfluxDB, startMosquitto, startRedis } from '../tools/services/index.js';

/** The harness itself: each server really starts on loopback, answers its protocol, and stops. */
describe('test services', () => {
  it('starts InfluxDB, which stores and returns a point, and stops it', async () => {
    const influx = await startInfluxDB();
    try {
      expect(influx.version).toMatch(/^1\./);
      await influx.createDatabase('harness');
      const write = await fetch(`${influx.url}/write?db=harness&precision=ms`, { method: 'POST', body: 'm,t=a v=1.5 1700000000000' });
      expect(write.status).toBe(204);
      const body = (await influx.query('SELECT v FROM m', 'harness')) as { results: { series: { values: unknown[][] }[] }[] };
      expect(body.results[0]!.series[0]!.values).toEqual([[1_700_000_000_000, 1.5]]);
    } finally {
      await influx.stop();
    }
    await expect(fetch(`${influx.url}/ping`)).rejects.toThrow();
  });

  it('starts Mosquitto, which relays a message between two real clients', async () => {
    const broker = await startMosquitto();
    try {
      const subscriber = await mqtt.connectAsync(broker.url);
      const publisher = await mqtt.connectAsync(broker.url);
      const received = new Promise<string>((resolve) => subscriber.on('message', (_topic, payload) => resolve(payload.toString())));
      await subscriber.subscribeAsync('harness/#', { qos: 1 });
      await publisher.publishAsync('harness/x', 'hello', { qos: 1 });
      expect(await received).toBe('hello');
      await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
    } finally {
      await broker.stop();
    }
  });

  it('starts Redis, which answers PING', async () => {
    const redis = await startRedis();
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(redis.port, '127.0.0.1', () => socket.write('PING\r\n'));
        socket.once('data', (data) => {
          socket.destroy();
          resolve(data.toString());
        });
        socket.once('error', reject);
      });
      expect(reply).toBe('+PONG\r\n');
    } finally {
      await redis.stop();
    }
  });
});
