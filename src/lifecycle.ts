import type { Logger } from './shared/logger.ts'

/** A background task with an explicit life: stop must drain what start accepted. */
export interface Worker {
  readonly name: string
  start(): Promise<void> | void
  stop(): Promise<void> | void
}

/** Starts workers in order and stops them in reverse, so later workers (that feed earlier ones) drain first. */
export class Lifecycle {
  private readonly started: Worker[] = []
  private stopping: Promise<void> | undefined

  constructor(private readonly log: Logger) {}

  async start(workers: readonly Worker[]): Promise<void> {
    for (const w of workers) {
      await w.start()
      this.started.push(w)
      this.log.debug({ worker: w.name }, 'worker started')
    }
  }

  /** Idempotent: a second SIGTERM waits for the first drain instead of starting another. */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll()
    return this.stopping
  }

  private async stopAll(): Promise<void> {
    const errors: unknown[] = []
    for (const w of [...this.started].reverse()) {
      try {
        await w.stop()
        this.log.debug({ worker: w.name }, 'worker stopped')
      } catch (err) {
        errors.push(err)
        this.log.error({ worker: w.name, err }, 'worker failed to stop cleanly')
      }
    }
    this.started.length = 0
    if (errors.length) throw new AggregateError(errors, `${errors.length} worker(s) failed to stop`)
  }
}

/**
 * A worker that runs `pass` at start and then every `intervalMs`, one pass at a time; stop() waits for a pass
 * in progress, so SIGTERM never cuts one off half-way. A failed pass is logged and retried next interval.
 */
export function intervalWorker(opts: {
  name: string
  intervalMs: number
  log: Logger
  pass: () => Promise<void>
}): Worker {
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<void> = Promise.resolve()
  const tick = () => {
    running = running
      .then(opts.pass)
      .catch((err) =>
        opts.log.error({ err, worker: opts.name }, 'worker pass failed; retrying next interval'),
      )
  }
  return {
    name: opts.name,
    start() {
      tick()
      timer = setInterval(tick, opts.intervalMs)
      timer.unref?.()
    },
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
