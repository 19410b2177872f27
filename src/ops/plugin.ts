import { Elysia } from 'elysia'
import type { Store } from '../db/store.ts'
import { VERSION } from '../version.ts'
import type { HttpMetrics } from './metrics.ts'
import { HealthResponse, ReadyResponse } from './model.ts'
import { checkReadiness, type ClickCheck } from './service.ts'

const startedAt = performance.now()

export const opsPlugin = ({
  store,
  metrics,
  clicks,
}: {
  store: Store
  metrics: HttpMetrics
  clicks?: () => ClickCheck
}) =>
  new Elysia({ name: 'ops' })
    .get('/healthz', () => ({ status: 'ok' as const, version: VERSION, uptimeSeconds: uptime() }), {
      response: HealthResponse,
      detail: { tags: ['ops'], summary: 'Liveness: the process is up' },
    })
    .get(
      '/readyz',
      async ({ set }) => {
        const r = await checkReadiness({ store, clicks })
        if (!r.ready) set.status = 503
        return r
      },
      {
        response: { 200: ReadyResponse, 503: ReadyResponse },
        detail: { tags: ['ops'], summary: 'Readiness: database reachable and migrations current' },
      },
    )
    .get(
      '/metrics',
      async () =>
        new Response(await metrics.registry.metrics(), {
          headers: { 'content-type': metrics.registry.contentType },
        }),
      { detail: { tags: ['ops'], summary: 'Prometheus metrics (text exposition format)' } },
    )

const uptime = () => Math.round((performance.now() - startedAt) / 10) / 100
