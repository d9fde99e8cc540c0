'use strict';
// smpp_pay.test.js -- a payment dialogue over SMPP whose last screen is
// answered later, against the simulated operator (smpp_sim.js): the
// daemon's switch is a closed loopback port, so a payment sent online
// (the link not known yet) comes back to the queue and the final screen,
// "Accepted, ref X: ...", leaves as a submit_sm after the PIN's
// deliver_sm was acknowledged, on the same dialogue: op 17, its
// its_session_info echoed with the end-of-session bit. The merchant and
// the customer are set up through POST /ussd and the admin API.

const http = require('http');
const net = require('net');
const { ok, eq, requireBinary, finish } = require('./lib');
const { Sim, until, startDaemon, sql, freshDir, its, text } = require('./smpp_sim');

const FAST_PIN = ['ussd.pin_opslimit=1', 'ussd.pin_memlimit_kib=8'];
const OWNER = '+255712582946';
const CUST = '255700000041';

function request(port, method, p, { key, body, form, idem } = {}) {
	return new Promise((resolve, reject) => {
		const headers = {};
		if (key)
			headers.Authorization = `Bearer ${key}`;
		if (idem)
			headers['Idempotency-Key'] = idem;
		let data = '';
		if (form) {
			data = new URLSearchParams(form).toString();
			headers['Content-Type'] = 'application/x-www-form-urlencoded';
		} else if (body) {
			data = JSON.stringify(body);
			headers['Content-Type'] = 'application/json';
		}
		const req = http.request({ host: '127.0.0.1', port, path: p, method, headers }, (res) => {
			let b = '';
			res.on('data', (d) => { b += d; });
			res.on('end', () => resolve({ status: res.statusCode, body: b }));
		});
		req.on('error', reject);
		req.end(data);
	});
}

// A whole dialogue over POST /ussd (answers joined by '*'); the last reply.
async function ussd(port, sid, phone, answers) {
	let r = await request(port, 'POST', '/ussd',
		{ form: { sessionId: sid, serviceCode: '*384#', phoneNumber: phone, text: '' } });
	for (let i = 1; i <= answers.length; i++)
		r = await request(port, 'POST', '/ussd', { form: { sessionId: sid, serviceCode: '*384#',
			phoneNumber: phone, text: answers.slice(0, i).join('*') } });
	return r;
}

// A loopback port nobody listens on.
function closedPort() {
	return new Promise((resolve) => {
		const s = net.createServer().listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
	});
}

async function main() {
	requireBinary();
	const sim = new Sim();
	await sim.listen();
	const sw = await closedPort();
	const dir = freshDir('pay');
	const d = await startDaemon(sim.port, dir, FAST_PIN.concat([
		`switch.endpoint=http://127.0.0.1:${sw}`, `switch.callback_base=http://127.0.0.1:${sw}`,
		// no registrations at the account lookup: the first payment finds the link
		'switch.register_parties=false']));
	try {
		await until(() => sim.session, 15000, 'bound');
		const hub = (d.log().match(/^hub-admin key \(shown once\): (\S+)$/m) || [])[1];
		const port = Number((d.log().match(/msg="listening" .*port=(\d+)/) || [])[1]);
		ok(hub && port, 'the daemon prints the hub-admin key and listens');

		// a merchant of the first DFSP, a customer of bank-b
		let r = await ussd(port, 'r1', OWNER,
			['1', 'MAMA JUMA SHOP', '5', '1', '19900101123450000112', 'ARUSHA', '4817', '4817', '1']);
		const till = (r.body.match(/till number is (\d+)\./) || [])[1];
		ok(till, 'the merchant registers over POST /ussd', r.body);
		r = await request(port, 'POST', '/v1/dfsps', { key: hub, body: { fsp_id: 'bank-b', name: 'Bank B' } });
		eq(r.status, 201, 'bank-b is made');
		r = await request(port, 'POST', '/v1/dfsps/bank-b/api-keys',
			{ key: hub, idem: 'kb', body: { role: 'dfsp-admin', user: 'b' } });
		const bkey = (r.body.match(/"key":"([^"]+)"/) || [])[1];
		ok(r.status === 201 && bkey, 'bank-b gets a key', r.body);
		r = await request(port, 'POST', '/v1/customers', { key: bkey, idem: 'c1',
			body: { msisdn: `+${CUST}`, name: 'Asha', account_ref: 'ACC-41', tier: 'C0' } });
		const code = (r.body.match(/"activation_code":"(\d{8})"/) || [])[1];
		ok(r.status === 201 && code, 'bank-b enrols the customer', r.body);
		r = await ussd(port, 'a1', `+${CUST}`, ['1', code, '5927', '5927']);
		ok(/^END Your account is active/.test(r.body), 'the customer activates', r.body);

		// the payment over SMPP: the PIN's answer comes later
		const sess = 0x51;
		let seq = 0;
		const tlv = () => ({ its_session_info: Buffer.from([sess, (seq++ & 0x7f) << 1]) });
		const mine = (since) => sim.received('submit_sm', since)
			.filter((p) => p.destination_addr === CUST && p.ussd_service_op !== undefined);
		let since = sim.pdus.length;
		let resp = await sim.deliver(Object.assign({ source_addr: CUST, short_message: `*384*${till}*5000#`,
			ussd_service_op: 1, data_coding: 15 }, tlv()));
		eq(resp.command_status, 0, 'the dial is acknowledged');
		await until(() => mine(since).length, 10000, 'the PIN screen');
		let sub = mine(since)[0];
		ok(sub.ussd_service_op === 2 && /Enter PIN:$/.test(text(sub)), 'the PIN screen asks (op 2)', text(sub));
		since = sim.pdus.length;
		resp = await sim.deliver(Object.assign({ source_addr: CUST, short_message: '5927',
			ussd_service_op: 18, data_coding: 15 }, tlv()));
		eq(resp.command_status, 0, 'the PIN is acknowledged before its answer is known');
		await until(() => mine(since).length, 15000, 'the answer given later');
		const subs = mine(since);
		eq(subs.length, 1, 'one final screen for the PIN');
		sub = subs[0];
		ok(/^Accepted, ref P[0-9a-f]{24}: it will be sent when the network is back, you will get an SMS\.$/
			.test(text(sub)), 'the switch unreachable: Accepted, sent after the deferral', text(sub));
		eq(sub.ussd_service_op, 17, '... as the final screen (op 17)');
		const v = its(sub);
		ok(v !== null && v >> 8 === sess && (v & 1) === 1,
			'... on the same dialogue, its_session_info echoed with the end-of-session bit',
			() => `its_session_info ${v === null ? 'none' : v.toString(16)}`);
		eq(sub.source_addr, '*384#', '... from the service code');
		ok(/msg="answer given later" key=smpp:255700000041:81 /.test(d.log()),
			'the daemon logged the deferred answer under the dialogue key', () => d.log().slice(-3000));
		const ref = (text(sub).match(/ref (P[0-9a-f]{24})/) || [])[1];
		const row = sql(dir, `SELECT state, channel FROM payment WHERE id = '${ref}'`);
		ok(row === 'QUEUED|ussd' || row === 'SENDING|ussd', 'the payment waits in the queue', row);
		// (random ids and times left out of the search)
		const plain = d.log().replace(/\b(ts|key|id|payment|transfer|quote|transaction|ref)=\S+/g, '');
		ok(!/5927/.test(plain), 'no PIN in the log');
	} catch (e) {
		ok(false, 'scenario', e.stack + '\n' + d.log());
	}
	const x = await d.stop();
	eq(x.code, 0, 'the daemon exits 0');
	await sim.close();
	finish();
}

main();
