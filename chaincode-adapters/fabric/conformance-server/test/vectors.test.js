'use strict';

// Checks the committed vectors/fabric-anchor-proofs.json offline, the way an anchor-proof verifier would, with
// node:crypto only: each case's block hashes, the orderer's block signature, the validation code of the anchoring
// transaction, its creator and endorser signatures, and that its write set records the anchored root.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');
const { common, ledger, msp, peer } = require('@hyperledger/fabric-protos');

const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'vectors', 'fabric-anchor-proofs.json'), 'utf8'));
const sha256 = (...b) => crypto.createHash('sha256').update(Buffer.concat(b.map((x) => Buffer.from(x)))).digest();
const tlv = (tag, body) => {
    const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
    return Buffer.concat([Buffer.from([tag]), len, body]);
};
function headerBytes(h) {
    let hex = BigInt(h.getNumber()).toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let n = Buffer.from(hex, 'hex');
    if (n[0] & 0x80) n = Buffer.concat([Buffer.from([0]), n]);
    return tlv(0x30, Buffer.concat([tlv(0x02, n), tlv(0x04, Buffer.from(h.getPreviousHash_asU8())), tlv(0x04, Buffer.from(h.getDataHash_asU8()))]));
}

/** The MSP id of a SerializedIdentity whose certificate chains to that MSP's root in the vectors and signed `data`. */
function verifySigned(serializedIdentity, data, signature) {
    const sid = msp.SerializedIdentity.deserializeBinary(serializedIdentity);
    const cert = new crypto.X509Certificate(Buffer.from(sid.getIdBytes_asU8()).toString('utf8'));
    const roots = (vectors.msps[sid.getMspid()] || []).map((p) => new crypto.X509Certificate(p));
    assert.ok(roots.some((r) => cert.checkIssued(r) && cert.verify(r.publicKey)), `${sid.getMspid()} identity chains to its root`);
    assert.ok(crypto.verify('sha256', Buffer.from(data), cert.publicKey, Buffer.from(signature)), `${sid.getMspid()} signature`);
    return sid.getMspid();
}

test('vectors: ledger id, MSPs and cases', () => {
    assert.equal(vectors.ledgerId, `fabric:${vectors.channel}:${vectors.chaincode}`);
    assert.deepEqual(vectors.ordererMsps, ['ConformanceOrdererMSP']);
    assert.deepEqual(vectors.cases.map((c) => [c.name, c.function]), [['batch', 'IssueBatch'], ['revocation', 'RevokeDocument']]);
    assert.match(vectors.cases[0].issuerKey, /^02[0-9a-f]{64}$/);
});

for (const c of vectors.cases) {
    test(`vectors: ${c.name} case verifies offline`, () => {
        const block = common.Block.deserializeBinary(Buffer.from(c.block, 'base64'));
        const header = block.getHeader();
        assert.equal(header.getNumber(), c.blockNumber);
        const data = block.getData().getDataList_asU8();
        assert.deepEqual(Buffer.from(header.getDataHash_asU8()), sha256(...data));
        const metadata = block.getMetadata().getMetadataList_asU8();
        const signatures = common.Metadata.deserializeBinary(metadata[common.BlockMetadataIndex.SIGNATURES]);
        const [ms] = signatures.getSignaturesList();
        const creator = common.SignatureHeader.deserializeBinary(ms.getSignatureHeader_asU8()).getCreator_asU8();
        const signedByOrderer = verifySigned(creator,
            Buffer.concat([Buffer.from(signatures.getValue_asU8()), Buffer.from(ms.getSignatureHeader_asU8()), headerBytes(header)]), ms.getSignature_asU8());
        assert.ok(vectors.ordererMsps.includes(signedByOrderer));

        const index = data.findIndex((d) => {
            const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(d).getPayload_asU8());
            return common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8()).getTxId() === c.txId;
        });
        assert.ok(index >= 0, 'the transaction is in the block');
        assert.equal(metadata[common.BlockMetadataIndex.TRANSACTIONS_FILTER][index], peer.TxValidationCode.VALID);
        const envelope = common.Envelope.deserializeBinary(data[index]);
        const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
        const chdr = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8());
        const shdr = common.SignatureHeader.deserializeBinary(payload.getHeader().getSignatureHeader_asU8());
        assert.equal(chdr.getChannelId(), vectors.channel);
        assert.equal(chdr.getTxId(), sha256(shdr.getNonce_asU8(), shdr.getCreator_asU8()).toString('hex'));
        assert.equal(verifySigned(shdr.getCreator_asU8(), envelope.getPayload_asU8(), envelope.getSignature_asU8()), 'Org1MSP');
        const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
        const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
        const cis = peer.ChaincodeInvocationSpec.deserializeBinary(
            peer.ChaincodeProposalPayload.deserializeBinary(cap.getChaincodeProposalPayload_asU8()).getInput_asU8());
        const args = cis.getChaincodeSpec().getInput().getArgsList_asU8().map((a) => Buffer.from(a).toString('utf8'));
        assert.deepEqual(args, [c.function, ...c.arguments]);
        const prpBytes = Buffer.from(cap.getAction().getProposalResponsePayload_asU8());
        for (const e of cap.getAction().getEndorsementsList()) {
            assert.equal(verifySigned(e.getEndorser_asU8(), Buffer.concat([prpBytes, Buffer.from(e.getEndorser_asU8())]), e.getSignature_asU8()), 'ConformancePeerMSP');
        }
        const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes);
        assert.deepEqual(Buffer.from(prp.getProposalHash_asU8()),
            sha256(payload.getHeader().getChannelHeader_asU8(), payload.getHeader().getSignatureHeader_asU8(), cap.getChaincodeProposalPayload_asU8()));
        const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
        assert.equal(Buffer.from(action.getResponse().getPayload_asU8()).toString('utf8'), c.result);
        const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
        const ns = rwset.getNsRwsetList().find((n) => n.getNamespace() === vectors.chaincode);
        const writes = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8()).getWritesList();
        const prefix = c.function === 'IssueBatch' ? 'batch' : 'revocation';
        const record = writes.find((w) => w.getKey() === `${prefix}:${c.anchoredRoot}`);
        assert.ok(record, 'the anchored root is written');
        const stored = JSON.parse(Buffer.from(record.getValue_asU8()).toString('utf8'));
        assert.equal(stored.root, c.anchoredRoot);
        assert.equal(stored.issuerKey, c.issuerKey);
        assert.equal(stored.txId, c.txId);
    });
}
