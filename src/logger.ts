import type { Config } from '@parcours/contracts';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** JSON logs by default; pretty ones on a terminal (`auto`) or when asked; `logMethod` may rewrite lines. */
export function createLogger(config: Config['log'], logMethod?: NonNullable<LoggerOptions['hooks']>['logMethod']): Logger {
  const pretty = config.format === 'pretty' || (config.format === 'auto' && process.stdout.isTTY === true);
  return pino({
    level: config.level,
    ...(logMethod ? { hooks: { logMethod } } : {}),
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
