import { describe, expect, it } from 'vitest';
import { Acl, parseAclRules, type Principal } from '../src/acl.js';
import type { BrokerHooks } from '../src/broker-hooks.js';
import {
  acceptUnstored,
  checkAcl,
  countTraffic,
  ingest,
  limitInflight,
  limitRate,
  publishContext,
  publishSteps,
  quarantineDenied,
  refuseDenied,
  requireLogin,
  shedOverload,
  type PublishContext,
  type PublishDrop,
  type PublishParts,
  type PublishRefusal,
  type Sender,
} from '../src/publish-steps.js';
import { runSteps } from '../src/steps.js';
import { count, deferred, recordingParts } from './recording-parts.js';

type Message = Parameters<BrokerHooks['ingest']>[0];

const acl = new Acl('parcours', parseAclRules('readwrite lab/#', 'parcours'));
const d1: Principal = { kind: 'device', deviceId: 'd1', login: 'secret' };
const admin: Principal = { kind: 'key', id: 'k3', name: 'ops', role: 'admin', subjects: [] };
const ownTelemetry = 'parcours/devices/d1/telemetry';
const othersTelemetry = 'parcours/devices/d2/telemetry';

function sender(principal: Principal | null, listener: Sender['listener'] = 'tcp'): Sender {
  return { clientId: 'client-1', listener, principal, inFlight: 0 };
}

/** A publish as aedes hands it over; device data topics are the ones the gateway ingests. */
function publish(topic: string, from: Sender | null, qos = 1): PublishContext {
  return publishContext({ topic, payload: '{"seq":1}', qos }, from, topic.startsWith('parcours/devices/') && !topic.includes('/commands/'));
}

/** Parts whose store keeps what it is given, or fails with `failure`. */
function parts(overrides: { maxInflight?: number; failure?: Error } = {}): PublishParts & ReturnType<typeof recordingParts> & { stored: Message[] } {
  const stored: Message[] = [];
  const hooks = {
    ingest: (message: Message) => {
      if (overrides.failure) return Promise.reject(overrides.failure);
      stored.push(message);
      return Promise.resolve();
    },
  };
  const unlimited = { admit: () => null };
  const keepingUp = { reason: () => null };
  return { ...recordingParts(), acl, hooks, maxInflight: overrides.maxInflight ?? 10, throttle: unlimited, backlog: { size: 0 }, overload: keepingUp, stored };
}

function run(context: PublishContext, p: PublishParts): Promise<'accept' | PublishRefusal | PublishDrop> {
  return new Promise((resolve, reject) => runSteps(publishSteps, context, p, resolve, reject));
}

describe('the publish path', () => {
  it('is this list, in this order', () => {
    expect(publishSteps.map((step) => step.name)).toEqual([
      'requireLogin',
      'countTraffic',
      'checkAcl',
      'quarantineDenied',
      'refuseDenied',
      'limitRate',
      'acceptUnstored',
      'limitInflight',
      'shedOverload',
      'ingest',
    ]);
  });

  it("stores a device's own data, quarantines what it writes on another device's topic and refuses that, and lets a command through", async () => {
    const p = parts();
    expect(await run(publish(ownTelemetry, sender(d1)), p)).toBe('accept');
    expect(await run(publish(othersTelemetry, sender(d1)), p)).toMatchObject({ refused: 'denied' });
    expect(await run(publish('parcours/devices/d1/commands/reboot', sender(admin)), p)).toBe('accept');
    expect(p.stored.map((m) => [m.topic, m.username])).toEqual([
      [ownTelemetry, 'd1'],
      [othersTelemetry, 'd1'],
    ]);
    expect(p.traffic.tcp.messagesIn).toBe(3);
  });

  it('drops a QoS 0 device message under overload without storing it, and stores a QoS 1 one', async () => {
    const p = { ...parts(), overload: { reason: () => 'backlog' as const } };
    expect(await run(publish(ownTelemetry, sender(d1), 0), p)).toEqual({ dropped: 'backlog' });
    expect(await run(publish(ownTelemetry, sender(d1), 1), p)).toBe('accept');
    expect(p.stored).toHaveLength(1);
  });

  it("ingests a will that aedes publishes without its client, which has no one's limits", async () => {
    const p = parts({ maxInflight: 0 });
    expect(await run(publish('parcours/devices/d1/status', null), p)).toBe('accept');
    expect(p.stored).toEqual([expect.objectContaining({ topic: 'parcours/devices/d1/status', clientId: null, username: null })]);
  });
});

