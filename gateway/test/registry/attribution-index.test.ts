import { describe, expect, it } from 'vitest';
import { AttributionIndex } from '../../src/registry/attribution-index.js';

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);

const index = new AttributionIndex({
  subjects: [
    { id: 'ana', kind: 'individual', type: 'person', name: 'Ana', attributes: {} },
    { id: 'ben', kind: 'individual', type: 'person', name: 'Ben', attributes: {} },
    { id: 'home', kind: 'collective', type: 'household', name: 'Home', attributes: {} },
    { id: 'flat', kind: 'collective', type: 'household', name: 'Flat', attributes: {} },
  ],
  memberships: [
    { id: 'm1', individualId: 'ana', collectiveId: 'home', role: null, validFrom: t0, validTo: null },
    { id: 'm2', individualId: 'ben', collectiveId: 'home', role: null, validFrom: t0, validTo: t0 + 10 * day },
  ],
  devices: [
    { id: 'tv', type: 'tv', model: null, name: null },
    { id: 'brush', type: 'toothbrush', model: null, name: null },
  ],
  assignments: [
    { id: 'a1', deviceId: 'tv', subjectId: 'home', validFrom: t0, validTo: t0 + 20 * day },
    { id: 'a2', deviceId: 'tv', subjectId: 'flat', validFrom: t0 + 20 * day, validTo: null },
    { id: 'a3', deviceId: 'brush', subjectId: 'ana', validFrom: t0, validTo: null },
  ],
});

describe('AttributionIndex', () => {
  it('attributes to the subject the device was assigned to at the event time, not now', () => {
    expect(index.attribute('tv', t0 + day)).toMatchObject({ deviceType: 'tv', subjectId: 'home', subjectKind: 'collective', subjectType: 'household' });
    expect(index.attribute('tv', t0 + 25 * day)?.subjectId).toBe('flat');
    expect(index.attribute('tv', t0 + 20 * day)?.subjectId).toBe('flat'); // intervals are half-open
  });

  it('has no subject before the first assignment, and null for an unknown device', () => {
    expect(index.attribute('tv', t0 - 1)).toMatchObject({ subjectId: null, subjectKind: null });
    expect(index.attribute('radio', t0)).toBeNull();
  });

  it('accepts an actor who was a member of the collective at t, and rejects one who was not', () => {
    expect(index.attribute('tv', t0 + day, 'ben')).toMatchObject({ actor: 'ben', actorRejected: false });
    expect(index.attribute('tv', t0 + 11 * day, 'ben')).toMatchObject({ subjectId: 'home', actor: null, actorRejected: true });
    expect(index.attribute('tv', t0 + day, 'stranger')).toMatchObject({ actor: null, actorRejected: true });
  });

  it('accepts only the owner as the actor of a personal device', () => {
    expect(index.attribute('brush', t0 + day, 'ana')).toMatchObject({ actor: 'ana', actorRejected: false });
    expect(index.attribute('brush', t0 + day, 'ben')).toMatchObject({ actor: null, actorRejected: true });
  });

  it('lists the types of the devices a subject owned at t', () => {
    expect(index.deviceTypesOwnedAt('ana', t0 + day)).toEqual(['toothbrush']);
    expect(index.deviceTypesOwnedAt('ben', t0 + day)).toEqual([]);
    expect(index.deviceTypesOwnedAt('home', t0 + 25 * day)).toEqual([]);
    expect(index.deviceTypesOwnedAt('flat', t0 + 25 * day)).toEqual(['tv']);
  });
});
