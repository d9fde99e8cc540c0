'use strict';
// (c) PNGs made by `tillgate qr render --format png` (several EC levels,
// scales and margins) decode back to the exact payload bytes with the
// zbarimg CLI (ZBar) and with npm jsqr (pixels through pngjs).
//
// Run: node tests/interop/render_peer_decode.test.js   (TILLGATE=... to override)

const fs = require('fs');
const T = require('./lib');
const jsQR = require('jsqr');
const { PNG } = require('pngjs');

const ZBARIMG = ['-q', '--raw', '-Sdisable', '-Sqrcode.enable', '-Sbinary', '--nodbus'];

// EMVCo's public MPM example: non-ASCII in 64, 64 before 54.
const EMVCO_EXAMPLE = '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678' +
	'520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502' +
	'016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A';

function encode(args, input) {
	const r = T.tillgate(['qr', 'encode', ...args], input ? { input } : undefined);
	if (r.status !== 0 || !/^[^\n]+\n$/.test(r.out))
		throw new Error('qr encode failed\n' + T.explain(r));
	return r.out.slice(0, -1);
}

T.requireBinary();

let payloads;
T.check('make payloads', () => {
	payloads = {
		static: encode(['--name', 'MAMA JUMA SHOP', '--city', 'ARUSHA', '--mcc', '5411', '--currency', '834',
			'--country', 'TZ', '--party-type', 'ALIAS', '--party-id', '10000042']),
		dynamic62: encode(['--name', 'NYAMA CHOMA PALACE', '--city', 'MWANZA', '--mcc', '5814', '--currency', '404',
			'--country', 'KE', '--amount', '250.00', '--party-type', 'BUSINESS', '--party-id', 'NCP-0042',
			'--fsp', 'tillbank', '--bill', 'INV-2024-0001', '--reference', 'ORDER42', '--terminal', 'TILL-03']),
		chinese64: encode([], '{"00":"01","01":"11","26":{"00":"org.tillgate","01":"ALIAS","02":"10000042"},' +
			'"52":"5411","53":"834","58":"TZ","59":"MAMA JUMA SHOP","60":"ARUSHA",' +
			'"64":{"00":"ZH","01":"妈妈朱玛商店","02":"阿鲁沙"}}\n'),
		emvco: EMVCO_EXAMPLE,
	};
});
if (!payloads) T.finish();

// [payload, ec (null = default M), scale (null = default 4), margin (null = default 4)]
const renders = [
	['static', 'L', 2, null],
	['static', null, null, null],
	['static', 'Q', 3, 2],
	['static', 'H', 8, null],
	['dynamic62', 'Q', 3, null],
	['dynamic62', 'M', 6, 1],
	['chinese64', 'H', 4, null],
	['chinese64', 'L', 5, 3],
	['emvco', 'M', 3, null],
	['emvco', 'H', 2, null],
];

function modulesOf(png, scale, margin) {
	if (png.width !== png.height || png.width % scale) return NaN;
	return png.width / scale - 2 * margin;
}

let n = 0;
for (const [key, ec, scale, margin] of renders) {
	const payload = payloads[key];
	const want = Buffer.from(payload, 'utf8');
	const label = `${key} ec=${ec || 'default'} scale=${scale || 'default'} margin=${margin === null ? 'default' : margin}`;
	const file = T.tmpFile(`render-${n++}.png`);
	const args = ['qr', 'render', '--format', 'png'];
	if (ec) args.push('--ec', ec);
	if (scale) args.push('--scale', String(scale));
	if (margin !== null) args.push('--margin', String(margin));
	args.push('-o', file, payload);
	const r = T.tillgate(args);
	if (!T.ok(r.status === 0 && fs.existsSync(file), `${label}: qr render -o FILE exits 0`, () => T.explain(r)))
		continue;
	const bytes = fs.readFileSync(file);

	T.check(`${label}: PNG geometry`, () => {
		const png = PNG.sync.read(bytes);
		const m = modulesOf(png, scale || 4, margin === null ? 4 : margin);
		T.ok(m >= 21 && m <= 177 && (m - 21) % 4 === 0,
			`${label}: ${png.width}x${png.height} px is a whole QR symbol (${m} modules) at that scale and margin`);
	});

	T.check(`${label}: zbarimg`, () => {
		const z = T.run('zbarimg', [...ZBARIMG, file]);
		T.eq(z.stdout, want, `${label}: zbarimg decodes the exact payload`, () => T.explain(z));
	});

	T.check(`${label}: jsqr`, () => {
		const png = PNG.sync.read(bytes);
		const code = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length),
			png.width, png.height, { inversionAttempts: 'dontInvert' });
		T.ok(code !== null, `${label}: jsqr finds the code`);
		if (code)
			T.eq(Buffer.from(code.binaryData), want, `${label}: jsqr decodes the exact payload bytes`);
	});
}

// Higher EC levels need at least as many modules; L and H differ.
T.check('EC levels', () => {
	const sizes = {};
	for (const ec of ['L', 'M', 'Q', 'H']) {
		const file = T.tmpFile(`ec-${ec}.png`);
		const r = T.tillgate(['qr', 'render', '--format', 'png', '--ec', ec, '--scale', '1', '--margin', '0',
			'-o', file, payloads.dynamic62]);
		if (r.status !== 0) throw new Error(T.explain(r));
		sizes[ec] = PNG.sync.read(fs.readFileSync(file)).width;
	}
	T.ok(sizes.L <= sizes.M && sizes.M <= sizes.Q && sizes.Q <= sizes.H && sizes.L < sizes.H,
		'--ec L/M/Q/H give non-decreasing symbol sizes, L < H', () => JSON.stringify(sizes));
});

// PNG on stdout is the same as with -o.
T.check('stdout', () => {
	const file = T.tmpFile('stdout-ref.png');
	const a = T.tillgate(['qr', 'render', '--format', 'png', '--ec', 'Q', '--scale', '3', '-o', file, payloads.static]);
	const b = T.tillgate(['qr', 'render', '--format', 'png', '--ec', 'Q', '--scale', '3', payloads.static]);
	T.ok(a.status === 0 && b.status === 0 && b.stdout.length > 8 &&
		b.stdout.equals(fs.readFileSync(file)),
	'qr render without -o writes the same PNG to stdout', () => T.explain(b));
});

T.finish();
