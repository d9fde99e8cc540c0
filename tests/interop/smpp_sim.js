'use strict';
// smpp_sim.js -- a simulated operator (SMSC and USSD gateway) on node-smpp
// for the black-box SMPP tests, plus helpers to run the real daemon
// against it. The simulator listens on 127.0.0.1, an ephemeral port, and
// records every PDU it receives; tests drive it (deliver_sm, raw bytes,
// refusals, throttling, drops) and wait for what the daemon does.

const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const smpp = require('smpp');
const lib = require('./lib');

const ESME_RINVPASWD = 0x0e;
const ESME_RTHROTTLED = 0x58;

class Sim {
	constructor() {
		this.pdus = [];          // every PDU received: { session, pdu }
		this.sessions = [];      // sessions ever opened
		this.session = null;     // the current bound session
		this.refuseBinds = 0;    // refuse this many binds with ESME_RINVPASWD
		this.throttle = 0;       // answer this many submit_sm with ESME_RTHROTTLED
		this.silent = false;     // leave submit_sm unanswered
		this.binds = 0;
		this.msgSeq = 0;
		this.server = smpp.createServer((s) => this._session(s));
	}

	listen() {
		return new Promise((resolve) => {
			this.server.listen(0, '127.0.0.1', () => {
				this.port = this.server.address().port;
				resolve(this.port);
			});
		});
	}

	_session(s) {
		this.sessions.push(s);
		s.on('error', () => {});
		s.socket.setNoDelay(true);
		s.on('pdu', (pdu) => {
			this.pdus.push({ session: s, pdu });
			switch (pdu.command) {
			case 'bind_transceiver':
				this.binds++;
				if (this.refuseBinds > 0) {
					this.refuseBinds--;
					s.send(pdu.response({ command_status: ESME_RINVPASWD }));
					return;
				}
				s.send(pdu.response({ system_id: 'SIM' }));
				this.session = s;
				break;
			case 'submit_sm':
				if (this.silent)
					return;
				if (this.throttle > 0) {
					this.throttle--;
					s.send(pdu.response({ command_status: ESME_RTHROTTLED }));
					return;
				}
				s.send(pdu.response({ message_id: 'm' + (++this.msgSeq) }));
				break;
			case 'enquire_link':
				s.send(pdu.response());
				break;
			case 'unbind':
				s.send(pdu.response());
				s.close();
				break;
			default:
				break;
			}
		});
		s.on('close', () => {
			if (this.session === s)
				this.session = null;
		});
	}

	// PDUs received of a command (optionally since an index).
	received(command, since = 0) {
		return this.pdus.slice(since).filter((x) => x.pdu.command === command).map((x) => x.pdu);
	}

	// Sends a deliver_sm on the bound session; resolves with its response.
	deliver(fields) {
		return new Promise((resolve, reject) => {
			if (!this.session)
				return reject(new Error('no bound session'));
			const pdu = new smpp.PDU('deliver_sm', Object.assign({
				service_type: 'USSD', source_addr_ton: 1, source_addr_npi: 1,
				destination_addr: '*384#', data_coding: 15,
			}, fields));
			this.session.send(pdu, (resp) => resolve(resp));
		});
	}

	// Writes raw bytes on the bound session.
	raw(buf) {
		this.session.socket.write(buf);
	}

	// Drops the connection without an unbind.
	drop() {
		if (this.session)
			this.session.socket.destroy();
		this.session = null;
	}

	close() {
		for (const s of this.sessions)
			try { s.socket.destroy(); } catch (e) { /* closed already */ }
		return new Promise((resolve) => this.server.close(() => resolve()));
	}
}

