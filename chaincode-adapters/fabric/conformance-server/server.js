#!/usr/bin/env node
'use strict';

// Fabric protocol conformance server — NOT a Fabric peer. One gRPC server answering gateway.Gateway and
// protos.Deliver like a Fabric 2.5 peer's gateway, endorsing with the repository's DocumentStore chaincode run
// in-process, ordering and committing in memory. For testing Fabric clients; see README.md.
//
// node server.js --listen 127.0.0.1:0 --state-dir DIR --channel mychannel --chaincode documentstore
//   --client-msp Org1MSP=/path/org1-ca.pem [--client-msp Org2MSP=...] [--tls] [--commit-delay-ms N]
//   [--block-max-tx N] [--batch-timeout-ms N] [--ignore-stdin]
//
// stdout carries exactly one line, the JSON ready line; logs go to stderr.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const { gateway, peer } = require('@hyperledger/fabric-protos');
const { ensureServerMaterial } = require('./lib/material');
const { MspRegistry, serializeIdentity } = require('./lib/msp');
const { Ledger } = require('./lib/ledger');
const { Endorser } = require('./lib/endorser');
const { GatewayService } = require('./lib/gateway-service');
const { DeliverService } = require('./lib/deliver-service');
const { loadChaincode } = require('./lib/chaincode-runtime');

const PEER_MSP = 'ConformancePeerMSP';
const ORDERER_MSP = 'ConformanceOrdererMSP';

function log(message) {
    process.stderr.write(`${new Date().toISOString()} conformance-server ${message}\n`);
}

function usage(message) {
    process.stderr.write(`${message}\nusage: node server.js --listen HOST:PORT --state-dir DIR --channel NAME --chaincode NAME `
        + '--client-msp MSPID=CA.pem [--client-msp ...] [--tls] [--commit-delay-ms N] [--block-max-tx N] '
        + '[--batch-timeout-ms N] [--ignore-stdin]\n');
    process.exit(2);
}

