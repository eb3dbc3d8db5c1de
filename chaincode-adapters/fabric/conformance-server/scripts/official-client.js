'use strict';

// The official side of the C# client's conformance tests (tests/Customs.Ledger.Adapters.Fabric.Tests): Fabric's own
// Node client (@hyperledger/fabric-gateway 1.11.0) and protobuf bindings (@hyperledger/fabric-protos) build what the C#
// code must parse and check, and read and verify what the C# client built. One JSON object in on stdin, one out on
// stdout; nothing touches the network (the gateway connection is never used).
//
//   node official-client.js build   {mspId, certificate, privateKey, channel, chaincode, function, args}
//     -> {transactionId, proposedTransaction (base64 gateway.ProposedTransaction, signed), chaincodeEventsRequest (base64 gateway.SignedChaincodeEventsRequest)}
//   node official-client.js invoke  {address, tlsCa?, mspId, certificate, privateKey, channel, chaincode, function, args, submit}
//     -> {result (utf-8), transactionId, blockNumber, code} — through a gateway on 127.0.0.1 (the conformance server)
//   node official-client.js read    {proposedTransaction?, preparedTransaction?, commitStatusRequest?, chaincodeEventsRequest?} (base64, as the C# client made them)
//     -> the decoded fields and whether each signature, low-S rule and transaction id checks out

const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const { connect, signers } = require('@hyperledger/fabric-gateway');
const { common, gateway, msp, peer } = require('@hyperledger/fabric-protos');

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

function readStdin() {
    return new Promise((resolve, reject) => {
        let text = '';
        process.stdin.setEncoding('utf8');
        process.stdin.on('data', (chunk) => { text += chunk; });
        process.stdin.on('end', () => resolve(JSON.parse(text)));
        process.stdin.on('error', reject);
    });
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const fromB64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));

/** Reads r and s of a DER ECDSA signature; null when it is not strict DER. */
function derIntegers(signature) {
    const sig = Buffer.from(signature);
    if (sig.length < 8 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) {
        return null;
    }

    const values = [];
    let at = 2;
    for (let i = 0; i < 2; i++) {
        if (sig[at] !== 0x02) {
            return null;
        }

        const length = sig[at + 1];
        const bytes = sig.subarray(at + 2, at + 2 + length);
        if (bytes.length !== length || length === 0 || (bytes[0] === 0 && (length === 1 || bytes[1] < 0x80)) || bytes[0] >= 0x80) {
            return null;
        }

        values.push(BigInt('0x' + bytes.toString('hex')));
        at += 2 + length;
    }

    return at === sig.length ? values : null;
}

/** What Fabric's peer checks of a signature: a strict-DER, low-S ECDSA P-256 signature over SHA-256 by the identity's certificate. */
function checkSignature(serializedIdentity, message, signature) {
    const identity = msp.SerializedIdentity.deserializeBinary(serializedIdentity);
    const certificate = new crypto.X509Certificate(Buffer.from(identity.getIdBytes()));
    const integers = derIntegers(signature);
    const lowS = integers !== null && integers[1] <= P256_ORDER / 2n;
    const valid = integers !== null && crypto.verify('sha256', Buffer.from(message), { key: certificate.publicKey, dsaEncoding: 'der' }, Buffer.from(signature));
    return { mspId: identity.getMspid(), certificate: Buffer.from(identity.getIdBytes()).toString('utf8'), signatureValid: valid, lowS };
}

function transactionIdOf(signatureHeader) {
    return crypto.createHash('sha256').update(Buffer.concat([Buffer.from(signatureHeader.getNonce()), Buffer.from(signatureHeader.getCreator())])).digest('hex');
}

function readProposal(signedProposal, official) {
    const proposal = peer.Proposal.deserializeBinary(signedProposal.getProposalBytes());
    const header = common.Header.deserializeBinary(proposal.getHeader());
    const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader());
    const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader());
    const extension = peer.ChaincodeHeaderExtension.deserializeBinary(channelHeader.getExtension$());
    const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload());
    const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput()).getChaincodeSpec();
    const args = spec.getInput().getArgsList().map((a) => Buffer.from(a).toString('utf8'));
    return {
        officialTransactionId: official.getTransactionId(),
        officialDigestIsSha256: Buffer.from(official.getDigest()).equals(crypto.createHash('sha256').update(signedProposal.getProposalBytes()).digest()),
        type: channelHeader.getType(),
        channel: channelHeader.getChannelId(),
        transactionId: channelHeader.getTxId(),
        transactionIdValid: transactionIdOf(signatureHeader) === channelHeader.getTxId(),
        nonceLength: signatureHeader.getNonce().length,
        epoch: channelHeader.getEpoch(),
        timestampSeconds: channelHeader.getTimestamp().getSeconds(),
        chaincode: extension.getChaincodeId().getName(),
        specChaincode: spec.getChaincodeId().getName(),
        specType: spec.getType(),
        function: args[0],
        args: args.slice(1),
        ...checkSignature(signatureHeader.getCreator(), signedProposal.getProposalBytes(), signedProposal.getSignature()),
    };
}

