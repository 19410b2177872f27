import { sql } from 'drizzle-orm'
import { recordAudit } from '../audit/service.ts'
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/sessions.ts'
import type { Config } from '../config.ts'
import { rawRows } from '../db/rows.ts'
import type { Db } from '../db/store.ts'
import { UsageError } from './args.ts'
import { stderr, stdout, withCurrentSchema, type Write } from './db-command.ts'

/**
 * `skinstack admin create --email <email> [--password-stdin]`: bootstraps the first admin (and the organisation,
 * if there is none yet). The password comes from standard input only, never from argv (which `ps` shows to
 * everyone). Without --password-stdin the admin has no password until one is set with the admin API key.
 * Prints the new user's id on stdout; exits 0, 2 on bad usage, 1 when the database fails or the email is taken.
 */
export async function runAdminCreate(
  config: Config,
  opts: { email: string; passwordStdin: boolean },
  io: { stdin: () => Promise<string>; out: Write; err: Write } = {
    stdin: () => Bun.stdin.text(),
    out: stdout,
    err: stderr,
  },
): Promise<number> {
  const password = opts.passwordStdin ? readPassword(await io.stdin()) : null
  // Hashed before the database is touched: argon2 takes a moment and needs no connection.
  const hash = password === null ? null : await hashPassword(password)
  const email = opts.email.toLowerCase()
  return withCurrentSchema(config, io.err, async (store) => {
    const created = await store.db.transaction((tx) => createAdmin(tx, email, hash))
    if (!created) {
      io.err(`skinstack: a user with email ${email} already exists; nothing was changed\n`)
      return 1
    }
    io.out(`${created.userId}\n`)
    io.err(
      `created admin ${email} in organisation '${created.orgSlug}'${created.newOrg ? ' (new)' : ''}` +
        (hash ? '\n' : '; it has no password yet: set one with POST /api/v1/users/:id/password\n'),
    )
    return 0
  })
}

/** One line of standard input: a trailing newline (from `echo` or a file) is not part of the password. */
function readPassword(input: string): string {
  const password = input.replace(/\r?\n$/, '')
  if (password.length === 0) throw new UsageError('--password-stdin: standard input held no password')
  if (password.includes('\n')) throw new UsageError('--password-stdin: the password must be a single line')
  if ([...password].length < PASSWORD_MIN_LENGTH)
    throw new UsageError(`the password needs at least ${PASSWORD_MIN_LENGTH} characters`)
  if (password.length > PASSWORD_MAX_LENGTH)
    throw new UsageError(`the password may have at most ${PASSWORD_MAX_LENGTH} characters`)
  return password
}

async function createAdmin(tx: Db, email: string, hash: string | null) {
  const one = async <T>(q: ReturnType<typeof sql>) => (await rawRows<T>(tx, q))[0]
  // The oldest organisation is the installation's; a fresh database gets one. A concurrent bootstrap's insert
  // is absorbed by the slug's unique index.
  let org = await one<{ id: string; slug: string }>(
    sql`select id, slug from organisations order by created_at, id limit 1`,
  )
  let newOrg = false
  if (!org) {
    org = await one<{ id: string; slug: string }>(
      sql`insert into organisations (id, name, slug) values (${Bun.randomUUIDv7()}, 'Default', 'default')
          on conflict (slug) do update set slug = excluded.slug returning id, slug`,
    )
    newOrg = true
  }
  const userId = Bun.randomUUIDv7()
  const inserted = await one<{ id: string }>(
    sql`insert into users (id, org_id, email, password_hash, role)
        values (${userId}, ${org!.id}, ${email}, ${hash}, 'admin')
        on conflict (email) do nothing returning id`,
  )
  if (!inserted) return undefined
  await recordAudit(tx, {
    actor: null,
    action: 'user.created',
    targetType: 'user',
    targetId: userId,
    orgId: org!.id,
    after: { id: userId, email, role: 'admin', canLogIn: hash !== null },
    details: { via: 'cli admin create' },
  })
  return { userId, orgSlug: org!.slug, newOrg }
}
