import { errorCodes, ParcoursError, type SchemeRun, schemeRunSchema, toIso, weightingSchemeViewSchema } from '@parcours/contracts';
import { Command } from 'commander';
import { apiGet, apiRequest } from './api-client.js';
import { type ApiOptions, apiOf, apiOptions, readRequest } from './api-options.js';
import { UsageError } from './usage-error.js';

const number = (value: number) => (Math.abs(value) >= 1e5 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : value.toFixed(3));

function printRun(run: SchemeRun): void {
  const { report } = run;
  const w = report.weights;
  const lines = [
    `scheme ${run.schemeId} version ${run.version} as of ${toIso(run.at)}: ${run.size} members weighted${run.stored ? '' : ' (checked, not stored)'}`,
    `${report.method}, ${report.converged ? 'converged' : 'NOT converged'} in ${report.iterations} iterations; largest margin error ${number(report.largestMarginError)} people`,
    `weights ${number(w.min)} to ${number(w.max)} (mean ${number(w.mean)}, CV ${number(w.cv)}); design effect ${number(w.designEffect)}, effective size ${number(w.effectiveSize)}; ${report.trimmed} trimmed`,
    '',
    'cell                                    target       before        after',
    ...report.margins.map((m) => {
      const cell = Object.entries(m.levels)
        .map(([variable, level]) => `${variable}=${level}`)
        .join(', ');
      return `${cell.padEnd(36)} ${number(m.target).padStart(10)} ${number(m.before).padStart(12)} ${number(m.after).padStart(12)}`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const schemePath = (id: string) => `/weighting-schemes/${encodeURIComponent(id)}`;

function versionOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const version = Number(text);
  if (!Number.isInteger(version) || version < 1) throw new UsageError(`--scheme-version ${text}: a version is 1, 2, …`);
  return version;
}

/** Stores the scheme of `file` as `id`'s next version (its first when there is none); answers the version. */
async function storeFile(api: ReturnType<typeof apiOf>, id: string, file: string): Promise<number> {
  // The argument names the scheme; an `id` in the file is not part of a version.
  const { id: _, ...scheme } = readRequest(file) as Record<string, unknown>;
  const stored = await apiRequest(api, 'POST', '/weighting-schemes', { ...scheme, id }, weightingSchemeViewSchema).catch(async (error: unknown) => {
    // A scheme of that id exists: the file becomes its next version.
    if (!(error instanceof ParcoursError && error.code === errorCodes.conflict)) throw error;
    return apiRequest(api, 'PUT', schemePath(id), scheme, weightingSchemeViewSchema);
  });
  process.stderr.write(`scheme ${id}: version ${stored.version} stored\n`);
  return stored.version;
}

/** `parcours weights run|report|check`: weighting schemes, through the HTTP API of a running Parcours. */
export function weightsCommand(): Command {
  const weights = new Command('weights').description('Run weighting schemes and read their reports (docs/weighting.md, "Schemes").');
  apiOptions(
    weights
      .command('run')
      .description("Run a scheme's version: one weight per member stored for it, and its report.")
      .argument('<scheme>', "the scheme's id")
      .option('--file <file>', 'store this scheme (JSON or YAML, as POST /api/v1/weighting-schemes takes it) as its next version first')
      .option('--scheme-version <n>', 'the version to run; default the latest')
      .option('--json', 'print the report as JSON'),
  ).action(async (id: string, options: ApiOptions & { file?: string; schemeVersion?: string; json?: boolean }) => {
    const api = apiOf(options);
    const version = options.file ? await storeFile(api, id, options.file) : versionOf(options.schemeVersion);
    const run = await apiRequest(api, 'POST', `${schemePath(id)}/run`, { ...(version ? { version } : {}), dryRun: false }, schemeRunSchema);
    if (options.json) process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    else printRun(run);
  });
  apiOptions(
    weights
      .command('check')
      .description('Run a scheme without storing weights: its report, or why no weights can meet it (the refusal names the cell or variable).')
      .argument('<scheme>', "the scheme's id")
      .option('--file <file>', 'store this scheme (JSON or YAML, as POST /api/v1/weighting-schemes takes it) as its next version first, then check it')
      .option('--scheme-version <n>', 'the version to check; default the latest')
      .option('--json', 'print the report as JSON'),
  ).action(async (id: string, options: ApiOptions & { file?: string; schemeVersion?: string; json?: boolean }) => {
    const api = apiOf(options);
    const version = options.file ? await storeFile(api, id, options.file) : versionOf(options.schemeVersion);
    const run = await apiRequest(api, 'POST', `${schemePath(id)}/run`, { ...(version ? { version } : {}), dryRun: true }, schemeRunSchema);
    if (options.json) process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    else printRun(run);
  });
  apiOptions(
    weights
      .command('report')
      .description("The report of a scheme version's last run.")
      .argument('<scheme>', "the scheme's id")
      .option('--scheme-version <n>', 'the version; default the latest')
      .option('--json', 'print the report as JSON'),
  ).action(async (id: string, options: ApiOptions & { schemeVersion?: string; json?: boolean }) => {
    const version = versionOf(options.schemeVersion);
    const run = await apiGet(apiOf(options), `${schemePath(id)}/report${version ? `?version=${version}` : ''}`, schemeRunSchema);
    if (options.json) process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    else printRun(run);
  });
  return weights;
}
