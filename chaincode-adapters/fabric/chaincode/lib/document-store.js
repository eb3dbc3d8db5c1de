'use strict';

// Customs.Ledger document store: the Fabric counterpart of chaincode-adapters/ethereum/contracts/DocumentStore.sol.
// It records 32-byte roots only (signed batch roots, the OpenAttestation Merkle roots of the same batches, revoked
// document roots and target hashes) and never documents, records or salts: everything written here is readable by
// every member of the channel.
//
// World state keys:
//   config:owner        {mspId, timestamp, txId}  the one MSP allowed to write, set once by Init
//   batch:<root>        the batch record (root, additional roots, issuer key, signature, document count, ...)
//   issued:<root>       {batchRoot} for the batch root and each of its additional roots (answers IsIssued)
//   revocation:<root>   the revocation record of a document root
//   revoked:<root>      {documentRoot} for the document root and each of its additional roots (answers IsRevoked)

const { Contract } = require('fabric-contract-api');

const ROOT = { pattern: /^[0-9a-f]{64}$/, text: '64 lower-case hex characters (32 bytes)' };
const ISSUER_KEY = { pattern: /^0[23][0-9a-f]{64}$/, text: '66 lower-case hex characters starting 02 or 03 (compressed secp256k1 key)' };
const SIGNATURE = { pattern: /^[0-9a-f]{130}$/, text: '130 lower-case hex characters (65-byte signature)' };
const REASON_CODE = { pattern: /^[A-Za-z0-9._-]{1,16}$/, text: '1-16 letters, digits, ".", "-" or "_" (a code, never free text)' };
const MSP_ID = { pattern: /^[A-Za-z0-9._-]{1,64}$/, text: '1-64 letters, digits, ".", "-" or "_"' };
// Same range as the node's AnchorRequest.DocumentCount (a positive C# int).
const DOCUMENT_COUNT = { pattern: /^[1-9][0-9]{0,9}$/, text: 'a decimal integer from 1 to 2147483647' };
const MAX_DOCUMENT_COUNT = 2147483647;

const MAX_ADDITIONAL_ROOTS = 16;
// 16 quoted roots with separators take 1,073 characters; the cap stops a huge argument before JSON.parse sees it.
const MAX_ADDITIONAL_ROOTS_JSON = 2048;

const OWNER_KEY = 'config:owner';

/** Throws unless `value` is a string matching `format`; the message names the argument, never its value. */
function check(value, format, name) {
    if (typeof value !== 'string' || !format.pattern.test(value)) {
        throw new Error(`${name} must be ${format.text}`);
    }
}

/** Parses a JSON array of at most 16 distinct roots, none equal to `primaryRoot`. */
function parseAdditionalRoots(json, primaryRoot) {
    const shape = `additionalRootsJson must be a JSON array of at most ${MAX_ADDITIONAL_ROOTS} roots of ${ROOT.text}`;
    if (typeof json !== 'string' || json.length > MAX_ADDITIONAL_ROOTS_JSON) {
        throw new Error(shape);
    }
    let roots;
    try {
        roots = JSON.parse(json);
    } catch {
        throw new Error(shape);
    }
    if (!Array.isArray(roots) || roots.length > MAX_ADDITIONAL_ROOTS) {
        throw new Error(shape);
    }
    for (const root of roots) {
        check(root, ROOT, 'every entry of additionalRootsJson');
    }
    // Checked here because a transaction cannot read its own writes: two equal roots would both look new.
    if (new Set([primaryRoot, ...roots]).size !== roots.length + 1) {
        throw new Error('additionalRootsJson must not repeat a root nor contain the primary root');
    }
    return roots;
}

/** JSON with object keys sorted at every level, so equal records always serialise to equal bytes. */
function canonicalJson(value) {
    if (Array.isArray(value)) {
        return `[${value.map(canonicalJson).join(',')}]`;
    }
    if (value !== null && typeof value === 'object') {
        return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
    }
    return JSON.stringify(value);
}

