import type { Config } from '@parcours/contracts';
import type { Database } from '@parcours/gateway';

/** The settings that decide what the analytics derive: a batch run with others would replace results by different ones. */
export function derivationSettings(analytics: Config['analytics']): Record<string, unknown> {
  const { sessionIdleTimeout, sessionMaxLength, sessionRules, journeyGap, actorInference, actorInferenceWindow, inferenceMinConfidence, funnels } = analytics;
  return { sessionIdleTimeout, sessionMaxLength, sessionRules, journeyGap, actorInference, actorInferenceWindow, inferenceMinConfidence, funnels };
}

/**
 * The derivation settings the server last ran with, kept in the store so that a batch command on the
 * same data can tell when it was started with other ones (a forgotten environment variable).
 */
export class DerivationSettingsStore {
  constructor(private readonly db: Database) {}

  record(settings: Record<string, unknown>): void {
    this.db.prepare('INSERT OR REPLACE INTO derivation_settings (id, settings) VALUES (1, ?)').run(JSON.stringify(settings));
  }

  /** The names of the settings that differ from the recorded ones (none recorded: none differ). */
  differences(settings: Record<string, unknown>): string[] {
    const row = this.db.prepare<[], { settings: string }>('SELECT settings FROM derivation_settings WHERE id = 1').get();
    if (!row) return [];
    const recorded = JSON.parse(row.settings) as Record<string, unknown>;
    return Object.keys(settings).filter((key) => JSON.stringify(recorded[key]) !== JSON.stringify(settings[key]));
  }
}
