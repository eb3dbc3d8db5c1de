'use strict';

// The conformance peer's endorser: what core/endorser/endorser.go ProcessProposal does for an application chaincode
// proposal. UnpackProposal, then Validate (header type, epoch 0, nonce, creator, tx id = SHA-256(nonce ‖ creator),
// creator identity valid in a channel MSP, signature over proposal_bytes), duplicate tx id check, then simulation of
// the chaincode, the ProposalResponsePayload and the endorsement (escc: signature over payload ‖ endorser).
//
// Returns, like ProcessProposal, either { err } (a validation failure: the gateway maps it to FAILED_PRECONDITION), or
// { response, payload? } with response.status >= 400 (a chaincode error), or a successful endorsement.

const grpc = require('@grpc/grpc-js');
const { common, peer } = require('@hyperledger/fabric-protos');
const fabric = require('./fabric');
const { simulate } = require('./chaincode-runtime');
const { lifecycleSequenceKey } = require('./ledger');

const CHAINCODE_VERSION = '1.0';

/** core/endorser UnpackProposal. Throws with Fabric's messages on malformed input. */
function unpackProposal(signedProposal) {
    const proposalBytes = signedProposal.getProposalBytes_asU8();
    const proposal = peer.Proposal.deserializeBinary(proposalBytes);
    const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
    const channelHeaderBytes = header.getChannelHeader_asU8();
    const signatureHeaderBytes = header.getSignatureHeader_asU8();
    const channelHeader = common.ChannelHeader.deserializeBinary(channelHeaderBytes);
    const signatureHeader = common.SignatureHeader.deserializeBinary(signatureHeaderBytes);
    const headerExtension = peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension_asU8());
    if (!headerExtension.getChaincodeId()) throw new Error('ChaincodeHeaderExtension.ChaincodeId is nil');
    if (headerExtension.getChaincodeId().getName() === '') throw new Error('ChaincodeHeaderExtension.ChaincodeId.Name is empty');
    const cpp = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
    const cis = peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8());
    if (!cis.getChaincodeSpec()) throw new Error('chaincode invocation spec did not contain chaincode spec');
    if (!cis.getChaincodeSpec().getInput()) throw new Error('chaincode input did not contain any input');
    const cppNoTransient = fabric.cppWithoutTransient(cpp);
    return {
        signedProposal,
        proposal,
        header,
        channelHeader,
        signatureHeader,
        chaincodeName: headerExtension.getChaincodeId().getName(),
        input: cis.getChaincodeSpec().getInput(),
        cppNoTransient,
        proposalHash: fabric.proposalHash(channelHeaderBytes, signatureHeaderBytes, cppNoTransient),
        channelId: channelHeader.getChannelId(),
        txId: channelHeader.getTxId(),
    };
}

class Endorser {
    /**
     * @param {object} o { ledger, msps, chaincodeName, identity {mspId, serializedIdentity, privateKey} }
     */
    constructor({ ledger, msps, chaincodeName, identity }) {
        this.ledger = ledger;
        this.msps = msps;
        this.chaincodeName = chaincodeName;
        this.identity = identity;
    }

    /** UnpackedProposal.Validate. Returns null or the error text. */
    validate(up) {
        const chType = up.channelHeader.getType();
        if (chType !== common.HeaderType.ENDORSER_TRANSACTION && chType !== common.HeaderType.CONFIG) {
            const name = Object.keys(common.HeaderType).find((k) => common.HeaderType[k] === chType) || String(chType);
            return `invalid header type ${name}`;
        }
        if (up.channelHeader.getEpoch() !== 0) return 'epoch is non-zero';
        const nonce = up.signatureHeader.getNonce_asU8();
        const creator = up.signatureHeader.getCreator_asU8();
        if (nonce.length === 0) return 'nonce is empty';
        if (creator.length === 0) return 'creator is empty';
        const expected = fabric.computeTxId(nonce, creator);
        if (up.txId !== expected) return `incorrectly computed txid '${up.txId}' -- expected '${expected}'`;
        if (up.signedProposal.getSignature_asU8().length === 0) return 'empty signature bytes';
        const check = this.msps.checkSignedData(creator, up.signedProposal.getProposalBytes_asU8(), up.signedProposal.getSignature_asU8());
        if (!check.ok) {
            if (!check.known) return `access denied: channel [${up.channelId}] creator org unknown, creator is malformed`;
            return `access denied: channel [${up.channelId}] creator org [${check.mspId}]`;
        }
        return null;
    }

