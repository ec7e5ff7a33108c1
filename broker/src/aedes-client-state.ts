/** What the broker reads of an aedes 1.2 client's own state (private API, hence checked below). */
interface ClientState {
  /** The will of the CONNECT being authenticated (aedes copies it to `will` once authentication passed). */
  _will: { topic: string } | null;
  connackSent: boolean;
}

/**
 * Throws unless the client has the private fields read here, set by aedes' Client constructor. Call it
 * when a client is accepted: an aedes upgrade that renames them must fail the tests, not silently skip the
 * will check at CONNECT or let a delivery overtake the CONNACK.
 */
export function expectClientState(client: unknown): void {
  const state = client as Partial<ClientState>;
  if (!('_will' in state) || typeof state.connackSent !== 'boolean') throw new Error('aedes client without _will/connackSent');
}

export function willTopic(client: unknown): string | null {
  return (client as ClientState)._will?.topic ?? null;
}

export function connackSent(client: unknown): boolean {
  return (client as ClientState).connackSent;
}
