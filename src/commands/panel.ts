import {
  communityResultSchema,
  drawPlanSchema,
  type DrawPlan,
  panelRefreshResultSchema,
  panelViewSchema,
  representativenessSchema,
  type Representativeness,
  toIso,
} from '@parcours/contracts';
import { Command } from 'commander';
import { z } from 'zod';
import { apiGet, apiRequest } from './api-client.js';
import { type ApiOptions, apiOf, apiOptions, readRequest } from './api-options.js';

const percent = (share: number) => `${(share * 100).toFixed(2)}%`;
const step = (text: string) => process.stderr.write(`${text}\n`);

function printPlan(plan: DrawPlan): void {
  const worst = plan.expectedMargins.reduce((max, m) => Math.max(max, Math.abs(m.differencePoints)), 0);
  step(
    `universe as of ${toIso(plan.at)}: ${plan.universeSize} individuals${plan.excluded.noStratum > 0 ? ` (${plan.excluded.noStratum} without a stratum, left out)` : ''}`,
  );
  if (plan.cells.length > 0) step(`${plan.cells.length} quota cells, ${plan.size} members; largest expected margin gap ${worst.toFixed(3)} points`);
  else step(`${plan.size} members (balanced); largest expected margin gap ${worst.toFixed(3)} points`);
}

function printHealth(r: Representativeness): void {
  const lines = [
    `panel ${r.panelId} as of ${toIso(r.at)}: ${r.size} members of a universe of ${r.universeSize}`,
    `R-indicator ${r.rIndicator === null ? 'n/a' : r.rIndicator.toFixed(4)}, largest margin gap ${r.maxDifferencePoints.toFixed(3)} points`,
    `churn over ${r.churn.window}: ${r.churn.left} left, ${r.churn.joined} joined (${percent(r.churn.rate)})`,
    '',
    'variable        level            universe    panel     gap (pt)',
    ...r.margins.map(
      (m) =>
        `${m.variable.padEnd(15)} ${m.level.padEnd(16)} ${percent(m.universeShare).padStart(8)} ${percent(m.panelShare).padStart(8)} ${m.differencePoints.toFixed(3).padStart(10)}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `parcours panel draw|health|refresh`: representative panels, through the HTTP API of a running Parcours. */
export function panelCommand(): Command {
  const panel = new Command('panel').description('Draw, judge and refresh representative panels of the customer base (docs/panels.md).');
  apiOptions(
    panel
      .command('draw')
      .description('Draw a panel from a request file (JSON or YAML, as POST /api/v1/panels takes it): the plan first, then the draw.')
      .requiredOption('--file <file>', 'the draw request')
      .option('--dry-run', 'show the allocation and expected margins; write nothing'),
  ).action(async (options: ApiOptions & { file: string; dryRun?: boolean }) => {
    const api = apiOf(options);
    const request = readRequest(options.file);
    step('building the universe and allocating…');
    const { plan } = await apiRequest(api, 'POST', '/panels', { ...request, dryRun: true }, z.object({ plan: drawPlanSchema }));
    printPlan(plan);
    if (options.dryRun) return void process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    step(`drawing and writing ${plan.size} memberships…`);
    const drawn = await apiRequest(api, 'POST', '/panels', { ...request, dryRun: false }, z.object({ panel: panelViewSchema }));
    process.stdout.write(`panel ${drawn.panel.id}: ${drawn.panel.members} members\n`);
  });
  apiOptions(
    panel
      .command('health')
      .description("A panel's representativeness: each margin against its universe, the R-indicator, churn.")
      .argument('<panel>', "the panel's id")
      .option('--at <date>', 'as of this date (ISO 8601); default now')
      .option('--json', 'print the report as JSON'),
  ).action(async (id: string, options: ApiOptions & { at?: string; json?: boolean }) => {
    const query = options.at ? `?at=${encodeURIComponent(options.at)}` : '';
    const report = await apiGet(apiOf(options), `/panels/${encodeURIComponent(id)}/representativeness${query}`, representativenessSchema);
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printHealth(report);
  });
  apiOptions(
    panel
      .command('refresh')
      .description('Record who left, let inactive members or a rotation group go, and bring every quota cell back to its quota.')
      .argument('<panel>', "the panel's id")
      .option('--at <date>', 'as of this date (ISO 8601); default now')
      .option('--inactive-after <duration>', 'members whose devices sent nothing for this long leave (e.g. 30d)')
      .option('--rotate-group <n>', 'rotate this group out')
      .option('--seed <n>', 'chooses among equally good replacements', '1'),
  ).action(async (id: string, options: ApiOptions & { at?: string; inactiveAfter?: string; rotateGroup?: string; seed: string }) => {
    const body = {
      ...(options.at ? { at: options.at } : {}),
      inactiveAfter: options.inactiveAfter ?? null,
      rotateGroup: options.rotateGroup === undefined ? null : Number(options.rotateGroup),
      seed: Number(options.seed),
    };
    const result = await apiRequest(apiOf(options), 'POST', `/panels/${encodeURIComponent(id)}/refresh`, body, panelRefreshResultSchema);
    const left = Object.entries(result.left).map(([reason, n]) => `${n} ${reason}`);
    process.stdout.write(`panel ${id} as of ${toIso(result.at)}: ${result.size} members; left: ${left.join(', ') || 'nobody'}; joined: ${result.joined}\n`);
    for (const s of result.shortfall) process.stdout.write(`  cell ${s.stratum}: ${s.missing} short (nobody left to recruit)\n`);
  });
  return panel;
}

/** `parcours community recruit`: a thematic community inside a panel. */
export function communityCommand(): Command {
  const community = new Command('community').description('Recruit thematic communities inside a panel (docs/panels.md).');
  apiOptions(
    community
      .command('recruit')
      .description('Recruit a community from a request file (JSON or YAML, as POST /api/v1/communities takes it).')
      .requiredOption('--file <file>', 'the recruitment request')
      .option('--dry-run', 'count the eligible members; write nothing'),
  ).action(async (options: ApiOptions & { file: string; dryRun?: boolean }) => {
    const request = { ...readRequest(options.file), dryRun: options.dryRun === true };
    const result = await apiRequest(apiOf(options), 'POST', '/communities', request, communityResultSchema);
    process.stdout.write(
      `${result.dryRun ? 'would recruit' : `community ${result.id}: recruited`} ${result.recruited} of ${result.eligible} eligible members of panel ${result.panelId}\n`,
    );
  });
  return community;
}
