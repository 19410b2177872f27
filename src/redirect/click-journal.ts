import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs'
import { join } from 'node:path'
import type { Store } from '../db/store.ts'
import { CLICK_COLUMNS } from './click-encoder.ts'

// Clicks that could not reach Postgres wait here as COPY text, one file per spell of trouble. Replay loads
// each file with duplicate-skipping COPY, so a file replayed twice (a crash between load and unlink, or a
// batch whose commit we never heard about) still lands each click exactly once.

const HEADER = `#skinstack-clicks v1 ${CLICK_COLUMNS.join(',')}\n`
const ACTIVE = 'active.copy'
const ROTATE_BYTES = 16 * 1024 * 1024

export interface ReplayResult {
  files: number
  rows: number
}

export class ClickJournal {
  constructor(readonly dir: string) {}

  /** Appends encoded rows synchronously: when this returns, the clicks are on disk (page cache). */
  append(text: string): void {
    if (!text) return
    mkdirSync(this.dir, { recursive: true })
    const active = join(this.dir, ACTIVE)
    if (!existsSync(active)) appendFileSync(active, HEADER, { mode: 0o600 })
    appendFileSync(active, text)
    if (statSync(active).size > ROTATE_BYTES) this.seal()
  }

  /** Throws what a write would (disk full, not a directory), without writing a click. */
  probe(): void {
    mkdirSync(this.dir, { recursive: true })
    appendFileSync(join(this.dir, '.probe'), '')
  }

  hasPending(): boolean {
    return existsSync(this.dir) && readdirSync(this.dir).some((f) => f.endsWith('.copy'))
  }

  /** Loads every journal file into clicks, oldest first; a file is deleted only after it has committed. */
  async replay(store: Store): Promise<ReplayResult> {
    if (!existsSync(this.dir)) return { files: 0, rows: 0 }
    this.seal()
    const sealed = readdirSync(this.dir)
      .filter((f) => f.startsWith('sealed-') && f.endsWith('.copy'))
      .sort()
    let rows = 0
    for (const f of sealed) {
      const path = join(this.dir, f)
      const text = readFileSync(path, 'utf8')
      if (!text.startsWith(HEADER)) throw new Error(`journal ${path} has an unknown header; left in place`)
      // A crash mid-append can leave a torn last line: everything up to the last newline is whole.
      const body = text.slice(HEADER.length, text.lastIndexOf('\n') + 1)
      rows += await store.copyIn('clicks', CLICK_COLUMNS, body, { ignoreDuplicates: true })
      unlinkSync(path)
    }
    return { files: sealed.length, rows }
  }

  private seal(): void {
    const active = join(this.dir, ACTIVE)
    if (!existsSync(active)) return
    const stamp = `${Date.now()}`.padStart(15, '0')
    renameSync(
      active,
      join(this.dir, `sealed-${stamp}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.copy`),
    )
  }
}
