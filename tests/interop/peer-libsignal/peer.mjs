// Interop peer backed by @signalapp/libsignal-client (the live oracle; see /DESIGN.md §4.1).
//
// The same logic serves every pinned libsignal version: the package is loaded from the folder named by
// PEER_LIBSIGNAL_DIR (its node_modules), else from this file's folder. peer-libsignal pins 0.90.0 (the
// newest release that still talks to a peer without SPQR), peer-libsignal-latest the newest release.
//
// Protocol: one JSON request per line on stdin, one JSON response per line on stdout, in order.
// Requests run strictly one at a time, in the order received. Nothing but response lines ever goes
// to stdout; diagnostics go to stderr (libsignal's own log only when PEER_LIBSIGNAL_LOG is set to
// error|warn|info|debug|trace).
//
// Each party (name + device) owns in-memory stores that keep every record serialized, as a durable
// store would. Every request that touches a party's stores runs as a transaction: on failure the
// party's stores are rolled back to what they were before the request.

import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = process.env.PEER_LIBSIGNAL_DIR || path.dirname(fileURLToPath(import.meta.url));
const libsignalDir = path.join(packageDir, 'node_modules', '@signalapp', 'libsignal-client');
const SignalClient = await import(pathToFileURL(path.join(libsignalDir, 'dist', 'index.js')).href);
// The sealed sender v2 server-side splitter is not re-exported from index.js; it has its own module.
const { default: SealedSenderMultiRecipientMessage } = await import(
  pathToFileURL(path.join(libsignalDir, 'dist', 'SealedSenderMultiRecipientMessage.js')).href
);
const label = `peer-libsignal ${path.basename(packageDir)}`;

// From 0.92 on the 1:1 calls take the caller's own address right after the peer's (LIBSIGNAL-FACTS P8);
// which ones do shows in their arity, so one code path fits every pinned version.
const takesLocalAddress = {
  processPreKeyBundle: SignalClient.processPreKeyBundle.length > 4,
  signalEncrypt: SignalClient.signalEncrypt.length > 4,
  signalDecrypt: SignalClient.signalDecrypt.length > 4,
  signalDecryptPreKey: SignalClient.signalDecryptPreKey.length > 7,
};
const localAddress = (fn, party) => (takesLocalAddress[fn] ? [party.address] : []);

const {
  CiphertextMessageType,
  ContentHint,
  Direction,
  ErrorCode,
  Fingerprint,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KEMPublicKey,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  LibSignalErrorBase,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  SenderKeyDistributionMessage,
  SenderKeyRecord,
  SenderKeyStore,
  ServerCertificate,
  SessionRecord,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  UnidentifiedSenderMessageContent,
} = SignalClient;

// ---------------------------------------------------------------------------------------------
// Errors

/** An error with a KIND from DESIGN.md §4.1, raised by this peer itself. */
class PeerError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const badRequest = (message) => new PeerError('BadRequest', message);

// A store callback that fails marks its message with [[KIND]], so the kind survives however
// libsignal's bridge chooses to wrap the exception on its way back to us.
const storeError = (kind, message) => new PeerError(kind, `[[${kind}]] ${message}`);
const STORE_KIND = /\[\[([A-Za-z]+)\]\]/;
const untag = (message) => message.replace(/\s*\[\[[A-Za-z]+\]\]\s*/, ' ').trim();

/**
 * Maps an exception to { kind, message }.
 *
 * `context` says what a malformed-input error means for the request at hand:
 *  - 'message'     : bytes under test are a ciphertext or protocol message (key or protobuf errors
 *                    inside them are InvalidMessage);
 *  - 'key'         : bytes under test are keys from the request (InvalidKey);
 *  - 'certificate' : bytes under test are a certificate (InvalidCertificate).
 */
function classify(err, context) {
  if (err instanceof PeerError) {
    return { kind: err.kind, message: untag(err.message) };
  }
  const message = String(err?.message ?? err);
  const tagged = STORE_KIND.exec(message);
  if (tagged) {
    return { kind: tagged[1], message: untag(message) };
  }
  if (!(err instanceof LibSignalErrorBase)) {
    return { kind: 'Other', message };
  }
  switch (err.code) {
    case ErrorCode.DuplicatedMessage:
      return { kind: 'DuplicatedMessage', message };
    case ErrorCode.UntrustedIdentity:
      return { kind: 'UntrustedIdentity', message };
    case ErrorCode.InvalidSenderKeySession:
      return { kind: 'NoSession', message };
    case ErrorCode.InvalidSession:
      return { kind: 'NoSession', message };
    case ErrorCode.Generic:
      return { kind: classifyGeneric(message, context), message };
    default:
      return { kind: 'Other', message };
  }
}

