/** Drives `total` GETs over `concurrency` workers; counts statuses. Stops early when `signal` aborts. */
export async function load(
  base: string,
  paths: readonly string[],
  opts: { total: number; concurrency?: number; signal?: AbortSignal; onProgress?: (done: number) => void },
): Promise<{ status: Map<number, number>; errors: number; firstError?: string }> {
  const status = new Map<number, number>()
  let next = 0
  let errors = 0
  let firstError: string | undefined
  let done = 0
  const worker = async () => {
    while (next < opts.total && !opts.signal?.aborted) {
      const i = next++
      try {
        const res = await fetch(`${base}${paths[i % paths.length]}`, {
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        })
        await res.arrayBuffer()
        status.set(res.status, (status.get(res.status) ?? 0) + 1)
      } catch (err) {
        // A refused connection after SIGTERM is expected; it was never served.
        errors++
        firstError ??= `${(err as Error).name}: ${(err as Error).message}`
      }
      opts.onProgress?.(++done)
    }
  }
  await Promise.all(Array.from({ length: opts.concurrency ?? 64 }, worker))
  return { status, errors, firstError }
}
