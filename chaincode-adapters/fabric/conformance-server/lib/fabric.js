'use strict';

// Fabric message helpers, each named after the protoutil / gateway function whose behaviour it follows.

const crypto = require('node:crypto');
const { common, peer, ledger, msp } = require('@hyperledger/fabric-protos');
const { Timestamp } = require('google-protobuf/google/protobuf/timestamp_pb');
const ecdsa = require('./ecdsa');

const sha256 = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p || [])))).digest();

/** protoutil.ComputeTxID: hex(SHA-256(nonce ‖ creator)). */
function computeTxId(nonce, creator) {
    return sha256(nonce, creator).toString('hex');
}

/** protoutil.CreateNonce: 24 random bytes. */
function createNonce() {
    return crypto.randomBytes(24);
}

function nowTimestamp() {
    return Timestamp.fromDate(new Date());
}

/** protoutil.BlockHeaderBytes: DER SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }. */
function blockHeaderBytes(header) {
    return ecdsa.encodeSequence(
        ecdsa.encodeInteger(BigInt(header.getNumber())),
        ecdsa.encodeOctetString(header.getPreviousHash_asU8()),
        ecdsa.encodeOctetString(header.getDataHash_asU8()),
    );
}

/** protoutil.BlockHeaderHash: SHA-256 of BlockHeaderBytes. */
function blockHeaderHash(header) {
    return sha256(blockHeaderBytes(header));
}

/** protoutil.BlockDataHash as in Fabric 2.5: SHA-256 of the concatenated envelope bytes. */
function blockDataHash(dataList) {
    return sha256(...dataList);
}

/** Fabric's proposal hash (core/endorser UnpackProposal): SHA-256(channel header ‖ signature header ‖ payload without transient map). */
function proposalHash(channelHeaderBytes, signatureHeaderBytes, cppNoTransientBytes) {
    return sha256(channelHeaderBytes, signatureHeaderBytes, cppNoTransientBytes);
}

/** ChaincodeProposalPayload bytes with the TransientMap removed. */
function cppWithoutTransient(cpp) {
    const copy = new peer.ChaincodeProposalPayload();
    copy.setInput(cpp.getInput_asU8());
    return Buffer.from(copy.serializeBinary());
}

/** A Version message, or undefined for "read of a missing key". */
function versionMessage(version) {
    if (!version) return undefined;
    const v = new ledger.rwset.kvrwset.Version();
    v.setBlockNum(version.blockNum);
    v.setTxNum(version.txNum);
    return v;
}

/**
 * TxReadWriteSet bytes for simulation results: namespaces in ascending order, reads and writes of each sorted by
 * key, as Fabric's rwsetutil builder emits them. `namespaces` maps namespace -> { reads: Map, writes: Map }.
 */
function txReadWriteSetBytes(namespaces) {
    const txRwSet = new ledger.rwset.TxReadWriteSet();
    txRwSet.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
    for (const ns of [...namespaces.keys()].sort()) {
        const { reads, writes } = namespaces.get(ns);
        const kv = new ledger.rwset.kvrwset.KVRWSet();
        for (const key of [...reads.keys()].sort()) {
            const read = new ledger.rwset.kvrwset.KVRead();
            read.setKey(key);
            const v = versionMessage(reads.get(key));
            if (v) read.setVersion(v);
            kv.addReads(read);
        }
        for (const key of [...writes.keys()].sort()) {
            const write = new ledger.rwset.kvrwset.KVWrite();
            write.setKey(key);
            const value = writes.get(key);
            if (value === null) write.setIsDelete(true);
            else write.setValue(value);
            kv.addWrites(write);
        }
        const nsRwSet = new ledger.rwset.NsReadWriteSet();
        nsRwSet.setNamespace(ns);
        nsRwSet.setRwset(kv.serializeBinary());
        txRwSet.addNsRwset(nsRwSet);
    }
    return Buffer.from(txRwSet.serializeBinary());
}

/** Parses TxReadWriteSet bytes into [{ namespace, reads: [{key, version|null}], writes: [{key, value|null}] }]. */
function parseTxReadWriteSet(bytes) {
    const txRwSet = ledger.rwset.TxReadWriteSet.deserializeBinary(bytes);
    return txRwSet.getNsRwsetList().map((ns) => {
        const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
        return {
            namespace: ns.getNamespace(),
            reads: kv.getReadsList().map((r) => ({
                key: r.getKey(),
                version: r.hasVersion() ? { blockNum: r.getVersion().getBlockNum(), txNum: r.getVersion().getTxNum() } : null,
            })),
            writes: kv.getWritesList().map((w) => ({ key: w.getKey(), value: w.getIsDelete() ? null : Buffer.from(w.getValue_asU8()) })),
            rangeQueries: kv.getRangeQueriesInfoList().length,
        };
    });
}