// libsignal 0.90.0 gives most SignalProtocolError variants ErrorCode.Generic; the variant is only
// visible in the Display text (rust/protocol/src/error.rs). Order matters: first match wins.
function classifyGeneric(m, context) {
  const malformed =
    context === 'certificate' ? 'InvalidCertificate' : context === 'key' ? 'InvalidKey' : 'InvalidMessage';
  const rules = [
    [/^message with old counter/, 'DuplicatedMessage'],
    [/^untrusted identity/, 'UntrustedIdentity'],
    [/^session with .* not found/, 'NoSession'],
    [/^missing sender key state/, 'NoSession'],
    [/^invalid sender key session/, 'NoSession'],
    [/^invalid session/, 'NoSession'],
    [/^ciphertext version was too old/, 'LegacyCiphertextVersion'],
    [/^invalid signature detected/, 'InvalidSignature'],
    [/^invalid (prekey|signed prekey|Kyber prekey) identifier/, 'InvalidKeyId'],
    [/trust root validation failed/, 'InvalidCertificate'],
    // Sealed sender v2: the authentication tag is the MAC binding sender and envelope (tests/interop/README.md).
    [/^invalid sealed sender message: sender certificate key does not match authentication tag/, 'InvalidMessage'],
    [/^invalid sealed sender message: .*certificate/i, 'InvalidCertificate'],
    [/^(no key type identifier|bad key type|bad key length|bad KEM key type|unexpected KEM key type|bad KEM key length)/, malformed],
    [/^protobuf encoding was invalid/, malformed],
    [/^invalid \w+ message/, 'InvalidMessage'],
    [/^(ciphertext serialized bytes were too short|ciphertext version was unrecognized|unrecognized message version)/, 'InvalidMessage'],
    [/^(bad KEM ciphertext length|invalid MAC key length)/, 'InvalidMessage'],
    [/^(invalid sealed sender message|unknown sealed sender message version)/, 'InvalidMessage'],
  ];
  for (const [re, kind] of rules) {
    if (re.test(m)) return kind;
  }
  return 'Other';
}

// ---------------------------------------------------------------------------------------------
// Stores (records kept serialized)

const addrKey = (address) => `${address.name()}.${address.deviceId()}`;
const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const bytesEqual = (a, b) => Buffer.from(a).equals(Buffer.from(b));

class PartyIdentityStore extends IdentityKeyStore {
  constructor(party) {
    super();
    this.party = party;
  }
  async getIdentityKey() {
    return PrivateKey.deserialize(this.party.state.identityPrivate);
  }
  async getLocalRegistrationId() {
    return this.party.state.registrationId;
  }
  async getIdentity(address) {
    const known = this.party.state.identities.get(addrKey(address));
    return known ? PublicKey.deserialize(known) : null;
  }
  async saveIdentity(address, key) {
    const id = addrKey(address);
    const known = this.party.state.identities.get(id);
    const serialized = key.serialize();
    this.party.state.identities.set(id, serialized);
    return known && !bytesEqual(known, serialized)
      ? IdentityChange.ReplacedExisting
      : IdentityChange.NewOrUnchanged;
  }
  // Trust on first use per peer device; a changed key only once `trust` accepted it for the peer.
  // The same rule holds for both directions.
  async isTrustedIdentity(address, key, _direction) {
    const known = this.party.state.identities.get(addrKey(address));
    const serialized = key.serialize();
    if (!known || bytesEqual(known, serialized)) return true;
    const accepted = this.party.state.accepted.get(address.name());
    return accepted !== undefined && accepted.has(b64(serialized));
  }
}

class PartySessionStore extends SessionStore {
  constructor(party) {
    super();
    this.party = party;
  }
  async saveSession(address, record) {
    this.party.state.sessions.set(addrKey(address), record.serialize());
  }
  async getSession(address) {
    const stored = this.party.state.sessions.get(addrKey(address));
    return stored ? SessionRecord.deserialize(stored) : null;
  }
  async getExistingSessions(addresses) {
    return addresses.map((address) => {
      const stored = this.party.state.sessions.get(addrKey(address));
      if (!stored) throw storeError('NoSession', `no session for ${addrKey(address)}`);
      return SessionRecord.deserialize(stored);
    });
  }
}

