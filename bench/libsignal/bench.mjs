// The benchmark workloads of bench/Backchannel.Benchmarks, run on @signalapp/libsignal-client.
//
// Usage: node bench.mjs <package folder> [--workloads a,b,c] [--warmup-ms N] [--batch-ms N] [--batches N]
//        node bench.mjs <package folder> --paired WORKLOAD [--warmup-ms N] [--batch-ms N]
// The package folder (v0.90.0/ or latest/) holds the pinned libsignal in its node_modules; one script serves
// every version, bridging the API differences by arity (0.92+ take the caller's own address in the 1:1 calls).
//
// Output: one JSON line per workload on stdout; everything else goes to stderr.
// --paired (how bench/compare runs it): warms WORKLOAD up and sizes its batch, prints {"ready":true,"batchOps":N},
// then runs one timed batch per "batch" line read on stdin and answers each with {"opsPerSec":X}, until stdin ends.
// The caller runs its own batches in between, so both sides are timed under the same machine conditions.
//
// Like a real client, and like our InMemory* stores, every store keeps records serialized: each load
// deserializes, each save serializes. Method (the same as the C# harness, Harness.cs): per workload a warm-up
// of --warmup-ms, then a batch size chosen so one batch takes about --batch-ms, then --batches timed batches;
// work a batch needs up front (fresh prekeys for session setup) is done before its clock starts. The figure is
// the median of the batches' ops/s.

import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const packageDir = path.resolve(args[0] ?? 'latest');
const option = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const warmupMs = Number(option('warmup-ms', '1000'));
const batchMs = Number(option('batch-ms', '400'));
const batches = Number(option('batches', '7'));
const wanted = option('workloads', 'setup,oneway,pingpong,group,sealed,fingerprint').split(',');

const libsignalDir = path.join(packageDir, 'node_modules', '@signalapp', 'libsignal-client');
const S = await import(pathToFileURL(path.join(libsignalDir, 'dist', 'index.js')).href);
const { default: pkg } = await import(pathToFileURL(path.join(libsignalDir, 'package.json')).href, {
  with: { type: 'json' },
});

// From 0.92 on, the 1:1 calls take the caller's own address right after the peer's (LIBSIGNAL-FACTS P8).
const takesLocal = {
  processPreKeyBundle: S.processPreKeyBundle.length > 4,
  signalEncrypt: S.signalEncrypt.length > 4,
  signalDecrypt: S.signalDecrypt.length > 4,
  signalDecryptPreKey: S.signalDecryptPreKey.length > 7,
};
const local = (fn, party) => (takesLocal[fn] ? [party.address] : []);

const PLAINTEXT = new Uint8Array(1024).fill(0x61);
const FINGERPRINT_ITERATIONS = 5200;

// ---------------------------------------------------------------------------------------------
// Stores that keep serialized records

const key = (address) => `${address.name()}.${address.deviceId()}`;

