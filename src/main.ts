#!/usr/bin/env bun
import { runAdminCreate } from './cli/admin.ts'
import { HELP, parseCli, UsageError } from './cli/args.ts'
import { runAttributionRecompute } from './cli/attribution.ts'
import { runPayoutsCommand } from './cli/payouts.ts'
import { runDoctor } from './cli/doctor.ts'
import { runHealthcheck } from './cli/healthcheck.ts'
import { runLedgerVerify } from './cli/ledger.ts'
import { runMigrate, runSeed } from './cli/migrate.ts'
import { runServe } from './cli/serve.ts'
import { runWebhooksReplay } from './cli/webhooks.ts'
import { ConfigError, loadConfig, loadPort } from './config.ts'
import { DatabaseUnavailableError } from './db/client.ts'
import { VERSION } from './version.ts'

async function main(argv: readonly string[]): Promise<number> {
  const cli = parseCli(argv)
  switch (cli.command) {
    case 'help':
      process.stdout.write(HELP)
      return 0
    case 'version':
      process.stdout.write(`skinstack ${VERSION} (bun ${Bun.version})\n`)
      return 0
    case 'healthcheck':
      return runHealthcheck(loadPort(process.env, cli.flags))
  }
  const config = loadConfig(process.env, cli.flags)
  switch (cli.command) {
    case 'serve':
      // Resolves only once a signal has drained and stopped everything.
      return runServe(config, { migrate: cli.migrate })
    case 'migrate':
      return runMigrate(config)
    case 'seed':
      return runSeed(config)
    case 'doctor':
      return runDoctor(config)
    case 'ledger':
      return runLedgerVerify(config, { json: cli.ledger?.json ?? false })
    case 'attribution':
      if (!cli.attribution) throw new UsageError('attribution needs an action')
      return runAttributionRecompute(config, cli.attribution)
    case 'payouts':
      if (!cli.payouts) throw new UsageError('payouts needs an action')
      return runPayoutsCommand(config, cli.payouts)
    case 'webhooks':
      if (!cli.webhooks) throw new UsageError('webhooks needs an action')
      return runWebhooksReplay(config, cli.webhooks)
    case 'admin':
      if (!cli.admin) throw new UsageError('admin needs an action')
      return runAdminCreate(config, cli.admin)
  }
}

// Operators see one readable line per problem, never a stack trace, and an exit code scripts can act on.
main(Bun.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`skinstack: ${err.message}\nRun 'skinstack --help' for usage.\n`)
      process.exit(2)
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`skinstack: invalid configuration:\n  ${err.message.split('\n').join('\n  ')}\n`)
      process.exit(2)
    }
    if (err instanceof DatabaseUnavailableError) {
      process.stderr.write(`skinstack: ${err.message}\n`)
      process.exit(1)
    }
    process.stderr.write(`skinstack: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
