'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { DocumentStoreContract, canonicalJson } = require('../lib/document-store');
const index = require('../index');
const { LedgerTestDouble } = require('./ledger-test-double');

const OWNER = 'Org1MSP';
const OTHER = 'Org2MSP';

const hex = (byte, bytes = 32) => byte.repeat(bytes);
const BATCH = hex('a1');
const OA_ROOT = hex('b2');
const DOC = hex('c3');
const TARGET = hex('d4');
const KEY = `02${hex('e5')}`;
const SIG = hex('f6', 65);
const SIG2 = hex('07', 65);

/** A ledger initialised for OWNER, and the contract. */
async function setup() {
    const ledger = new LedgerTestDouble();
    const contract = new DocumentStoreContract();
    await ledger.invoke(contract, OWNER, 'Init', OWNER);
    return { ledger, contract };
}

const issue = (ledger, contract, msp = OWNER, roots = [OA_ROOT], sig = SIG, count = '3') =>
    ledger.invoke(contract, msp, 'IssueBatch', BATCH, JSON.stringify(roots), KEY, sig, count);

const revoke = (ledger, contract, msp = OWNER, reason = 'WCO.14', roots = [TARGET], batch = BATCH) =>
    ledger.invoke(contract, msp, 'RevokeDocument', DOC, batch, reason, KEY, SIG, JSON.stringify(roots));

/** Asserts that `promise` rejects with a message matching `pattern` and not containing any of `secrets`. */
async function rejects(promise, pattern, secrets = []) {
    await assert.rejects(promise, (err) => {
        assert.match(err.message, pattern);
        for (const secret of secrets) {
            assert.ok(!err.message.includes(secret), `error message echoes ${JSON.stringify(secret)}`);
        }
        return true;
    });
}

test('index exports the contract for fabric-chaincode-node', () => {
    assert.deepEqual(index.contracts, [DocumentStoreContract]);
    assert.equal(new DocumentStoreContract().getName(), 'DocumentStore');
});

test('issue then query', async () => {
    const { ledger, contract } = await setup();
    const { result, writes } = await issue(ledger, contract);
    assert.deepEqual(writes.sort(), [`batch:${BATCH}`, `issued:${BATCH}`, `issued:${OA_ROOT}`]);
    assert.deepEqual(JSON.parse(result), {
        additionalRoots: [OA_ROOT],
        documentCount: 3,
        issuerKey: KEY,
        kind: 'batch',
        mspId: OWNER,
        root: BATCH,
        signature: SIG,
        timestamp: '2023-11-14T22:13:22.123Z', // seconds 1700000002 of the second transaction, nanos 123456789
        txId: 'tx2',
    });
    assert.equal((await ledger.invoke(contract, OTHER, 'GetBatch', BATCH)).result, result);
    assert.equal((await ledger.invoke(contract, OTHER, 'IsIssued', BATCH)).result, 'true');
    assert.equal((await ledger.invoke(contract, OTHER, 'IsIssued', DOC)).result, 'false');
    assert.equal((await ledger.invoke(contract, OTHER, 'IsRevoked', BATCH)).result, 'false');
});

test('stored JSON has sorted keys and is the same on every endorser', async () => {
    const a = await setup();
    const b = await setup();
    const first = (await issue(a.ledger, a.contract)).result;
    const second = (await issue(b.ledger, b.contract)).result;
    assert.equal(first, second);
    assert.equal(first, canonicalJson(JSON.parse(first)));
    assert.equal(a.ledger.read(`batch:${BATCH}`), first);
});

test('re-issue with identical arguments returns the first record, writes nothing, emits nothing', async () => {
    const { ledger, contract } = await setup();
    const first = await issue(ledger, contract);
    const again = await issue(ledger, contract);
    assert.equal(again.result, first.result);
    assert.deepEqual(again.writes, []);
    assert.deepEqual(again.events, []);
});

