import type { ClickCheck } from '../ops/service.ts'
import type { Redirect } from './service.ts'

/**
 * Where this host's clicks stand, for /readyz: not ok while the journal refuses writes (disk full, unwritable)
 * or clicks wait in memory with nowhere to go. Redirects keep answering either way; this tells the operator.
 */
export function clickReadiness(r: Redirect): ClickCheck {
  const s = r.flusher.stats
  const ok = s.journalError === null && s.unsaved === 0
  return {
    ok,
    postgres: s.healthy,
    wal: r.wal.isOpen,
    buffered: r.buffer.size,
    unsaved: s.unsaved,
    dropped: s.dropped,
    ...(s.journalError === null ? {} : { journalError: s.journalError }),
  }
}
