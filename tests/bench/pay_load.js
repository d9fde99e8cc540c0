'use strict';
// pay_load.js -- the load drivers of tests/bench/pay.sh (a benchmark, not
// a test). Loopback only; every mode prints one JSON line of results on
// standard output and exits 0, or prints why on standard error and exits 1
// (a request refused, a callback missing or wrong, a timeout).
//
//   node pay_load.js payments URL KEY N C TAG PAYERS TILL AMOUNT
//       POST URL/v1/payments N times over C keep-alive connections (C
//       requests in flight at once), a distinct Idempotency-Key each
//       (TAG-i), the payers (comma-separated MSISDNs) in turn, TILL and
//       AMOUNT (minor units). Results: the count per status, requests/s
//       over the whole run, latency p50/p99 (request written to answer
//       read), and the number of distinct payment ids answered.
//
//   node pay_load.js ceiling SIM_JS N C TILL AMOUNT
//       The switch simulator's own ceiling: starts `node SIM_JS --fast
//       --callback URL` with this process's receiver as URL, then runs N
//       full payer flows, C at once, straight at it: GET /parties/ALIAS/
//       TILL, POST /quotes, POST /transfers with the quote's packet and
//       condition, each step waiting for its PUT callback (the fulfilment
//       checked against the condition), as the daemon's forwarder does.
//       Results: flows/s, p50/p99 of a flow. The simulator is stopped by
//       closing its standard input.
//
//   node pay_load.js payee URL PORT FSP TILL N C
//       The payee side: listens on 127.0.0.1:PORT (the daemon's [switch]
//       endpoint) for the daemon's callbacks and runs N flows, C at once,
//       at the daemon as the switch would: POST URL/quotes for TILL of
//       the hosted DFSP FSP, then POST URL/transfers with the packet and
//       condition of the PUT /quotes callback. A step's latency runs from
//       writing the request to the arrival of its PUT callback. Results:
//       quotes/s and transfers/s (the count over the time the flows took:
//       quote and transfer alternate, so each is the flow rate), flows/s,
//       p50/p99 of each step.
//
// The first max(C, 10) flows of ceiling and payee are a warm-up, not timed.
const http = require('http');
const crypto = require('crypto');
const { spawn } = require('child_process');

function die(msg) {
	process.stderr.write(`pay_load: ${msg}\n`);
	process.exit(1);
}

function pct(a, p) {
	if (!a.length) return null;
	const s = Float64Array.from(a).sort();
	return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const ms = (ns) => Number(ns) / 1e6;
const r2 = (x) => (x === null ? null : Math.round(x * 100) / 100);

const agentFor = (c) => new http.Agent({ keepAlive: true, maxSockets: c, maxFreeSockets: c });

// request(agent, url, method, path, headers, body) -> {status, body}
function request(agent, base, method, path, headers, body) {
	return new Promise((resolve, reject) => {
		const u = new URL(path, base);
		const req = http.request({ agent, host: u.hostname, port: u.port, method, path: u.pathname + u.search,
			headers: body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
		});
		req.on('error', reject);
		req.setTimeout(30000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
		req.end(body);
	});
}

// runPool(n, c, fn): calls fn(i) for i in 0..n-1, c at once.
async function runPool(n, c, fn) {
	let next = 0;
	const worker = async () => {
		while (next < n) await fn(next++);
	};
	await Promise.all(Array.from({ length: Math.min(c, n) }, worker));
}

// A callback receiver: PUT /{parties,quotes,transfers}/ID[/error] resolve
// the oldest waiter registered for the resource (its path without
// /error); concurrent lookups of one party share a path, and their
// callbacks are alike, so first come, first served.
function receiver(port) {
	const waiters = new Map(); // path -> [{resolve, timer}]
	const early = new Map(); // path -> [callback]
	const push = (m, k, v) => {
		const a = m.get(k);
		if (a) a.push(v);
		else m.set(k, [v]);
	};
	const shift = (m, k) => {
		const a = m.get(k);
		if (!a) return undefined;
		const v = a.shift();
		if (!a.length) m.delete(k);
		return v;
	};
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			res.writeHead(200, { 'Content-Length': 0 });
			res.end();
			const t = process.hrtime.bigint();
			const isErr = req.url.endsWith('/error');
			const key = isErr ? req.url.slice(0, -6) : req.url;
			const cb = { t, method: req.method, error: isErr, body: Buffer.concat(chunks).toString('utf8') };
			const w = shift(waiters, key);
			if (w) {
				clearTimeout(w.timer);
				w.resolve(cb);
			} else {
				push(early, key, cb);
			}
		});
	});
	server.keepAliveTimeout = 60000;
	const wait = (key, timeoutMs = 30000) => new Promise((resolve, reject) => {
		const e = shift(early, key);
		if (e) {
			resolve(e);
			return;
		}
		const w = { resolve };
		w.timer = setTimeout(() => {
			const a = waiters.get(key) || [];
			const i = a.indexOf(w);
			if (i >= 0) a.splice(i, 1);
			if (!a.length) waiters.delete(key);
			reject(new Error(`no callback PUT ${key} within ${timeoutMs} ms`));
		}, timeoutMs);
		push(waiters, key, w);
	});
	return new Promise((resolve, reject) => {
		server.on('error', reject);
		server.listen(port, '127.0.0.1', () => resolve({ server, wait, port: server.address().port }));
	});
}

