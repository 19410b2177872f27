import type { CachedLink } from './link-queries.ts'

/** What the redirect knows at response time; enrichment (UA, bot score, IP hash) happens later, off the path. */
export interface ClickRecord {
  /** uuid v7 as 16 bytes: formatted as text only by the flusher, off the response path. */
  readonly id: Buffer
  readonly at: number
  readonly link: CachedLink
  /** The client address, salted and hashed as the request is answered: the raw address is never kept. */
  readonly ipHash: string | null
  readonly ua: string | null
  readonly referer: string | null
  /** The request's query string (without '?'), or null. */
  readonly query: string | null
  readonly head: boolean
  readonly prefetch: boolean
  readonly kid: string
  /** Its slot in the click WAL, set right after the record is built; 0 when it has none. */
  seq: number
}

/**
 * A fixed-capacity FIFO ring: push is O(1) with no allocation beyond the record itself, and memory is bounded
 * by capacity. When it is full the owner is told (onFull) so it can spill to disk rather than drop clicks.
 */
export class ClickBuffer {
  private readonly slots: (ClickRecord | undefined)[]
  private head = 0
  private count = 0

  constructor(
    readonly capacity: number,
    private readonly onFull: (buffer: ClickBuffer) => void,
  ) {
    this.slots = new Array(capacity)
  }

  get size(): number {
    return this.count
  }

  push(rec: ClickRecord): void {
    if (this.count === this.capacity) this.onFull(this)
    if (this.count === this.capacity) throw new Error('click buffer full and onFull freed no space')
    this.slots[(this.head + this.count) % this.capacity] = rec
    this.count++
  }

  /** Removes and returns up to max records, oldest first. */
  take(max: number): ClickRecord[] {
    const n = Math.min(max, this.count)
    const out = new Array<ClickRecord>(n)
    for (let i = 0; i < n; i++) {
      const at = (this.head + i) % this.capacity
      out[i] = this.slots[at] as ClickRecord
      this.slots[at] = undefined
    }
    this.head = (this.head + n) % this.capacity
    this.count -= n
    return out
  }
}
