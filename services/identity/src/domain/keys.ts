import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import { TOKEN_ALGORITHM } from '@bazaar/kit';
import type { Jwks, PublicJwk } from '@bazaar/contracts/identity';
import type { Clock, SigningKeyRecord, SigningKeyRepository } from './model.ts';

/** The keys identity signs with and publishes. */
export interface KeyRing {
  /** The newest active key signs. */
  signing: { kid: string; key: CryptoKey | Uint8Array };
  /** Every active public key: tokens signed by an older, not yet retired key stay valid. */
  jwks: Jwks;
  /** Local key lookup over `jwks`, for verifying this service's own tokens. */
  verifier: JWTVerifyGetKey;
}

/**
 * Load the active signing keys, generating and storing an Ed25519 pair on
 * first start so tokens survive restarts. Rotation is adding a newer key
 * (it signs from then on) and retiring the old one once its tokens expired.
 */
export async function loadKeyRing(repo: SigningKeyRepository, clock: Clock): Promise<{ ring: KeyRing; created: string | undefined }> {
  let active = await repo.listActive();
  let created: string | undefined;
  if (active.length === 0) {
    const record = await generateSigningKey(clock);
    await repo.insert(record);
    created = record.kid;
    // Re-read: another instance starting at the same moment may have added its own.
    active = await repo.listActive();
  }
  const newest = [...active].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.kid.localeCompare(b.kid)).at(-1);
  if (!newest) throw new Error('No active signing key after generating one');
  const jwks: Jwks = { keys: active.map(publicJwkOf) };
  return {
    ring: {
      signing: { kid: newest.kid, key: await importJWK(newest.privateJwk as JWK, TOKEN_ALGORITHM) },
      jwks,
      verifier: createLocalJWKSet(jwks),
    },
    created,
  };
}

/** A fresh Ed25519 key pair as a storable record; its kid is the RFC 7638 thumbprint. */
export async function generateSigningKey(clock: Clock): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    algorithm: TOKEN_ALGORITHM,
    publicJwk: { ...publicJwk },
    privateJwk: { ...(await exportJWK(privateKey)) },
    createdAt: new Date(clock()).toISOString(),
  };
}

/** Only the public members, named explicitly so a private part can never slip into the JWKS. */
function publicJwkOf(record: SigningKeyRecord): PublicJwk {
  const { kty, crv, x } = record.publicJwk;
  if (typeof kty !== 'string' || typeof crv !== 'string' || typeof x !== 'string') {
    throw new Error(`Signing key ${record.kid} has an unreadable public JWK`);
  }
  return { kty, crv, x, kid: record.kid, alg: 'EdDSA', use: 'sig' };
}
