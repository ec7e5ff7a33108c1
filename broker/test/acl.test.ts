import { describe, expect, it } from 'vitest';
import { Acl, filterWithin, isValidFilter, parseAclRules, type Principal } from '../src/acl.js';

const acl = new Acl('parcours', parseAclRules('readwrite {base}/devices/#; read {base}/subjects/#', 'parcours'));
const device: Principal = { kind: 'device', deviceId: 'd1', login: 'secret' };
const integrator: Principal = { kind: 'key', id: 'k1', name: 'crm', role: 'integrator', subjects: ['family-1'] };
const reader: Principal = { kind: 'key', id: 'k2', name: 'bi', role: 'reader', subjects: [] };
const admin: Principal = { kind: 'key', id: 'k3', name: 'ops', role: 'admin', subjects: [] };
const anonymous: Principal = { kind: 'anonymous' };

const pub = (p: Principal, topic: string) => acl.canPublish(p, topic).allowed;
const sub = (p: Principal, filter: string) => acl.canSubscribe(p, filter).allowed;

describe('topic filters', () => {
  it('knows a valid filter', () => {
    expect(['#', 'a/+/b', 'a/#', '+', '$SYS/#'].every(isValidFilter)).toBe(true);
    expect(['', 'a/#/b', 'a/b#', 'a+/b', 'a/+b'].some(isValidFilter)).toBe(false);
  });

  it('contains a filter only when every topic it matches is inside', () => {
    expect(filterWithin('a/b/c', 'a/#')).toBe(true);
    expect(filterWithin('a', 'a/#')).toBe(true); // `a/#` matches its parent level
    expect(filterWithin('a/+', 'a/#')).toBe(true);
    expect(filterWithin('a/+/c', 'a/+/c')).toBe(true);
    expect(filterWithin('+/b', 'a/#')).toBe(false);
    expect(filterWithin('a/#', 'a/b/#')).toBe(false);
    expect(filterWithin('a/b/c', 'a/b')).toBe(false);
    expect(filterWithin('#', 'a/#')).toBe(false);
  });
});

describe('device ACL', () => {
  it('publishes under its own devices/{id}/ only', () => {
    expect(pub(device, 'parcours/devices/d1/telemetry')).toBe(true);
    expect(pub(device, 'parcours/devices/d1/status')).toBe(true);
    expect(pub(device, 'parcours/devices/d2/telemetry')).toBe(false);
    expect(pub(device, 'parcours/devices/d1')).toBe(false);
    expect(pub(device, 'parcours/devices/d10/telemetry')).toBe(false);
    expect(pub(device, 'parcours/devices/d1/commands/reboot')).toBe(false);
    expect(pub(device, 'other/devices/d1/telemetry')).toBe(false);
  });

  it('never publishes under subjects/, quarantine/ or $SYS', () => {
    expect(pub(device, 'parcours/subjects/family-1/sessions')).toBe(false);
    expect(pub(device, 'parcours/quarantine/d1')).toBe(false);
    expect(pub(device, '$SYS/broker/uptime')).toBe(false);
  });

  it('subscribes under its own prefix, and wildcards cannot escape it', () => {
    expect(sub(device, 'parcours/devices/d1/commands/#')).toBe(true);
    expect(sub(device, 'parcours/devices/d1/#')).toBe(true);
    expect(sub(device, 'parcours/devices/d1/+')).toBe(true);
    expect(sub(device, 'parcours/devices/+/commands/#')).toBe(false);
    expect(sub(device, 'parcours/devices/#')).toBe(false);
    expect(sub(device, 'parcours/#')).toBe(false);
    expect(sub(device, '#')).toBe(false);
    expect(sub(device, '+/devices/d1/#')).toBe(false);
    expect(sub(device, '$SYS/#')).toBe(false);
    expect(sub(device, 'parcours/devices/d2/commands/#')).toBe(false);
    expect(sub(device, 'parcours/subjects/#')).toBe(false);
    expect(sub(device, '$share/g/parcours/devices/d1/#')).toBe(false);
  });
});

describe('key ACL', () => {
  it('lets an integrator read only the subjects granted to it', () => {
    expect(sub(integrator, 'parcours/subjects/family-1/sessions')).toBe(true);
    expect(sub(integrator, 'parcours/subjects/family-1/#')).toBe(true);
    expect(sub(integrator, 'parcours/subjects/family-2/sessions')).toBe(false);
    expect(sub(integrator, 'parcours/subjects/+/sessions')).toBe(false);
    expect(sub(integrator, 'parcours/subjects/#')).toBe(false);
    expect(sub(integrator, 'parcours/devices/d1/telemetry')).toBe(false);
    expect(sub(integrator, 'parcours/quarantine/#')).toBe(false);
    expect(sub(integrator, '$SYS/#')).toBe(false);
    expect(pub(integrator, 'parcours/subjects/family-1/sessions')).toBe(false);
    expect(acl.canReceive(integrator, 'parcours/subjects/family-2/sessions')).toBe(false);
  });

  it('lets a reader read every subject, and nothing else', () => {
    expect(sub(reader, 'parcours/subjects/+/journeys')).toBe(true);
    expect(sub(reader, 'parcours/quarantine/#')).toBe(false);
    expect(pub(reader, 'parcours/devices/d1/commands/x')).toBe(false);
  });

  it('lets an admin read everything and send commands, but not speak for devices or the platform', () => {
    expect(sub(admin, '#')).toBe(true);
    expect(sub(admin, '$SYS/#')).toBe(true);
    expect(sub(admin, 'parcours/quarantine/#')).toBe(true);
    expect(pub(admin, 'parcours/devices/d1/commands/reboot')).toBe(true);
    expect(pub(admin, 'parcours/devices/d1/telemetry')).toBe(false);
    expect(pub(admin, 'parcours/subjects/family-1/sessions')).toBe(false);
  });
});

describe('anonymous ACL', () => {
  it('follows the configured rules', () => {
    expect(pub(anonymous, 'parcours/devices/x/telemetry')).toBe(true);
    expect(sub(anonymous, 'parcours/subjects/s/sessions')).toBe(true);
    expect(pub(anonymous, 'parcours/subjects/s/sessions')).toBe(false);
    expect(sub(anonymous, '#')).toBe(false);
  });

  it('refuses a malformed rule instead of ignoring it', () => {
    expect(() => parseAclRules('readwrite', 'p')).toThrow(/bad ACL rule/);
    expect(() => parseAclRules('write a/#/b', 'p')).toThrow(/bad ACL rule/);
    expect(() => parseAclRules('all a/#', 'p')).toThrow(/bad ACL rule/);
  });
});
