'use strict';
// smpp_rtp.test.js -- request to pay end to end over SMPP, against the
// simulated operator (smpp_sim.js): a merchant registered over USSD asks
// a customer (enrolled over the API, activated over USSD) for TZS 5,000
// from My business; the gateway pushes the prompt to the customer's phone
// as submit_sm op 2 with no correlation TLV; the operator answers with a
// deliver_sm op 18 carrying the PIN under a new its_session_info; the
// payment COMMITS on-us, the final screen is op 17 echoing that
// its_session_info with the end-of-session bit, and both sides get the
// payment's SMS. A second request is refused with 0 (answered with no TLV
// at all: correlated by MSISDN alone), and the merchant gets the SMS of
// the refusal. No PIN reaches the log.

const http = require('http');
const { ok, eq, diag, requireBinary, finish } = require('./lib');
const { Sim, until, startDaemon, sql, freshDir, its, text } = require('./smpp_sim');

const VERBOSE = !!process.env.SMPP_TEST_VERBOSE;
const FAST_PIN = ['ussd.pin_opslimit=1', 'ussd.pin_memlimit_kib=8'];
const M = '255712582946'; // the merchant
const C = '255754111222'; // the customer
const MPIN = '4817';
const CPIN = '5927';

// One USSD step from msisdn: a deliver_sm, then the reply submit_sm to it.
async function step(sim, msisdn, op, short_message, tlv = {}) {
	const since = sim.pdus.length;
	const resp = await sim.deliver(Object.assign({ source_addr: msisdn, short_message,
		ussd_service_op: op }, tlv));
	eq(resp.command_status, 0, `deliver_sm_resp 0 for ${op === 18 ? '(answer)' : short_message}`);
	const mine = () => sim.received('submit_sm', since)
		.find((p) => p.destination_addr === msisdn && p.ussd_service_op !== undefined);
	await until(mine, 10000, 'the reply to ' + msisdn);
	const p = mine();
	if (VERBOSE)
		diag(`[${msisdn}] op=${p.ussd_service_op}\n${text(p)}`);
	return p;
}

// A dialogue under its_session_info session number n: BEGIN then answers.
async function dialogue(sim, msisdn, n, answers) {
	let seq = 0;
	const tlv = () => ({ its_session_info: Buffer.from([n, (seq++ & 0x7f) << 1]) });
	let p = await step(sim, msisdn, 1, '*384#', tlv());
	for (const a of answers)
		p = await step(sim, msisdn, 18, a, tlv());
	return p;
}

function api(port, key, method, path, body, headers = {}) {
	return new Promise((resolve, reject) => {
		const data = body ? JSON.stringify(body) : null;
		const req = http.request({ host: '127.0.0.1', port, path, method, headers: Object.assign({
			Authorization: `Bearer ${key}`,
		}, data ? { 'Content-Type': 'application/json' } : {}, headers) }, (res) => {
			let b = '';
			res.on('data', (d) => { b += d; });
			res.on('end', () => resolve({ status: res.statusCode, body: b }));
		});
		req.on('error', reject);
		if (data)
			req.write(data);
		req.end();
	});
}

const plainSms = (to, since, sim) => sim.received('submit_sm', since)
	.filter((p) => p.destination_addr === to && p.ussd_service_op === undefined);

