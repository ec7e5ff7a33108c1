import type { WorldInput } from '../scenario/schema.js';
import { telemetry as commonTelemetry } from './small.js';

/**
 * The built-in `care-home`: one residence whose shared devices never say who used them. Eight residents
 * share a lounge TV, a kettle, two showers and a bathroom call button; each has a phone, a call button in
 * their room and an activity tracker (telemetry only: its walks are sessions from its step count, and
 * the activity that actor inference goes by). Five staff, each with a DECT phone, open the medication
 * cabinet with their badge (the only shared device that names its user) and share a staff-room coffee
 * machine and the laundry. Families visit in the afternoon and make tea. Times are UTC.
 */

type Device = WorldInput['devices'][number];
type Window = Device['routine']['windows'][number];
type Individual = WorldInput['individuals'][number];

const home = 'ch-tilleuls';
const short = (typical: string, min = '30s') => ({ typical, spread: 0.25, min });

const telemetry = {
  ...commonTelemetry,
  phone: { intervalS: 900, metrics: { battery_pct: { kind: 'battery', drainPerH: 20, chargePerH: 10 } } },
  dect_phone: { intervalS: 900, metrics: { battery_pct: { kind: 'battery', drainPerH: 15, chargePerH: 10 } } },
  call_button: { intervalS: 3600, metrics: { battery_pct: { kind: 'battery', drainPerH: 0.5, chargePerH: 0.1 } } },
  // Every 30 s: a walk is at least a minute, so it always shows in a sample.
  activity_tracker: {
    intervalS: 30,
    metrics: {
      steps_min: { kind: 'level', idle: 0, active: 70, noise: 0.15, min: 0, decimals: 0 },
      heart_rate_bpm: { kind: 'level', idle: 68, active: 92, noise: 0.05, decimals: 0 },
    },
  },
  kettle: { intervalS: 30, metrics: { power_w: { kind: 'level', idle: 0.5, active: 2200, noise: 0.03 } } },
  shower: {
    intervalS: 60,
    metrics: { flow_l_min: { kind: 'level', idle: 0, active: 8, noise: 0.1, min: 0 }, water_temp_c: { kind: 'approach', idle: 20, active: 38, tauMin: 1 } },
  },
  hot_water_tank: commonTelemetry.water_heater,
  ventilation: { intervalS: 300, metrics: { power_w: { kind: 'level', idle: 3, active: 85, noise: 0.05 } } },
  medication_cabinet: { intervalS: 600, metrics: { open: { kind: 'flag' }, temperature_c: { kind: 'level', idle: 19, active: 19.5, noise: 0.02 } } },
} satisfies Record<string, Device['telemetry']>;

function device(id: string, type: keyof typeof telemetry, model: string, owner: string, windows: Window[], reportsActor = false): Device {
  return { id, type, model, owner, reportsActor, telemetry: telemetry[type], routine: { windows } };
}

const residentNames = ['Germaine', 'Marcel', 'Odette', 'Raymond', 'Simone', 'Lucien', 'Paulette', 'Henri'];
const residents = residentNames.map((name) => `res-${name.toLowerCase()}`);
const staff = [
  { id: 'staff-amina', name: 'Amina', role: 'nurse' },
  { id: 'staff-bruno', name: 'Bruno', role: 'carer' },
  { id: 'staff-clara', name: 'Clara', role: 'carer' },
  { id: 'staff-david', name: 'David', role: 'carer' },
  { id: 'staff-eve', name: 'Eve', role: 'night_nurse' },
];
const dayStaff = staff.filter((s) => s.role !== 'night_nurse').map((s) => s.id);
const everyone = [...residents, ...staff.map((s) => s.id)];
/** Residents are helped to one of the two showers, by room. */
const showerOf = (index: number) => `ch-shower-${(index % 2) + 1}`;

