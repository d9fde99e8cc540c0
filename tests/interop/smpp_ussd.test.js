'use strict';
// smpp_ussd.test.js -- USSD dialogues end to end through the daemon's SMPP
// link, against the simulated operator: the main menu (op 2), a
// language change, a final screen (op 17 with the end-of-session bit and
// the session number echoed), an abort mid-flow, the idle timeout, each session_key mode,
// and a link drop mid-dialogue followed by the reconnect. Every
// deliver_sm must get a deliver_sm_resp with status 0, and every reply
// must carry the right ussd_service_op.

const { ok, eq, diag, requireBinary, finish } = require('./lib');
const { Sim, until, sleep, startDaemon, freshDir, its, text } = require('./smpp_sim');

const MSISDN = '255712345001';

// One step: sends a deliver_sm and waits for the daemon's submit_sm to
// dest. Returns { resp, sub } (sub null when none is expected).
async function step(sim, fields, expectReply = true) {
	const since = sim.pdus.length;
	const resp = await sim.deliver(fields);
	let sub = null;
	if (expectReply) {
		await until(() => sim.received('submit_sm', since)
			.find((p) => p.destination_addr === fields.source_addr), 10000, 'a reply');
		sub = sim.received('submit_sm', since).find((p) => p.destination_addr === fields.source_addr);
	}
	return { resp, sub };
}

async function withDaemon(sim, name, sets, fn) {
	const d = await startDaemon(sim.port, freshDir(name), sets);
	try {
		await until(() => sim.session, 15000, 'bound');
		await fn(d);
	} catch (e) {
		ok(false, `${name}: scenario`, e.stack + '\n' + d.log());
	}
	const r = await d.stop();
	eq(r.code, 0, `${name}: the daemon exits 0`);
	return d;
}

