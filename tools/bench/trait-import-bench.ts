import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceSchema } from '@parcours/contracts';
import { EmbeddedStore, gatewayMigrations, ProfileStore, RegistryStore } from '@parcours/gateway';

/**
 * The trait import rate: a generated CRM file of 300,000 rows (plan, age band, segment, a postcode to
 * resolve) imported into a fresh store whose registry and identities already know everyone.
 */
const rows = Number(process.env.BENCH_TRAIT_ROWS ?? 300_000);
const postcodes = ['75001', '75011', '69003', '13008', '01400', '35000', '59000', '33000'];
const plans = ['basic', 'plus', 'premium'];

export function traitImportRate(): { rows: number; rate: number } {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-bench-traits-'));
  const store = EmbeddedStore.open({ dir, sync: 'normal' }, gatewayMigrations);
  try {
    const registry = new RegistryStore(store.db);
    // The people as the registry stores them, written directly: its per-subject checks are not what is measured.
    const person = store.db.prepare("INSERT INTO subjects (id, kind, type, name) VALUES (?, 'individual', 'person', ?)");
    store.db.transaction(() => {
      for (let i = 0; i < rows; i++) person.run(`p-${i}`, `p-${i}`);
    })();
    const profiles = new ProfileStore(store.db, registry);
    profiles.createSource(sourceSchema.parse({ id: 'crm', kind: 'crm', name: 'CRM', joinKeys: ['crm_id'], priority: 100, expectedFreshness: '7d' }));
    const identities = ['individual_id,crm_id'];
    for (let i = 0; i < rows; i++) identities.push(`p-${i},C-${i}`);
    profiles.importIdentities({ csv: `${identities.join('\n')}\n` });
    const lines = ['crm_id,valid_from,plan,age_band,segment,postcode'];
    for (let i = 0; i < rows; i++) lines.push(`C-${i},2026-01-01,${plans[i % 3]},${20 + (i % 6) * 10}s,s${i % 12},${postcodes[i % postcodes.length]}`);
    const csv = `${lines.join('\n')}\n`;
    const started = performance.now();
    const report = profiles.importTraits('crm', { csv });
    const seconds = (performance.now() - started) / 1000;
    if (report.matched !== rows) throw new Error(`only ${report.matched} of ${rows} rows matched`);
    return { rows, rate: rows / seconds };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