class PartyPreKeyStore extends PreKeyStore {
  constructor(party) {
    super();
    this.party = party;
  }
  async savePreKey(id, record) {
    this.party.state.preKeys.set(id, record.serialize());
  }
  async getPreKey(id) {
    const stored = this.party.state.preKeys.get(id);
    if (!stored) throw storeError('InvalidKeyId', `no one-time prekey with id ${id}`);
    return PreKeyRecord.deserialize(stored);
  }
  async removePreKey(id) {
    this.party.state.preKeys.delete(id);
  }
}

class PartySignedPreKeyStore extends SignedPreKeyStore {
  constructor(party) {
    super();
    this.party = party;
  }
  async saveSignedPreKey(id, record) {
    this.party.state.signedPreKeys.set(id, record.serialize());
  }
  async getSignedPreKey(id) {
    const stored = this.party.state.signedPreKeys.get(id);
    if (!stored) throw storeError('InvalidKeyId', `no signed prekey with id ${id}`);
    return SignedPreKeyRecord.deserialize(stored);
  }
}

class PartyKyberPreKeyStore extends KyberPreKeyStore {
  constructor(party) {
    super();
    this.party = party;
  }
  async saveKyberPreKey(id, record) {
    this.party.state.kyberPreKeys.set(id, { record: record.serialize(), lastResort: false });
  }
  saveLastResort(id, record) {
    this.party.state.kyberPreKeys.set(id, { record: record.serialize(), lastResort: true });
  }
  async getKyberPreKey(id) {
    const stored = this.party.state.kyberPreKeys.get(id);
    if (!stored) throw storeError('InvalidKeyId', `no Kyber prekey with id ${id}`);
    return KyberPreKeyRecord.deserialize(stored.record);
  }
  // One-time Kyber keys go on first use; a last-resort key refuses a repeated
  // (kyber id, signed prekey id, base key).
  async markKyberPreKeyUsed(id, signedPreKeyId, baseKey) {
    const stored = this.party.state.kyberPreKeys.get(id);
    if (!stored) throw storeError('InvalidKeyId', `no Kyber prekey with id ${id}`);
    if (!stored.lastResort) {
      this.party.state.kyberPreKeys.delete(id);
      return;
    }
    const use = `${id}:${signedPreKeyId}:${b64(baseKey.serialize())}`;
    if (this.party.state.kyberUses.has(use)) {
      throw storeError('InvalidMessage', `reused base key on last-resort Kyber prekey ${id}`);
    }
    this.party.state.kyberUses.add(use);
  }
}

class PartySenderKeyStore extends SenderKeyStore {
  constructor(party) {
    super();
    this.party = party;
  }
  async saveSenderKey(sender, distributionId, record) {
    this.party.state.senderKeys.set(`${addrKey(sender)}/${distributionId.toLowerCase()}`, record.serialize());
  }
  async getSenderKey(sender, distributionId) {
    const stored = this.party.state.senderKeys.get(`${addrKey(sender)}/${distributionId.toLowerCase()}`);
    return stored ? SenderKeyRecord.deserialize(stored) : null;
  }
}

// ---------------------------------------------------------------------------------------------
// Parties

const MAX_ID = 0xffffff; // prekey ids: 24 bits, as Signal apps use

function randomRegistrationId() {
  return 1 + Math.floor(Math.random() * 16380);
}

function freshState() {
  const identity = IdentityKeyPair.generate();
  return {
    identityPublic: identity.publicKey.serialize(),
    identityPrivate: identity.privateKey.serialize(),
    registrationId: randomRegistrationId(),
    identities: new Map(), // "name.device" -> serialized identity key
    accepted: new Map(), // peer name -> Set(base64 identity key) accepted by `trust`
    sessions: new Map(), // "name.device" -> serialized SessionRecord
    preKeys: new Map(), // id -> serialized PreKeyRecord
    signedPreKeys: new Map(), // id -> serialized SignedPreKeyRecord
    kyberPreKeys: new Map(), // id -> { record, lastResort }
    kyberUses: new Set(), // "kyberId:signedId:baseKey" seen on last-resort keys
    senderKeys: new Map(), // "name.device/distribution" -> serialized SenderKeyRecord
    currentSignedPreKeyId: null,
    lastResortKyberId: null,
  };
}

function copyState(s) {
  return {
    ...s,
    identities: new Map(s.identities),
    accepted: new Map([...s.accepted].map(([k, v]) => [k, new Set(v)])),
    sessions: new Map(s.sessions),
    preKeys: new Map(s.preKeys),
    signedPreKeys: new Map(s.signedPreKeys),
    kyberPreKeys: new Map(s.kyberPreKeys),
    kyberUses: new Set(s.kyberUses),
    senderKeys: new Map(s.senderKeys),
  };
}

