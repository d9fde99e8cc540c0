'use strict';
// peers.js -- the work of bench_qr.c done by npm peers, same output format:
//
//     op/peer OPS_PER_S
//
// Usage: node tests/bench/peers.js DIR [SECONDS]
//   DIR holds payload.txt, img300.pgm, promptpay.txt and pix.txt as
//   written by `bench_qr -d DIR`; this script adds DIR/img300.png (the
//   same pixels) for the zbarimg CLI. promptpay.txt and pix.txt are what
//   bench_qr's encode-promptpay and encode-pix lines build: the script
//   checks them against what promptpay-qr and pix-utils make.
//   SECONDS per line, default 1.
// The packages come from tests/interop/node_modules (npm ci there).
// Exits 1 if a peer fails or gives a wrong result.

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const peerRequire = createRequire(path.join(__dirname, '..', 'interop', 'package.json'));
const promptpay = peerRequire('promptpay-qr');
const pix = peerRequire('pix-utils');
const sdk = peerRequire('emvco-qr-sdk');
const { Merchant } = peerRequire('steplix-emv-qrcps');
const QRCode = peerRequire('qrcode');
const jsQR = peerRequire('jsqr');
const { PNG } = peerRequire('pngjs');

const dir = process.argv[2];
const seconds = Number(process.argv[3] || 1);
if (!dir || !(seconds > 0)) {
	console.error('usage: node tests/bench/peers.js DIR [SECONDS]');
	process.exit(2);
}

function fail(what, msg) {
	console.error(`peers.js: ${what}: ${msg}`);
	process.exit(1);
}

const payload = fs.readFileSync(path.join(dir, 'payload.txt'), 'utf8');
const ourPromptpay = fs.readFileSync(path.join(dir, 'promptpay.txt'), 'utf8');
const ourPix = fs.readFileSync(path.join(dir, 'pix.txt'), 'utf8');

// Root objects of an ASCII payload, "IDLLvalue" each, without those in drop.
function rootObjects(s, drop) {
	const out = [];
	for (let i = 0; i + 4 <= s.length;) {
		const id = s.slice(i, i + 2);
		const n = Number(s.slice(i + 2, i + 4));
		if (!drop.includes(id)) out.push(s.slice(i, i + 4 + n));
		i += 4 + n;
	}
	return out.join('');
}

// img300.pgm: "P5\n300 300\n255\n" + 300*300 grey bytes.
function readPgm(file) {
	const buf = fs.readFileSync(file);
	const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.toString('latin1', 0, 40));
	if (!m) fail(file, 'not a binary 8-bit PGM');
	const w = Number(m[1]);
	const h = Number(m[2]);
	const grey = buf.subarray(m[0].length, m[0].length + w * h);
	if (grey.length !== w * h) fail(file, 'short PGM');
	return { w, h, grey };
}
const pgm = readPgm(path.join(dir, 'img300.pgm'));
const rgba = new Uint8ClampedArray(pgm.w * pgm.h * 4);
for (let i = 0; i < pgm.w * pgm.h; i++) {
	rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = pgm.grey[i];
	rgba[4 * i + 3] = 255;
}
{
	const png = new PNG({ width: pgm.w, height: pgm.h, colorType: 0 });
	Buffer.from(rgba.buffer).copy(png.data);
	fs.writeFileSync(path.join(dir, 'img300.png'), PNG.sync.write(png, { colorType: 0 }));
}

// The fields of bench_qr.c's merchant, as far as each generator has them.
const fields = {
	name: 'MAMA JUMA SHOP', city: 'ARUSHA', mcc: '5411', currency: '834', country: 'TZ',
	amount: '15000.00', partyType: 'ALIAS', partyId: '10000042', fsp: 'tillbank',
	reference: 'ORDER42', terminal: 'TILL-03',
};