    /**
     * ProcessProposal for the gateway. Returns { err, reason } | { failed: {status, message, hasPayload} } |
     * { up, response, prpBytes, endorsement }.
     */
    async processProposal(signedProposal, { endorse }) {
        let up;
        try {
            up = unpackProposal(signedProposal);
        } catch (err) {
            return { err: err.message };
        }
        if (up.channelId !== this.ledger.channelId) {
            return { failed: { status: 500, message: `channel '${up.channelId}' not found`, hasPayload: false } };
        }
        const invalid = this.validate(up);
        if (invalid) return { err: `error validating proposal: ${invalid}`, reason: invalid };
        if (this.ledger.txStatus(up.txId)) {
            const creatorHex = Buffer.from(up.signatureHeader.getCreator_asU8()).toString('hex');
            return { err: `duplicate transaction found [${up.txId}]. Creator [${creatorHex}]` };
        }
        if (up.chaincodeName !== this.chaincodeName) {
            return {
                failed: {
                    status: 500,
                    message: `make sure the chaincode ${up.chaincodeName} has been successfully defined on channel ${up.channelId} and try again: chaincode definition for '${up.chaincodeName}' exists, but chaincode is not installed`,
                    hasPayload: false,
                },
            };
        }
        // ChaincodeEndorsementInfo reads the definition from _lifecycle with the same simulator as the chaincode.
        const lifecycleReads = new Map();
        const sim = await this.ledger.withSimulation(() => {
            const key = lifecycleSequenceKey(this.chaincodeName);
            lifecycleReads.set(key, this.ledger.get('_lifecycle', key)?.version || null);
            return simulate({
                worldState: this.ledger,
                namespace: this.chaincodeName,
                channelId: up.channelId,
                txId: up.txId,
                inputBytes: up.input.serializeBinary(),
                signedProposalBytes: signedProposal.serializeBinary(),
            });
        });
        const chaincodeId = new peer.ChaincodeID();
        chaincodeId.setName(this.chaincodeName);
        chaincodeId.setVersion(CHAINCODE_VERSION);
        let event = null;
        if (sim.event) {
            // The peer's handler stamps the chaincode id and tx id on the chaincode's event.
            event = new peer.ChaincodeEvent();
            event.setChaincodeId(this.chaincodeName);
            event.setTxId(up.txId);
            event.setEventName(sim.event.name);
            event.setPayload(sim.event.payload);
        }
        const results = fabric.txReadWriteSetBytes(new Map([
            ['_lifecycle', { reads: lifecycleReads, writes: new Map() }],
            [this.chaincodeName, { reads: sim.reads, writes: sim.writes }],
        ]));
        if (sim.response.status >= 400) {
            // shim.ERROR (500) comes back with a payload, other error statuses without (ProcessProposalSuccessfullyOrError).
            return { failed: { status: sim.response.status, message: sim.response.message, hasPayload: sim.response.status >= 500 } };
        }
        const prpBytes = fabric.proposalResponsePayloadBytes({
            proposalHash: up.proposalHash, response: sim.response, results, event, chaincodeId,
        });
        const endorsement = endorse ? fabric.endorse(prpBytes, this.identity) : null;
        return { up, response: sim.response, prpBytes, endorsement };
    }
}

/**
 * gateway responseStatus(): the gRPC code and message for an endorser's answer, or null for success.
 * (internal/pkg/gateway/api.go)
 */
function responseStatus(result) {
    if (result.err !== undefined) return { code: grpc.status.FAILED_PRECONDITION, message: result.err };
    if (result.failed) {
        const { status, message, hasPayload } = result.failed;
        if (!hasPayload && status === 500) return { code: grpc.status.ABORTED, message };
        return { code: grpc.status.UNKNOWN, message: `chaincode response ${status}, ${message}` };
    }
    return null;
}

module.exports = { Endorser, unpackProposal, responseStatus, CHAINCODE_VERSION };
