import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { presenceFile, runningServer, ServerPresenceMark } from '../src/lifecycle/server-presence.js';

/** The mark a running server leaves in its data folder, as a command on that folder reads it. */
describe('the running server mark', () => {
  const folder = () => mkdtempSync(join(tmpdir(), 'parcours-presence-'));
  const mark = (dir: string, fields: { pid: number; host: string }) =>
    writeFileSync(join(dir, presenceFile), JSON.stringify({ token: 't', http: 'http://localhost:8080', since: '2026-06-01T00:00:00.000Z', ...fields }));

  it('names the server from its start until its stop', async () => {
    const dir = folder();
    const presence = new ServerPresenceMark(dir);
    expect(runningServer(dir)).toBeNull();
    await presence.write('http://127.0.0.1:8080');
    expect(runningServer(dir)).toMatchObject({ pid: process.pid, host: hostname(), http: 'http://127.0.0.1:8080' });
    await presence.remove();
    expect(runningServer(dir)).toBeNull();
  });

  it('leaves the mark of a server that took over since', async () => {
    const dir = folder();
    const previous = new ServerPresenceMark(dir);
    await previous.write('http://a:8080');
    await new ServerPresenceMark(dir).write('http://b:8080');
    await previous.remove();
    expect(runningServer(dir)?.http).toBe('http://b:8080');
  });

  it('ignores the mark a crashed server left on this host, not one of another host', () => {
    const dir = folder();
    const gone = spawnSync('node', ['-e', '']).pid!;
    mark(dir, { pid: gone, host: hostname() });
    expect(runningServer(dir)).toBeNull();
    mark(dir, { pid: gone, host: `not-${hostname()}` });
    expect(runningServer(dir)?.host).toBe(`not-${hostname()}`);
  });
});
