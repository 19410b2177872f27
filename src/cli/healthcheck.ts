export async function runHealthcheck(port: number): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
    process.stdout.write(`healthz ${res.status}\n`)
    return res.status === 200 ? 0 : 1
  } catch (err) {
    process.stdout.write(`healthz unreachable: ${(err as Error).message}\n`)
    return 1
  }
}