class Party {
  constructor(name, device) {
    this.name = name;
    this.device = device;
    this.address = ProtocolAddress.new(name, device);
    // Id counters survive reset_identity, so an old message never names a new key by accident.
    this.nextPreKeyId = 1 + Math.floor(Math.random() * 1000);
    this.nextSignedPreKeyId = 1 + Math.floor(Math.random() * 1000);
    this.nextKyberPreKeyId = 1 + Math.floor(Math.random() * 1000);
    this.state = freshState();
    this.identityStore = new PartyIdentityStore(this);
    this.sessionStore = new PartySessionStore(this);
    this.preKeyStore = new PartyPreKeyStore(this);
    this.signedPreKeyStore = new PartySignedPreKeyStore(this);
    this.kyberPreKeyStore = new PartyKyberPreKeyStore(this);
    this.senderKeyStore = new PartySenderKeyStore(this);
  }

  takeId(counter) {
    const id = this[counter];
    this[counter] = id >= MAX_ID ? 1 : id + 1;
    return id;
  }

  identityPrivateKey() {
    return PrivateKey.deserialize(this.state.identityPrivate);
  }

  reset() {
    this.state = freshState();
  }

  /** Runs fn as a transaction over this party's stores. */
  async transaction(fn) {
    const saved = copyState(this.state);
    try {
      return await fn();
    } catch (err) {
      this.state = saved;
      throw err;
    }
  }
}

const parties = new Map(); // "name.device" -> Party

// ---------------------------------------------------------------------------------------------
// Request parsing

const UUID_LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_ANY = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function field(req, key) {
  if (req[key] === undefined || req[key] === null) throw badRequest(`missing field '${key}'`);
  return req[key];
}

function uuidField(req, key) {
  const v = field(req, key);
  if (typeof v !== 'string' || !UUID_LOWER.test(v)) throw badRequest(`'${key}' must be a lowercase UUID`);
  return v;
}

function deviceField(req, key) {
  const v = req[key] ?? 1;
  if (!Number.isInteger(v) || v < 1 || v > 127) throw badRequest(`'${key}' must be an integer in 1..127`);
  return v;
}

function bytesField(req, key, { optional = false } = {}) {
  const v = req[key];
  if (v === undefined || v === null) {
    if (optional) return null;
    throw badRequest(`missing field '${key}'`);
  }
  if (typeof v !== 'string' || !BASE64.test(v)) throw badRequest(`'${key}' is not standard base64`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

function intField(req, key, { min = 0, max = Number.MAX_SAFE_INTEGER, def } = {}) {
  let v = req[key];
  if (v === undefined || v === null) {
    if (def === undefined) throw badRequest(`missing field '${key}'`);
    v = def;
  }
  if (!Number.isSafeInteger(v) || v < min || v > max) throw badRequest(`'${key}' must be an integer in ${min}..${max}`);
  return v;
}

function boolField(req, key, def) {
  const v = req[key] ?? def;
  if (typeof v !== 'boolean') throw badRequest(`'${key}' must be a boolean`);
  return v;
}

function partyOf(req) {
  const name = uuidField(req, 'name');
  const device = deviceField(req, 'device');
  const party = parties.get(`${name}.${device}`);
  if (!party) throw badRequest(`unknown party ${name}.${device}`);
  return party;
}

function peerAddress(req, nameKey = 'peer', deviceKey = 'peerDevice') {
  return ProtocolAddress.new(uuidField(req, nameKey), deviceField(req, deviceKey));
}

function distributionField(req) {
  const v = field(req, 'distributionId');
  if (typeof v !== 'string' || !UUID_ANY.test(v)) throw badRequest(`'distributionId' must be a UUID`);
  return v.toLowerCase();
}

/** Runs a libsignal call whose malformed-input failures mean `context` (see classify). */
function guard(context, fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PeerError) throw err;
    const { kind, message } = classify(err, context);
    throw new PeerError(kind, message);
  }
}

async function guardAsync(context, fn) {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PeerError) throw err;
    const { kind, message } = classify(err, context);
    throw new PeerError(kind, message);
  }
}

// ---------------------------------------------------------------------------------------------
// Operations

function ensureSignedPreKey(party) {
  if (party.state.currentSignedPreKeyId !== null) return party.state.currentSignedPreKeyId;
  const id = party.takeId('nextSignedPreKeyId');
  const priv = PrivateKey.generate();
  const pub = priv.getPublicKey();
  const signature = party.identityPrivateKey().sign(pub.serialize());
  party.state.signedPreKeys.set(id, SignedPreKeyRecord.new(id, Date.now(), pub, priv, signature).serialize());
  party.state.currentSignedPreKeyId = id;
  return id;
}