/** Transaction id and timestamp: the same on every endorsing peer, unlike the peer's clock. */
function transactionFacts(ctx) {
    const { seconds, nanos } = ctx.stub.getTxTimestamp();
    // fabric-shim gives `seconds` as a Long; String() reads a Long, a number or a bigint alike.
    const millis = Number(String(seconds)) * 1000 + Math.floor(nanos / 1e6);
    return { timestamp: new Date(millis).toISOString(), txId: ctx.stub.getTxID() };
}

/** The UTF-8 text stored under `key`, or null. Reads see committed state only, never this transaction's writes. */
async function readText(ctx, key) {
    const bytes = await ctx.stub.getState(key);
    return bytes && bytes.length > 0 ? Buffer.from(bytes).toString('utf8') : null;
}

async function writeJson(ctx, key, value) {
    const text = canonicalJson(value);
    await ctx.stub.putState(key, Buffer.from(text, 'utf8'));
    return text;
}

/** The caller's MSP id, if it is the owner MSP set by Init; throws otherwise. */
async function authoriseWriter(ctx) {
    const caller = ctx.clientIdentity.getMSPID();
    const owner = await readText(ctx, OWNER_KEY);
    if (owner === null) {
        throw new Error('The document store is not initialised: call Init(ownerMspId) first');
    }
    const { mspId } = JSON.parse(owner);
    if (caller !== mspId) {
        throw new Error(`MSP ${caller} may not write to this document store: only MSP ${mspId} may`);
    }
    return caller;
}

/**
 * Idempotency by natural key: the stored record if it was written with the same `args`, an error if with others.
 * Every field of `args` is a field of the stored record.
 */
function existingOrConflict(storedText, args, what) {
    const stored = JSON.parse(storedText);
    const same = Object.keys(args).every((k) => canonicalJson(stored[k]) === canonicalJson(args[k]));
    if (!same) {
        throw new Error(`${what} is already recorded with different arguments`);
    }
    return storedText;
}

class DocumentStoreContract extends Contract {
    constructor() {
        super('DocumentStore');
    }

    /**
     * Sets the owner MSP, once. The caller must belong to that MSP, so no organisation can hand the store to another.
     * Returns the stored {mspId, timestamp, txId} JSON.
     */
    async Init(ctx, ownerMspId) {
        check(ownerMspId, MSP_ID, 'ownerMspId');
        if ((await readText(ctx, OWNER_KEY)) !== null) {
            throw new Error('The document store is already initialised');
        }
        const caller = ctx.clientIdentity.getMSPID();
        if (caller !== ownerMspId) {
            throw new Error(`MSP ${caller} may not initialise the document store for MSP ${ownerMspId}`);
        }
        return writeJson(ctx, OWNER_KEY, { mspId: ownerMspId, ...transactionFacts(ctx) });
    }

    /**
     * Records a batch root and its additional roots (e.g. the OpenAttestation Merkle root of the batch).
     * Returns the batch record JSON; a repeat with identical arguments returns the first record and writes nothing.
     */
    async IssueBatch(ctx, batchRootHex, additionalRootsJson, issuerKeyHex, signatureHex, documentCount) {
        check(batchRootHex, ROOT, 'batchRootHex');
        const additionalRoots = parseAdditionalRoots(additionalRootsJson, batchRootHex);
        check(issuerKeyHex, ISSUER_KEY, 'issuerKeyHex');
        check(signatureHex, SIGNATURE, 'signatureHex');
        check(documentCount, DOCUMENT_COUNT, 'documentCount');
        const count = Number(documentCount);
        if (count > MAX_DOCUMENT_COUNT) {
            throw new Error(`documentCount must be ${DOCUMENT_COUNT.text}`);
        }
        const mspId = await authoriseWriter(ctx);

        const args = { additionalRoots, documentCount: count, issuerKey: issuerKeyHex, signature: signatureHex };
        const existing = await readText(ctx, `batch:${batchRootHex}`);
        if (existing !== null) {
            return existingOrConflict(existing, args, 'batchRootHex');
        }
        for (const root of [batchRootHex, ...additionalRoots]) {
            if ((await readText(ctx, `issued:${root}`)) !== null) {
                throw new Error('batchRootHex or additionalRootsJson holds a root already issued by another batch');
            }
        }

        const record = await writeJson(ctx, `batch:${batchRootHex}`,
            { kind: 'batch', root: batchRootHex, ...args, mspId, ...transactionFacts(ctx) });
        for (const root of [batchRootHex, ...additionalRoots]) {
            await writeJson(ctx, `issued:${root}`, { batchRoot: batchRootHex });
        }
        ctx.stub.setEvent('BatchIssued', Buffer.from(record, 'utf8'));
        return record;
    }

