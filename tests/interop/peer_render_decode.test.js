'use strict';
// (d) PNGs made by the qrencode CLI and by npm qrcode decode with
// `tillgate qr decode` to the exact payload bytes. Also: several files in
// one call, --parse --json, colour and transparent images, and an image
// without a code (exit 1).
//
// Run: node tests/interop/peer_render_decode.test.js   (TILLGATE=... to override)

const fs = require('fs');
const T = require('./lib');
const QRCode = require('qrcode');
const { PNG } = require('pngjs');

const EMVCO_EXAMPLE = '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678' +
	'520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502' +
	'016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A';
// Made by promptpay-qr (ASCII, mostly digits: mixed-mode segments).
const PROMPTPAY = require('promptpay-qr')('0812345678', { amount: 100 });
// Made by pix-utils (lower case letters and '@': byte mode).
const PIX = require('pix-utils').createStaticPix({
	merchantName: 'Tillgate Test', merchantCity: 'Arusha', pixKey: 'key@example.com',
	infoAdicional: 'hello', transactionAmount: 12.5, txid: 'TX123',
}).throwIfError().toBRCode();
// A Latin-1-range non-ASCII payload (template 64), built here.
const FRENCH = (() => {
	const tlv = (id, v) => id + String(Array.from(v).length).padStart(2, '0') + v;
	const body = tlv('00', '01') + tlv('01', '11') +
		tlv('26', tlv('00', 'org.tillgate') + tlv('01', 'ALIAS') + tlv('02', '20000077')) +
		tlv('52', '5462') + tlv('53', '952') + tlv('58', 'SN') + tlv('59', 'BOULANGERIE CREME BRULEE') +
		tlv('60', 'DAKAR') + tlv('64', tlv('00', 'FR') + tlv('01', 'Boulangerie Crème Brûlée') +
		tlv('02', 'Dakar Médina')) + '6304';
	return body + T.crc16(body);
})();

