'use strict';

// The channel's ledger, its "orderer" and its committer, in memory: blocks, world state with versions, the tx-id
// index and the notifications that CommitStatus, ChaincodeEvents and Deliver wait on.
//
// Ordering: Submit queues an envelope; a block is cut when --block-max-tx envelopes are queued or, earlier, when the
// batch timeout started by the first queued envelope fires (as an orderer's BatchSize.MaxMessageCount /
// BatchTimeout). Blocks are numbered, chained (previous_hash = SHA-256 of the previous BlockHeaderBytes) and signed
// by the orderer identity when cut. They are then committed one at a time, after --commit-delay-ms, with a peer's
// validation (core/committer/txvalidator, core/ledger MVCC): each transaction gets one validation code byte in the
// TRANSACTIONS_FILTER metadata and only VALID transactions update the world state.

const { EventEmitter } = require('node:events');
const { common, peer } = require('@hyperledger/fabric-protos');
const fabric = require('./fabric');

const Code = peer.TxValidationCode;
const CODE_NAMES = Object.fromEntries(Object.entries(Code).map(([k, v]) => [v, k]));

/** The _lifecycle key of a chaincode definition's sequence. */
function lifecycleSequenceKey(chaincodeName) {
    return `namespaces/fields/${chaincodeName}/Sequence`;
}

class Ledger extends EventEmitter {
    /**
     * @param {object} o { channelId, chaincodeName, msps (MspRegistry), endorserMspId, orderer {serializedIdentity,
     *   privateKey}, blockMaxTx, batchTimeoutMs, commitDelayMs, log }
     */
    constructor(o) {
        super();
        this.setMaxListeners(0);
        Object.assign(this, {
            channelId: o.channelId,
            chaincodeName: o.chaincodeName,
            msps: o.msps,
            endorserMspId: o.endorserMspId,
            orderer: o.orderer,
            blockMaxTx: o.blockMaxTx,
            batchTimeoutMs: o.batchTimeoutMs,
            commitDelayMs: o.commitDelayMs,
            log: o.log,
        });
        this.state = new Map(); // `${ns}\u0000${key}` -> { value: Buffer, version: {blockNum, txNum} }
        this.blocks = []; // committed: { number, block, bytes: Buffer, txs: [{txId, code, event}] }
        this.txIndex = new Map(); // txId -> { blockNumber, txNum, code } (first occurrence)
        this.queue = [];
        this.batchTimer = null;
        this.orderedHeight = 0;
        this.lastOrderedHeaderHash = null;
        this.commitChain = Promise.resolve();
        this.activeSimulations = 0;
        this.committing = null;
        this.idleWaiters = [];
        this.closed = false;
        this.lastConfigIndex = 0;
    }

    /** Height of the committed chain (the number of the next block to commit). */
    get height() {
        return this.blocks.length;
    }

    get(namespace, key) {
        return this.state.get(`${namespace}\u0000${key}`);
    }

    /** Writes the genesis config block and commits it (block 0). */
    createGenesis({ applicationMsps, ordererMsps }) {
        const { envelopeBytes, txId } = fabric.genesisBlock({ channelId: this.channelId, applicationMsps, ordererMsps });
        const block = fabric.newBlock(0, null, [envelopeBytes]);
        fabric.genesisMetadata(block);
        fabric.setMetadata(block, common.BlockMetadataIndex.TRANSACTIONS_FILTER, Uint8Array.from([Code.VALID]));
        this.orderedHeight = 1;
        this.lastOrderedHeaderHash = fabric.blockHeaderHash(block.getHeader());
        this.txIndex.set(txId, { blockNumber: 0, txNum: 0, code: Code.VALID });
        // The chaincode definition, deemed committed with the genesis block: a peer's endorser reads its Sequence from
        // the _lifecycle namespace for every proposal, so every transaction's rwset carries that read (as on Fabric 2.x).
        // Value: lifecycle StateData{Int64: 1}.
        this.state.set(`_lifecycle\u0000${lifecycleSequenceKey(this.chaincodeName)}`,
            { value: Buffer.from([0x08, 0x01]), version: { blockNum: 0, txNum: 0 } });
        this.appendCommitted(block, [{ txId, code: Code.VALID, event: null }]);
    }

