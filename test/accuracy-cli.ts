import { accuracyReportSchema, type AccuracyReport } from '@parcours/analytics';
import { runCli, type CliRun } from './cli-process.js';

export type AccuracyRun = CliRun;

/** `parcours accuracy ARGS…`, a separate process on the data folder of a running Parcours. */
export function accuracyCli(dataDir: string, args: string[]): Promise<AccuracyRun> {
  return runCli(['accuracy', ...args], { cwd: process.cwd(), env: { PARCOURS_DATA_DIR: dataDir } });
}

/** The report of a `--json` run; its stderr when it wrote none. */
export function parseReport(run: AccuracyRun): AccuracyReport {
  if (!run.stdout) throw new Error(run.stderr);
  return accuracyReportSchema.parse(JSON.parse(run.stdout));
}

/** The figures the targets are about, for failure messages and the record. */
export const figures = (r: AccuracyReport) => JSON.stringify(Object.fromEntries(r.targets.map((t) => [t.name, Number(t.value.toFixed(4))])));
