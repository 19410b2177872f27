import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'

/** Debian's chromium (apt-get install chromium; .ci/run installs it). Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const ARTIFACTS = join(import.meta.dir, '..', '..', 'test-artifacts')

/** True when browser tests can run; in CI a missing browser is a failure, not a skip. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run must install Debian's chromium`)
  console.warn(`skipping browser tests: ${CHROMIUM} not installed (apt-get install chromium)`)
  return false
}

export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true })
  // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage', ...extraArgs],
  })
}
