import type { Config } from '../config.ts'
import { openStore } from '../db/client.ts'
import { migrate } from '../db/migrate.ts'
import { seedDemo } from '../db/seed-demo.ts'

export async function runMigrate(config: Config): Promise<number> {
  const store = await openStore(config)
  try {
    const { applied } = await migrate(store.db)
    process.stdout.write(
      applied.length
        ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n`
        : 'database is up to date\n',
    )
    return 0
  } finally {
    await store.close()
  }
}

export async function runSeed(config: Config): Promise<number> {
  const store = await openStore(config)
  try {
    await migrate(store.db)
    const demo = await seedDemo(store.db)
    process.stdout.write(
      `${demo.created ? 'seeded' : 'already seeded'} demo data; links: ${demo.slugs.map((s) => `${config.publicBaseUrl}/l/${s}`).join(' ')}\n`,
    )
    return 0
  } finally {
    await store.close()
  }
}
