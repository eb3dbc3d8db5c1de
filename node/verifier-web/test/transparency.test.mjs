// Embedded ledgers as witnessed logs: signed notes, checkpoints, note keys, the ledger key's binding of the log key, the
// witness policy of the trust list, and the log check of embedded anchors (LogInclusionCheck in the C#). Logs, witnesses
// and ledger keys are made here with fresh keys; the C2SP / Go sumdb/note example checks the signed-note format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  parseNoteKey,
  parseSignedNote,
  parseCheckpoint,
  verifyLine,
  bindingDigest,
  checkLogInclusion,
  witnessPolicy,
  logOrigin,
  keyHashOf,
  ALG_ED25519,
  ALG_COSIGNATURE,
} from '../src/verifier/transparency.js';
import { blockHash } from '../src/verifier/embedded-anchor.js';
import { anchored } from '../src/verifier/checks/anchored.js';
import { computeRoot, inclusionProof, leafHash } from '../src/verifier/merkle.js';
import { toHex, fromHex, toBase64, fromBase64, concat, utf8 } from '../src/verifier/bytes.js';
import { parseTrust, verifyBundle, decodeQrText, encodeQrBundle } from '../src/verifier/index.js';
import { pae, TRUST_LIST_PAYLOAD_TYPE } from '../src/verifier/trust.js';
import { pemBlocks, toPem } from '../src/verifier/pem.js';
import { NOW, trustTexts, bundleText, byName } from './helpers.mjs';

// ---- test logs, witnesses and ledger keys ----

const hex8 = (n) => n.toString(16).padStart(8, '0');

/** An Ed25519 note key (log: 0x01, witness: 0x04) with its secret. */
function noteSigner(name, algorithm = ALG_ED25519) {
  const secret = ed25519.utils.randomSecretKey();
  const publicKey = ed25519.getPublicKey(secret);
  const keyHash = keyHashOf(name, algorithm, publicKey);
  return { name, algorithm, secret, publicKey, keyHash, vkey: `${name}+${hex8(keyHash)}+${toBase64(concat(Uint8Array.of(algorithm), publicKey))}` };
}

const line = (signer, sig) => `— ${signer.name} ${toBase64(concat(fromHex(hex8(signer.keyHash)), sig))}\n`;
const logLine = (log, text) => line(log, ed25519.sign(new TextEncoder().encode(text), log.secret));
function cosignLine(witness, text, time) {
  const t = new Uint8Array(8);
  new DataView(t.buffer).setBigUint64(0, BigInt(time));
  return line(witness, concat(t, ed25519.sign(new TextEncoder().encode(`cosignature/v1\ntime ${time}\n${text}`), witness.secret)));
}

/** 65-byte r ‖ s ‖ v secp256k1 signature over a 32-byte digest. */
function signRecoverable(digest, secret) {
  const sig = secp256k1.Signature.fromBytes(secp256k1.sign(digest, secret, { prehash: false, format: 'recovered' }), 'recovered');
  return concat(sig.toBytes('compact'), Uint8Array.of(sig.recovery));
}

function ledger() {
  const secret = secp256k1.utils.randomSecretKey();
  return { secret, key: secp256k1.getPublicKey(secret, true) };
}

const bindingSignature = (logKey, ledgerSecret) => signRecoverable(bindingDigest(parseNoteKey(logKey)), ledgerSecret);

const LEDGER_ID = 'embedded:XX-TEST';
const ORIGIN = 'customs-ledger/embedded/XX-TEST';
const SIZE = 8;
const HEIGHT = 5;
const T = 1796627877;
// The log's entries: 32-byte block hashes; the anchor's block is entry HEIGHT.
const entries = Array.from({ length: SIZE }, (_, i) => sha256(utf8(`block ${i}`)));
const root = computeRoot(entries.map(leafHash));
const auditPath = inclusionProof(entries.map(leafHash), HEIGHT);

const logKey = noteSigner(ORIGIN);
const [w1, w2, w3] = ['customs-ledger/witness/W1', 'customs-ledger/witness/W2', 'customs-ledger/witness/W3'].map((n) => noteSigner(n, ALG_COSIGNATURE));
const issuer = ledger();

const checkpointText = (size = SIZE, r = root, origin = ORIGIN) => `${origin}\n${size}\n${toBase64(r)}\n`;