test('re-issue with different arguments fails', async () => {
    const { ledger, contract } = await setup();
    await issue(ledger, contract);
    await rejects(issue(ledger, contract, OWNER, [OA_ROOT], SIG2), /already recorded with different arguments/);
    await rejects(issue(ledger, contract, OWNER, [OA_ROOT], SIG, '4'), /already recorded with different arguments/);
    await rejects(issue(ledger, contract, OWNER, []), /already recorded with different arguments/);
    assert.equal(JSON.parse(ledger.read(`batch:${BATCH}`)).signature, SIG);
});

test('additional roots become issued, and cannot be issued again by another batch', async () => {
    const { ledger, contract } = await setup();
    await issue(ledger, contract);
    assert.equal((await ledger.invoke(contract, OWNER, 'IsIssued', OA_ROOT)).result, 'true');
    await rejects(ledger.invoke(contract, OWNER, 'GetBatch', OA_ROOT), /batch not found/);
    await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', hex('99'), JSON.stringify([OA_ROOT]), KEY, SIG, '1'),
        /already issued by another batch/);
    await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', OA_ROOT, '[]', KEY, SIG, '1'), /already issued by another batch/);
});

test('events carry the stored record', async () => {
    const { ledger, contract } = await setup();
    const issued = await issue(ledger, contract);
    assert.deepEqual(issued.events, [{ name: 'BatchIssued', payload: issued.result }]);
    const revoked = await revoke(ledger, contract);
    assert.deepEqual(revoked.events, [{ name: 'DocumentRevoked', payload: revoked.result }]);
    assert.equal(ledger.read(`revocation:${DOC}`), revoked.result);
});

test('revoke then IsRevoked, for the document root and its additional roots', async () => {
    const { ledger, contract } = await setup();
    await issue(ledger, contract);
    assert.equal((await ledger.invoke(contract, OWNER, 'IsRevoked', DOC)).result, 'false');
    const { result, writes } = await revoke(ledger, contract);
    assert.deepEqual(writes.sort(), [`revocation:${DOC}`, `revoked:${DOC}`, `revoked:${TARGET}`]);
    assert.deepEqual(JSON.parse(result), {
        additionalRoots: [TARGET],
        batchRoot: BATCH,
        issuerKey: KEY,
        kind: 'revocation',
        mspId: OWNER,
        reasonCode: 'WCO.14',
        root: DOC,
        signature: SIG,
        timestamp: '2023-11-14T22:13:24.123Z',
        txId: 'tx4',
    });
    assert.equal((await ledger.invoke(contract, OTHER, 'IsRevoked', DOC)).result, 'true');
    assert.equal((await ledger.invoke(contract, OTHER, 'IsRevoked', TARGET)).result, 'true');
    assert.equal((await ledger.invoke(contract, OTHER, 'IsRevoked', BATCH)).result, 'false');
    assert.equal((await ledger.invoke(contract, OTHER, 'GetRevocation', DOC)).result, result);
    // A revoked batch's roots stay issued, as on the Ethereum DocumentStore.
    assert.equal((await ledger.invoke(contract, OTHER, 'IsIssued', BATCH)).result, 'true');
});

test('re-revoke: identical arguments are a no-op, different ones fail', async () => {
    const { ledger, contract } = await setup();
    await issue(ledger, contract);
    const first = await revoke(ledger, contract);
    const again = await revoke(ledger, contract);
    assert.equal(again.result, first.result);
    assert.deepEqual(again.writes, []);
    assert.deepEqual(again.events, []);
    await rejects(revoke(ledger, contract, OWNER, 'OTHER'), /already recorded with different arguments/);
    await rejects(revoke(ledger, contract, OWNER, 'WCO.14', []), /already recorded with different arguments/);
});

test('a root revoked by one revocation cannot be claimed by another', async () => {
    const { ledger, contract } = await setup();
    await issue(ledger, contract);
    await revoke(ledger, contract);
    await rejects(ledger.invoke(contract, OWNER, 'RevokeDocument', hex('88'), BATCH, 'X', KEY, SIG, JSON.stringify([TARGET])),
        /already revoked by another revocation/);
});

