import { seededRandom } from './random.js';

/**
 * The null space of the cube method's flight matrix, kept up to date as units come and go. The matrix B has
 * one column per undecided unit in the flight (at most p+1 of them) and one row per balancing variable still
 * kept. Rather than eliminating B afresh at every step (p³ operations, too slow for 300,000 units), it keeps
 * T = E·B in reduced row echelon form: E an invertible p × p matrix, the record of Gauss–Jordan row
 * operations; each pivot column of T a unit vector e_r, each row without a pivot zero. A unit joining or leaving
 * costs one pivot, p² operations. Any column without a pivot then gives a null vector: u_f = 1 and
 * u = −T[r][f] on the pivot of each row r, since B·u = E⁻¹·T·u = 0. Pivots are chosen by their size, and the
 * whole is eliminated afresh every so often, and whenever a null vector fails its check against B, so that
 * rounding errors never pile up.
 */
export class FlightBasis {
  /** columns[slot·maxRows + j]: variable j of the unit in the slot, the scaled x_k/π_k. */
  readonly columns: Float64Array;
  private readonly transform: Float64Array;
  private readonly echelon: Float64Array;
  private readonly pivotSlotOfRow: Int32Array;
  private readonly pivotRowOfSlot: Int32Array;
  private readonly occupied: Uint8Array;
  private readonly freeSlots: Int32Array;
  /** A fixed random combination of B's rows, per slot: r·B_s, so that r·(B·u) checks a null vector in slots operations. */
  private readonly projection: Float64Array;
  private readonly rowWeights: Float64Array;
  private readonly nonzero: Int32Array;
  private readonly slotCount: number;
  private rows: number;
  private changes = 0;

  constructor(
    private readonly maxRows: number,
    private readonly tolerance = 1e-9,
    private readonly refreshEvery = 1000,
  ) {
    this.rows = maxRows;
    this.slotCount = maxRows + 1;
    this.columns = new Float64Array(this.slotCount * maxRows);
    this.transform = new Float64Array(maxRows * maxRows);
    this.echelon = new Float64Array(maxRows * this.slotCount);
    this.pivotSlotOfRow = new Int32Array(maxRows).fill(-1);
    this.pivotRowOfSlot = new Int32Array(this.slotCount).fill(-1);
    this.occupied = new Uint8Array(this.slotCount);
    this.freeSlots = new Int32Array(this.slotCount);
    this.projection = new Float64Array(this.slotCount);
    this.nonzero = new Int32Array(maxRows);
    // Weights in [1, 2) from a fixed generator: not the draw's, whose stream they must not disturb.
    const weights = seededRandom(0x5eed);
    this.rowWeights = Float64Array.from({ length: maxRows }, () => 1 + weights());
    this.refactor();
  }

  /** The balancing variables still kept: the first `rows` of each column. */
  get activeRows(): number {
    return this.rows;
  }

  /** Drops the last balancing variable still kept (the landing phase), and eliminates afresh. */
  dropLastRow(): void {
    this.rows--;
    this.refactor();
  }

  /** Takes the slot's column (written into `columns` beforehand) into the basis. */
  add(slot: number): void {
    this.occupied[slot] = 1;
    this.project(slot);
    this.pivotRowOfSlot[slot] = -1;
    this.reduce(slot);
    if (++this.changes >= this.refreshEvery) this.refactor();
  }

  /** Takes the slot's column out; a row left without a pivot takes one from a free column, if any has a say in it. */
  remove(slot: number): void {
    const { echelon, slotCount, pivotRowOfSlot, pivotSlotOfRow, occupied } = this;
    occupied[slot] = 0;
    const row = pivotRowOfSlot[slot]!;
    pivotRowOfSlot[slot] = -1;
    for (let r = 0; r < this.rows; r++) echelon[r * slotCount + slot] = 0;
    if (row < 0) return;
    pivotSlotOfRow[row] = -1;
    let best = -1;
    let largest = 0;
    for (let s = 0; s < slotCount; s++) {
      if (!occupied[s] || pivotRowOfSlot[s]! >= 0) continue;
      const entry = Math.abs(echelon[row * slotCount + s]!);
      if (entry > largest && entry > this.tolerance * this.columnSize(s)) [largest, best] = [entry, s];
    }
    if (best >= 0) this.pivot(row, best);
    else for (let s = 0; s < slotCount; s++) echelon[row * slotCount + s] = 0;
    if (++this.changes >= this.refreshEvery) this.refactor();
  }

