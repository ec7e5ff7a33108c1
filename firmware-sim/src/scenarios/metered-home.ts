import type { WorldInput } from '../scenario/schema.js';

/**
 * The built-in `metered-home`: a family whose appliances are plugged into metered smart plugs, so no
 * device sends an event: every session comes from a power reading past its type's threshold (the
 * session rules), seen at the plugs' 30-second sampling. Sessions therefore start and end up to one
 * sampling interval after the truth's; every use lasts at least one interval and two uses of a device
 * are at least one interval apart, so each shows in a sample of its own. The console, the home-office
 * PC and the car charger are one person's each; the rest is the household's. Times are UTC.
 */

type Device = WorldInput['devices'][number];
type Window = Device['routine']['windows'][number];

const home = 'hh-durand';
/** The plugs' sampling interval, which is how far a derived session may be from the truth's. */
const meteredHomeIntervalS = 30;

/** A metered plug: the appliance's power draw, idle or in use. */
const plug = (idle: number, active: number, noise = 0.05): Device['telemetry'] => ({
  intervalS: meteredHomeIntervalS,
  metrics: { power_w: { kind: 'level', idle, active, noise, min: 0, decimals: 1 } },
});

const plugs = {
  coffee_machine: plug(1.5, 1300),
  kettle: plug(0.3, 2200, 0.03),
  tv: plug(0.5, 110, 0.08),
  washing_machine: plug(1, 600, 0.25),
  dishwasher: plug(0.8, 1100, 0.2),
  oven: plug(2, 2100, 0.1),
  microwave: plug(1.5, 1200, 0.05),
  water_heater: plug(2, 2400, 0.03),
  game_console: plug(1, 140, 0.1),
  desktop_pc: plug(2, 120, 0.15),
  ev_charger: plug(0, 7300, 0.02),
};

function device(id: string, type: keyof typeof plugs, model: string, owner: string, windows: Window[]): Device {
  return { id, type, model, owner, reportsEvents: false, telemetry: plugs[type], routine: { windows } };
}

/** Every use lasts at least one sampling interval and a little more. */
const lasting = (typical: string, min: string, spread = 0.25) => ({ typical, spread, min });
const adults = ['ind-camille', 'ind-olivier'];
const family = [...adults, 'ind-leo', 'ind-nina'];

