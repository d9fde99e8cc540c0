// switch_sim.js -- a small FSPIOP v1.1 switch of our own, with exact switch
// semantics where the Testing Toolkit has none (shared notes ttk.md
// section 7): duplicates resent, ignored or refused with 3106, transfers
// expiring with 3303, 3208 for unknown transfers, lost and late callbacks.
// One payer DFSP (the daemon, at --callback) and simulated payee DFSPs
// (every party belongs to "simpayee"). Deterministic; 127.0.0.1 only.
// Interface and control API: tests/sim/README.md.
//
//   node tests/sim/switch_sim.js --callback URL [--port N] [--idle-exit-s S] [--fast]
//
// Prints one line {"port":N} on stdout when ready; exits when stdin closes
// or after S seconds (default 120) without any request.
'use strict';
const http = require('http');
const crypto = require('crypto');

// ---- arguments ----
const opt = { callback: null, port: 0, idle: 120, fast: false };
function usage(msg) {
	process.stderr.write(`switch_sim: ${msg}\n` +
		'usage: node switch_sim.js --callback URL [--port N] [--idle-exit-s S] [--fast]\n');
	process.exit(2);
}
{
	const a = process.argv.slice(2);
	for (let i = 0; i < a.length; i++) {
		const k = a[i];
		const num = (what) => {
			const v = a[++i];
			if (v === undefined || !/^[0-9]+$/.test(v)) usage(`${k}: ${what} expected (argument ${i + 1})`);
			return Number(v);
		};
		if (k === '--callback') {
			opt.callback = a[++i];
			let u;
			try { u = new URL(opt.callback); } catch (e) { u = null; }
			if (!u || u.protocol !== 'http:') usage(`--callback: an http:// URL expected (argument ${i + 1})`);
			opt.callback = opt.callback.replace(/\/+$/, '');
		} else if (k === '--port') {
			opt.port = num('a port number');
			if (opt.port > 65535) usage(`--port: 0-65535 expected (argument ${i + 1})`);
		} else if (k === '--idle-exit-s') {
			opt.idle = num('whole seconds');
		} else if (k === '--fast') {
			opt.fast = true;
		} else {
			usage(`unknown argument ${JSON.stringify(k)} (argument ${i + 1})`);
		}
	}
	if (!opt.callback) usage('--callback is required');
}

const PAYEE_FSP = 'simpayee';
const SWITCH_FSP = 'switch';
// The simulated payee's ILP secret (as the Toolkit does: the HMAC key is the
// ASCII of the secret's base64, the message the packet's base64url text).
const ILP_SECRET = Buffer.from(crypto.createHash('sha256').update('tillgate switch_sim').digest())
	.toString('base64');
const QUOTE_EXPIRY_MS = 60000;
const EXPONENT = { TZS: 2, UGX: 0, KES: 2, KWD: 3, BHD: 3, JPY: 0, XOF: 0, RWF: 0 };
const RES = ['parties', 'quotes', 'transfers'];

function log(...m) {
	if (!opt.fast) process.stderr.write(`switch_sim: ${m.join(' ')}\n`);
}

// ---- state ----
let st;
function reset() {
	st = {
		quotes: new Map(),      // quoteId -> {hash, quoteId, transactionId, packet, condition, fulfilment, amount, currency, answer}
		byPacket: new Map(),    // ilpPacket -> quote
		transfers: new Map(),   // transferId -> transfer
		order: [],              // transferIds in arrival order
		faults: {
			drop: { parties: 0, quotes: 0, transfers: 0 },
			lose: { parties: 0, quotes: 0, transfers: 0 },
			lose_posts: { parties: 0, quotes: 0, transfers: 0 },
			delay_ms: { parties: 0, quotes: 0, transfers: 0 },
			delay_count: { parties: -1, quotes: -1, transfers: -1 },
			expire_transfers: 0,
			bad_fulfilment: 0,
			down: false,
		},
		stats: {
			requests: {}, committed: {}, committed_total: 0, duplicates: 0, errors: {},
			duplicates_ignored: 0, aborted_total: 0, callbacks: { sent: 0, delivered: 0, failed: 0, dropped: 0 },
			lost: 0, lost_ids: [], lost_bodies: [], refused_down: 0,
		},
		timers: new Set(),
	};
}
reset();