/** The signed note: the log's line, then cosignatures. */
function signedNote({ text = checkpointText(), log = logKey, cosigners = [w1, w2], time = T } = {}) {
  return text + '\n' + logLine(log, text) + cosigners.map((w) => cosignLine(w, text, time)).join('');
}

/** An anchor model as proto-json.js gives it, with its log proof (logInclusionOf's shape). */
function anchor({ note = signedNote(), path = auditPath, height = HEIGHT, key = logKey.vkey, ledgerSecret = issuer.secret, binding } = {}) {
  const parsedKey = parseNoteKey(key);
  return {
    ledgerId: LEDGER_ID,
    reference: toHex(entries[HEIGHT]),
    height: BigInt(height),
    log: { checkpoint: note, path, binding: binding !== undefined ? binding : { key: parsedKey, signature: bindingSignature(key, ledgerSecret) } },
  };
}

const policy = (required, witnesses = [w1, w2, w3], logs = []) => witnessPolicy(witnesses.map((w) => parseNoteKey(w.vkey)), required, logs.map((l) => parseNoteKey(l.vkey)));
const check = (a, p = null, key = issuer.key) => checkLogInclusion(a, key, p);
/** The note with byte `index` of `name`'s line (key hash ‖ signature) flipped. */
function tamper(note, name, index) {
  return note.replace(new RegExp(`^— ${name} (\\S+)$`, 'm'), (_, b64) => {
    const bytes = fromBase64(b64);
    bytes[index] ^= 1;
    return `— ${name} ${toBase64(bytes)}`;
  });
}
const NOT_ENTRY = `the block is not entry ${HEIGHT} of the log checkpoint of size ${SIZE} (the path, height or checkpoint was changed)`;

// ---- signed notes and keys ----

test('signed note: the C2SP / Go sumdb/note example verifies (and Ed25519 signing reproduces it)', () => {
  const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const msg = text + '\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
  const key = parseNoteKey(vkey);
  assert.ok(key);
  assert.equal(key.name, 'PeterNeumann');
  assert.equal(key.keyHash, 0xc74f20a3);
  assert.equal(key.verifierKey, vkey);
  const { note } = parseSignedNote(msg);
  assert.equal(note.text, text);
  assert.equal(note.signatures.length, 1);
  assert.equal(note.signatures[0].name, 'PeterNeumann');
  assert.equal(note.signatures[0].keyHash, 0xc74f20a3);
  assert.equal(verifyLine(key, note.text, note.signatures[0]).valid, true);
  assert.equal(verifyLine(key, note.text.replace('problem,', 'problem;'), note.signatures[0]).valid, false);
  // The example's private key (Go's "PRIVATE+KEY+<name>+<hash>+base64(0x01 ‖ seed)") signs the same bytes.
  const seed = fromBase64('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz').subarray(1);
  assert.deepEqual(ed25519.getPublicKey(seed), key.publicKey);
  assert.deepEqual(ed25519.sign(new TextEncoder().encode(text), seed), note.signatures[0].signature);
  // Wrong key hash, unknown algorithm, bad base64, a '+' too many: not a key.
  assert.equal(parseNoteKey(vkey.replace('c74f20a3', 'c74f20a4')), null);
  assert.equal(parseNoteKey('PeterNeumann+c74f20a3+' + toBase64(concat(Uint8Array.of(2), key.publicKey))), null);
  assert.equal(parseNoteKey(vkey + '+x'), null);
  assert.equal(parseNoteKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), null);
  assert.equal(parseNoteKey(vkey.replace('C74F20A3', 'c74f20a3').replace('c74f20a3', 'C74F20A3')).verifierKey, vkey); // hex in any case, canonical form kept
  // Standard base64 may hold '+': the key is split at its first two '+' (as Go's note.NewVerifier does).
  let plus;
  do plus = noteSigner('plus', ALG_COSIGNATURE); while (!plus.vkey.slice(14).includes('+'));
  assert.equal(parseNoteKey(plus.vkey)?.verifierKey, plus.vkey);
  // Small-order key (the identity point): refused.
  const identity = concat(Uint8Array.of(1), Uint8Array.of(1), new Uint8Array(31));
  assert.equal(parseNoteKey(`x+${hex8(keyHashOf('x', 1, identity.subarray(1)))}+${toBase64(identity)}`), null);
});

