'use strict';
// (a) Payloads made by `tillgate qr encode` are accepted by independent
// npm parsers (emvco-qr-sdk, steplix-emv-qrcps, pix-utils), and the
// fields they return equal what we put in.
//
// Run: node tests/interop/encode_peer_parse.test.js   (TILLGATE=... to override)

const T = require('./lib');
const sdk = require('emvco-qr-sdk');
const { Merchant } = require('steplix-emv-qrcps');
const pix = require('pix-utils');

// Each case: how to make the payload, and the objects we expect in it
// (63 excepted). JSON cases keep their text so that key order is ours.
const GUI = 'org.tillgate';
const cases = [
	{
		name: 'static code (flags)',
		args: ['--name', 'MAMA JUMA SHOP', '--city', 'ARUSHA', '--mcc', '5411',
			'--currency', '834', '--country', 'TZ', '--party-type', 'ALIAS',
			'--party-id', '10000042'],
		want: {
			'00': '01', '01': '11',
			'26': { '00': GUI, '01': 'ALIAS', '02': '10000042' },
			'52': '5411', '53': '834', '58': 'TZ', '59': 'MAMA JUMA SHOP', '60': 'ARUSHA',
		},
	},
	{
		name: 'dynamic code with amount (flags)',
		args: ['--name', 'DUKA LA BIBI', '--city', 'DODOMA', '--mcc', '5812',
			'--currency', '834', '--country', 'TZ', '--amount', '15000.00',
			'--party-type', 'MSISDN', '--party-id', '255712345678'],
		want: {
			'00': '01', '01': '12',
			'26': { '00': GUI, '01': 'MSISDN', '02': '255712345678' },
			'52': '5812', '53': '834', '54': '15000.00', '58': 'TZ',
			'59': 'DUKA LA BIBI', '60': 'DODOMA',
		},
	},
	{
		name: 'dynamic code with 62 bill/reference/terminal, FSP and GUI (flags)',
		args: ['--name', 'NYAMA CHOMA PALACE', '--city', 'MWANZA', '--mcc', '5814',
			'--currency', '404', '--country', 'KE', '--amount', '250.50',
			'--party-type', 'BUSINESS', '--party-id', 'NCP-0042', '--fsp', 'tillbank',
			'--gui', 'com.example.pay', '--bill', 'INV-2024-0001',
			'--reference', 'ORDER42', '--terminal', 'TILL-03'],
		want: {
			'00': '01', '01': '12',
			'26': { '00': 'com.example.pay', '01': 'BUSINESS', '02': 'NCP-0042', '04': 'tillbank' },
			'52': '5814', '53': '404', '54': '250.50', '58': 'KE',
			'59': 'NYAMA CHOMA PALACE', '60': 'MWANZA',
			'62': { '01': 'INV-2024-0001', '05': 'ORDER42', '07': 'TILL-03' },
		},
	},
	{
		name: 'static code with only a reference in 62 (flags)',
		args: ['--name', 'KIOSK 7', '--city', 'MOSHI', '--mcc', '5499',
			'--currency', '834', '--country', 'TZ', '--party-type', 'ALIAS',
			'--party-id', 'K7', '--reference', 'SHELF-9'],
		want: {
			'00': '01', '01': '11',
			'26': { '00': GUI, '01': 'ALIAS', '02': 'K7' },
			'52': '5499', '53': '834', '58': 'TZ', '59': 'KIOSK 7', '60': 'MOSHI',
			'62': { '05': 'SHELF-9' },
		},
	},
	{
		name: 'JSON stdin, template 64 in Chinese (non-ASCII), 63 ignored',
		json: '{"00":"01","01":"12","26":{"00":"org.tillgate","01":"MSISDN","02":"255712345678","04":"tillbank"},' +
			'"52":"5812","53":"834","54":"12500.00","58":"TZ","59":"MAMA JUMA SHOP","60":"ARUSHA",' +
			'"62":{"01":"INV-77","05":"ORDER-42","07":"TILL-3"},' +
			'"64":{"00":"ZH","01":"妈妈朱玛商店","02":"阿鲁沙"},"63":"FFFF"}',
		want: {
			'00': '01', '01': '12',
			'26': { '00': GUI, '01': 'MSISDN', '02': '255712345678', '04': 'tillbank' },
			'52': '5812', '53': '834', '54': '12500.00', '58': 'TZ',
			'59': 'MAMA JUMA SHOP', '60': 'ARUSHA',
			'62': { '01': 'INV-77', '05': 'ORDER-42', '07': 'TILL-3' },
			'64': { '00': 'ZH', '01': '妈妈朱玛商店', '02': '阿鲁沙' },
		},
	},
	{
		name: 'JSON stdin, template 64 in French (accented Latin)',
		json: '{"00":"01","01":"11","26":{"00":"org.tillgate","01":"ALIAS","02":"20000077"},' +
			'"52":"5462","53":"952","58":"SN","59":"BOULANGERIE CREME BRULEE","60":"DAKAR",' +
			'"64":{"00":"FR","01":"Boulangerie Crème Brûlée","02":"Dakar Médina"}}',
		want: {
			'00': '01', '01': '11',
			'26': { '00': GUI, '01': 'ALIAS', '02': '20000077' },
			'52': '5462', '53': '952', '58': 'SN', '59': 'BOULANGERIE CREME BRULEE', '60': 'DAKAR',
			'64': { '00': 'FR', '01': 'Boulangerie Crème Brûlée', '02': 'Dakar Médina' },
		},
	},
];