describe('requireLogin', () => {
  it('refuses a publish from a client not yet authenticated, and lets others and wills through', () => {
    expect(requireLogin(publish(ownTelemetry, sender(null)))).toMatchObject({ refused: 'not_authenticated' });
    expect(requireLogin(publish(ownTelemetry, sender(d1)))).toBe('continue');
    expect(requireLogin(publish(ownTelemetry, null))).toBe('continue');
  });
});

describe('countTraffic', () => {
  it("counts a client's publish on its listener, and not a will", () => {
    const { traffic } = recordingParts();
    countTraffic(publish(ownTelemetry, sender(d1, 'ws')), { traffic });
    countTraffic(publish(ownTelemetry, null), { traffic });
    expect([traffic.tcp.messagesIn, traffic.ws.messagesIn]).toEqual([0, 1]);
  });
});

describe('checkAcl', () => {
  it('records why the ACL refuses a publish, and refuses nothing itself', () => {
    const denied = publish(othersTelemetry, sender(d1));
    expect(checkAcl(denied, { acl })).toBe('continue');
    expect(denied.denial).toMatch(/its own devices/);
    const allowed = publish(ownTelemetry, sender(d1));
    checkAcl(allowed, { acl });
    expect(allowed.denial).toBeNull();
  });

  it('leaves a will alone: its topic was checked at CONNECT', () => {
    const will = publish(othersTelemetry, null);
    checkAcl(will, { acl });
    expect(will.denial).toBeNull();
  });
});

describe('quarantineDenied', () => {
  it("stores a device's denied publish on a device data topic, in the device's name", async () => {
    const p = parts();
    const context = publish(othersTelemetry, sender(d1));
    context.denial = 'not its topic';
    expect(await quarantineDenied(context, p)).toBe('continue');
    expect(p.stored).toEqual([expect.objectContaining({ topic: othersTelemetry, clientId: 'client-1', username: 'd1' })]);
  });

  it('goes on to the refusal even when the store fails', async () => {
    const context = publish(othersTelemetry, sender(d1));
    context.denial = 'not its topic';
    expect(await quarantineDenied(context, parts({ failure: new Error('disk full') }))).toBe('continue');
  });

  it("stores nothing that is allowed, not a device's, or not device data", () => {
    const p = parts();
    const allowed = publish(ownTelemetry, sender(d1));
    const byKey = Object.assign(publish(othersTelemetry, sender(admin)), { denial: 'no' });
    const notData = Object.assign(publish('parcours/subjects/s1/sessions', sender(d1)), { denial: 'no' });
    for (const context of [allowed, byKey, notData]) expect(quarantineDenied(context, p)).toBe('continue');
    expect(p.stored).toEqual([]);
  });
});

describe('refuseDenied', () => {
  it('refuses a denied publish, counts it on its listener and logs it', async () => {
    const p = recordingParts();
    const context = Object.assign(publish(othersTelemetry, sender(d1, 'tls')), { denial: 'not its topic' });
    const verdict = refuseDenied(context, p);
    expect(verdict).toMatchObject({ refused: 'denied' });
    expect((verdict as PublishRefusal).error.message).toBe(`publish on ${othersTelemetry} denied: not its topic`);
    expect(await count(p.metrics.deniedPublishes, { listener: 'tls' })).toBe(1);
    expect(p.logged).toEqual([expect.objectContaining({ clientId: 'client-1', topic: othersTelemetry, reason: 'not its topic', level: 40 })]);
  });

  it('lets an allowed publish through', async () => {
    const p = recordingParts();
    expect(refuseDenied(publish(ownTelemetry, sender(d1)), p)).toBe('continue');
    expect(await count(p.metrics.deniedPublishes, { listener: 'tcp' })).toBe(0);
  });
});

describe('limitRate', () => {
  /** A throttle that lets `tokens` publishes through at once and holds the others until `release`. */
  function throttle(tokens: number) {
    const admitted: string[] = [];
    const held = deferred<void>();
    return {
      admitted,
      release: () => held.resolve(),
      admit: (publisher: string) => {
        admitted.push(publisher);
        return admitted.length <= tokens ? null : held.promise;
      },
    };
  }

  it('lets a publish within the rate through at once', async () => {
    const p = recordingParts();
    expect(limitRate(publish(ownTelemetry, sender(d1)), { ...p, throttle: throttle(1) })).toBe('continue');
    expect(await count(p.metrics.refused, { listener: 'tcp', limit: 'publish_rate' })).toBe(0);
  });

  it('holds a publish over the rate until its token is there, counting it, QoS 0 as QoS 1', async () => {
    const p = recordingParts();
    const t = throttle(0);
    const verdicts = [
      limitRate(publish(ownTelemetry, sender(d1, 'ws'), 0), { ...p, throttle: t }),
      limitRate(publish(ownTelemetry, sender(d1, 'ws')), { ...p, throttle: t }),
    ];
    expect(verdicts.every((v) => v instanceof Promise)).toBe(true);
    expect(await count(p.metrics.refused, { listener: 'ws', limit: 'publish_rate' })).toBe(2);
    t.release();
    expect(await Promise.all(verdicts)).toEqual(['continue', 'continue']);
  });

  it('limits a device whichever client id it connects with, another login per client, and never a will', () => {
    const t = throttle(10);
    const p = { ...recordingParts(), throttle: t };
    limitRate(publish(ownTelemetry, { ...sender(d1), clientId: 'a' }), p);
    limitRate(publish(ownTelemetry, { ...sender(d1), clientId: 'b' }), p);
    limitRate(publish('parcours/devices/d1/commands/x', { ...sender(admin), clientId: 'console' }), p);
    limitRate(publish(ownTelemetry, null), p);
    expect(t.admitted).toEqual(['device/d1', 'device/d1', 'client/console']);
  });
});

