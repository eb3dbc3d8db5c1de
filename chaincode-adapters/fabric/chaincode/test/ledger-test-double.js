'use strict';

// Test double for unit tests only: an in-memory world state and, per transaction, a context holding the parts of
// fabric-shim's ChaincodeStub and ClientIdentity that the contract uses. It copies the Fabric behaviours the contract
// relies on: reads see committed state only (a transaction never reads its own writes), writes of a failed
// transaction are discarded, and the timestamp's seconds come as a Long-like object. Unlike a peer, it records every
// setEvent call (a peer keeps only the last one) so tests can check that there is exactly one.

/** Stands in for the Long that fabric-shim's getTxTimestamp() returns as `seconds`. */
function longLike(value) {
    return { low: value, high: 0, unsigned: true, toNumber: () => value, toString: () => String(value) };
}

class StubTestDouble {
    constructor(committed, txId, seconds) {
        this.committed = committed;
        this.txId = txId;
        this.seconds = seconds;
        this.writes = new Map();
        this.events = [];
    }

    async getState(key) {
        const value = this.committed.get(key);
        return value === undefined ? new Uint8Array(0) : Uint8Array.from(value);
    }

    async putState(key, value) {
        if (!(value instanceof Uint8Array)) {
            throw new Error('putState takes bytes');
        }
        this.writes.set(key, Buffer.from(value));
    }

    getTxID() {
        return this.txId;
    }

    getTxTimestamp() {
        return { seconds: longLike(this.seconds), nanos: 123456789 };
    }

    setEvent(name, payload) {
        if (!(payload instanceof Uint8Array)) {
            throw new Error('setEvent takes bytes');
        }
        this.events.push({ name, payload: Buffer.from(payload).toString('utf8') });
    }
}

/** A world state plus a transaction counter that makes tx ids and timestamps predictable. */
class LedgerTestDouble {
    constructor() {
        this.state = new Map();
        this.txCount = 0;
    }

    /**
     * Runs contract[fn](ctx, ...args) as one transaction submitted by an identity of `mspId`, commits its writes if it
     * succeeds, and returns { result, writes, events }. A failed transaction rejects and leaves the state untouched.
     */
    async invoke(contract, mspId, fn, ...args) {
        this.txCount += 1;
        const stub = new StubTestDouble(this.state, `tx${this.txCount}`, 1700000000 + this.txCount);
        const ctx = { stub, clientIdentity: { getMSPID: () => mspId } };
        const result = await contract[fn](ctx, ...args);
        for (const [key, value] of stub.writes) {
            this.state.set(key, value);
        }
        return { result, writes: [...stub.writes.keys()], events: stub.events };
    }

    /** The committed text under `key`, or undefined. */
    read(key) {
        const value = this.state.get(key);
        return value === undefined ? undefined : value.toString('utf8');
    }
}

module.exports = { LedgerTestDouble };