test('signed note and checkpoint parsing: the C# reasons', () => {
  const bad = (note) => parseSignedNote(note).error;
  assert.equal(bad(''), 'a signed note is 1 to 65536 bytes');
  assert.equal(bad('x'.repeat(65537)), 'a signed note is 1 to 65536 bytes');
  assert.equal(bad('text\n— a AAAAAAA=\n'), 'a signed note is a text, a blank line and signature lines');
  assert.equal(bad('text\n\n— a AAAAAAA='), 'a signed note is a text, a blank line and signature lines');
  assert.equal(bad('text\n\n- a AAAAAAA=\n'), "a signature line is not '— <key name> <base64>'");
  assert.equal(bad('text\n\n— a+b AAAAAAA=\n'), "a signature line is not '— <key name> <base64>'");
  assert.equal(bad('text\n\n— a AAAA\n'), 'a signature line does not hold a key hash and a signature in base64');
  assert.equal(bad('text\n\n— a !!!!!!!!\n'), 'a signature line does not hold a key hash and a signature in base64');
  assert.equal(bad('text\n\n' + '— a AAAAAAA=\n'.repeat(65)), 'a signed note carries at most 64 signatures');
  // A note ending in a blank line has no signature line after it.
  assert.equal(bad('text\n\n— a AAAAAAA=\n\n'), 'a signed note carries at least one signature line');
  // Split at the last blank line.
  assert.equal(parseSignedNote('a\n\nb\n\n— a AAAAAAA=\n').note.text, 'a\n\nb\n');

  const cp = (text) => parseCheckpoint(text);
  const r = toBase64(root);
  assert.deepEqual(cp(`o\n8\n${r}\next\n`).checkpoint, { origin: 'o', size: 8n, root, extensions: ['ext'] });
  assert.equal(cp(`o\n8\n${r}`).error, 'a checkpoint is lines ending in a newline');
  assert.equal(cp('o\n8\n').error, 'a checkpoint has an origin, a size and a root line');
  assert.equal(cp(`o o\n8\n${r}\n`).error, "the checkpoint origin is empty, too long or holds a space or '+'");
  for (const size of ['08', '-1', '+1', '', '9223372036854775808', '1 ']) {
    assert.equal(cp(`o\n${size}\n${r}\n`).error, 'the checkpoint size is not a decimal number without leading zeros', size);
  }
  assert.equal(cp(`o\n9223372036854775807\n${r}\n`).checkpoint.size, 9223372036854775807n);
  assert.equal(cp(`o\n0\n${r}\n`).checkpoint.size, 0n);
  assert.equal(cp(`o\n8\n${r.slice(0, 42)}B=\n`).error, 'the checkpoint root is not 32 bytes of canonical base64'); // non-zero padding bits
  assert.equal(cp(`o\n8\n${toBase64(new Uint8Array(31))}\n`).error, 'the checkpoint root is not 32 bytes of canonical base64');
  assert.equal(cp(`o\n8\n${r}\n\nx\n`).error, 'a checkpoint extension line is empty');
});

test('log origins: embedded:<name> only', () => {
  assert.equal(logOrigin('embedded:GB-HMRC'), 'customs-ledger/embedded/GB-HMRC');
  assert.equal(logOrigin('embedded:'), null);
  assert.equal(logOrigin('eip155:1:0x0000000000000000000000000000000000000001'), null);
});

// ---- the log check (LogInclusionCheck) ----

test('a checkpoint with 2 cosignatures under a policy requiring 2 is VALID, with the note', () => {
  assert.deepEqual(check(anchor(), policy(2)), [
    'VALID',
    `entry 5 of checkpoint 8 of ${ORIGIN}, cosigned by 2 of the policy's witnesses (2 required: customs-ledger/witness/W1, customs-ledger/witness/W2)`,
  ]);
  assert.deepEqual(check(anchor({ note: signedNote({ cosigners: [] }) }), policy(0)), ['VALID', `entry 5 of checkpoint 8 of ${ORIGIN}, cosigned by 0 of the policy's witnesses (0 required)`]);
  assert.deepEqual(check(anchor()), ['VALID', `entry 5 of checkpoint 8 of ${ORIGIN} (cosignatures not checked: no witness policy)`]);
  // A line by a key the policy does not name is ignored; extension lines are part of the signed text.
  const text = checkpointText() + 'ext line\n';
  const stranger = noteSigner('someone', ALG_COSIGNATURE);
  assert.equal(check(anchor({ note: signedNote({ text, cosigners: [stranger, w3, w1] }) }), policy(2))[1].endsWith('(2 required: customs-ledger/witness/W1, customs-ledger/witness/W3)'), true);
});

