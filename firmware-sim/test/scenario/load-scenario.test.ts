import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes } from '@parcours/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadScenario } from '../../src/index.js';
import { small } from '../../src/scenarios/small.js';

describe('loadScenario', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parcours-scenario-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('loads a built-in scenario by name', async () => {
    expect((await loadScenario('small')).name).toBe('small');
  });

  it('loads the same world from JSON and from YAML files', async () => {
    await writeFile(join(dir, 'w.json'), JSON.stringify(small));
    await writeFile(join(dir, 'w.yaml'), stringify(small));
    const fromJson = await loadScenario(join(dir, 'w.json'));
    expect(await loadScenario(join(dir, 'w.yaml'))).toEqual(fromJson);
    expect(fromJson).toEqual(await loadScenario('small'));
  });

  it('names the file and the path of each problem', async () => {
    const path = join(dir, 'bad.yml');
    await writeFile(path, stringify({ ...small, devices: [{ ...small.devices[0], owner: 'nobody' }] }));
    await expect(loadScenario(path)).rejects.toMatchObject({ code: errorCodes.config, message: expect.stringMatching(/bad\.yml[\s\S]*devices\[0\]\.owner/) });
  });

  it('names the path and the problem in the new sections: sequences, visitors, reassignments', async () => {
    const path = join(dir, 'changes.yaml');
    const [first, ...rest] = small.devices;
    await writeFile(
      path,
      stringify({
        ...small,
        devices: [{ ...first, reassignments: [{ owner: 'ind-ghost', validFrom: '2025-01-01T00:00:00Z' }] }, ...rest],
        visitors: [
          { id: 'guest', collective: 'hh-martin', from: 17, to: 20, perDay: 1, stay: '1d', uses: [{ device: 'martin-sauna', duration: { typical: '1h' } }] },
        ],
      }),
    );
    const error = (await loadScenario(path).then(
      () => null,
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(/no subject "ind-ghost"\s+→ at devices\[0\]\.reassignments\[0\]\.owner/);
    expect(error.message).toMatch(/must not be before the end of the previous assignment\s+→ at devices\[0\]\.reassignments\[0\]\.validFrom/);
    expect(error.message).toMatch(/no device "martin-sauna"\s+→ at visitors\[0\]\.uses\[0\]\.device/);
  });

  it('rejects an unknown name, a missing file and unparsable text', async () => {
    await expect(loadScenario('huge')).rejects.toThrow(/neither a built-in scenario \(small, city, care-home, coworking, metered-home\)/);
    await expect(loadScenario(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
    await writeFile(join(dir, 'broken.json'), '{"name":');
    await expect(loadScenario(join(dir, 'broken.json'))).rejects.toThrow(/not valid JSON/);
  });
});
