'use strict';
// start.js -- the Mojaloop Testing Toolkit as the FSPIOP switch of a test.
//
//   TTK_API_PORT=P TTK_ADMIN_PORT=A TTK_CALLBACK_URL=http://127.0.0.1:C \
//   TTK_RUN_DIR=DIR [TTK_TIMEOUT_S=300] [TTK_KEEP_TRANSFERS=1] \
//   [TTK_EXTRA_RULES=FILE] [TTK_ACCESS_LOG=FILE] [TTK_RULES_CALLBACK=FILE] \
//   [TTK_RULES_VALIDATION=FILE] node tests/ttk/start.js
//
// With TTK_HUB_DFSPS=A,B,... the Toolkit runs in hub-forwarding mode
// (HUB_ONLY_MODE): it validates each request and callback as usual, then
// forwards it to the DFSP its FSPIOP-Destination names, at
// TTK_CALLBACK_URL for every DFSP (one daemon hosts them all); a
// GET /parties, which has no destination, goes to the DFSP after its
// source in that list (the Toolkit has no account lookup of its own).
//
// Copies the package's spec_files/ (TTK reads them relative to its working
// directory) into DIR, puts Tillgate's deterministic rules
// (rules_callback.json, rules_validation.json, next to this file, or the
// files TTK_RULES_CALLBACK / TTK_RULES_VALIDATION name) in force,
// points callbacks at TTK_CALLBACK_URL, and starts TTK in this process
// from DIR with both ports on 127.0.0.1 (loopback.js). It exits by itself
// after TTK_TIMEOUT_S seconds or as soon as its parent process is gone.
// TTK_EXTRA_RULES names a JSON array of validation rules a test made
// (keyed on values it only knows once running, e.g. a till number), put
// before the stock ones. TTK_ACCESS_LOG names a file that gets one JSON
// line per request to the FSPIOP port, written when its answer leaves:
// {method, path, status, source}; a 400 is a request the Toolkit's
// OpenAPI validation refused. docs/switch.md, "Tests".

const fs = require('fs');
const path = require('path');

function need(name) {
	const v = process.env[name];
	if (!v) {
		console.error(`start.js: ${name} is not set`);
		process.exit(2);
	}
	return v;
}

const apiPort = Number(need('TTK_API_PORT'));
need('TTK_ADMIN_PORT');
const callbackUrl = need('TTK_CALLBACK_URL');
const runDir = path.resolve(need('TTK_RUN_DIR'));
const timeoutS = Number(process.env.TTK_TIMEOUT_S || 300);

require('./loopback'); // before TTK creates any server

if (process.env.TTK_ACCESS_LOG) {
	const http = require('http');
	const file = process.env.TTK_ACCESS_LOG;
	const emit = http.Server.prototype.emit;
	http.Server.prototype.emit = function (ev, req, res, ...rest) {
		const a = ev === 'request' ? this.address() : null;
		if (a && a.port === apiPort)
			res.on('finish', () => fs.appendFileSync(file, JSON.stringify({
				method: req.method, path: req.url, status: res.statusCode,
				source: req.headers['fspiop-source'] || null,
			}) + '\n'));
		return emit.call(this, ev, req, res, ...rest);
	};
}

const pkg = path.dirname(require.resolve('ml-testing-toolkit/package.json', { paths: [__dirname] }));

// A real switch answers every GET /transfers/{id} of a committed transfer
// with its fulfilment, and a GET of a transfer it never received with
// error 3208. The Toolkit forgets a transfer after its first GET and
// answers COMMITTED without a fulfilment for one it does not know.
// TTK_KEEP_TRANSFERS=1 makes it answer as a switch does, for
// tests/cli/fwd_ttk.sh, whose daemon may be killed while the callback of
// a GET is on its way (it asks again), or after recording a transfer but
// before its prepare left (it asks for one the Toolkit never saw).
if (process.env.TTK_KEEP_TRANSFERS) {
	const store = require(path.join(pkg, 'src', 'lib', 'objectStore'));
	const del = store.deleteObject;
	store.deleteObject = (key, ...rest) => (key === 'storedTransfers' ? undefined : del(key, ...rest));
	const ilp = require(path.join(pkg, 'src', 'lib', 'mocking', 'middleware-functions', 'ilpModel'));
	const handle = ilp.handleTransferIlp;
	ilp.handleTransferIlp = (context, response) => {
		const m = /\/transfers\/([^/]+)$/.exec(response.path || '');
		if (context.request.method === 'get' && response.method === 'put' && m &&
		    !store.get('storedTransfers', m[1])) {
			response.path += '/error';
			response.body = { errorInformation: { errorCode: '3208', errorDescription: 'Transfer ID not found' } };
			return null;
		}
		return handle(context, response);
	};
}

