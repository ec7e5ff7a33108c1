import { errorCodes } from '@parcours/contracts';
import type { AttributionIndex } from '../registry/attribution-index.js';
import { type InboundMessage, Rejection } from './message.js';

/**
 * A device authenticated under its own id may only speak for itself. Checked on the topic alone, before
 * anything the payload says: a device on another device's topic is refused as such, whatever it sent
 * (an impersonation attempt must not pass for the other device's schema error).
 */
export function checkSender(message: InboundMessage, topicDevice: Pick<Rejection, 'deviceId' | 'channel'>, index: AttributionIndex): Rejection | null {
  const { username } = message;
  const { deviceId, channel } = topicDevice;
  if (deviceId === null || username === null || username === deviceId || !index.hasDevice(username)) return null;
  return new Rejection(errorCodes.topicMismatch, `device ${username} published on the topic of ${deviceId}`, deviceId, channel);
}
