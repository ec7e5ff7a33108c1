import { describe, expect, it } from 'vitest';
import { deviceTopic, isUpstreamDeviceTopic, parseDeviceTopic, subjectTopic } from '../src/topics.js';

describe('topics', () => {
  it('builds and parses device topics', () => {
    expect(deviceTopic('parcours', 'tv-1', 'events')).toBe('parcours/devices/tv-1/events');
    expect(parseDeviceTopic('parcours', 'parcours/devices/tv-1/events')).toEqual({ deviceId: 'tv-1', channel: 'events' });
    expect(parseDeviceTopic('site/a', 'site/a/devices/tv-1/status')).toEqual({ deviceId: 'tv-1', channel: 'status' });
    expect(parseDeviceTopic('parcours', 'parcours/devices/tv-1/other')).toBeNull();
    expect(parseDeviceTopic('parcours', 'parcours/devices/tv-1/events/x')).toBeNull();
    expect(subjectTopic('parcours', 'home', 'sessions')).toBe('parcours/subjects/home/sessions');
  });

  it('sends everything a device publishes under devices/ to the gateway, except commands', () => {
    expect(isUpstreamDeviceTopic('parcours', 'parcours/devices/tv-1/telemetry')).toBe(true);
    expect(isUpstreamDeviceTopic('parcours', 'parcours/devices/tv-1/whatever')).toBe(true);
    expect(isUpstreamDeviceTopic('parcours', 'parcours/devices/tv-1/commands/reboot')).toBe(false);
    expect(isUpstreamDeviceTopic('site/a', 'site/a/devices/tv-1/commands/x')).toBe(false);
    expect(isUpstreamDeviceTopic('parcours', 'parcours/subjects/home/sessions')).toBe(false);
  });
});