function newKyberRecord(party) {
  const id = party.takeId('nextKyberPreKeyId');
  const keyPair = KEMKeyPair.generate();
  const signature = party.identityPrivateKey().sign(keyPair.getPublicKey().serialize());
  return KyberPreKeyRecord.new(id, Date.now(), keyPair, signature);
}

const ops = {
  async create(req) {
    const name = uuidField(req, 'name');
    const device = deviceField(req, 'device');
    const id = `${name}.${device}`;
    let party = parties.get(id);
    if (!party) {
      // Optional extension (tests/interop/README.md): another device of the same account, sharing its identity key.
      let sibling = null;
      if (req.identityFromDevice !== undefined && req.identityFromDevice !== null) {
        sibling = parties.get(`${name}.${deviceField(req, 'identityFromDevice')}`);
        if (!sibling) throw badRequest(`unknown party for 'identityFromDevice'`);
      }
      party = new Party(name, device);
      if (sibling) {
        party.state.identityPublic = sibling.state.identityPublic;
        party.state.identityPrivate = sibling.state.identityPrivate;
      }
      parties.set(id, party);
    }
    return { identityKey: b64(party.state.identityPublic), registrationId: party.state.registrationId };
  },

  async reset_identity(req) {
    const party = partyOf(req);
    party.reset();
    return { identityKey: b64(party.state.identityPublic), registrationId: party.state.registrationId };
  },

  async bundle(req) {
    const party = partyOf(req);
    const oneTime = boolField(req, 'oneTimePreKey', true);
    const lastResort = boolField(req, 'lastResortKyber', false);
    return party.transaction(async () => {
      const signedId = ensureSignedPreKey(party);
      const signed = SignedPreKeyRecord.deserialize(party.state.signedPreKeys.get(signedId));

      let preKeyId = null;
      let preKey = null;
      if (oneTime) {
        preKeyId = party.takeId('nextPreKeyId');
        const priv = PrivateKey.generate();
        preKey = priv.getPublicKey();
        party.state.preKeys.set(preKeyId, PreKeyRecord.new(preKeyId, preKey, priv).serialize());
      }

      let kyber;
      if (lastResort) {
        if (party.state.lastResortKyberId === null) {
          kyber = newKyberRecord(party);
          party.kyberPreKeyStore.saveLastResort(kyber.id(), kyber);
          party.state.lastResortKyberId = kyber.id();
        } else {
          kyber = KyberPreKeyRecord.deserialize(party.state.kyberPreKeys.get(party.state.lastResortKyberId).record);
        }
      } else {
        kyber = newKyberRecord(party);
        await party.kyberPreKeyStore.saveKyberPreKey(kyber.id(), kyber);
      }

      return {
        bundle: {
          registrationId: party.state.registrationId,
          deviceId: party.device,
          preKeyId,
          preKey: preKey ? b64(preKey.serialize()) : null,
          signedPreKeyId: signedId,
          signedPreKey: b64(signed.publicKey().serialize()),
          signedPreKeySignature: b64(signed.signature()),
          kyberPreKeyId: kyber.id(),
          kyberPreKey: b64(kyber.publicKey().serialize()),
          kyberPreKeySignature: b64(kyber.signature()),
          identityKey: b64(party.state.identityPublic),
        },
      };
    });
  },

  async process_bundle(req) {
    const party = partyOf(req);
    const address = peerAddress(req);
    const b = field(req, 'bundle');
    if (typeof b !== 'object' || Array.isArray(b)) throw badRequest(`'bundle' must be an object`);
    const registrationId = intField(b, 'registrationId', { max: 0xffffffff });
    const deviceId = intField(b, 'deviceId', { min: 1, max: 127, def: address.deviceId() });
    const preKeyBytes = bytesField(b, 'preKey', { optional: true });
    const hasPreKeyId = b.preKeyId !== undefined && b.preKeyId !== null;
    if (hasPreKeyId !== (preKeyBytes !== null)) throw badRequest(`'preKeyId' and 'preKey' go together`);
    const preKeyId = hasPreKeyId ? intField(b, 'preKeyId', { max: 0xffffffff }) : null;
    const signedPreKeyId = intField(b, 'signedPreKeyId', { max: 0xffffffff });
    const signedPreKeyBytes = bytesField(b, 'signedPreKey');
    const signedPreKeySignature = bytesField(b, 'signedPreKeySignature');
    const kyberPreKeyId = intField(b, 'kyberPreKeyId', { max: 0xffffffff });
    const kyberPreKeyBytes = bytesField(b, 'kyberPreKey');
    const kyberPreKeySignature = bytesField(b, 'kyberPreKeySignature');
    const identityKeyBytes = bytesField(b, 'identityKey');

    const bundle = guard('key', () =>
      PreKeyBundle.new(
        registrationId,
        deviceId,
        preKeyId,
        preKeyBytes ? PublicKey.deserialize(preKeyBytes) : null,
        signedPreKeyId,
        PublicKey.deserialize(signedPreKeyBytes),
        signedPreKeySignature,
        PublicKey.deserialize(identityKeyBytes),
        kyberPreKeyId,
        KEMPublicKey.deserialize(kyberPreKeyBytes),
        kyberPreKeySignature,
      ),
    );
    await party.transaction(() =>
      guardAsync('key', () =>
        SignalClient.processPreKeyBundle(
          bundle,
          address,
          ...localAddress('processPreKeyBundle', party),
          party.sessionStore,
          party.identityStore,
        ),
      ),
    );
    return {};
  },

  async encrypt(req) {
    const party = partyOf(req);
    const address = peerAddress(req);
    const plaintext = bytesField(req, 'plaintext');
    const ct = await party.transaction(() =>
      guardAsync('message', () =>
        SignalClient.signalEncrypt(
          plaintext,
          address,
          ...localAddress('signalEncrypt', party),
          party.sessionStore,
          party.identityStore,
        ),
      ),
    );
    return { type: ct.type(), ciphertext: b64(ct.serialize()) };
  },

  async decrypt(req) {
    const party = partyOf(req);
    const address = peerAddress(req);
    const type = intField(req, 'type');
    const ciphertext = bytesField(req, 'ciphertext');
    if (type !== CiphertextMessageType.Whisper && type !== CiphertextMessageType.PreKey) {
      throw badRequest(`'type' must be 2 or 3`);
    }
    const plaintext = await party.transaction(() =>
      guardAsync('message', () => decryptOne(party, address, type, ciphertext)),
    );
    return { plaintext: b64(plaintext) };
  },

  async has_session(req) {
    const party = partyOf(req);
    const address = peerAddress(req);
    const record = await party.sessionStore.getSession(address);
    return { session: record !== null && record.hasCurrentState() };
  },

  async delete_session(req) {
    const party = partyOf(req);
    const address = peerAddress(req);
    party.state.sessions.delete(addrKey(address));
    return {};
  },

  async trust(req) {
    const party = partyOf(req);
    const peer = uuidField(req, 'peer');
    const keyBytes = bytesField(req, 'identityKey');
    const key = guard('key', () => PublicKey.deserialize(keyBytes));
    const accepted = party.state.accepted.get(peer) ?? new Set();
    accepted.add(b64(key.serialize()));
    party.state.accepted.set(peer, accepted);
    return {};
  },

  async fingerprint(req) {
    const party = partyOf(req);
    const address = peerAddress(req);
    const iterations = intField(req, 'iterations', { min: 1, max: 1_000_000, def: 5200 });
    const version = intField(req, 'version', { max: 0xffffffff, def: 2 });
    const remote = await party.identityStore.getIdentity(address);
    if (!remote) throw new PeerError('NoSession', `no identity known for ${addrKey(address)}`);
    const fp = guard('key', () =>
      Fingerprint.new(
        iterations,
        version,
        new Uint8Array(Buffer.from(party.name, 'utf8')),
        PublicKey.deserialize(party.state.identityPublic),
        new Uint8Array(Buffer.from(address.name(), 'utf8')),
        remote,
      ),
    );
    return {
      displayable: fp.displayableFingerprint().toString(),
      scannable: b64(fp.scannableFingerprint().toBuffer()),
    };
  },

  async group_distribution(req) {
    const party = partyOf(req);
    const distributionId = distributionField(req);
    const skdm = await party.transaction(() =>
      guardAsync('message', () =>
        SenderKeyDistributionMessage.create(party.address, distributionId, party.senderKeyStore),
      ),
    );
    return { message: b64(skdm.serialize()) };
  },

  async group_process(req) {
    const party = partyOf(req);
    const sender = peerAddress(req, 'sender', 'senderDevice');
    const message = bytesField(req, 'message');
    await party.transaction(() =>
      guardAsync('message', async () => {
        const skdm = SenderKeyDistributionMessage.deserialize(message);
        await SignalClient.processSenderKeyDistributionMessage(sender, skdm, party.senderKeyStore);
      }),
    );
    return {};
  },

  async group_encrypt(req) {
    const party = partyOf(req);
    const distributionId = distributionField(req);
    const plaintext = bytesField(req, 'plaintext');
    const ct = await party.transaction(() =>
      guardAsync('message', () =>
        SignalClient.groupEncrypt(party.address, distributionId, party.senderKeyStore, plaintext),
      ),
    );
    return { ciphertext: b64(ct.serialize()) };
  },

  async group_decrypt(req) {
    const party = partyOf(req);
    const sender = peerAddress(req, 'sender', 'senderDevice');
    const ciphertext = bytesField(req, 'ciphertext');
    const plaintext = await party.transaction(() =>
      guardAsync('message', () => SignalClient.groupDecrypt(sender, party.senderKeyStore, ciphertext)),
    );
    return { plaintext: b64(plaintext) };
  },

  async sender_certificate(req) {
    const party = partyOf(req);
    const trustRootPrivate = bytesField(req, 'trustRootPrivateKey');
    const serverPrivate = bytesField(req, 'serverPrivateKey');
    const serverKeyId = intField(req, 'serverKeyId', { max: 0xffffffff });
    const expires = intField(req, 'expires');
    // Optional extension: certify another identity key under this party's name and device, as a server
    // certifies whatever key a client presents (lets a test cross-check the implementations' certificates).
    const identityKey = bytesField(req, 'identityKey', { optional: true }) ?? party.state.identityPublic;
    const cert = guard('key', () => {
      const trustRoot = PrivateKey.deserialize(trustRootPrivate);
      const serverKey = PrivateKey.deserialize(serverPrivate);
      const server = ServerCertificate.new(serverKeyId, serverKey.getPublicKey(), trustRoot);
      return SenderCertificate.new(
        party.name,
        null,
        party.device,
        PublicKey.deserialize(identityKey),
        expires,
        server,
        serverKey,
      );
    });
    return { certificate: b64(cert.serialize()) };
  },

  async sealed_encrypt(req) {
    const party = partyOf(req);
    const address = peerAddress(req);
    const certBytes = bytesField(req, 'senderCertificate');
    const plaintext = bytesField(req, 'plaintext');
    const cert = guard('certificate', () => SenderCertificate.deserialize(certBytes));
    const sealed = await party.transaction(() =>
      guardAsync('message', () =>
        SignalClient.sealedSenderEncryptMessage(plaintext, address, cert, party.sessionStore, party.identityStore),
      ),
    );
    return { ciphertext: b64(sealed) };
  },

  async sealed_decrypt(req) {
    const party = partyOf(req);
    const trustRootBytes = bytesField(req, 'trustRoot');
    const timestamp = intField(req, 'timestamp');
    const ciphertext = bytesField(req, 'ciphertext');
    const trustRoot = guard('key', () => PublicKey.deserialize(trustRootBytes));
    return party.transaction(async () => {
      // The steps of libsignal's sealedSenderDecryptMessage, taken one at a time so that each
      // failure gets its own KIND: open the envelope, validate the certificate, decrypt inside.
      const usmc = await guardAsync('message', () =>
        SignalClient.sealedSenderDecryptToUsmc(ciphertext, party.identityStore),
      );
      const cert = usmc.senderCertificate();
      const valid = guard('certificate', () => cert.validate(trustRoot, timestamp));
      if (!valid) throw new PeerError('InvalidCertificate', 'sender certificate failed validation (trust root or expiry)');
      const senderName = cert.senderUuid();
      const senderDevice = cert.senderDeviceId();
      if (senderName === party.name && senderDevice === party.device) {
        throw new PeerError('Other', 'self send of a sealed sender message');
      }
      const sender = guard('certificate', () => ProtocolAddress.new(senderName, senderDevice));
      const type = usmc.msgType();
      let plaintext;
      if (type === CiphertextMessageType.Whisper || type === CiphertextMessageType.PreKey) {
        plaintext = await guardAsync('message', () => decryptOne(party, sender, type, usmc.contents()));
      } else if (type === CiphertextMessageType.SenderKey) {
        plaintext = await guardAsync('message', () =>
          SignalClient.groupDecrypt(sender, party.senderKeyStore, usmc.contents()),
        );
      } else {
        throw new PeerError('InvalidMessage', `unexpected message type ${type} inside sealed sender`);
      }
      return { sender: senderName, senderDevice, plaintext: b64(plaintext) };
    });
  },
};

