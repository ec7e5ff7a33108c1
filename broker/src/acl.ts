/**
 * Who may publish and subscribe where (docs/design.md, "MQTT topics"). Pure functions of a principal and a
 * topic, so that every rule, and every attempt to escape it, has a unit test.
 */

/**
 * An authenticated MQTT client: a device, an API key holder, or an anonymous client (development). It keeps
 * what it logged in with (a device's secret or certificate, a key's id), so that revoking those ends it.
 */
export type Principal =
  | { kind: 'device'; deviceId: string; login: 'secret' | 'certificate' }
  | { kind: 'key'; id: string; name: string; role: 'admin' | 'reader' | 'integrator'; subjects: readonly string[] }
  | { kind: 'anonymous' };

/** One rule of the anonymous ACL, Mosquitto-style: `read|write|readwrite <topic filter>`. */
export interface AclRule {
  access: 'read' | 'write' | 'readwrite';
  filter: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const allow: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

/**
 * Parses `readwrite {base}/devices/#; read {base}/subjects/#` (rules separated by `;` or new lines,
 * `{base}` replaced by the base topic). Throws on a malformed rule: a typo must not open the broker.
 */
export function parseAclRules(text: string, baseTopic: string): AclRule[] {
  return text
    .split(/[;\n]/)
    .map((rule) => rule.trim())
    .filter((rule) => rule !== '')
    .map((rule) => {
      const match = /^(read|write|readwrite)\s+(\S+)$/.exec(rule);
      if (!match || !isValidFilter(match[2]!)) throw new Error(`bad ACL rule "${rule}": expected "read|write|readwrite <topic filter>"`);
      return { access: match[1] as AclRule['access'], filter: match[2]!.replaceAll('{base}', baseTopic) };
    });
}

/** A topic filter as MQTT 3.1.1 defines it: `#` only last and alone in its level, `+` alone in its level. */
export function isValidFilter(filter: string): boolean {
  if (filter === '') return false;
  const levels = filter.split('/');
  return levels.every((level, i) => (level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+'));
}

/**
 * Whether every topic that `filter` matches is also matched by `pattern`, so that subscribing to `filter`
 * cannot receive anything outside `pattern`. Wildcards in `filter` only pass where `pattern` has them too.
 */
export function filterWithin(filter: string, pattern: string): boolean {
  const f = filter.split('/');
  const p = pattern.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    // `a/b/#` also matches `a/b` [MQTT-4.7.1-2], so a filter that stops one level early is still inside.
    if (i >= f.length) return false;
    if (f[i] === '#') return false;
    if (p[i] === '+') continue;
    if (f[i] !== p[i]) return false;
  }
  return f.length === p.length;
}

/** Whether a concrete topic is matched by a filter (`$` topics are never matched by a leading wildcard). */
export function topicMatches(topic: string, filter: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  return filterWithin(topic, filter);
}

export class Acl {
  constructor(
    private readonly baseTopic: string,
    private readonly anonymousRules: readonly AclRule[],
  ) {}

  canPublish(principal: Principal, topic: string): Decision {
    const base = this.baseTopic;
    if (topic.startsWith('$')) return deny('$ topics are the broker’s');
    if (topic.startsWith(`${base}/subjects/`) || topic.startsWith(`${base}/quarantine/`)) return deny('only the platform publishes there');
    switch (principal.kind) {
      case 'device': {
        const own = `${base}/devices/${principal.deviceId}/`;
        if (!topic.startsWith(own)) return deny('a device publishes only under its own devices/{id}/');
        if (topic.startsWith(`${own}commands/`)) return deny('commands go to the device, not from it');
        return allow;
      }
      case 'key':
        // Operators send commands to devices; no key publishes device data in a device's name.
        return principal.role === 'admin' && topicMatches(topic, `${base}/devices/+/commands/#`)
          ? allow
          : deny(`a ${principal.role} key may not publish there`);
      case 'anonymous':
        return this.anonymousRules.some((r) => r.access !== 'read' && topicMatches(topic, r.filter)) ? allow : deny('not in the anonymous ACL');
    }
  }

  canSubscribe(principal: Principal, filter: string): Decision {
    return isValidFilter(filter) ? this.withinGrants(principal, filter) : deny('not a valid topic filter');
  }

  /**
   * Whether a message may be delivered to a subscriber: its subscription was checked when made, but a
   * persistent session may hold subscriptions from before the key's grants were narrowed. (A topic is
   * always a valid filter, so it skips that check: this runs for every delivery.)
   */
  canReceive(principal: Principal, topic: string): boolean {
    return this.withinGrants(principal, topic).allowed;
  }

  private withinGrants(principal: Principal, filter: string): Decision {
    const base = this.baseTopic;
    switch (principal.kind) {
      case 'device':
        return filterWithin(filter, `${base}/devices/${principal.deviceId}/#`) ? allow : deny('a device subscribes only under its own devices/{id}/');
      case 'key':
        if (principal.role === 'admin') return allow;
        if (principal.role === 'reader') return filterWithin(filter, `${base}/subjects/#`) ? allow : deny('a reader key reads only subjects/');
        return principal.subjects.some((subject) => filterWithin(filter, `${base}/subjects/${subject}/#`))
          ? allow
          : deny('an integrator reads only the subjects granted to it');
      case 'anonymous':
        return this.anonymousRules.some((r) => r.access !== 'write' && filterWithin(filter, r.filter)) ? allow : deny('not in the anonymous ACL');
    }
  }
}
