import { Elysia, t } from 'elysia'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { findLiveLink } from './queries.ts'

// The foundation's redirect: a straight lookup. The tracking-links issue replaces it with the LRU hot path.
export const redirectPlugin = ({ store }: { store: Store }) =>
  new Elysia({ name: 'redirect' }).get(
    '/l/:slug',
    async ({ params, redirect }) => {
      const link = await findLiveLink(store, params.slug)
      if (!link)
        throw new HttpError(404, 'link_not_found', `no active tracking link with slug "${params.slug}"`)
      return redirect(link.destinationUrl, 302)
    },
    {
      params: t.Object({ slug: t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) }),
      detail: { tags: ['redirect'], summary: 'Follow a tracking link (302 to its destination)' },
    },
  )