async function scenario(sim, d, dir) {
	const admin = (d.log().match(/^demo-dfsp dfsp-admin key \(shown once\): (\S+)$/m) || [])[1];
	const port = Number((d.log().match(/msg="listening" .*port=(\d+)/) || [])[1]);
	ok(admin && port, 'the daemon prints the demo DFSP key and listens');

	// The merchant registers; the customer is enrolled and activates.
	let p = await dialogue(sim, M, 0x21, ['1', 'MAMA JUMA SHOP', '5', '1', '19900101123450000112',
		'ARUSHA', MPIN, MPIN, '1']);
	ok(/Your till number is \d{7}\./.test(text(p)), 'the merchant is registered', () => text(p));
	const e = await api(port, admin, 'POST', '/v1/customers', { msisdn: '+' + C, name: 'Amina Said',
		account_ref: 'A-77', tier: 'C2' }, { 'Idempotency-Key': 'enrol-1' });
	eq(e.status, 201, 'the DFSP enrols the customer', e.body);
	const code = (e.body.match(/"activation_code":"(\d{8})"/) || [])[1];
	p = await dialogue(sim, C, 0x22, ['1', code, CPIN, CPIN]);
	ok(/Your account is active/.test(text(p)), 'the customer activates', () => text(p));

	// 1. The merchant asks TZS 5,000 from My business.
	let since = sim.pdus.length;
	p = await dialogue(sim, M, 0x23, ['1', MPIN, '7', '0754111222', '5000', '1']);
	const ref = (text(p).match(/Sent, ref (R[0-9a-f]{24})\./) || [])[1];
	ok(ref, 'My business: "Sent, ref R..."', () => JSON.stringify(p));
	eq(p.ussd_service_op, 17, 'the merchant\'s last screen is op 17');
	const pushed = () => sim.received('submit_sm', since)
		.find((x) => x.destination_addr === C && x.ussd_service_op !== undefined);
	await until(pushed, 10000, 'the push to the customer');
	const push = pushed();
	eq(push.ussd_service_op, 2, 'the push is submit_sm op 2 (USSR request)');
	eq(text(push), 'MAMA JUMA SHOP asks TZS 5,000.00. Enter PIN to pay, 0 to refuse:',
		'the push names the shop and the amount and asks the PIN');
	ok(push.its_session_info === undefined && push.user_message_reference === undefined,
		'the push carries no correlation TLV (the network names the dialogue)');
	eq(push.source_addr, '*384#', 'the push comes from the service code');
	eq(push.service_type, 'USSD', 'service_type USSD');
	eq(sql(dir, `SELECT state || ' ' || payer_dfsp FROM payment_request WHERE id = '${ref}'`),
		'PROMPTED demo-dfsp', 'the request is PROMPTED, the payer hosted at demo-dfsp');

	// The customer's answer: deliver_sm op 18 with the PIN, a new session.
	since = sim.pdus.length;
	const fin = await step(sim, C, 18, CPIN, { its_session_info: Buffer.from([0x51, 0x02]) });
	eq(fin.ussd_service_op, 17, 'the final screen is op 17');
	eq(its(fin), 0x5103, 'it echoes the answer\'s its_session_info with the end-of-session bit');
	const pay = (text(fin).match(/^Paid TZS 5,000\.00 to MAMA JUMA SHOP, ref (P[0-9a-f]{24})\.$/) || [])[1];
	ok(pay, 'the final screen: paid, with the payment\'s reference', () => text(fin));
	eq(sql(dir, `SELECT state || ' ' || on_us || ' ' || amount FROM payment WHERE id = '${pay}'`),
		'COMMITTED 1 500000', 'the payment COMMITTED on-us for 500000 minor units');
	eq(sql(dir, `SELECT state || ' ' || payment_id FROM payment_request WHERE id = '${ref}'`),
		`PAID ${pay}`, 'the request is PAID by that payment');
	await until(() => plainSms(C, since, sim).length && plainSms(M, since, sim).length, 10000, 'both SMS');
	ok(plainSms(C, since, sim).some((x) => text(x).includes(pay) && /^Paid TZS 5,000\.00/.test(text(x))),
		'the customer\'s SMS: paid, with the reference', () => plainSms(C, since, sim).map(text));
	ok(plainSms(M, since, sim).some((x) => text(x).includes(pay) && /^Received TZS 5,000\.00/.test(text(x))),
		'the merchant\'s SMS: received, with the reference', () => plainSms(M, since, sim).map(text));
	ok(/msg="pushed dialogue answered" key=push:255754111222 new_key=smpp:255754111222:81 /.test(d.log()),
		'the answer continued the pushed dialogue under the network\'s key');

	// 2. A second request, refused with 0, answered with no TLV at all.
	since = sim.pdus.length;
	p = await dialogue(sim, M, 0x24, ['1', MPIN, '7', '+255754111222', '1,500', '1']);
	const ref2 = (text(p).match(/Sent, ref (R[0-9a-f]{24})\./) || [])[1];
	ok(ref2 && ref2 !== ref, 'a second request, another reference', () => text(p));
	await until(pushed, 10000, 'the second push');
	eq(text(pushed()), 'MAMA JUMA SHOP asks TZS 1,500.00. Enter PIN to pay, 0 to refuse:', 'the second push');
	since = sim.pdus.length;
	const no = await step(sim, C, 18, '0');
	eq(no.ussd_service_op, 17, 'the refusal ends the dialogue (op 17)');
	eq(text(no), 'You refused to pay TZS 1,500.00 to MAMA JUMA SHOP.', 'the refusal screen');
	eq(sql(dir, `SELECT state || ' ' || fail_code || ' ' || (payment_id IS NULL) FROM payment_request WHERE id = '${ref2}'`),
		'REFUSED refused 1', 'the request is REFUSED, no payment');
	await until(() => plainSms(M, since, sim).length, 10000, 'the merchant\'s SMS');
	ok(plainSms(M, since, sim).some((x) => /refused by the customer/.test(text(x)) && text(x).includes(ref2)),
		'the merchant is told by SMS', () => plainSms(M, since, sim).map(text));
	eq(sql(dir, 'SELECT count(*) FROM payment'), '1', 'one payment in all');

	const g = await api(port, admin, 'GET', `/v1/payment-requests/${ref}`);
	ok(g.status === 200 && g.body.includes('"state":"PAID"') && g.body.includes(`"payment_id":"${pay}"`),
		'GET /v1/payment-requests/{id} shows it PAID with the payment', g.body);
	ok(!new RegExp(`input=(${CPIN}|${MPIN})|${CPIN}`).test(d.log()), 'no PIN in the log');
}

async function main() {
	requireBinary();
	const sim = new Sim();
	await sim.listen();
	const dir = freshDir('rtp');
	const d = await startDaemon(sim.port, dir, FAST_PIN);
	try {
		await until(() => sim.session, 15000, 'bound');
		await scenario(sim, d, dir);
	} catch (e) {
		ok(false, 'request to pay over SMPP', e.stack + '\n' + d.log());
	}
	const r = await d.stop();
	eq(r.code, 0, 'the daemon exits 0');
	if (VERBOSE)
		diag(d.log());
	await sim.close();
	finish();
}

main();
