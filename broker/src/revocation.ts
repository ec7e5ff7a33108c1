import type { RevokedCredentials } from '@parcours/contracts';
import type { Principal } from './acl.js';

/** Whether a client that logged in as `principal` used credentials that `revoked` ends. */
export function loggedInWith(principal: Principal, revoked: RevokedCredentials): boolean {
  switch (revoked.kind) {
    case 'deviceSecret':
      // A certificate login did not use the secret: it stays.
      return principal.kind === 'device' && principal.deviceId === revoked.deviceId && principal.login === 'secret';
    case 'device':
      return principal.kind === 'device' && principal.deviceId === revoked.deviceId;
    case 'apiKeys':
      return principal.kind === 'key' && !revoked.remaining.has(principal.id);
  }
}

/** The `credentials` label of `parcours_mqtt_revoked_disconnects_total`. */
export const revokedLabel: Record<RevokedCredentials['kind'], string> = { deviceSecret: 'device_secret', device: 'device', apiKeys: 'api_key' };
