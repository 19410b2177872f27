// drizzle hands postgres.js every query unprepared (prepare: only for queries given a name), so Postgres
// parses and plans each statement on every call. On the webhook path that planning was a large share of the
// database's CPU: preparing made in-process settlement ~40 % faster (bench/settle-profile.ts, 185 → 247–281
// deliveries/s). Statements with at most PREPARE_MAX_PARAMS parameters are prepared (postgres.js keeps them per
// connection, keyed by text); bigger ones (bulk inserts, whose text varies with the row count) stay unprepared,
// so the number of distinct prepared statements per connection stays bounded.
const PREPARE_MAX_PARAMS = 64

type Fn = (...args: unknown[]) => unknown

/** The postgres.js client (or transaction) drizzle talks to, with small statements prepared. */
export function preparingClient<T extends object>(sql: T): T {
  return new Proxy(sql, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (key === 'unsafe')
        return (text: string, params: unknown[] = [], opts: Record<string, unknown> = {}) =>
          (value as Fn)(text, params, {
            ...opts,
            prepare: opts.prepare === true || params.length <= PREPARE_MAX_PARAMS,
          })
      // Transactions and savepoints hand drizzle a new client; it must prepare the same way.
      if (key === 'begin' || key === 'savepoint')
        return (...args: unknown[]) => {
          const body = args[args.length - 1] as (tx: object) => unknown
          return (value as Fn)(...args.slice(0, -1), (tx: object) => body(preparingClient(tx)))
        }
      return value
    },
  })
}