async function build(input) {
    const client = new grpc.Client('127.0.0.1:9', grpc.credentials.createInsecure());
    const key = crypto.createPrivateKey(input.privateKey);
    const signer = signers.newPrivateKeySigner(key);
    const gw = connect({ client, identity: { mspId: input.mspId, credentials: Buffer.from(input.certificate) } });
    try {
        const network = gw.getNetwork(input.channel);
        const unsigned = network.getContract(input.chaincode).newProposal(input.function, { arguments: input.args });
        const signed = gw.newSignedProposal(unsigned.getBytes(), await signer(unsigned.getDigest()));
        const events = network.newChaincodeEventsRequest(input.chaincode, { startBlock: 5n });
        const signedEvents = gw.newSignedChaincodeEventsRequest(events.getBytes(), await signer(events.getDigest()));
        return { transactionId: signed.getTransactionId(), proposedTransaction: b64(signed.getBytes()), chaincodeEventsRequest: b64(signedEvents.getBytes()) };
    } finally {
        gw.close();
        client.close();
    }
}

function read(input) {
    const client = new grpc.Client('127.0.0.1:9', grpc.credentials.createInsecure());
    const gw = connect({ client, identity: { mspId: 'Reader', credentials: Buffer.from('') } });
    const out = {};
    try {
        if (input.proposedTransaction) {
            // The official client reads our bytes (as for offline signing), then we decode every layer with its protobufs.
            const bytes = fromB64(input.proposedTransaction);
            const official = gw.newProposal(bytes);
            out.proposal = readProposal(gateway.ProposedTransaction.deserializeBinary(bytes).getProposal(), official);
        }

        if (input.preparedTransaction) {
            const bytes = fromB64(input.preparedTransaction);
            const official = gw.newTransaction(bytes);
            const envelope = gateway.PreparedTransaction.deserializeBinary(bytes).getEnvelope();
            const payload = common.Payload.deserializeBinary(envelope.getPayload());
            const signatureHeader = common.SignatureHeader.deserializeBinary(payload.getHeader().getSignatureHeader());
            const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader());
            const transaction = peer.Transaction.deserializeBinary(payload.getData());
            const action = peer.ChaincodeActionPayload.deserializeBinary(transaction.getActionsList()[0].getPayload());
            out.transaction = {
                officialTransactionId: official.getTransactionId(),
                transactionId: channelHeader.getTxId(),
                transactionIdValid: transactionIdOf(signatureHeader) === channelHeader.getTxId(),
                endorsements: action.getAction().getEndorsementsList().length,
                ...checkSignature(signatureHeader.getCreator(), envelope.getPayload(), envelope.getSignature()),
            };
        }

        if (input.commitStatusRequest) {
            const bytes = fromB64(input.commitStatusRequest);
            const official = gw.newCommit(bytes);
            const signed = gateway.SignedCommitStatusRequest.deserializeBinary(bytes);
            const request = gateway.CommitStatusRequest.deserializeBinary(signed.getRequest());
            out.commitStatus = {
                officialTransactionId: official.getTransactionId(),
                channel: request.getChannelId(),
                transactionId: request.getTransactionId(),
                ...checkSignature(request.getIdentity(), signed.getRequest(), signed.getSignature()),
            };
        }

        if (input.chaincodeEventsRequest) {
            const bytes = fromB64(input.chaincodeEventsRequest);
            gw.newChaincodeEventsRequest(bytes);
            const signed = gateway.SignedChaincodeEventsRequest.deserializeBinary(bytes);
            const request = gateway.ChaincodeEventsRequest.deserializeBinary(signed.getRequest());
            const start = request.getStartPosition();
            out.chaincodeEvents = {
                channel: request.getChannelId(),
                chaincode: request.getChaincodeId(),
                startBlock: start && start.hasSpecified() ? String(start.getSpecified().getNumber()) : null,
                afterTransactionId: request.getAfterTransactionId(),
                ...checkSignature(request.getIdentity(), signed.getRequest(), signed.getSignature()),
            };
        }

        return out;
    } finally {
        gw.close();
        client.close();
    }
}

async function invoke(input) {
    const credentials = input.tlsCa ? grpc.credentials.createSsl(Buffer.from(input.tlsCa)) : grpc.credentials.createInsecure();
    const client = new grpc.Client(input.address, credentials);
    const gw = connect({
        client,
        identity: { mspId: input.mspId, credentials: Buffer.from(input.certificate) },
        signer: signers.newPrivateKeySigner(crypto.createPrivateKey(input.privateKey)),
        evaluateOptions: () => ({ deadline: Date.now() + 10000 }),
        endorseOptions: () => ({ deadline: Date.now() + 15000 }),
        submitOptions: () => ({ deadline: Date.now() + 10000 }),
        commitStatusOptions: () => ({ deadline: Date.now() + 60000 }),
    });
    try {
        const contract = gw.getNetwork(input.channel).getContract(input.chaincode);
        if (!input.submit) {
            return { result: Buffer.from(await contract.evaluateTransaction(input.function, ...input.args)).toString('utf8') };
        }

        const commit = await contract.submitAsync(input.function, { arguments: input.args });
        const status = await commit.getStatus();
        return { result: Buffer.from(commit.getResult()).toString('utf8'), transactionId: status.transactionId, blockNumber: String(status.blockNumber), code: status.code };
    } finally {
        gw.close();
        client.close();
    }
}

async function main() {
    const command = process.argv[2];
    const input = await readStdin();
    const output = command === 'build' ? await build(input) : command === 'read' ? read(input) : command === 'invoke' ? await invoke(input) : null;
    if (output === null) {
        console.error('usage: node official-client.js build|read < input.json');
        process.exit(2);
    }

    process.stdout.write(JSON.stringify(output) + '\n');
}

main().catch((error) => {
    console.error(`official-client: ${error.message}`);
    process.exit(1);
});
