import type { Config } from '@parcours/contracts';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { connectRecording, settle, waitUntil, type RecordingClient } from './mqtt-clients.js';

/**
 * The broker's state outlives Parcours: a persistent session (clean=false), its subscriptions, the QoS 1
 * messages queued while its client was away, and retained messages are all there after a restart.
 */
/** The anonymous clients of these tests use topics of their own. */
const labAcl = 'readwrite lab/#';
let app: ParcoursApp | null = null;
let clients: MqttClient[] = [];

async function connect(options: Parameters<typeof connectRecording>[1]): Promise<RecordingClient> {
  const recording = await connectRecording(app!.urls.mqtt, options);
  clients.push(recording.client);
  return recording;
}

async function restart(config: Config): Promise<void> {
  await Promise.all(clients.map((client) => client.endAsync()));
  clients = [];
  await app!.stop();
  app = await startApp(config);
}

afterEach(async () => {
  await Promise.all(clients.map((client) => client.endAsync()));
  clients = [];
  await app?.stop();
  app = null;
});

/** Subscribes a persistent session, leaves, then publishes a queued and a retained message while it is away. */
async function leaveMessagesFor(clientId: string): Promise<void> {
  const subscriber = await connect({ clientId, clean: false });
  await subscriber.client.subscribeAsync('lab/queue/#', { qos: 1 });
  await subscriber.client.endAsync();
  const publisher = await connect({ clientId: 'publisher' });
  await publisher.client.publishAsync('lab/queue/1', 'while you were away', { qos: 1 });
  await publisher.client.publishAsync('lab/retained', 'kept', { qos: 1, retain: true });
}

describe('broker persistence (mqtt.persistence: level, the default)', () => {
  it('keeps a persistent session, its subscription, its queued QoS 1 message and retained messages across a restart', async () => {
    const config = testConfig({ mqtt: { allowAnonymous: true, anonymousAcl: labAcl } });
    expect(config.mqtt.persistence).toBe('level');
    app = await startApp(config);
    await leaveMessagesFor('field-tablet');

    await restart(config);
    // A fresh MQTT.js client knows no subscription: whatever arrives comes from the broker's stored session.
    const back = await connect({ clientId: 'field-tablet', clean: false });
    expect(back.connack.sessionPresent).toBe(true); // [MQTT-3.2.2-2]
    await waitUntil(() => back.messages.length >= 1);
    expect(back.messages).toEqual([{ topic: 'lab/queue/1', payload: 'while you were away', retain: false }]);

    const publisher = await connect({ clientId: 'publisher' });
    await publisher.client.publishAsync('lab/queue/2', 'after the restart', { qos: 1 });
    await waitUntil(() => back.messages.length >= 2);
    expect(back.messages[1]).toEqual({ topic: 'lab/queue/2', payload: 'after the restart', retain: false });

    const newcomer = await connect({ clientId: 'newcomer' });
    await newcomer.client.subscribeAsync('lab/retained', { qos: 1 });
    await waitUntil(() => newcomer.messages.length >= 1);
    expect(newcomer.messages).toEqual([{ topic: 'lab/retained', payload: 'kept', retain: true }]);
  });

  it('does not deliver an acknowledged message again after the next restart', async () => {
    const config = testConfig({ mqtt: { allowAnonymous: true, anonymousAcl: labAcl } });
    app = await startApp(config);
    await leaveMessagesFor('field-tablet');
    await restart(config);
    const first = await connect({ clientId: 'field-tablet', clean: false });
    await waitUntil(() => first.messages.length >= 1);
    await settle(); // MQTT.js sends the PUBACK once the message handlers have run

    await restart(config);
    const second = await connect({ clientId: 'field-tablet', clean: false });
    expect(second.connack.sessionPresent).toBe(true);
    await settle();
    expect(second.messages).toEqual([]);
  });

  it('forgets everything at restart with mqtt.persistence: memory', async () => {
    const config = testConfig({ mqtt: { allowAnonymous: true, anonymousAcl: labAcl, persistence: 'memory' } });
    app = await startApp(config);
    await leaveMessagesFor('field-tablet');

    await restart(config);
    const back = await connect({ clientId: 'field-tablet', clean: false });
    expect(back.connack.sessionPresent).toBe(false);
    const newcomer = await connect({ clientId: 'newcomer' });
    await newcomer.client.subscribeAsync('lab/retained', { qos: 1 });
    await settle();
    expect([...back.messages, ...newcomer.messages]).toEqual([]);
  });
});

describe('commands to devices', () => {
  it('delivers a command queued for an offline device once it returns after a restart', async () => {
    const config = testConfig();
    app = await startApp(config);
    expect((await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'cm-1', type: 'coffee_machine' })).status).toBe(201);
    const { body } = await api<{ secret: string }>(app.urls.http, 'POST', '/api/v1/devices/cm-1/credentials');
    const device = { clientId: 'cm-1', username: 'cm-1', password: body.secret, clean: false };
    const commands = 'parcours/devices/cm-1/commands/#';

    const online = await connect(device);
    await online.client.subscribeAsync(commands, { qos: 1 });
    await online.client.endAsync();
    await app.broker.publish('parcours/devices/cm-1/commands/brew', '{"recipe":"espresso"}', { qos: 1 });

    await restart(config);
    const back = await connect(device);
    expect(back.connack.sessionPresent).toBe(true);
    await waitUntil(() => back.messages.length >= 1);
    await settle();
    expect(back.messages).toEqual([{ topic: 'parcours/devices/cm-1/commands/brew', payload: '{"recipe":"espresso"}', retain: false }]);
    expect(app.gateway.log.count()).toBe(0); // a command is for the device, not telemetry to ingest
  });
});