class Identities extends S.IdentityKeyStore {
  constructor(party) {
    super();
    this.party = party;
    this.known = new Map();
  }
  async getIdentityKey() {
    return S.PrivateKey.deserialize(this.party.identityPrivate);
  }
  async getLocalRegistrationId() {
    return this.party.registrationId;
  }
  async getIdentity(address) {
    const known = this.known.get(key(address));
    return known ? S.PublicKey.deserialize(known) : null;
  }
  async saveIdentity(address, identity) {
    const id = key(address);
    const known = this.known.get(id);
    const serialized = identity.serialize();
    this.known.set(id, serialized);
    return known && !Buffer.from(known).equals(serialized) ? S.IdentityChange.ReplacedExisting : S.IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(address, identity) {
    const known = this.known.get(key(address));
    return !known || Buffer.from(known).equals(identity.serialize());
  }
}

class Sessions extends S.SessionStore {
  constructor() {
    super();
    this.records = new Map();
  }
  async saveSession(address, record) {
    this.records.set(key(address), record.serialize());
  }
  async getSession(address) {
    const stored = this.records.get(key(address));
    return stored ? S.SessionRecord.deserialize(stored) : null;
  }
  async getExistingSessions(addresses) {
    return addresses.map((a) => S.SessionRecord.deserialize(this.records.get(key(a))));
  }
}

class PreKeys extends S.PreKeyStore {
  constructor() {
    super();
    this.records = new Map();
  }
  async savePreKey(id, record) {
    this.records.set(id, record.serialize());
  }
  async getPreKey(id) {
    return S.PreKeyRecord.deserialize(this.records.get(id));
  }
  async removePreKey(id) {
    this.records.delete(id);
  }
}

class SignedPreKeys extends S.SignedPreKeyStore {
  constructor() {
    super();
    this.records = new Map();
  }
  async saveSignedPreKey(id, record) {
    this.records.set(id, record.serialize());
  }
  async getSignedPreKey(id) {
    return S.SignedPreKeyRecord.deserialize(this.records.get(id));
  }
}

class KyberPreKeys extends S.KyberPreKeyStore {
  constructor() {
    super();
    this.records = new Map();
  }
  async saveKyberPreKey(id, record) {
    this.records.set(id, record.serialize());
  }
  async getKyberPreKey(id) {
    return S.KyberPreKeyRecord.deserialize(this.records.get(id));
  }
  // One-time Kyber prekeys only here: used once, then gone (as InMemoryKyberPreKeyStore does).
  async markKyberPreKeyUsed(id) {
    this.records.delete(id);
  }
}

class SenderKeys extends S.SenderKeyStore {
  constructor() {
    super();
    this.records = new Map();
  }
  async saveSenderKey(sender, distributionId, record) {
    this.records.set(`${key(sender)}/${distributionId}`, record.serialize());
  }
  async getSenderKey(sender, distributionId) {
    const stored = this.records.get(`${key(sender)}/${distributionId}`);
    return stored ? S.SenderKeyRecord.deserialize(stored) : null;
  }
}

// ---------------------------------------------------------------------------------------------
// Parties

class Party {
  constructor(name) {
    const identity = S.IdentityKeyPair.generate();
    this.name = name;
    this.address = S.ProtocolAddress.new(name, 1);
    this.identityKey = identity.publicKey;
    this.identityPrivate = identity.privateKey.serialize();
    this.registrationId = 1 + Math.floor(Math.random() * 16380);
    this.identities = new Identities(this);
    this.sessions = new Sessions();
    this.preKeys = new PreKeys();
    this.signedPreKeys = new SignedPreKeys();
    this.kyberPreKeys = new KyberPreKeys();
    this.senderKeys = new SenderKeys();
    this.nextId = 1;

    const priv = S.PrivateKey.generate();
    const pub = priv.getPublicKey();
    this.signedPreKeyId = this.nextId++;
    this.signedPreKeyPublic = pub;
    this.signedPreKeySignature = identity.privateKey.sign(pub.serialize());
    this.signedPreKeys.records.set(
      this.signedPreKeyId,
      S.SignedPreKeyRecord.new(this.signedPreKeyId, Date.now(), pub, priv, this.signedPreKeySignature).serialize(),
    );
  }

  /** The same party (keys and stores) under a new address. */
  alias() {
    const copy = Object.create(Party.prototype);
    Object.assign(copy, this);
    copy.address = S.ProtocolAddress.new(uuid(), 1);
    return copy;
  }

