// Which failures are worth recording on the event row. A lost connection or a server going down is
// transient: nothing can be written anyway, and the sender's retry will do the whole job. Anything else
// (a constraint, a bug, a trigger) will fail again the same way, so the event is kept as 'failed' with its
// error until a retry or `skinstack webhooks replay` completes it.

// SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57 operator intervention
// (admin shutdown, crash recovery, cannot connect now), 40 rollback (serialization failure, deadlock).
const TRANSIENT_SQLSTATE = /^(08|53|57|40)/
// postgres.js and Node's own codes for a socket that never opened or went away.
const TRANSIENT_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
])

/** drizzle wraps driver errors (DrizzleQueryError.cause): the chain, outermost first. */
function chain(err: unknown): { code?: unknown; message?: unknown }[] {
  const out: { code?: unknown; message?: unknown; cause?: unknown }[] = []
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    out.push(e as { cause?: unknown })
    e = (e as { cause?: unknown }).cause
  }
  return out
}

export function isTransientDbError(err: unknown): boolean {
  return chain(err).some(
    (e) =>
      typeof e.code === 'string' &&
      (TRANSIENT_CODES.has(e.code) || (/^[0-9A-Z]{5}$/.test(e.code) && TRANSIENT_SQLSTATE.test(e.code))),
  )
}

/** The innermost message (the database's own words, not drizzle's "Failed query: …" with parameters). */
export function failureMessage(err: unknown): string {
  const messages = chain(err).flatMap((e) => (typeof e.message === 'string' ? [e.message] : []))
  const message = messages.at(-1) ?? String(err)
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message
}