function later(ms, fn) {
	const t = setTimeout(() => { st.timers.delete(t); fn(); }, ms);
	st.timers.add(t);
	return t;
}

// ---- encodings ----
function b64url(buf) {
	return Buffer.from(buf).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function b64urlDecode(s) {
	return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
function imfDate(ms) {
	return new Date(ms).toUTCString(); // "Tue, 15 Nov 1994 08:12:31 GMT"
}
function isoDate(ms) {
	return new Date(ms).toISOString(); // with milliseconds and Z
}
// The API's amount string to minor units; null if it breaks the pattern or
// has more decimals than the currency.
function minor(amount, ccy) {
	const m = /^([0]|[1-9][0-9]{0,17})(?:[.]([0-9]{0,3}[1-9]))?$/.exec(amount || '');
	const e = EXPONENT[ccy] === undefined ? 2 : EXPONENT[ccy];
	if (!m || (m[2] || '').length > e) return null;
	return BigInt(m[1] + (m[2] || '').padEnd(e, '0'));
}
// OER length prefix.
function oerLen(n) {
	if (n < 128) return Buffer.from([n]);
	const b = [];
	while (n) { b.unshift(n & 0xff); n = Math.floor(n / 256); }
	return Buffer.from([0x80 | b.length, ...b]);
}
// ILP v1 InterledgerProtocolPaymentMessage, as gateway/payee.c makes it.
function ilpPacket(amountMinor, account, data) {
	const amt = Buffer.alloc(8);
	amt.writeBigUInt64BE(amountMinor);
	const acc = Buffer.from(account, 'ascii');
	const dat = Buffer.from(data, 'ascii');
	const inner = Buffer.concat([amt, oerLen(acc.length), acc, oerLen(dat.length), dat, Buffer.from([0])]);
	return b64url(Buffer.concat([Buffer.from([1]), oerLen(inner.length), inner]));
}
function fulfil(packet) {
	const f = crypto.createHmac('sha256', Buffer.from(ILP_SECRET, 'ascii')).update(packet, 'ascii').digest();
	return { fulfilment: b64url(f), condition: b64url(crypto.createHash('sha256').update(f).digest()) };
}
function sha256(s) {
	return crypto.createHash('sha256').update(s).digest('hex');
}
function errBody(code, desc) {
	return { errorInformation: { errorCode: String(code), errorDescription: desc } };
}
function countError(code) {
	st.stats.errors[code] = (st.stats.errors[code] || 0) + 1;
}

// ---- callbacks to the payer DFSP ----
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function callback(res, path, body, source, dest) {
	const f = st.faults;
	if (f.drop[res] > 0) {
		f.drop[res]--;
		st.stats.callbacks.dropped++;
		log('callback dropped', 'PUT', path);
		return;
	}
	let delay = opt.fast ? 0 : 2;
	if (f.delay_ms[res] > 0 && f.delay_count[res] !== 0) {
		delay = f.delay_ms[res];
		if (f.delay_count[res] > 0) f.delay_count[res]--;
	}
	const data = Buffer.from(JSON.stringify(body));
	const send = () => {
		st.stats.callbacks.sent++;
		const req = http.request(opt.callback + path, {
			method: 'PUT', agent,
			headers: {
				'Content-Type': `application/vnd.interoperability.${res}+json;version=1.1`,
				'Date': imfDate(Date.now()),
				'FSPIOP-Source': source,
				'FSPIOP-Destination': dest,
				'Content-Length': data.length,
			},
		}, (r) => {
			r.resume();
			if (r.statusCode >= 200 && r.statusCode < 300) st.stats.callbacks.delivered++;
			else st.stats.callbacks.failed++;
			log('callback', 'PUT', path, '->', r.statusCode);
		});
		req.on('error', (e) => {
			st.stats.callbacks.failed++;
			log('callback', 'PUT', path, 'failed:', e.message);
		});
		req.end(data);
	};
	if (delay > 0) later(delay, send);
	else setImmediate(send);
}
function errorCallback(res, path, code, desc, source, dest) {
	countError(code);
	callback(res, path + '/error', errBody(code, desc), source, dest);
}

// ---- header checks ----
const FSP_RE = /^[A-Za-z0-9._-]{1,32}$/;
const DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT$/;
// Returns null, or [status, code, description] naming the header.
function checkHeaders(req, res, needDest) {
	const h = req.headers;
	const mt = `application/vnd.interoperability.${res}+json`;
	const ct = h['content-type'];
	if (ct === undefined) return [400, 3102, 'Content-Type: missing'];
	let m = /^application\/vnd\.interoperability\.([a-zA-Z]+)\+json;version=([0-9]+)(?:\.([0-9]+))?$/.exec(ct);
	if (!m || m[1] !== res) return [400, 3101, `Content-Type: ${mt};version=1.1 expected`];
	if (m[2] !== '1') return [406, 3001, `Content-Type: version ${m[2]}${m[3] ? '.' + m[3] : ''} not supported (1.0, 1.1)`];
	const acc = h.accept;
	if (acc === undefined) return [400, 3102, 'Accept: missing'];
	m = /^application\/vnd\.interoperability\.([a-zA-Z]+)\+json;version=([0-9]+)(?:\.([0-9]+))?$/.exec(acc);
	if (!m || m[1] !== res) return [400, 3101, `Accept: ${mt};version=1 expected`];
	if (m[2] !== '1') return [406, 3001, `Accept: version ${m[2]}${m[3] ? '.' + m[3] : ''} not supported (1)`];
	if (h['fspiop-source'] === undefined) return [400, 3102, 'FSPIOP-Source: missing'];
	if (!FSP_RE.test(h['fspiop-source'])) return [400, 3101, 'FSPIOP-Source: 1-32 characters [A-Za-z0-9._-] expected'];
	const d = h['fspiop-destination'];
	if (needDest && d === undefined) return [400, 3102, 'FSPIOP-Destination: missing'];
	if (d !== undefined && !FSP_RE.test(d)) return [400, 3101, 'FSPIOP-Destination: 1-32 characters [A-Za-z0-9._-] expected'];
	if (needDest && d !== PAYEE_FSP) return [400, 3201, `FSPIOP-Destination: unknown FSP ${JSON.stringify(d)}`];
	if (h.date === undefined) return [400, 3102, 'Date: missing'];
	if (!DATE_RE.test(h.date) || Number.isNaN(Date.parse(h.date))) return [400, 3101, 'Date: RFC 7231 IMF-fixdate expected'];
	return null;
}

// ---- body checks (what the handlers need; a switch validates the schema) ----
function field(obj, path) {
	let v = obj;
	for (const k of path.split('.')) {
		if (v === null || typeof v !== 'object') return undefined;
		v = v[k];
	}
	return v;
}
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
function checkBody(raw, want) {
	let b;
	try {
		b = JSON.parse(raw);
	} catch (e) {
		return { err: `body: not JSON (${e.message})` };
	}
	if (b === null || typeof b !== 'object' || Array.isArray(b)) return { err: '$: an object expected' };
	for (const [path, kind] of want) {
		const v = field(b, path);
		if (v === undefined) return { err: `$.${path}: missing` };
		if (kind === 'uuid' && (typeof v !== 'string' || !UUID_RE.test(v))) return { err: `$.${path}: a lowercase UUID expected` };
		if (kind === 'str' && (typeof v !== 'string' || !v.length)) return { err: `$.${path}: a string expected` };
		if (kind === 'date' && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) return { err: `$.${path}: an ISO 8601 date-time expected` };
		if (kind === 'ccy' && (typeof v !== 'string' || !/^[A-Z]{3}$/.test(v))) return { err: `$.${path}: ISO 4217 code expected` };
	}
	return { body: b };
}

// ---- handlers: each returns [status, body|null], callbacks scheduled ----
function getParty(req, type, id) {
	const src = req.headers['fspiop-source'];
	const path = `/parties/${type}/${id}`;
	if (id.startsWith('404')) {
		errorCallback('parties', path, 3204, 'Party not found', SWITCH_FSP, src);
	} else {
		callback('parties', path, {
			party: {
				partyIdInfo: { partyIdType: type, partyIdentifier: id, fspId: PAYEE_FSP },
				merchantClassificationCode: '5411',
				name: `Sim Merchant ${id}`,
			},
		}, PAYEE_FSP, src);
	}
	return [202, null];
}

function postQuote(req, raw) {
	const src = req.headers['fspiop-source'];
	const c = checkBody(raw, [['quoteId', 'uuid'], ['transactionId', 'uuid'],
		['payee.partyIdInfo.partyIdType', 'str'], ['payee.partyIdInfo.partyIdentifier', 'str'],
		['payer.partyIdInfo.partyIdType', 'str'], ['payer.partyIdInfo.partyIdentifier', 'str'],
		['amountType', 'str'], ['amount.currency', 'ccy'], ['amount.amount', 'str'],
		['transactionType.scenario', 'str']]);
	if (c.err) return [400, errBody(3100, c.err)];
	const q = c.body;
	const amt = minor(q.amount.amount, q.amount.currency);
	if (amt === null) return [400, errBody(3100, `$.amount.amount: ${JSON.stringify(q.amount.amount)} is not an amount of ${q.amount.currency}`)];
	const hash = sha256(raw);
	const path = `/quotes/${q.quoteId}`;
	const old = st.quotes.get(q.quoteId);
	if (old) {
		st.stats.duplicates++;
		if (old.hash !== hash) {
			errorCallback('quotes', path, 3106, 'Modified request: quoteId reused with another body', SWITCH_FSP, src);
		} else {
			callback('quotes', path, old.answer, PAYEE_FSP, src);
		}
		return [202, null];
	}
	const payee = q.payee.partyIdInfo;
	const account = `g.${PAYEE_FSP}.${payee.partyIdType}.${payee.partyIdentifier}`.toLowerCase()
		.replace(/[^a-z0-9._~-]/g, '_');
	const tx = {
		transactionId: q.transactionId, quoteId: q.quoteId,
		payee: { partyIdInfo: { partyIdType: payee.partyIdType, partyIdentifier: payee.partyIdentifier, fspId: PAYEE_FSP } },
		payer: { partyIdInfo: q.payer.partyIdInfo },
		amount: q.amount,
		transactionType: q.transactionType,
	};
	const packet = ilpPacket(amt, account, b64url(Buffer.from(JSON.stringify(tx))));
	const { fulfilment, condition } = fulfil(packet);
	let exp = Date.now() + QUOTE_EXPIRY_MS;
	if (q.expiration && Date.parse(q.expiration) < exp) exp = Date.parse(q.expiration);
	const answer = {
		transferAmount: q.amount, payeeReceiveAmount: q.amount,
		payeeFspFee: { currency: q.amount.currency, amount: '0' },
		expiration: isoDate(exp), ilpPacket: packet, condition,
	};
	const rec = {
		hash, quoteId: q.quoteId, transactionId: q.transactionId, packet, condition, fulfilment,
		amount: amt, currency: q.amount.currency, answer,
		payer: q.payer.partyIdInfo.partyIdentifier, payee: payee.partyIdentifier,
	};
	st.quotes.set(q.quoteId, rec);
	st.byPacket.set(packet, rec);
	callback('quotes', path, answer, PAYEE_FSP, src);
	return [202, null];
}

function transferPut(t) {
	const b = { transferState: t.state };
	if (t.state === 'COMMITTED') b.fulfilment = t.fulfilment;
	if (t.completed) b.completedTimestamp = isoDate(t.completed);
	return b;
}

// The switch's timeout handler: a transfer not committed by its expiration.
function expire(t) {
	if (t.state !== 'RESERVED') return;
	t.state = 'ABORTED';
	t.completed = Date.now();
	t.error = [3303, 'Transfer expired'];
	st.stats.aborted_total++;
	log('transfer expired', t.transferId);
	errorCallback('transfers', `/transfers/${t.transferId}`, 3303, 'Transfer expired', SWITCH_FSP, t.payerFsp);
}

function postTransfer(req, raw) {
	const src = req.headers['fspiop-source'];
	const c = checkBody(raw, [['transferId', 'uuid'], ['payerFsp', 'str'], ['payeeFsp', 'str'],
		['amount.currency', 'ccy'], ['amount.amount', 'str'], ['ilpPacket', 'str'],
		['condition', 'str'], ['expiration', 'date']]);
	if (c.err) return [400, errBody(3100, c.err)];
	const b = c.body;
	const path = `/transfers/${b.transferId}`;
	const hash = sha256(raw);
	const old = st.transfers.get(b.transferId);
	if (old) {
		st.stats.duplicates++;
		old.posts++;
		if (old.hash !== hash) {
			old.modified++;
			errorCallback('transfers', path, 3106, 'Modified request: transferId reused with another body', SWITCH_FSP, src);
		} else if (old.state === 'COMMITTED') {
			callback('transfers', path, transferPut(old), PAYEE_FSP, old.payerFsp);
		} else if (old.state === 'ABORTED') {
			errorCallback('transfers', path, old.error[0], old.error[1], SWITCH_FSP, old.payerFsp);
		} else {
			st.stats.duplicates_ignored++; // in flight: its callback will come
		}
		return [202, null];
	}
	const now = Date.now();
	const exp = Date.parse(b.expiration);
	const t = {
		transferId: b.transferId, hash, payerFsp: b.payerFsp, payeeFsp: b.payeeFsp,
		amount: b.amount, expiration: exp, received: now, posts: 1, modified: 0,
		state: 'RECEIVED', transactionId: null, quoteId: null, fulfilment: null, completed: 0,
		error: null, body: raw,
	};
	st.transfers.set(b.transferId, t);
	st.order.push(b.transferId);
	const abort = (code, desc) => {
		t.state = 'ABORTED';
		t.completed = now;
		t.error = [code, desc];
		st.stats.aborted_total++;
		errorCallback('transfers', path, code, desc, code === 3100 ? SWITCH_FSP : PAYEE_FSP, src);
		return [202, null];
	};
	// the switch's own checks (central-ledger prepare validation)
	if (b.payerFsp !== src) return abort(3100, 'payerFsp: not the FSPIOP-Source');
	if (b.payeeFsp !== req.headers['fspiop-destination']) return abort(3100, 'payeeFsp: not the FSPIOP-Destination');
	if (exp <= now) return abort(3100, 'expiration: already past');
	// the simulated payee's checks
	const q = st.byPacket.get(b.ilpPacket);
	if (!q) return abort(3205, 'Quote ID not found: no quote made this ilpPacket');
	t.transactionId = q.transactionId;
	t.quoteId = q.quoteId;
	if (b.condition !== q.condition) return abort(3100, 'condition: does not match the ilpPacket');
	const amt = minor(b.amount.amount, b.amount.currency);
	if (amt !== q.amount || b.amount.currency !== q.currency) return abort(3100, 'amount: not the quote\'s transferAmount');
	t.state = 'RESERVED';
	if (st.faults.expire_transfers > 0) {
		st.faults.expire_transfers--;
		log('transfer held until it expires', b.transferId);
		later(Math.max(0, exp - now), () => expire(t));
		return [202, null];
	}
	t.state = 'COMMITTED';
	t.completed = now;
	t.fulfilment = q.fulfilment;
	st.stats.committed[q.transactionId] = (st.stats.committed[q.transactionId] || 0) + 1;
	st.stats.committed_total++;
	const put = transferPut(t);
	if (st.faults.bad_fulfilment > 0) {
		// a callback whose fulfilment does not hash to the condition; a GET
		// gets the right one
		st.faults.bad_fulfilment--;
		put.fulfilment = b64url(crypto.createHash('sha256').update('not the fulfilment ' + t.transferId).digest());
	}
	callback('transfers', path, put, PAYEE_FSP, src);
	return [202, null];
}

function getTransfer(req, id) {
	const src = req.headers['fspiop-source'];
	const path = `/transfers/${id}`;
	const t = st.transfers.get(id);
	// the switch answers only the transfer's own parties
	if (!t || (src !== t.payerFsp && src !== t.payeeFsp)) {
		errorCallback('transfers', path, 3208, 'Transfer ID not found', SWITCH_FSP, src);
	} else {
		callback('transfers', path, transferPut(t), SWITCH_FSP, src);
	}
	return [202, null];
}

// ---- control ----
function control(method, path, raw) {
	if (method === 'GET' && path === '/sim/stats') return [200, st.stats];
	if (method === 'GET' && path === '/sim/transfers') {
		return [200, st.order.map((id) => {
			const t = st.transfers.get(id);
			return {
				transferId: t.transferId, transactionId: t.transactionId, quoteId: t.quoteId,
				state: t.state, posts: t.posts, modified: t.modified,
				received: isoDate(t.received), expiration: isoDate(t.expiration),
				completed: t.completed ? isoDate(t.completed) : null,
				errorCode: t.error ? String(t.error[0]) : null,
				amount: t.amount, body: t.body,
			};
		})];
	}
	if (method === 'POST' && path === '/sim/reset') {
		for (const t of st.timers) clearTimeout(t);
		reset();
		return [200, { reset: true }];
	}
	if (method === 'POST' && path === '/sim/faults') {
		let f;
		try {
			f = JSON.parse(raw || '{}');
		} catch (e) {
			return [400, { error: `body: not JSON (${e.message})` }];
		}
		if (f === null || typeof f !== 'object' || Array.isArray(f)) return [400, { error: '$: an object expected' }];
		const next = JSON.parse(JSON.stringify(st.faults));
		for (const [k, v] of Object.entries(f)) {
			if (['drop', 'lose', 'lose_posts', 'delay_ms', 'delay_count'].includes(k)) {
				if (v === null || typeof v !== 'object' || Array.isArray(v)) return [400, { error: `$.${k}: an object expected` }];
				for (const [r, n] of Object.entries(v)) {
					if (!RES.includes(r)) return [400, { error: `$.${k}.${r}: not one of ${RES.join(', ')}` }];
					if (!Number.isInteger(n) || n < (k === 'delay_count' ? -1 : 0)) return [400, { error: `$.${k}.${r}: a whole number expected` }];
					next[k][r] = n;
				}
			} else if (k === 'expire_transfers' || k === 'bad_fulfilment') {
				if (!Number.isInteger(v) || v < 0) return [400, { error: `$.${k}: a whole number expected` }];
				next[k] = v;
			} else if (k === 'down') {
				if (typeof v !== 'boolean') return [400, { error: `$.${k}: true or false expected` }];
				next[k] = v;
			} else {
				return [400, { error: `$.${k}: unknown fault` }];
			}
		}
		// a new delay without a count: for every callback until reset
		if (f.delay_ms && !f.delay_count)
			for (const r of Object.keys(f.delay_ms)) next.delay_count[r] = -1;
		st.faults = next;
		log('faults', JSON.stringify(st.faults));
		return [200, st.faults];
	}
	return [404, { error: `no control route ${method} ${path}` }];
}

// ---- the server ----
let idleTimer = null;
function touch() {
	if (idleTimer) clearTimeout(idleTimer);
	if (opt.idle > 0) idleTimer = setTimeout(() => process.exit(0), opt.idle * 1000);
}

function route(req, raw) {
	const url = req.url.split('?')[0];
	let m;
	if (url.startsWith('/sim/')) return control(req.method, url, raw);
	let key, res, handler, needDest;
	if (req.method === 'GET' && (m = /^\/parties\/([^/]+)\/([^/]+)$/.exec(url))) {
		key = 'GET /parties'; res = 'parties'; needDest = false;
		handler = () => getParty(req, decodeURIComponent(m[1]), decodeURIComponent(m[2]));
	} else if (req.method === 'POST' && url === '/quotes') {
		key = 'POST /quotes'; res = 'quotes'; needDest = true;
		handler = () => postQuote(req, raw);
	} else if (req.method === 'POST' && url === '/transfers') {
		key = 'POST /transfers'; res = 'transfers'; needDest = true;
		handler = () => postTransfer(req, raw);
	} else if (req.method === 'GET' && (m = /^\/transfers\/([^/]+)$/.exec(url))) {
		key = 'GET /transfers'; res = 'transfers'; needDest = false;
		handler = () => getTransfer(req, decodeURIComponent(m[1]));
	} else {
		return [404, errBody(3002, `Unknown URI: ${req.method} ${url}`)];
	}
	st.stats.requests[key] = (st.stats.requests[key] || 0) + 1;
	if (st.faults.down) {
		st.stats.refused_down++;
		countError(2003);
		return [503, errBody(2003, 'Service currently unavailable')];
	}
	// lose_posts: POSTs only, so that the GETs asking after them pass
	const lose = req.method === 'POST' && st.faults.lose_posts[res] > 0 ? 'lose_posts'
		: st.faults.lose[res] > 0 ? 'lose' : null;
	if (lose) {
		st.faults[lose][res]--;
		st.stats.lost++;
		let id = url.split('/').pop();
		try {
			const b = JSON.parse(raw);
			id = b.transferId || b.quoteId || id;
		} catch (e) { /* GET: the id is in the path */ }
		st.stats.lost_ids.push(id);
		st.stats.lost_bodies.push(raw); // byte for byte, to compare a resend with
		log('request lost', key, id);
		return null; // no answer: the client gives up by itself
	}
	const bad = checkHeaders(req, res, needDest);
	if (bad) {
		countError(bad[1]);
		return [bad[0], errBody(bad[1], bad[2])];
	}
	const out = handler();
	if (out[0] >= 400 && out[1] && out[1].errorInformation) countError(out[1].errorInformation.errorCode);
	return out;
}

const server = http.createServer((req, res) => {
	touch();
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const raw = Buffer.concat(chunks).toString('utf8');
		let out;
		try {
			out = route(req, raw);
		} catch (e) {
			process.stderr.write(`switch_sim: ${req.method} ${req.url}: ${e.stack}\n`);
			out = [500, errBody(2001, 'Internal server error')];
		}
		if (out === null) {
			// Swallowed: the connection stays open without an answer (a
			// closed one would make an HTTP client retry at once) until the
			// client closes it, or a minute passes.
			const t = setTimeout(() => req.socket.destroy(), 60000);
			req.socket.on('close', () => clearTimeout(t));
			return;
		}
		const [status, body] = out;
		log(req.method, req.url, '->', status, body && body.errorInformation ? JSON.stringify(body) : '');
		if (body === null) {
			res.writeHead(status, { 'Content-Length': 0 });
			res.end();
		} else {
			const data = JSON.stringify(body);
			res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
			res.end(data);
		}
	});
});
server.keepAliveTimeout = 30000;
server.on('error', (e) => {
	process.stderr.write(`switch_sim: listen on 127.0.0.1:${opt.port}: ${e.message}\n`);
	process.exit(1);
});
server.listen(opt.port, '127.0.0.1', () => {
	process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
	touch();
});
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
