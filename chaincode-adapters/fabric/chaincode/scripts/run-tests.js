'use strict';

// Runs the unit tests with Node's test runner (TAP output, shown as it comes) and ends with one summary line,
// "fabric-chaincode: N passed, M failed", which the repository's test script adds up. Exits non-zero on any failure.
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const child = spawn(process.execPath, ['--test', '--test-reporter=tap', 'test/document-store.test.js'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });

let tap = '';
child.stdout.on('data', (chunk) => {
    tap += chunk;
    process.stdout.write(chunk);
});
child.on('close', (code) => {
    // The runner's closing "# pass N" / "# fail M" lines count every test, nested or not.
    const count = (label) => {
        const match = tap.match(new RegExp(`^# ${label} (\\d+)$`, 'm'));
        return match ? Number(match[1]) : null;
    };
    const passed = count('pass');
    const failed = count('fail');
    if (passed === null || failed === null) {
        console.log('fabric-chaincode: 0 passed, 1 failed');
        console.error('The test runner printed no totals.');
        process.exit(1);
    }
    console.log(`fabric-chaincode: ${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 && code === 0 ? 0 : 1);
});