// Sealed sender v2 (multi-recipient): the group message is sealed once for every recipient device; the server splits
// the sent form into one received form per recipient (tests/interop/README.md).
ops.sealed_multi_encrypt = async (req) => {
  const party = partyOf(req);
  const distributionId = distributionField(req);
  const plaintext = bytesField(req, 'plaintext');
  const certBytes = bytesField(req, 'senderCertificate');
  const list = field(req, 'recipients');
  if (!Array.isArray(list) || list.length === 0) throw badRequest(`'recipients' must be a non-empty array`);
  const recipients = list.map((r) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw badRequest('a recipient must be an object');
    return peerAddress(r);
  });
  const cert = guard('certificate', () => SenderCertificate.deserialize(certBytes));
  const sent = await party.transaction(async () => {
    const message = await guardAsync('message', () =>
      SignalClient.groupEncrypt(party.address, distributionId, party.senderKeyStore, plaintext),
    );
    const usmc = guard('message', () => UnidentifiedSenderMessageContent.new(message, cert, ContentHint.Default, null));
    return guardAsync('message', () =>
      SignalClient.sealedSenderMultiRecipientEncrypt(usmc, recipients, party.identityStore, party.sessionStore),
    );
  });
  return { ciphertext: b64(sent) };
};

ops.sealed_multi_split = async (req) => {
  const ciphertext = bytesField(req, 'ciphertext');
  const address = peerAddress(req);
  const message = guard('message', () => new SealedSenderMultiRecipientMessage(ciphertext));
  const recipient = message.recipientsByServiceIdString()[address.name()];
  if (!recipient || !recipient.deviceIds.includes(address.deviceId())) {
    throw badRequest(`${addrKey(address)} is not a recipient of the message`);
  }
  return { ciphertext: b64(message.messageForRecipient(recipient)) };
};