fs.mkdirSync(runDir, { recursive: true });
fs.cpSync(path.join(pkg, 'spec_files'), path.join(runDir, 'spec_files'), { recursive: true });
if (fs.existsSync(path.join(pkg, 'secrets')))
	fs.cpSync(path.join(pkg, 'secrets'), path.join(runDir, 'secrets'), { recursive: true });

const spec = path.join(runDir, 'spec_files');
const edit = (file, fn) => {
	const p = path.join(spec, file);
	const j = JSON.parse(fs.readFileSync(p, 'utf8'));
	fn(j);
	fs.writeFileSync(p, JSON.stringify(j, null, 2));
};
edit('system_config.json', (c) => {
	c.API_PORT = apiPort;
	c.SERVER_LOGS.ENABLED = false; // no Elasticsearch
	c.CONNECTION_MANAGER.ENABLED = false;
});
edit('user_config.json', (c) => {
	c.CALLBACK_ENDPOINT = callbackUrl;
	c.CALLBACK_RESOURCE_ENDPOINTS.enabled = false;
	c.HUB_ONLY_MODE = false;
	c.SEND_CALLBACK_ENABLE = true;
	c.FSPID = 'switch';
	// the transfer's packet and condition must be the ones TTK made for
	// the quote: checks the pass-through rule
	c.TRANSFERS_VALIDATION_ILP_PACKET = true;
	c.TRANSFERS_VALIDATION_CONDITION = true;
	c.TRANSFERS_VALIDATION_WITH_PREVIOUS_QUOTES = false;
	c.VALIDATE_INBOUND_JWS = false;
	c.JWS_SIGN = false;
});
const hubDfsps = (process.env.TTK_HUB_DFSPS || '').split(',').filter((d) => d !== '');
if (hubDfsps.length) {
	edit('user_config.json', (c) => {
		c.HUB_ONLY_MODE = true;
		c.ENDPOINTS_DFSP_WISE = { dfsps: {} };
		for (const d of hubDfsps)
			c.ENDPOINTS_DFSP_WISE.dfsps[d] = { defaultEndpoint: callbackUrl, endpoints: [] };
	});
	const rule = (id, description, all, dfspId) => ({
		ruleId: id, priority: 1, type: 'forward', version: 1, description,
		apiVersion: { minorVersion: 1, majorVersion: 1, type: 'fspiop', asynchronous: true },
		conditions: { all }, event: { type: 'FORWARD', params: { dfspId } },
	});
	const rules = [];
	hubDfsps.forEach((d, i) => {
		rules.push(rule(rules.length + 1, `to ${d}`,
			[{ fact: 'headers', path: 'fspiop-destination', operator: 'equal', value: d }], d));
		const next = hubDfsps[(i + 1) % hubDfsps.length];
		rules.push(rule(rules.length + 1, `GET /parties from ${d} to ${next}`, [
			{ fact: 'operationPath', operator: 'equal', value: '/parties/{Type}/{ID}' },
			{ fact: 'method', operator: 'equal', value: 'get' },
			{ fact: 'headers', path: 'fspiop-source', operator: 'equal', value: d },
		], next));
	});
	fs.writeFileSync(path.join(spec, 'rules_forward', 'tillgate.json'), JSON.stringify(rules, null, 1));
	fs.writeFileSync(path.join(spec, 'rules_forward', 'config.json'), JSON.stringify({ activeRulesFile: 'tillgate.json' }));
}
for (const kind of ['callback', 'validation']) {
	// TTK_RULES_CALLBACK / TTK_RULES_VALIDATION: a test's own rules file instead
	const own = process.env[`TTK_RULES_${kind.toUpperCase()}`];
	let rules = JSON.parse(fs.readFileSync(own || path.join(__dirname, `rules_${kind}.json`), 'utf8'));
	if (kind === 'validation' && process.env.TTK_EXTRA_RULES)
		rules = JSON.parse(fs.readFileSync(process.env.TTK_EXTRA_RULES, 'utf8')).concat(rules);
	fs.writeFileSync(path.join(spec, `rules_${kind}`, 'tillgate.json'), JSON.stringify(rules, null, 1));
	fs.writeFileSync(path.join(spec, `rules_${kind}`, 'config.json'), JSON.stringify({ activeRulesFile: 'tillgate.json' }));
}

process.chdir(runDir);

// Stop with the test: after the timeout, or when the parent is gone
// (re-parented processes see another ppid).
const parent = process.ppid;
setTimeout(() => {
	console.error(`start.js: ${timeoutS} s passed, exiting`);
	process.exit(0);
}, timeoutS * 1000).unref();
setInterval(() => {
	if (process.ppid !== parent)
		process.exit(0);
}, 500).unref();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

require(path.join(pkg, 'src', 'index.js'));
