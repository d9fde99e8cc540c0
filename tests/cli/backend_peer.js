// backend_peer.js -- a DFSP's backend hook for tests/cli/backend.sh: a
// tiny HTTP server that checks the X-Tillgate-Signature of every request
// (HMAC-SHA256 of the body under the shared secret) and records each one,
// one JSON line: {path, sig_ok, body (parsed), t (ms since start)}.
//
//   node tests/cli/backend_peer.js PORT SECRET_FILE PORT_FILE LOG_FILE
//
// PORT 0 picks a free one; the port is written to PORT_FILE once
// listening on 127.0.0.1. What /authorise answers depends on the amount
// (minor units), so that the test picks a behaviour by paying it:
//   777700  {"approved":false,"reason":"Insufficient funds in account ..."}
//   888800  nothing for 20 s (longer than the daemon's timeout)
//   999900  HTTP 500
//   666600  approved, but the first question for a payment is answered
//           only after 20 s (the daemon is stopped meanwhile)
//   other   {"approved":true}
// /notify answers 204, except for a payment of 555500 the first time
// (across restarts: the marker file LOG_FILE.down): the peer then exits at
// once without an answer, as a backend that goes down. A bad or missing
// signature gets 401. Exits by itself after 150 seconds.
'use strict';
const http = require('http');
const fs = require('fs');
const crypto = require('crypto');

const [port, secretFile, portFile, logFile] = process.argv.slice(2);
if (!portFile || !logFile) {
	console.error('usage: node backend_peer.js PORT SECRET_FILE PORT_FILE LOG_FILE');
	process.exit(2);
}
let secret = fs.readFileSync(secretFile);
if (secret[secret.length - 1] === 0x0a) secret = secret.subarray(0, secret.length - 1);
const start = Date.now();
const asked = new Set();

function sigOk(body, header) {
	const want = 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
	return typeof header === 'string' && header.length === want.length &&
		crypto.timingSafeEqual(Buffer.from(header), Buffer.from(want));
}

function json(res, status, obj) {
	res.writeHead(status, { 'Content-Type': 'application/json' });
	res.end(obj === undefined ? '' : JSON.stringify(obj));
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const raw = Buffer.concat(chunks);
		const ok = sigOk(raw, req.headers['x-tillgate-signature']);
		let body = null;
		try { body = JSON.parse(raw.toString('utf8')); } catch (e) { body = null; }
		fs.appendFileSync(logFile, JSON.stringify({
			path: req.url, sig_ok: ok, ctype: req.headers['content-type'] || null, body,
			t: Date.now() - start,
		}) + '\n');
		if (!ok) return json(res, 401, { error: 'bad signature' });
		if (req.method !== 'POST' || !body) return json(res, 400, { error: 'bad request' });
		if (req.url === '/hook/authorise') {
			const first = !asked.has(body.payment_id);
			asked.add(body.payment_id);
			switch (body.amount) {
			case 777700:
				return json(res, 200, { approved: false,
					reason: 'Insufficient funds in account ' + body.account_ref + '.' });
			case 888800:
				return setTimeout(() => json(res, 200, { approved: true }), 20000);
			case 999900:
				return json(res, 500, { error: 'core banking is down' });
			case 666600:
				if (first) return setTimeout(() => json(res, 200, { approved: true }), 20000);
				return json(res, 200, { approved: true });
			default:
				return json(res, 200, { approved: true });
			}
		}
		if (req.url === '/hook/notify') {
			if (body.amount === 555500 && !fs.existsSync(logFile + '.down')) {
				fs.writeFileSync(logFile + '.down', 'went down once\n');
				req.socket.destroy();
				process.exit(0);
			}
			res.writeHead(204);
			return res.end();
		}
		return json(res, 404, { error: 'no such path' });
	});
});
server.listen(Number(port), '127.0.0.1', () => {
	fs.writeFileSync(portFile, String(server.address().port));
});
setTimeout(() => process.exit(0), 150000).unref();