async function decryptOne(party, address, type, bytes) {
  if (type === CiphertextMessageType.PreKey) {
    const message = PreKeySignalMessage.deserialize(bytes);
    return SignalClient.signalDecryptPreKey(
      message,
      address,
      ...localAddress('signalDecryptPreKey', party),
      party.sessionStore,
      party.identityStore,
      party.preKeyStore,
      party.signedPreKeyStore,
      party.kyberPreKeyStore,
    );
  }
  const message = SignalMessage.deserialize(bytes);
  return SignalClient.signalDecrypt(
    message,
    address,
    ...localAddress('signalDecrypt', party),
    party.sessionStore,
    party.identityStore,
  );
}

// ---------------------------------------------------------------------------------------------
// Main loop

function respond(obj) {
  // Writes to pipes and files are synchronous on Linux, so each line is flushed as it is written.
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function handleLine(line) {
  if (line.trim() === '') return;
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    respond({ id: null, ok: false, error: 'BadRequest', message: 'request is not valid JSON' });
    return;
  }
  const id = req !== null && typeof req === 'object' && !Array.isArray(req) && req.id !== undefined ? req.id : null;
  try {
    if (id === null || typeof req !== 'object') throw badRequest(`missing field 'id'`);
    const op = req.op;
    if (typeof op !== 'string' || !Object.hasOwn(ops, op)) throw badRequest(`unknown op ${JSON.stringify(op)}`);
    const result = await ops[op](req);
    respond({ id, ok: true, ...result });
  } catch (err) {
    const { kind, message } = classify(err, 'message');
    respond({ id, ok: false, error: kind, message });
  }
}

function setUpLogging() {
  const wanted = (process.env.PEER_LIBSIGNAL_LOG ?? '').toLowerCase();
  const levels = { error: 1, warn: 2, info: 3, debug: 4, trace: 5 };
  if (!levels[wanted]) return;
  SignalClient.initLogger(levels[wanted], (level, target, file, line, message) => {
    process.stderr.write(`[libsignal ${level}] ${target} ${file ?? ''}:${line ?? ''} ${message}\n`);
  });
}

function main() {
  setUpLogging();
  let queue = Promise.resolve();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  rl.on('line', (line) => {
    queue = queue.then(() => handleLine(line)).catch((err) => {
      process.stderr.write(`${label}: internal error: ${err?.stack ?? err}\n`);
    });
  });
  rl.on('close', () => {
    queue.then(() => process.exit(0));
  });
}

process.on('uncaughtException', (err) => {
  process.stderr.write(`${label}: uncaught exception: ${err?.stack ?? err}\n`);
});
process.on('unhandledRejection', (err) => {
  process.stderr.write(`${label}: unhandled rejection: ${err?.stack ?? err}\n`);
});

main();