test('a witness key listed twice in the policy is refused (each witness counts once)', () => {
  assert.throws(() => policy(2, [w1, w1]), /names each witness/);
});

test('too few cosignatures (required 3 of 2 cosigned) is UNVERIFIED', () => {
  assert.deepEqual(check(anchor(), policy(3)), ['UNVERIFIED', `entry 5 of checkpoint 8 of ${ORIGIN} has 2 valid cosignature(s) of the policy's witnesses; 3 required`]);
});

test('no log proof: nothing without a requirement, UNVERIFIED with one', () => {
  const bare = { ledgerId: LEDGER_ID, reference: toHex(entries[HEIGHT]), height: 5n, log: null };
  assert.deepEqual(check(bare), ['VALID', '']);
  assert.deepEqual(check(bare, policy(0)), ['VALID', '']);
  assert.deepEqual(check(bare, policy(2)), [
    'UNVERIFIED',
    'no witnessed checkpoint (2 cosignature(s) required): the bundle was made before the witnesses cosigned; ask the issuer for a new bundle',
  ]);
});

test('a changed root, path or height is INVALID', () => {
  const otherRoot = Uint8Array.from(root, (b, i) => (i === 0 ? b ^ 1 : b));
  // Re-signed by the log and cosigned, but the root is not the tree's.
  assert.deepEqual(check(anchor({ note: signedNote({ text: checkpointText(SIZE, otherRoot) }) }), policy(2)), ['INVALID', NOT_ENTRY]);
  // The root edited after signing: the log signature no longer verifies.
  assert.deepEqual(check(anchor({ note: signedNote().replace(toBase64(root), toBase64(otherRoot)) }), policy(2)), ['INVALID', "the checkpoint's log signature does not verify"]);
  const path = auditPath.map((h) => h.slice());
  path[1][7] ^= 0x80;
  assert.deepEqual(check(anchor({ path }), policy(2)), ['INVALID', NOT_ENTRY]);
  assert.deepEqual(check(anchor({ path: auditPath.slice(0, -1) }), policy(2)), ['INVALID', NOT_ENTRY]);
  assert.deepEqual(check(anchor({ path: [...auditPath, root] }), policy(2)), ['INVALID', NOT_ENTRY]);
  assert.deepEqual(check(anchor({ height: 4 }), policy(2)), ['INVALID', NOT_ENTRY.replace('entry 5', 'entry 4')]);
  assert.deepEqual(check(anchor({ height: 8 }), policy(2)), ['INVALID', NOT_ENTRY.replace('entry 5', 'entry 8')]);
  // A bigger checkpoint (same tree, other size) does not hold this path.
  assert.deepEqual(check(anchor({ note: signedNote({ text: checkpointText(9) }) }), policy(2)), ['INVALID', NOT_ENTRY.replace('size 8', 'size 9')]);
});

test('a log key bound by another secp256k1 key, or not bound, is INVALID', () => {
  const NOT_BOUND = ['INVALID', 'the log key is not bound to the certified ledger key'];
  assert.deepEqual(check(anchor({ ledgerSecret: ledger().secret }), policy(2)), NOT_BOUND);
  assert.deepEqual(check(anchor({ binding: null }), policy(2)), NOT_BOUND);
  assert.deepEqual(check(anchor(), policy(2), ledger().key), NOT_BOUND); // the certified key is another
  // A key of another name (bound by the right ledger key) does not name this log; nor does a cosignature key.
  const other = noteSigner('customs-ledger/embedded/YY-OTHER');
  assert.deepEqual(check(anchor({ note: signedNote({ log: other }), key: other.vkey }), policy(2)), NOT_BOUND);
  const cosKey = noteSigner(ORIGIN, ALG_COSIGNATURE);
  assert.deepEqual(check(anchor({ key: cosKey.vkey }), policy(2)), NOT_BOUND);
  // Bound, but the checkpoint is signed by another key of the same name: the log signature does not verify.
  const impostor = noteSigner(ORIGIN);
  assert.deepEqual(check(anchor({ note: signedNote({ log: impostor }) }), policy(2)), ['INVALID', "the checkpoint's log signature does not verify"]);
});

