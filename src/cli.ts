import { Command, Option } from 'commander';
import { runAccuracyCommand } from './commands/accuracy.js';
import { analyticsCommand } from './commands/analytics-run.js';
import { certsCommand } from './commands/certs.js';
import { dayCommand } from './commands/day.js';
import { keysCommand } from './commands/keys.js';
import { communityCommand, panelCommand } from './commands/panel.js';
import { runReattributeCommand } from './commands/reattribute.js';
import { runSimCommand, simOptions } from './commands/sim.js';
import { runStartCommand } from './commands/start.js';
import { surveysCommand } from './commands/surveys.js';
import { weightsCommand } from './commands/weights.js';
import { failureLine } from './failure-line.js';
import { version } from './version.js';

/** `parcours <command>`: each command has `--help`; a failure exits non-zero with its error code. */
const program = new Command('parcours')
  .description('Parcours: telemetry from connected objects into usage journeys of people and collectives.')
  .version(version)
  .showHelpAfterError();

program
  .command('start')
  .description(
    'Start the broker, gateway, analytics, HTTP API and (unless PARCOURS_SIM_SCENARIO=none) a simulated fleet, which back-fills the last day at full speed (sessions and journeys within a minute) and then runs live; its log lines say "simulated device".',
  )
  .addOption(new Option('-c, --config <file>', 'configuration file (JSON or YAML); environment variables override it'))
  .action((options: { config?: string }) => runStartCommand(options));

const sim = program.command('sim').description('Run a simulated fleet against a running Parcours (registers it through the HTTP API, publishes over MQTT).');
for (const option of simOptions()) sim.addOption(option);
sim.action(runSimCommand);

program
  .command('reattribute')
  .description(
    'After correcting the registry for a past interval: attribute its stored events again and re-derive what depends on them. With the server stopped; a running server takes it through POST /api/v1/reattribute.',
  )
  .requiredOption('--from <iso>', 'start of the interval (ISO 8601)')
  .requiredOption('--to <iso>', 'end of the interval, excluded (ISO 8601)')
  .option('-c, --config <file>', 'configuration file (data folder, InfluxDB)')
  .action(runReattributeCommand);

program
  .command('accuracy')
  .description("Compare the derived sessions, attribution and transitions with a simulator run's ground truth (precision/recall, shares, error).")
  .requiredOption('--ground-truth <file>', 'the ground-truth file the simulator wrote (ground-truth-<from>-<to>.json)')
  .option('-c, --config <file>', 'configuration file (for the data folder)')
  .option('--tolerance <d>', "how far a session's start and end may be from the truth's and still match, a duration such as 30s (default 0s: exact)")
  .option('--json', 'print the report as JSON')
  .option(
    '--check',
    'exit non-zero when a target is missed: session F1 ≥ 0.99; sessions and events 100% attributed to the right subject, and to the right individual where the registry or a reported actor decides; transition count error ≤ 1%',
  )
  .action(runAccuracyCommand);

program.addCommand(dayCommand());
program.addCommand(analyticsCommand());
program.addCommand(keysCommand());
program.addCommand(certsCommand());
program.addCommand(panelCommand());
program.addCommand(communityCommand());
program.addCommand(weightsCommand());
program.addCommand(surveysCommand());

program.parseAsync().catch((error: unknown) => {
  console.error(failureLine(error));
  process.exitCode = 1;
});
