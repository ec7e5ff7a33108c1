import type { WorldInput } from '../scenario/schema.js';
import { telemetry as commonTelemetry } from './small.js';

/**
 * The built-in `coworking`: a co-working space that lives on day passes. A few monthly members have a
 * phone with the space's app; most users are day-pass holders, new people every day, and an evening
 * meetup on Thursdays brings a crowd for two hours. The pass (a badge, or the app) opens the entrance
 * gate and the lockers and pays at the coffee machine and the printer, which therefore name their user;
 * the meeting rooms do not know who is in them. Times are UTC.
 */

type Device = WorldInput['devices'][number];
type Window = Device['routine']['windows'][number];

const space = 'cw-fabrique';
const swipe = { typical: '5s', spread: 0.2, min: '2s', max: '15s' };
const coffee = { typical: '75s', spread: 0.2, min: '30s' };
const print = { typical: '40s', spread: 0.5, min: '5s', max: '5m' };
const locker = { typical: '20s', spread: 0.3, min: '5s', max: '2m' };
const meeting = { typical: '45m', spread: 0.3, min: '15m', max: '2h' };

const telemetry = {
  ...commonTelemetry,
  phone: { intervalS: 900, metrics: { battery_pct: { kind: 'battery', drainPerH: 20, chargePerH: 10 } } },
  locker: { intervalS: 1800, metrics: { battery_pct: { kind: 'battery', drainPerH: 1, chargePerH: 0.5 }, opened_today: { kind: 'daily_count' } } },
} satisfies Record<string, Device['telemetry']>;

function device(id: string, type: keyof typeof telemetry, model: string, owner: string, windows: Window[], reportsActor = false): Device {
  return { id, type, model, owner, reportsActor, telemetry: telemetry[type], routine: { windows } };
}

const members = ['mem-ana', 'mem-bilal', 'mem-chen', 'mem-dora', 'mem-emre'];
const lockers = [1, 2, 3, 4].map((n) => `cw-locker-${n}`);
/** Monday to Friday, a quieter Saturday, closed on Sunday. */
const openDays = [1, 1, 1, 1, 1, 0.3, 0];

export const coworking: WorldInput = {
  name: 'coworking',
  description: 'A day-pass co-working space: 5 monthly members, about 16 day passes a weekday, a Thursday meetup; badge-paid coffee, printer and lockers.',
  collectives: [{ id: space, type: 'coworking', name: 'La Fabrique co-working', attributes: { region: 'lyon', desks: 40 } }],
  individuals: members.map((id, i) => ({
    id,
    name: `${id.slice(4, 5).toUpperCase()}${id.slice(5)} (member)`,
    attributes: { ageBand: ['25-34', '35-44', '25-34', '45-54', '18-24'][i]! },
    memberships: [{ collective: space, role: 'member' }],
    sequences: [
      {
        // In through the gate, the bag in a locker, a coffee.
        name: 'arrival',
        from: 8 + i * 0.25,
        to: 9 + i * 0.25,
        perDay: 0.8,
        days: 'weekdays',
        steps: [
          { device: 'cw-gate', duration: swipe, gapAfter: '1m' },
          { device: lockers[i % lockers.length]!, duration: locker, gapAfter: '2m' },
          { device: 'cw-coffee', duration: coffee },
        ],
      },
      {
        // A room booked in the app just before the meeting.
        name: 'meeting',
        from: '10:00',
        to: '16:00',
        perDay: 0.5,
        days: 'weekdays',
        steps: [
          { device: `${id}-phone`, duration: { typical: '1m', spread: 0.3, min: '10s' }, gapAfter: '2m' },
          { device: i % 2 === 0 ? 'cw-room-atelier' : 'cw-room-verriere', duration: meeting },
        ],
      },
    ],
  })),
  devices: [
    ...members.map((id) =>
      device(`${id}-phone`, 'phone', 'Pixel 8', id, [
        { from: '08:00', to: '19:00', perDay: 4, days: 'weekdays', duration: { typical: '2m', spread: 0.5, min: '10s', max: '20m' }, users: [id] },
      ]),
    ),
    device(
      'cw-gate',
      'badge_reader',
      'HID Signo 40',
      space,
      [{ from: '12:00', to: '14:00', perDay: 4, days: openDays, duration: swipe, users: members }],
      true,
    ),
    device(
      'cw-coffee',
      'coffee_machine',
      'Franke A600',
      space,
      [{ from: '13:00', to: '16:00', perDay: 3, days: openDays, duration: coffee, users: members }],
      true,
    ),
    device(
      'cw-printer',
      'printer',
      'Brother MFC-L8900',
      space,
      [{ from: '09:00', to: '18:00', perDay: 2, days: 'weekdays', duration: print, users: members }],
      true,
    ),
    ...lockers.map((id) => device(id, 'locker', 'Keba KeLock', space, [], true)),
    device('cw-room-atelier', 'meeting_display', 'Logitech Tap', space, [
      { from: '09:00', to: '17:00', perDay: 2, days: 'weekdays', duration: meeting, users: members },
    ]),
    device('cw-room-verriere', 'meeting_display', 'Logitech Tap', space, [
      { from: '09:00', to: '17:00', perDay: 2, days: 'weekdays', duration: meeting, users: members },
    ]),
    device('cw-thermostat', 'thermostat', 'Tado V3+', space, [
      { from: '06:30', to: '07:00', perDay: 1, days: openDays, duration: { typical: '11h', spread: 0.05, max: '12h' } },
    ]),
  ],
  visitors: [
    // Day passes: in the morning, for the day; each one a new person, named by the pass at every paying device.
    ...lockers.map((lockerId) => ({
      id: `daypass-${lockerId.slice(-1)}`,
      collective: space,
      role: 'day_pass',
      from: '08:00',
      to: '10:30',
      perDay: 3,
      days: openDays,
      stay: '8h',
      uses: [
        { device: 'cw-gate', sessions: 2, duration: swipe },
        { device: lockerId, sessions: 2, duration: locker },
        { device: 'cw-coffee', sessions: 3, duration: coffee },
        { device: 'cw-printer', duration: print },
        { device: lockerId.endsWith('1') || lockerId.endsWith('3') ? 'cw-room-atelier' : 'cw-room-verriere', duration: meeting },
      ],
    })),
    {
      id: 'halfday',
      collective: space,
      role: 'half_day_pass',
      from: '13:00',
      to: '14:00',
      perDay: 4,
      days: 'weekdays',
      stay: '4h',
      uses: [
        { device: 'cw-gate', duration: swipe },
        { device: 'cw-coffee', sessions: 2, duration: coffee },
        { device: 'cw-printer', duration: print },
      ],
    },
    {
      id: 'meetup',
      collective: space,
      role: 'event_guest',
      from: '18:00',
      to: '18:45',
      perDay: 20,
      days: [0, 0, 0, 1, 0, 0, 0],
      stay: '2h',
      uses: [
        { device: 'cw-gate', duration: swipe },
        { device: 'cw-coffee', duration: coffee },
      ],
    },
  ],
};
