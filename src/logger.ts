import type { Config } from '@parcours/contracts';
import { pino, type Logger } from 'pino';

/** JSON logs by default; pretty ones on a terminal (`auto`) or when asked. */
export function createLogger(config: Config['log']): Logger {
  const pretty = config.format === 'pretty' || (config.format === 'auto' && process.stdout.isTTY === true);
  return pino({
    level: config.level,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
