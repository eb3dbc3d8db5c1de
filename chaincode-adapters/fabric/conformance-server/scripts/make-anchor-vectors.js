#!/usr/bin/env node
'use strict';

// Generates vectors/fabric-anchor-proofs.json: anchoring transactions made with the OFFICIAL Fabric Gateway client
// (@hyperledger/fabric-gateway) against a freshly started Fabric protocol conformance server (not a Fabric peer), and
// the committed blocks that hold them, fetched over Deliver. For the C# client's offline anchor-proof verifier.
//
//   node scripts/make-anchor-vectors.js [--out vectors/fabric-anchor-proofs.json] [--force]
//
// The file is generated once and committed; regenerating changes every key, certificate, tx id and block, so it
// refuses to overwrite an existing file without --force. Only public certificates are written; the private keys
// live in a temporary directory that is deleted afterwards.

const fs = require('node:fs');
const path = require('node:path');
const { tempDir, makeOrg, startServer, newGrpcClient, connectGateway } = require('../test/helpers');

const CHANNEL = 'mychannel';
const CHAINCODE = 'documentstore';
const BATCH_ROOT = '5f0b1c6e3a9d2478b1e6c0f4a8d3927e6b5c4a1f0e9d8c7b6a5f4e3d2c1b0a99';
const ADDITIONAL_ROOT = '0a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0fedcba987654321';
const DOCUMENT_ROOT = 'c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4';
const ISSUER_KEY = `02${'7c'.repeat(32)}`;
const SIGNATURE = `${'3e'.repeat(64)}1b`;

function parseArgs(argv) {
    const o = { out: path.join(__dirname, '..', 'vectors', 'fabric-anchor-proofs.json'), force: false };
    for (let i = 0; i < argv.length; i += 1) {
        if (argv[i] === '--out') o.out = path.resolve(argv[++i]);
        else if (argv[i] === '--force') o.force = true;
        else throw new Error(`unknown argument ${argv[i]}`);
    }
    return o;
}

async function blockAt(network, number) {
    const events = await network.getBlockEvents({ startBlock: BigInt(number) });
    try {
        const { value } = await events[Symbol.asyncIterator]().next();
        return value;
    } finally {
        events.close();
    }
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    if (fs.existsSync(o.out) && !o.force) {
        throw new Error(`${o.out} exists; the vectors are generated once (use --force to replace them)`);
    }
    const dir = tempDir('fabric-anchor-vectors');
    let server;
    let client;
    let gateway;
    try {
        const org1 = await makeOrg(dir, 'Org1MSP');
        server = await startServer({ stateDir: dir, orgs: [org1] });
        client = newGrpcClient(server.ready);
        gateway = connectGateway(client, org1);
        const network = gateway.getNetwork(CHANNEL);
        const contract = network.getContract(CHAINCODE);

        const init = await contract.submitAsync('Init', { arguments: ['Org1MSP'] });
        await init.getStatus();

        const run = async (name, fn, args, anchoredRoot) => {
            const submitted = await contract.submitAsync(fn, { arguments: args });
            const status = await submitted.getStatus();
            if (!status.successful) throw new Error(`${fn} committed with code ${status.code}`);
            const block = await blockAt(network, status.blockNumber);
            return {
                name,
                function: fn,
                arguments: args,
                txId: submitted.getTransactionId(),
                blockNumber: Number(status.blockNumber),
                anchoredRoot,
                issuerKey: ISSUER_KEY,
                result: Buffer.from(submitted.getResult()).toString('utf8'),
                block: Buffer.from(block.serializeBinary()).toString('base64'),
            };
        };
        const batch = await run('batch', 'IssueBatch',
            [BATCH_ROOT, JSON.stringify([ADDITIONAL_ROOT]), ISSUER_KEY, SIGNATURE, '3'], BATCH_ROOT);
        const revocation = await run('revocation', 'RevokeDocument',
            [DOCUMENT_ROOT, BATCH_ROOT, 'R1', ISSUER_KEY, SIGNATURE, '[]'], DOCUMENT_ROOT);

        const pem = (file) => fs.readFileSync(file, 'utf8');
        const vectors = {
            description: 'Fabric anchoring transactions of the DocumentStore chaincode (IssueBatch of a batch root, RevokeDocument of a '
                + 'document root) submitted with the official Fabric Gateway client and the committed common.Block holding each, as '
                + 'returned by Deliver. Made by the Fabric protocol conformance server, which is NOT a Fabric peer: the blocks follow '
                + 'Fabric 2.5 structures (BlockHeaderBytes chaining, data hash over the concatenated envelopes, orderer signature in '
                + 'SIGNATURES metadata over value || signature header || header bytes, TRANSACTIONS_FILTER, endorsement over '
                + 'proposal response payload || endorser). Test material only; issuerKey and signature arguments are placeholders.',
            generatedBy: 'chaincode-adapters/fabric/conformance-server/scripts/make-anchor-vectors.js with @hyperledger/fabric-gateway 1.11.0',
            generatedAt: new Date().toISOString(),
            channel: CHANNEL,
            chaincode: CHAINCODE,
            ledgerId: `fabric:${CHANNEL}:${CHAINCODE}`,
            msps: {
                Org1MSP: [pem(org1.caPath)],
                ConformancePeerMSP: [pem(server.ready.peerMspCa)],
                ConformanceOrdererMSP: [pem(server.ready.ordererMspCa)],
            },
            ordererMsps: ['ConformanceOrdererMSP'],
            endorserMsps: ['ConformancePeerMSP'],
            cases: [batch, revocation],
        };
        fs.mkdirSync(path.dirname(o.out), { recursive: true });
        fs.writeFileSync(o.out, `${JSON.stringify(vectors, null, 2)}\n`);
        process.stderr.write(`wrote ${o.out}: ${vectors.cases.map((c) => `${c.name} tx ${c.txId} block ${c.blockNumber}`).join('; ')}\n`);
    } finally {
        gateway?.close();
        client?.close();
        await server?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
});
