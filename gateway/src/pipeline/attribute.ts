import { errorCodes } from '@parcours/contracts';
import type { AttributionIndex } from '../registry/attribution-index.js';
import { reject, type Draft, type Rejection } from './draft.js';

/**
 * Attributes the message to its device and to the subjects the registry held at the message's time.
 * A device authenticated under its own id may only speak for itself.
 */
export function attribute(draft: Draft, index: AttributionIndex): Rejection | void {
  const { deviceId } = draft.topic!;
  const { username } = draft.message;
  if (username !== null && username !== deviceId && index.hasDevice(username)) {
    return reject(errorCodes.topicMismatch, `device ${username} published on the topic of ${deviceId}`);
  }
  const body = draft.body!;
  const at = body.channel === 'status' ? draft.message.receivedAt : body.payload.ts;
  const actor = body.channel === 'events' ? body.payload.actor : undefined;
  const attribution = index.attribute(deviceId, at, actor);
  if (!attribution) return reject(errorCodes.unknownDevice, `device ${deviceId} is not registered`);
  draft.attribution = attribution;
}
