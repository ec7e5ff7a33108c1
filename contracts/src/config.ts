import { z } from 'zod';
import { durationTextSchema } from './duration.js';
import { exampleFunnels, funnelsSchema } from './funnels.js';
import { builtInSessionRules, sessionRulesSchema } from './session-rules.js';
import { promptCapsSchema } from './surveys.js';
import { typeNameSchema } from './ids.js';

/**
 * The one configuration schema: each setting has a description and a default, from which
 * docs/configuration.md is generated. Its environment variable is derived from its path
 * (`mqtt.allowAnonymous` → `PARCOURS_MQTT_ALLOW_ANONYMOUS`), except in the `influx` section, which uses the
 * InfluxDB ecosystem's names (`INFLUX_URL`, …).
 */

/** Environment values are strings: accept `true/false/1/0/yes/no` as well as real booleans from a file. */
const booleanSetting = z.union([z.boolean(), z.stringbool()], { error: 'not true or false (also yes/no, 1/0)' });

/**
 * A number, from a file or as text from the environment. Unlike `z.coerce`, an empty or blank text stays
 * text and is refused: `PARCOURS_HTTP_PORT=` must not mean port 0.
 */
function numberSetting(error: string, check: (n: number) => boolean = () => true) {
  return z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    z.number({ error }).refine((n) => Number.isFinite(n) && check(n), { error }),
  );
}
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  numberSetting(
    max === Number.MAX_SAFE_INTEGER ? `not a whole number ≥ ${min}` : `not a whole number from ${min} to ${max}`,
    (n) => Number.isInteger(n) && n >= min && n <= max,
  );
const positiveNumber = numberSetting('not a number > 0', (n) => n > 0);
const portSetting = numberSetting('not a port (a whole number from 0 to 65535)', (n) => Number.isInteger(n) && n >= 0 && n <= 65535);

interface SettingDoc {
  description: string;
  defaultText: string;
  /** A key or password: never repeated in messages. */
  secret: boolean;
}
const docs = new WeakMap<z.ZodType, SettingDoc>();

function setting<T extends z.ZodType>(type: T, defaultValue: z.input<T>, description: string, defaultText?: string, secret = false) {
  // prefault: the default goes through the schema like a given value (durations are parsed, sections filled in).
  const schema = type.prefault(defaultValue as never).describe(description);
  const shown = defaultText ?? (typeof defaultValue === 'string' ? defaultValue : JSON.stringify(defaultValue));
  docs.set(schema, { description, defaultText: shown, secret });
  return schema;
}

function secretSetting<T extends z.ZodType>(type: T, description: string) {
  return setting(type, '' as z.input<T>, description, '', true);
}

/** An object setting: an object in a file, JSON text in an environment variable. */
function jsonText<T extends z.ZodType>(type: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // the object schema then reports it as not an object, with its path
    }
  }, type);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function duration(defaultValue: string, description: string) {
  return setting(durationTextSchema, defaultValue, description);
}