async function main() {
	requireBinary();
	const sim = new Sim();
	await sim.listen();

	// its_session_info mode (the default)
	await withDaemon(sim, 'its', ['ussd.idle_timeout_s=1'], async (d) => {
		let r = await step(sim, { source_addr: MSISDN, short_message: '*384#', ussd_service_op: 1,
			its_session_info: Buffer.from([0x21, 0x00]) });
		eq(r.resp.command_status, 0, 'BEGIN: deliver_sm_resp status 0');
		eq(r.sub.ussd_service_op, 2, 'main menu: submit_sm op 2 (asks for input)');
		ok(/Tillgate/.test(text(r.sub)) && /Language/.test(text(r.sub)),
			'main menu: title and the Language entry', () => JSON.stringify(text(r.sub)));
		eq(its(r.sub) >> 8, 0x21, 'its_session_info session number echoed');
		eq(its(r.sub) & 1, 0, 'no end-of-session bit while asking');
		eq(r.sub.source_addr, '*384#', 'reply comes from the service code');
		ok(r.sub.data_coding === 15 || r.sub.data_coding === 8, 'data_coding 15 (or 8 if needed)',
			String(r.sub.data_coding));
		ok(!r.sub.registered_delivery, 'no delivery receipt asked for USSD');
		const lang = text(r.sub).match(/(\d+)\.? *Language/);
		ok(lang, 'the Language entry has a number', () => text(r.sub));
		// the deliver_sm_resp goes before the reply on the wire
		const idxResp = sim.pdus.findIndex((x) => x.pdu.command === 'deliver_sm_resp' &&
			x.pdu.sequence_number === r.resp.sequence_number);
		const idxSub = sim.pdus.findIndex((x) => x.pdu === r.sub);
		ok(idxResp >= 0 && idxResp < idxSub, 'deliver_sm_resp arrives before the reply',
			() => `${idxResp} ${idxSub}`);

		r = await step(sim, { source_addr: MSISDN, short_message: lang ? lang[1] : '3',
			ussd_service_op: 18, its_session_info: Buffer.from([0x21, 0x02]) });
		eq(r.sub.ussd_service_op, 2, 'language menu: op 2');
		ok(/English/.test(text(r.sub)), 'language menu lists English', () => text(r.sub));
		const sw = text(r.sub).match(/(\d+)\.? *Kiswahili/);
		ok(sw, 'language menu lists Kiswahili', () => text(r.sub));
		r = await step(sim, { source_addr: MSISDN, short_message: sw ? sw[1] : '2',
			ussd_service_op: 18, its_session_info: Buffer.from([0x21, 0x04]) });
		ok(/Kiswahili|Lugha/.test(text(r.sub)), 'the language is saved and shown',
			() => text(r.sub));
		eq(its(r.sub) >> 8, 0x21, 'session number echoed on every reply');

		// abort mid-flow: no reply; a later answer finds no session
		r = await step(sim, { source_addr: MSISDN, short_message: '*384#', ussd_service_op: 1,
			its_session_info: Buffer.from([0x22, 0x00]) });
		eq(r.sub.ussd_service_op, 2, 'second dialogue opens');
		const before = sim.received('submit_sm').length;
		r = await step(sim, { source_addr: MSISDN, short_message: '', ussd_service_op: 0x81,
			its_session_info: Buffer.from([0x22, 0x03]) }, false);
		eq(r.resp.command_status, 0, 'abort: deliver_sm_resp status 0');
		await sleep(300);
		eq(sim.received('submit_sm').length, before, 'abort: nothing sent back');
		ok(/dialogue ended by the network/.test(d.log()), 'abort logged');
		r = await step(sim, { source_addr: MSISDN, short_message: '1', ussd_service_op: 18,
			its_session_info: Buffer.from([0x22, 0x04]) });
		eq(r.sub.ussd_service_op, 17, 'an answer after the abort gets a final screen: op 17');
		ok(/expired|umekwisha/i.test(text(r.sub)), 'saying the session expired (in Swahili now)',
			() => text(r.sub));
		eq(its(r.sub) >> 8, 0x22, 'final: session number echoed');
		eq(its(r.sub) & 1, 1, 'final: end-of-session bit set');

		// end-of-session bit from the network frees the dialogue too
		r = await step(sim, { source_addr: MSISDN, short_message: '*384#', ussd_service_op: 1,
			its_session_info: Buffer.from([0x23, 0x00]) });
		const b2 = sim.received('submit_sm').length;
		r = await step(sim, { source_addr: MSISDN, short_message: '', ussd_service_op: 18,
			its_session_info: Buffer.from([0x23, 0x01]) }, false);
		eq(r.resp.command_status, 0, 'EOS bit: deliver_sm_resp status 0');
		await sleep(300);
		eq(sim.received('submit_sm').length, b2, 'EOS bit: nothing sent back');

		// idle timeout (1 s here): the next answer finds the session gone
		r = await step(sim, { source_addr: MSISDN, short_message: '*384#', ussd_service_op: 1,
			its_session_info: Buffer.from([0x24, 0x00]) });
		eq(r.sub.ussd_service_op, 2, 'third dialogue opens');
		await sleep(2500);
		r = await step(sim, { source_addr: MSISDN, short_message: '1', ussd_service_op: 18,
			its_session_info: Buffer.from([0x24, 0x02]) });
		eq(r.sub.ussd_service_op, 17, 'after the idle timeout: final screen');
		ok(/expired|umekwisha/i.test(text(r.sub)), 'saying the session expired', () => text(r.sub));

		// two dialogues keyed apart by session number from one MSISDN are
		// distinct keys; op 0 (phase 1) opens one too
		r = await step(sim, { source_addr: '255712345002', short_message: '*384#', ussd_service_op: 0,
			its_session_info: Buffer.from([0x30, 0x00]) });
		eq(r.sub.ussd_service_op, 2, 'op 0 (PSSD) opens a dialogue');
		ok(/smpp:255712345002:48/.test(d.log()), 'key smpp:MSISDN:N in its_session_info mode',
			() => d.log().split('\n').filter((l) => /key=/.test(l)).slice(-3).join('\n'));

		// a final screen at once (an unknown service code): op 17, or 16 after a PSSD
		r = await step(sim, { source_addr: '255712345004', short_message: '*999#', ussd_service_op: 1,
			its_session_info: Buffer.from([0x40, 0x00]) });
		eq(r.sub.ussd_service_op, 17, 'unknown code after op 1: final screen op 17');
		eq(its(r.sub), 0x4001, 'its_session_info echoed with the end-of-session bit');
		r = await step(sim, { source_addr: '255712345004', short_message: '*999#', ussd_service_op: 0 });
		eq(r.sub.ussd_service_op, 16, 'unknown code after op 0 (PSSD): final screen op 16');
		ok(r.sub.its_session_info === undefined, 'no its_session_info when none came');

		ok(!/"1234"|text="3"/.test(d.log()), 'subscriber answers are not in the traces');
	});

	// a link drop mid-dialogue: the session survives the reconnect. Its own
	// daemon, with the default idle timeout: the reconnect takes a second
	// or more, longer than the 1 s idle timeout of the daemon above.
	await withDaemon(sim, 'drop', [], async (d) => {
		let r;
		r = await step(sim, { source_addr: '255712345003', short_message: '*384#', ussd_service_op: 1,
			its_session_info: Buffer.from([0x31, 0x00]) });
		const lg = text(r.sub).match(/(\d+)\.? *Language/);
		const binds = sim.binds;
		sim.drop();
		await until(() => sim.binds > binds && sim.session, 15000, 'rebind');
		await until(() => /to=BOUND/.test(d.log().split('link down')[1] || ''), 5000, 'bound again');
		r = await step(sim, { source_addr: '255712345003', short_message: lg ? lg[1] : '3',
			ussd_service_op: 18, its_session_info: Buffer.from([0x31, 0x02]) });
		eq(r.sub.ussd_service_op, 2, 'after the reconnect the dialogue goes on (op 2)');
		ok(/English/.test(text(r.sub)), 'at the language menu', () => text(r.sub));
		ok(!/"1234"|text="3"/.test(d.log()), 'drop: subscriber answers are not in the traces');
	});

	// user_message_reference mode
	await withDaemon(sim, 'umr', ['smpp.session_key=user_message_reference'], async (d) => {
		let r = await step(sim, { source_addr: MSISDN, short_message: '*384#', ussd_service_op: 1,
			user_message_reference: 4242 });
		eq(r.sub.ussd_service_op, 2, 'umr mode: menu with op 2');
		eq(r.sub.user_message_reference, 4242, 'umr mode: user_message_reference echoed');
		ok(r.sub.its_session_info === undefined, 'umr mode: no its_session_info invented');
		ok(/key=smpp:255712345001:4242/.test(d.log()), 'umr mode: key smpp:MSISDN:UMR');
		r = await step(sim, { source_addr: MSISDN, short_message: '9', ussd_service_op: 18,
			user_message_reference: 4242 });
		ok(r.sub.ussd_service_op === 2 || r.sub.ussd_service_op === 17, 'umr mode: the dialogue continues');
		ok(!/expired/i.test(text(r.sub)), 'umr mode: same session found', () => text(r.sub));
	});

	// msisdn mode, with no TLV but the op (jasmin #842 shape) and data_coding 0
	await withDaemon(sim, 'msisdn', ['smpp.session_key=msisdn', 'smpp.data_coding=0'], async (d) => {
		let r = await step(sim, { source_addr: MSISDN, short_message: '*384#', ussd_service_op: 1,
			data_coding: 0 });
		eq(r.sub.ussd_service_op, 2, 'msisdn mode: menu with op 2');
		eq(r.sub.data_coding, 0, 'data_coding 0 as configured');
		ok(/key=smpp:255712345001 /.test(d.log()), 'msisdn mode: key smpp:MSISDN');
		// a new BEGIN for the MSISDN replaces the open dialogue
		r = await step(sim, { source_addr: MSISDN, short_message: '*384#', ussd_service_op: 1,
			data_coding: 0 });
		eq(r.sub.ussd_service_op, 2, 'a new BEGIN for the same MSISDN opens a fresh menu');
	});

	await sim.close();
	if (process.env.SMPP_TEST_VERBOSE)
		diag('done');
	finish();
}

main();
