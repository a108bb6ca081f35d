import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argon2Sync } from 'node:crypto';
import { hashPassword, verifyPassword } from '../src/domain/passwords.ts';
import { passwordProblem } from '../src/domain/password-policy.ts';
import { COMMON_PASSWORDS } from '../src/domain/common-passwords.ts';

const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

test('hashes are argon2id PHC strings with OWASP parameters, a 16-byte salt and a fresh salt each time', async () => {
  const phc = await hashPassword('correct horse battery staple');
  const m = PHC.exec(phc);
  assert.ok(m, phc);
  const salt = Buffer.from(m[1] as string, 'base64');
  const hash = Buffer.from(m[2] as string, 'base64');
  assert.equal(salt.length, 16);
  assert.equal(hash.length, 32);
  // The string really describes the hash: recompute it independently from its parts.
  const again = argon2Sync('argon2id', { message: 'correct horse battery staple', nonce: salt, memory: 19456, passes: 2, parallelism: 1, tagLength: 32 });
  assert.deepEqual(again, hash);
  assert.notEqual(await hashPassword('correct horse battery staple'), phc);
});

test('verify accepts the right password and refuses wrong ones and unreadable hashes', async () => {
  const phc = await hashPassword('correct horse battery staple');
  assert.equal(await verifyPassword('correct horse battery staple', phc), true);
  assert.equal(await verifyPassword('correct horse battery stapler', phc), false);
  assert.equal(await verifyPassword('Correct horse battery staple', phc), false);
  assert.equal(await verifyPassword('correct horse battery staple', 'not a hash'), false);
  assert.equal(await verifyPassword('correct horse battery staple', phc.replace('argon2id', 'argon2i')), false);
  assert.equal(await verifyPassword('correct horse battery staple', phc.replace('m=19456', 'm=99999999')), false, 'absurd memory is refused');
});

test('verify honours the parameters stored in the hash (older hashes keep working)', async () => {
  const salt = Buffer.alloc(16, 7);
  const hash = argon2Sync('argon2id', { message: 'an older passphrase', nonce: salt, memory: 8192, passes: 3, parallelism: 1, tagLength: 32 });
  const phc = `$argon2id$v=19$m=8192,t=3,p=1$${salt.toString('base64').replace(/=+$/, '')}$${hash.toString('base64').replace(/=+$/, '')}`;
  assert.equal(await verifyPassword('an older passphrase', phc), true);
  assert.equal(await verifyPassword('another passphrase', phc), false);
});

test('password policy: length in characters, common list, email local part', () => {
  assert.match(passwordProblem('123456789', 'a@b.co') ?? '', /at least 10/);
  assert.equal(passwordProblem('ééééééééé€', 'a@b.co'), undefined, 'counted in characters, not bytes');
  assert.match(passwordProblem('x'.repeat(129), 'a@b.co') ?? '', /at most 128/);
  assert.equal(passwordProblem('x'.repeat(128), 'a@b.co'), undefined);
  assert.ok(COMMON_PASSWORDS.size >= 100);
  for (const common of ['password123', 'Password123', '1234567890', 'qwertyuiop']) {
    assert.match(passwordProblem(common, 'a@b.co') ?? '', /commonly used/, common);
  }
  assert.match(passwordProblem('Margaret1950!', 'MARGARET@example.com') ?? '', /email/);
  assert.equal(passwordProblem('al is a good name', 'al@example.com'), undefined, 'very short local parts are not checked');
  assert.equal(passwordProblem('correct horse battery staple', 'sam@example.com'), undefined);
});
