import { parseDeviceTopic } from '@parcours/contracts';
import type { LogFn } from 'pino';

/**
 * Marks the log lines about the built-in fleet's devices (`simulated: true`, and said in the message):
 * that fleet injects faults on purpose (bad payloads, unknown devices, lost connections), and the
 * warnings they cause must not read as real ones.
 */
export function simulatedDeviceLines(deviceIds: ReadonlySet<string>, baseTopic: string) {
  const names = (fields: Record<string, unknown>): boolean =>
    [fields.deviceId, fields.clientId].some((id) => typeof id === 'string' && deviceIds.has(id)) ||
    (typeof fields.topic === 'string' && deviceIds.has(parseDeviceTopic(baseTopic, fields.topic)?.deviceId ?? ''));
  return function logMethod(this: unknown, args: Parameters<LogFn>, method: LogFn): void {
    const [fields, message, ...rest] = args as unknown[];
    if (fields === null || typeof fields !== 'object' || !names(fields as Record<string, unknown>)) {
      method.apply(this, args);
      return;
    }
    const marked = typeof message === 'string' ? `${message} (simulated device)` : message;
    method.apply(this, [{ ...fields, simulated: true }, marked, ...rest] as Parameters<LogFn>);
  };
}
