import pino from 'pino'

export type Logger = pino.Logger

/** JSON lines to stdout; pino transports run in worker threads that do not survive `bun build --compile`. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'skinstack' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  )
}