const ops = {
	'encode/promptpay-qr': () => promptpay('0812345678', { amount: 15000 }),
	'encode/pix-utils': () => pix.createStaticPix({
		merchantName: fields.name, merchantCity: fields.city, pixKey: fields.partyId,
		infoAdicional: fields.partyType, transactionAmount: 15000, txid: fields.reference,
	}).toBRCode(),
	'encode/steplix-emv-qrcps': () => {
		const e = Merchant.buildEMVQR();
		e.setPayloadFormatIndicator('01');
		e.setPointOfInitiationMethod('12');
		const a = Merchant.buildMerchantAccountInformation();
		a.setGloballyUniqueIdentifier('org.tillgate');
		a.addPaymentNetworkSpecific('01', fields.partyType);
		a.addPaymentNetworkSpecific('02', fields.partyId);
		a.addPaymentNetworkSpecific('04', fields.fsp);
		e.addMerchantAccountInformation('26', a);
		e.setMerchantCategoryCode(fields.mcc);
		e.setTransactionCurrency(fields.currency);
		e.setTransactionAmount(fields.amount);
		e.setCountryCode(fields.country);
		e.setMerchantName(fields.name);
		e.setMerchantCity(fields.city);
		const ad = Merchant.buildAdditionalDataFieldTemplate();
		ad.setReferenceLabel(fields.reference);
		ad.setTerminalLabel(fields.terminal);
		e.setAdditionalDataFieldTemplate(ad);
		return e.generatePayload();
	},
	'parse/pix-utils': () => pix.parsePix(payload),
	'parse/emvco-qr-sdk': () => sdk.parseFullQR(payload, { parseMode: sdk.QRParseMode.GLOBAL }),
	'parse/steplix-emv-qrcps': () => Merchant.Parser.toEMVQR(payload),
	'png/qrcode': () => QRCode.toBuffer(payload, { type: 'png', errorCorrectionLevel: 'M', scale: 4, margin: 4 }),
	'decode/jsqr': () => jsQR(rgba, pgm.w, pgm.h, { inversionAttempts: 'dontInvert' }),
};

// Results are checked once, before timing.
async function verify() {
	const steplix = ops['encode/steplix-emv-qrcps']();
	if (steplix !== payload)
		console.error(`peers.js: note: steplix-emv-qrcps made ${steplix}, bench_qr made ${payload}`);
	// bench_qr's encode-promptpay line builds promptpay-qr's objects plus
	// 52, 59 and 60 (strict EMVCo requires them; PromptPay omits them).
	const pp = ops['encode/promptpay-qr']();
	if (rootObjects(pp, ['63']) !== rootObjects(ourPromptpay, ['52', '59', '60', '63']))
		fail('encode/promptpay-qr', `made ${pp}; bench_qr's encode-promptpay made ${ourPromptpay}`);
	// bench_qr's encode-pix line builds pix-utils' payload exactly.
	const px = ops['encode/pix-utils']();
	if (px !== ourPix) fail('encode/pix-utils', `made ${px}; bench_qr's encode-pix made ${ourPix}`);
	const p = ops['parse/pix-utils']();
	if (p.error || p.merchantName !== fields.name) fail('parse/pix-utils', JSON.stringify(p));
	const s = ops['parse/emvco-qr-sdk']();
	if (!s.crc.isValid || s.raw['59'] !== fields.name) fail('parse/emvco-qr-sdk', JSON.stringify(s.raw));
	if (ops['parse/steplix-emv-qrcps']().generatePayload() !== payload)
		fail('parse/steplix-emv-qrcps', 'does not round-trip');
	const png = await ops['png/qrcode']();
	if (png.subarray(1, 4).toString() !== 'PNG') fail('png/qrcode', 'not a PNG');
	const code = ops['decode/jsqr']();
	if (!code || code.data !== payload) fail('decode/jsqr', 'the 300x300 image did not decode to the payload');
}

const nowS = () => Number(process.hrtime.bigint()) / 1e9;

// Same scheme as bench_qr.c: ~10% warm-up, then batches that grow until
// one takes >= 2 ms, until `seconds` have passed.
async function measure(fn, isAsync) {
	const once = isAsync ? async () => { await fn(); } : fn;
	let end = nowS() + seconds / 10;
	while (nowS() < end) await once();
	let batch = 1;
	let n = 0;
	const t0 = nowS();
	let t;
	for (;;) {
		const b0 = nowS();
		if (isAsync) for (let i = 0; i < batch; i++) await fn();
		else for (let i = 0; i < batch; i++) fn();
		n += batch;
		t = nowS();
		if (t - b0 < 0.002 && batch < (1 << 24)) batch *= 2;
		if (t - t0 >= seconds) break;
	}
	return n / (t - t0);
}

async function main() {
	await verify();
	for (const [name, fn] of Object.entries(ops)) {
		const rate = await measure(fn, name === 'png/qrcode');
		console.log(`${name} ${rate.toFixed(0)}`);
	}
}

main().catch((e) => fail('peers', e && e.stack ? e.stack : String(e)));
