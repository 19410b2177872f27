import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { lockDataDir } from '../db/data-dir-lock.ts'
import type { ClickRecord } from './click-buffer.ts'
import type { CachedLink } from './link-queries.ts'

// A click answered with a 302 must survive the process being killed before the flusher stored it. Each click is
// written into a slot of a file mapped MAP_SHARED (Bun.mmap) as the request is answered: a store into the page
// cache, no syscall, and the kernel keeps it when the process dies (SIGKILL, OOM). What a power cut takes is not
// covered (no msync per click; the journal has the same limit). A slot is live from its write until the flusher
// has committed it to Postgres or appended it to the journal; `durable` in the header marks that point. On the
// next start the live slots become a journal file, whose duplicate-skipping replay stores each click once.

const MAGIC = 0x534b5741 // "SKWA"
const VERSION = 1
const HEADER_BYTES = 64
/** A slot: seq (f64) | payload length (u16) | payload (UTF-8). Longer clicks keep shortened UA/referer/query. */
export const SLOT_BYTES = 1024
const PAYLOAD_AT = 10
const PAYLOAD_MAX = SLOT_BYTES - PAYLOAD_AT
const SEP = '\u0000'
const NULL = '\u0001'
const FIELDS = 14

const opened = new Set<string>()

export interface WalStats {
  written: number
  /** Clicks served without a slot: the file was full (the flusher far behind) or the click too odd to encode. */
  skipped: number
}

export class ClickWal {
  readonly stats: WalStats = { written: 0, skipped: 0 }
  private map: Uint8Array | null = null
  private view: DataView | null = null
  private head = 0
  private durable = 0
  /** Seq ranges [from, to) stored or journaled out of order (the flusher pipelines two batches). */
  private done: [number, number][] = []
  private unlock: (() => void) | null = null
  private readonly enc = new TextEncoder()

  constructor(
    readonly dir: string,
    readonly slots: number,
  ) {}

  get path(): string {
    return join(this.dir, 'clicks.wal')
  }

  get isOpen(): boolean {
    return this.map !== null
  }

  /**
   * Takes the directory's WAL (a live process holding it, or this process already, leaves this one without:
   * false), turning what a previous process left live into click records for `recovered`, and starts afresh.
   */
  open(recovered: (records: ClickRecord[]) => void): boolean {
    if (this.slots === 0 || opened.has(this.path)) return false
    mkdirSync(this.dir, { recursive: true })
    try {
      this.unlock = lockDataDir(this.dir)
    } catch {
      return false
    }
    opened.add(this.path)
    if (existsSync(this.path)) {
      let records: ClickRecord[] = []
      try {
        records = readLive(Bun.mmap(this.path, { shared: false }))
      } catch {
        // An empty file (killed right after creating it) cannot be mapped, and holds nothing.
      }
      // Truncated below only once recovered() has returned: the records are in the journal by then.
      if (records.length) recovered(records)
    }
    // Written out, not a sparse ftruncate: a store into a hole the disk has no room for is SIGBUS, the whole
    // process; a full disk here is an error this function reports instead (the caller runs without a WAL).
    try {
      const fd = openSync(this.path, 'w', 0o600)
      try {
        const zeros = new Uint8Array(1 << 20)
        for (let left = HEADER_BYTES + this.slots * SLOT_BYTES; left > 0; left -= zeros.length)
          writeSync(fd, zeros, 0, Math.min(left, zeros.length))
      } finally {
        closeSync(fd)
      }
    } catch (err) {
      rmSync(this.path, { force: true })
      this.release()
      throw err
    }
    this.map = Bun.mmap(this.path, { shared: true })
    this.view = new DataView(this.map.buffer, this.map.byteOffset, this.map.byteLength)
    this.view.setUint32(0, MAGIC)
    this.view.setUint16(4, VERSION)
    this.view.setUint32(8, this.slots)
    this.view.setUint16(12, SLOT_BYTES)
    this.head = 1
    this.durable = 1
    this.view.setFloat64(16, this.durable)
    return true
  }

