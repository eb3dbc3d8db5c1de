'use strict';

// Entry point for fabric-chaincode-node (peer-launched `start` or chaincode-as-a-service `server`).
const { DocumentStoreContract } = require('./lib/document-store');

module.exports.DocumentStoreContract = DocumentStoreContract;
module.exports.contracts = [DocumentStoreContract];
