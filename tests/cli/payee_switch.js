// payee_switch.js -- the switch's side of tests/cli/payee.sh: a tiny
// HTTP server that receives the callbacks the daemon sends as payee DFSP
// (PUT /parties/..., PUT /quotes/..., PUT /transfers/... and their
// /error forms), answers each 200 and records it (method, path, the
// FSPIOP headers and the body), one JSON line each, so that the test can
// check exactly what was sent.
//
//   node tests/cli/payee_switch.js PORT_FILE LOG_FILE
//
// Listens on 127.0.0.1 on a free port (written to PORT_FILE once
// listening) and exits by itself after 120 seconds, in case the test
// that started it dies.
'use strict';
const http = require('http');
const fs = require('fs');

const [portFile, logFile] = process.argv.slice(2);
if (!portFile || !logFile) {
	console.error('usage: node payee_switch.js PORT_FILE LOG_FILE');
	process.exit(2);
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const h = req.headers;
		const rec = {
			method: req.method, path: req.url,
			accept: h.accept === undefined ? null : h.accept,
			contentType: h['content-type'] || null, date: h.date || null,
			source: h['fspiop-source'] || null, destination: h['fspiop-destination'] || null,
			body: Buffer.concat(chunks).toString('utf8'),
		};
		fs.appendFileSync(logFile, JSON.stringify(rec) + '\n');
		res.writeHead(200);
		res.end();
	});
});
server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portFile + '.tmp', String(server.address().port));
	fs.renameSync(portFile + '.tmp', portFile);
});
setTimeout(() => process.exit(0), 120000).unref();
server.on('close', () => process.exit(0));
