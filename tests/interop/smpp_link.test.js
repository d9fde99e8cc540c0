'use strict';
// smpp_link.test.js -- the daemon's SMPP link against a simulated operator
// (smpp_sim.js, node-smpp as the SMSC): a refused bind is retried and
// the next one accepted, enquire_link both ways, malformed and unknown
// PDUs answered while the link stays up, a dropped connection rebound,
// the bind password never logged, and unbind on SIGTERM.

const { ok, eq, diag, requireBinary, finish } = require('./lib');
const { Sim, until, sleep, startDaemon, freshDir, rawPdu } = require('./smpp_sim');

const GENERIC_NACK = 0x80000000;
const DELIVER_SM = 0x00000005;

async function main() {
	requireBinary();
	const sim = new Sim();
	const port = await sim.listen();
	sim.refuseBinds = 1;
	const d = await startDaemon(port, freshDir('link'), ['smpp.enquire_link_s=1']);
	try {
		// 1. the first bind is refused, the second (after a backoff) accepted
		await until(() => sim.session, 15000, 'a bound session');
		const binds = sim.received('bind_transceiver');
		eq(binds.length, 2, 'one refused bind, then one accepted');
		eq(binds[0].system_id, 'tillgate', 'bind carries system_id');
		eq(binds[0].password, 's3cretpw', 'bind carries the configured password');
		eq(binds[0].interface_version, 0x34, 'interface_version 0x34');
		ok(/bind refused.*status=0x0000000e/.test(d.log()), 'the refusal is logged with its status',
			d.log);
		await until(() => /to=BOUND/.test(d.log()), 5000, 'BOUND logged');
		ok(!/s3cretpw/.test(d.log()), 'the bind password is never logged (debug traces on)');
		ok(/cmd=bind_transceiver .*password=\*\*\*/.test(d.log()), 'the bind trace shows password=***');

		// 2. enquire_link: ours answered, theirs sent when idle
		const before = sim.pdus.length;
		const resp = await new Promise((r) => sim.session.enquire_link({}, r));
		eq(resp.command, 'enquire_link_resp', 'our enquire_link gets enquire_link_resp');
		eq(resp.command_status, 0, 'with status 0');
		await until(() => sim.received('enquire_link', before).length > 0, 10000, 'enquire_link');
		ok(true, 'the daemon sends enquire_link on an idle link');

		// 3. malformed and unknown PDUs, answered on the same connection
		const s = sim.session;
		const nacks = [];
		const onPdu = (p) => { if (p.command === 'generic_nack' || p.command === 'deliver_sm_resp') nacks.push(p); };
		s.on('pdu', onPdu);
		sim.raw(rawPdu(0x00000103 /* data_sm: not for an ESME */, 0, 901,
			Buffer.from('\0\x01\x01255700000001\0\x00\x00*384#\0\x00\x00\x00', 'latin1')));
		await until(() => nacks.find((p) => p.sequence_number === 901), 5000, 'nack 901');
		const n901 = nacks.find((p) => p.sequence_number === 901);
		eq([n901.command, n901.command_status], ['generic_nack', 3],
			'unknown command: generic_nack ESME_RINVCMDID');
		// a deliver_sm whose short_message runs past the end
		const body = Buffer.from('USSD\0\x01\x01255700000001\0\x00\x00*384#\0\x00\x00\x00\0\0\x00\x00\x0f\x00\x40abc', 'latin1');
		sim.raw(rawPdu(DELIVER_SM, 0, 902, body));
		await until(() => nacks.find((p) => p.sequence_number === 902), 5000, 'resp 902');
		const n902 = nacks.find((p) => p.sequence_number === 902);
		eq(n902.command, 'deliver_sm_resp', 'truncated deliver_sm: deliver_sm_resp');
		ok(n902.command_status !== 0, 'with an error status', () => String(n902.command_status));
		ok(/malformed PDU.*sm_length 64/.test(d.log()), 'the fault is logged with the field', d.log);
		// a command_length above the limit: skipped whole
		const big = Buffer.alloc(5000 - 16, 0x41);
		sim.raw(rawPdu(DELIVER_SM, 0, 903, big));
		await until(() => nacks.find((p) => p.sequence_number === 903), 5000, 'nack 903');
		const n903 = nacks.find((p) => p.sequence_number === 903);
		eq([n903.command, n903.command_status], ['generic_nack', 2],
			'over-long PDU: generic_nack ESME_RINVCMDLEN');
		// sequence number 0
		sim.raw(rawPdu(0x00000015, 0, 0));
		await until(() => nacks.find((p) => p.sequence_number === 0), 5000, 'nack 0');
		ok(nacks.find((p) => p.sequence_number === 0).command_status !== 0,
			'sequence_number 0: answered with an error');
		// an unknown TLV on a valid USSD deliver_sm is ignored
		const r = await sim.deliver({ source_addr: '255700000009', short_message: '*384#',
			ussd_service_op: 1, its_session_info: Buffer.from([7, 0]), sequence_number: 904,
			tlvs: undefined });
		eq(r.command_status, 0, 'a good deliver_sm after the garbage is accepted');
		const back = await new Promise((res) => s.enquire_link({}, res));
		eq(back.command_status, 0, 'the link is still up after malformed PDUs');
		ok(sim.session === s, 'and on the same connection');
		s.removeListener('pdu', onPdu);

		// 4. the connection drops: the daemon reconnects and binds again
		const bindsBefore = sim.binds;
		sim.drop();
		await until(() => sim.binds > bindsBefore && sim.session, 15000, 'rebind');
		ok(true, 'after a drop the daemon reconnects and binds again');
		ok(/link down, reconnecting/.test(d.log()), 'the drop is logged');
		// the counters on GET /metrics
		const port = d.log().match(/msg="listening" url=http:\/\/127\.0\.0\.1:(\d+)/)[1];
		const key = (d.log().match(/^hub-admin key \(shown once\): (\S+)$/m) || [])[1];
		ok(key, 'the first start printed the hub-admin key');
		const m = await (await fetch(`http://127.0.0.1:${port}/metrics`,
			{ headers: { authorization: `Bearer ${key}` } })).text();
		const val = (k) => Number((m.match(new RegExp(`^tillgate_${k} (\\d+)$`, 'm')) || [])[1]);
		eq(val('smpp_up'), 1, 'metrics: tillgate_smpp_up 1');
		eq(val('smpp_bind_refusals_total'), 1, 'metrics: one bind refusal');
		ok(val('smpp_binds_total') >= 2, 'metrics: two binds or more', m);
		ok(val('smpp_malformed_total') >= 4, 'metrics: malformed PDUs counted', m);
	} catch (e) {
		ok(false, 'link scenario', e.stack + '\n' + d.log());
	}
	// 5. SIGTERM: unbind, then exit 0
	const unbindsBefore = sim.received('unbind').length;
	const r = await d.stop();
	eq(r.code, 0, 'the daemon exits 0 on SIGTERM');
	eq(sim.received('unbind').length, unbindsBefore + 1, 'and sent unbind first');
	ok(/to=STOPPED/.test(d.log()), 'the link ends STOPPED');
	await sim.close();
	if (process.env.SMPP_TEST_VERBOSE)
		diag(d.log());
	finish();
}

main();