describe('acceptUnstored', () => {
  it('accepts at once what the gateway does not store, and sends device data on to be stored', () => {
    expect(acceptUnstored(publish('lab/x', sender(d1)))).toBe('accept');
    expect(acceptUnstored(publish(ownTelemetry, sender(d1)))).toBe('continue');
  });
});

describe('limitInflight', () => {
  it('refuses a publish once the client has maxInflight messages being stored, and counts the breach', async () => {
    const p = recordingParts();
    const from = sender(d1);
    from.inFlight = 1;
    expect(limitInflight(publish(ownTelemetry, from), { ...p, maxInflight: 2 })).toBe('continue');
    from.inFlight = 2;
    expect(limitInflight(publish(ownTelemetry, from), { ...p, maxInflight: 2 })).toMatchObject({ refused: 'inflight' });
    expect(await count(p.metrics.refused, { listener: 'tcp', limit: 'inflight' })).toBe(1);
  });

  it('does not hold a will to a limit', () => {
    expect(limitInflight(publish(ownTelemetry, null), { ...recordingParts(), maxInflight: 0 })).toBe('continue');
  });
});

describe('shedOverload', () => {
  const overloaded = (reason: 'backlog' | 'busy' | null) => ({ reason: () => reason });

  it('drops a QoS 0 device message while Parcours is behind, counted with the reason', async () => {
    const p = recordingParts();
    expect(shedOverload(publish(ownTelemetry, sender(d1, 'tls'), 0), { ...p, overload: overloaded('busy') })).toEqual({ dropped: 'busy' });
    expect(shedOverload(publish(ownTelemetry, sender(d1, 'tls'), 0), { ...p, overload: overloaded('backlog') })).toEqual({ dropped: 'backlog' });
    expect(await count(p.metrics.dropped, { listener: 'tls', reason: 'busy' })).toBe(1);
    expect(await count(p.metrics.dropped, { listener: 'tls', reason: 'backlog' })).toBe(1);
  });

  it('keeps QoS 1 and 2 messages and wills, and everything while Parcours keeps up', () => {
    const p = { ...recordingParts(), overload: overloaded('backlog') };
    expect(shedOverload(publish(ownTelemetry, sender(d1), 1), p)).toBe('continue');
    expect(shedOverload(publish(ownTelemetry, sender(d1), 2), p)).toBe('continue');
    expect(shedOverload(publish(ownTelemetry, null, 0), p)).toBe('continue');
    expect(shedOverload(publish(ownTelemetry, sender(d1), 0), { ...p, overload: overloaded(null) })).toBe('continue');
  });
});

describe('ingest', () => {
  it('counts the message in flight while it is stored, with the device as its username', async () => {
    const store = deferred<void>();
    const stored: Message[] = [];
    const hooks = {
      ingest: (message: Message) => {
        stored.push(message);
        return store.promise;
      },
    };
    const from = sender(d1);
    const backlog = { size: 0 };
    const verdict = ingest(publish(ownTelemetry, from), { hooks, backlog });
    expect(from.inFlight).toBe(1);
    expect(backlog.size).toBe(1);
    expect(stored).toEqual([{ topic: ownTelemetry, payload: Buffer.from('{"seq":1}'), receivedAt: expect.any(Number), clientId: 'client-1', username: 'd1' }]);
    store.resolve();
    expect(await verdict).toBe('continue');
    expect(from.inFlight).toBe(0);
    expect(backlog.size).toBe(0);
  });

  it('refuses a message that could not be stored, with the store’s error, so it is not acknowledged', async () => {
    const failure = new Error('disk full');
    const from = sender(d1);
    expect(await ingest(publish(ownTelemetry, from), parts({ failure }))).toEqual({ refused: 'not_stored', error: failure });
    expect(from.inFlight).toBe(0);
  });
});