function resident(id: string, name: string, index: number): Individual {
  return {
    id,
    name: `${name} (resident)`,
    attributes: { ageBand: index % 3 === 0 ? '85+' : '75-84' },
    memberships: [{ collective: home, role: 'resident' }],
    sequences: [
      {
        // Walked to the shower room, showered with a carer's help, walked back.
        name: 'morning_care',
        from: 7 + (index % 4) * 0.5,
        to: 8 + (index % 4) * 0.5,
        perDay: 0.6,
        steps: [
          { device: `${id}-tracker`, duration: short('3m', '1m'), gapAfter: '1m' },
          { device: showerOf(index), duration: short('14m', '5m'), gapAfter: '2m' },
          { device: `${id}-tracker`, duration: short('3m', '1m') },
        ],
      },
      {
        // Down to the lounge for tea, then the afternoon programme.
        name: 'afternoon_tea',
        from: '15:00',
        to: '16:30',
        perDay: 0.5,
        steps: [
          { device: `${id}-tracker`, duration: short('4m', '1m'), gapAfter: '1m' },
          { device: 'ch-kettle', duration: short('3m', '1m'), gapAfter: '3m' },
          { device: 'ch-tv-lounge', duration: { typical: '50m', spread: 0.3, min: '10m' } },
        ],
      },
    ],
  };
}

function staffMember(s: (typeof staff)[number]): Individual {
  const night = s.role === 'night_nurse';
  return {
    id: s.id,
    name: `${s.name} (staff)`,
    attributes: { ageBand: '25-34' },
    memberships: [{ collective: home, role: s.role }],
    sequences: night
      ? []
      : [
          {
            // Shift handover: a coffee, the phone handed over, then the morning medication round.
            name: 'shift_start',
            from: '06:45',
            to: '07:15',
            perDay: 0.5,
            days: 'weekdays',
            steps: [
              { device: 'ch-staff-coffee', duration: short('80s'), gapAfter: '3m' },
              { device: `${s.id}-dect`, duration: short('2m'), gapAfter: '2m' },
              { device: 'ch-med-cabinet', duration: short('18m', '5m') },
            ],
          },
        ],
  };
}

function residentDevices(id: string): Device[] {
  return [
    device(`${id}-phone`, 'phone', 'Doro 8100', id, [
      // Video calls with the family, and an evening call.
      { from: '10:00', to: '12:00', perDay: 0.6, duration: short('12m', '1m'), users: [id] },
      { from: '18:00', to: '20:00', perDay: 0.5, duration: short('15m', '1m'), users: [id] },
    ]),
    device(`${id}-call`, 'call_button', 'Legrand Nurse Call', id, [
      { from: '07:00', to: '22:00', perDay: 0.8, duration: { typical: '4m', spread: 0.4, min: '30s', max: '20m' }, users: [id] },
      { from: '00:00', to: '06:00', perDay: 0.25, duration: { typical: '6m', spread: 0.4, min: '30s', max: '20m' }, users: [id] },
    ]),
    {
      ...device(`${id}-tracker`, 'activity_tracker', 'Withings ScanWatch', id, [
        { from: '09:30', to: '11:30', perDay: 0.8, duration: { typical: '15m', spread: 0.4, min: '1m', max: '45m' }, users: [id] },
        { from: '16:30', to: '18:00', perDay: 0.6, duration: { typical: '20m', spread: 0.4, min: '1m', max: '45m' }, users: [id] },
      ]),
      reportsEvents: false,
    },
  ];
}

