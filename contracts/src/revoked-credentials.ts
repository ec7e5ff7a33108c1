/**
 * Credentials that just stopped being valid, as the gateway tells the broker: the sessions that logged in
 * with them must end, since a login is checked only at CONNECT.
 */
export type RevokedCredentials =
  /** The device's secret was replaced: its sessions that logged in with a secret (not with a certificate). */
  | { kind: 'deviceSecret'; deviceId: string }
  /** The device left the registry: every session it has. */
  | { kind: 'device'; deviceId: string }
  /** API keys were revoked or replaced: the sessions of every key that is not among those remaining (by id). */
  | { kind: 'apiKeys'; remaining: ReadonlySet<string> };
