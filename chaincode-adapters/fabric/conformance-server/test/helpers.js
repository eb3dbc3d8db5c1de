'use strict';

// Shared by the tests and scripts/make-anchor-vectors.js: test organisations, starting the conformance server as a
// child process (waiting on its JSON ready line) and connecting the official Fabric Gateway client to it.

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const grpc = require('@grpc/grpc-js');
const { connect, signers } = require('@hyperledger/fabric-gateway');
const { createCa, issueCertificate } = require('../lib/material');

const SERVER = path.join(__dirname, '..', 'server.js');

function tempDir(prefix) {
    return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** A CA for `mspId` written to DIR/<mspId>-ca.pem and one client identity it issued. */
async function makeOrg(dir, mspId, { userName = 'user1' } = {}) {
    const ca = await createCa({ commonName: `ca.${mspId.toLowerCase()}.test`, organization: mspId });
    const user = await issueCertificate(ca, { commonName: `${userName}@${mspId.toLowerCase()}.test`, organization: mspId, organizationalUnit: 'client' });
    const caPath = path.join(dir, `${mspId}-ca.pem`);
    fs.writeFileSync(caPath, ca.certPem);
    return { mspId, ca, caPath, certPem: user.certPem, keyPem: user.keyPem, privateKey: crypto.createPrivateKey(user.keyPem) };
}

/** Another identity of the same organisation. */
async function addUser(org, userName) {
    const user = await issueCertificate(org.ca, { commonName: `${userName}@${org.mspId.toLowerCase()}.test`, organization: org.mspId, organizationalUnit: 'client' });
    return { ...org, certPem: user.certPem, keyPem: user.keyPem, privateKey: crypto.createPrivateKey(user.keyPem) };
}

/**
 * Starts server.js; resolves with { ready, stop(), stderr() } once the ready line is read. Rejects if the process
 * exits first or no ready line comes within `timeoutMs`.
 */
function startServer({ stateDir, orgs, channel = 'mychannel', chaincode = 'documentstore', tls = false, extraArgs = [], timeoutMs = 15000 }) {
    const args = [SERVER, '--listen', '127.0.0.1:0', '--state-dir', stateDir, '--channel', channel, '--chaincode', chaincode];
    for (const org of orgs) args.push('--client-msp', `${org.mspId}=${org.caPath}`);
    if (tls) args.push('--tls');
    args.push(...extraArgs);
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const stdoutLines = [];
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`no ready line within ${timeoutMs} ms; stderr:\n${stderr}`));
        }, timeoutMs);
        const rl = readline.createInterface({ input: child.stdout });
        rl.on('line', (line) => {
            stdoutLines.push(line);
            if (stdoutLines.length !== 1) return;
            clearTimeout(timer);
            let ready;
            try {
                ready = JSON.parse(line);
            } catch (err) {
                reject(new Error(`first stdout line is not JSON: ${line}`));
                return;
            }
            const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
            resolve({
                ready,
                child,
                stdoutLines,
                stderr: () => stderr,
                exited,
                async stop() {
                    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
                    return exited;
                },
            });
        });
        child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`server exited with ${code} before its ready line; stderr:\n${stderr}`));
        });
    });
}

/** A gRPC client connection to the server (TLS when the ready line says so). */
function newGrpcClient(ready) {
    const credentials = ready.tls
        ? grpc.credentials.createSsl(fs.readFileSync(ready.tlsCa))
        : grpc.credentials.createInsecure();
    return new grpc.Client(ready.address, credentials, ready.tls ? { 'grpc.ssl_target_name_override': 'localhost' } : {});
}

/** The official client's Gateway for `org` (an identity from makeOrg/addUser); `signer` overrides the signer. */
function connectGateway(client, org, { signer, commitStatusTimeoutMs = 10000 } = {}) {
    return connect({
        client,
        identity: { mspId: org.mspId, credentials: Buffer.from(org.certPem) },
        signer: signer || signers.newPrivateKeySigner(org.privateKey),
        evaluateOptions: () => ({ deadline: Date.now() + 10000 }),
        endorseOptions: () => ({ deadline: Date.now() + 10000 }),
        submitOptions: () => ({ deadline: Date.now() + 10000 }),
        commitStatusOptions: () => ({ deadline: Date.now() + commitStatusTimeoutMs }),
    });
}

module.exports = { tempDir, makeOrg, addUser, startServer, newGrpcClient, connectGateway };
