import { describe, expect, it } from 'vitest';
import { worldSchema, type WorldInput } from '../../src/index.js';

const device = (overrides: Partial<WorldInput['devices'][number]> = {}): WorldInput['devices'][number] => ({
  id: 'tv-1',
  type: 'tv',
  model: 'M',
  owner: 'hh-1',
  telemetry: { intervalS: 60, metrics: { on: { kind: 'flag' } } },
  routine: { windows: [{ from: '19:00', to: '22:00', perDay: 1, duration: { typical: '1h' } }] },
  ...overrides,
});

const world = (overrides: Partial<WorldInput> = {}): WorldInput => ({
  name: 'tiny',
  collectives: [{ id: 'hh-1', type: 'household', name: 'Home', attributes: {} }],
  individuals: [{ id: 'ind-1', name: 'One', attributes: { ageBand: '35-44' }, memberships: [{ collective: 'hh-1' }] }],
  devices: [device()],
  ...overrides,
});

function issues(input: unknown): { path: string; message: string }[] {
  const result = worldSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('worldSchema', () => {
  it('fills defaults: fixed validFrom, derived ids, day weights, duration bounds, zero fault rates', () => {
    const parsed = worldSchema.parse(world());
    const membership = parsed.individuals[0]!.memberships[0]!;
    expect(membership).toEqual({ id: 'ind-1.hh-1', collective: 'hh-1', role: null, validFrom: Date.UTC(2020, 0, 1), validTo: null });
    expect(parsed.devices[0]!.assignmentId).toBe('tv-1.hh-1');
    const window = parsed.devices[0]!.routine.windows[0]!;
    expect(window).toMatchObject({ from: 19, to: 22, days: [1, 1, 1, 1, 1, 1, 1], interactions: 0 });
    expect(window.duration).toEqual({ typicalMs: 3_600_000, spread: 0.3, minMs: 1000, maxMs: 4 * 3_600_000 });
    const { oversizeBytes, clockSkewAhead, offlineDuration, stormFraction, ...rates } = parsed.faults;
    expect(Object.values(rates).every((rate) => rate === 0)).toBe(true);
    expect(Object.keys(rates)).toHaveLength(12);
    expect({ oversizeBytes, clockSkewAhead, offlineDuration, stormFraction }).toEqual({
      oversizeBytes: 100_000,
      clockSkewAhead: 86_400_000,
      offlineDuration: { min: 60_000, max: 3_600_000 },
      stormFraction: 0.5,
    });
  });

  it('reports broken references with their paths', () => {
    const input = world({
      individuals: [{ id: 'ind-1', name: 'One', attributes: {}, memberships: [{ collective: 'hh-nowhere' }] }],
      devices: [device({ owner: 'ghost', routine: { windows: [{ from: 8, to: 9, perDay: 1, duration: { typical: '5m' }, users: ['hh-1'] }] } })],
    });
    expect(issues(input)).toEqual(
      expect.arrayContaining([
        { path: 'individuals.0.memberships.0.collective', message: 'no collective "hh-nowhere"' },
        { path: 'devices.0.owner', message: 'no subject "ghost"' },
        { path: 'devices.0.routine.windows.0.users.0', message: 'no individual "hh-1"' },
      ]),
    );
  });

  it('reports structural problems with their paths', () => {
    const input = world({
      devices: [
        device({ routine: { windows: [{ from: '22:00', to: '23:00', perDay: 1, duration: { typical: '13h', max: '13h' } }] } }),
        device({ id: 'tv-2', telemetry: { intervalS: 0, metrics: {} } }),
      ],
    });
    expect(issues({ ...input, colour: 'red' }).map((i) => i.path)).toEqual([
      'devices.0.routine.windows.0.duration.max',
      'devices.1.telemetry.intervalS',
      'devices.1.telemetry.metrics',
      '', // the unknown key `colour`
    ]);
  });

  // Cross-checks run once the structure is valid (zod skips refinements of an object with type issues).
  it('reports duplicate ids and windows that wrap midnight with their paths', () => {
    const input = world({
      collectives: [
        { id: 'hh-1', type: 'household', name: 'Home', attributes: {} },
        { id: 'ind-1', type: 'household', name: 'Clash', attributes: {} },
      ],
      devices: [device(), device({ routine: { windows: [{ from: '22:00', to: '06:00', perDay: 1, duration: { typical: '1h' } }] } })],
    });
    expect(issues(input)).toEqual([
      { path: 'devices.1.routine.windows.0.to', message: 'must be after `from` (windows do not wrap midnight)' },
      { path: 'individuals.0.id', message: 'duplicate subject id "ind-1"' },
      { path: 'devices.1.id', message: 'duplicate device id "tv-1"' },
      { path: 'devices.1.assignmentId', message: 'duplicate membership or assignment id "tv-1.hh-1": give one explicitly' },
    ]);
  });

  it('rejects a metric model it does not know', () => {
    const input = world({ devices: [device({ telemetry: { intervalS: 60, metrics: { on: { kind: 'sine' } as never } } })] });
    expect(issues(input).map((i) => i.path)).toContain('devices.0.telemetry.metrics.on.kind');
  });
});

describe('worldSchema: sequences, visitors and reassignments', () => {
  const person = { id: 'ind-1', name: 'One', attributes: {}, memberships: [{ collective: 'hh-1' }] };

  it('reports broken sequences, visitors and reassignments with their paths', () => {
    const input = world({
      individuals: [
        {
          ...person,
          sequences: [
            {
              name: 'morning',
              from: '07:00',
              to: '06:00',
              perDay: 1,
              steps: [
                { device: 'tv-1', duration: { typical: '5m' } },
                { device: 'kettle', duration: { typical: '2m' } },
              ],
            },
          ],
        },
      ],
      devices: [device({ validTo: '2025-01-01T00:00:00Z', reassignments: [{ owner: 'nobody', validFrom: '2024-06-01T00:00:00Z' }] })],
      visitors: [{ id: 'guest', collective: 'ind-1', from: 17, to: 20, perDay: 1, stay: '5d', uses: [{ device: 'tv-9', duration: { typical: '1h' } }] }],
    });
    expect(issues(input)).toEqual(
      expect.arrayContaining([
        { path: 'individuals.0.sequences.0.to', message: 'must be after `from` (sequences do not wrap midnight)' },
        { path: 'visitors.0.stay', message: 'between 1m and 3d' },
      ]),
    );
    const structural = world({
      individuals: [
        {
          ...person,
          sequences: [
            {
              name: 'morning',
              from: '06:00',
              to: '07:00',
              perDay: 1,
              steps: [
                { device: 'tv-1', duration: { typical: '5m' } },
                { device: 'kettle', duration: { typical: '2m' } },
              ],
            },
          ],
        },
      ],
      devices: [device({ validTo: '2025-01-01T00:00:00Z', reassignments: [{ owner: 'nobody', validFrom: '2024-06-01T00:00:00Z' }] })],
      visitors: [{ id: 'guest', collective: 'ind-1', from: 17, to: 20, perDay: 1, stay: '2d', uses: [{ device: 'tv-9', duration: { typical: '1h' } }] }],
    });
    expect(issues(structural)).toEqual([
      { path: 'devices.0.reassignments.0.owner', message: 'no subject "nobody"' },
      { path: 'devices.0.reassignments.0.validFrom', message: 'must not be before the end of the previous assignment' },
      { path: 'individuals.0.sequences.0.steps.1.device', message: 'no device "kettle"' },
      { path: 'visitors.0.collective', message: 'no collective "ind-1"' },
      { path: 'visitors.0.uses.0.device', message: 'no device "tv-9"' },
    ]);
  });

  it('names reassignments deterministically and keeps sequences per person', () => {
    const parsed = worldSchema.parse(
      world({
        individuals: [
          {
            ...person,
            sequences: [
              {
                name: 'evening',
                from: 19,
                to: 20,
                perDay: 0.5,
                steps: [
                  { device: 'tv-1', duration: { typical: '1h' } },
                  { device: 'tv-1', duration: { typical: '5m' } },
                ],
              },
            ],
          },
        ],
        devices: [device({ validTo: '2025-01-01T00:00:00Z', reassignments: [{ owner: 'ind-1', validFrom: '2025-01-01T00:00:00Z' }] })],
      }),
    );
    expect(parsed.devices[0]!.reassignments).toEqual([{ owner: 'ind-1', assignmentId: 'tv-1.ind-1.1', validFrom: Date.UTC(2025, 0, 1), validTo: null }]);
    expect(parsed.individuals[0]!.sequences[0]!.steps[0]!.gapAfter).toBe(60_000);
  });
});