function parseArgs(argv) {
    const o = { clientMsps: [], tls: false, commitDelayMs: 0, blockMaxTx: 1, batchTimeoutMs: 200, ignoreStdin: false };
    const integer = (name, v) => {
        if (!/^\d+$/.test(v || '')) usage(`${name} takes a non-negative integer`);
        return Number(v);
    };
    for (let i = 0; i < argv.length; i += 1) {
        const arg = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) usage(`${arg} needs a value`);
            i += 1;
            return argv[i];
        };
        switch (arg) {
        case '--listen': o.listen = next(); break;
        case '--state-dir': o.stateDir = next(); break;
        case '--channel': o.channel = next(); break;
        case '--chaincode': o.chaincode = next(); break;
        case '--client-msp': {
            const v = next();
            const eq = v.indexOf('=');
            if (eq <= 0) usage('--client-msp takes MSPID=path/to/ca.pem');
            o.clientMsps.push({ mspId: v.slice(0, eq), file: v.slice(eq + 1) });
            break;
        }
        case '--tls': o.tls = true; break;
        case '--commit-delay-ms': o.commitDelayMs = integer(arg, next()); break;
        case '--block-max-tx': o.blockMaxTx = integer(arg, next()); break;
        case '--batch-timeout-ms': o.batchTimeoutMs = integer(arg, next()); break;
        case '--ignore-stdin': o.ignoreStdin = true; break;
        case '--help': case '-h': usage('Fabric protocol conformance server (not a Fabric peer)'); break;
        default: usage(`unknown argument ${arg}`);
        }
    }
    for (const k of ['listen', 'stateDir', 'channel', 'chaincode']) {
        if (!o[k]) usage(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is required`);
    }
    if (o.clientMsps.length === 0) usage('at least one --client-msp is required');
    if (o.blockMaxTx < 1) usage('--block-max-tx must be at least 1');
    return o;
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const stateDir = path.resolve(o.stateDir);
    const material = await ensureServerMaterial(stateDir, { tls: o.tls });

    const msps = new MspRegistry();
    const applicationMsps = [];
    for (const { mspId, file } of o.clientMsps) {
        if (mspId === PEER_MSP || mspId === ORDERER_MSP) usage(`${mspId} is the server's own MSP id`);
        const pem = fs.readFileSync(file, 'utf8');
        msps.addMsp(mspId, pem);
        applicationMsps.push([mspId, msps.rootPems(mspId)]);
    }
    msps.addMsp(PEER_MSP, material.peer.caPem);
    msps.addMsp(ORDERER_MSP, material.orderer.caPem);
    applicationMsps.push([PEER_MSP, msps.rootPems(PEER_MSP)]);

    const peerIdentity = {
        mspId: PEER_MSP,
        serializedIdentity: serializeIdentity(PEER_MSP, material.peer.certPem),
        privateKey: crypto.createPrivateKey(material.peer.keyPem),
    };
    const ordererIdentity = {
        mspId: ORDERER_MSP,
        serializedIdentity: serializeIdentity(ORDERER_MSP, material.orderer.certPem),
        privateKey: crypto.createPrivateKey(material.orderer.keyPem),
    };

    await loadChaincode();

    const ledger = new Ledger({
        channelId: o.channel,
        chaincodeName: o.chaincode,
        msps,
        endorserMspId: PEER_MSP,
        orderer: ordererIdentity,
        blockMaxTx: o.blockMaxTx,
        batchTimeoutMs: o.batchTimeoutMs,
        commitDelayMs: o.commitDelayMs,
        log,
    });
    ledger.createGenesis({ applicationMsps, ordererMsps: [[ORDERER_MSP, msps.rootPems(ORDERER_MSP)]] });

    let boundAddress = o.listen;
    const endorser = new Endorser({ ledger, msps, chaincodeName: o.chaincode, identity: peerIdentity });
    const gatewayService = new GatewayService({ ledger, endorser, msps, address: () => boundAddress, log });
    const deliverService = new DeliverService({ ledger, msps, log });

    const server = new grpc.Server({ 'grpc.max_receive_message_length': 100 * 1024 * 1024, 'grpc.max_send_message_length': 100 * 1024 * 1024 });
    server.addService(gateway.GatewayService, gatewayService.handlers());
    server.addService(peer.DeliverService, deliverService.handlers());

    const credentials = o.tls
        ? grpc.ServerCredentials.createSsl(null, [{
            private_key: Buffer.from(material.tls.keyPem),
            cert_chain: Buffer.from(material.tls.certPem),
        }], false)
        : grpc.ServerCredentials.createInsecure();

    const port = await new Promise((resolve, reject) => {
        server.bindAsync(o.listen, credentials, (err, p) => (err ? reject(err) : resolve(p)));
    });
    const host = o.listen.slice(0, o.listen.lastIndexOf(':'));
    boundAddress = `${host}:${port}`;

    let stopping = false;
    const stop = (why) => {
        if (stopping) return;
        stopping = true;
        log(`stopping (${why})`);
        ledger.close();
        server.forceShutdown();
        process.exit(0);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    if (!o.ignoreStdin) {
        process.stdin.on('end', () => stop('stdin closed'));
        process.stdin.on('close', () => stop('stdin closed'));
        process.stdin.on('error', () => stop('stdin error'));
        process.stdin.resume();
    }

    log(`Fabric protocol conformance server (not a Fabric peer) listening on ${boundAddress}${o.tls ? ' with TLS' : ''}; `
        + `channel ${o.channel}, chaincode ${o.chaincode}, client MSPs ${o.clientMsps.map((m) => m.mspId).join(', ')}, `
        + `block max tx ${o.blockMaxTx}, batch timeout ${o.batchTimeoutMs} ms, commit delay ${o.commitDelayMs} ms; state in memory`);
    process.stdout.write(`${JSON.stringify({
        ready: true,
        address: boundAddress,
        tls: o.tls,
        peerMspCa: material.peer.caPath,
        ordererMspCa: material.orderer.caPath,
        tlsCa: o.tls ? material.tls.caPath : null,
    })}\n`);
}

main().catch((err) => {
    log(`failed to start: ${err.stack || err}`);
    process.exit(1);
});
