'use strict';

// Runs the repository's DocumentStore chaincode (../chaincode) in-process, the way a peer-launched Node.js chaincode
// runs it: the chaincode package is loaded with fabric-shim's own contract bootstrap (package.json "main" -> index.js
// -> lib/document-store.js), every invocation gets a real fabric-shim ChaincodeStub built from the client's
// SignedProposal (so getTxID, getTxTimestamp, getCreator and ctx.clientIdentity come from the proposal as on a peer),
// and ChaincodeFromContract.Invoke dispatches "Fn" / "DocumentStore:Fn" and turns a thrown error into a status 500
// response exactly as in a peer. Only the peer side of the shim protocol is replaced: the stub's handler reads
// committed state through a simulator that records reads (key + committed version) and writes, like Fabric's
// TxSimulator. As in Fabric, a transaction never reads its own writes.

const path = require('node:path');
const { createRequire } = require('node:module');

const CHAINCODE_DIR = path.resolve(__dirname, '..', '..', 'chaincode');

let loaded = null;

function quietShimLogging(ccRequire) {
    // fabric-shim logs through one shared winston Console transport, which writes to stdout; this server's stdout
    // carries only the ready line, so route every level to stderr.
    const Logger = ccRequire('fabric-shim/lib/logger');
    const logger = Logger.getLogger('conformance-server');
    for (const transport of logger.transports || []) {
        const levels = Object.keys(logger.levels || {});
        transport.stderrLevels = Object.fromEntries(levels.map((l) => [l, true]));
        transport.consoleWarnLevels = {};
    }
}

/** Loads the chaincode once (fabric-shim and fabric-protos from ../chaincode/node_modules). */
async function loadChaincode(chaincodeDir = CHAINCODE_DIR) {
    if (loaded) return loaded;
    if (!process.env.CORE_CHAINCODE_LOGGING_LEVEL) process.env.CORE_CHAINCODE_LOGGING_LEVEL = 'WARNING';
    const ccRequire = createRequire(path.join(chaincodeDir, 'package.json'));
    try {
        ccRequire.resolve('fabric-shim/lib/contract-spi/chaincodefromcontract');
    } catch {
        throw new Error(`the chaincode's packages are not installed: run "npm ci" in ${chaincodeDir} first`);
    }
    quietShimLogging(ccRequire);
    const Bootstrap = ccRequire('fabric-shim/lib/contract-spi/bootstrap');
    const ChaincodeFromContract = ccRequire('fabric-shim/lib/contract-spi/chaincodefromcontract');
    const ChaincodeStub = ccRequire('fabric-shim/lib/stub');
    const ccProtos = ccRequire('@hyperledger/fabric-protos');
    const info = Bootstrap.getInfoFromContract(chaincodeDir);
    const metadata = await Bootstrap.getMetadata(chaincodeDir);
    const chaincode = new ChaincodeFromContract(info.contracts, info.serializers, metadata, info.title, info.version);
    loaded = { chaincode, ChaincodeStub, ccProtos, title: info.title, version: info.version, chaincodeDir };
    return loaded;
}

/** The peer side of the shim protocol for one simulation: committed-state reads recorded with versions, writes kept. */
class SimulationHandler {
    /**
     * @param {object} worldState { get(namespace, key) -> {value: Buffer, version: {blockNum, txNum}} | undefined }
     * @param {string} namespace chaincode name
     */
    constructor(worldState, namespace) {
        this.worldState = worldState;
        this.namespace = namespace;
        this.reads = new Map(); // key -> version | null (first read wins, as in Fabric's rwset builder)
        this.writes = new Map(); // key -> Buffer | null (delete)
    }

    unsupported(what) {
        return Promise.reject(new Error(`${what} is not supported by the Fabric protocol conformance server`));
    }

    async handleGetState(collection, key) {
        if (collection) return this.unsupported('private data');
        const entry = this.worldState.get(this.namespace, key);
        if (!this.reads.has(key)) this.reads.set(key, entry ? entry.version : null);
        return entry ? Buffer.from(entry.value) : Buffer.alloc(0);
    }

    async handlePutState(collection, key, value) {
        if (collection) return this.unsupported('private data');
        if (typeof key !== 'string' || key === '') throw new Error('key must not be an empty string');
        this.writes.set(key, Buffer.from(value));
        return undefined;
    }

    async handleDeleteState(collection, key) {
        if (collection) return this.unsupported('private data');
        this.writes.set(key, null);
        return undefined;
    }

    handleGetStateByRange() { return this.unsupported('range queries'); }

    handleGetQueryResult() { return this.unsupported('rich queries'); }

    handleGetHistoryForKey() { return this.unsupported('history queries'); }

    handleInvokeChaincode() { return this.unsupported('chaincode-to-chaincode calls'); }

    handlePutStateMetadata() { return this.unsupported('state metadata'); }

    handleGetStateMetadata() { return this.unsupported('state metadata'); }

    handleGetPrivateDataHash() { return this.unsupported('private data'); }

    handlePurgeState() { return this.unsupported('private data'); }
}

/**
 * Simulates one proposal. Returns { response: {status, message, payload: Buffer}, reads: Map, writes: Map,
 * event: {name, payload: Buffer} | null }.
 * @param {object} o { worldState, namespace, channelId, txId, inputBytes (ChaincodeInput), signedProposalBytes }
 */
async function simulate({ worldState, namespace, channelId, txId, inputBytes, signedProposalBytes }) {
    const { chaincode, ChaincodeStub, ccProtos } = await loadChaincode();
    const handler = new SimulationHandler(worldState, namespace);
    const input = ccProtos.peer.ChaincodeInput.deserializeBinary(inputBytes);
    const signedProposal = ccProtos.peer.SignedProposal.deserializeBinary(signedProposalBytes);
    let response;
    let stub;
    try {
        stub = new ChaincodeStub(handler, channelId, txId, input, signedProposal);
        response = await chaincode.Invoke(stub);
    } catch (err) {
        // What the peer reports when the chaincode process fails rather than answers.
        response = { status: 500, message: `error in simulation: ${err.message}` };
    }
    const status = Number(response.status);
    const event = stub && stub.chaincodeEvent
        ? { name: stub.chaincodeEvent.getEventName(), payload: Buffer.from(stub.chaincodeEvent.getPayload_asU8()) }
        : null;
    return {
        response: {
            status,
            message: response.message ? String(response.message) : '',
            payload: response.payload ? Buffer.from(response.payload) : Buffer.alloc(0),
        },
        reads: handler.reads,
        writes: handler.writes,
        event,
    };
}

module.exports = { loadChaincode, simulate, CHAINCODE_DIR };