// Resolves when pred() is true; rejects after ms (a safety net only: the
// tests assert on what happened, never on how long it took).
function until(pred, ms = 15000, what = 'condition') {
	return new Promise((resolve, reject) => {
		const t0 = Date.now();
		const tick = () => {
			let v;
			try { v = pred(); } catch (e) { return reject(e); }
			if (v)
				return resolve(v);
			if (Date.now() - t0 > ms)
				return reject(new Error('timed out waiting for ' + what));
			setTimeout(tick, 20);
		};
		tick();
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Daemons still running when the test process exits (a check threw, or
// a wait gave up) are killed, so that none outlives its test.
const daemons = new Set();
process.on('exit', () => {
	for (const p of daemons)
		try { p.kill('SIGKILL'); } catch (e) { /* gone already */ }
});

// Starts 'tillgate serve' bound to the simulator. sets: extra SECTION.KEY=V.
// Resolves with { proc, log(), stop() } once the daemon is listening.
function startDaemon(port, dataDir, sets = []) {
	const args = ['serve',
		'--set', `gateway.data_dir=${dataDir}`,
		'--set', 'gateway.listen=127.0.0.1:0',
		'--set', 'gateway.log_level=info smpp=debug ussd=debug',
		'--set', 'gateway.shutdown_grace_s=5',
		'--set', 'smpp.enabled=true',
		'--set', 'smpp.host=127.0.0.1',
		'--set', `smpp.port=${port}`,
		'--set', 'smpp.system_id=tillgate',
		'--set', 'smpp.password=s3cretpw',
		'--set', 'smpp.reconnect_min_s=1',
		'--set', 'smpp.reconnect_max_s=2',
		'--set', 'smpp.response_timeout_s=2',
	];
	for (const s of sets)
		args.push('--set', s);
	const proc = spawn(lib.TILLGATE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	daemons.add(proc);
	proc.on('exit', () => daemons.delete(proc));
	let out = '';
	proc.stdout.on('data', (d) => { out += d; });
	proc.stderr.on('data', (d) => { out += d; });
	const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
	const d = {
		proc,
		log: () => out,
		exited,
		stop: async () => {
			if (proc.exitCode === null && proc.signalCode === null)
				proc.kill('SIGTERM');
			const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
			const r = await exited;
			clearTimeout(t);
			return r;
		},
	};
	return until(() => /msg="listening"/.test(out) || proc.exitCode !== null, 15000, 'daemon start')
		.then(() => {
			if (proc.exitCode !== null)
				throw new Error('daemon exited: ' + out);
			return d;
		});
}

// Runs SQL on the daemon's database with the sqlite3 shell.
function sql(dataDir, statement) {
	const r = spawnSync('sqlite3', ['-cmd', '.timeout 5000', path.join(dataDir, 'tillgate.db'), statement],
		{ encoding: 'utf8', timeout: 20000 });
	if (r.status !== 0)
		throw new Error('sqlite3: ' + r.stderr);
	return r.stdout.trim();
}

function freshDir(name) {
	const d = lib.tmpFile(name);
	fs.mkdirSync(d, { recursive: true });
	return d;
}

// A PDU as raw bytes: header + body (Buffer).
function rawPdu(id, status, seq, body = Buffer.alloc(0), length = null) {
	const h = Buffer.alloc(16);
	h.writeUInt32BE(length === null ? 16 + body.length : length, 0);
	h.writeUInt32BE(id >>> 0, 4);
	h.writeUInt32BE(status, 8);
	h.writeUInt32BE(seq, 12);
	return Buffer.concat([h, body]);
}

// Takes the its_session_info Buffer of a PDU as a number (or null).
function its(pdu) {
	return pdu.its_session_info ? pdu.its_session_info.readUInt16BE(0) : null;
}

// The text of a submit_sm by its data_coding (GSM unpacked as the
// daemon sends it decodes as ASCII for the characters the menus use).
function text(pdu) {
	const m = pdu.short_message;
	const b = m && m.message !== undefined ? m.message : m;
	if (typeof b === 'string')
		return b;
	if (Buffer.isBuffer(b))
		return pdu.data_coding === 8 ? Buffer.from(b).swap16().toString('utf16le') : b.toString('latin1');
	return String(b);
}

module.exports = { Sim, until, sleep, startDaemon, sql, freshDir, rawPdu, its, text,
	ESME_RINVPASWD, ESME_RTHROTTLED, net };
