import type { Duplex } from 'node:stream';
import type { RevokedCredentials } from '@parcours/contracts';
import type { Principal } from './acl.js';
import type { PendingSocket } from './pending-sockets.js';
import type { Sender } from './publish-steps.js';

/** What the broker knows of a connection; its client id and principal are set once its CONNECT is accepted. */
export interface ClientInfo extends Sender {
  clientId: string;
  principal: Principal | null;
  address: string;
  socket: Duplex;
  /** The client's granted subscriptions and their QoS, which aedes loses track of for wildcard filters. */
  filters: Map<string, number>;
  /** It asked for a persistent session without a client id (aedes would make one up). */
  persistentWithoutId: boolean;
  /** While its CONNECT is being checked, the credentials revoked meanwhile: a login with them is refused. */
  revokedDuringLogin: RevokedCredentials[] | null;
  /** Its place among the connections not logged in yet, given up once it is. */
  pending: PendingSocket;
}