  /** Writes the click into its slot; returns its seq, or 0 when it has none (closed, full, unencodable). */
  write(rec: ClickRecord): number {
    const view = this.view
    if (!view || !this.map) return 0
    if (this.head - this.durable >= this.slots) {
      this.stats.skipped++
      return 0
    }
    const seq = this.head
    const at = HEADER_BYTES + (seq % this.slots) * SLOT_BYTES
    const room = this.map.subarray(at + PAYLOAD_AT, at + SLOT_BYTES)
    let text = payload(rec, 0)
    let r = this.enc.encodeInto(text, room)
    if (r.read < text.length) {
      text = payload(rec, 256)
      r = this.enc.encodeInto(text, room)
    }
    if (r.read < text.length || hasSep(rec.ua) || hasSep(rec.referer) || hasSep(rec.query)) {
      this.stats.skipped++
      return 0
    }
    view.setUint16(at + 8, r.written)
    // The seq last: a slot torn by a kill mid-write still carries an older, already durable seq.
    view.setFloat64(at, seq)
    this.head++
    this.stats.written++
    return seq
  }

  /** Clicks [from, to) are stored or journaled: their slots may be reused. */
  durableThrough(from: number, to: number): void {
    if (!this.view || from === 0 || to <= from) return
    this.done.push([from, to])
    this.done.sort((a, b) => a[0] - b[0])
    while (this.done.length && (this.done[0] as [number, number])[0] <= this.durable) {
      const [, end] = this.done.shift() as [number, number]
      this.durable = Math.max(this.durable, end)
    }
    this.view.setFloat64(16, this.durable)
  }

  /** Nothing live is left (after a drain): the file is removed, so a clean stop leaves nothing to recover. */
  close(): void {
    if (!this.map) return
    const clean = this.head === this.durable
    this.map = null
    this.view = null
    if (clean) rmSync(this.path, { force: true })
    this.release()
  }

  private release(): void {
    opened.delete(this.path)
    this.unlock?.()
    this.unlock = null
  }
}

// Headers and URLs cannot carry a NUL, so this never refuses a real click; it keeps the field count exact.
const hasSep = (v: string | null) => v !== null && v.includes(SEP)
const orNull = (v: string | null) => (v === null ? NULL : v)
const cut = (v: string | null, n: number) => (v !== null && n > 0 ? v.slice(0, n) : v)

function payload(rec: ClickRecord, limit: number): string {
  const l = rec.link
  return [
    rec.id.toString('hex'),
    String(rec.at),
    l.id,
    l.slug,
    l.programId,
    l.influencerId,
    orNull(l.campaignId),
    orNull(rec.ipHash),
    orNull(cut(rec.ua, limit)),
    orNull(cut(rec.referer, limit)),
    orNull(cut(rec.query, limit)),
    rec.head ? '1' : '0',
    rec.prefetch ? '1' : '0',
    rec.kid,
  ].join(SEP)
}

const back = (v: string) => (v === NULL ? null : v)

/** The live slots of a WAL file, oldest first (an unknown header: none, the file is not ours). */
export function readLive(map: Uint8Array): ClickRecord[] {
  if (map.byteLength < HEADER_BYTES) return []
  const view = new DataView(map.buffer, map.byteOffset, map.byteLength)
  if (view.getUint32(0) !== MAGIC || view.getUint16(4) !== VERSION || view.getUint16(12) !== SLOT_BYTES)
    return []
  const slots = view.getUint32(8)
  const durable = view.getFloat64(16)
  const dec = new TextDecoder()
  const live: { seq: number; rec: ClickRecord }[] = []
  for (let i = 0; i < slots; i++) {
    const at = HEADER_BYTES + i * SLOT_BYTES
    if (at + SLOT_BYTES > map.byteLength) break
    const seq = view.getFloat64(at)
    if (!(seq >= durable) || !Number.isSafeInteger(seq)) continue
    const len = view.getUint16(at + 8)
    const f = dec
      .decode(map.subarray(at + PAYLOAD_AT, at + PAYLOAD_AT + Math.min(len, PAYLOAD_MAX)))
      .split(SEP)
    if (f.length !== FIELDS) continue
    const link = {
      id: f[2],
      slug: f[3],
      programId: f[4],
      influencerId: f[5],
      campaignId: back(f[6] as string),
    } as CachedLink
    live.push({
      seq,
      rec: {
        id: Buffer.from(f[0] as string, 'hex'),
        at: Number(f[1]),
        link,
        ipHash: back(f[7] as string),
        ua: back(f[8] as string),
        referer: back(f[9] as string),
        query: back(f[10] as string),
        head: f[11] === '1',
        prefetch: f[12] === '1',
        kid: f[13] as string,
        seq: 0,
      },
    })
  }
  return live.sort((a, b) => a.seq - b.seq).map((x) => x.rec)
}
