import { errorCodes } from '@parcours/contracts';
import type { AttributionIndex } from '../registry/attribution-index.js';
import { type Attributed, Rejection, type Timed } from './message.js';

/**
 * Attributes the message to its device and to the subjects the registry held at the message's time
 * (its sender was checked first: `check-sender.ts`).
 */
export function attribute(timed: Timed, index: AttributionIndex): Attributed | Rejection {
  const { message, deviceId, body, at } = timed;
  const attribution = index.attribute(deviceId, at, body.channel === 'events' ? body.payload.actor : undefined);
  if (!attribution) return new Rejection(errorCodes.unknownDevice, `device ${deviceId} is not registered`, deviceId, body.channel);
  return { message, deviceId, body, at, deviceTs: timed.deviceTs, late: timed.late, attribution };
}