  /** A bundle with a fresh one-time prekey and a fresh one-time Kyber prekey, both stored. */
  newBundle() {
    const identityPrivate = S.PrivateKey.deserialize(this.identityPrivate);
    const preKeyId = this.nextId++;
    const preKeyPrivate = S.PrivateKey.generate();
    const preKey = preKeyPrivate.getPublicKey();
    this.preKeys.records.set(preKeyId, S.PreKeyRecord.new(preKeyId, preKey, preKeyPrivate).serialize());
    const kyberId = this.nextId++;
    const kyber = S.KEMKeyPair.generate();
    const kyberSignature = identityPrivate.sign(kyber.getPublicKey().serialize());
    this.kyberPreKeys.records.set(kyberId, S.KyberPreKeyRecord.new(kyberId, Date.now(), kyber, kyberSignature).serialize());
    return S.PreKeyBundle.new(
      this.registrationId,
      1,
      preKeyId,
      preKey,
      this.signedPreKeyId,
      this.signedPreKeyPublic,
      this.signedPreKeySignature,
      this.identityKey,
      kyberId,
      kyber.getPublicKey(),
      kyberSignature,
    );
  }
}

const uuid = () => crypto.randomUUID();

async function encrypt(from, to, plaintext) {
  return S.signalEncrypt(plaintext, to.address, ...local('signalEncrypt', from), from.sessions, from.identities);
}

async function decrypt(at, from, ciphertext) {
  if (ciphertext.type() === S.CiphertextMessageType.PreKey) {
    return S.signalDecryptPreKey(
      S.PreKeySignalMessage.deserialize(ciphertext.serialize()),
      from.address,
      ...local('signalDecryptPreKey', at),
      at.sessions,
      at.identities,
      at.preKeys,
      at.signedPreKeys,
      at.kyberPreKeys,
    );
  }
  return S.signalDecrypt(
    S.SignalMessage.deserialize(ciphertext.serialize()),
    from.address,
    ...local('signalDecrypt', at),
    at.sessions,
    at.identities,
  );
}

/** Alice and Bob with a session past its PreKey phase (one message each way). */
async function establishedPair() {
  const alice = new Party(uuid());
  const bob = new Party(uuid());
  await S.processPreKeyBundle(bob.newBundle(), bob.address, ...local('processPreKeyBundle', alice), alice.sessions, alice.identities);
  await decrypt(bob, alice, await encrypt(alice, bob, PLAINTEXT));
  await decrypt(alice, bob, await encrypt(bob, alice, PLAINTEXT));
  return { alice, bob };
}

function check(plaintext) {
  if (plaintext.length !== PLAINTEXT.length) throw new Error('round trip returned the wrong plaintext');
}

// ---------------------------------------------------------------------------------------------
// Workloads: { prepare(n) untimed, run() one operation }

const workloads = {
  // One op: Alice processes Bob's bundle (one-time EC + Kyber prekey), encrypts a 1 KiB first message, and
  // Bob decrypts that PreKey message as the responder. Fresh addresses per op keep both records new.
  async setup() {
    const bob = new Party(uuid());
    const alice = new Party(uuid());
    let pending = [];
    return {
      prepare(n) {
        alice.sessions.records.clear();
        bob.sessions.records.clear();
        alice.identities.known.clear();
        bob.identities.known.clear();
        pending = [];
        for (let i = 0; i < n; i++) {
          // A distinct address for each pair, so each op starts from empty records on both sides.
          pending.push({ a: alice.alias(), b: bob.alias(), bundle: bob.newBundle() });
        }
      },
      async run() {
        const { a, b, bundle } = pending.pop();
        await S.processPreKeyBundle(bundle, b.address, ...local('processPreKeyBundle', a), a.sessions, a.identities);
        check(await decrypt(b, a, await encrypt(a, b, PLAINTEXT)));
      },
    };
  },

  // One op: Alice encrypts 1 KiB, Bob decrypts it; always the same direction (no DH ratchet step).
  async oneway() {
    const { alice, bob } = await establishedPair();
    return {
      prepare() {},
      async run() {
        check(await decrypt(bob, alice, await encrypt(alice, bob, PLAINTEXT)));
      },
    };
  },

  // One op: one 1 KiB message, the direction alternating, so every message is a DH ratchet step.
  async pingpong() {
    const { alice, bob } = await establishedPair();
    let turn = 0;
    return {
      prepare() {},
      async run() {
        const [from, to] = turn++ % 2 === 0 ? [alice, bob] : [bob, alice];
        check(await decrypt(to, from, await encrypt(from, to, PLAINTEXT)));
      },
    };
  },

  // One op: groupEncrypt 1 KiB by Alice, groupDecrypt by Bob.
  async group() {
    const alice = new Party(uuid());
    const bob = new Party(uuid());
    const distributionId = uuid();
    const skdm = await S.SenderKeyDistributionMessage.create(alice.address, distributionId, alice.senderKeys);
    await S.processSenderKeyDistributionMessage(
      alice.address,
      S.SenderKeyDistributionMessage.deserialize(skdm.serialize()),
      bob.senderKeys,
    );
    return {
      prepare() {},
      async run() {
        const ct = await S.groupEncrypt(alice.address, distributionId, alice.senderKeys, PLAINTEXT);
        check(await S.groupDecrypt(alice.address, bob.senderKeys, ct.serialize()));
      },
    };
  },

  // One op: Alice seals a 1 KiB 1:1 message (encrypt + seal), Bob opens it, validates the sender certificate
  // and decrypts the inner message.
  async sealed() {
    const { alice, bob } = await establishedPair();
    const trustRoot = S.PrivateKey.generate();
    const serverKey = S.PrivateKey.generate();
    const server = S.ServerCertificate.new(1, serverKey.getPublicKey(), trustRoot);
    const expires = Date.now() + 86_400_000;
    const certificate = S.SenderCertificate.new(alice.name, null, 1, alice.identityKey, expires, server, serverKey);
    const trustRootPublic = trustRoot.getPublicKey();
    return {
      prepare() {},
      async run() {
        const sealed = await S.sealedSenderEncryptMessage(PLAINTEXT, bob.address, certificate, alice.sessions, alice.identities);
        const result = await S.sealedSenderDecryptMessage(
          sealed,
          trustRootPublic,
          Date.now(),
          null,
          bob.name,
          1,
          bob.sessions,
          bob.identities,
          bob.preKeys,
          bob.signedPreKeys,
          bob.kyberPreKeys,
        );
        check(result.message());
      },
    };
  },

  // One op: a safety number (5200 iterations, version 2), displayable string included.
  async fingerprint() {
    const alice = new Party(uuid());
    const bob = new Party(uuid());
    const aliceId = new Uint8Array(Buffer.from(alice.name, 'utf8'));
    const bobId = new Uint8Array(Buffer.from(bob.name, 'utf8'));
    return {
      prepare() {},
      async run() {
        const fp = S.Fingerprint.new(FINGERPRINT_ITERATIONS, 2, aliceId, alice.identityKey, bobId, bob.identityKey);
        if (fp.displayableFingerprint().toString().length !== 60) throw new Error('bad safety number');
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Harness

async function timeBatch(w, n) {
  w.prepare(n);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    await w.run();
  }
  return performance.now() - start;
}

// Warm-up: doubling batches until the warm-up time is spent; the last one sizes the timed batches.
async function warmUp(w) {
  let n = 1;
  let spent = 0;
  let perOp = Infinity;
  while (spent < warmupMs) {
    const ms = await timeBatch(w, n);
    spent += ms;
    perOp = ms / n;
    if (ms < warmupMs / 4) n *= 2;
  }
  return Math.max(1, Math.round(batchMs / perOp));
}

async function measure(name) {
  const w = await workloads[name]();
  const size = await warmUp(w);
  const rates = [];
  for (let b = 0; b < batches; b++) {
    const ms = await timeBatch(w, size);
    rates.push((size * 1000) / ms);
  }
  const sorted = [...rates].sort((x, y) => x - y);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return { impl: 'libsignal', version: pkg.version, workload: name, opsPerSec: median, batchOps: size, batches: rates };
}

async function paired(name) {
  if (!workloads[name]) throw new Error(`unknown workload ${name}`);
  const w = await workloads[name]();
  const size = await warmUp(w);
  process.stdout.write(`${JSON.stringify({ ready: true, batchOps: size })}\n`);
  const { createInterface } = await import('node:readline');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'batch') throw new Error(`paired mode: unexpected command ${JSON.stringify(line)}`);
    const ms = await timeBatch(w, size);
    process.stdout.write(`${JSON.stringify({ opsPerSec: (size * 1000) / ms })}\n`);
  }
}

process.stderr.write(`bench/libsignal: @signalapp/libsignal-client ${pkg.version} on Node ${process.version}\n`);
const pairedWorkload = option('paired', null);
if (pairedWorkload !== null) {
  await paired(pairedWorkload);
  process.exit(0);
}
for (const name of wanted) {
  if (!workloads[name]) throw new Error(`unknown workload ${name}`);
  const result = await measure(name);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stderr.write(`  ${name}: ${result.opsPerSec.toFixed(1)} ops/s (median of ${batches} batches of ${result.batchOps})\n`);
}
