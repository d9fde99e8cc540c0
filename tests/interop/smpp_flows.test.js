'use strict';
// smpp_flows.test.js -- the merchant USSD flows end to end over SMPP,
// against the simulated operator (smpp_sim.js): Register business through
// every step (the paged business types with "98 More" included), the
// registration SMS and its delivery receipt, My business (a wrong PIN, the
// right one, the till number by SMS), an abort mid-registration, a French
// subscriber, and a full registration in each session_key mode. Every
// submit_sm of a dialogue is checked: ussd_service_op 2 while asking and 17
// on the final screen, the dialogue's correlation TLV echoed (end-of-session
// bit on the last screen only), data_coding as configured (8 only when the
// text needs UCS-2) and the screen within 182 septets or 80 UCS-2 units.

const fs = require('fs');
const http = require('http');
const path = require('path');
const smpp = require('smpp');
const { ok, eq, diag, requireBinary, finish } = require('./lib');
const { Sim, until, sleep, startDaemon, sql, freshDir, its } = require('./smpp_sim');

const VERBOSE = !!process.env.SMPP_TEST_VERBOSE;
// Cheap Argon2id parameters keep the PIN steps fast.
const FAST_PIN = ['ussd.pin_opslimit=1', 'ussd.pin_memlimit_kib=8'];
const NAME = 'MAMA JUMA SHOP';
const NATIONAL_ID = '19900101123450000112';
const TOWN = 'ARUSHA';
const PIN = '7351';
const WRONG_PIN = '2468';

// The screen's text and its length in the unit that bounds it: unpacked
// GSM septets (one octet each; an extension character is ESC + code, two)
// for data_coding 0 and 15, UCS-2 units for 8. The GSM octets are decoded
// by node-smpp's own GSM 03.38 table, independent of the daemon's.
function screen(pdu) {
	const m = pdu.short_message;
	const raw = m && m.message !== undefined ? m.message : m;
	if (pdu.data_coding === 8) {
		const s = Buffer.isBuffer(raw) ? Buffer.from(raw).swap16().toString('utf16le') : String(raw);
		return { text: s, units: s.length, bytes: smpp.encodings.UCS2.encode(s) };
	}
	// data_coding 0 is decoded by node-smpp already; 15 comes as octets
	const bytes = Buffer.isBuffer(raw) ? raw : smpp.encodings.ASCII.encode(String(raw));
	return { text: smpp.encodings.ASCII.decode(bytes), units: bytes.length, bytes };
}

// Whether text needs UCS-2: a character outside the GSM 03.38 default
// alphabet and its extension table.
function needsUcs2(text) {
	return !smpp.encodings.ASCII.match(text);
}

// One subscriber's dialogue in one session_key mode: 'its' (its_session_info
// with session number sess), 'umr' (user_message_reference sess) or
// 'msisdn' (no correlation TLV). Every reply is checked by check().
class Dialogue {
	constructor(sim, msisdn, mode, sess, dc) {
		Object.assign(this, { sim, msisdn, mode, sess, dc, seq: 0, screens: [], bad: [] });
	}

	tlv(eos = false) {
		if (this.mode === 'its') {
			const o2 = ((this.seq++ & 0x7f) << 1) | (eos ? 1 : 0);
			return { its_session_info: Buffer.from([this.sess, o2]) };
		}
		if (this.mode === 'umr')
			return { user_message_reference: this.sess };
		return {};
	}

	// Sends a deliver_sm and waits for the reply to the subscriber.
	async send(op, text, tlv) {
		const since = this.sim.pdus.length;
		const fields = Object.assign({ source_addr: this.msisdn, short_message: text, ussd_service_op: op,
			data_coding: this.dc }, tlv);
		const resp = await this.sim.deliver(fields);
		if (resp.command_status !== 0)
			this.bad.push(`deliver_sm_resp status ${resp.command_status} for ${JSON.stringify(text)}`);
		const mine = () => this.sim.received('submit_sm', since)
			.find((p) => p.destination_addr === this.msisdn && p.ussd_service_op !== undefined);
		await until(mine, 10000, `the reply to ${JSON.stringify(op === 18 ? '(answer)' : text)}`);
		const sub = mine();
		const s = screen(sub);
		this.screens.push({ sub, s });
		if (VERBOSE)
			diag(`[${this.mode} ${this.msisdn}] op=${sub.ussd_service_op} dc=${sub.data_coding} ` +
			     `units=${s.units}\n${s.text}`);
		return { sub, s };
	}

