import type { WorldInput } from '../scenario/schema.js';

/**
 * The built-in `small` world: two households, a workplace some of their members work at, an e-bike
 * sharing station and a car-sharing service with renters who live elsewhere. 28 devices of 11 types.
 * Times are UTC. Things change in autumn 2025, so retention and re-attribution have something to find:
 * Chloé moves out (1 Sep), the Nguyens adopt a coffee machine (1 Sep), the Martins sell their washing
 * machine to Hugo (1 Oct). Rentals and weekend guests come and go at a rate (`visitors`).
 */

type Device = WorldInput['devices'][number];
type Window = Device['routine']['windows'][number];
type Sequence = NonNullable<WorldInput['individuals'][number]['sequences']>[number];

const movedOut = '2025-09-01T00:00:00Z';
const adopted = '2025-09-01T00:00:00Z';
const sold = '2025-10-01T00:00:00Z';

const short = (typical: string) => ({ typical, spread: 0.2 });
/** Morning habits, different per person: the order of the steps and how often they happen. */
const aliceMorning: Sequence = {
  name: 'morning',
  from: '06:00',
  to: '06:40',
  perDay: 0.9,
  days: 'weekdays',
  steps: [
    { device: 'martin-coffee', duration: short('90s'), gapAfter: '4m' },
    { device: 'martin-water-heater', duration: short('8m'), gapAfter: '3m' },
    { device: 'alice-toothbrush', duration: short('2m') },
  ],
};
const danaMorning: Sequence = {
  name: 'commute',
  from: '07:00',
  to: '07:30',
  perDay: 0.6,
  days: 'weekdays',
  steps: [
    { device: 'nguyen-water-heater', duration: short('7m'), gapAfter: '2m' },
    { device: 'dana-toothbrush', duration: short('2m'), gapAfter: '15m' },
    { device: 'autopartage-car-2', duration: { typical: '40m', spread: 0.3 } },
  ],
};
const emilMorning: Sequence = {
  name: 'morning',
  from: '06:30',
  to: '07:00',
  perDay: 0.8,
  steps: [
    { device: 'nguyen-coffee', duration: short('80s'), gapAfter: '10m' },
    { device: 'nguyen-water-heater', duration: short('6m') },
  ],
};

const employees = ['ind-alice', 'ind-emil', 'ind-hugo', 'ind-ines', 'ind-jules'];
const cyclists = ['ind-bruno', 'ind-finn', 'ind-kofi', 'ind-lena', 'ind-milo'];
const drivers = ['ind-dana', 'ind-lena', 'ind-nora'];

/** Telemetry of each device type: what it measures and how often. */
export const telemetry = {
  thermostat: {
    intervalS: 300,
    metrics: {
      temperature_c: { kind: 'approach', idle: 17, active: 21, tauMin: 40 },
      setpoint_c: { kind: 'level', idle: 17, active: 21, noise: 0 },
    },
  },
  coffee_machine: { intervalS: 60, metrics: { power_w: { kind: 'level', idle: 2, active: 1250, noise: 0.05 } } },
  tv: { intervalS: 60, metrics: { power_w: { kind: 'level', idle: 0.5, active: 95, noise: 0.08 }, on: { kind: 'flag' } } },
  washing_machine: { intervalS: 60, metrics: { power_w: { kind: 'level', idle: 1, active: 600, noise: 0.4, min: 0 } } },
  water_heater: {
    intervalS: 60,
    metrics: {
      power_w: { kind: 'level', idle: 15, active: 2400, noise: 0.03 },
      water_temp_c: { kind: 'approach', idle: 55, active: 42, tauMin: 10 },
      flow_l_min: { kind: 'level', idle: 0, active: 9, noise: 0.1, min: 0 },
    },
  },
  toothbrush: {
    intervalS: 900,
    metrics: { battery_pct: { kind: 'battery', drainPerH: 30, chargePerH: 5 }, brushing: { kind: 'flag' } },
  },
  printer: { intervalS: 120, metrics: { power_w: { kind: 'level', idle: 4, active: 450, noise: 0.1 }, jobs_today: { kind: 'daily_count' } } },
  meeting_display: { intervalS: 60, metrics: { power_w: { kind: 'level', idle: 0.5, active: 60, noise: 0.05 }, on: { kind: 'flag' } } },
  badge_reader: { intervalS: 300, metrics: { swipes_today: { kind: 'daily_count' } } },
  ebike: {
    intervalS: 60,
    metrics: {
      battery_pct: { kind: 'battery', drainPerH: 25, chargePerH: 30 },
      speed_kmh: { kind: 'level', idle: 0, active: 19, noise: 0.25, min: 0 },
    },
  },
  car: {
    intervalS: 60,
    metrics: {
      battery_pct: { kind: 'battery', drainPerH: 12, chargePerH: 20 },
      speed_kmh: { kind: 'level', idle: 0, active: 38, noise: 0.35, min: 0 },
    },
  },
} satisfies Record<string, Device['telemetry']>;