async function main() {
	T.requireBinary();
	for (const p of [EMVCO_EXAMPLE, PROMPTPAY, PIX, FRENCH])
		T.ok(T.crcOk(p), `fixture CRC is right: ${p.slice(0, 40)}...`);

	const images = []; // { label, file, payload }

	// qrencode CLI: -8 (one 8-bit segment), plus one in its default
	// mode-optimising encoding (numeric/alphanumeric/8-bit segments).
	const qe = [
		['qrencode -8 -l L -s 3', ['-8', '-l', 'L', '-s', '3'], PIX],
		['qrencode -8 -l M -s 4 (non-ASCII)', ['-8', '-l', 'M', '-s', '4'], EMVCO_EXAMPLE],
		['qrencode -8 -l H -s 2 (non-ASCII, Latin)', ['-8', '-l', 'H', '-s', '2'], FRENCH],
		['qrencode -8 -l Q -s 5 -m 2', ['-8', '-l', 'Q', '-s', '5', '-m', '2'], PROMPTPAY],
		['qrencode default mode -l M (mixed segments)', ['-l', 'M', '-s', '3'], PROMPTPAY],
	];
	qe.forEach(([label, args, payload], i) => {
		const file = T.tmpFile(`qrencode-${i}.png`);
		const r = T.run('qrencode', [...args, '-o', file, payload]);
		if (T.ok(r.status === 0, `${label}: qrencode makes the PNG`, () => T.explain(r)))
			images.push({ label, file, payload });
	});

	// npm qrcode: its own segmentation of a string (UTF-8 in byte mode),
	// an explicit byte segment, colours and a transparent background.
	const qc = [
		['npm qrcode EC L scale 2', PIX, { errorCorrectionLevel: 'L', scale: 2 }],
		['npm qrcode EC M scale 4 (non-ASCII)', EMVCO_EXAMPLE, { errorCorrectionLevel: 'M', scale: 4 }],
		['npm qrcode EC Q scale 3 (mixed segments)', PROMPTPAY, { errorCorrectionLevel: 'Q', scale: 3 }],
		['npm qrcode EC H scale 5 margin 1', FRENCH, { errorCorrectionLevel: 'H', scale: 5, margin: 1 }],
		['npm qrcode byte segment, dark blue on cream', [{ data: Buffer.from(FRENCH, 'utf8'), mode: 'byte' }],
			{ errorCorrectionLevel: 'M', scale: 4, color: { dark: '#1a237eff', light: '#fff8e1ff' } }, FRENCH],
		['npm qrcode transparent background', PIX,
			{ errorCorrectionLevel: 'M', scale: 4, color: { dark: '#000000ff', light: '#00000000' } }],
	];
	for (let i = 0; i < qc.length; i++) {
		const [label, data, opts, payload] = qc[i];
		const file = T.tmpFile(`qrcode-${i}.png`);
		try {
			await QRCode.toFile(file, data, { type: 'png', ...opts });
			T.ok(true, `${label}: npm qrcode makes the PNG`);
			images.push({ label, file, payload: payload || data });
		} catch (e) {
			T.ok(false, `${label}: npm qrcode makes the PNG`, String(e && e.stack));
		}
	}

	for (const im of images) {
		const r = T.tillgate(['qr', 'decode', im.file]);
		T.ok(r.status === 0, `${im.label}: tillgate qr decode exits 0`, () => T.explain(r));
		T.eq(r.stdout, Buffer.from(im.payload + '\n', 'utf8'),
			`${im.label}: tillgate qr decode prints the exact payload`, () => T.explain(r));
	}

	// Several files in one call: one line each, in order, prefixed with
	// "FILE: " (as `tillgate qr decode --help` says).
	T.check('several files', () => {
		const r = T.tillgate(['qr', 'decode', ...images.map((im) => im.file)]);
		T.ok(r.status === 0, `qr decode of ${images.length} files exits 0`, () => T.explain(r));
		T.eq(r.stdout, Buffer.from(images.map((im) => `${im.file}: ${im.payload}\n`).join(''), 'utf8'),
			`qr decode of ${images.length} files prints "FILE: payload" per file, in order`);
	});

	// --json without --parse: {"file":...,"payload":...} per code.
	T.check('decode --json', () => {
		const im = images.find((x) => x.payload === FRENCH);
		if (!im) throw new Error('no image of the French payload');
		const r = T.tillgate(['qr', 'decode', '--json', im.file]);
		let j = null;
		try { j = JSON.parse(r.out); } catch (e) { /* below */ }
		T.eq(j, { file: im.file, payload: FRENCH }, 'qr decode --json prints {"file":...,"payload":...}',
			() => T.explain(r));
	});

	// --parse --json gives the same object as qr parse --json.
	T.check('decode --parse --json', () => {
		const im = images.find((x) => x.payload === EMVCO_EXAMPLE);
		if (!im) throw new Error('no image of the EMVCo example');
		const d = T.tillgate(['qr', 'decode', '--parse', '--json', im.file]);
		const p = T.tillgate(['qr', 'parse', '--json', EMVCO_EXAMPLE]);
		let j = null;
		try { j = JSON.parse(d.out); } catch (e) { /* below */ }
		T.ok(d.status === 0 && j !== null && j['64'] && j['64']['01'] === '最佳运输' && j['54'] === '23.72',
			'qr decode --parse --json parses the decoded payload', () => T.explain(d));
		T.eq(d.out, p.out, 'qr decode --parse --json prints what qr parse --json prints');
	});

	// No code in the image: exit 1, nothing on stdout.
	T.check('no code', () => {
		const png = new PNG({ width: 120, height: 90 });
		png.data.fill(255);
		for (let i = 0; i < 120 * 90; i += 7) png.data[i * 4] = png.data[i * 4 + 1] = png.data[i * 4 + 2] = 0;
		const file = T.tmpFile('noqr.png');
		fs.writeFileSync(file, PNG.sync.write(png));
		const r = T.tillgate(['qr', 'decode', file]);
		T.ok(r.status === 1 && r.out === '', 'qr decode of an image without a code exits 1, prints nothing',
			() => T.explain(r));
	});

	T.finish();
}

main();
