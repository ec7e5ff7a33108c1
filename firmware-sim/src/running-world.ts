import { devicePresenceSchema, errorCodes, ParcoursError } from '@parcours/contracts';
import { forEachLimited } from './limit.js';
import type { World } from './scenario/schema.js';

/**
 * Two simulators of one world would fight over it: the second issues new secrets and takes over the
 * same MQTT client ids, and the first one's devices are shut out. A world some of whose devices are
 * online (their retained status, as the API serves it) is already running somewhere: refuse it.
 */
export async function refuseRunningWorld(world: World, api: { apiUrl: string; apiKey: string }, concurrency = 16): Promise<void> {
  const online: string[] = [];
  let unreachable = false;
  await forEachLimited(world.devices, concurrency, async (device) => {
    if (online.length > 0 || unreachable) return; // one is enough to refuse
    const url = new URL(`/api/v1/devices/${encodeURIComponent(device.id)}/status`, api.apiUrl);
    const response = await fetch(url, { headers: { authorization: `Bearer ${api.apiKey}` } }).catch(() => null);
    // No API (yet), not registered yet (404), or refused: the registration, which retries, reports it.
    if (response === null) unreachable = true;
    if (!response?.ok) return;
    const presence = devicePresenceSchema.safeParse(await response.json());
    if (presence.success && presence.data.status === 'online') online.push(device.id);
  });
  if (online.length === 0) return;
  throw new ParcoursError(
    errorCodes.worldRunning,
    `scenario "${world.name}" is already running against ${api.apiUrl} (device ${online[0]} is online): stop that simulator first — ` +
      'the one of `parcours start` runs while PARCOURS_SIM_SCENARIO names this scenario (set it to none) — or simulate another scenario',
  );
}
