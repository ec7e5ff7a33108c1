import { errorCodes } from '@parcours/contracts';
import type { AttributionIndex } from '../registry/attribution-index.js';
import { type Attributed, Rejection, type Timed } from './message.js';

/**
 * Attributes the message to its device and to the subjects the registry held at the message's time.
 * A device authenticated under its own id may only speak for itself.
 */
export function attribute(timed: Timed, index: AttributionIndex): Attributed | Rejection {
  const { message, deviceId, body, at } = timed;
  const { username } = message;
  if (username !== null && username !== deviceId && index.hasDevice(username)) {
    return new Rejection(errorCodes.topicMismatch, `device ${username} published on the topic of ${deviceId}`, deviceId, body.channel);
  }
  const attribution = index.attribute(deviceId, at, body.channel === 'events' ? body.payload.actor : undefined);
  if (!attribution) return new Rejection(errorCodes.unknownDevice, `device ${deviceId} is not registered`, deviceId, body.channel);
  return { message, deviceId, body, at, deviceTs: timed.deviceTs, late: timed.late, attribution };
}
