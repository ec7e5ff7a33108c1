import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { accuracyReportSchema, type AccuracyReport } from '@parcours/analytics';

const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));

export interface AccuracyRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `parcours accuracy ARGS…`, a separate process on the data folder of a running Parcours. */
export function accuracyCli(dataDir: string, args: string[]): Promise<AccuracyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [bin, 'accuracy', ...args], { env: { ...process.env, PARCOURS_DATA_DIR: dataDir, PARCOURS_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The report of a `--json` run; its stderr when it wrote none. */
export function parseReport(run: AccuracyRun): AccuracyReport {
  if (!run.stdout) throw new Error(run.stderr);
  return accuracyReportSchema.parse(JSON.parse(run.stdout));
}

/** The figures the targets are about, for failure messages and the record. */
export const figures = (r: AccuracyReport) => JSON.stringify(Object.fromEntries(r.targets.map((t) => [t.name, Number(t.value.toFixed(4))])));