test('revoke of an unknown batch fails and writes nothing', async () => {
    const { ledger, contract } = await setup();
    const before = new Map(ledger.state);
    await rejects(revoke(ledger, contract), /batch not found/);
    assert.deepEqual(ledger.state, before);
    await rejects(ledger.invoke(contract, OWNER, 'GetRevocation', DOC), /revocation not found/);
});

test('another MSP cannot issue or revoke, and the error names only the MSP ids', async () => {
    const { ledger, contract } = await setup();
    await rejects(issue(ledger, contract, OTHER), /^MSP Org2MSP may not write to this document store: only MSP Org1MSP may$/);
    await issue(ledger, contract);
    await rejects(revoke(ledger, contract, OTHER), /^MSP Org2MSP may not write to this document store: only MSP Org1MSP may$/);
    assert.equal((await ledger.invoke(contract, OWNER, 'IsRevoked', DOC)).result, 'false');
});

test('a revocation must come from the MSP that issued the batch', async () => {
    const { ledger, contract } = await setup();
    await issue(ledger, contract);
    // Only reachable through state written by another version of the chaincode: rewrite the batch's MSP by hand.
    const batch = JSON.parse(ledger.read(`batch:${BATCH}`));
    ledger.state.set(`batch:${BATCH}`, Buffer.from(canonicalJson({ ...batch, mspId: 'Org3MSP' })));
    await rejects(revoke(ledger, contract), /^MSP Org1MSP may not revoke a document of a batch issued by MSP Org3MSP$/);
});

test('writes fail before Init', async () => {
    const ledger = new LedgerTestDouble();
    const contract = new DocumentStoreContract();
    await rejects(issue(ledger, contract), /not initialised/);
    await rejects(revoke(ledger, contract), /not initialised/);
    assert.equal(ledger.state.size, 0);
});

test('Init works once, only for the caller\'s own MSP', async () => {
    const ledger = new LedgerTestDouble();
    const contract = new DocumentStoreContract();
    await rejects(ledger.invoke(contract, OTHER, 'Init', OWNER), /^MSP Org2MSP may not initialise the document store for MSP Org1MSP$/);
    await rejects(ledger.invoke(contract, OWNER, 'Init', 'Org 1; drop'), /^ownerMspId must be/, ['drop']);
    const { result } = await ledger.invoke(contract, OWNER, 'Init', OWNER);
    assert.deepEqual(JSON.parse(result), { mspId: OWNER, timestamp: '2023-11-14T22:13:23.123Z', txId: 'tx3' });
    await rejects(ledger.invoke(contract, OWNER, 'Init', OWNER), /already initialised/);
    await rejects(ledger.invoke(contract, OTHER, 'Init', OTHER), /already initialised/);
    assert.equal(JSON.parse(ledger.read('config:owner')).mspId, OWNER);
});

test('reason codes must be codes, never free text', async () => {
    const { ledger, contract } = await setup();
    await issue(ledger, contract);
    for (const reason of ['Goods damaged in transit', '', 'A'.repeat(17), 'WCO\n14', 'WCO/14', 'WCO14\n', 'é']) {
        await rejects(revoke(ledger, contract, OWNER, reason), /^reasonCode must be 1-16 letters/, reason ? [reason] : []);
    }
    await revoke(ledger, contract, OWNER, 'A'.repeat(16));
});