const V = (res, v) => `application/vnd.interoperability.${res}+json;version=${v}`;
const fspHeaders = (res, src, dst) => {
	const h = { Accept: V(res, '1'), 'Content-Type': V(res, '1.1'), Date: new Date().toUTCString(), 'FSPIOP-Source': src };
	if (dst) h['FSPIOP-Destination'] = dst;
	return h;
};
const fieldOf = (cb, what) => {
	let j;
	try {
		j = JSON.parse(cb.body);
	} catch (e) {
		throw new Error(`${what}: callback body is not JSON: ${cb.body.slice(0, 200)}`);
	}
	if (cb.error) throw new Error(`${what}: error callback ${cb.body.slice(0, 300)}`);
	return j;
};
const checkFulfilment = (fulfilment, condition, what) => {
	const c = crypto.createHash('sha256').update(Buffer.from(fulfilment || '', 'base64url')).digest('base64url');
	if (c !== condition) throw new Error(`${what}: the fulfilment does not match the condition`);
};
const minor = (amount) => `${Math.floor(amount / 100)}${amount % 100 ? '.' + String(amount % 100).padStart(2, '0') : ''}`;

async function payments(args) {
	const [base, key, nS, cS, tag, payersS, till, amountS] = args;
	const n = Number(nS), c = Number(cS), amount = Number(amountS);
	const payers = (payersS || '').split(',').filter(Boolean);
	if (!base || !key || !(n > 0) || !(c > 0) || !tag || !payers.length || !till || !(amount > 0))
		die('usage: payments URL KEY N C TAG PAYERS TILL AMOUNT');
	const agent = agentFor(c);
	const codes = {};
	const lat = [];
	const ids = [];
	const t0 = process.hrtime.bigint();
	await runPool(n, c, async (i) => {
		const body = JSON.stringify({ payer_msisdn: payers[i % payers.length], till, amount });
		const s = process.hrtime.bigint();
		const r = await request(agent, base, 'POST', '/v1/payments',
			{ Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Idempotency-Key': `${tag}-${i}` }, body);
		lat.push(ms(process.hrtime.bigint() - s));
		codes[r.status] = (codes[r.status] || 0) + 1;
		const m = /"id":"(P[0-9a-f]+)"/.exec(r.body);
		if (r.status >= 300 || !m) die(`payment ${tag}-${i}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
		ids.push(m[1]);
	});
	const secs = ms(process.hrtime.bigint() - t0) / 1000;
	agent.destroy();
	console.log(JSON.stringify({ n, c, codes, secs: r2(secs), rate: r2(n / secs), p50: r2(pct(lat, 50)), p99: r2(pct(lat, 99)),
		distinct_ids: new Set(ids).size }));
}

async function ceiling(args) {
	const [sim, nS, cS, till, amountS] = args;
	const n = Number(nS), c = Number(cS), amount = Number(amountS);
	if (!sim || !(n > 0) || !(c > 0) || !till || !(amount > 0)) die('usage: ceiling SIM_JS N C TILL AMOUNT');
	const rx = await receiver(0);
	let done = false;
	const child = spawn(process.execPath, [sim, '--fast', '--callback', `http://127.0.0.1:${rx.port}`],
		{ stdio: ['pipe', 'pipe', 'inherit'] });
	child.on('exit', (code) => {
		if (!done) die(`the simulator exited (status ${code}) before the run ended`);
	});
	const port = await new Promise((resolve, reject) => {
		let buf = '';
		const t = setTimeout(() => reject(new Error('the simulator printed no {"port":N} in 20 s')), 20000);
		child.stdout.on('data', (d) => {
			buf += d;
			const m = /\{"port":(\d+)\}/.exec(buf);
			if (m) {
				clearTimeout(t);
				resolve(Number(m[1]));
			}
		});
	});
	const base = `http://127.0.0.1:${port}`;
	const agent = agentFor(c);
	const payer = 'bank-b', msisdn = '255700000011';
	const flow = async () => {
		const tx = crypto.randomUUID(), qid = crypto.randomUUID(), tid = crypto.randomUUID();
		const s = process.hrtime.bigint();
		const ppath = `/parties/ALIAS/${till}`;
		let w = rx.wait(ppath);
		let r = await request(agent, base, 'GET', ppath, fspHeaders('parties', payer));
		if (r.status !== 202) throw new Error(`GET ${ppath}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
		const party = fieldOf(await w, 'lookup');
		const payee = party.party && party.party.partyIdInfo && party.party.partyIdInfo.fspId;
		if (!payee) throw new Error('lookup: no fspId in the party');
		w = rx.wait(`/quotes/${qid}`);
		r = await request(agent, base, 'POST', '/quotes', fspHeaders('quotes', payer, payee), JSON.stringify({
			quoteId: qid, transactionId: tx,
			payee: { partyIdInfo: { partyIdType: 'ALIAS', partyIdentifier: till, fspId: payee } },
			payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId: payer } },
			amountType: 'SEND', amount: { currency: 'TZS', amount: minor(amount) },
			transactionType: { scenario: 'PAYMENT', initiator: 'PAYER', initiatorType: 'CONSUMER' },
		}));
		if (r.status !== 202) throw new Error(`POST /quotes: HTTP ${r.status} ${r.body.slice(0, 200)}`);
		const q = fieldOf(await w, 'quote');
		w = rx.wait(`/transfers/${tid}`);
		r = await request(agent, base, 'POST', '/transfers', fspHeaders('transfers', payer, payee), JSON.stringify({
			transferId: tid, payerFsp: payer, payeeFsp: payee, amount: q.transferAmount,
			ilpPacket: q.ilpPacket, condition: q.condition, expiration: new Date(Date.now() + 30000).toISOString(),
		}));
		if (r.status !== 202) throw new Error(`POST /transfers: HTTP ${r.status} ${r.body.slice(0, 200)}`);
		const t = fieldOf(await w, 'transfer');
		if (t.transferState !== 'COMMITTED') throw new Error(`transfer: state ${t.transferState}`);
		checkFulfilment(t.fulfilment, q.condition, 'transfer');
		return ms(process.hrtime.bigint() - s);
	};
	const warm = Math.min(n, Math.max(c, 10));
	await runPool(warm, c, flow);
	const lat = [];
	const t0 = process.hrtime.bigint();
	await runPool(n, c, async () => lat.push(await flow()));
	const secs = ms(process.hrtime.bigint() - t0) / 1000;
	let stats = null;
	try {
		const s = await request(agent, base, 'GET', '/sim/stats', {});
		stats = JSON.parse(s.body);
	} catch (e) {
		stats = null;
	}
	done = true;
	agent.destroy();
	child.stdin.end();
	rx.server.close();
	console.log(JSON.stringify({ n, c, warm, secs: r2(secs), rate: r2(n / secs), p50: r2(pct(lat, 50)), p99: r2(pct(lat, 99)),
		sim_committed: stats && stats.committed_total !== undefined ? stats.committed_total : null }));
}

async function payee(args) {
	const [base, portS, fsp, till, nS, cS] = args;
	const n = Number(nS), c = Number(cS), port = Number(portS);
	if (!base || !(port > 0) || !fsp || !till || !(n > 0) || !(c > 0)) die('usage: payee URL PORT FSP TILL N C');
	const rx = await receiver(port);
	const agent = agentFor(c);
	const payer = 'payerbank';
	const amount = 10000; // TZS 100.00
	const flow = async () => {
		const tx = crypto.randomUUID(), qid = crypto.randomUUID(), tid = crypto.randomUUID();
		let w = rx.wait(`/quotes/${qid}`);
		const s1 = process.hrtime.bigint();
		let r = await request(agent, base, 'POST', '/quotes', fspHeaders('quotes', payer, fsp), JSON.stringify({
			quoteId: qid, transactionId: tx,
			payee: { partyIdInfo: { partyIdType: 'ALIAS', partyIdentifier: till, fspId: fsp } },
			payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '255712345678', fspId: payer } },
			amountType: 'SEND', amount: { currency: 'TZS', amount: minor(amount) },
			transactionType: { scenario: 'PAYMENT', initiator: 'PAYER', initiatorType: 'CONSUMER' },
		}));
		if (r.status !== 202) throw new Error(`POST /quotes: HTTP ${r.status} ${r.body.slice(0, 200)}`);
		const qcb = await w;
		const q = fieldOf(qcb, 'quote');
		const lq = ms(qcb.t - s1);
		w = rx.wait(`/transfers/${tid}`);
		const s2 = process.hrtime.bigint();
		r = await request(agent, base, 'POST', '/transfers', fspHeaders('transfers', payer, fsp), JSON.stringify({
			transferId: tid, payerFsp: payer, payeeFsp: fsp, amount: q.transferAmount,
			ilpPacket: q.ilpPacket, condition: q.condition, expiration: new Date(Date.now() + 600000).toISOString(),
		}));
		if (r.status !== 202) throw new Error(`POST /transfers: HTTP ${r.status} ${r.body.slice(0, 200)}`);
		const tcb = await w;
		const t = fieldOf(tcb, 'transfer');
		if (t.transferState !== 'COMMITTED') throw new Error(`transfer: state ${t.transferState}`);
		checkFulfilment(t.fulfilment, q.condition, 'transfer');
		return [lq, ms(tcb.t - s2)];
	};
	const warm = Math.min(n, Math.max(c, 10));
	await runPool(warm, c, flow);
	const lq = [], lt = [];
	const t0 = process.hrtime.bigint();
	await runPool(n, c, async () => {
		const [a, b] = await flow();
		lq.push(a);
		lt.push(b);
	});
	const secs = ms(process.hrtime.bigint() - t0) / 1000;
	agent.destroy();
	rx.server.close();
	console.log(JSON.stringify({ n, c, warm, secs: r2(secs), rate: r2(n / secs),
		quote_p50: r2(pct(lq, 50)), quote_p99: r2(pct(lq, 99)), transfer_p50: r2(pct(lt, 50)), transfer_p99: r2(pct(lt, 99)) }));
}

const modes = { payments, ceiling, payee };
const [mode, ...rest] = process.argv.slice(2);
if (!modes[mode]) die('usage: node pay_load.js payments|ceiling|payee ARGS...');
// in case the script that started it dies
setTimeout(() => die('still running after 600 s'), 600000).unref();
modes[mode](rest).catch((e) => die(e.message));
