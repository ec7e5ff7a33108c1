/** A 32-bit hash of a text: FNV-1a, then MurmurHash3's finalizer so that texts differing in one character spread apart. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * A device's partition among `count`, from its id alone, so every node, and every version, agrees without asking
 * anyone. A partition has one owner at a time, which derives its devices' sessions.
 */
export function devicePartition(deviceId: string, count: number): number {
  return hash32(deviceId) % count;
}