	begin(text = '*384#') {
		return this.send(1, text, this.tlv());
	}

	answer(text) {
		return this.send(18, text, this.tlv());
	}

	// The checks of one reply; final: whether it must end the dialogue.
	// Problems are collected in this.bad (reported by report()).
	check(r, final, what) {
		const { sub, s } = r;
		const why = [];
		if (sub.ussd_service_op !== (final ? 17 : 2))
			why.push(`ussd_service_op ${sub.ussd_service_op}, expected ${final ? 17 : 2}`);
		if (this.mode === 'its') {
			const v = its(sub);
			if (v === null)
				why.push('no its_session_info');
			else if (v >> 8 !== this.sess || (v & 1) !== (final ? 1 : 0))
				why.push(`its_session_info 0x${v.toString(16)}: session 0x${this.sess.toString(16)}, ` +
					 `EOS ${final ? 1 : 0} expected`);
		} else if (sub.its_session_info !== undefined) {
			why.push('its_session_info invented');
		}
		if (this.mode === 'umr' && sub.user_message_reference !== this.sess)
			why.push(`user_message_reference ${sub.user_message_reference}, expected ${this.sess}`);
		const ucs2 = needsUcs2(s.text);
		if (sub.data_coding !== (ucs2 ? 8 : this.dc))
			why.push(`data_coding ${sub.data_coding}, expected ${ucs2 ? 8 : this.dc}`);
		if (s.units > (sub.data_coding === 8 ? 80 : 182))
			why.push(`${s.units} ${sub.data_coding === 8 ? 'UCS-2 units' : 'septets'}`);
		if (sub.source_addr !== '*384#')
			why.push(`source_addr ${sub.source_addr}`);
		if (sub.registered_delivery)
			why.push('a delivery receipt asked for a USSD screen');
		if (why.length)
			this.bad.push(`${what}: ${why.join('; ')}\n${s.text}`);
		return r;
	}

	// One TAP line for all the replies of the dialogue so far.
	report(desc) {
		ok(this.bad.length === 0 && this.screens.length > 0,
			`${desc}: every one of ${this.screens.length} submit_sm as it should be`,
			() => this.bad.join('\n'));
		this.bad = [];
		this.screens = [];
	}
}

// Expects line ERE in the screen; returns the match.
function expect(r, re, desc) {
	const m = r.s.text.match(re);
	ok(m, desc, () => `no match for ${re} in:\n${r.s.text}`);
	return m;
}

// The number of the menu line whose text matches re ("2 Language" -> "2").
function entry(r, re) {
	for (const line of r.s.text.split('\n')) {
		const m = line.match(/^(\d+)\.? +(.*)$/);
		if (m && re.test(m[2]))
			return m[1];
	}
	return null;
}

// The MCC table's code for a label (data/mcc.tsv).
function mccOf(label) {
	const tsv = fs.readFileSync(path.join(__dirname, '..', '..', 'data', 'mcc.tsv'), 'utf8');
	for (const line of tsv.split('\n')) {
		const [code, l] = line.split('\t');
		if (l !== undefined && l.trim() === label.trim())
			return code;
	}
	return null;
}

function get(port, key, p) {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, path: p, method: 'GET',
			headers: { Authorization: `Bearer ${key}` } }, (res) => {
			let body = '';
			res.on('data', (d) => { body += d; });
			res.on('end', () => resolve({ status: res.statusCode, body }));
		});
		req.on('error', reject);
		req.end();
	});
}

