'use strict';

// Build step of Customs.Ledger.Adapters.Fabric (run by the project's PrepareFabricProtos target, never by hand):
// copies the Fabric .proto files the adapter needs from the fabric-protos npm package into the build's intermediate
// directory and gives each a C# namespace under Customs.Ledger.Adapters.Fabric.Protos. Fabric's files name none, and
// protoc would otherwise put the messages into top-level namespaces such as "Common" and "Protos". Nothing else is
// changed: field numbers, names and packages (hence the wire format and gRPC paths) stay Fabric's.
//
// usage: node prepare-protos.js <output directory>

const fs = require('node:fs');
const path = require('node:path');

const files = [
    'common/common.proto',
    'common/policies.proto',
    'msp/identities.proto',
    'msp/msp_principal.proto',
    'orderer/ab.proto',
    'peer/chaincode.proto',
    'peer/chaincode_event.proto',
    'peer/events.proto',
    'peer/proposal.proto',
    'peer/proposal_response.proto',
    'peer/transaction.proto',
    'ledger/rwset/rwset.proto',
    'ledger/rwset/kvrwset/kv_rwset.proto',
];

const output = process.argv[2];
if (!output) {
    console.error('usage: node prepare-protos.js <output directory>');
    process.exit(2);
}

const source = path.join(path.dirname(require.resolve('fabric-protos/package.json')), 'protos');
// Fabric's proto packages and the C# namespace each gets ("protos" holds the peer's messages).
const namespaces = { common: 'Common', msp: 'Msp', orderer: 'Orderer', protos: 'Peer', rwset: 'Rwset', kvrwset: 'Kvrwset' };

for (const file of files) {
    const text = fs.readFileSync(path.join(source, file), 'utf8');
    const match = /^package ([a-z]+);$/m.exec(text);
    if (!match) {
        console.error(`${file}: no package line; is fabric-protos the expected version?`);
        process.exit(1);
    }

    if (!namespaces[match[1]]) {
        console.error(`${file}: unexpected package ${match[1]}`);
        process.exit(1);
    }

    const option = `option csharp_namespace = "Customs.Ledger.Adapters.Fabric.Protos.${namespaces[match[1]]}";`;
    const rewritten = text.replace(match[0], `${match[0]}\n${option}`);
    const target = path.join(output, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // Only rewrite a changed file, so that Grpc.Tools' incremental build sees unchanged inputs as unchanged.
    if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== rewritten) {
        fs.writeFileSync(target, rewritten);
    }
}