  /**
   * A nonzero u (one entry per slot, 0 on empty ones) with B·u = 0, or false when the occupied columns are
   * independent. Checked against B itself; a failed check eliminates afresh and tries again.
   */
  nullVector(u: Float64Array): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      const free = this.pivotRowOfSlot.findIndex((row, s) => row < 0 && this.occupied[s] === 1);
      if (free < 0) return false;
      u.fill(0);
      u[free] = 1;
      for (let r = 0; r < this.rows; r++) {
        const s = this.pivotSlotOfRow[r]!;
        if (s >= 0) u[s] = -this.echelon[r * this.slotCount + free]!;
      }
      if (this.residualIsSmall(u)) return true;
      this.refactor();
    }
    return true;
  }

  /** |r·B·u| small against Σ|r·B_s·u_s|: B·u = 0 up to rounding, short of a coincidence of measure zero. */
  private residualIsSmall(u: Float64Array): boolean {
    let sum = 0;
    let size = 0;
    for (let s = 0; s < this.slotCount; s++) {
      const term = this.projection[s]! * u[s]!;
      sum += term;
      size += Math.abs(term);
    }
    return Math.abs(sum) <= 1e-9 * size;
  }

  private project(slot: number): void {
    let sum = 0;
    for (let j = 0; j < this.rows; j++) sum += this.rowWeights[j]! * this.columns[slot * this.maxRows + j]!;
    this.projection[slot] = sum;
  }

  /** T's column for the slot, E times B's; pivoted on its largest entry among rows without a pivot, if large enough. */
  private reduce(slot: number): void {
    const { transform, echelon, columns, maxRows, slotCount, pivotSlotOfRow, rows } = this;
    // Indicators make most of a column zero: only its nonzero entries are multiplied.
    const { nonzero } = this;
    let count = 0;
    for (let j = 0; j < rows; j++) if (columns[slot * maxRows + j] !== 0) nonzero[count++] = j;
    let size = 0;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let i = 0; i < count; i++) {
        const j = nonzero[i]!;
        sum += transform[r * maxRows + j]! * columns[slot * maxRows + j]!;
      }
      echelon[r * slotCount + slot] = sum;
      size = Math.max(size, Math.abs(sum));
    }
    let best = -1;
    let largest = this.tolerance * size;
    for (let r = 0; r < rows; r++) {
      if (pivotSlotOfRow[r]! >= 0) continue;
      const entry = Math.abs(echelon[r * slotCount + slot]!);
      if (entry > largest) [largest, best] = [entry, r];
    }
    if (best >= 0) this.pivot(best, slot);
    // A column that depends on the pivoted ones: its entries on rows without a pivot are rounding errors.
    else for (let r = 0; r < rows; r++) if (pivotSlotOfRow[r]! < 0) echelon[r * slotCount + slot] = 0;
  }

  /** Gauss–Jordan step: T[row][slot] becomes 1 and the rest of the slot's column 0, by row operations on T and E. */
  private pivot(row: number, slot: number): void {
    const { transform, echelon, maxRows, slotCount, rows } = this;
    // Pivot columns are zero on this row: only the columns without a pivot change, besides the slot's own.
    const { pivotRowOfSlot, occupied, freeSlots } = this;
    let free = 0;
    for (let s = 0; s < slotCount; s++) if (occupied[s] && pivotRowOfSlot[s]! < 0 && s !== slot) freeSlots[free++] = s;
    const scale = 1 / echelon[row * slotCount + slot]!;
    for (let j = 0; j < rows; j++) transform[row * maxRows + j]! *= scale;
    for (let i = 0; i < free; i++) echelon[row * slotCount + freeSlots[i]!]! *= scale;
    for (let r = 0; r < rows; r++) {
      if (r === row) continue;
      const factor = echelon[r * slotCount + slot]!;
      if (factor === 0) continue;
      for (let j = 0; j < rows; j++) transform[r * maxRows + j]! -= factor * transform[row * maxRows + j]!;
      for (let i = 0; i < free; i++) echelon[r * slotCount + freeSlots[i]!]! -= factor * echelon[row * slotCount + freeSlots[i]!]!;
      echelon[r * slotCount + slot] = 0;
    }
    echelon[row * slotCount + slot] = 1;
    this.pivotSlotOfRow[row] = slot;
    this.pivotRowOfSlot[slot] = row;
  }

  /** Eliminates afresh from B: E = I, then each occupied column reduced in turn. */
  private refactor(): void {
    const { transform, maxRows, rows } = this;
    this.changes = 0;
    transform.fill(0);
    for (let r = 0; r < rows; r++) transform[r * maxRows + r] = 1;
    this.echelon.fill(0);
    this.pivotSlotOfRow.fill(-1);
    this.pivotRowOfSlot.fill(-1);
    for (let s = 0; s < this.slotCount; s++) {
      if (!this.occupied[s]) continue;
      this.project(s);
      this.reduce(s);
    }
  }

  private columnSize(slot: number): number {
    let size = 0;
    for (let r = 0; r < this.rows; r++) size = Math.max(size, Math.abs(this.echelon[r * this.slotCount + slot]!));
    return size;
  }
}