function device(id: string, type: keyof typeof telemetry, model: string, owner: string, windows: Window[], reportsActor = false): Device {
  return { id, type, model, owner, reportsActor, telemetry: telemetry[type], routine: { windows } };
}

const homeThermostat: Window[] = [
  { from: '05:30', to: '07:30', peak: '06:15', perDay: 1, duration: { typical: '2h', spread: 0.2 } },
  { from: '16:30', to: '19:00', perDay: 1, duration: { typical: '4h30m', spread: 0.15, max: '6h' } },
];
const washing: Window[] = [
  { from: '08:00', to: '20:00', perDay: 0.6, days: [1, 0.5, 1, 0.5, 0.5, 2, 1.5], duration: { typical: '1h30m', spread: 0.1, min: '45m', max: '3h' } },
];
const showers = (morning: number): Window[] => [
  { from: '06:00', to: '08:00', peak: '06:45', perDay: morning, duration: { typical: '9m', spread: 0.3 } },
  { from: '19:00', to: '22:30', perDay: 1, duration: { typical: '10m', spread: 0.3 } },
];
const brushing = (owner: string, teen = false): Window[] => [
  { from: teen ? '06:45' : '06:15', to: '08:15', perDay: 1, duration: { typical: '2m', spread: 0.15 }, users: [owner] },
  { from: teen ? '21:30' : '21:00', to: '23:30', perDay: 0.85, duration: { typical: '2m', spread: 0.15 }, users: [owner] },
];
const ebikeRides: Window[] = [
  { from: '07:00', to: '09:30', peak: '08:00', perDay: 1.2, days: 'weekdays', duration: { typical: '25m', spread: 0.4, max: '2h' }, users: cyclists },
  { from: '12:00', to: '14:00', perDay: 0.5, duration: { typical: '20m', spread: 0.4, max: '2h' }, users: cyclists },
  { from: '17:00', to: '19:30', peak: '18:00', perDay: 1.3, days: 'weekdays', duration: { typical: '30m', spread: 0.4, max: '2h' }, users: cyclists },
  { from: '10:00', to: '18:00', perDay: 2, days: 'weekends', duration: { typical: '50m', spread: 0.5, max: '3h' }, users: cyclists },
];
const carTrips: Window[] = [
  { from: '08:00', to: '18:00', perDay: 1.5, days: 'weekdays', duration: { typical: '2h', spread: 0.5, max: '10h' }, users: drivers, interactions: 1 },
  { from: '09:00', to: '12:00', perDay: 1, days: 'weekends', duration: { typical: '5h', spread: 0.4, max: '11h' }, users: drivers, interactions: 2 },
];
const meetings: Window[] = [{ from: '09:00', to: '17:30', perDay: 3, days: 'weekdays', duration: { typical: '45m', spread: 0.3, max: '2h' } }];

