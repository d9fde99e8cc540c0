'use strict';
// tls_peer.js -- an HTTPS peer that demands a client certificate, for the
// connector's mutual-TLS options ([switch] tls_cert, tls_key, tls_ca) in
// tests/cli/switch_ttk.sh.
//
//   node tests/ttk/tls_peer.js SERVER_CERT SERVER_KEY CA_CERT
//
// Listens on 127.0.0.1 (a free port, printed as "port N"), accepts only
// clients whose certificate CA_CERT signed, and answers every request 202
// with no body (no callbacks). Exits after 120 s or when its parent is gone.

const fs = require('fs');
const https = require('https');

const [cert, key, ca] = process.argv.slice(2);
if (!ca) {
	console.error('usage: tls_peer.js SERVER_CERT SERVER_KEY CA_CERT');
	process.exit(2);
}
const server = https.createServer({
	cert: fs.readFileSync(cert),
	key: fs.readFileSync(key),
	ca: fs.readFileSync(ca),
	requestCert: true,
	rejectUnauthorized: true,
}, (req, res) => {
	req.resume();
	req.on('end', () => {
		res.writeHead(202);
		res.end();
	});
});
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));

const parent = process.ppid;
setTimeout(() => process.exit(0), 120000).unref();
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