test('a cosignature whose timestamp was altered is not counted', () => {
  const note = signedNote();
  const tampered = tamper(note, w2.name, 4 + 7); // the last byte of W2's 8-byte timestamp: T ± 1, same signature
  assert.notEqual(tampered, note);
  assert.equal(parseSignedNote(tampered).note.signatures[2].signature[7], (T & 0xff) ^ 1);
  assert.deepEqual(check(anchor({ note: tampered }), policy(2)), ['UNVERIFIED', `entry 5 of checkpoint 8 of ${ORIGIN} has 1 valid cosignature(s) of the policy's witnesses; 2 required`]);
  assert.deepEqual(check(anchor({ note: tampered }), policy(1)), [
    'VALID',
    `entry 5 of checkpoint 8 of ${ORIGIN}, cosigned by 1 of the policy's witnesses (1 required: customs-ledger/witness/W1)`,
  ]);
  // The cosignature's timestamp is what was signed: a cosignature at another time verifies and reports its time.
  const { note: later } = parseSignedNote(signedNote({ time: T + 60 }));
  assert.deepEqual(verifyLine(parseNoteKey(w1.vkey), later.text, later.signatures[1]), { valid: true, timestamp: BigInt(T + 60) });
  // A log (0x01) line checked as a witness key of the same name and hash does not exist: names differ; a witness line
  // read as an Ed25519 signature is 72 bytes, not 64.
  assert.equal(verifyLine(parseNoteKey(logKey.vkey), later.text, later.signatures[1]).valid, false);
});

test('log keys named by the policy replace the binding', () => {
  // Named and signing: no binding needed.
  assert.equal(check(anchor({ binding: null }), policy(2, [w1, w2, w3], [logKey]))[0], 'VALID');
  // The policy names another key for this log: the checkpoint (signed by the bound key) is refused.
  const named = noteSigner(ORIGIN);
  assert.deepEqual(check(anchor(), policy(2, [w1, w2, w3], [named])), ['INVALID', 'the checkpoint is not signed by the log key the policy names']);
  // A policy naming only other logs' keys leaves the binding in charge.
  assert.equal(check(anchor(), policy(2, [w1, w2, w3], [noteSigner('customs-ledger/embedded/ZZ')]))[0], 'VALID');
  // Named key's line present but its signature bad: the log signature does not verify.
  const note = tamper(signedNote(), logKey.name, 4 + 10);
  assert.deepEqual(check(anchor({ note, binding: null }), policy(2, [w1, w2, w3], [logKey])), ['INVALID', "the checkpoint's log signature does not verify"]);
});

test('a malformed or foreign checkpoint is INVALID', () => {
  assert.deepEqual(check(anchor({ note: signedNote({ text: checkpointText(SIZE, root, 'customs-ledger/embedded/YY') }) })), ['INVALID', "the log checkpoint is another log's"]);
  assert.deepEqual(check(anchor({ note: checkpointText() })), ['INVALID', 'the log checkpoint is malformed: a signed note is a text, a blank line and signature lines']);
  assert.deepEqual(check(anchor({ note: '' })), ['INVALID', 'the log checkpoint is malformed: a signed note is 1 to 65536 bytes']);
  const text = `${ORIGIN}\n08\n${toBase64(root)}\n`;
  assert.deepEqual(check(anchor({ note: signedNote({ text }) })), ['INVALID', 'the log checkpoint is malformed: the checkpoint size is not a decimal number without leading zeros']);
  assert.deepEqual(check(anchor({ note: signedNote() + '\n' })), ['INVALID', 'the log checkpoint is malformed: a signed note carries at least one signature line']);
});

// ---- the anchored check with a real embedded block ----

function embeddedBlock(ledgerKey, ledgerSecret, batchRoot, height, timestampMs) {
  const fields = { ledgerId: LEDGER_ID, height: BigInt(height), prevHash: new Uint8Array(32).fill(9), timestampMs: BigInt(timestampMs), kind: 'anchor', subject: batchRoot, payloadDigest: sha256(utf8('payload')) };
  const hash = blockHash(fields);
  const proof = {
    format: 'customs-ledger/embedded-block/1',
    ledgerId: LEDGER_ID,
    ledgerKey: toHex(ledgerKey),
    height,
    prevHash: toHex(fields.prevHash),
    timestampMs,
    kind: 'anchor',
    subject: toHex(batchRoot),
    payloadSha256: toHex(fields.payloadDigest),
    hash: toHex(hash),
    signature: toHex(signRecoverable(hash, ledgerSecret)),
  };
  return { hash, proof: utf8(JSON.stringify(proof)) };
}