export const careHome: WorldInput = {
  name: 'care-home',
  description: 'A care home: 8 residents and 5 staff, shared devices that never name their user, personal phones, call buttons and trackers.',
  collectives: [{ id: home, type: 'care_home', name: 'Résidence Les Tilleuls', attributes: { region: 'lyon', beds: residents.length } }],
  individuals: [...residents.map((id, i) => resident(id, residentNames[i]!, i)), ...staff.map(staffMember)],
  devices: [
    ...residents.flatMap(residentDevices),
    ...staff.map((s) =>
      device(
        `${s.id}-dect`,
        'dect_phone',
        'Ascom d63',
        s.id,
        s.role === 'night_nurse'
          ? [
              { from: '00:00', to: '06:00', perDay: 3, duration: short('2m', '20s'), users: [s.id] },
              { from: '21:00', to: '24:00', perDay: 2, duration: short('2m', '20s'), users: [s.id] },
            ]
          : [{ from: '07:00', to: '19:00', perDay: 5, duration: short('2m', '20s'), users: [s.id] }],
      ),
    ),
    // Shared, and none of them knows who uses it.
    device('ch-tv-lounge', 'tv', 'Philips 55PUS', home, [
      { from: '10:00', to: '12:00', perDay: 0.7, duration: { typical: '1h', spread: 0.3, min: '10m' }, users: residents },
      { from: '14:00', to: '15:00', perDay: 0.8, duration: { typical: '50m', spread: 0.3, min: '10m' }, users: residents },
      { from: '19:00', to: '21:00', perDay: 1, duration: { typical: '1h30m', spread: 0.3, min: '10m' }, users: residents },
    ]),
    device('ch-kettle', 'kettle', 'Russell Hobbs Inspire', home, [
      { from: '07:30', to: '09:30', perDay: 3, duration: short('3m', '1m'), users: everyone },
      { from: '15:00', to: '17:00', perDay: 2, duration: short('3m', '1m'), users: everyone },
    ]),
    ...[1, 2].map((n) =>
      device(`ch-shower-${n}`, 'shower', 'Hansgrohe Ecostat', home, [
        { from: '18:00', to: '20:00', perDay: 0.8, duration: short('12m', '5m'), users: residents.filter((_, i) => showerOf(i) === `ch-shower-${n}`) },
      ]),
    ),
    device('ch-bath-call', 'call_button', 'Legrand Nurse Call', home, [
      { from: '07:00', to: '21:00', perDay: 1, duration: { typical: '3m', spread: 0.4, min: '30s', max: '15m' }, users: residents },
    ]),
    device('ch-staff-coffee', 'coffee_machine', 'Jura E8', home, [
      { from: '06:30', to: '08:00', perDay: 2, duration: short('80s'), users: dayStaff },
      { from: '13:00', to: '15:00', perDay: 3, duration: short('80s'), users: dayStaff },
      { from: '21:00', to: '23:30', perDay: 1, duration: short('80s'), users: ['staff-eve'] },
    ]),
    device('ch-washer', 'washing_machine', 'Miele PW 5065', home, [
      { from: '09:00', to: '15:00', perDay: 2, duration: { typical: '1h10m', spread: 0.1, min: '45m', max: '2h' }, users: dayStaff },
    ]),
    // The cabinet opens with a staff badge: it names who took the medication out.
    device(
      'ch-med-cabinet',
      'medication_cabinet',
      'Omnicell XT',
      home,
      [
        { from: '11:45', to: '12:15', perDay: 1, duration: short('10m', '2m'), users: dayStaff },
        { from: '17:45', to: '18:15', perDay: 1, duration: short('12m', '2m'), users: dayStaff },
        { from: '21:00', to: '21:30', perDay: 1, duration: short('10m', '2m'), users: ['staff-eve'] },
      ],
      true,
    ),
    // Running on their own: the hot-water tank and the ventilation on its timer.
    device('ch-water-heater', 'hot_water_tank', 'Atlantic Vizengo', home, [
      { from: '05:00', to: '05:30', perDay: 1, duration: { typical: '1h30m', spread: 0.1 } },
      { from: '14:00', to: '14:30', perDay: 1, duration: { typical: '1h', spread: 0.1 } },
    ]),
    device('ch-ventilation', 'ventilation', 'Aldes InspirAIR', home, [
      { from: '06:00', to: '06:15', perDay: 1, duration: { typical: '6h', spread: 0.05, max: '7h' } },
      { from: '13:00', to: '13:15', perDay: 1, duration: { typical: '8h', spread: 0.05, max: '9h' } },
    ]),
  ],
  visitors: [
    {
      // Families visiting in the afternoon make tea in the lounge.
      id: 'family',
      collective: home,
      role: 'visitor',
      from: '14:00',
      to: '17:00',
      perDay: 2,
      days: [0.5, 0.5, 1, 0.5, 0.5, 2, 2.5],
      stay: '2h',
      uses: [{ device: 'ch-kettle', duration: short('3m', '1m') }],
    },
  ],
};
