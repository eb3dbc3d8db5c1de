'use strict';

// gateway.Gateway (Evaluate, Endorse, Submit, CommitStatus, ChaincodeEvents) answered the way Fabric 2.5's
// internal/pkg/gateway/api.go answers, with the conformance peer as the only endorser and the in-process "orderer".
// Errors carry google.rpc.Status details of gateway.ErrorDetail{address, msp_id, message} in the
// grpc-status-details-bin trailer where Fabric attaches them.

const grpc = require('@grpc/grpc-js');
const { Any } = require('google-protobuf/google/protobuf/any_pb');
const { common, gateway, google, orderer, peer } = require('@hyperledger/fabric-protos');
const fabric = require('./fabric');
const { responseStatus } = require('./endorser');

const READERS_DENIED = 'failed evaluating policy on signed data during check policy [/Channel/Application/Readers]: '
    + "[implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Readers' sub-policies to be satisfied]";

/** status.New(code, message).WithDetails(details...) as a grpc-js ServiceError. */
function rpcError(code, message, details = []) {
    const error = { code, details: message, message };
    if (details.length > 0) {
        const status = new google.rpc.Status();
        status.setCode(code);
        status.setMessage(message);
        status.setDetailsList(details.map((d) => {
            const any = new Any();
            any.pack(d.serializeBinary(), 'gateway.ErrorDetail');
            return any;
        }));
        const metadata = new grpc.Metadata();
        metadata.set('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
        error.metadata = metadata;
    }
    return error;
}

function errorDetail(address, mspId, message) {
    const d = new gateway.ErrorDetail();
    d.setAddress(address);
    d.setMspId(mspId);
    d.setMessage(message);
    return d;
}

/** gateway getChannelAndChaincodeFromSignedProposal. Throws with Fabric's messages. */
function channelAndChaincode(signedProposal) {
    if (!signedProposal || signedProposal.getProposalBytes_asU8().length === 0) throw new Error('a signed proposal is required');
    const proposal = peer.Proposal.deserializeBinary(signedProposal.getProposalBytes_asU8());
    const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    const cpp = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
    const spec = peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8());
    const channelId = channelHeader.getChannelId();
    if (channelId.length === 0) throw new Error('no channel id provided');
    if (!spec.getChaincodeSpec()) throw new Error(`no chaincode spec is provided, channel id [${channelId}]`);
    if (!spec.getChaincodeSpec().getChaincodeId()) throw new Error(`no chaincode id is provided, channel id [${channelId}]`);
    const name = spec.getChaincodeSpec().getChaincodeId().getName();
    if (name.length === 0) throw new Error(`no chaincode name is provided, channel id [${channelId}]`);
    return { channelId, chaincodeName: name, hasTransientData: cpp.getTransientmapMap().getLength() > 0 };
}

class GatewayService {
    /**
     * @param {object} o { ledger, endorser, msps, address (string, for ErrorDetail), log }
     */
    constructor({ ledger, endorser, msps, address, log }) {
        this.ledger = ledger;
        this.endorser = endorser;
        this.msps = msps;
        this.address = address;
        this.log = log;
        this.endorsed = new Map(); // txId -> prepared (unsigned) payload bytes, for Submit's check
    }

    detail(message) {
        return errorDetail(this.address(), this.endorser.identity.mspId, message);
    }

    knownTarget(channelId, chaincodeName) {
        return channelId === this.ledger.channelId && chaincodeName === this.ledger.chaincodeName;
    }

    handlers() {
        const wrap = (name, fn) => (call, callback) => {
            fn.call(this, call).then((response) => callback(null, response), (err) => {
                if (err && typeof err.code === 'number') {
                    this.log(`${name}: ${grpc.status[err.code]} ${err.details}`);
                    callback(err);
                } else {
                    this.log(`${name}: internal error ${err?.stack || err}`);
                    callback({ code: grpc.status.INTERNAL, details: String(err?.message || err) });
                }
            });
        };
        return {
            evaluate: wrap('Evaluate', this.evaluate),
            endorse: wrap('Endorse', this.endorse),
            submit: wrap('Submit', this.submit),
            commitStatus: wrap('CommitStatus', this.commitStatus),
            chaincodeEvents: (call) => this.chaincodeEvents(call),
        };
    }

    async evaluate(call) {
        const signedProposal = call.request.getProposedTransaction();
        let target;
        try {
            target = channelAndChaincode(signedProposal);
        } catch (err) {
            throw rpcError(grpc.status.INVALID_ARGUMENT, `failed to unpack transaction proposal: ${err.message}`);
        }
        if (!this.knownTarget(target.channelId, target.chaincodeName)) {
            throw rpcError(grpc.status.FAILED_PRECONDITION,
                `no peers available to evaluate chaincode ${target.chaincodeName} in channel ${target.channelId}`);
        }
        const result = await this.endorser.processProposal(signedProposal, { endorse: false });
        const failure = responseStatus(result);
        if (failure) {
            throw rpcError(failure.code, `evaluate call to endorser returned error: ${failure.message}`, [this.detail(failure.message)]);
        }
        const response = new peer.Response();
        response.setStatus(result.response.status);
        response.setMessage(result.response.message);
        response.setPayload(result.response.payload);
        const answer = new gateway.EvaluateResponse();
        answer.setResult(response);
        return answer;
    }