export const small: WorldInput = {
  name: 'small',
  description: 'Two households, a workplace, e-bike and car sharing: 13 people, 28 devices, rentals and guests.',
  faults: { malformedJsonPerDay: 6, wrongTypesPerDay: 6, unknownDevicePerDay: 3 },
  // Car-sharing rentals on weekdays, and the odd weekend guest at the Martins' (arriving Friday or Saturday).
  visitors: [
    {
      id: 'rental',
      collective: 'ps-autopartage',
      role: 'renter',
      from: '08:00',
      to: '17:00',
      perDay: 1.5,
      days: 'weekdays',
      stay: '3h',
      uses: [{ device: 'autopartage-car-3', duration: { typical: '1h30m', spread: 0.3 } }],
    },
    {
      id: 'guest',
      collective: 'hh-martin',
      role: 'guest',
      from: '17:00',
      to: '20:00',
      perDay: 0.4,
      days: [0, 0, 0, 0, 1, 1, 0],
      stay: '2d',
      uses: [
        { device: 'martin-tv', sessions: 2, duration: { typical: '1h30m', spread: 0.3 } },
        { device: 'martin-water-heater', sessions: 2, duration: short('10m') },
      ],
    },
  ],
  collectives: [
    { id: 'hh-martin', type: 'household', name: 'Martin household', attributes: { region: 'lyon', size: 3 } },
    { id: 'hh-nguyen', type: 'household', name: 'Nguyen household', attributes: { region: 'lyon', size: 3 } },
    { id: 'wp-acme', type: 'workplace', name: 'Acme office', attributes: { region: 'lyon', sector: 'software' } },
    { id: 'ps-velo', type: 'public_space', name: 'Velo e-bike sharing', attributes: { region: 'lyon', service: 'ebike_sharing' } },
    { id: 'ps-autopartage', type: 'public_space', name: 'Car sharing station', attributes: { region: 'lyon', service: 'car_sharing' } },
  ],
  individuals: [
    {
      id: 'ind-alice',
      name: 'Alice Martin',
      attributes: { ageBand: '35-44' },
      memberships: [
        { collective: 'hh-martin', role: 'adult' },
        { collective: 'wp-acme', role: 'employee' },
      ],
      sequences: [aliceMorning],
    },
    {
      id: 'ind-bruno',
      name: 'Bruno Martin',
      attributes: { ageBand: '35-44' },
      memberships: [
        { collective: 'hh-martin', role: 'adult' },
        { collective: 'ps-velo', role: 'subscriber' },
      ],
    },
    { id: 'ind-chloe', name: 'Chloé Martin', attributes: { ageBand: '13-17' }, memberships: [{ collective: 'hh-martin', role: 'teen', validTo: movedOut }] },
    {
      id: 'ind-dana',
      name: 'Dana Nguyen',
      attributes: { ageBand: '45-54' },
      memberships: [
        { collective: 'hh-nguyen', role: 'adult' },
        { collective: 'ps-autopartage', role: 'subscriber' },
      ],
      sequences: [danaMorning],
    },
    {
      id: 'ind-emil',
      name: 'Emil Nguyen',
      attributes: { ageBand: '45-54' },
      memberships: [
        { collective: 'hh-nguyen', role: 'adult' },
        { collective: 'wp-acme', role: 'employee' },
      ],
      sequences: [emilMorning],
    },
    {
      id: 'ind-finn',
      name: 'Finn Nguyen',
      attributes: { ageBand: '13-17' },
      memberships: [
        { collective: 'hh-nguyen', role: 'teen' },
        { collective: 'ps-velo', role: 'subscriber' },
      ],
    },
    { id: 'ind-hugo', name: 'Hugo Bernard', attributes: { ageBand: '25-34' }, memberships: [{ collective: 'wp-acme', role: 'employee' }] },
    { id: 'ind-ines', name: 'Inès Petit', attributes: { ageBand: '25-34' }, memberships: [{ collective: 'wp-acme', role: 'employee' }] },
    { id: 'ind-jules', name: 'Jules Moreau', attributes: { ageBand: '55-64' }, memberships: [{ collective: 'wp-acme', role: 'manager' }] },
    { id: 'ind-kofi', name: 'Kofi Mensah', attributes: { ageBand: '18-24' }, memberships: [{ collective: 'ps-velo', role: 'renter' }] },
    {
      id: 'ind-lena',
      name: 'Lena Weber',
      attributes: { ageBand: '25-34' },
      memberships: [
        { collective: 'ps-velo', role: 'renter' },
        { collective: 'ps-autopartage', role: 'renter' },
      ],
    },
    { id: 'ind-milo', name: 'Milo Rossi', attributes: { ageBand: '18-24' }, memberships: [{ collective: 'ps-velo', role: 'renter' }] },
    { id: 'ind-nora', name: 'Nora Haddad', attributes: { ageBand: '35-44' }, memberships: [{ collective: 'ps-autopartage', role: 'renter' }] },
  ],
  devices: [
    // Martin household: the TV knows its profiles; nothing else knows who uses it.
    device('martin-thermostat', 'thermostat', 'Netatmo NTH01', 'hh-martin', homeThermostat),
    device(
      'martin-tv',
      'tv',
      'LG OLED55',
      'hh-martin',
      [
        { from: '19:00', to: '22:00', peak: '20:30', perDay: 1.2, duration: { typical: '1h30m', spread: 0.3 }, users: ['ind-alice', 'ind-bruno'] },
        { from: '16:00', to: '18:30', perDay: 0.7, days: 'weekdays', duration: { typical: '1h', spread: 0.4 }, users: ['ind-chloe'] },
        { from: '10:00', to: '13:00', perDay: 1, days: 'weekends', duration: { typical: '2h', spread: 0.3 }, users: ['ind-chloe', 'ind-bruno'] },
      ],
      true,
    ),
    {
      ...device('martin-washer', 'washing_machine', 'Bosch Serie 6', 'hh-martin', washing),
      validTo: sold,
      reassignments: [{ owner: 'ind-hugo', validFrom: sold }],
    },
    device('martin-water-heater', 'water_heater', 'Atlantic Chauffeo', 'hh-martin', showers(2.5)),
    device('martin-coffee', 'coffee_machine', 'DeLonghi Magnifica', 'hh-martin', [
      { from: '06:30', to: '08:00', perDay: 2, duration: { typical: '90s', spread: 0.2 } },
      { from: '13:00', to: '14:30', perDay: 1, days: 'weekends', duration: { typical: '90s', spread: 0.2 } },
    ]),
    // Nguyen household.
    device('nguyen-thermostat', 'thermostat', 'Tado V3+', 'hh-nguyen', homeThermostat),
    device(
      'nguyen-tv',
      'tv',
      'Samsung QE50',
      'hh-nguyen',
      [
        { from: '20:00', to: '22:30', perDay: 1, duration: { typical: '2h', spread: 0.3 }, users: ['ind-dana', 'ind-emil'] },
        { from: '17:00', to: '19:00', perDay: 0.8, duration: { typical: '1h15m', spread: 0.4 }, users: ['ind-finn'] },
      ],
      true,
    ),
    device('nguyen-washer', 'washing_machine', 'Miele W1', 'hh-nguyen', washing),
    device('nguyen-water-heater', 'water_heater', 'Thermor Duralis', 'hh-nguyen', showers(2)),
    {
      ...device('nguyen-coffee', 'coffee_machine', 'Nespresso Vertuo', 'hh-nguyen', [{ from: '19:00', to: '21:00', perDay: 0.5, duration: short('70s') }]),
      validFrom: adopted,
    },
    // Personal devices, paired with their owner's smartphone.
    device('alice-toothbrush', 'toothbrush', 'Oral-B iO7', 'ind-alice', brushing('ind-alice')),
    device('chloe-toothbrush', 'toothbrush', 'Philips Sonicare 3100', 'ind-chloe', brushing('ind-chloe', true)),
    device('dana-toothbrush', 'toothbrush', 'Oral-B iO4', 'ind-dana', brushing('ind-dana')),
    device('finn-toothbrush', 'toothbrush', 'Philips Sonicare 3100', 'ind-finn', brushing('ind-finn', true)),
    // Acme office: the coffee machine and the printer take a badge; meeting rooms do not know who is in them.
    device(
      'acme-coffee',
      'coffee_machine',
      'Jura GIGA X8',
      'wp-acme',
      [
        { from: '08:00', to: '10:00', peak: '08:45', perDay: 5, days: 'weekdays', duration: { typical: '75s', spread: 0.2 }, users: employees },
        { from: '12:30', to: '14:30', perDay: 4, days: 'weekdays', duration: { typical: '75s', spread: 0.2 }, users: employees },
        { from: '15:00', to: '16:30', perDay: 2, days: 'weekdays', duration: { typical: '75s', spread: 0.2 }, users: employees },
      ],
      true,
    ),
    device(
      'acme-printer',
      'printer',
      'Canon imageRUNNER C3226',
      'wp-acme',
      [{ from: '08:30', to: '18:00', perDay: 12, days: 'weekdays', duration: { typical: '40s', spread: 0.5 }, users: employees, interactions: 1 }],
      true,
    ),
    device('acme-room-lumiere', 'meeting_display', 'Logitech Tap', 'wp-acme', meetings),
    device('acme-room-verne', 'meeting_display', 'Logitech Tap', 'wp-acme', meetings),
    device(
      'acme-badge-entrance',
      'badge_reader',
      'HID Signo 40',
      'wp-acme',
      [
        {
          from: '07:30',
          to: '09:45',
          peak: '08:30',
          perDay: 6,
          days: 'weekdays',
          duration: { typical: '5s', spread: 0.2, min: '2s', max: '15s' },
          users: employees,
        },
        { from: '11:45', to: '14:00', perDay: 8, days: 'weekdays', duration: { typical: '5s', spread: 0.2, min: '2s', max: '15s' }, users: employees },
        { from: '16:30', to: '19:00', perDay: 5, days: 'weekdays', duration: { typical: '5s', spread: 0.2, min: '2s', max: '15s' }, users: employees },
      ],
      true,
    ),
    device(
      'acme-badge-garage',
      'badge_reader',
      'HID Signo 20',
      'wp-acme',
      [{ from: '07:00', to: '19:00', perDay: 4, days: 'weekdays', duration: { typical: '6s', spread: 0.2, min: '2s', max: '15s' }, users: employees }],
      true,
    ),
    device('acme-thermostat', 'thermostat', 'Honeywell T6', 'wp-acme', [
      { from: '06:00', to: '07:00', perDay: 1, days: 'weekdays', duration: { typical: '11h', spread: 0.05, max: '12h' } },
    ]),
    // Sharing services: the rental app knows who rides or drives.
    ...[1, 2, 3, 4].map((n) => device(`velo-ebike-${n}`, 'ebike', 'Vanmoof S5', 'ps-velo', ebikeRides, true)),
    ...[1, 2].map((n) => device(`autopartage-car-${n}`, 'car', 'Renault Zoe', 'ps-autopartage', carTrips, true)),
    // Booked by the hour through the app only: its users are the rental visitors.
    device('autopartage-car-3', 'car', 'Peugeot e-208', 'ps-autopartage', [], true),
  ],
};

/** The funnel `parcours start` declares with this world (the compose stack's too): a household's coffee, then hot water within the hour. */