// emvco-qr-sdk TLV entities -> { id: value | { sub: value } }. The SDK
// guesses which values are templates; we use subTags only where EMVCo
// defines a template.
function fromSdk(tlvs) {
	const m = {};
	for (const t of tlvs) {
		if (T.isTemplateId(t.tag)) {
			if (!t.subTags) { m[t.tag] = '(not parsed as a template) ' + t.value; continue; }
			m[t.tag] = {};
			for (const s of t.subTags) m[t.tag][s.tag] = s.value;
		} else {
			m[t.tag] = t.value;
		}
	}
	return m;
}

// steplix-emv-qrcps has no getters; its rawData() lists "ID LEN VALUE"
// lines, with a space before the sub-objects of a template.
function fromSteplix(emvqr) {
	const m = {};
	let cur = null;
	for (const line of emvqr.rawData().split('\n')) {
		if (line === '') continue;
		let r;
		if ((r = /^(\d\d) (\d\d)$/.exec(line))) {
			cur = m[r[1]] = {};
		} else if ((r = /^ (\d\d) (\d\d) (.*)$/.exec(line))) {
			if (!cur) throw new Error('sub-object outside a template: ' + line);
			cur[r[1]] = r[3];
		} else if ((r = /^(\d\d) (\d\d) (.*)$/.exec(line))) {
			m[r[1]] = r[3];
			cur = null;
		} else {
			throw new Error('unexpected rawData line: ' + JSON.stringify(line));
		}
	}
	return m;
}

function without63(m) {
	const c = { ...m };
	delete c['63'];
	return c;
}

T.requireBinary();

