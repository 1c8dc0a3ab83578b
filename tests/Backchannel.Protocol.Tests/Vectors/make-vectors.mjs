// Generates libsignal-0.90.0.json: known answers made by libsignal itself, replayed by the C# tests without node.
//
//   node tests/Backchannel.Protocol.Tests/Vectors/make-vectors.mjs > tests/Backchannel.Protocol.Tests/Vectors/libsignal-0.90.0.json
//
// Uses the libsignal-client 0.90.0 that the interop peer already installs (tests/interop/peer-libsignal). The vectors
// are random each run; commit the output. Every secret here is a throwaway test key.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, '..', '..', 'interop', 'peer-libsignal', 'node_modules', '@signalapp', 'libsignal-client');
const pkg = createRequire(import.meta.url)(path.join(packageDir, 'package.json'));
const S = await import(pathToFileURL(path.join(packageDir, pkg.main)).href);

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const utf8 = (s) => new Uint8Array(Buffer.from(s, 'utf8'));
const randomBytes = (n) => new Uint8Array(Buffer.from(Array.from({ length: n }, () => Math.floor(Math.random() * 256))));

// (a) XEdDSA: libsignal signs; C# verifies. Keep drawing until both sign-bit values are well represented.
function xeddsa() {
  const withBit = [];
  const withoutBit = [];
  let i = 0;
  while (withBit.length < 10 || withoutBit.length < 10) {
    const priv = S.PrivateKey.generate();
    const message = randomBytes(i % 5 === 0 ? 0 : (i * 37) % 300);
    const signature = priv.sign(message);
    const row = {
      privateKey: hex(priv.serialize()),
      publicKey: hex(priv.getPublicKey().serialize()),
      message: hex(message),
      signature: hex(signature),
    };
    if (!priv.getPublicKey().verify(message, signature)) throw new Error('libsignal rejected its own signature');
    const bucket = (signature[63] & 0x80) !== 0 ? withBit : withoutBit;
    if (bucket.length < 10) bucket.push(row);
    i++;
  }
  return [...withBit, ...withoutBit].sort(() => Math.random() - 0.5);
}

// (b1) KEM key pairs made by libsignal (0x08 ‖ 1568 public, 0x08 ‖ 3168 secret).
function kemKeyPairs() {
  return Array.from({ length: 3 }, () => {
    const pair = S.KEMKeyPair.generate();
    return { publicKey: hex(pair.getPublicKey().serialize()), secretKey: hex(pair.getSecretKey().serialize()) };
  });
}

// (b2) The Node API does not expose Kyber encapsulation, so the KEM is exercised end to end instead: libsignal
// Alice sends PreKeySignalMessages to a bundle whose every secret is recorded here.
class MemorySessionStore extends S.SessionStore {
  sessions = new Map();
  async saveSession(address, record) { this.sessions.set(address.toString(), record.serialize()); }
  async getSession(address) {
    const stored = this.sessions.get(address.toString());
    return stored ? S.SessionRecord.deserialize(stored) : null;
  }
  async getExistingSessions(addresses) { return Promise.all(addresses.map((a) => this.getSession(a))); }
}

class MemoryIdentityStore extends S.IdentityKeyStore {
  known = new Map();
  constructor(identity, registrationId) { super(); this.identity = identity; this.registrationId = registrationId; }
  async getIdentityKey() { return this.identity.privateKey; }
  async getLocalRegistrationId() { return this.registrationId; }
  async saveIdentity(address, key) { this.known.set(address.toString(), key); return S.IdentityChange.NewOrUnchanged; }
  async isTrustedIdentity() { return true; }
  async getIdentity(address) { return this.known.get(address.toString()) ?? null; }
}