test('the anchored check: VALID adds the note, UNVERIFIED is "not checked", INVALID a problem', async () => {
  const batchRoot = sha256(utf8('batch'));
  const at = Date.parse('2026-12-07T07:17:57Z');
  const block = embeddedBlock(issuer.key, issuer.secret, batchRoot, HEIGHT, at);
  const logEntries = entries.map((e, i) => (i === HEIGHT ? block.hash : e));
  const logRoot = computeRoot(logEntries.map(leafHash));
  const text = checkpointText(SIZE, logRoot);
  const log = (cosigners) => ({ checkpoint: signedNote({ text, cosigners }), path: inclusionProof(logEntries.map(leafHash), HEIGHT), binding: { key: parseNoteKey(logKey.vkey), signature: bindingSignature(logKey.vkey, issuer.secret) } });
  const b = (logProof) => ({
    anchors: [{ ledgerId: LEDGER_ID, reference: toHex(block.hash), height: BigInt(HEIGHT), timestampMs: at, proof: block.proof, log: logProof }],
    batch: { batchRoot },
    issuer: { nodeId: 'XX-TEST', publicKey: issuer.key },
  });
  const ctx = (required) => ({ requiredLedgers: [], witnesses: required === null ? null : policy(required) });
  const base = 'batch root anchored on embedded:XX-TEST at 2026-12-07 07:17:57Z by the batch key';
  assert.deepEqual(await anchored(b(null), ctx(null), null), ['VALID', base, at]);
  assert.deepEqual(await anchored(b(log([w1, w2])), ctx(2), null), [
    'VALID',
    `${base}; embedded:XX-TEST: entry 5 of checkpoint 8 of ${ORIGIN}, cosigned by 2 of the policy's witnesses (2 required: customs-ledger/witness/W1, customs-ledger/witness/W2)`,
    at,
  ]);
  assert.deepEqual(await anchored(b(log([w1])), ctx(2), null), [
    'UNVERIFIED',
    `no anchor could be checked: embedded:XX-TEST: entry 5 of checkpoint 8 of ${ORIGIN} has 1 valid cosignature(s) of the policy's witnesses; 2 required`,
    null,
  ]);
  assert.deepEqual(await anchored(b(null), ctx(1), null), [
    'UNVERIFIED',
    'no anchor could be checked: embedded:XX-TEST: no witnessed checkpoint (1 cosignature(s) required): the bundle was made before the witnesses cosigned; ask the issuer for a new bundle',
    null,
  ]);
  const wrongBinding = { ...log([w1, w2]), binding: { key: parseNoteKey(logKey.vkey), signature: bindingSignature(logKey.vkey, ledger().secret) } };
  assert.deepEqual(await anchored(b(wrongBinding), ctx(2), null), ['INVALID', 'an anchor does not verify: embedded:XX-TEST: the log key is not bound to the certified ledger key', null]);
  // A block that does not verify is reported as before: the log is not looked at.
  const other = embeddedBlock(issuer.key, ledger().secret, batchRoot, HEIGHT, at);
  const bad = b(wrongBinding);
  bad.anchors[0].proof = other.proof;
  assert.match((await anchored(bad, ctx(2), null))[1], /^an anchor does not verify: embedded:XX-TEST: the block (hash|signature)/);
});

// ---- bundles: the JSON and binary readers, the trust list's witness policy, end to end ----

const SPKI_P256_PREFIX = fromHex('3059301306072a8648ce3d020106082a8648ce3d030107034200');
const listSigner = (() => {
  const secretKey = p256.utils.randomSecretKey();
  return { secretKey, spki: concat(SPKI_P256_PREFIX, p256.getPublicKey(secretKey, false)) };
})();
const [caPem, ...crlPems] = trustTexts();

function trustList(witnesses) {
  const content = {
    format: 'customs-ledger/trust-list/1',
    consortium: 'Corpus Consortium',
    sequence: 3,
    issuedAt: '2026-12-04T00:00:00Z',
    nextUpdate: '2027-01-03T00:00:00Z',
    signers: { threshold: 1, keys: [toBase64(listSigner.spki)] },
    authorities: [toPem('CERTIFICATE', pemBlocks(caPem)[0].der)],
    crls: crlPems.flatMap((t) => pemBlocks(t).map((x) => toPem('X509 CRL', x.der))),
    members: [{ nodeId: 'GB-HMRC', country: 'GB', agency: 'HMRC', authorities: [], certificates: [], ledgers: [], fabricMspIds: [] }],
    ...(witnesses !== undefined ? { witnesses } : {}),
  };
  const payload = utf8(JSON.stringify(content));
  const sig = p256.sign(sha256(pae(TRUST_LIST_PAYLOAD_TYPE, payload)), listSigner.secretKey, { prehash: false, format: 'der' });
  return JSON.stringify({ payloadType: TRUST_LIST_PAYLOAD_TYPE, payload: toBase64(payload), signatures: [{ keyid: toHex(sha256(listSigner.spki)), sig: toBase64(sig) }] });
}

