import pino from 'pino'

export type Logger = pino.Logger

/**
 * JSON lines to stdout; pino transports run in worker threads that do not survive `bun build --compile`.
 * Synchronous writes: nothing on the hot path logs per request, and a line written just before exit (or a
 * crash) must not be lost in an async buffer.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'skinstack' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  )
}
