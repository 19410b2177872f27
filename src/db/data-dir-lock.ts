import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'

/** Another live process holds the embedded database; opening it too would corrupt it. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError'
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * PGlite takes no lock of its own, and two processes writing one data directory corrupt it. A pid file
 * created with O_EXCL stands in: a stale one (its process gone, e.g. after SIGKILL) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, 'skinstack.pid')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(file, { force: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = Number(readFileSync(file, 'utf8').trim())
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder))
        throw new DataDirLockedError(`${dir} is in use by another skinstack process (pid ${holder})`)
      rmSync(file, { force: true })
    }
  }
  throw new DataDirLockedError(`could not lock ${dir}`)
}
