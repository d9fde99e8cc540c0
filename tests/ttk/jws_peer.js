'use strict';
// jws_peer.js -- checks Tillgate's FSPIOP-Signature with Mojaloop's own
// validator (the JwsValidator of @mojaloop/sdk-standard-components, which
// the Testing Toolkit and the SDK use), for tests/cli/switch_ttk.sh.
//
//   node tests/ttk/jws_peer.js KEYFILE
//
// Makes a fresh RSA key pair, writes the private key (PEM) to KEYFILE for
// the connector's [switch] jws_key, listens on 127.0.0.1 (a free port,
// printed as "port N"), and answers every request with a body: 202 when
// its signature validates with the public key as FSP "tillgate", else 400
// with errorInformation 3105 and the validator's reason. Sends no
// callbacks. Exits after 120 s or when its parent is gone.

const fs = require('fs');
const http = require('http');
const crypto = require('crypto');
const path = require('path');

const sdk = path.dirname(require.resolve('@mojaloop/sdk-standard-components/package.json',
	{ paths: [path.dirname(require.resolve('ml-testing-toolkit/package.json', { paths: [__dirname] }))] }));
const { Jws } = require(sdk);

const keyFile = process.argv[2];
if (!keyFile) {
	console.error('usage: jws_peer.js KEYFILE');
	process.exit(2);
}
const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
const quiet = { debug() {}, info() {}, warn() {}, error() {}, child() { return quiet; } };
const validator = new Jws.validator({
	validationKeys: { tillgate: publicKey.export({ type: 'spki', format: 'pem' }) },
	logger: quiet,
});

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		let status = 202;
		let reply = '';
		try {
			validator.validate({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
		} catch (err) {
			status = 400;
			reply = JSON.stringify({ errorInformation: { errorCode: '3105', errorDescription: String(err.message).slice(0, 128) } });
		}
		res.writeHead(status, { 'Content-Type': 'application/json' });
		res.end(reply);
	});
});
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));

const parent = process.ppid;
setTimeout(() => process.exit(0), 120000).unref();
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
