import { describe, expect, it } from 'vitest';
import { authHeaders, dashboardPages, parseOptions } from '../src/screenshots.js';

describe('parseOptions', () => {
  it('takes the URL from the arguments or GRAFANA_URL, and the credentials from the environment', () => {
    expect(parseOptions(['--url', 'http://grafana:3000/', '--from', 'now-7d'], { GRAFANA_TOKEN: 'glsa_x' })).toEqual({
      url: 'http://grafana:3000',
      out: 'screenshots',
      from: 'now-7d',
      to: 'now',
      width: 1600,
      height: 1000,
      chromium: '/usr/bin/chromium',
      auth: { token: 'glsa_x' },
    });
    expect(parseOptions([], { GRAFANA_URL: 'http://g:3000', GRAFANA_USER: 'admin', GRAFANA_PASSWORD: 'pw' }).auth).toEqual({ user: 'admin', password: 'pw' });
  });

  it('says what is missing or wrong', () => {
    expect(() => parseOptions([], {})).toThrow('no Grafana URL: pass --url or set GRAFANA_URL');
    expect(() => parseOptions(['--url', 'grafana'], {})).toThrow('--url grafana is not a URL');
    expect(() => parseOptions(['--url', 'http://g', '--width', 'wide'], {})).toThrow('--width must be a whole number');
    expect(() => parseOptions(['--url', 'http://g'], { GRAFANA_USER: 'admin' })).toThrow('set both GRAFANA_USER and GRAFANA_PASSWORD');
    expect(() => parseOptions(['--url', 'http://g', '--colour'], {})).toThrow(/colour/);
  });
});

describe('dashboardPages', () => {
  it('has one kiosk page per shipped dashboard, its PNG named after the uid', () => {
    const pages = dashboardPages({ url: 'http://g:3000', out: 'shots', from: 'now-24h', to: 'now' });
    expect(pages.map((p) => p.file)).toEqual([
      'shots/parcours-device-telemetry.png',
      'shots/parcours-fleet-pipeline.png',
      'shots/parcours-funnels-retention.png',
      'shots/parcours-surveys.png',
      'shots/parcours-journeys-paths.png',
      'shots/parcours-panels-communities.png',
      'shots/parcours-subjects.png',
      'shots/parcours-usage-sessions.png',
      'shots/parcours-weighting-quality.png',
    ]);
    expect(pages[1]!.url).toBe('http://g:3000/d/parcours-fleet-pipeline?orgId=1&from=now-24h&to=now&kiosk=');
  });
});

describe('authHeaders', () => {
  it('sends a token as Bearer and a user as Basic', () => {
    expect(authHeaders({ token: 't' })).toEqual({ Authorization: 'Bearer t' });
    expect(authHeaders({ user: 'admin', password: 'pw' })).toEqual({ Authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` });
    expect(authHeaders(null)).toEqual({});
  });
});
