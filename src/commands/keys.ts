import { openCommandStore } from './command-store.js';
import { apiRoleSchema, errorCodes, ParcoursError, type ApiRole } from '@parcours/contracts';
import { Command, Option } from 'commander';
import type { Gateway } from '@parcours/gateway';
import { pino } from 'pino';
import { loadConfig } from '../config/load-config.js';
import { UsageError } from './usage-error.js';

/** Opens the store of the configured data folder, which must exist (a running Parcours may share it: SQLite in WAL mode). */
function withGateway<T>(configFile: string | undefined, run: (gateway: Gateway) => T): T {
  const config = loadConfig({ file: configFile });
  const { gateway, store } = openCommandStore(config, pino({ level: 'warn' }));
  try {
    return run(gateway);
  } finally {
    store.close();
  }
}

/** `parcours keys create|list|revoke`: API keys and their roles. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('Manage API keys (roles: admin, reader, integrator).');
  const configOption = () => new Option('-c, --config <file>', 'configuration file (for the data folder)');

  keys
    .command('create')
    .description('Create an API key and print it once (only its hash is stored).')
    .addOption(
      new Option('--role <role>', 'admin: everything; reader: read-only; integrator: granted subjects, their sessions and journeys')
        .choices(apiRoleSchema.options)
        .makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'a unique name for the key')
    .option('--subject <id...>', 'subjects an integrator may read (each known to the registry); only for an integrator')
    .addOption(configOption())
    .action((options: { role: ApiRole; name: string; subject?: string[]; config?: string }) => {
      if (options.role === 'integrator' && !options.subject?.length)
        throw new UsageError('an integrator key needs at least one --subject: the subjects it may read');
      const { key, info } = withGateway(options.config, (gateway) =>
        gateway.createApiKey({ name: options.name, role: options.role, subjects: options.subject ?? [] }),
      );
      process.stdout.write(`${key}\n`);
      process.stderr.write(`created ${info.role} key "${info.name}" (${info.id}); it is shown once\n`);
    });

  keys
    .command('list')
    .description('List the API keys (never their values).')
    .addOption(configOption())
    .action((options: { config?: string }) => {
      for (const key of withGateway(options.config, (gateway) => gateway.apiKeys.list())) {
        process.stdout.write(`${key.name}\t${key.role}\t${key.subjects.join(',')}\t${new Date(key.createdAt).toISOString()}\t${key.id}\n`);
      }
    });

  keys
    .command('revoke')
    .description('Revoke an API key by name or id.')
    .argument('<name-or-id>')
    .addOption(configOption())
    .action((nameOrId: string, options: { config?: string }) => {
      if (!withGateway(options.config, (gateway) => gateway.apiKeys.revoke(nameOrId)))
        throw new ParcoursError(errorCodes.notFound, `no API key named ${nameOrId} (parcours keys list shows them)`);
      process.stderr.write(`revoked ${nameOrId}\n`);
    });
  return keys;
}