    async endorse(call) {
        const signedProposal = call.request.getProposedTransaction();
        if (!signedProposal || signedProposal.getProposalBytes_asU8().length === 0) {
            throw rpcError(grpc.status.INVALID_ARGUMENT, 'the proposed transaction must contain a signed proposal');
        }
        let target;
        try {
            target = channelAndChaincode(signedProposal);
        } catch (err) {
            throw rpcError(grpc.status.INVALID_ARGUMENT, err.message);
        }
        const orgs = call.request.getEndorsingOrganizationsList();
        if (orgs.length > 0 && !orgs.every((o) => o === this.endorser.identity.mspId)) {
            throw rpcError(grpc.status.UNAVAILABLE, `failed to find any endorsing peers for org(s): ${orgs.filter((o) => o !== this.endorser.identity.mspId).join(', ')}`);
        }
        if (!this.knownTarget(target.channelId, target.chaincodeName)) {
            throw rpcError(grpc.status.FAILED_PRECONDITION,
                `no combination of peers can be derived which satisfy the endorsement policy: chaincode ${target.chaincodeName} not found in channel ${target.channelId}`);
        }
        const result = await this.endorser.processProposal(signedProposal, { endorse: true });
        const failure = responseStatus(result);
        if (failure) {
            throw rpcError(grpc.status.ABORTED, 'failed to endorse transaction, see attached details for more info', [this.detail(failure.message)]);
        }
        const envelope = fabric.prepareTransaction(result.up.header, result.up.cppNoTransient, result.prpBytes, [result.endorsement]);
        this.endorsed.set(result.up.txId, Buffer.from(envelope.getPayload_asU8()));
        const answer = new gateway.EndorseResponse();
        answer.setPreparedTransaction(envelope);
        return answer;
    }

