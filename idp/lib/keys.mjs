// The realm's RSA signing keys: generation, rotation (new key signs, old keys stay published) and retirement.
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

function generateSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(24).toString('base64url'),
    alg: 'RS256',
    use: 'sig',
  };
}

/** Private JWKs, newest first; the first one is the signing key. */
export class KeyRing {
  #keys = [generateSigningKey()];

  get currentKid() {
    return this.#keys[0].kid;
  }

  get kids() {
    return this.#keys.map((key) => key.kid);
  }

  /** A fresh private JWKS for oidc-provider (it publishes only the public parts). */
  jwks() {
    return { keys: this.#keys.map((key) => ({ ...key })) };
  }

  /** The public key with this kid, or undefined once it is retired. */
  publicKey(kid) {
    const jwk = this.#keys.find((key) => key.kid === kid);
    return jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : undefined;
  }

  rotate() {
    this.#keys.unshift(generateSigningKey());
  }

  retireOld() {
    this.#keys.length = 1;
  }
}
