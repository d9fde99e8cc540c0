'use strict';
// smpp_sms.test.js -- SMS from the outbox through the daemon's SMPP link,
// against the simulated operator: a plain submit_sm (no
// ussd_service_op) asking for a delivery receipt, claimed in id order;
// ESME_RTHROTTLED pauses and retries; the SMSC's message_id is recorded
// and a receipt marks the row delivered; a row queued while the link is
// down survives a restart and is sent exactly once; a row whose
// response never came is failed at the next start, not sent again.

const { ok, eq, diag, requireBinary, finish } = require('./lib');
const { Sim, until, sleep, startDaemon, sql, freshDir, text } = require('./smpp_sim');

function queue(dir, dest, body) {
	const esc = body.replace(/'/g, "''");
	return Number(sql(dir, `INSERT INTO outbox (kind, dest, body) VALUES ('sms', '${dest}', '${esc}'); SELECT last_insert_rowid();`));
}

function row(dir, id) {
	const [state, attempts, remote, err] = sql(dir,
		`SELECT state, attempts, ifnull(remote_id, ''), ifnull(last_error, '') FROM outbox WHERE id = ${id}`).split('|');
	return { state, attempts: Number(attempts), remote, err };
}

async function main() {
	requireBinary();
	const sim = new Sim();
	const port = await sim.listen();
	const dir = freshDir('sms');

	// 1. throttled, then sent; message_id recorded; receipt -> delivered
	let d = await startDaemon(port, dir, []);
	try {
		await until(() => sim.session, 15000, 'bound');
		sim.throttle = 1;
		const since = sim.pdus.length;
		const a = queue(dir, '255700000001', 'Your till is 1000017');
		const b = queue(dir, '255700000002', 'Karibu: ç and € go as UCS-2');
		await until(() => row(dir, a).state === 'sent' && row(dir, b).state === 'sent', 15000, 'sent');
		const subs = sim.received('submit_sm', since);
		eq(subs.length, 3, 'three submit_sm: one throttled, then both rows');
		eq(subs.map((p) => p.destination_addr), ['255700000001', '255700000002', '255700000001'],
			'claimed in id order; the throttled one is sent again after the pause');
		ok(subs.every((p) => p.ussd_service_op === undefined), 'SMS carry no ussd_service_op');
		ok(subs.every((p) => p.registered_delivery === 1), 'SMS ask for a delivery receipt');
		eq(subs[0].source_addr, 'Tillgate', 'source_addr is sms_source_addr');
		eq(text(subs[2]), 'Your till is 1000017', 'the GSM text arrives');
		eq(subs[2].data_coding, 15, 'GSM text with data_coding 15');
		eq(subs[1].data_coding, 8, 'a text outside GSM goes as UCS-2');
		eq(text(subs[1]), 'Karibu: ç and € go as UCS-2', 'and decodes back');
		ok(/throttled by the SMSC/.test(d.log()), 'throttling logged');
		const ra = row(dir, a);
		ok(/^m\d+$/.test(ra.remote), 'message_id from submit_sm_resp recorded', JSON.stringify(ra));
		const resp = await sim.deliver({ source_addr: '255700000001', destination_addr: 'Tillgate',
			esm_class: 4, data_coding: 0, service_type: '',
			short_message: `id:${ra.remote} sub:001 dlvrd:001 submit date:2611280315 done date:2611280316 stat:DELIVRD err:000 text:Your till` });
		eq(resp.command_status, 0, 'the receipt gets deliver_sm_resp status 0');
		await until(() => row(dir, a).state === 'delivered', 5000, 'delivered');
		ok(true, 'the receipt marks the row delivered');
		const rb = row(dir, b);
		await sim.deliver({ source_addr: '255700000002', destination_addr: 'Tillgate', esm_class: 4,
			service_type: '', receipted_message_id: rb.remote, message_state: 5,
			short_message: 'x' });
		await until(() => row(dir, b).state === 'failed', 5000, 'undelivered');
		eq(row(dir, b).err, 'UNDELIV', 'an UNDELIV receipt (TLVs) marks it failed');
	} catch (e) {
		ok(false, 'throttle and receipts', e.stack + '\n' + d.log());
	}
	eq((await d.stop()).code, 0, 'daemon exits 0');

	// 2. queued while the operator refuses binds: survives a restart, sent once
	sim.refuseBinds = 1000;
	const sinceC = sim.pdus.length;
	d = await startDaemon(port, dir, []);
	const c = queue(dir, '255700000003', 'After the restart');
	await until(() => sim.binds >= 1 && sim.received('bind_transceiver', sinceC).length >= 1, 15000, 'a bind attempt');
	await sleep(700);
	eq(row(dir, c).state, 'pending', 'with the link down the row stays pending');
	eq((await d.stop()).code, 0, 'daemon exits 0 with the link down');
	sim.refuseBinds = 0;
	d = await startDaemon(port, dir, []);
	try {
		await until(() => row(dir, c).state === 'sent', 15000, 'sent after restart');
		await sleep(1200); // a poll or two more: nothing may go twice
		const toC = sim.received('submit_sm', sinceC).filter((p) => p.destination_addr === '255700000003');
		eq(toC.length, 1, 'the row is sent exactly once after the restart');
	} catch (e) {
		ok(false, 'restart', e.stack + '\n' + d.log());
	}

	// 3. no response before the daemon stops: failed at the next start
	sim.silent = true;
	const sinceE = sim.pdus.length;
	const e = queue(dir, '255700000005', 'Lost answer');
	await until(() => sim.received('submit_sm', sinceE).length === 1, 15000, 'the submit_sm');
	d.proc.kill('SIGKILL');
	await d.exited;
	eq(row(dir, e).state, 'sending', 'killed with the row in flight: it is left sending');
	sim.silent = false;
	d = await startDaemon(port, dir, []);
	try {
		await until(() => sim.session, 15000, 'bound');
		await sleep(1200);
		const r = row(dir, e);
		eq(r.state, 'failed', 'at start a row left sending is failed');
		ok(/outcome unknown/.test(r.err), 'with the reason', JSON.stringify(r));
		eq(sim.received('submit_sm', sinceE).length, 1, 'and never sent a second time');
		ok(/SMS left in flight by the last run marked failed.*count=1/.test(d.log()), 'logged with the count');
	} catch (err) {
		ok(false, 'recover', err.stack + '\n' + d.log());
	}
	eq((await d.stop()).code, 0, 'daemon exits 0');
	await sim.close();
	if (process.env.SMPP_TEST_VERBOSE)
		diag(d.log());
	finish();
}

main();