async function preKeyMessages(withOneTimePreKey) {
  const bob = S.IdentityKeyPair.generate();
  const bobRegistrationId = 1000 + Math.floor(Math.random() * 15000);
  const signed = S.PrivateKey.generate();
  const signedSignature = bob.privateKey.sign(signed.getPublicKey().serialize());
  const kyber = S.KEMKeyPair.generate();
  const kyberSignature = bob.privateKey.sign(kyber.getPublicKey().serialize());
  const oneTime = S.PrivateKey.generate();
  const ids = { signedPreKeyId: 7, kyberPreKeyId: 11, preKeyId: withOneTimePreKey ? 23 : null };
  const bundle = S.PreKeyBundle.new(
    bobRegistrationId, 1,
    ids.preKeyId, withOneTimePreKey ? oneTime.getPublicKey() : null,
    ids.signedPreKeyId, signed.getPublicKey(), signedSignature,
    bob.publicKey,
    ids.kyberPreKeyId, kyber.getPublicKey(), kyberSignature);

  const alice = S.IdentityKeyPair.generate();
  const aliceRegistrationId = 1000 + Math.floor(Math.random() * 15000);
  const sessions = new MemorySessionStore();
  const identities = new MemoryIdentityStore(alice, aliceRegistrationId);
  const bobAddress = S.ProtocolAddress.new('bob', 1);
  await S.processPreKeyBundle(bundle, bobAddress, sessions, identities);
  const plaintexts = ['first message from libsignal', '', 'a third one, longer than one AES block of sixteen bytes'];
  const messages = [];
  for (const text of plaintexts) {
    const ct = await S.signalEncrypt(utf8(text), bobAddress, sessions, identities);
    if (ct.type() !== S.CiphertextMessageType.PreKey) throw new Error('expected a PreKey message');
    messages.push({ type: ct.type(), ciphertext: hex(ct.serialize()), plaintext: hex(utf8(text)) });
  }
  return {
    aliceIdentityKey: hex(alice.publicKey.serialize()),
    aliceRegistrationId,
    bobIdentityKeyPair: hex(bob.serialize()),
    bobRegistrationId,
    signedPreKeyId: ids.signedPreKeyId,
    signedPreKeyPrivate: hex(signed.serialize()),
    signedPreKeyPublic: hex(signed.getPublicKey().serialize()),
    signedPreKeySignature: hex(signedSignature),
    kyberPreKeyId: ids.kyberPreKeyId,
    kyberPreKeyPublic: hex(kyber.getPublicKey().serialize()),
    kyberPreKeySecret: hex(kyber.getSecretKey().serialize()),
    kyberPreKeySignature: hex(kyberSignature),
    preKeyId: ids.preKeyId,
    preKeyPrivate: withOneTimePreKey ? hex(oneTime.serialize()) : null,
    preKeyPublic: withOneTimePreKey ? hex(oneTime.getPublicKey().serialize()) : null,
    messages,
  };
}

// (c) Safety numbers for two identities, at the two iteration counts in use.
function fingerprints() {
  const rows = [];
  for (const iterations of [5200, 1024]) {
    for (let i = 0; i < 2; i++) {
      const local = S.IdentityKeyPair.generate().publicKey;
      const remote = S.IdentityKeyPair.generate().publicKey;
      const localId = i === 0 ? '+14152222222' : crypto.randomUUID();
      const remoteId = i === 0 ? '+14153333333' : crypto.randomUUID();
      const version = i === 0 ? 1 : 2;
      const fp = S.Fingerprint.new(iterations, version, utf8(localId), local, utf8(remoteId), remote);
      rows.push({
        iterations, version,
        localId: hex(utf8(localId)), localKey: hex(local.serialize()),
        remoteId: hex(utf8(remoteId)), remoteKey: hex(remote.serialize()),
        displayable: fp.displayableFingerprint().toString(),
        scannable: hex(fp.scannableFingerprint().toBuffer()),
      });
    }
  }
  return rows;
}

// Identity key pairs in libsignal's IdentityKeyPairStructure.
function identityKeyPairs() {
  return Array.from({ length: 3 }, () => {
    const pair = S.IdentityKeyPair.generate();
    return { serialized: hex(pair.serialize()), publicKey: hex(pair.publicKey.serialize()), privateKey: hex(pair.privateKey.serialize()) };
  });
}

const output = {
  generator: 'tests/Backchannel.Protocol.Tests/Vectors/make-vectors.mjs',
  libsignal: pkg.version,
  xeddsa: xeddsa(),
  kemKeyPairs: kemKeyPairs(),
  preKeyMessages: [await preKeyMessages(true), await preKeyMessages(false)],
  fingerprints: fingerprints(),
  identityKeyPairs: identityKeyPairs(),
};
process.stdout.write(JSON.stringify(output, null, 1) + '\n');
