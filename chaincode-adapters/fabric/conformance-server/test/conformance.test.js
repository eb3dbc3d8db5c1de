'use strict';

// Drives the Fabric protocol conformance server with the official Fabric Gateway client (@hyperledger/fabric-gateway)
// over gRPC, as a Fabric application would drive a peer's gateway.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, test } = require('node:test');
const {
    CommitError, CommitStatusError, EndorseError, GatewayError, checkpointers, signers,
} = require('@hyperledger/fabric-gateway');
const { common, gateway: gw, ledger: ledgerProtos, msp, peer } = require('@hyperledger/fabric-protos');
const grpc = require('@grpc/grpc-js');
const ecdsa = require('../lib/ecdsa');
const { tempDir, makeOrg, addUser, startServer, newGrpcClient, connectGateway } = require('./helpers');

const CHANNEL = 'mychannel';
const CHAINCODE = 'documentstore';
const ISSUER_KEY = `02${'a1'.repeat(32)}`;
const SIGNATURE = 'b2'.repeat(65);
const utf8 = (bytes) => Buffer.from(bytes).toString('utf8');
const root = (n) => crypto.createHash('sha256').update(`root-${n}-${Math.random()}`).digest('hex');
const issueArgs = (batchRoot, extra = '[]') => [batchRoot, extra, ISSUER_KEY, SIGNATURE, '2'];

// Independent re-implementation of protoutil.BlockHeaderBytes for checking the server's blocks.
function derLength(n) {
    if (n < 0x80) return Buffer.from([n]);
    const b = [];
    for (let v = n; v > 0; v >>= 8) b.unshift(v & 0xff);
    return Buffer.from([0x80 | b.length, ...b]);
}
function derTlv(tag, body) {
    return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}
function headerBytes(header) {
    let n = BigInt(header.getNumber()).toString(16);
    if (n.length % 2) n = `0${n}`;
    let nb = Buffer.from(n, 'hex');
    if (nb[0] & 0x80) nb = Buffer.concat([Buffer.from([0]), nb]);
    return derTlv(0x30, Buffer.concat([derTlv(0x02, nb), derTlv(0x04, Buffer.from(header.getPreviousHash_asU8())),
        derTlv(0x04, Buffer.from(header.getDataHash_asU8()))]));
}
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();

function verifyByIdentity(serializedIdentity, caPem, data, signature) {
    const sid = msp.SerializedIdentity.deserializeBinary(serializedIdentity);
    const cert = new crypto.X509Certificate(utf8(sid.getIdBytes_asU8()));
    const ca = new crypto.X509Certificate(caPem);
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'identity chains to its MSP CA');
    const { s } = ecdsa.parseDerSignature(signature);
    assert.ok(ecdsa.isLowS(s), 'low-S signature');
    assert.ok(crypto.verify('sha256', Buffer.from(data), cert.publicKey, Buffer.from(signature)), 'signature verifies');
    return sid.getMspid();
}

async function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
    try {
        return await Promise.race([promise, timeout]);
    } finally {
        clearTimeout(timer);
    }
}

/** Reads up to `count` items from an async iterable (closing it afterwards). */
async function take(iterable, count, ms = 5000) {
    const items = [];
    const iterator = iterable[Symbol.asyncIterator]();
    try {
        while (items.length < count) {
            const { value, done } = await withTimeout(iterator.next(), ms, `item ${items.length + 1} of ${count}`);
            if (done) break;
            items.push(value);
        }
    } finally {
        iterable.close();
    }
    return items;
}

