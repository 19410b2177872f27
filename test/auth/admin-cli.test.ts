import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { testRuntime, testSecretsEnv } from '../helpers/app.ts'
import { cleanEnv, runSource } from '../helpers/binary.ts'
import { createTestDb } from '../helpers/databases.ts'
import { caller, loginAs } from './helpers.ts'

// `skinstack admin create` from source (bun src/main.ts), on a fresh migrated database with no organisation.
const { store, url } = await createTestDb()
const env = { ...testSecretsEnv, DATABASE_URL: url, LOG_LEVEL: 'silent' }
const MAIN = join(import.meta.dir, '..', '..', 'src', 'main.ts')

/** runSource with standard input (the password goes there, never into argv). */
async function withStdin(args: string[], stdin: string) {
  const p = Bun.spawn([process.execPath, MAIN, ...args], {
    env: cleanEnv(env),
    stdin: new Blob([stdin]),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ])
  return { code, stdout, stderr }
}

describe('skinstack admin create', () => {
  test('bootstraps the organisation and an admin who can log in with the password from stdin', async () => {
    const password = 'first admin password, 2026'
    const r = await withStdin(
      ['admin', 'create', '--email', 'Root@Example.test', '--password-stdin'],
      `${password}\n`,
    )
    expect(r.stderr).toContain("created admin root@example.test in organisation 'default' (new)")
    expect(r.code).toBe(0)
    const id = r.stdout.trim()
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    const [user] = await store.query<{ role: string; email: string; password_hash: string; slug: string }>(
      `select u.role, u.email, u.password_hash, o.slug from users u join organisations o on o.id = u.org_id
        where u.id = $1`,
      [id],
    )
    expect(user).toMatchObject({ role: 'admin', email: 'root@example.test', slug: 'default' })
    expect(user!.password_hash).toStartWith('$argon2id$')
    const [audit] = await store.query<{ action: string; all: string }>(
      `select action, row_to_json(a)::text as all from audit_log a where target_id = $1`,
      [id],
    )
    expect(audit!.action).toBe('user.created')
    expect(audit!.all).not.toContain(password)

    const rt = testRuntime(store, url)
    const t = await loginAs(rt.app, 'root@example.test', password)
    expect(await rt.authenticate(`Bearer ${t.accessToken}`)).toMatchObject({ kind: 'admin', userId: id })
    // The session is an admin's: it may create users.
    const created = await caller(rt.app)('POST', '/api/v1/users', {
      auth: t.accessToken,
      body: { email: 'second@example.test', role: 'admin', orgId: (await orgId())! },
    })
    expect(created.status).toBe(201)
  })

  test('a second admin joins the existing organisation; the same email again is refused with exit 1', async () => {
    const r = await runSource(['admin', 'create', '--email', 'nopass@example.test'], env)
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("in organisation 'default'")
    expect(r.stderr).not.toContain('(new)')
    expect(r.stderr).toContain('no password yet')
    const orgs = await store.query<{ n: number }>('select count(*)::int as n from organisations')
    expect(orgs[0]!.n).toBe(1)
    const again = await withStdin(
      ['admin', 'create', '--email', 'ROOT@example.test', '--password-stdin'],
      'another password!!\n',
    )
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('a user with email root@example.test already exists')
    expect(again.stdout).toBe('')
  })

  test('usage errors exit 2; the password never comes from argv', async () => {
    const cases: [string[], string, RegExp][] = [
      [['admin', 'create'], '', /admin create needs --email/],
      [['admin'], '', /admin needs an action/],
      [['admin', 'delete', '--email', 'a@b.test'], '', /unknown admin action 'delete'/],
      [['admin', 'create', '--email', 'not-an-email'], '', /is not an email address/],
      [
        ['admin', 'create', '--email', 'a@b.test', '--password', 'hunter2hunter2'],
        '',
        /Unknown option '--password'/,
      ],
      [['admin', 'create', '--email', 'a@b.test', '--password-stdin'], '', /standard input held no password/],
      [['admin', 'create', '--email', 'a@b.test', '--password-stdin'], 'short\n', /at least 12 characters/],
      [['migrate', '--email', 'a@b.test'], '', /--email applies only to admin create/],
    ]
    for (const [args, stdin, message] of cases) {
      const r = await withStdin(args, stdin)
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      expect(r.stderr).toMatch(message)
    }
    const [n] = await store.query<{ n: number }>(
      `select count(*)::int as n from users where email = 'a@b.test'`,
    )
    expect(n!.n).toBe(0)
  })

  test('an unreachable database exits 1 with a readable message', async () => {
    const r = await runSource(['admin', 'create', '--email', 'x@example.test'], {
      ...env,
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nowhere',
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toStartWith('skinstack: ')
    expect(r.stderr).not.toContain('    at ')
  })
})

async function orgId() {
  const [o] = await store.query<{ id: string }>(`select id from organisations where slug = 'default'`)
  return o?.id
}
