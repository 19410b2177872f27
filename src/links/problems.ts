import { HttpError } from '../shared/errors.ts'

/** One thing wrong with one input: the HTTP status and code it maps to, and the field it concerns. */
export interface Problem {
  readonly status: 400 | 409 | 422
  readonly code: string
  readonly field: string
  readonly message: string
  /** Machine-readable sub-reason (e.g. the slug rule broken). */
  readonly reason?: string
}

export type ItemProblem = Problem & { readonly index: number }

export const problem = (
  status: Problem['status'],
  code: string,
  field: string,
  message: string,
  reason?: string,
): Problem => ({ status, code, field, message, ...(reason ? { reason } : {}) })

export const isProblem = (v: unknown): v is Problem =>
  typeof v === 'object' && v !== null && 'code' in v && 'status' in v

export const at = (index: number, p: Problem | undefined): ItemProblem[] => (p ? [{ ...p, index }] : [])

/**
 * Throws the first problem (lowest item index) as the response. A bulk response names the item in the
 * message and lists every problem in details, so a 1,000-row import is fixed in one round trip.
 */
export function throwProblems(problems: readonly ItemProblem[], bulk: boolean): void {
  const sorted = [...problems].sort((a, b) => a.index - b.index)
  const first = sorted[0]
  if (!first) return
  const where = bulk ? `items[${first.index}].${first.field}` : first.field
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''
  const item = (p: ItemProblem) => ({
    index: p.index,
    field: p.field,
    code: p.code,
    ...(p.reason ? { reason: p.reason } : {}),
    message: p.message,
  })
  const reason = first.reason ? { reason: first.reason } : {}
  throw new HttpError(
    first.status,
    first.code,
    `${where}: ${first.message}${more}`,
    bulk
      ? { index: first.index, field: first.field, ...reason, problems: sorted.slice(0, 100).map(item) }
      : { field: first.field, ...reason },
  )
}

/** For single-object requests: the first problem found, if any. */
export const throwFirst = (problems: readonly (Problem | undefined)[]) =>
  throwProblems(problems.flatMap((p) => at(0, p)).slice(0, 1), false)
