import { parseArgs } from 'node:util'
import type { ConfigFlags } from '../config.ts'

/** A command line the user must correct; main exits 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const COMMANDS = [
  'serve',
  'migrate',
  'doctor',
  'seed',
  'ledger',
  'attribution',
  'payouts',
  'webhooks',
  'admin',
  'healthcheck',
  'version',
  'help',
] as const
export type Command = (typeof COMMANDS)[number]

export const LEDGER_ACTIONS = ['verify'] as const
export type LedgerAction = (typeof LEDGER_ACTIONS)[number]

export const ATTRIBUTION_ACTIONS = ['recompute'] as const
export type AttributionAction = (typeof ATTRIBUTION_ACTIONS)[number]

export const PAYOUTS_ACTIONS = ['run'] as const
export type PayoutsAction = (typeof PAYOUTS_ACTIONS)[number]

export const WEBHOOKS_ACTIONS = ['replay'] as const
export type WebhooksAction = (typeof WEBHOOKS_ACTIONS)[number]

export const ADMIN_ACTIONS = ['create'] as const
export type AdminAction = (typeof ADMIN_ACTIONS)[number]

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface Cli {
  command: Command
  flags: ConfigFlags
  migrate: boolean
  /** ledger: what to do with it; set only for that command. */
  ledger?: { action: LedgerAction; json: boolean }
  /** attribution recompute: the window of conversions received, [from, to). */
  attribution?: { action: AttributionAction; from: Date; to: Date; keepSchema: boolean; json: boolean }
  /** payouts run: the period and currency of the run. */
  payouts?: { action: PayoutsAction; period: string; currency: string; json: boolean }
  /** webhooks: the action and the event it applies to; set only for that command. */
  webhooks?: { action: WebhooksAction; eventId: string; json: boolean }
  /** admin create: the first admin's email; its password is read from stdin with passwordStdin. */
  admin?: { action: AdminAction; email: string; passwordStdin: boolean }
}

export const HELP = `skinstack — self-hosted affiliate tracking engine

Usage: skinstack <command> [flags]

Commands:
  serve        Start the HTTP server (applies pending migrations first unless --no-migrate)
  migrate      Apply pending database migrations and exit
  doctor       Check config, database, migrations, a redirect round trip and clock skew
  seed         Load the demo data set (one merchant, program, influencer and a few links)
  ledger verify [--json]
               Check the money invariants (commission entries, reversals, statuses, attribution
               weights, balances); prints each check's violations, exits 3 if there are any
  attribution recompute --from <date> --to <date> [--keep-schema] [--json]
               Settle the conversions received in [from, to) again with today's code and program
               settings into a scratch schema, and list every difference from the live attributions,
               commissions and reversals; writes nothing live. Exits 3 if anything differs.
               Dates are ISO 8601 (2026-11-01 is midnight UTC); --keep-schema keeps the scratch tables
  payouts run --period <period> [--currency <code>] [--json]
               Pay everyone owed at least their minimum for the period (e.g. 2026-11) in the currency
               (default USD); running a period again finishes what it left in flight and pays no one twice.
               Exits 3 if a payout failed.
  webhooks replay <event-id> [--json]
               Process a stored webhook event (or imported report row) again, by its id (a UUID), e.g.
               one whose processing failed: stores its conversions and settles them exactly once. An
               event already processed is left as it is (and says so); one stored with an invalid
               signature is refused. The signature is not checked again.
  admin create --email <email> [--password-stdin]
               Create an admin user (and the organisation, on a fresh database); prints its id. The
               password is read from standard input (one line), never from the command line; without
               --password-stdin the admin has no password until one is set through the API.
               Exits 1 if the email is taken.
  healthcheck  Exit 0 if the server on --port answers /healthz (for container HEALTHCHECK)
  version      Print the version
  help         Show this help

Flags:
  --port <n>        Listen port (env PORT, default 3000)
  --host <addr>     Listen address (env HOST, default 0.0.0.0)
  --data-dir <dir>  Embedded database directory when DATABASE_URL is unset (env DATA_DIR, default ./data)
  --no-migrate      serve: do not apply pending migrations (/readyz reports them)
  --json            ledger verify, attribution recompute, payouts run, webhooks replay: print the result as JSON
  -h, --help        Show this help
  -v, --version     Print the version

Environment: DATABASE_URL, DATABASE_POOL_SIZE, LOG_LEVEL, TRUSTED_PROXIES, PUBLIC_BASE_URL,
  CLICK_ID_KEYS ("kid:secret,…"), IP_HASH_SALT, MASTER_KEY (32 bytes, hex or base64).
  Without DATABASE_URL, an embedded PostgreSQL (PGlite) keeps data under DATA_DIR.

Exit codes: 0 ok (webhooks replay: processed, or already processed), 1 failure (database unreachable,
  doctor check failed, replayed event failed again), 2 bad usage or configuration, 3 ledger verify found
  violations, attribution recompute found differences or a payout failed, 4 webhooks replay: unknown event id, or an event that cannot be replayed.
`

