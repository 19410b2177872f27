import { t } from 'elysia'

export const HealthResponse = t.Object({
  status: t.Literal('ok'),
  version: t.String(),
  uptimeSeconds: t.Number(),
})

export const ReadyResponse = t.Object({
  ready: t.Boolean(),
  checks: t.Object({
    database: t.Object({ ok: t.Boolean(), error: t.Optional(t.String()) }),
    migrations: t.Object({ ok: t.Boolean(), pending: t.Optional(t.Array(t.String())) }),
    clicks: t.Optional(
      t.Object({
        ok: t.Boolean(),
        postgres: t.Boolean(),
        wal: t.Boolean(),
        buffered: t.Integer(),
        unsaved: t.Integer(),
        dropped: t.Integer(),
        journalError: t.Optional(t.String()),
      }),
    ),
  }),
})
