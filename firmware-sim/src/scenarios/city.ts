import { pick, rngFor, uniform } from '../prng.js';
import type { WorldInput } from '../scenario/schema.js';
import { telemetry } from './small.js';

/**
 * The built-in `city`: a world generated from a seed, with thousands of subjects and about 5,000 devices
 * in households, workplaces and an e-bike sharing service. Sizes are options so tests can scale it.
 */

type Device = WorldInput['devices'][number];
type Individual = WorldInput['individuals'][number];

export interface CityOptions {
  seed?: number;
  households?: number;
  workplaces?: number;
  ebikes?: number;
}

const ages = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'];
const short = (typical: string) => ({ typical, spread: 0.25 });

export function city({ seed = 1, households = 720, workplaces = 60, ebikes = 800 }: CityOptions = {}): WorldInput {
  const rng = rngFor(seed, 'city');
  const collectives: WorldInput['collectives'] = [{ id: 'ps-velo', type: 'public_space', name: 'City e-bikes', attributes: { service: 'ebike_sharing' } }];
  const individuals: Individual[] = [];
  const devices: Device[] = [];
  const device = (id: string, type: keyof typeof telemetry, owner: string, windows: Device['routine']['windows'], reportsActor = false): Device => ({
    id,
    type,
    model: 'generic',
    owner,
    reportsActor,
    telemetry: telemetry[type],
    routine: { windows },
  });
  const cyclists: string[] = [];
  for (let w = 0; w < workplaces; w++) {
    collectives.push({ id: `wp-${w}`, type: 'workplace', name: `Workplace ${w}`, attributes: {} });
  }
  const employees = new Map<string, string[]>();
  for (let h = 0; h < households; h++) {
    const home = `hh-${h}`;
    collectives.push({ id: home, type: 'household', name: `Household ${h}`, attributes: {} });
    const adults = 1 + Math.floor(rng() * 2);
    const members = Array.from({ length: adults + Math.floor(rng() * 2) }, (_, m) => `ind-${h}-${m}`);
    members.forEach((id, m) => {
      const adult = m < adults;
      const workplace = adult && rng() < 0.8 ? `wp-${Math.floor(rng() * workplaces)}` : null;
      if (workplace) employees.set(workplace, [...(employees.get(workplace) ?? []), id]);
      if (rng() < 0.3) cyclists.push(id);
      // Habits differ per person: when the morning starts and whether it chains coffee and shower.
      const wake = 5.5 + uniform(rng, 0, 2.5);
      individuals.push({
        id,
        name: `Person ${h}.${m}`,
        attributes: { ageBand: adult ? pick(rng, ages) : '13-17' },
        memberships: [
          { collective: home, role: adult ? 'adult' : 'teen' },
          ...(workplace ? [{ collective: workplace, role: 'employee' }] : []),
          ...(cyclists.at(-1) === id ? [{ collective: 'ps-velo', role: 'subscriber' }] : []),
        ],
        sequences: adult
          ? [
              {
                name: 'morning',
                from: wake,
                to: wake + 0.75,
                perDay: uniform(rng, 0.4, 0.95),
                steps: [
                  { device: `${home}-coffee`, duration: short('90s'), gapAfter: '3m' },
                  { device: `${home}-water-heater`, duration: short('8m'), gapAfter: '2m' },
                  { device: `${id}-toothbrush`, duration: short('2m') },
                ],
              },
            ]
          : [],
      });
      if (adult) devices.push(device(`${id}-toothbrush`, 'toothbrush', id, [{ from: '21:00', to: '23:30', perDay: 0.85, duration: short('2m'), users: [id] }]));
    });
    devices.push(
      device(`${home}-thermostat`, 'thermostat', home, [{ from: '05:30', to: '07:30', perDay: 1, duration: { typical: '2h', spread: 0.2 } }]),
      device(`${home}-tv`, 'tv', home, [{ from: '19:00', to: '22:00', perDay: 1, duration: short('1h30m'), users: members }], true),
      device(`${home}-coffee`, 'coffee_machine', home, [{ from: '13:00', to: '15:00', perDay: 0.5, duration: short('80s') }]),
      device(`${home}-water-heater`, 'water_heater', home, [{ from: '19:00', to: '22:30', perDay: 1, duration: short('10m') }]),
    );
  }
  for (let w = 0; w < workplaces; w++) {
    const staff = employees.get(`wp-${w}`);
    const users = staff && staff.length > 0 ? staff : undefined;
    const office = (from: string, to: string, perDay: number, typical: string) => ({
      from,
      to,
      perDay,
      days: 'weekdays' as const,
      duration: short(typical),
      ...(users ? { users } : {}),
    });
    devices.push(
      device(`wp-${w}-badge`, 'badge_reader', `wp-${w}`, [office('07:30', '09:45', 2 * (users?.length ?? 1), '5s')], users !== undefined),
      device(`wp-${w}-coffee`, 'coffee_machine', `wp-${w}`, [office('08:00', '16:00', 6, '75s')], users !== undefined),
      device(`wp-${w}-printer`, 'printer', `wp-${w}`, [office('08:30', '18:00', 8, '40s')], users !== undefined),
      ...[1, 2].map((r) =>
        device(`wp-${w}-room-${r}`, 'meeting_display', `wp-${w}`, [{ from: '09:00', to: '17:30', perDay: 3, days: 'weekdays', duration: short('45m') }]),
      ),
    );
  }
  for (let b = 0; b < ebikes; b++) {
    devices.push(
      device(
        `velo-${b}`,
        'ebike',
        'ps-velo',
        [{ from: '07:00', to: '19:30', perDay: 2, duration: { typical: '25m', spread: 0.4, max: '2h' }, users: cyclists }],
        true,
      ),
    );
  }
  return {
    name: 'city',
    description: `Generated from seed ${seed}: ${households} households, ${workplaces} workplaces, ${ebikes} shared e-bikes.`,
    collectives,
    individuals,
    devices,
    visitors: [
      {
        id: 'velo-visitor',
        collective: 'ps-velo',
        role: 'visitor',
        from: 9,
        to: 18,
        perDay: 4,
        stay: '2h',
        uses: [{ device: 'velo-0', duration: short('40m') }],
      },
    ],
  };
}