export function parseCli(argv: readonly string[]): Cli {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify.*$/s, ''))
  }
  const { values, positionals } = parsed
  if (values.help) return { command: 'help', flags: {}, migrate: true }
  if (values.version) return { command: 'version', flags: {}, migrate: true }
  const name = positionals[0] ?? 'help'
  if (!(COMMANDS as readonly string[]).includes(name)) throw new UsageError(`unknown command '${name}'`)
  const command = name as Command
  const arity =
    command === 'ledger' || command === 'attribution' || command === 'payouts' || command === 'admin'
      ? 2
      : command === 'webhooks'
        ? 3
        : 1
  if (positionals.length > arity) throw new UsageError(`unexpected argument '${positionals[arity]}'`)
  if (values['no-migrate'] && command !== 'serve') throw new UsageError('--no-migrate applies only to serve')
  if (values.json && !['ledger', 'webhooks', 'attribution', 'payouts'].includes(command))
    throw new UsageError(
      '--json applies only to ledger verify, attribution recompute, payouts run and webhooks replay',
    )
  for (const f of ['from', 'to', 'keep-schema'] as const)
    if (values[f] !== undefined && command !== 'attribution')
      throw new UsageError(`--${f} applies only to attribution recompute`)
  for (const f of ['period', 'currency'] as const)
    if (values[f] !== undefined && command !== 'payouts')
      throw new UsageError(`--${f} applies only to payouts run`)
  for (const f of ['email', 'password-stdin'] as const)
    if (values[f] !== undefined && command !== 'admin')
      throw new UsageError(`--${f} applies only to admin create`)
  const flags: ConfigFlags = {}
  if (values.port !== undefined) flags.port = values.port
  if (values.host !== undefined) flags.host = values.host
  if (values['data-dir'] !== undefined) flags.dataDir = values['data-dir']
  const cli: Cli = { command, flags, migrate: !values['no-migrate'] }
  if (command === 'ledger')
    cli.ledger = { action: actionOf('ledger', LEDGER_ACTIONS, positionals[1]), json: !!values.json }
  if (command === 'payouts') {
    const action = actionOf('payouts', PAYOUTS_ACTIONS, positionals[1])
    const period = values.period
    if (period === undefined) throw new UsageError('payouts run needs --period (e.g. 2026-11)')
    if (!/^[A-Za-z0-9][A-Za-z0-9:._-]{0,39}$/.test(period))
      throw new UsageError(`--period '${period}' is not a period label`)
    const currency = (values.currency ?? 'USD').toUpperCase()
    if (!/^[A-Z]{3}$/.test(currency))
      throw new UsageError(`--currency '${values.currency}' is not an ISO 4217 code`)
    cli.payouts = { action, period, currency, json: !!values.json }
  }
  if (command === 'attribution') {
    const action = actionOf('attribution', ATTRIBUTION_ACTIONS, positionals[1])
    const from = dateFlag('--from', values.from)
    const to = dateFlag('--to', values.to)
    if (!(from < to)) throw new UsageError('--from must be before --to')
    cli.attribution = { action, from, to, keepSchema: !!values['keep-schema'], json: !!values.json }
  }
  if (command === 'admin') {
    const action = actionOf('admin', ADMIN_ACTIONS, positionals[1])
    const email = values.email?.trim()
    if (!email) throw new UsageError('admin create needs --email')
    if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      throw new UsageError(`--email '${email}' is not an email address`)
    cli.admin = { action, email, passwordStdin: !!values['password-stdin'] }
  }
  if (command === 'webhooks')
    cli.webhooks = {
      action: actionOf('webhooks', WEBHOOKS_ACTIONS, positionals[1]),
      eventId: eventId(positionals[2]),
      json: !!values.json,
    }
  return cli
}

function actionOf<A extends string>(command: string, actions: readonly A[], action: string | undefined): A {
  if (action === undefined) throw new UsageError(`${command} needs an action: ${actions.join(', ')}`)
  if (!(actions as readonly string[]).includes(action))
    throw new UsageError(`unknown ${command} action '${action}' (expected ${actions.join(', ')})`)
  return action as A
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/

function dateFlag(name: string, value: string | undefined): Date {
  if (value === undefined) throw new UsageError(`attribution recompute needs ${name}`)
  const d = new Date(value)
  if (!DATE_RE.test(value) || Number.isNaN(d.getTime()))
    throw new UsageError(`${name} '${value}' is not an ISO 8601 date (2026-11-01) or date-time with a zone`)
  return d
}

function eventId(id: string | undefined): string {
  if (id === undefined) throw new UsageError('webhooks replay needs an event id')
  if (!UUID_RE.test(id)) throw new UsageError(`'${id}' is not an event id (a UUID)`)
  return id.toLowerCase()
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-migrate': { type: 'boolean' },
      json: { type: 'boolean' },
      from: { type: 'string' },
      to: { type: 'string' },
      'keep-schema': { type: 'boolean' },
      period: { type: 'string' },
      currency: { type: 'string' },
      email: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  })
}
