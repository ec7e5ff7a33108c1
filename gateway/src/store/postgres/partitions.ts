/**
 * A device's partition among `count`: FNV-1a of its id, so every node, and every version, agrees without
 * asking anyone. A partition has one owner at a time, which derives its devices' sessions.
 */
export function devicePartition(deviceId: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    hash ^= deviceId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % count;
}
