'use strict';
// ussd_smpp.js -- USSD load through SMPP (a benchmark, not a test).
//
//   node ussd_smpp.js gateway TILLGATE [SECONDS]   the daemon, its menus
//   node ussd_smpp.js echo ECHO_ESME [SECONDS]     the trivial C ESME
//
// Plays the operator (node-smpp server on 127.0.0.1, ephemeral port),
// starts the ESME against it, and at 10, 100 and 1,000 concurrent
// dialogues has each dialogue loop: deliver_sm op 1 "*384#" (BEGIN),
// wait for the submit_sm back, deliver_sm op 18 "1" (CONTINUE), wait,
// and again. A step is one deliver_sm and the submit_sm it brings; its
// latency is from writing the deliver_sm to reading that submit_sm.
// Prints steps/s and p50/p99 per level; for the gateway, also the RSS
// (VmRSS) idle and with 10,000 dialogues open. Asserts nothing about
// time; exits non-zero only if something failed.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const smpp = require('smpp');

const [mode, bin, secsArg] = process.argv.slice(2);
const SECS = Number(secsArg || 5);
if (!['gateway', 'echo'].includes(mode) || !bin) {
	console.error('usage: node ussd_smpp.js gateway|echo BINARY [SECONDS]');
	process.exit(2);
}

let session = null;
const waiting = new Map(); // dest msisdn -> resolve(submit_sm)

const server = smpp.createServer((s) => {
	s.on('error', () => {});
	// an SMSC sends small PDUs too: no Nagle delay on its side either
	s.socket.setNoDelay(true);
	s.on('bind_transceiver', (pdu) => {
		s.send(pdu.response({ system_id: 'BENCH' }));
		session = s;
	});
	s.on('submit_sm', (pdu) => {
		s.send(pdu.response({ message_id: 'x' }));
		const w = waiting.get(pdu.destination_addr);
		if (w) {
			waiting.delete(pdu.destination_addr);
			w(pdu);
		}
	});
	s.on('enquire_link', (pdu) => s.send(pdu.response()));
	s.on('unbind', (pdu) => { s.send(pdu.response()); s.close(); });
});

function step(msisdn, sid, op, text) {
	return new Promise((resolve) => {
		const t0 = process.hrtime.bigint();
		waiting.set(msisdn, () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
		session.send(new smpp.PDU('deliver_sm', {
			service_type: 'USSD', source_addr_ton: 1, source_addr_npi: 1, source_addr: msisdn,
			destination_addr: '*384#', data_coding: 15, short_message: text,
			ussd_service_op: op, its_session_info: Buffer.from([sid & 0xff, 0]),
		}));
	});
}

function pct(sorted, p) {
	return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
}

async function level(conc) {
	const lat = [];
	const stopAt = Date.now() + SECS * 1000;
	const t0 = process.hrtime.bigint();
	await Promise.all(Array.from({ length: conc }, async (_, i) => {
		const msisdn = String(255700000000 + i);
		for (let k = 0; Date.now() < stopAt; k++) {
			lat.push(await step(msisdn, i, k % 2 ? 18 : 1, k % 2 ? '1' : '*384#'));
		}
	}));
	const secs = Number(process.hrtime.bigint() - t0) / 1e9;
	lat.sort((a, b) => a - b);
	return { conc, steps: lat.length, rate: lat.length / secs, p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

function rss(pid) {
	const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
	return m ? Number(m[1]) : NaN;
}

async function main() {
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	const port = server.address().port;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tillgate-bench-ussd-'));
	const args = mode === 'gateway'
		? ['serve', '--set', `gateway.data_dir=${dir}`, '--set', 'gateway.listen=127.0.0.1:0',
			'--set', 'gateway.log_level=warn', '--set', 'smpp.enabled=true',
			'--set', `smpp.port=${port}`, '--set', 'smpp.window=1000',
			'--set', 'ussd.max_sessions=20000']
		: ['127.0.0.1', String(port)];
	const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
	let failed = false;
	try {
		const t = Date.now();
		while (!session) {
			if (Date.now() - t > 15000 || child.exitCode !== null)
				throw new Error('the ESME did not bind');
			await new Promise((r) => setTimeout(r, 20));
		}
		await level(10).then(() => {}); // warm-up
		for (const c of [10, 100, 1000]) {
			const r = await level(c);
			console.log(`${mode.padEnd(8)} ${String(c).padStart(5)} concurrent  ${r.rate.toFixed(0).padStart(7)} steps/s  ` +
				`p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  (${r.steps} steps)`);
		}
		if (mode === 'gateway') {
			const idle = rss(child.pid);
			const N = 10000, B = 1000;
			for (let b = 0; b < N; b += B)
				await Promise.all(Array.from({ length: B }, (_, i) =>
					step(String(255710000000 + b + i), (b + i) & 0xff, 1, '*384#')));
			console.log(`gateway  RSS ${(idle / 1024).toFixed(1)} MiB after the runs; ` +
				`${(rss(child.pid) / 1024).toFixed(1)} MiB with ${N} more dialogues open ` +
				`(${(((rss(child.pid) - idle) * 1024) / N).toFixed(0)} bytes each)`);
		}
	} catch (e) {
		console.error('bench: ' + e.message);
		failed = true;
	}
	child.kill('SIGTERM');
	await new Promise((r) => child.exitCode !== null ? r() : child.on('exit', r));
	fs.rmSync(dir, { recursive: true, force: true });
	server.close();
	process.exit(failed ? 1 : 0);
}

main();
