// phone_peer.js -- a protocol check of the 'tillgate phone' CLIENT, not a
// test of Tillgate's menus: a tiny HTTP server that plays fixed
// Africa's Talking style replies ("CON ..." / "END ...") and records
// every request it receives (path, Authorization, Content-Type, the raw
// form body and its decoded fields), one JSON line each, so that
// tests/cli/phone.sh can check exactly what the client sent.
//
//   node tests/cli/phone_peer.js PORT_FILE LOG_FILE
//
// Listens on 127.0.0.1 on a free port (written to PORT_FILE once
// listening) and exits by itself after 60 seconds, in case the test that
// started it dies.
'use strict';
const http = require('http');
const fs = require('fs');

const [portFile, logFile] = process.argv.slice(2);
if (!portFile || !logFile) {
	console.error('usage: node phone_peer.js PORT_FILE LOG_FILE');
	process.exit(2);
}

// The two-screen dialogue, keyed by the accumulated text.
const DIALOGUE = {
	'': 'CON Welcome to Tillgate\n1 Register business\n2 Pay a merchant',
	'1': 'CON Business name?',
	'1*Mama Juma': 'END Asante Mama Juma!\nTill 100042 is yours. [SMS follows]',
};

function reply(path, fields, headers) {
	switch (path) {
	case '/ussd':
		if (fields.text in DIALOGUE) return [200, DIALOGUE[fields.text]];
		return [200, 'END unexpected text: ' + fields.text];
	case '/auth':
		if (headers.authorization !== 'Bearer s3cr3t-T0ken') return [401, 'bad or missing token'];
		return [200, 'END authorised'];
	case '/early': return [200, 'END Service closed for maintenance'];
	case '/http500': return [500, 'database is locked'];
	case '/garbage': return [200, 'HELLO\tthere, this is not USSD'];
	case '/long': return [200, 'CON ' + 'x'.repeat(183)];
	case '/ucs2': return [200, 'END Asante \u2713'];
	case '/empty': return [200, 'END'];
	case '/badutf8': return [200, Buffer.from([0x45, 0x4e, 0x44, 0x20, 0x61, 0xff])];
	default: return [404, 'no such path'];
	}
}

const server = http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks).toString('latin1');
		const fields = Object.fromEntries(new URLSearchParams(body));
		fs.appendFileSync(logFile, JSON.stringify({
			method: req.method, path: req.url, auth: req.headers.authorization || null,
			ctype: req.headers['content-type'] || null, body, fields,
		}) + '\n');
		const [status, text] = reply(req.url, fields, req.headers);
		res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
		res.end(text);
	});
});
server.listen(0, '127.0.0.1', () => {
	fs.writeFileSync(portFile + '.tmp', String(server.address().port));
	fs.renameSync(portFile + '.tmp', portFile);
});
setTimeout(() => process.exit(0), 60000);