test('trust list: the witness policy is read, and a bad one makes the list malformed', () => {
  const keys = [w1.vkey, w2.vkey];
  const list = parseTrust([trustList({ required: 2, keys, logs: [logKey.vkey] })]).list;
  assert.equal(list.witnesses.required, 2);
  assert.deepEqual(list.witnesses.witnesses.map((k) => k.name), [w1.name, w2.name]);
  assert.deepEqual(list.witnesses.logs.map((k) => k.verifierKey), [logKey.vkey]);
  assert.deepEqual(parseTrust([trustList({ required: 0, keys: [] })]).list.witnesses, { witnesses: [], required: 0, logs: [] });
  assert.equal(parseTrust([trustList()]).list.witnesses, null);
  const refused = (witnesses, message) => assert.throws(() => parseTrust([trustList(witnesses)]), (e) => e.message === `Malformed trust list: ${message}.`, JSON.stringify(witnesses)?.slice(0, 100));
  const KIND = 'the witness policy names keys of the wrong kind, too many, or a required count outside 0 to the number of witnesses';
  const MALFORMED = 'the trust list content is malformed';
  refused({ required: 3, keys }, KIND);
  refused({ required: -1, keys }, KIND);
  refused({ required: 1, keys: [logKey.vkey] }, KIND); // an Ed25519 key as a witness key
  refused({ required: 1, keys, logs: [w1.vkey] }, KIND); // a cosignature key as a log key
  refused({ required: 1, keys: [w1.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')] }, MALFORMED); // wrong key hash
  refused({ required: 1, keys: ['not a key'] }, MALFORMED);
  refused({ required: 1, keys: Array(65).fill(w1.vkey) }, "'keys' holds more than 64 entries");
  refused({ required: 1, keys: [null] }, "'keys' holds a non-string");
  refused({ required: 1, keys: [1] }, MALFORMED);
  refused({ keys }, MALFORMED);
  refused({ required: '1', keys }, MALFORMED);
  refused({ required: 1.5, keys }, MALFORMED);
  refused({ required: 1, keys, logs: null }, MALFORMED);
  refused({ required: 1 }, MALFORMED);
  refused(null, MALFORMED);
  refused([], MALFORMED);
});

const ANCHORED_AT = '2026-12-07 07:17:57Z';

/** Fixture 0000 (an embedded anchor at height 5 of embedded:GB-HMRC) with a log proof of our own GB log key. */
const gbLog = noteSigner('customs-ledger/embedded/GB-HMRC');
function fixtureWithLog({ cosigners = [w1, w2] } = {}) {
  const bundle = JSON.parse(bundleText('bundles/0000.json'));
  const a = bundle.anchors[0];
  const logEntries = entries.map((e, i) => (i === Number(a.height) ? fromHex(a.reference) : e));
  const text = checkpointText(SIZE, computeRoot(logEntries.map(leafHash)), gbLog.name);
  a.log = {
    checkpoint: text + '\n' + logLine(gbLog, text) + cosigners.map((w) => cosignLine(w, text, T)).join(''),
    path: inclusionProof(logEntries.map(leafHash), Number(a.height)).map(toBase64),
    logKey: gbLog.vkey,
    // Not bound by the fixture's ledger key (whose secret we do not hold): the trust list names the log key instead.
    logKeySignature: toBase64(new Uint8Array(65)),
  };
  return bundle;
}

test('a bundle with a log proof: JSON and binary readers accept it; verified end to end under the trust list policy', async () => {
  const bundle = fixtureWithLog();
  const trust = parseTrust([trustList({ required: 2, keys: [w1.vkey, w2.vkey, w3.vkey], logs: [gbLog.vkey] })]);
  let report = await verifyBundle(JSON.stringify(bundle), { trust, now: NOW });
  assert.equal(report.verdict, 'VALID', JSON.stringify(report.checks));
  assert.equal(
    byName(report).anchored.reason,
    `batch root anchored on embedded:GB-HMRC at ${ANCHORED_AT} by the certified key; embedded:GB-HMRC: entry 5 of checkpoint 8 of customs-ledger/embedded/GB-HMRC, cosigned by 2 of the policy's witnesses (2 required: customs-ledger/witness/W1, customs-ledger/witness/W2)`,
  );
  // proto field names are read too.
  const snake = JSON.parse(JSON.stringify(bundle));
  const { logKey: k, logKeySignature: s, ...rest } = snake.anchors[0].log;
  snake.anchors[0].log = { ...rest, log_key: k, log_key_signature: s };
  assert.equal(byName(await verifyBundle(snake, { trust, now: NOW })).anchored.verdict, 'VALID');
  // The binary encoding (compact QR bundle) round-trips it.
  const decoded = decodeQrText(encodeQrBundle(bundle), { maxText: Number.MAX_SAFE_INTEGER }).bundle;
  assert.deepEqual(decoded.anchors[0].log, bundle.anchors[0].log);
  report = await verifyBundle(decoded, { trust, now: NOW });
  assert.equal(report.verdict, 'VALID');

  // Required 3, two cosigned: UNVERIFIED. Without a policy the proof is still checked (the binding fails here).
  const strict = parseTrust([trustList({ required: 3, keys: [w1.vkey, w2.vkey, w3.vkey], logs: [gbLog.vkey] })]);
  report = await verifyBundle(bundle, { trust: strict, now: NOW });
  assert.equal(byName(report).anchored.verdict, 'UNVERIFIED');
  assert.equal(byName(report).anchored.reason, "no anchor could be checked: embedded:GB-HMRC: entry 5 of checkpoint 8 of customs-ledger/embedded/GB-HMRC has 2 valid cosignature(s) of the policy's witnesses; 3 required");
  report = await verifyBundle(bundle, { trust: parseTrust([trustList()]), now: NOW });
  assert.equal(byName(report).anchored.reason, 'an anchor does not verify: embedded:GB-HMRC: the log key is not bound to the certified ledger key');
  // The committed fixture (no log) under a policy requiring cosignatures: UNVERIFIED.
  report = await verifyBundle(bundleText('bundles/0000.json'), { trust: strict, now: NOW });
  assert.equal(byName(report).anchored.verdict, 'UNVERIFIED');
  assert.match(byName(report).anchored.reason, /^no anchor could be checked: embedded:GB-HMRC: no witnessed checkpoint \(3 cosignature\(s\) required\)/);
});

test('a log proof the readers refuse, or that is empty', async () => {
  const bundle = fixtureWithLog();
  const malformed = async (edit, pattern) => {
    const b = JSON.parse(JSON.stringify(bundle));
    edit(b.anchors[0].log, b);
    const report = await verifyBundle(b, { now: NOW });
    assert.equal(report.malformed, true, JSON.stringify(report.checks[0]));
    assert.match(report.checks[0].reason, pattern);
  };
  await malformed((l) => { l.extra = 1; }, /^malformed bundle: unknown field 'extra' in LogInclusion$/);
  await malformed((l) => { l.path = Array(129).fill(toBase64(root)); }, /^malformed bundle: an anchor's log path holds more than 128 hashes$/);
  await malformed((l) => { l.path = ['not base64!']; }, /^malformed bundle: field 'path' is not valid base64$/);
  await malformed((l, b) => { b.status.revocation = { ledgerId: 'x', log: { path: Array(129).fill(toBase64(root)) } }; }, /log path holds more than 128 hashes/);
  // An empty log member is present: its checkpoint is empty.
  const b = JSON.parse(JSON.stringify(bundle));
  b.anchors[0].log = {};
  let report = await verifyBundle(b, { now: NOW });
  assert.match(byName(report).anchored.reason, /embedded:GB-HMRC: the log checkpoint is malformed: a signed note is 1 to 65536 bytes/);
  b.anchors[0].log = null; // null is absent
  report = await verifyBundle(b, { now: NOW });
  assert.equal(byName(report).anchored.reason, `batch root anchored on embedded:GB-HMRC at ${ANCHORED_AT} by the batch key`);
  // A checkpoint ending in a blank line has no signature line after it.
  b.anchors[0].log = { checkpoint: bundle.anchors[0].log.checkpoint + '\n' };
  report = await verifyBundle(b, { now: NOW });
  assert.equal(byName(report).anchored.verdict, 'INVALID');
  assert.match(byName(report).anchored.reason, /embedded:GB-HMRC: the log checkpoint is malformed: a signed note carries at least one signature line/);
});
