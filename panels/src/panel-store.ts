import type { MemberDraw, Membership, PanelDraw } from '@parcours/contracts';
import { type Database, type RegistryStore, statementCache } from '@parcours/gateway';

/** Why someone left a panel; `rebalanced` and `rotated` are the panel's doing, the others the member's. */
export type LeaveReason = 'opted_out' | 'membership_ended' | 'inactive' | 'left_universe' | 'rebalanced' | 'rotated';

export interface PanelEvent {
  individualId: string;
  action: 'drawn' | 'joined' | 'left';
  reason: LeaveReason | null;
  at: number;
}

export interface StoredPanel {
  id: string;
  name: string;
  definition: PanelDraw;
  createdAt: number;
}

/** A panelist's membership from `at`, open-ended, with how they were drawn. */
const membership = (individualId: string, draw: MemberDraw, at: number) => ({ individualId, role: 'panelist', validFrom: at, validTo: null, draw });

/**
 * Panels as the registry holds them (a collective of type `panel` whose memberships carry how each member
 * was drawn), with what the registry does not hold: the draw's definition, which refreshes and
 * rotations follow, and the history of arrivals and departures.
 */
export class PanelStore {
  /** Statements compiled once: a draw records thousands of arrivals. */
  private readonly prepare: Database['prepare'];

  constructor(
    db: Database,
    private readonly registry: RegistryStore,
  ) {
    this.prepare = statementCache(db);
  }

  /** Writes the panel, its members from `at` and their `drawn` events, in one transaction. */
  create(id: string, request: PanelDraw, at: number, members: readonly { individualId: string; draw: MemberDraw }[], now = Date.now()): void {
    this.registry.batch(() => {
      this.registry.createCollectiveWithMembers(
        { id, kind: 'collective', type: 'panel', name: request.name, attributes: { method: request.design.method, seed: request.seed } },
        members.map((m) => membership(m.individualId, m.draw, at)),
      );
      this.prepare('INSERT INTO panel_definitions (panel_id, definition, created_at) VALUES (?, ?, ?)').run(id, JSON.stringify({ ...request, at }), now);
      for (const m of members) this.record(id, m.individualId, 'drawn', null, at);
    });
  }

  get(id: string): StoredPanel | null {
    const row = this.prepare<[string], { definition: string; created_at: number }>(
      'SELECT definition, created_at FROM panel_definitions WHERE panel_id = ?',
    ).get(id);
    const subject = this.registry.getSubject(id);
    if (!row || !subject) return null;
    // Written by `create` from a parsed request (durations in ms): read back as it was.
    return { id, name: subject.name, definition: JSON.parse(row.definition) as PanelDraw, createdAt: row.created_at };
  }

  list(): StoredPanel[] {
    const ids = this.prepare<[], { panel_id: string }>('SELECT panel_id FROM panel_definitions ORDER BY panel_id').all();
    return ids.map((r) => this.get(r.panel_id)).filter((p): p is StoredPanel => p !== null);
  }

  /** Every membership the panel ever had. */
  memberships(id: string): Membership[] {
    return this.registry.listMemberships({ collectiveId: id, limit: -1, offset: 0 });
  }

  events(id: string, from: number, to: number): PanelEvent[] {
    return this.prepare<[string, number, number], { individual_id: string; action: PanelEvent['action']; reason: LeaveReason | null; at: number }>(
      'SELECT individual_id, action, reason, at FROM panel_events WHERE panel_id = ? AND at >= ? AND at < ? ORDER BY at, id',
    )
      .all(id, from, to)
      .map((r) => ({ individualId: r.individual_id, action: r.action, reason: r.reason, at: r.at }));
  }

  /** Memberships that ended without their departure being recorded yet (an opt-out, an edit through the registry). */
  unrecordedDepartures(id: string, at: number): Membership[] {
    const recorded = new Set(
      this.prepare<[string], { individual_id: string; at: number }>("SELECT individual_id, at FROM panel_events WHERE panel_id = ? AND action = 'left'")
        .all(id)
        .map((r) => `${r.individual_id}@${r.at}`),
    );
    return this.memberships(id).filter((m) => m.validTo !== null && m.validTo <= at && !recorded.has(`${m.individualId}@${m.validTo}`));
  }

  join(panelId: string, individualId: string, draw: MemberDraw, at: number, action: 'drawn' | 'joined'): void {
    this.registry.createMembership({ ...membership(individualId, draw, at), collectiveId: panelId });
    this.record(panelId, individualId, action, null, at);
  }

  /** Ends the membership at `at` (if it still runs) and records why. */
  leave(panelId: string, membership: Membership, reason: LeaveReason, at: number): void {
    if (membership.validTo === null || membership.validTo > at) this.registry.updateMembership(membership.id, { validTo: at });
    this.record(panelId, membership.individualId, 'left', reason, Math.min(at, membership.validTo ?? at));
  }

  private record(panelId: string, individualId: string, action: PanelEvent['action'], reason: LeaveReason | null, at: number): void {
    this.prepare('INSERT INTO panel_events (panel_id, individual_id, action, reason, at) VALUES (?, ?, ?, ?, ?)').run(
      panelId,
      individualId,
      action,
      reason,
      at,
    );
  }
}