test('malformed hex is refused without echoing it', async () => {
    const { ledger, contract } = await setup();
    const bad = {
        upper: hex('A1'),
        short: hex('a1').slice(2),
        long: `${hex('a1')}00`,
        nonHex: `${hex('a1').slice(1)}g`,
        prefixed: `0x${hex('a1').slice(2)}`,
    };
    for (const value of Object.values(bad)) {
        await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', value, '[]', KEY, SIG, '1'), /^batchRootHex must be 64 lower-case hex/, [value]);
        await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, JSON.stringify([value]), KEY, SIG, '1'),
            /^every entry of additionalRootsJson must be 64 lower-case hex/, [value]);
        await rejects(ledger.invoke(contract, OWNER, 'IsIssued', value), /^rootHex must be/, [value]);
        await rejects(ledger.invoke(contract, OWNER, 'GetRevocation', value), /^documentRootHex must be/, [value]);
    }
    for (const key of [`04${hex('e5')}`, `02${hex('e5')}00`, `02${hex('E5')}`, hex('e5', 33).slice(2)]) {
        await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, '[]', key, SIG, '1'), /^issuerKeyHex must be/, [key]);
    }
    for (const sig of [hex('f6', 64), `${SIG}00`, hex('F6', 65)]) {
        await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, '[]', KEY, sig, '1'), /^signatureHex must be/, [sig]);
    }
    await issue(ledger, contract);
    await rejects(ledger.invoke(contract, OWNER, 'RevokeDocument', bad.upper, BATCH, 'X', KEY, SIG, '[]'), /^documentRootHex must be/);
    await rejects(ledger.invoke(contract, OWNER, 'RevokeDocument', DOC, bad.short, 'X', KEY, SIG, '[]'), /^batchRootHex must be/);
    assert.equal((await ledger.invoke(contract, OWNER, 'IsRevoked', DOC)).result, 'false');
});

test('additionalRootsJson must be a JSON array of at most 16 distinct roots', async () => {
    const { ledger, contract } = await setup();
    const roots = (n) => Array.from({ length: n }, (_, i) => (i + 16).toString(16).repeat(32));
    for (const json of ['', 'null', '{}', `"${OA_ROOT}"`, '[', JSON.stringify(roots(17)), `[${' '.repeat(3000)}]`]) {
        await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, json, KEY, SIG, '1'), /^additionalRootsJson must be a JSON array of at most 16/);
    }
    await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, JSON.stringify([OA_ROOT, OA_ROOT]), KEY, SIG, '1'), /must not repeat/);
    await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, JSON.stringify([BATCH]), KEY, SIG, '1'), /must not repeat/);
    await rejects(revoke(ledger, contract, OWNER, 'X', roots(17)), /^additionalRootsJson must be a JSON array of at most 16/);
    const { writes } = await ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, JSON.stringify(roots(16)), KEY, SIG, '1');
    assert.equal(writes.length, 18);
});

test('documentCount must be a positive 32-bit integer', async () => {
    const { ledger, contract } = await setup();
    for (const count of ['0', '-1', '1.5', '01', ' 1', '1e3', '2147483648', '']) {
        await rejects(ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, '[]', KEY, SIG, count), /^documentCount must be/);
    }
    const { result } = await ledger.invoke(contract, OWNER, 'IssueBatch', BATCH, '[]', KEY, SIG, '2147483647');
    assert.equal(JSON.parse(result).documentCount, 2147483647);
});

/** The contract metadata that fabric-chaincode-node derives from this package, as a peer would see it. */
function generateMetadata() {
    const bin = path.join(__dirname, '..', 'node_modules', 'fabric-shim', 'cli.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-metadata-'));
    const file = path.join(dir, 'metadata.json');
    try {
        execFileSync(process.execPath, [bin, 'metadata', 'generate', '--module-path', path.join(__dirname, '..'), '--file', file],
            { stdio: 'ignore' });
        return JSON.parse(fs.readFileSync(file, 'utf8'));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

test('fabric-chaincode-node finds every transaction, in the default contract', () => {
    const { contracts } = generateMetadata();
    assert.equal(contracts.DocumentStore.contractInstance.default, true);
    const names = contracts.DocumentStore.transactions.map((t) => t.name).sort();
    assert.deepEqual(names, ['GetBatch', 'GetRevocation', 'Init', 'IsIssued', 'IsRevoked', 'IssueBatch', 'RevokeDocument']);
});