// Register business from the main menu to the till number, in the
// current language (texts matched are English unless fr). Returns
// { till, mcc }.
async function register(dl, what, fr = false) {
	let r = dl.check(await dl.begin(), false, 'main menu');
	const reg = entry(r, fr ? /Inscrire mon commerce/ : /Register business/);
	ok(reg, `${what}: an unknown number sees Register business`, () => r.s.text);
	r = dl.check(await dl.answer(reg || '1'), false, 'name');
	expect(r, fr ? /Nom du commerce/ : /Business name/, `${what}: asks the business name`);
	r = dl.check(await dl.answer(NAME), false, 'group');
	const grp = entry(r, fr ? /^Gros, alimentation/ : /^Wholesale, food/);
	ok(grp, `${what}: the business groups`, () => r.s.text);
	r = dl.check(await dl.answer(grp || '5'), false, 'types page 1');
	expect(r, fr ? /Type de commerce/ : /Type of business/, `${what}: the group's business types`);
	const more = entry(r, fr ? /^Suite$/ : /^More$/);
	eq(more, '98', `${what}: the first page of types ends with 98 More`, () => r.s.text);
	const first = r.s.text.split('\n').filter((l) => /^\d+ /.test(l) && !/^(98|0) /.test(l));
	r = dl.check(await dl.answer('98'), false, 'types page 2');
	const items = r.s.text.split('\n').map((l) => l.match(/^(\d+) (.*)$/))
		.filter((m) => m && m[1] !== '98' && m[1] !== '0');
	ok(items.length > 0 && Number(items[0][1]) === first.length + 1,
		`${what}: the second page goes on numbering from the first`, () => r.s.text);
	const pick = items.length ? items[0] : ['', '6', ''];
	const mcc = mccOf(pick[2]);
	ok(mcc, `${what}: the type picked on page 2 is in data/mcc.tsv`, pick[2]);
	r = dl.check(await dl.answer(pick[1]), false, 'national ID');
	expect(r, fr ? /carte d'identite/ : /National ID number/, `${what}: asks the national ID`);
	r = dl.check(await dl.answer(NATIONAL_ID), false, 'town');
	expect(r, fr ? /Ville ou district/ : /Town or district/, `${what}: asks the town`);
	r = dl.check(await dl.answer(TOWN), false, 'PIN');
	expect(r, fr ? /Choisissez un PIN/ : /Choose a PIN/, `${what}: asks a new PIN`);
	r = dl.check(await dl.answer(PIN), false, 'PIN again');
	expect(r, fr ? /PIN encore une fois/ : /Enter the PIN again/, `${what}: asks the PIN again`);
	r = dl.check(await dl.answer(PIN), false, 'summary');
	expect(r, fr ? new RegExp(`^Enregistrer ${NAME}$`, 'm') : new RegExp(`^Register ${NAME}$`, 'm'),
		`${what}: the summary names the business`);
	ok(r.s.text.includes(pick[2]) && r.s.text.includes(NATIONAL_ID) && r.s.text.includes(TOWN),
		`${what}: the summary shows the type, ID and town`, () => r.s.text);
	r = dl.check(await dl.answer('1'), true, 'final');
	const m = expect(r, fr ? /Votre numero de caisse est (\d{7})\./ : /Your till number is (\d{7})\./,
		`${what}: the final screen shows the till number`);
	dl.report(`${what}: registration`);
	return { till: m ? m[1] : null, mcc };
}

// Waits for the registration SMS to the subscriber (a plain submit_sm),
// sends its delivery receipt and waits for the outbox row to be
// delivered.
async function smsDelivered(sim, dir, msisdn, since, till, what) {
	const isSms = (p) => p.destination_addr === msisdn && p.ussd_service_op === undefined;
	await until(() => sim.received('submit_sm', since).find(isSms), 10000, `${what}: the SMS`);
	const sms = sim.received('submit_sm', since).filter(isSms);
	eq(sms.length, 1, `${what}: one SMS to the subscriber`);
	const p = sms[0];
	ok(p.registered_delivery === 1, `${what}: the SMS asks for a delivery receipt`);
	eq(p.source_addr, 'Tillgate', `${what}: the SMS comes from sms_source_addr`);
	ok(p.its_session_info === undefined && p.user_message_reference === undefined,
		`${what}: the SMS carries no USSD TLVs`);
	ok(till && screen(p).text.includes(till), `${what}: the SMS has the same till number`,
		() => `${till}: ${screen(p).text}`);
	const id = sql(dir, `SELECT id FROM outbox WHERE kind = 'sms' AND dest = '${msisdn}' ` +
		      `AND body LIKE '%${till}%' ORDER BY id DESC LIMIT 1`);
	await until(() => sql(dir, `SELECT remote_id FROM outbox WHERE id = ${id}`), 5000, 'message_id');
	const remote = sql(dir, `SELECT remote_id FROM outbox WHERE id = ${id}`);
	const resp = await sim.deliver({ source_addr: msisdn, destination_addr: 'Tillgate', esm_class: 4,
		data_coding: 0, service_type: '', short_message: `id:${remote} sub:001 dlvrd:001 ` +
		'submit date:2611280415 done date:2611280415 stat:DELIVRD err:000 text:x' });
	eq(resp.command_status, 0, `${what}: the receipt gets deliver_sm_resp 0`);
	await until(() => sql(dir, `SELECT state FROM outbox WHERE id = ${id}`) === 'delivered', 5000,
		`${what}: delivered`);
	ok(true, `${what}: the receipt marks the outbox row delivered`);
	return p;
}

// The merchant of a till, as the database has it.
function merchantOf(dir, till) {
	const row = sql(dir, 'SELECT m.merchant_id, m.status, m.tier, m.mcc FROM merchant m JOIN till t ' +
		`ON t.merchant_id = m.merchant_id WHERE t.till_number = '${till}'`);
	const [id, status, tier, mcc] = row.split('|');
	return { id, status, tier, mcc };
}

async function withDaemon(sim, name, sets, fn) {
	const dir = freshDir(name);
	const d = await startDaemon(sim.port, dir, FAST_PIN.concat(sets));
	try {
		await until(() => sim.session, 15000, 'bound');
		await fn(d, dir);
	} catch (e) {
		ok(false, `${name}: scenario`, e.stack + '\n' + d.log());
	}
	const r = await d.stop();
	eq(r.code, 0, `${name}: the daemon exits 0`);
	if (VERBOSE)
		diag(d.log());
	return d;
}

// 1-4: its_session_info mode, data_coding 15
async function itsMode(sim) {
	await withDaemon(sim, 'flows-its', [], async (d, dir) => {
		const A = '255712582946';
		const hub = (d.log().match(/^hub-admin key \(shown once\): (\S+)$/m) || [])[1];
		const port = Number((d.log().match(/msg="listening" .*port=(\d+)/) || [])[1]);
		ok(hub && port, 'the daemon prints the hub-admin key and listens');

		// 1. Register business
		let since = sim.pdus.length;
		const dl = new Dialogue(sim, A, 'its', 0x41, 15);
		const { till, mcc } = await register(dl, 'its');
		const asms = await smsDelivered(sim, dir, A, since, till, 'its');
		eq(asms.data_coding, 15, 'its: the SMS in data_coding 15 as configured');
		const m = merchantOf(dir, till);
		eq([m.status, m.tier, m.mcc], ['APPROVED', 'T0', mcc], 'the merchant is APPROVED at T0 with the type picked');
		const g = await get(port, hub, `/v1/merchants/${m.id}`);
		eq(g.status, 200, 'GET /v1/merchants/{id} with the hub-admin key');
		ok(/"status":"APPROVED"/.test(g.body) && /"tier":"T0"/.test(g.body) &&
		   g.body.includes(`"till_number":"${till}"`) && g.body.includes(`"phone":"+${A}"`),
			'the API shows it APPROVED, T0, with the till and the caller as owner', g.body);

		// 2. My business: a wrong PIN, the right one, the till by SMS
		since = sim.pdus.length;
		const b = new Dialogue(sim, A, 'its', 0x42, 15);
		let r = b.check(await b.begin(), false, 'main menu');
		const biz = entry(r, /My business/);
		ok(biz && !/Register business/.test(r.s.text), 'an owner sees My business, not Register business',
			() => r.s.text);
		r = b.check(await b.answer(biz || '1'), false, 'PIN');
		expect(r, /^Enter your PIN:$/m, 'My business asks the PIN');
		r = b.check(await b.answer(WRONG_PIN), false, 'wrong PIN');
		expect(r, /^Wrong PIN\./m, 'a wrong PIN: the retry prompt (op 2)');
		expect(r, /^Enter your PIN:$/m, '... asking the PIN again');
		r = b.check(await b.answer(PIN), false, 'menu');
		const tillEntry = entry(r, /Send my till number by SMS/);
		ok(tillEntry, 'the right PIN opens the menu', () => r.s.text);
		r = b.check(await b.answer(tillEntry || '1'), true, 'till sent');
		expect(r, new RegExp(`Your till number ${till} is on its way by SMS`), 'the till goes by SMS');
		b.report('My business');
		const isSms = (p) => p.destination_addr === A && p.ussd_service_op === undefined;
		await until(() => sim.received('submit_sm', since).find(isSms), 10000, 'the till SMS');
		const sms = sim.received('submit_sm', since).filter(isSms);
		ok(sms.length === 1 && sms[0].registered_delivery === 1 && screen(sms[0]).text.includes(till),
			'the till SMS arrives as a plain submit_sm with the till', () => sms.map((p) => screen(p).text));
		// the PIN as a direct answer in the dialled string: My business
		// opens at once, and the PIN is in no trace of the dialled string
		const b2 = new Dialogue(sim, A, 'its', 0x4a, 15);
		r = b2.check(await b2.begin(`*384*${biz || '1'}*${PIN}#`), false, 'direct string');
		ok(entry(r, /Send my till number by SMS/), 'a direct string *384*N*PIN# opens My business',
			() => r.s.text);
		b2.report('My business by a direct string');
		await sim.deliver(Object.assign({ source_addr: A, short_message: '', ussd_service_op: 0x81 }, b2.tlv()));
		const pinRe = (p) => new RegExp(`(^|[^0-9])${p}([^0-9]|$)`);
		ok(!pinRe(PIN).test(d.log()) && !pinRe(WRONG_PIN).test(d.log()),
			'no PIN in the log at smpp=debug ussd=debug (traces of answers and dialled strings)',
			() => d.log().split('\n').filter((l) => pinRe(PIN).test(l) || pinRe(WRONG_PIN).test(l)).join('\n'));
		ok(/msg="pdu in" .*cmd=deliver_sm .*op=18 .*text=\*\*\*/.test(d.log()) &&
		   /msg="answer" .*input=<secret>/.test(d.log()),
			'the PDU traces and the answers are in that log, the PIN answers masked');
		ok(!/argon2/i.test(d.log()), 'no PIN hash in the log');
		const answers = d.log().split('\n').filter((l) => /msg="pdu in" .*cmd=deliver_sm .*op=18 /.test(l));
		ok(answers.length > 0 && answers.every((l) => /len=\*\*\* .*text_len=\*\*\* text=\*\*\*$/.test(l)),
			'nor the length of an answer (command_length, text_len)',
			() => answers.filter((l) => !/len=\*\*\*/.test(l)).join('\n'));

		// 3. abort mid-registration: by the vendor op, then by the EOS bit
		const C = '255713000111';
		for (const [how, sess] of [['op 0x81', 0x43], ['EOS bit', 0x44]]) {
			since = sim.pdus.length;
			const c = new Dialogue(sim, C, 'its', sess, 15);
			r = c.check(await c.begin(), false, 'main menu');
			r = c.check(await c.answer(entry(r, /Register business/) || '1'), false, 'name');
			r = c.check(await c.answer('DUKA LA C'), false, 'group');
			r = c.check(await c.answer(entry(r, /^Wholesale, food/) || '5'), false, 'types');
			r = c.check(await c.answer('1'), false, 'ID');
			r = c.check(await c.answer(NATIONAL_ID), false, 'town');
			r = c.check(await c.answer('MOSHI'), false, 'PIN');
			r = c.check(await c.answer(PIN), false, 'PIN again');
			expect(r, /Enter the PIN again/, `abort (${how}): the dialogue reached the second PIN`);
			c.report(`abort (${how}): up to the abort`);
			const n = sim.received('submit_sm').length;
			const ab = how === 'op 0x81'
				? await sim.deliver(Object.assign({ source_addr: C, short_message: '', ussd_service_op: 0x81 },
					c.tlv()))
				: await sim.deliver(Object.assign({ source_addr: C, short_message: PIN, ussd_service_op: 18 },
					c.tlv(true)));
			eq(ab.command_status, 0, `abort (${how}): deliver_sm_resp 0`);
			await sleep(300);
			eq(sim.received('submit_sm').length, n, `abort (${how}): nothing sent back`);
			ok(new RegExp(`dialogue ended by the network" key=smpp:${C}:${sess}`).test(d.log()),
				`abort (${how}): the dialogue ended`, () => d.log().split('\n').filter((l) => /ended by/.test(l)).join('\n'));
			if (how === 'op 0x81') {
				// a late answer on it finds the dialogue gone, not at the PIN
				r = c.check(await c.answer(PIN), true, 'late answer');
				expect(r, /session has expired/, 'abort (op 0x81): a late answer gets the expired screen');
				c.report('abort (op 0x81): the late answer');
			}
		}
		await sleep(700); // an SMS would be claimed by now
		eq(sql(dir, `SELECT (SELECT count(*) FROM owner WHERE phone = '+${C}') + ` +
			`(SELECT count(*) FROM outbox WHERE dest = '${C}') + ` +
			"(SELECT count(*) FROM merchant WHERE trading_name = 'DUKA LA C')"), '0',
		'aborted: no merchant, no owner, no SMS');
		ok(!sim.received('submit_sm', since).some((p) => p.destination_addr === C && p.ussd_service_op === undefined),
			'aborted: no SMS at the simulator');
		const e = new Dialogue(sim, C, 'its', 0x45, 15);
		r = e.check(await e.begin(), false, 'main menu');
		ok(entry(r, /Register business/), 'a new dialogue starts clean at the main menu', () => r.s.text);
		r = e.check(await e.answer(entry(r, /Register business/) || '1'), false, 'name');
		expect(r, /Business name/, '... and Register business starts at the name');
		e.report('after the abort');

		// 4. French: chosen through the Language menu
		const F = '255714000222';
		const f = new Dialogue(sim, F, 'its', 0x46, 15);
		r = f.check(await f.begin(), false, 'main menu');
		r = f.check(await f.answer(entry(r, /^Language$/) || '2'), false, 'languages');
		const fr = entry(r, /^Français$/);
		ok(fr, 'the Language menu lists Français', () => r.s.text);
		eq(r.sub.data_coding, 8, 'the language menu ("Français": ç is not GSM) goes as UCS-2');
		ok(r.s.units <= 80, `... within 80 UCS-2 units (${r.s.units})`);
		r = f.check(await f.answer(fr || '3'), false, 'saved');
		expect(r, /Langue : Français/, 'the choice is saved, in French');
		eq(r.sub.data_coding, 8, '... a screen with "Français" goes as UCS-2');
		ok(r.s.units <= 80, `... within 80 UCS-2 units (${r.s.units})`);
		eq(sql(dir, `SELECT lang FROM subscriber WHERE msisdn = '${F}'`), 'fr', 'the language is stored');
		f.report('French: language');
		since = sim.pdus.length;
		const fd = new Dialogue(sim, F, 'its', 0x47, 15);
		const fres = await register(fd, 'fr', true);
		const mf = merchantOf(dir, fres.till);
		eq([mf.status, mf.tier], ['APPROVED', 'T0'], 'fr: the merchant is APPROVED at T0');
		const fsms = await smsDelivered(sim, dir, F, since, fres.till, 'fr');
		ok(/est enregistre chez Tillgate/.test(screen(fsms).text), 'fr: the SMS is in French',
			() => screen(fsms).text);
		// a GSM screen with é: one octet 0x05 each, in the GSM table
		const u = new Dialogue(sim, F, 'its', 0x48, 15);
		r = u.check(await u.send(1, '*999#', u.tlv()), true, 'unknown service');
		u.report('fr: unknown service');
		const want = 'Service inconnu. Vérifiez le code composé.';
		eq(r.sub.data_coding, 15, 'fr: a screen with é only stays GSM (data_coding 15)');
		const gsm = Buffer.from(want.replace(/é/g, '\x05'), 'latin1');
		eq(r.s.bytes, gsm, 'fr: é sent as GSM 0x05, byte for byte');
		ok(!pinRe(PIN).test(d.log()), 'no PIN in the whole log (the aborts and the French dialogue too)');
	});
}

// 5. the other session_key modes: a full registration each
async function otherModes(sim) {
	await withDaemon(sim, 'flows-msisdn', ['smpp.session_key=msisdn', 'smpp.data_coding=0'], async (d, dir) => {
		const M = '255715000333';
		const since = sim.pdus.length;
		const dl = new Dialogue(sim, M, 'msisdn', 0, 0);
		const { till, mcc } = await register(dl, 'msisdn');
		ok(new RegExp(`key=smpp:${M} `).test(d.log()), 'msisdn: the key is smpp:MSISDN');
		const m = merchantOf(dir, till);
		eq([m.status, m.tier, m.mcc], ['APPROVED', 'T0', mcc], 'msisdn: the merchant is APPROVED at T0');
		const p = await smsDelivered(sim, dir, M, since, till, 'msisdn');
		eq(p.data_coding, 0, 'msisdn: the SMS in data_coding 0 as configured');
	});
	await withDaemon(sim, 'flows-umr', ['smpp.session_key=user_message_reference'], async (d, dir) => {
		const U = '255716000444';
		const since = sim.pdus.length;
		const dl = new Dialogue(sim, U, 'umr', 31337, 15);
		const { till, mcc } = await register(dl, 'umr');
		ok(new RegExp(`key=smpp:${U}:31337`).test(d.log()), 'umr: the key is smpp:MSISDN:UMR');
		const m = merchantOf(dir, till);
		eq([m.status, m.tier, m.mcc], ['APPROVED', 'T0', mcc], 'umr: the merchant is APPROVED at T0');
		await smsDelivered(sim, dir, U, since, till, 'umr');
	});
}

async function main() {
	requireBinary();
	const sim = new Sim();
	await sim.listen();
	await itsMode(sim);
	await otherModes(sim);
	await sim.close();
	finish();
}

main();
