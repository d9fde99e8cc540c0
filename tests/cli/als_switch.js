// als_switch.js -- the switch's account lookup service for
// tests/cli/als.sh: receives POST and DELETE /participants/{Type}/{ID},
// records each (method, path, the FSPIOP headers, the body) as one JSON
// line, answers 202 and then calls the daemon back with
// PUT /participants/{Type}/{ID} as the API defines it (or, for an ID
// listed in REFUSE_IDS, PUT .../error with 3003), and records the status
// the daemon answered that callback with as a line {"callback": path,
// "status": N}. Anything else is answered 404 and recorded too.
//
//   node tests/cli/als_switch.js PORT DAEMON_URL LOG_FILE [REFUSE_IDS]
//
// Listens on 127.0.0.1:PORT (the port the daemon was started with as its
// switch, so that the daemon meets a closed port until this starts),
// writes "listening" to LOG_FILE.ready once it listens, and exits by
// itself after 120 seconds, in case the test that started it dies.
'use strict';
const http = require('http');
const fs = require('fs');

const [port, daemon, logFile, refuse] = process.argv.slice(2);
if (!port || !daemon || !logFile) {
	console.error('usage: node als_switch.js PORT DAEMON_URL LOG_FILE [REFUSE_IDS]');
	process.exit(2);
}
const refused = new Set((refuse || '').split(',').filter((s) => s !== ''));
const CT = 'application/vnd.interoperability.participants+json;version=1.1';

function log(rec) {
	fs.appendFileSync(logFile, JSON.stringify(rec) + '\n');
}

function callback(path, source, body) {
	const data = JSON.stringify(body);
	const req = http.request(daemon + path, {
		method: 'PUT',
		headers: {
			'Content-Type': CT, 'Content-Length': Buffer.byteLength(data),
			Date: new Date().toUTCString(), 'FSPIOP-Source': 'switch',
			'FSPIOP-Destination': source,
		},
	}, (res) => {
		res.resume();
		res.on('end', () => log({ callback: path, status: res.statusCode }));
	});
	req.on('error', (e) => log({ callback: path, error: e.message }));
	req.end(data);
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const h = req.headers;
		log({
			method: req.method, path: req.url,
			accept: h.accept === undefined ? null : h.accept,
			contentType: h['content-type'] || null, date: h.date || null,
			source: h['fspiop-source'] || null, destination: h['fspiop-destination'] || null,
			body: Buffer.concat(chunks).toString('utf8'),
		});
		const m = /^\/participants\/([A-Z_]+)\/([^/?]+)$/.exec(req.url);
		if (!m || (req.method !== 'POST' && req.method !== 'DELETE')) {
			res.writeHead(404);
			res.end();
			return;
		}
		res.writeHead(202);
		res.end();
		const source = h['fspiop-source'] || 'unknown';
		if (refused.has(m[2]))
			callback(req.url + '/error', source, { errorInformation: {
				errorCode: '3003', errorDescription: 'Add Party information error' } });
		else
			callback(req.url, source, { fspId: source });
	});
});
server.listen(Number(port), '127.0.0.1', () => {
	fs.writeFileSync(logFile + '.ready', 'listening\n');
});
setTimeout(() => process.exit(0), 120000).unref();