for (const c of cases) {
	let r;
	if (c.args)
		r = T.tillgate(['qr', 'encode', ...c.args]);
	else
		r = T.tillgate(['qr', 'encode'], { input: c.json + '\n' });
	const lines = r.out.split('\n');
	const produced = r.status === 0 && lines.length === 2 && lines[1] === '' && lines[0].length > 0;
	if (!T.ok(produced, `${c.name}: tillgate qr encode prints one payload, exit 0`, () => T.explain(r)))
		continue;
	const payload = lines[0];
	const nonAscii = /[^\x20-\x7e]/.test(payload);
	T.diag(`payload: ${payload}`);

	T.check(`${c.name}: CRC and layout`, () => {
		T.ok(T.crcOk(payload), `${c.name}: CRC-16/CCITT-FALSE over UTF-8 matches 63`);
		const ids = T.rootIds(payload);
		T.ok(ids && ids[0] === '00' && ids[ids.length - 1] === '63' &&
			ids.filter((x) => x === '63').length === 1,
		`${c.name}: 00 first, 63 last`, `root IDs: ${ids}`);
	});

	// emvco-qr-sdk
	T.check(`${c.name}: emvco-qr-sdk`, () => {
		const full = sdk.parseFullQR(payload, { parseMode: sdk.QRParseMode.GLOBAL });
		T.eq(without63(fromSdk(full.tlvs)), c.want, `${c.name}: emvco-qr-sdk parses the fields we put in`);
		T.eq(fromSdk(full.tlvs)['63'], payload.slice(-4), `${c.name}: emvco-qr-sdk reads the CRC`);
		if (!nonAscii) {
			T.ok(full.crc.isValid === true, `${c.name}: emvco-qr-sdk validates the CRC`, () => show(full.crc));
		} else {
			// The SDK runs its CRC over UTF-16 code units, so it rejects
			// every valid non-ASCII payload. Feed its CRC routine the
			// UTF-8 bytes (one char per byte) instead.
			const bytes = Buffer.from(payload.slice(0, -4), 'utf8').toString('latin1');
			T.eq(sdk.CRC.calculate(bytes), payload.slice(-4),
				`${c.name}: emvco-qr-sdk's CRC routine over the UTF-8 bytes matches 63`);
		}
	});

	// steplix-emv-qrcps
	T.check(`${c.name}: steplix-emv-qrcps`, () => {
		const e = Merchant.Parser.toEMVQR(payload);
		T.eq(without63(fromSteplix(e)), c.want, `${c.name}: steplix-emv-qrcps parses the fields we put in`);
		// Its serialiser writes objects in EMVCo's table order and computes
		// its own CRC (UTF-8): it must reproduce our payload byte for byte.
		T.eq(e.generatePayload(), payload,
			`${c.name}: steplix-emv-qrcps re-serialises it to the same payload (its own CRC)`);
	});

	// pix-utils: a Pix parser, but it takes any tag-26 template with a
	// sub-01 (Pix key) as a static Pix; it checks the TLV walk and CRC.
	T.check(`${c.name}: pix-utils`, () => {
		const p = pix.parsePix(payload);
		if (!T.ok(!pix.hasError(p), `${c.name}: pix-utils parsePix accepts it (TLV + CRC)`, () => show(p)))
			return;
		const got = {
			type: p.type, mcc: p.merchantCategoryCode, ccy: p.transactionCurrency,
			country: p.countryCode, name: p.merchantName, city: p.merchantCity,
			key: p.pixKey, info: p.infoAdicional, amount: p.transactionAmount, txid: p.txid,
		};
		const w = c.want;
		const exp = {
			type: 'STATIC', mcc: w['52'], ccy: w['53'], country: w['58'], name: w['59'],
			city: w['60'], key: w['26']['01'], info: w['26']['02'],
			amount: w['54'] ? Number(w['54']) : 0, txid: w['62'] ? w['62']['05'] : undefined,
		};
		T.eq(got, exp, `${c.name}: pix-utils returns the fields we put in`);
	});

	// Our own strict parser must agree with what the peers saw.
	T.check(`${c.name}: tillgate strict parse`, () => {
		const p = T.tillgate(['qr', 'parse', '--strict', '--json', payload]);
		let j = null;
		try { j = JSON.parse(p.out); } catch (e) { /* reported below */ }
		T.ok(p.status === 0 && j !== null && T.isDeepEqual(without63(j), c.want) &&
			j['63'] === payload.slice(-4),
		`${c.name}: tillgate qr parse --strict --json gives the same fields`, () => T.explain(p));
	});
}

function show(v) {
	return require('util').inspect(v, { depth: 4 });
}

T.finish();
