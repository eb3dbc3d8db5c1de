'use strict';

// protos.Deliver/Deliver as a peer answers it (common/deliver/deliver.go): for each Envelope carrying a SeekInfo the
// client sends, check the envelope (channel header, timestamp window, signature by a channel reader), then send
// DeliverResponse{block} for each block from start to stop, waiting for blocks not yet committed with
// BLOCK_UNTIL_READY or answering NOT_FOUND with FAIL_IF_NOT_READY, then DeliverResponse{status: SUCCESS}.
// Refusals are a DeliverResponse{status} (BAD_REQUEST, NOT_FOUND, FORBIDDEN) and the stream stays open, as a peer's.
// DeliverFiltered and DeliverWithPrivateData answer UNIMPLEMENTED.

const grpc = require('@grpc/grpc-js');
const { common, orderer, peer } = require('@hyperledger/fabric-protos');

const TIME_WINDOW_MS = 15 * 60 * 1000; // peer.deliveryclient / deliver TimeWindow default

class DeliverService {
    constructor({ ledger, msps, log }) {
        this.ledger = ledger;
        this.msps = msps;
        this.log = log;
    }

    handlers() {
        const unimplemented = (name) => (call) => {
            call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by the Fabric protocol conformance server` });
        };
        return {
            deliver: (call) => this.deliver(call),
            deliverFiltered: unimplemented('DeliverFiltered'),
            deliverWithPrivateData: unimplemented('DeliverWithPrivateData'),
        };
    }

    deliver(call) {
        const abort = new AbortController();
        let chain = Promise.resolve();
        call.on('data', (envelope) => {
            chain = chain.then(() => this.handleSeek(call, envelope, abort.signal)).catch((err) => {
                if (!abort.signal.aborted) this.log(`Deliver: ${err.stack || err}`);
            });
        });
        call.on('end', () => chain.then(() => { if (!abort.signal.aborted) call.end(); }));
        call.on('cancelled', () => abort.abort());
        call.on('error', () => abort.abort());
    }

    sendStatus(call, status, why) {
        if (why) this.log(`Deliver: ${Object.keys(common.Status).find((k) => common.Status[k] === status)}: ${why}`);
        const response = new peer.DeliverResponse();
        response.setStatus(status);
        call.write(response);
    }

    async handleSeek(call, envelope, signal) {
        let payload;
        let channelHeader;
        let signatureHeader;
        let seekInfo;
        try {
            payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
            if (!payload.getHeader()) throw new Error('no header');
            channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8());
            signatureHeader = common.SignatureHeader.deserializeBinary(payload.getHeader().getSignatureHeader_asU8());
        } catch (err) {
            this.sendStatus(call, common.Status.BAD_REQUEST, `malformed envelope: ${err.message}`);
            return;
        }
        if (channelHeader.getType() !== common.HeaderType.DELIVER_SEEK_INFO) {
            this.sendStatus(call, common.Status.BAD_REQUEST, `channel header type ${channelHeader.getType()} is not DELIVER_SEEK_INFO`);
            return;
        }
        const ts = channelHeader.getTimestamp();
        if (!ts || Math.abs(ts.toDate().getTime() - Date.now()) > TIME_WINDOW_MS) {
            this.sendStatus(call, common.Status.BAD_REQUEST, 'envelope timestamp is outside the allowed time window');
            return;
        }
        if (channelHeader.getChannelId() !== this.ledger.channelId) {
            this.sendStatus(call, common.Status.NOT_FOUND, `channel ${channelHeader.getChannelId()} not found`);
            return;
        }
        const check = this.msps.checkSignedData(signatureHeader.getCreator_asU8(), envelope.getPayload_asU8(), envelope.getSignature_asU8());
        if (!check.ok) {
            this.sendStatus(call, common.Status.FORBIDDEN, `access denied: ${check.reason}`);
            return;
        }
        try {
            seekInfo = orderer.SeekInfo.deserializeBinary(payload.getData_asU8());
        } catch (err) {
            this.sendStatus(call, common.Status.BAD_REQUEST, `malformed seekInfo payload: ${err.message}`);
            return;
        }
        const height = this.ledger.height;
        const position = (p, what) => {
            if (!p) throw new Error(`${what} position is missing`);
            switch (p.getTypeCase()) {
            case orderer.SeekPosition.TypeCase.OLDEST: return 0;
            case orderer.SeekPosition.TypeCase.NEWEST: return height - 1;
            case orderer.SeekPosition.TypeCase.SPECIFIED: return p.getSpecified().getNumber();
            default: throw new Error(`unknown ${what} position type`);
            }
        };
        let start;
        let stop;
        try {
            start = position(seekInfo.getStart(), 'start');
            stop = position(seekInfo.getStop(), 'stop');
        } catch (err) {
            this.sendStatus(call, common.Status.BAD_REQUEST, err.message);
            return;
        }
        if (stop < start) {
            this.sendStatus(call, common.Status.BAD_REQUEST, `start number greater than stop number (${start} > ${stop})`);
            return;
        }
        const failIfNotReady = seekInfo.getBehavior() === orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY;
        for (let n = start; n <= stop; n += 1) {
            if (signal.aborted) return;
            if (failIfNotReady && n >= this.ledger.height) {
                this.sendStatus(call, common.Status.NOT_FOUND, `block ${n} is not committed yet`);
                return;
            }
            const record = await this.ledger.waitForBlock(n, signal);
            const response = new peer.DeliverResponse();
            response.setBlock(common.Block.deserializeBinary(record.bytes));
            if (!call.write(response)) {
                await new Promise((r) => {
                    call.once('drain', r);
                    signal.addEventListener('abort', r, { once: true });
                });
            }
        }
        this.sendStatus(call, common.Status.SUCCESS);
    }
}

module.exports = { DeliverService };