/** protoutil.GetBytesProposalResponsePayload: ProposalResponsePayload{proposal_hash, extension: ChaincodeAction}. */
function proposalResponsePayloadBytes({ proposalHash: hash, response, results, event, chaincodeId }) {
    const action = new peer.ChaincodeAction();
    action.setResults(results);
    if (event) action.setEvents(event.serializeBinary());
    const resp = new peer.Response();
    resp.setStatus(response.status);
    resp.setMessage(response.message);
    resp.setPayload(response.payload);
    action.setResponse(resp);
    action.setChaincodeId(chaincodeId);
    const prp = new peer.ProposalResponsePayload();
    prp.setProposalHash(hash);
    prp.setExtension$(action.serializeBinary());
    return Buffer.from(prp.serializeBinary());
}

/** The default endorsement plugin (escc): signature over proposal_response_payload ‖ endorser. */
function endorse(prpBytes, endorser) {
    const endorsement = new peer.Endorsement();
    endorsement.setEndorser(endorser.serializedIdentity);
    endorsement.setSignature(ecdsa.sign(endorser.privateKey, Buffer.concat([prpBytes, endorser.serializedIdentity])));
    return endorsement;
}

/** gateway prepareTransaction: the unsigned Envelope of an endorsed transaction. */
function prepareTransaction(header, cppNoTransientBytes, prpBytes, endorsements) {
    const endorsedAction = new peer.ChaincodeEndorsedAction();
    endorsedAction.setProposalResponsePayload(prpBytes);
    endorsedAction.setEndorsementsList(endorsements);
    const cap = new peer.ChaincodeActionPayload();
    cap.setChaincodeProposalPayload(cppNoTransientBytes);
    cap.setAction(endorsedAction);
    const txAction = new peer.TransactionAction();
    txAction.setHeader(header.getSignatureHeader_asU8());
    txAction.setPayload(cap.serializeBinary());
    const tx = new peer.Transaction();
    tx.addActions(txAction);
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(tx.serializeBinary());
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());
    return envelope;
}

function configValue(message, modPolicy = 'Admins') {
    const value = new common.ConfigValue();
    value.setValue(message.serializeBinary());
    value.setModPolicy(modPolicy);
    return value;
}

function mspGroup(mspId, rootPems) {
    const fabricMsp = new msp.FabricMSPConfig();
    fabricMsp.setName(mspId);
    fabricMsp.setRootCertsList(rootPems.map((p) => Buffer.from(p, 'utf8')));
    const cryptoConfig = new msp.FabricCryptoConfig();
    cryptoConfig.setSignatureHashFamily('SHA2');
    cryptoConfig.setIdentityIdentifierHashFunction('SHA256');
    fabricMsp.setCryptoConfig(cryptoConfig);
    const mspConfig = new msp.MSPConfig();
    mspConfig.setType(0); // FABRIC
    mspConfig.setConfig(fabricMsp.serializeBinary());
    const group = new common.ConfigGroup();
    group.getValuesMap().set('MSP', configValue(mspConfig));
    group.setModPolicy('Admins');
    return group;
}

function capabilities(...names) {
    const caps = new common.Capabilities();
    for (const n of names) caps.getCapabilitiesMap().set(n, new common.Capability());
    return caps;
}

/**
 * The genesis (config) block of the channel: one CONFIG envelope carrying a ConfigEnvelope whose channel group holds
 * the hashing values and the application and orderer organisations' MSPs (root certificates). Kept minimal: no
 * policies, no consenters. Like configtxgen's genesis block it is not signed by an orderer.
 */
function genesisBlock({ channelId, applicationMsps, ordererMsps }) {
    const channelGroup = new common.ConfigGroup();
    const hashing = new common.HashingAlgorithm();
    hashing.setName('SHA256');
    const dataHashing = new common.BlockDataHashingStructure();
    dataHashing.setWidth(0xffffffff);
    channelGroup.getValuesMap().set('HashingAlgorithm', configValue(hashing));
    channelGroup.getValuesMap().set('BlockDataHashingStructure', configValue(dataHashing));
    channelGroup.getValuesMap().set('Capabilities', configValue(capabilities('V2_0')));
    const application = new common.ConfigGroup();
    for (const [mspId, pems] of applicationMsps) application.getGroupsMap().set(mspId, mspGroup(mspId, pems));
    application.getValuesMap().set('Capabilities', configValue(capabilities('V2_5')));
    application.setModPolicy('Admins');
    const orderer = new common.ConfigGroup();
    for (const [mspId, pems] of ordererMsps) orderer.getGroupsMap().set(mspId, mspGroup(mspId, pems));
    orderer.getValuesMap().set('Capabilities', configValue(capabilities('V2_0')));
    orderer.setModPolicy('Admins');
    channelGroup.getGroupsMap().set('Application', application);
    channelGroup.getGroupsMap().set('Orderer', orderer);
    channelGroup.setModPolicy('Admins');
    const config = new common.Config();
    config.setSequence(0);
    config.setChannelGroup(channelGroup);
    const configEnvelope = new common.ConfigEnvelope();
    configEnvelope.setConfig(config);

    const nonce = createNonce();
    const signatureHeader = new common.SignatureHeader();
    signatureHeader.setNonce(nonce);
    const channelHeader = new common.ChannelHeader();
    channelHeader.setType(common.HeaderType.CONFIG);
    channelHeader.setVersion(1);
    channelHeader.setChannelId(channelId);
    channelHeader.setTimestamp(nowTimestamp());
    channelHeader.setEpoch(0);
    channelHeader.setTxId(computeTxId(nonce, Buffer.alloc(0)));
    const header = new common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    header.setSignatureHeader(signatureHeader.serializeBinary());
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(configEnvelope.serializeBinary());
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());
    return { envelopeBytes: Buffer.from(envelope.serializeBinary()), txId: channelHeader.getTxId() };
}