    /**
     * Records the revocation of a document root of an issued batch, and of its additional roots (e.g. the
     * OpenAttestation target hash). Returns the revocation record JSON; idempotent like IssueBatch.
     * The signature is stored as given: verifying it (over RevocationDigest) is the node's and the verifiers' job.
     */
    async RevokeDocument(ctx, documentRootHex, batchRootHex, reasonCode, issuerKeyHex, signatureHex, additionalRootsJson) {
        check(documentRootHex, ROOT, 'documentRootHex');
        check(batchRootHex, ROOT, 'batchRootHex');
        check(reasonCode, REASON_CODE, 'reasonCode');
        check(issuerKeyHex, ISSUER_KEY, 'issuerKeyHex');
        check(signatureHex, SIGNATURE, 'signatureHex');
        const additionalRoots = parseAdditionalRoots(additionalRootsJson, documentRootHex);
        const mspId = await authoriseWriter(ctx);

        const batch = await readText(ctx, `batch:${batchRootHex}`);
        if (batch === null) {
            throw new Error('batchRootHex: batch not found');
        }
        const batchMspId = JSON.parse(batch).mspId;
        if (batchMspId !== mspId) {
            throw new Error(`MSP ${mspId} may not revoke a document of a batch issued by MSP ${batchMspId}`);
        }

        const args = { additionalRoots, batchRoot: batchRootHex, issuerKey: issuerKeyHex, reasonCode, signature: signatureHex };
        const existing = await readText(ctx, `revocation:${documentRootHex}`);
        if (existing !== null) {
            return existingOrConflict(existing, args, 'documentRootHex');
        }
        for (const root of [documentRootHex, ...additionalRoots]) {
            if ((await readText(ctx, `revoked:${root}`)) !== null) {
                throw new Error('documentRootHex or additionalRootsJson holds a root already revoked by another revocation');
            }
        }

        const record = await writeJson(ctx, `revocation:${documentRootHex}`,
            { kind: 'revocation', root: documentRootHex, ...args, mspId, ...transactionFacts(ctx) });
        for (const root of [documentRootHex, ...additionalRoots]) {
            await writeJson(ctx, `revoked:${root}`, { documentRoot: documentRootHex });
        }
        ctx.stub.setEvent('DocumentRevoked', Buffer.from(record, 'utf8'));
        return record;
    }

    /** The batch record JSON stored under a batch root (not under an additional root). */
    async GetBatch(ctx, rootHex) {
        check(rootHex, ROOT, 'rootHex');
        const record = await readText(ctx, `batch:${rootHex}`);
        if (record === null) {
            throw new Error('GetBatch: batch not found');
        }
        return record;
    }

    /** The revocation record JSON stored under a document root (not under an additional root). */
    async GetRevocation(ctx, documentRootHex) {
        check(documentRootHex, ROOT, 'documentRootHex');
        const record = await readText(ctx, `revocation:${documentRootHex}`);
        if (record === null) {
            throw new Error('GetRevocation: revocation not found');
        }
        return record;
    }

    /** "true" when the root is a batch root or an additional root of a batch, whatever its revocation status. */
    async IsIssued(ctx, rootHex) {
        check(rootHex, ROOT, 'rootHex');
        return String((await readText(ctx, `issued:${rootHex}`)) !== null);
    }

    /** "true" when the root is a revoked document root or an additional root of a revocation. */
    async IsRevoked(ctx, rootHex) {
        check(rootHex, ROOT, 'rootHex');
        return String((await readText(ctx, `revoked:${rootHex}`)) !== null);
    }
}

module.exports = { DocumentStoreContract, canonicalJson };