describe('Fabric protocol conformance server (plaintext)', () => {
    let dir;
    let untrustedDir;
    let org1;
    let org2;
    let untrusted;
    let server;
    let client;
    let gateway;
    let contract;
    let network;
    let fs;
    const ledger = {}; // facts recorded by earlier tests

    before(async () => {
        fs = require('node:fs');
        dir = tempDir('conformance-test');
        org1 = await makeOrg(dir, 'Org1MSP');
        org2 = await makeOrg(dir, 'Org2MSP');
        untrustedDir = tempDir('conformance-untrusted');
        untrusted = await makeOrg(untrustedDir, 'Org1MSP', { userName: 'mallory' });
        server = await startServer({ stateDir: dir, orgs: [org1, org2] });
        client = newGrpcClient(server.ready);
        gateway = connectGateway(client, org1);
        network = gateway.getNetwork(CHANNEL);
        contract = network.getContract(CHAINCODE);
    });

    after(async () => {
        gateway?.close();
        client?.close();
        const exit = await server?.stop();
        for (const d of [dir, untrustedDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
        if (exit) assert.equal(exit.code, 0, `clean exit on SIGTERM; stderr:\n${server.stderr()}`);
    });

    test('prints exactly one JSON ready line with the crypto material paths', () => {
        const { ready } = server;
        assert.equal(ready.ready, true);
        assert.match(ready.address, /^127\.0\.0\.1:\d+$/);
        assert.equal(ready.tls, false);
        assert.equal(ready.tlsCa, null);
        assert.ok(fs.existsSync(ready.peerMspCa) && fs.existsSync(ready.ordererMspCa));
        assert.equal(server.stdoutLines.length, 1);
        assert.match(server.stderr(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z conformance-server /m);
    });

    test('Init: submitted, committed VALID in block 1, owner MSP is the caller', async () => {
        const submitted = await contract.submitAsync('Init', { arguments: ['Org1MSP'] });
        const record = JSON.parse(utf8(submitted.getResult()));
        assert.equal(record.mspId, 'Org1MSP');
        assert.equal(record.txId, submitted.getTransactionId());
        const status = await submitted.getStatus();
        assert.equal(status.code, peer.TxValidationCode.VALID);
        assert.equal(status.successful, true);
        assert.equal(status.blockNumber, 1n);
        ledger.initTx = submitted.getTransactionId();
    });

    test('IssueBatch, GetBatch, IsIssued, idempotent repeat, commit status of a committed tx', async () => {
        const batchRoot = root('batch');
        const extra = root('oa');
        const submitted = await contract.submitAsync('IssueBatch', { arguments: issueArgs(batchRoot, JSON.stringify([extra])) });
        const status = await submitted.getStatus();
        assert.equal(status.code, peer.TxValidationCode.VALID);
        assert.equal(status.blockNumber, 2n);
        const record = JSON.parse(utf8(submitted.getResult()));
        assert.equal(record.root, batchRoot);
        assert.deepEqual(record.additionalRoots, [extra]);

        assert.deepEqual(JSON.parse(utf8(await contract.evaluateTransaction('GetBatch', batchRoot))), record);
        assert.equal(utf8(await contract.evaluateTransaction('IsIssued', extra)), 'true');
        assert.equal(utf8(await contract.evaluateTransaction('DocumentStore:IsIssued', root('other'))), 'false');

        const repeat = await contract.submitAsync('IssueBatch', { arguments: issueArgs(batchRoot, JSON.stringify([extra])) });
        assert.equal(utf8(repeat.getResult()), utf8(submitted.getResult()), 'a repeat returns the first record');
        const repeatStatus = await repeat.getStatus();
        assert.equal(repeatStatus.code, peer.TxValidationCode.VALID);
        assert.equal(repeatStatus.blockNumber, 3n);

        // CommitStatus of an already committed transaction, asked again with a fresh request.
        const again = gateway.newCommit(submitted.getBytes());
        const againStatus = await again.getStatus();
        assert.equal(againStatus.blockNumber, 2n);
        assert.equal(againStatus.code, peer.TxValidationCode.VALID);
        Object.assign(ledger, { batchRoot, extra, batchTx: submitted.getTransactionId() });
    });

    test('RevokeDocument and IsRevoked', async () => {
        const documentRoot = root('doc');
        const target = root('target');
        const result = await contract.submitTransaction('RevokeDocument',
            documentRoot, ledger.batchRoot, 'R1', ISSUER_KEY, SIGNATURE, JSON.stringify([target]));
        assert.equal(JSON.parse(utf8(result)).batchRoot, ledger.batchRoot);
        assert.equal(utf8(await contract.evaluateTransaction('IsRevoked', documentRoot)), 'true');
        assert.equal(utf8(await contract.evaluateTransaction('IsRevoked', target)), 'true');
        assert.equal(utf8(await contract.evaluateTransaction('IsRevoked', ledger.batchRoot)), 'false');
        ledger.documentRoot = documentRoot;
    });

    test('chaincode events: replay from a block, checkpoint, resume after the checkpoint, then live', async () => {
        const checkpointer = checkpointers.inMemory();
        const first = await take(await network.getChaincodeEvents(CHAINCODE, { startBlock: 0n }), 1);
        assert.equal(first[0].eventName, 'BatchIssued');
        assert.equal(first[0].blockNumber, 2n);
        assert.equal(first[0].transactionId, ledger.batchTx);
        assert.equal(first[0].chaincodeName, CHAINCODE);
        assert.equal(JSON.parse(utf8(first[0].payload)).root, ledger.batchRoot);
        await checkpointer.checkpointChaincodeEvent(first[0]);

        // Resume: the next event after the checkpointed one (the idempotent repeat emitted none).
        const resumed = await take(await network.getChaincodeEvents(CHAINCODE, { checkpoint: checkpointer, startBlock: 0n }), 1);
        assert.equal(resumed[0].eventName, 'DocumentRevoked');
        assert.equal(JSON.parse(utf8(resumed[0].payload)).root, ledger.documentRoot);

        // Live: a stream opened at the next commit sees a new transaction's event.
        const live = await network.getChaincodeEvents(CHAINCODE);
        const newRoot = root('live');
        const pending = take(live, 1);
        const submitted = await contract.submitAsync('IssueBatch', { arguments: issueArgs(newRoot) });
        const [event] = await pending;
        assert.equal(event.transactionId, submitted.getTransactionId());
        assert.equal(event.blockNumber, (await submitted.getStatus()).blockNumber);
    });

    test('block events over Deliver: config genesis block, chained headers, orderer signatures, endorsements', async () => {
        const height = Number((await contract.submitAsync('IssueBatch', { arguments: issueArgs(root('deliver')) }).then((s) => s.getStatus())).blockNumber) + 1;
        const blocks = await take(await network.getBlockEvents({ startBlock: 0n }), height);
        assert.equal(blocks.length, height);
        const peerCa = fs.readFileSync(server.ready.peerMspCa, 'utf8');
        const ordererCa = fs.readFileSync(server.ready.ordererMspCa, 'utf8');

        const genesisEnvelope = common.Envelope.deserializeBinary(blocks[0].getData().getDataList_asU8()[0]);
        const genesisPayload = common.Payload.deserializeBinary(genesisEnvelope.getPayload_asU8());
        const genesisHeader = common.ChannelHeader.deserializeBinary(genesisPayload.getHeader().getChannelHeader_asU8());
        assert.equal(genesisHeader.getType(), common.HeaderType.CONFIG);
        assert.equal(genesisHeader.getChannelId(), CHANNEL);
        const config = common.ConfigEnvelope.deserializeBinary(genesisPayload.getData_asU8()).getConfig();
        const application = config.getChannelGroup().getGroupsMap().get('Application');
        assert.ok(application.getGroupsMap().get('Org1MSP') && application.getGroupsMap().get('ConformancePeerMSP'));

        for (let i = 0; i < blocks.length; i += 1) {
            const block = blocks[i];
            const header = block.getHeader();
            assert.equal(header.getNumber(), i);
            const data = block.getData().getDataList_asU8();
            assert.deepEqual(Buffer.from(header.getDataHash_asU8()), sha256(Buffer.concat(data.map((d) => Buffer.from(d)))));
            const metadata = block.getMetadata().getMetadataList_asU8();
            assert.equal(metadata.length, 5);
            assert.deepEqual([...metadata[common.BlockMetadataIndex.TRANSACTIONS_FILTER]], data.map(() => peer.TxValidationCode.VALID));
            if (i === 0) continue;
            assert.deepEqual(Buffer.from(header.getPreviousHash_asU8()), sha256(headerBytes(blocks[i - 1].getHeader())));
            const signatures = common.Metadata.deserializeBinary(metadata[common.BlockMetadataIndex.SIGNATURES]);
            const obm = common.OrdererBlockMetadata.deserializeBinary(signatures.getValue_asU8());
            assert.equal(obm.getLastConfig().getIndex(), 0);
            const [ms] = signatures.getSignaturesList();
            const sh = common.SignatureHeader.deserializeBinary(ms.getSignatureHeader_asU8());
            const signed = Buffer.concat([Buffer.from(signatures.getValue_asU8()), Buffer.from(ms.getSignatureHeader_asU8()), headerBytes(header)]);
            assert.equal(verifyByIdentity(sh.getCreator_asU8(), ordererCa, signed, ms.getSignature_asU8()), 'ConformanceOrdererMSP');

            // The transaction: creator's envelope signature, endorsement over prp ‖ endorser, rwset and event.
            const envelope = common.Envelope.deserializeBinary(data[0]);
            const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
            const chdr = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8());
            const shdr = common.SignatureHeader.deserializeBinary(payload.getHeader().getSignatureHeader_asU8());
            assert.equal(chdr.getType(), common.HeaderType.ENDORSER_TRANSACTION);
            assert.equal(chdr.getTxId(), sha256(Buffer.concat([Buffer.from(shdr.getNonce_asU8()), Buffer.from(shdr.getCreator_asU8())])).toString('hex'));
            assert.equal(verifyByIdentity(shdr.getCreator_asU8(), org1.ca.certPem, envelope.getPayload_asU8(), envelope.getSignature_asU8()), 'Org1MSP');
            const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
            const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
            const prpBytes = Buffer.from(cap.getAction().getProposalResponsePayload_asU8());
            const [endorsement] = cap.getAction().getEndorsementsList();
            assert.equal(verifyByIdentity(endorsement.getEndorser_asU8(), peerCa,
                Buffer.concat([prpBytes, Buffer.from(endorsement.getEndorser_asU8())]), endorsement.getSignature_asU8()), 'ConformancePeerMSP');
            const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes);
            assert.deepEqual(Buffer.from(prp.getProposalHash_asU8()), sha256(Buffer.concat([
                Buffer.from(payload.getHeader().getChannelHeader_asU8()), Buffer.from(payload.getHeader().getSignatureHeader_asU8()),
                Buffer.from(cap.getChaincodeProposalPayload_asU8())])));
            const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
            assert.equal(action.getChaincodeId().getName(), CHAINCODE);
            assert.equal(action.getResponse().getStatus(), 200);
            const rwset = ledgerProtos.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
            assert.deepEqual(rwset.getNsRwsetList().map((ns) => ns.getNamespace()), ['_lifecycle', CHAINCODE]);
            const lifecycle = ledgerProtos.rwset.kvrwset.KVRWSet.deserializeBinary(rwset.getNsRwsetList()[0].getRwset_asU8());
            assert.deepEqual(lifecycle.getReadsList().map((r) => r.getKey()), [`namespaces/fields/${CHAINCODE}/Sequence`]);
            assert.equal(lifecycle.getWritesList().length, 0);
            if (i === 2) {
                const kv = ledgerProtos.rwset.kvrwset.KVRWSet.deserializeBinary(rwset.getNsRwsetList()[1].getRwset_asU8());
                const writes = kv.getWritesList().map((w) => w.getKey());
                assert.deepEqual(writes, [`batch:${ledger.batchRoot}`, ...[`issued:${ledger.batchRoot}`, `issued:${ledger.extra}`].sort()]);
                const ownerRead = kv.getReadsList().find((r) => r.getKey() === 'config:owner');
                assert.equal(ownerRead.getVersion().getBlockNum(), 1, 'read of config:owner at the version Init wrote');
                const event = peer.ChaincodeEvent.deserializeBinary(action.getEvents_asU8());
                assert.equal(event.getEventName(), 'BatchIssued');
                assert.equal(event.getTxId(), chdr.getTxId());
            }
        }
    });

    test('a client whose certificate comes from an untrusted CA is refused', async () => {
        const g = connectGateway(client, untrusted);
        try {
            const c = g.getNetwork(CHANNEL).getContract(CHAINCODE);
            await assert.rejects(c.evaluateTransaction('IsIssued', root('x')), (err) => {
                assert.ok(err instanceof GatewayError);
                assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
                assert.match(err.message, /evaluate call to endorser returned error: error validating proposal: access denied: channel \[mychannel\] creator org \[Org1MSP\]/);
                assert.equal(err.details[0].mspId, 'ConformancePeerMSP');
                return true;
            });
            await assert.rejects(c.submitTransaction('IssueBatch', ...issueArgs(root('x'))), (err) => {
                assert.ok(err instanceof EndorseError);
                assert.equal(err.code, grpc.status.ABORTED);
                assert.match(err.details[0].message, /access denied/);
                return true;
            });
            await assert.rejects(take(await g.getNetwork(CHANNEL).getBlockEvents({ startBlock: 0n }), 1), /Unexpected status response: 403/);
        } finally {
            g.close();
        }
    });

    test('a second trusted MSP may read but not write: the chaincode refuses and the client gets EndorseError details', async () => {
        const g = connectGateway(client, org2);
        try {
            const c = g.getNetwork(CHANNEL).getContract(CHAINCODE);
            assert.equal(utf8(await c.evaluateTransaction('IsIssued', ledger.batchRoot)), 'true');
            await assert.rejects(c.submitTransaction('IssueBatch', ...issueArgs(root('org2'))), (err) => {
                assert.ok(err instanceof EndorseError, err.stack);
                assert.equal(err.code, grpc.status.ABORTED);
                assert.equal(err.message, '10 ABORTED: failed to endorse transaction, see attached details for more info');
                assert.equal(err.details.length, 1);
                assert.equal(err.details[0].address, server.ready.address);
                assert.equal(err.details[0].mspId, 'ConformancePeerMSP');
                assert.equal(err.details[0].message, 'chaincode response 500, MSP Org2MSP may not write to this document store: only MSP Org1MSP may');
                return true;
            });
        } finally {
            g.close();
        }
    });

    test('tampered and high-S signatures are refused (proposal, transaction envelope, commit status)', async () => {
        const good = signers.newPrivateKeySigner(org1.privateKey);
        const flip = async (digest) => {
            const sig = Buffer.from(await good(digest));
            sig[sig.length - 1] ^= 0x01;
            return sig;
        };
        const highS = async (digest) => {
            const { r, s } = ecdsa.parseDerSignature(await good(digest));
            return ecdsa.encodeDerSignature(r, ecdsa.P256_ORDER - s);
        };
        for (const bad of [flip, highS]) {
            const g = connectGateway(client, org1, { signer: bad });
            try {
                await assert.rejects(g.getNetwork(CHANNEL).getContract(CHAINCODE).evaluateTransaction('IsIssued', root('t')),
                    (err) => err.code === grpc.status.FAILED_PRECONDITION && /access denied/.test(err.message));
            } finally {
                g.close();
            }
        }
        // Good proposal signature, tampered transaction signature: the orderer refuses the envelope.
        let calls = 0;
        const secondBad = async (digest) => (++calls === 2 ? flip(digest) : good(digest));
        const g = connectGateway(client, org1, { signer: secondBad });
        try {
            await assert.rejects(g.getNetwork(CHANNEL).getContract(CHAINCODE).submitTransaction('IssueBatch', ...issueArgs(root('t2'))), (err) => {
                assert.equal(err.name, 'SubmitError', err.stack);
                assert.equal(err.code, grpc.status.ABORTED);
                assert.match(err.message, /received unsuccessful response from orderer: status=FORBIDDEN/);
                return true;
            });
        } finally {
            g.close();
        }
        // Commit status signed badly: PERMISSION_DENIED.
        const submitted = await contract.submitAsync('IsIssued', { arguments: [root('cs')] });
        const commit = gateway.newSignedCommit(submitted.getBytes(), Buffer.from(await flip(sha256(submitted.getBytes()))));
        await assert.rejects(commit.getStatus(), (err) => err instanceof CommitStatusError && err.code === grpc.status.PERMISSION_DENIED);
    });

    test('a payload changed after endorsement (a different result) is refused at Submit', async () => {
        const transaction = await contract.newProposal('IssueBatch', { arguments: issueArgs(root('tamper')) }).endorse();
        const prepared = gw.PreparedTransaction.deserializeBinary(transaction.getBytes());
        // Envelope -> Payload -> Transaction -> ChaincodeActionPayload -> ProposalResponsePayload -> ChaincodeAction.
        const payload = common.Payload.deserializeBinary(prepared.getEnvelope().getPayload_asU8());
        const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
        const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
        const prp = peer.ProposalResponsePayload.deserializeBinary(cap.getAction().getProposalResponsePayload_asU8());
        const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
        action.getResponse().setPayload(Buffer.from('{"forged":true}'));
        prp.setExtension$(action.serializeBinary());
        cap.getAction().setProposalResponsePayload(prp.serializeBinary());
        tx.getActionsList()[0].setPayload(cap.serializeBinary());
        payload.setData(tx.serializeBinary());
        const payloadBytes = Buffer.from(payload.serializeBinary());
        prepared.getEnvelope().setPayload(payloadBytes);
        prepared.getEnvelope().setSignature(new Uint8Array(0));
        const signer = signers.newPrivateKeySigner(org1.privateKey);
        const signed = gateway.newSignedTransaction(prepared.serializeBinary(), await signer(sha256(payloadBytes)));
        assert.equal(utf8(signed.getResult()), '{"forged":true}');
        await assert.rejects(signed.submit(), (err) => err.name === 'SubmitError' && /status=BAD_REQUEST/.test(err.message));
    });

    test('MVCC: two concurrent IssueBatch of the same root, one VALID and one MVCC_READ_CONFLICT', async () => {
        const batchRoot = root('mvcc');
        const a = await contract.newProposal('IssueBatch', { arguments: issueArgs(batchRoot) }).endorse();
        const b = await contract.newProposal('IssueBatch', { arguments: issueArgs(batchRoot) }).endorse();
        const [sa, sb] = await Promise.all([a.submit(), b.submit()]);
        const codes = (await Promise.all([sa.getStatus(), sb.getStatus()])).map((s) => s.code).sort();
        assert.deepEqual(codes, [peer.TxValidationCode.VALID, peer.TxValidationCode.MVCC_READ_CONFLICT].sort());
        const stale = await contract.newProposal('IssueBatch', { arguments: issueArgs(batchRoot, JSON.stringify([root('late')])) }).endorse()
            .catch((err) => err);
        assert.ok(stale instanceof EndorseError, 'a different batch under an issued root fails at endorsement');
    });

    test('unknown channel or chaincode: FAILED_PRECONDITION', async () => {
        await assert.rejects(gateway.getNetwork('otherchannel').getContract(CHAINCODE).evaluateTransaction('IsIssued', root('c')),
            (err) => err.code === grpc.status.FAILED_PRECONDITION && /no peers available to evaluate chaincode documentstore in channel otherchannel/.test(err.message));
        await assert.rejects(network.getContract('othercc').submitTransaction('IsIssued', root('c')),
            (err) => err instanceof EndorseError && err.code === grpc.status.FAILED_PRECONDITION);
    });

    test('CommitStatus of an unknown transaction waits until the client deadline', async () => {
        const request = new gw.CommitStatusRequest();
        request.setChannelId(CHANNEL);
        request.setTransactionId('f'.repeat(64));
        const sid = new msp.SerializedIdentity();
        sid.setMspid('Org1MSP');
        sid.setIdBytes(Buffer.from(org1.certPem));
        request.setIdentity(sid.serializeBinary());
        const signedRequest = new gw.SignedCommitStatusRequest();
        signedRequest.setRequest(request.serializeBinary());
        const g = connectGateway(client, org1, { commitStatusTimeoutMs: 400 });
        try {
            const started = Date.now();
            await assert.rejects(g.newCommit(signedRequest.serializeBinary()).getStatus(),
                (err) => err instanceof CommitStatusError && err.code === grpc.status.DEADLINE_EXCEEDED);
            assert.ok(Date.now() - started >= 350);
        } finally {
            g.close();
        }
    });
});

describe('Fabric protocol conformance server (TLS, batching, commit delay)', () => {
    let server;
    let client;
    let gateway;
    let org1;
    let dir;

    before(async () => {
        dir = tempDir('conformance-tls');
        org1 = await makeOrg(dir, 'Org1MSP');
        server = await startServer({ stateDir: dir, orgs: [org1], tls: true, extraArgs: ['--block-max-tx', '2', '--batch-timeout-ms', '150', '--commit-delay-ms', '100'] });
        client = newGrpcClient(server.ready);
        gateway = connectGateway(client, await addUser(org1, 'user2'));
    });

    after(async () => {
        gateway?.close();
        client?.close();
        await server?.stop();
        if (dir) require('node:fs').rmSync(dir, { recursive: true, force: true });
    });

    test('over TLS: Init, two transactions in one block, MVCC conflicts, CommitError', async () => {
        assert.equal(server.ready.tls, true);
        assert.ok(server.ready.tlsCa);
        const contract = gateway.getNetwork(CHANNEL).getContract(CHAINCODE);
        const init = await contract.submitAsync('Init', { arguments: ['Org1MSP'] }); // alone: cut by the batch timeout
        assert.equal((await init.getStatus()).blockNumber, 1n);
        const batchRoot = root('tls');
        const a = await contract.newProposal('IssueBatch', { arguments: issueArgs(batchRoot) }).endorse();
        const b = await contract.newProposal('IssueBatch', { arguments: issueArgs(batchRoot) }).endorse();
        const [sa, sb] = await Promise.all([a.submit(), b.submit()]);
        const [ra, rb] = await Promise.all([sa.getStatus(), sb.getStatus()]);
        assert.equal(ra.blockNumber, 2n);
        assert.equal(rb.blockNumber, 2n, 'both in one block of --block-max-tx 2');
        assert.deepEqual([ra.code, rb.code].sort(), [peer.TxValidationCode.VALID, peer.TxValidationCode.MVCC_READ_CONFLICT].sort());
        assert.equal(utf8(await contract.evaluateTransaction('IsIssued', batchRoot)), 'true');
        const [block] = await take(await gateway.getNetwork(CHANNEL).getBlockEvents({ startBlock: 2n }), 1);
        const filter = [...block.getMetadata().getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER]];
        assert.deepEqual(filter, [ra.code, rb.code]);

        // submitTransaction of two conflicting transactions at once: both endorse before the (delayed) commit, so one
        // commits VALID and the other raises CommitError with MVCC_READ_CONFLICT.
        const racedRoot = root('race');
        const settled = await Promise.allSettled([1, 2].map(() => contract.submitTransaction('IssueBatch', ...issueArgs(racedRoot))));
        assert.deepEqual(settled.map((x) => x.status).sort(), ['fulfilled', 'rejected']);
        const { reason } = settled.find((x) => x.status === 'rejected');
        assert.ok(reason instanceof CommitError, reason.stack);
        assert.equal(reason.code, peer.TxValidationCode.MVCC_READ_CONFLICT);
    });
});

describe('Fabric protocol conformance server (process lifetime)', () => {
    test('exits 0 when its stdin closes, and reuses the crypto material in its state directory', async () => {
        const dir = tempDir('conformance-stdin');
        const org1 = await makeOrg(dir, 'Org1MSP');
        const first = await startServer({ stateDir: dir, orgs: [org1] });
        const peerCa = require('node:fs').readFileSync(first.ready.peerMspCa, 'utf8');
        first.child.stdin.end();
        assert.deepEqual(await withTimeout(first.exited, 5000, 'exit after stdin closed'), { code: 0, signal: null });
        const second = await startServer({ stateDir: dir, orgs: [org1] });
        try {
            assert.equal(require('node:fs').readFileSync(second.ready.peerMspCa, 'utf8'), peerCa);
        } finally {
            await second.stop();
            require('node:fs').rmSync(dir, { recursive: true, force: true });
        }
    });
});
