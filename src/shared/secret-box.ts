import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

// Secrets we must be able to read back (webhook signing secrets, device secrets: HMAC verification needs
// the secret itself) are stored sealed with MASTER_KEY: AES-256-GCM, a fresh 96-bit nonce per seal, and
// associated data naming what the secret belongs to, so a sealed value copied onto another row fails to open.
// Layout: version (1) | nonce (12) | tag (16) | ciphertext.

const VERSION = 1
const NONCE = 12
const TAG = 16

export class SecretBoxError extends Error {
  override name = 'SecretBoxError'
}

export function sealSecret(masterKey: Uint8Array, plaintext: string, context: string): Uint8Array {
  if (masterKey.length !== 32) throw new SecretBoxError('master key must be 32 bytes')
  const nonce = randomBytes(NONCE)
  const cipher = createCipheriv('aes-256-gcm', masterKey, nonce)
  cipher.setAAD(Buffer.from(context))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return new Uint8Array(Buffer.concat([Buffer.from([VERSION]), nonce, cipher.getAuthTag(), body]))
}

export function openSecret(masterKey: Uint8Array, sealed: Uint8Array, context: string): string {
  const b = Buffer.from(sealed)
  if (b.length < 1 + NONCE + TAG || b[0] !== VERSION) throw new SecretBoxError('not a sealed secret')
  const decipher = createDecipheriv('aes-256-gcm', masterKey, b.subarray(1, 1 + NONCE))
  decipher.setAAD(Buffer.from(context))
  decipher.setAuthTag(b.subarray(1 + NONCE, 1 + NONCE + TAG))
  try {
    return Buffer.concat([decipher.update(b.subarray(1 + NONCE + TAG)), decipher.final()]).toString('utf8')
  } catch {
    // Wrong key, wrong context or tampered bytes: GCM cannot tell which, and neither should we.
    throw new SecretBoxError('sealed secret failed authentication')
  }
}