const sections = {
  data: z.strictObject({
    dir: setting(z.string().min(1), './data', 'Folder of the embedded store (registry, events, sessions, quarantine).'),
    sync: setting(
      z.enum(['full', 'normal']),
      'full',
      '`full`: every acknowledged message is fsynced before its ack (survives a power cut); `normal`: it survives a crash of Parcours but not of the machine, and ingest is faster.',
    ),
    logRetention: duration('90d', 'Log records received longer ago than this are deleted once every active reader has handled them; `0s` keeps them forever.'),
  }),
  log: z.strictObject({
    level: setting(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info', 'Lowest log level written.'),
    format: setting(z.enum(['auto', 'json', 'pretty']), 'auto', 'Log format; `auto` is pretty on a terminal and JSON otherwise.'),
  }),
  http: z.strictObject({
    host: setting(z.string().min(1), '0.0.0.0', 'Address the HTTP API listens on.'),
    port: setting(portSetting, 8080, 'Port of the HTTP API (0 picks a free port).'),
    adminKey: secretSetting(
      z.string().refine((key) => key === '' || key.length >= 24, 'shorter than 24 characters'),
      'An admin API key to accept, for automation (the compose stack); at least 24 characters. Empty: keys come from `parcours keys create` and the one printed at first start.',
    ),
    requestTimeout: setting(
      durationTextSchema.refine((ms) => ms >= 1000, 'at least 1s'),
      '5m',
      'A request not wholly received after this long (headers and body; the headers alone get at most 60s) is answered 408 and its connection closed.',
    ),
  }),
  mqtt: z
    .strictObject({
      host: setting(z.string().min(1), '0.0.0.0', 'Address the embedded MQTT broker listens on.'),
      port: setting(portSetting, 1883, 'MQTT TCP port of the embedded broker (0 picks a free port).'),
      allowAnonymous: setting(booleanSetting, false, 'Let clients connect without credentials (development only); they get `mqtt.anonymousAcl`.'),
      anonymousAcl: setting(
        z.string(),
        'readwrite {base}/devices/#; read {base}/subjects/#',
        'What anonymous clients may do, Mosquitto-style: `read|write|readwrite <topic filter>` rules separated by `;` (`{base}` is the base topic).',
      ),
      tlsPort: setting(portSetting, 8883, 'MQTT over TLS port, open when `mqtt.tlsCert` and `mqtt.tlsKey` are set.'),
      tlsCert: setting(z.string(), '', 'PEM certificate (chain) of the TLS listener; `parcours certs create` makes a development one.'),
      tlsKey: setting(z.string(), '', 'PEM private key of the TLS listener.'),
      tlsCa: setting(z.string(), '', 'PEM CA whose client certificates authenticate devices (CN = device id); empty: no client certificates.'),
      wsPath: setting(z.string().regex(/^(\/.*)?$/), '/mqtt', 'Path of MQTT over WebSocket on the HTTP port; empty disables it.'),
      maxPacketSize: setting(
        wholeNumber(1024),
        1_048_576,
        'Largest MQTT packet accepted (bytes); a client sending a larger one is disconnected. Payloads over `gateway.maxPayloadBytes` but under this are quarantined.',
      ),
      maxConnections: setting(wholeNumber(1), 100_000, 'Most clients connected at once; more get CONNACK 3 (server unavailable).'),
      connectRate: setting(
        positiveNumber,
        1000,
        'New connections accepted per second (a one-second burst); more get CONNACK 3, so a reconnect storm is spread out.',
      ),
      maxPending: setting(
        wholeNumber(1),
        10_000,
        'Most connections at once that have not logged in yet (TLS handshake, CONNECT awaited or being checked); more are closed at once. Leave file descriptors for `mqtt.maxConnections` plus this.',
      ),
      maxPendingPerAddress: setting(
        wholeNumber(1),
        100,
        'Most connections at once from one address that have not logged in yet; more from it are closed at once.',
      ),
      connectTimeout: setting(
        durationTextSchema.refine((ms) => ms >= 1000, 'at least 1s'),
        '30s',
        'How long a connection may stay without sending its CONNECT (or finishing its TLS handshake) before it is closed.',
      ),
      busyConnectTimeout: setting(
        durationTextSchema.refine((ms) => ms >= 100, 'at least 100ms'),
        '5s',
        'The shorter `mqtt.connectTimeout` applied while more than half of `mqtt.maxPending` connections have not logged in: the silent ones are closed first.',
      ),
      maxInflight: setting(
        wholeNumber(1),
        1000,
        'QoS 1/2 messages of one client being stored at once (and QoS 2 awaiting PUBREL); a client over it is disconnected.',
      ),
      maxQueuedMessages: setting(
        wholeNumber(1),
        1000,
        'Messages (any QoS) on their way to one subscriber that its connection has not taken yet. When full, its oldest QoS 0 message is dropped for a new one; a QoS 1/2 message that finds no room disconnects it (a persistent session keeps its QoS 1/2 messages until it is back).',
      ),
      maxQueuedBytes: setting(
        wholeNumber(1024),
        10_485_760,
        'Bytes (topics and payloads) on their way to one subscriber, as `mqtt.maxQueuedMessages` (a single larger message still gets through an empty queue).',
      ),
      sendTimeout: duration(
        '1m',
        'A connection whose send buffer stays full this long (the client reads nothing) is closed, whatever its keepalive; `0s`: never.',
      ),
      publishRate: setting(
        positiveNumber,
        100,
        'Messages per second a device may publish, all its connections together (any other client: per connection), after a burst of `mqtt.publishBurst`; faster publishes wait, and the client is not read meanwhile.',
      ),
      publishBurst: setting(wholeNumber(1), 100, 'Messages a device may publish at once above `mqtt.publishRate`, saved up while it publishes less.'),
      overloadBacklog: setting(
        wholeNumber(1),
        500,
        'Device messages waiting to be stored (all clients together) from which QoS 0 device messages are dropped and counted, until fewer wait; QoS 1/2 messages are still stored, their acknowledgement comes later.',
      ),
      overloadBusy: duration(
        '50ms',
        'How long Parcours may work without a pause (its event loop not back to its timers; time the machine did not run it does not count) before QoS 0 device messages are dropped and counted, until it pauses; QoS 1/2 messages are still stored.',
      ),
      authFailureLimit: setting(
        wholeNumber(1),
        5,
        'Failed logins of one user name (or client id, without one) from one address within `mqtt.authFailureWindow` before that login is refused from there (CONNACK 5) until the window has passed; other logins from the address go on.',
      ),
      authFailureAddressLimit: setting(
        wholeNumber(1),
        100,
        'Failed logins from one address, whatever the login, within `mqtt.authFailureWindow` before every login from it is refused (CONNACK 5): stops a client trying user names, high enough for the devices behind one NAT.',
      ),
      authFailureWindow: duration('1m', 'Window of `mqtt.authFailureLimit` and `mqtt.authFailureAddressLimit`.'),
      nodeHeartbeat: duration(
        '1m',
        'How often the broker says it is alive on `$SYS/{id}/heartbeat`; the wills of a node silent for three of these (or of the previous run) are published then, within one of these.',
      ),
      sysInterval: duration('10s', 'How often the `$SYS/broker/…` statistics are published.'),
      baseTopic: setting(z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/), 'parcours', 'Prefix of every Parcours topic.'),
      mode: setting(
        z.enum(['embedded', 'external']),
        'embedded',
        '`embedded`: Parcours runs its own broker (aedes, MQTT 3.1.1). `external`: it connects as an MQTT 5 client to `externalUrl` (Mosquitto, EMQX, HiveMQ), which then authenticates devices and enforces the ACLs (see docs/external-broker.md).',
      ),
      externalUrl: setting(
        z.union([z.literal(''), z.url({ protocol: /^(mqtts?|wss?|tcp|ssl)$/, error: 'not an mqtt://, mqtts://, ws:// or wss:// URL' })]),
        '',
        'URL of the external broker (`mqtt://`, `mqtts://`, `ws://`, `wss://`); required when `mode` is `external`.',
      ),
      externalUsername: setting(z.string(), '', 'User name of the gateway on the external broker.'),
      externalPassword: secretSetting(z.string(), 'Password of the gateway on the external broker.'),
      sharedGroup: setting(
        z.string().regex(/^[^/#+]+$/),
        'parcours',
        'MQTT 5 shared-subscription group (`$share/{group}/…`) the gateway subscribes in; one node of a group ingests at a time, the others are refused or wait as standbys (docs/several-nodes.md).',
      ),
      externalClientId: setting(
        z.string(),
        '',
        'Client id of this instance on the external broker, which keeps its session across restarts; empty: one generated on the first start and kept in the data folder.',
      ),
      externalSessionExpiry: duration(
        '1d',
        "How long the external broker keeps this instance's session (and queues its share of the messages) while it is disconnected.",
      ),
      persistence: setting(
        z.enum(['level', 'redis', 'memory']),
        'level',
        'Where the broker keeps persistent sessions, subscriptions, queued QoS 1/2 messages and retained messages: `level` in the data folder (survives a restart), `redis` at `mqtt.redisUrl` (where a standby node finds them when it takes over), `memory` (lost at restart).',
      ),
      redisUrl: secretSetting(
        z.union([z.literal(''), z.url({ protocol: /^rediss?$/, error: 'not a redis:// or rediss:// URL' })]),
        'Redis URL (`redis://[user:password@]host:port[/db]`) for `mqtt.persistence: redis`; it also holds the ingest lease, so only one node sharing it ingests (docs/several-nodes.md).',
      ),
    })
    .refine((mqtt) => mqtt.mode !== 'external' || mqtt.externalUrl !== '', { path: ['externalUrl'], message: 'required when mqtt.mode is external' })
    .refine((mqtt) => mqtt.persistence !== 'redis' || mqtt.redisUrl !== '', { path: ['redisUrl'], message: 'required when persistence is redis' }),
  gateway: z.strictObject({
    maxPayloadBytes: setting(wholeNumber(64), 65536, 'Largest device payload accepted; larger ones are quarantined.'),
    quarantineMaxEntries: setting(wholeNumber(1), 100_000, 'Most messages kept in the quarantine; past it the oldest are dropped, counted and logged.'),
    quarantineMaxBytes: setting(
      wholeNumber(65_536),
      268_435_456,
      'Most bytes (payloads, topics, details) kept in the quarantine; past it the oldest messages are dropped, counted and logged, as past `quarantineMaxEntries`.',
    ),
    quarantinePrefixBytes: setting(
      wholeNumber(64),
      4096,
      'Of a payload larger than `maxPayloadBytes`, the quarantine keeps only the first this many bytes, with the whole size and SHA-256; such a message cannot be replayed.',
    ),
    quarantinePageBytes: setting(
      wholeNumber(4096),
      1_048_576,
      'Most bytes of quarantined messages (their JSON) in one page of `GET /quarantine`: a page ends before the message that would pass it (it holds at least one) and gives the offset of the next.',
    ),
    maxClockSkew: duration(
      '5m',
      'A device time further ahead of the receive time than this is a wrong clock: the receive time replaces it and the event is flagged.',
    ),
    maxLateness: duration('7d', 'Events whose device time is older than this (buffered offline, replayed) are still accepted; older ones are quarantined.'),
  }),
  analytics: z.strictObject({
    sessionIdleTimeout: duration(
      '30m',
      'A usage session whose stop has not come and whose device sent nothing (no event, no telemetry) for this long is closed at its last message (docs/analytics.md, what closes a session).',
    ),
    allowedLateness: duration(
      '2m',
      "How far a record's device time may be behind its arrival (network delay, clock drift) without the stream ever having closed, on processing time alone, a session or journey that the record extends (docs/analytics.md, the watermark).",
    ),
    idleAdvanceAfter: duration(
      '30s',
      'When no record has arrived for this long, the watermark that closes idle sessions and journeys advances with the clock, to now minus `allowedLateness`, and again at this interval while it stays quiet; `0s`: it moves with device time only.',
    ),
    sessionMaxLength: duration('24h', 'A usage session still in use at this length is cut there; a `usage.stop` after it closes nothing.'),
    sessionRules: setting(
      jsonText(sessionRulesSchema),
      builtInSessionRules,
      'Session rules per device type (JSON in the environment): `{ "tv": { "threshold": { "metric": "power_w", "comparison": "above", "threshold": 20, "hysteresis": 5, "closeAfter": "0s", "minDuration": "0s" }, "idleTimeout": "30m", "maxLength": "24h" } }`. A device of a type with a `threshold` that sends no `usage.start` gets sessions from its telemetry; the timeouts fall back to `sessionIdleTimeout` and `sessionMaxLength`. A type with `"ambient": true` runs on its own (a thermostat): its sessions are part of no journey and get no inferred actor (docs/analytics.md, ambient devices). Replaces the built-in rules as a whole.',
      `built-in rules for ${Object.keys(builtInSessionRules).join(', ')}`,
    ),
    actorInference: setting(
      booleanSetting,
      true,
      "For a shared-device session with no actor, infer the likeliest member from the use of the members' personal devices around its start (marked as inferred, with its probability as confidence; docs/analytics.md, actor inference).",
    ),
    actorInferenceWindow: duration(
      '30m',
      "How far before or after a session's start the members' personal-device activity is read for the inference; the inference is decided once the watermark has passed the start plus this.",
    ),
    inferenceMinConfidence: setting(
      numberSetting('not a number from 0 to 1', (n) => n >= 0 && n <= 1),
      0.8,
      'The probability below which no actor is inferred: the session keeps no inferred actor rather than an unlikely one. The confidence is calibrated, so at 0.8 the inferred actors shown are right about 80 % of the time or more.',
    ),
    journeyGap: duration(
      '30m',
      "A subject's journey ends when none of its sessions (on its devices, or where it was the actor; ambient devices aside) starts within this time after the latest end so far.",
    ),
    funnels: setting(
      jsonText(funnelsSchema),
      exampleFunnels,
      'Funnels served at `/api/v1/funnels/{name}` (JSON in the environment): `[{ "name": "morning", "steps": [{ "deviceType": "coffee_machine" }, { "eventType": "door.opened" }], "window": "2h", "countBy": "individual" }]`. At least two steps, each a device type (a usage session) or an event type; names unique; `countBy` is `individual` or `collective`. Unset: the example funnel `morning` (a household\'s coffee machine, then its water heater within the hour), which the built-in fleet goes through ([simulator.md](simulator.md#example-funnel)); `[]` declares none.',
      '`morning`, an example',
    ),
    aggregateInterval: duration(
      '10s',
      'How often the aggregates of the days whose sessions or journeys changed (transitions, activity, shared-device usage, funnels) are recomputed and replaced in InfluxDB.',
    ),
    retentionInterval: duration(
      '5m',
      'How often the retention and lifecycle points of the weeks whose sessions changed are recomputed and replaced in InfluxDB (each run reads every stored session; the API computes them on request).',
    ),
  }),
  sim: z.strictObject({
    scenario: setting(z.string().min(1), 'small', 'Built-in fleet scenario run by `parcours start` (`none` disables it), or a scenario file.'),
    seed: setting(numberSetting('not a whole number', Number.isInteger), 1, 'Seed of the simulation: the same seed gives the same fleet and usage.'),
    speed: setting(
      z.union([z.literal('max'), positiveNumber]),
      'max',
      'How many times faster than real time the simulated clock runs until it reaches now, or `max`: as fast as Parcours takes the messages. Either way it then runs in real time.',
    ),
    apiKey: secretSetting(z.string(), 'API key that `parcours sim` registers its fleet with (an admin key).'),
    backfill: duration(
      '1d',
      'How far in the past the simulated clock starts on a first run (a day holds every routine, so journeys from the first minute); later runs resume where it stopped, never further back than this.',
    ),
  }),
  node: z.strictObject({
    id: setting(
      z.string().regex(/^[A-Za-z0-9._-]*$/),
      '',
      'Name of this node in the ingest lease and in what other nodes report about it; empty: the host name and a random suffix, new at each start (a standby may share the data folder, so it is not kept there).',
    ),
    standby: setting(
      booleanSetting,
      false,
      "Start as a standby: wait, neither listening nor ingesting, until the node that ingests stops, then take over. Needs `mqtt.persistence: redis` or `mqtt.mode: external`, and the active node's data folder on shared storage (docs/several-nodes.md).",
    ),
    leaseTtl: setting(
      durationTextSchema.refine((ms) => ms >= 1000, 'at least 1s'),
      '15s',
      'How long the ingest lease outlives a node that stopped renewing it without releasing it (a crash, a lost connection): a standby or a restarted node takes over after about this long.',
    ),
  }),
  influx: z.strictObject({
    url: setting(
      z.union([z.literal(''), z.url({ error: 'not a URL such as http://localhost:8086' })]),
      '',
      'InfluxDB base URL; empty disables the InfluxDB outputs.',
    ),
    apiVersion: setting(
      z.enum(['auto', 'v1', 'v2']),
      'auto',
      'Write API: `v2` (/api/v2/write, InfluxDB 1.8+, 2.x, 3.x), `v1` (/write), or `auto` from the /ping version.',
    ),
    token: secretSetting(z.string(), 'API token (v2). For InfluxDB 1.8 the token is `username:password`.'),
    org: setting(z.string(), '', 'Organisation (InfluxDB 2.x).'),
    bucket: setting(z.string(), '', 'Bucket (v2 API); defaults to `database/retentionPolicy`.'),
    database: setting(z.string().min(1), 'parcours', 'Database (v1 API); created when missing.'),
    retentionPolicy: setting(z.string(), '', 'Retention policy (v1 API); empty means the default one.'),
    username: setting(z.string(), '', 'User name (v1 API).'),
    password: secretSetting(z.string(), 'Password (v1 API).'),
    batchSize: setting(wholeNumber(1, 50_000), 5000, 'Most points written in one request.'),
    pipelineInterval: duration('10s', "How often the pipeline's own figures (rates, lag) are written to the `pipeline` measurement."),
    panelHealthInterval: duration(
      '1h',
      "How often each panel's representativeness is written to the `panel_health` measurement (also at each draw and refresh).",
    ),
  }),
  surveys: z.strictObject({
    defaultTimeZone: setting(
      z.string().refine(isTimeZone, 'not an IANA time zone (Europe/Paris, America/New_York, …)'),
      'Europe/Paris',
      'The time zone of a person whose profile has no `timezone` attribute: their quiet hours and calendar days are read on its clock.',
    ),
    caps: setting(
      jsonText(promptCapsSchema),
      {},
      'How often one person may be prompted across all surveys (JSON in the environment): `{ "perDay": 2, "perWeek": 5, "perCalendarDay": 2 }`, each optional; `{}` sets no cap beyond each survey\'s own.',
    ),
    promptDeviceTypes: setting(
      jsonText(z.array(typeNameSchema).min(1)),
      ['app'],
      'The device types a person\'s prompts are delivered to, on each such device assigned to them (JSON in the environment: `["app", "kiosk"]`). A person with none keeps their prompts undelivered.',
    ),
    clock: setting(
      z.enum(['system', 'device']),
      'system',
      "The time at which prompts are decided, delivered and expire: `system`, the machine's clock; `device`, the device time the analytics have reached (their watermark), so that replayed or simulated days prompt as they would have then (docs/surveys.md, the surveys' clock).",
    ),
  }),
};

export const configSchema = z
  .strictObject({
    data: sections.data.prefault({}),
    log: sections.log.prefault({}),
    http: sections.http.prefault({}),
    mqtt: sections.mqtt.prefault({}),
    gateway: sections.gateway.prefault({}),
    analytics: sections.analytics.prefault({}),
    sim: sections.sim.prefault({}),
    node: sections.node.prefault({}),
    influx: sections.influx.prefault({}),
    surveys: sections.surveys.prefault({}),
  })
  .refine((config) => !config.node.standby || config.mqtt.mode === 'external' || config.mqtt.persistence === 'redis', {
    path: ['node', 'standby'],
    message: 'a standby needs a lease shared with the active node: mqtt.persistence redis (embedded) or mqtt.mode external',
  });
export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export interface SettingInfo {
  path: string;
  env: string;
  description: string;
  defaultText: string;
  secret: boolean;
}

function snake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

export function envName(section: string, key: string): string {
  return section === 'influx' ? `INFLUX_${snake(key)}` : `PARCOURS_${snake(section)}_${snake(key)}`;
}

/** Every setting with its environment variable, description and default, in schema order. */
export function listSettings(): SettingInfo[] {
  return Object.entries(sections).flatMap(([section, object]) =>
    Object.entries(object.shape).map(([key, schema]) => {
      const doc = docs.get(schema as z.ZodType);
      if (!doc) throw new Error(`setting ${section}.${key} has no description`);
      return { path: `${section}.${key}`, env: envName(section, key), ...doc };
    }),
  );
}
