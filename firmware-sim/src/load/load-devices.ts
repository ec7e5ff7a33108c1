import { deviceCredentialsSchema, errorCodes, ParcoursError, type DeviceCreate } from '@parcours/contracts';
import type { Logger } from 'pino';
import { ApiClient } from '../registrar.js';
import type { LoadDevice, LoadPlan } from './load-plan.js';

/** Requests at a time: registering ten thousand devices must neither take minutes nor flood the API. */
const registerConcurrency = 16;

/**
 * The devices of a load run with the credentials they connect with: as listed, anonymous, or registered
 * through the Parcours API (a new device comes with its secret; one that exists gets a fresh secret).
 */
export async function loadDevices(devices: LoadPlan['devices'], credentials: LoadPlan['credentials'], logger: Logger): Promise<LoadDevice[]> {
  const listed = Array.isArray(devices) ? devices : Array.from({ length: devices.count }, (_, i) => ({ id: `${devices.prefix}${i}` }));
  if (credentials === 'listed') return listed;
  if (credentials === 'anonymous') return listed.map(({ id }) => ({ id }));
  const api = new ApiClient({ apiUrl: credentials.apiUrl, apiKey: credentials.apiKey, logger });
  const secretOf = async ({ id }: LoadDevice): Promise<LoadDevice> => {
    const body: DeviceCreate = { id, type: credentials.deviceType, model: null, name: null };
    const created = await api.post('/api/v1/devices', body, `device ${id}`);
    const answer = created.created
      ? (created.body as { credentials?: unknown }).credentials
      : (await api.post(`/api/v1/devices/${encodeURIComponent(id)}/credentials`, null, `credentials of ${id}`)).body;
    const parsed = deviceCredentialsSchema.safeParse(answer);
    if (!parsed.success) throw new ParcoursError(errorCodes.internal, `credentials of ${id}: unexpected response ${JSON.stringify(answer)}`);
    return { id, username: parsed.data.username, password: parsed.data.secret };
  };
  const registered: LoadDevice[] = [];
  for (let i = 0; i < listed.length; i += registerConcurrency) {
    registered.push(...(await Promise.all(listed.slice(i, i + registerConcurrency).map(secretOf))));
  }
  logger.debug({ devices: registered.length }, 'load devices registered');
  return registered;
}