/** protoutil.NewBlock: header {number, previous_hash, data_hash}, the data, and five empty metadata entries. */
function newBlock(number, previousHash, dataList) {
    const block = new common.Block();
    const header = new common.BlockHeader();
    header.setNumber(number);
    header.setPreviousHash(previousHash || Buffer.alloc(0));
    header.setDataHash(blockDataHash(dataList));
    const data = new common.BlockData();
    data.setDataList(dataList);
    const metadata = new common.BlockMetadata();
    metadata.setMetadataList([0, 1, 2, 3, 4].map(() => new Uint8Array(0)));
    block.setHeader(header);
    block.setData(data);
    block.setMetadata(metadata);
    return block;
}

function setMetadata(block, index, bytes) {
    const list = block.getMetadata().getMetadataList_asU8().slice();
    list[index] = bytes;
    block.getMetadata().setMetadataList(list);
}

/**
 * The orderer's block writer (orderer/common/multichannel/blockwriter.go): SIGNATURES = Metadata{value:
 * OrdererBlockMetadata{last_config, consenter_metadata}, signatures: [MetadataSignature{signature_header, signature
 * over value ‖ signature_header ‖ BlockHeaderBytes}]}, and LAST_CONFIG = Metadata{value: LastConfig}.
 */
function signBlock(block, { serializedIdentity, privateKey }, lastConfigIndex) {
    const lastConfig = new common.LastConfig();
    lastConfig.setIndex(lastConfigIndex);
    const obm = new common.OrdererBlockMetadata();
    obm.setLastConfig(lastConfig);
    obm.setConsenterMetadata(new common.Metadata().serializeBinary());
    const value = Buffer.from(obm.serializeBinary());
    const signatureHeader = new common.SignatureHeader();
    signatureHeader.setCreator(serializedIdentity);
    signatureHeader.setNonce(createNonce());
    const signatureHeaderBytes = Buffer.from(signatureHeader.serializeBinary());
    const ms = new common.MetadataSignature();
    ms.setSignatureHeader(signatureHeaderBytes);
    ms.setSignature(ecdsa.sign(privateKey, Buffer.concat([value, signatureHeaderBytes, blockHeaderBytes(block.getHeader())])));
    const signatures = new common.Metadata();
    signatures.setValue(value);
    signatures.addSignatures(ms);
    setMetadata(block, common.BlockMetadataIndex.SIGNATURES, signatures.serializeBinary());
    addLastConfig(block, lastConfigIndex);
}

function addLastConfig(block, lastConfigIndex) {
    const lastConfig = new common.LastConfig();
    lastConfig.setIndex(lastConfigIndex);
    const lastConfigMetadata = new common.Metadata();
    lastConfigMetadata.setValue(lastConfig.serializeBinary());
    setMetadata(block, common.BlockMetadataIndex.LAST_CONFIG, lastConfigMetadata.serializeBinary());
}

/** Genesis metadata as configtxgen writes it: unsigned SIGNATURES value and LAST_CONFIG 0. */
function genesisMetadata(block) {
    const lastConfig = new common.LastConfig();
    lastConfig.setIndex(0);
    const obm = new common.OrdererBlockMetadata();
    obm.setLastConfig(lastConfig);
    const signatures = new common.Metadata();
    signatures.setValue(obm.serializeBinary());
    setMetadata(block, common.BlockMetadataIndex.SIGNATURES, signatures.serializeBinary());
    addLastConfig(block, 0);
}

module.exports = {
    sha256,
    computeTxId,
    createNonce,
    nowTimestamp,
    blockHeaderBytes,
    blockHeaderHash,
    blockDataHash,
    proposalHash,
    cppWithoutTransient,
    txReadWriteSetBytes,
    parseTxReadWriteSet,
    proposalResponsePayloadBytes,
    endorse,
    prepareTransaction,
    genesisBlock,
    newBlock,
    setMetadata,
    signBlock,
    genesisMetadata,
};
