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

  it('rejects an unknown name, a missing file and unparsable text', async () => {
    await expect(loadScenario('huge')).rejects.toThrow(/neither a built-in scenario \(small, city\)/);
    await expect(loadScenario(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
    await writeFile(join(dir, 'broken.json'), '{"name":');
    await expect(loadScenario(join(dir, 'broken.json'))).rejects.toThrow(/not valid JSON/);
  });
});
