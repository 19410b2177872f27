import type { Config } from '../config.ts'
import { stderr, stdout, withCurrentSchema, type Write } from './db-command.ts'
import { DatabaseUnavailableError } from '../db/client.ts'
import { failureMessage, isTransientDbError } from '../webhooks/failures.ts'
import { EventFailedError } from '../webhooks/pipeline.ts'
import { type ReplayOutcome, replayEvent } from '../webhooks/replay.ts'

/** Exit code of `webhooks replay` for an unknown event id or an event that cannot be replayed. */
export const EXIT_NOT_REPLAYABLE = 4

/**
 * `skinstack webhooks replay <event-id> [--json]`: 0 processed or already processed, 4 unknown or not
 * replayable, 1 when the database is unreachable or processing failed again (the error is kept on the event).
 */
export async function runWebhooksReplay(
  config: Config,
  opts: { eventId: string; json: boolean },
  out: Write = stdout,
  err: Write = stderr,
): Promise<number> {
  return withCurrentSchema(config, err, async (store) => {
    let r: ReplayOutcome
    try {
      r = await replayEvent({ store, config }, opts.eventId)
    } catch (e) {
      if (isTransientDbError(e)) throw new DatabaseUnavailableError(`lost the database: ${failureMessage(e)}`)
      if (!(e instanceof EventFailedError)) throw e
      if (opts.json)
        out(`${JSON.stringify({ outcome: 'failed', eventId: e.eventId, error: failureMessage(e.cause) })}\n`)
      err(`skinstack: ${e.message} (kept on the event as 'failed'; fix the cause and replay again)\n`)
      return 1
    }
    if (opts.json) {
      const { kind, ...rest } = r
      out(`${JSON.stringify({ outcome: kind, ...rest })}\n`)
    }
    if (r.kind === 'refused') {
      err(`skinstack: ${r.message}\n`)
      return EXIT_NOT_REPLAYABLE
    }
    if (!opts.json) out(describe(r))
    return 0
  })
}

function describe(r: Exclude<ReplayOutcome, { kind: 'refused' }>): string {
  const ids = r.conversionIds.length ? `: ${r.conversionIds.join(' ')}` : ''
  return r.kind === 'already_processed'
    ? `event ${r.eventId} (${r.source}) was already ${r.status}; nothing changed (${r.conversionIds.length} conversion(s)${ids})\n`
    : `replayed event ${r.eventId} (${r.source}): ${r.status}, ${r.conversionIds.length} conversion(s), ${r.created} new${ids}\n`
}