    async submit(call) {
        const request = call.request;
        const txn = request.getPreparedTransaction();
        if (!txn) throw rpcError(grpc.status.INVALID_ARGUMENT, 'a prepared transaction is required');
        if (txn.getSignature_asU8().length === 0) throw rpcError(grpc.status.INVALID_ARGUMENT, 'prepared transaction must be signed');
        if (request.getChannelId() !== this.ledger.channelId) {
            throw rpcError(grpc.status.FAILED_PRECONDITION, `channel '${request.getChannelId()}' not found`);
        }
        // The ordering service's Broadcast checks (msgprocessor): a well-formed envelope for this channel signed by a
        // channel writer. A 4xx answer becomes ABORTED "received unsuccessful response from orderer" without details.
        const refuse = (status, info) => rpcError(grpc.status.ABORTED, `received unsuccessful response from orderer: status=${status}, info=${info}`);
        let payload;
        let channelHeader;
        let signatureHeader;
        try {
            payload = common.Payload.deserializeBinary(txn.getPayload_asU8());
            channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8());
            signatureHeader = common.SignatureHeader.deserializeBinary(payload.getHeader().getSignatureHeader_asU8());
        } catch (err) {
            throw refuse('BAD_REQUEST', `bad payload: ${err.message}`);
        }
        if (channelHeader.getChannelId() !== this.ledger.channelId) {
            throw refuse('BAD_REQUEST', `channel header channel id '${channelHeader.getChannelId()}' is not '${this.ledger.channelId}'`);
        }
        const signed = this.msps.checkSignedData(signatureHeader.getCreator_asU8(), txn.getPayload_asU8(), txn.getSignature_asU8());
        if (!signed.ok) {
            this.log(`Submit: envelope signature refused: ${signed.reason}`);
            throw refuse('FORBIDDEN', 'implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the \'Writers\' sub-policies to be satisfied');
        }
        // Conformance check (a real orderer does not do this; a peer would mark such a transaction invalid at commit):
        // the signed payload must be exactly a payload this gateway prepared at Endorse.
        const txId = channelHeader.getTxId();
        const prepared = this.endorsed.get(txId);
        if (!prepared || !prepared.equals(Buffer.from(txn.getPayload_asU8()))) {
            throw refuse('BAD_REQUEST', `transaction ${txId} is not a transaction endorsed by this gateway, or its payload was changed after endorsement`);
        }
        this.ledger.order(Buffer.from(txn.serializeBinary()));
        return new gateway.SubmitResponse();
    }

    /** CheckACL on signed data: identity valid in a channel MSP and signature good; null or the PermissionDenied error. */
    checkReader(channelId, identity, data, signature) {
        if (channelId !== this.ledger.channelId) {
            return rpcError(grpc.status.PERMISSION_DENIED, `failed to get policy manager for channel [${channelId}]`);
        }
        const check = this.msps.checkSignedData(identity, data, signature);
        if (!check.ok) {
            this.log(`signed request refused: ${check.reason}`);
            return rpcError(grpc.status.PERMISSION_DENIED, READERS_DENIED);
        }
        return null;
    }

    async commitStatus(call) {
        const signed = call.request;
        if (signed.getRequest_asU8().length === 0) throw rpcError(grpc.status.INVALID_ARGUMENT, 'a commit status request is required');
        let request;
        try {
            request = gateway.CommitStatusRequest.deserializeBinary(signed.getRequest_asU8());
        } catch (err) {
            throw rpcError(grpc.status.INVALID_ARGUMENT, `invalid status request: ${err.message}`);
        }
        if (request.getIdentity_asU8().length === 0) throw rpcError(grpc.status.INVALID_ARGUMENT, 'no identity provided');
        if (request.getChannelId() === '') throw rpcError(grpc.status.INVALID_ARGUMENT, 'no channel ID provided');
        if (request.getTransactionId() === '') throw rpcError(grpc.status.INVALID_ARGUMENT, 'transaction ID should not be empty');
        const denied = this.checkReader(request.getChannelId(), request.getIdentity_asU8(), signed.getRequest_asU8(), signed.getSignature_asU8());
        if (denied) throw denied;
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        let status;
        try {
            status = await this.ledger.waitForTx(request.getTransactionId(), abort.signal);
        } catch {
            throw rpcError(grpc.status.CANCELLED, 'context canceled');
        }
        const answer = new gateway.CommitStatusResponse();
        answer.setResult(status.code);
        answer.setBlockNumber(status.blockNumber);
        return answer;
    }

    async chaincodeEvents(call) {
        const fail = (err) => {
            this.log(`ChaincodeEvents: ${grpc.status[err.code]} ${err.details}`);
            call.emit('error', err);
        };
        const signed = call.request;
        if (signed.getRequest_asU8().length === 0) {
            fail(rpcError(grpc.status.INVALID_ARGUMENT, 'a chaincode events request is required'));
            return;
        }
        let request;
        try {
            request = gateway.ChaincodeEventsRequest.deserializeBinary(signed.getRequest_asU8());
        } catch (err) {
            fail(rpcError(grpc.status.INVALID_ARGUMENT, `invalid chaincode events request: ${err.message}`));
            return;
        }
        const denied = this.checkReader(request.getChannelId(), request.getIdentity_asU8(), signed.getRequest_asU8(), signed.getSignature_asU8());
        if (denied) {
            fail(denied);
            return;
        }
        // chaincodeEventsStartBlock: the block of after_transaction_id if committed, else the start position
        // (unset / next_commit: the ledger height; specified: that number; others: INVALID_ARGUMENT).
        let startBlock;
        const afterTxId = request.getAfterTransactionId();
        const afterStatus = afterTxId ? this.ledger.txStatus(afterTxId) : null;
        if (afterStatus) {
            startBlock = afterStatus.blockNumber;
        } else {
            const position = request.getStartPosition();
            const typeCase = position ? position.getTypeCase() : orderer.SeekPosition.TypeCase.TYPE_NOT_SET;
            switch (typeCase) {
            case orderer.SeekPosition.TypeCase.TYPE_NOT_SET:
            case orderer.SeekPosition.TypeCase.NEXT_COMMIT:
                startBlock = this.ledger.height;
                break;
            case orderer.SeekPosition.TypeCase.SPECIFIED:
                startBlock = position.getSpecified().getNumber();
                break;
            default: {
                const name = typeCase === orderer.SeekPosition.TypeCase.OLDEST ? 'Oldest' : 'Newest';
                fail(rpcError(grpc.status.INVALID_ARGUMENT, `invalid start position type: *orderer.SeekPosition_${name}`));
                return;
            }
            }
        }
        // chaincodeEventMatcher: with after_transaction_id, skip events up to and including that transaction's.
        const chaincodeId = request.getChaincodeId();
        let passedPrevious = !afterTxId;
        const isMatch = (event) => {
            if (!passedPrevious) {
                if (event.txId === afterTxId) passedPrevious = true;
                return false;
            }
            return event.chaincodeId === chaincodeId;
        };
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        call.on('close', () => abort.abort());
        try {
            for (let number = startBlock; !abort.signal.aborted; number += 1) {
                const record = await this.ledger.waitForBlock(number, abort.signal);
                const events = record.txs.filter((tx) => tx.code === peer.TxValidationCode.VALID && tx.event).map((tx) => tx.event).filter(isMatch);
                if (events.length === 0) continue;
                const response = new gateway.ChaincodeEventsResponse();
                response.setBlockNumber(record.number);
                response.setEventsList(events.map((e) => {
                    const ev = new peer.ChaincodeEvent();
                    ev.setChaincodeId(e.chaincodeId);
                    ev.setTxId(e.txId);
                    ev.setEventName(e.eventName);
                    ev.setPayload(e.payload);
                    return ev;
                }));
                const ok = call.write(response);
                if (!ok) {
                    await new Promise((r) => {
                        call.once('drain', r);
                        abort.signal.addEventListener('abort', r, { once: true });
                    });
                }
            }
        } catch {
            // aborted: the client closed the stream
        }
    }
}

module.exports = { GatewayService, rpcError, errorDetail };
