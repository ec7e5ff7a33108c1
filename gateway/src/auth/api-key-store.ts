import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errorCodes, ParcoursError, type ApiKeyInfo, type ApiRole, type RevokedCredentials } from '@parcours/contracts';
import type { Database } from '../store/database.js';

interface KeyRow {
  id: string;
  name: string;
  role: ApiRole;
  subjects: string;
  key_hash: string;
  created_at: number;
}

const toInfo = (r: KeyRow): ApiKeyInfo => ({ id: r.id, name: r.name, role: r.role, subjects: JSON.parse(r.subjects), createdAt: r.created_at });

/**
 * API keys are 256 random bits, so a SHA-256 digest is a safe stored form and can be looked up by index on
 * every request (a slow hash like scrypt would cost 50 ms per call). The key is shown once.
 */
function digest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class ApiKeyStore {
  /** `onRevoked` is told when keys stop being valid here (revoked, replaced), so that their sessions end. */
  constructor(
    private readonly db: Database,
    private readonly onRevoked: (revoked: RevokedCredentials) => void = () => undefined,
  ) {}

  /** Creates a key; the clear key is returned once and never stored. */
  create(input: { name: string; role: ApiRole; subjects?: string[]; key?: string }): { info: ApiKeyInfo; key: string } {
    const key = input.key ?? `pk_${randomBytes(32).toString('base64url')}`;
    const row: KeyRow = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      subjects: JSON.stringify(input.subjects ?? []),
      key_hash: digest(key),
      created_at: Date.now(),
    };
    try {
      this.db
        .prepare('INSERT INTO api_keys (id, name, role, subjects, key_hash, created_at) VALUES (@id, @name, @role, @subjects, @key_hash, @created_at)')
        .run(row);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new ParcoursError(errorCodes.conflict, `an API key named ${input.name} (or with that value) exists`);
      throw error;
    }
    return { info: toInfo(row), key };
  }

  /** Replaces the key of that name (for keys Parcours manages itself, such as the built-in fleet's). */
  replace(input: { name: string; role: ApiRole; key?: string }): { info: ApiKeyInfo; key: string } {
    let replaced = false;
    const created = this.db.transaction(() => {
      replaced = this.db.prepare('DELETE FROM api_keys WHERE name = ?').run(input.name).changes > 0;
      return this.create(input);
    })();
    if (replaced) this.announceRemaining();
    return created;
  }

  verify(key: string): ApiKeyInfo | null {
    const row = this.db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE key_hash = ?').get(digest(key));
    return row ? toInfo(row) : null;
  }

  list(): ApiKeyInfo[] {
    return this.db.prepare<[], KeyRow>('SELECT * FROM api_keys ORDER BY created_at, name').all().map(toInfo);
  }

  revoke(nameOrId: string): boolean {
    const revoked = this.db.prepare('DELETE FROM api_keys WHERE id = ? OR name = ?').run(nameOrId, nameOrId).changes > 0;
    if (revoked) this.announceRemaining();
    return revoked;
  }

  /** Tells that only the keys stored now are valid (also once another process may have revoked some). */
  announceRemaining(): void {
    this.onRevoked({ kind: 'apiKeys', remaining: this.ids() });
  }

  /** The ids of the keys stored now. */
  ids(): Set<string> {
    return new Set(
      this.db
        .prepare<[], { id: string }>('SELECT id FROM api_keys')
        .all()
        .map((row) => row.id),
    );
  }

  count(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM api_keys').get()!.n;
  }
}
