import type { Attribution } from '@parcours/contracts';
import type { AttributionIndex } from '../registry/attribution-index.js';
import type { EventLog } from '../log/event-log.js';
import type { LogRecord } from '@parcours/contracts';

export interface ReattributeProgress {
  scanned: number;
  total: number;
  changed: number;
}

const fields = ['deviceType', 'subjectId', 'subjectKind', 'subjectType', 'actor', 'actorRejected'] as const;

function differs(record: LogRecord, attribution: Attribution): boolean {
  return fields.some((field) => record[field] !== attribution[field]);
}

/**
 * Attributes the stored events of `[from, to)` again, from the registry as it is now (as of each event's
 * time), and rewrites those that changed. Returns the devices whose events changed, for re-derivation.
 */
export function reattributeEvents(
  log: EventLog,
  index: AttributionIndex,
  from: number,
  to: number,
  onProgress: (p: ReattributeProgress) => void,
): { changed: number; devices: Set<string> } {
  const progress: ReattributeProgress = { scanned: 0, total: log.countTimeRange(from, to), changed: 0 };
  const devices = new Set<string>();
  for (const chunk of log.readTimeRange(from, to)) {
    const changes = chunk.flatMap((record) => {
      const attribution = index.attribute(record.deviceId, record.ts, record.actorHint ?? undefined);
      // A device deleted from the registry keeps the attribution it had.
      if (!attribution || !differs(record, attribution)) return [];
      devices.add(record.deviceId);
      return [{ offset: record.offset, attribution }];
    });
    log.reattribute(changes);
    progress.scanned += chunk.length;
    progress.changed += changes.length;
    onProgress({ ...progress });
  }
  return { changed: progress.changed, devices };
}