export const meteredHome: WorldInput = {
  name: 'metered-home',
  description: 'A family of four whose appliances send telemetry only (metered plugs): sessions from power thresholds alone.',
  collectives: [{ id: home, type: 'household', name: 'Durand household', attributes: { region: 'nantes', size: 4 } }],
  individuals: [
    {
      id: 'ind-camille',
      name: 'Camille Durand',
      attributes: { ageBand: '35-44' },
      memberships: [{ collective: home, role: 'adult' }],
      sequences: [
        {
          name: 'dinner',
          from: '18:30',
          to: '19:15',
          perDay: 0.7,
          steps: [
            { device: 'durand-oven', duration: lasting('40m', '10m'), gapAfter: '25m' },
            { device: 'durand-dishwasher', duration: lasting('2h', '1h', 0.1) },
          ],
        },
      ],
    },
    {
      id: 'ind-olivier',
      name: 'Olivier Durand',
      attributes: { ageBand: '35-44' },
      memberships: [{ collective: home, role: 'adult' }],
      sequences: [
        {
          // Works from home: coffee, tea for later, then the PC.
          name: 'home_office',
          from: '08:15',
          to: '09:00',
          perDay: 0.8,
          days: [1, 1, 0, 1, 1, 0, 0],
          steps: [
            { device: 'durand-coffee', duration: lasting('90s', '45s', 0.2), gapAfter: '2m' },
            { device: 'durand-kettle', duration: lasting('3m', '1m'), gapAfter: '5m' },
            { device: 'olivier-pc', duration: lasting('3h', '1h', 0.2) },
          ],
        },
      ],
    },
    {
      id: 'ind-leo',
      name: 'Léo Durand',
      attributes: { ageBand: '13-17' },
      memberships: [{ collective: home, role: 'teen' }],
      sequences: [
        {
          // Back from school: a hot chocolate, the console, then the TV.
          name: 'after_school',
          from: '16:30',
          to: '17:15',
          perDay: 0.8,
          days: 'weekdays',
          steps: [
            { device: 'durand-kettle', duration: lasting('2m30s', '1m'), gapAfter: '3m' },
            { device: 'leo-console', duration: lasting('1h10m', '15m'), gapAfter: '10m' },
            { device: 'durand-tv', duration: lasting('50m', '15m') },
          ],
        },
      ],
    },
    { id: 'ind-nina', name: 'Nina Durand', attributes: { ageBand: '8-12' }, memberships: [{ collective: home, role: 'child' }] },
  ],
  devices: [
    device('durand-coffee', 'coffee_machine', 'Krups Evidence (Shelly Plug S)', home, [
      { from: '06:30', to: '07:45', perDay: 2, duration: lasting('90s', '45s', 0.2), users: adults },
      { from: '13:00', to: '14:00', perDay: 1, days: 'weekends', duration: lasting('90s', '45s', 0.2), users: adults },
    ]),
    device('durand-kettle', 'kettle', 'Bosch TWK (Shelly Plug S)', home, [
      { from: '07:00', to: '08:00', perDay: 0.8, duration: lasting('3m', '1m'), users: family },
      { from: '21:00', to: '22:00', perDay: 0.5, duration: lasting('3m', '1m'), users: adults },
    ]),
    device('durand-tv', 'tv', 'Sony Bravia (Shelly Plug S)', home, [
      { from: '19:30', to: '21:30', perDay: 1, duration: lasting('1h30m', '15m'), users: family },
      { from: '09:00', to: '11:00', perDay: 1, days: 'weekends', duration: lasting('2h', '20m'), users: ['ind-leo', 'ind-nina'] },
    ]),
    device('durand-microwave', 'microwave', 'Samsung MS23 (Shelly Plug S)', home, [
      { from: '07:00', to: '08:00', perDay: 0.8, duration: lasting('1m30s', '40s'), users: family },
      { from: '12:00', to: '13:30', perDay: 1, days: [0, 0, 1, 0, 0, 1, 1], duration: lasting('3m', '1m'), users: family },
      { from: '18:00', to: '20:00', perDay: 2, duration: lasting('2m30s', '40s'), users: family },
    ]),
    device('durand-washer', 'washing_machine', 'Whirlpool FFB (Shelly Plug S)', home, [
      { from: '09:00', to: '20:00', perDay: 0.6, days: [1, 0.5, 1, 0.5, 0.5, 2, 1.5], duration: { typical: '1h30m', spread: 0.1, min: '45m', max: '3h' } },
    ]),
    device('durand-dishwasher', 'dishwasher', 'Bosch Serie 4 (Shelly Plug S)', home, [
      { from: '13:30', to: '14:30', perDay: 0.4, days: 'weekends', duration: lasting('2h', '1h', 0.1) },
    ]),
    device('durand-oven', 'oven', 'Whirlpool AKZ (Shelly Pro 1PM)', home, [
      { from: '11:45', to: '12:30', perDay: 0.8, days: 'weekends', duration: lasting('50m', '15m'), users: adults },
    ]),
    // Reheats the tank in the off-peak hours, whoever showered.
    device('durand-water-heater', 'water_heater', 'Thermor Duralis (Shelly Pro 1PM)', home, [
      { from: '22:30', to: '23:00', perDay: 1, duration: { typical: '2h30m', spread: 0.2, min: '30m', max: '5h' } },
      { from: '12:30', to: '13:00', perDay: 0.5, duration: { typical: '1h', spread: 0.2, min: '20m' } },
    ]),
    device('leo-console', 'game_console', 'PlayStation 5 (Shelly Plug S)', 'ind-leo', [
      { from: '10:00', to: '16:00', perDay: 1.5, days: 'weekends', duration: lasting('1h30m', '15m', 0.4), users: ['ind-leo'] },
    ]),
    device('olivier-pc', 'desktop_pc', 'Dell OptiPlex (Shelly Plug S)', 'ind-olivier', [
      { from: '13:30', to: '14:30', perDay: 0.8, days: [1, 1, 0, 1, 1, 0, 0], duration: lasting('3h30m', '1h', 0.2), users: ['ind-olivier'] },
    ]),
    device('camille-ev-charger', 'ev_charger', 'Wallbox Pulsar Plus', 'ind-camille', [
      { from: '18:00', to: '19:30', perDay: 0.7, days: 'weekdays', duration: { typical: '3h', spread: 0.3, min: '1h', max: '8h' }, users: ['ind-camille'] },
    ]),
  ],
  visitors: [
    {
      // The babysitter on Friday and Saturday evenings: the TV and a cup of tea.
      id: 'babysitter',
      collective: home,
      role: 'babysitter',
      from: '19:00',
      to: '20:00',
      perDay: 0.7,
      days: [0, 0, 0, 0, 1, 1, 0],
      stay: '4h',
      uses: [
        { device: 'durand-tv', duration: lasting('1h30m', '15m') },
        { device: 'durand-kettle', duration: lasting('3m', '1m') },
      ],
    },
  ],
};