    appendCommitted(block, txs) {
        const record = { number: block.getHeader().getNumber(), block, bytes: Buffer.from(block.serializeBinary()), txs };
        this.blocks.push(record);
        this.emit('block', record);
        for (const tx of txs) this.emit(`tx:${tx.txId}`, this.txIndex.get(tx.txId));
    }

    /** Runs `fn` while holding a simulation (read) lock: no block commits while a simulation reads state. */
    async withSimulation(fn) {
        while (this.committing) await this.committing;
        this.activeSimulations += 1;
        try {
            return await fn();
        } finally {
            this.activeSimulations -= 1;
            if (this.activeSimulations === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
        }
    }

    /** Orders an envelope (bytes as submitted). */
    order(envelopeBytes) {
        if (this.closed) throw new Error('the ledger is closed');
        this.queue.push(Buffer.from(envelopeBytes));
        if (this.queue.length >= this.blockMaxTx) {
            this.cutBlock();
        } else if (!this.batchTimer) {
            this.batchTimer = setTimeout(() => this.cutBlock(), this.batchTimeoutMs);
        }
    }

    cutBlock() {
        if (this.batchTimer) {
            clearTimeout(this.batchTimer);
            this.batchTimer = null;
        }
        if (this.queue.length === 0) return;
        const batch = this.queue.splice(0, this.blockMaxTx);
        const number = this.orderedHeight;
        const block = fabric.newBlock(number, this.lastOrderedHeaderHash, batch);
        fabric.signBlock(block, this.orderer, this.lastConfigIndex);
        this.orderedHeight += 1;
        this.lastOrderedHeaderHash = fabric.blockHeaderHash(block.getHeader());
        this.log(`orderer cut block ${number} with ${batch.length} transaction(s)`);
        const delay = this.commitDelayMs;
        this.commitChain = this.commitChain
            .then(() => (delay > 0 ? new Promise((r) => setTimeout(r, delay)) : undefined))
            .then(() => this.commitBlock(block))
            .catch((err) => this.log(`commit of block ${number} failed: ${err.stack || err}`));
        if (this.queue.length > 0) {
            if (this.queue.length >= this.blockMaxTx) this.cutBlock();
            else this.batchTimer = setTimeout(() => this.cutBlock(), this.batchTimeoutMs);
        }
    }

    async commitBlock(block) {
        if (this.closed) return;
        let release;
        this.committing = new Promise((r) => { release = r; });
        try {
            while (this.activeSimulations > 0) await new Promise((r) => this.idleWaiters.push(r));
            const number = block.getHeader().getNumber();
            const updates = new Map(); // state key -> entry, visible to later txs of this block for MVCC
            const seenInBlock = new Set();
            const txs = [];
            const codes = [];
            block.getData().getDataList_asU8().forEach((envelopeBytes, txNum) => {
                const result = this.validateTransaction(envelopeBytes, number, txNum, updates, seenInBlock);
                codes.push(result.code);
                if (result.txId) seenInBlock.add(result.txId);
                if (result.code === Code.VALID) {
                    for (const ns of result.rwsets) {
                        for (const w of ns.writes) {
                            const k = `${ns.namespace}\u0000${w.key}`;
                            updates.set(k, w.value === null ? null : { value: w.value, version: { blockNum: number, txNum } });
                        }
                    }
                }
                if (result.txId && !this.txIndex.has(result.txId)) {
                    this.txIndex.set(result.txId, { blockNumber: number, txNum, code: result.code });
                }
                txs.push({ txId: result.txId || '', code: result.code, event: result.code === Code.VALID ? result.event : null });
                this.log(`block ${number} tx ${txNum} ${result.txId || '(no tx id)'}: ${CODE_NAMES[result.code]}${result.reason ? ` (${result.reason})` : ''}`);
            });
            for (const [k, entry] of updates) {
                if (entry === null) this.state.delete(k);
                else this.state.set(k, entry);
            }
            fabric.setMetadata(block, common.BlockMetadataIndex.TRANSACTIONS_FILTER, Uint8Array.from(codes));
            this.appendCommitted(block, txs);
            this.log(`committed block ${number}`);
        } finally {
            this.committing = null;
            release();
        }
    }

    /**
     * A peer's validation of one envelope. Returns { code, txId, rwsets, event, reason }.
     * Order of checks as in Fabric's txvalidator: envelope/header, creator signature, tx id, duplicate tx id,
     * endorsements (policy: one valid endorsement by the conformance peer), then MVCC at commit.
     */
    validateTransaction(envelopeBytes, blockNumber, txNum, updates, seenInBlock) {
        let envelope;
        let payload;
        let channelHeader;
        let signatureHeader;
        try {
            envelope = common.Envelope.deserializeBinary(envelopeBytes);
            payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
            channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8());
            signatureHeader = common.SignatureHeader.deserializeBinary(payload.getHeader().getSignatureHeader_asU8());
        } catch (err) {
            return { code: Code.BAD_PAYLOAD, reason: err.message };
        }
        const txId = channelHeader.getTxId();
        if (channelHeader.getChannelId() !== this.channelId) return { code: Code.TARGET_CHAIN_NOT_FOUND, txId };
        if (channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return { code: Code.UNKNOWN_TX_TYPE, txId };
        const creator = signatureHeader.getCreator_asU8();
        const signed = this.msps.checkSignedData(creator, envelope.getPayload_asU8(), envelope.getSignature_asU8());
        if (!signed.ok) return { code: Code.BAD_CREATOR_SIGNATURE, txId, reason: signed.reason };
        if (fabric.computeTxId(signatureHeader.getNonce_asU8(), creator) !== txId) return { code: Code.BAD_PROPOSAL_TXID, txId };
        if (this.txIndex.has(txId) || seenInBlock.has(txId)) return { code: Code.DUPLICATE_TXID, txId };

        let prpBytes;
        let endorsements;
        let chaincodeAction;
        try {
            const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
            if (tx.getActionsList().length !== 1) return { code: Code.INVALID_ENDORSER_TRANSACTION, txId, reason: 'expected one action' };
            const txAction = tx.getActionsList()[0];
            if (!Buffer.from(txAction.getHeader_asU8()).equals(Buffer.from(payload.getHeader().getSignatureHeader_asU8()))) {
                return { code: Code.INVALID_ENDORSER_TRANSACTION, txId, reason: 'action signature header differs from the payload header' };
            }
            const cap = peer.ChaincodeActionPayload.deserializeBinary(txAction.getPayload_asU8());
            prpBytes = Buffer.from(cap.getAction().getProposalResponsePayload_asU8());
            endorsements = cap.getAction().getEndorsementsList();
            const prp = peer.ProposalResponsePayload.deserializeBinary(prpBytes);
            const expectedHash = fabric.proposalHash(payload.getHeader().getChannelHeader_asU8(),
                payload.getHeader().getSignatureHeader_asU8(), cap.getChaincodeProposalPayload_asU8());
            if (!expectedHash.equals(Buffer.from(prp.getProposalHash_asU8()))) {
                return { code: Code.INVALID_ENDORSER_TRANSACTION, txId, reason: 'proposal hash does not match' };
            }
            chaincodeAction = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
        } catch (err) {
            return { code: Code.BAD_PAYLOAD, txId, reason: err.message };
        }

        const endorsedByPeer = endorsements.some((e) => {
            const endorser = e.getEndorser_asU8();
            const check = this.msps.checkSignedData(endorser, Buffer.concat([prpBytes, Buffer.from(endorser)]), e.getSignature_asU8());
            return check.ok && check.mspId === this.endorserMspId;
        });
        if (!endorsedByPeer) {
            return { code: Code.ENDORSEMENT_POLICY_FAILURE, txId, reason: `no valid endorsement by ${this.endorserMspId}` };
        }
        if (chaincodeAction.getChaincodeId()?.getName() !== this.chaincodeName) {
            return { code: Code.INVALID_CHAINCODE, txId };
        }
        if (chaincodeAction.getResponse() && chaincodeAction.getResponse().getStatus() >= 400) {
            return { code: Code.INVALID_ENDORSER_TRANSACTION, txId, reason: 'endorsed response is an error' };
        }

        let rwsets;
        try {
            rwsets = fabric.parseTxReadWriteSet(chaincodeAction.getResults_asU8());
        } catch (err) {
            return { code: Code.BAD_RWSET, txId, reason: err.message };
        }
        for (const ns of rwsets) {
            if (ns.rangeQueries > 0) return { code: Code.PHANTOM_READ_CONFLICT, txId, reason: 'range queries are not supported' };
            for (const read of ns.reads) {
                const k = `${ns.namespace}\u0000${read.key}`;
                const current = updates.has(k) ? updates.get(k) : this.state.get(k);
                const committed = current ? current.version : null;
                const same = committed === null
                    ? read.version === null
                    : read.version !== null && read.version.blockNum === committed.blockNum && read.version.txNum === committed.txNum;
                if (!same) return { code: Code.MVCC_READ_CONFLICT, txId, reason: `read of ${ns.namespace}/${read.key} is stale` };
            }
        }
        let event = null;
        const eventBytes = chaincodeAction.getEvents_asU8();
        if (eventBytes.length > 0) {
            const e = peer.ChaincodeEvent.deserializeBinary(eventBytes);
            event = { chaincodeId: e.getChaincodeId(), txId: e.getTxId(), eventName: e.getEventName(), payload: Buffer.from(e.getPayload_asU8()) };
        }
        return { code: Code.VALID, txId, rwsets, event };
    }

    /** The committed status of a tx id, or null. */
    txStatus(txId) {
        return this.txIndex.get(txId) || null;
    }

    /**
     * Resolves with the tx's {blockNumber, code} once committed; `signal` (AbortSignal) rejects it.
     */
    waitForTx(txId, signal) {
        const known = this.txStatus(txId);
        if (known) return Promise.resolve(known);
        return new Promise((resolve, reject) => {
            const onTx = (status) => {
                signal?.removeEventListener('abort', onAbort);
                resolve(status);
            };
            const onAbort = () => {
                this.off(`tx:${txId}`, onTx);
                reject(new Error('aborted'));
            };
            this.once(`tx:${txId}`, onTx);
            signal?.addEventListener('abort', onAbort, { once: true });
        });
    }

    /** Resolves with committed block `number`, waiting for it if needed; `signal` (AbortSignal) rejects it. */
    waitForBlock(number, signal) {
        if (number < this.height) return Promise.resolve(this.blocks[number]);
        return new Promise((resolve, reject) => {
            const onBlock = (record) => {
                if (record.number >= number) {
                    this.off('block', onBlock);
                    signal?.removeEventListener('abort', onAbort);
                    resolve(this.blocks[number]);
                }
            };
            const onAbort = () => {
                this.off('block', onBlock);
                reject(new Error('aborted'));
            };
            if (signal?.aborted) {
                reject(new Error('aborted'));
                return;
            }
            this.on('block', onBlock);
            signal?.addEventListener('abort', onAbort, { once: true });
        });
    }

    close() {
        this.closed = true;
        if (this.batchTimer) clearTimeout(this.batchTimer);
        this.removeAllListeners();
    }
}

module.exports = { Ledger, CODE_NAMES, lifecycleSequenceKey };
