'use strict';
// Shared helpers for the interop scripts: a minimal TAP writer, a runner
// for the tillgate binary, temp files, and a reference CRC.
//
// Every script prints `ok N - ...` / `not ok N - ...` lines (with `# `
// diagnostics under a failure), then the plan `1..N`, and exits 1 if any
// check failed or anything threw.

const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');
const { spawnSync } = require('child_process');

const REPO = path.resolve(__dirname, '..', '..');
const TILLGATE = process.env.TILLGATE
	? path.resolve(process.env.TILLGATE)
	: path.join(REPO, 'build', 'tillgate');

let count = 0;
let failed = 0;
let tmp = null;

function diag(text) {
	for (const line of String(text).split('\n'))
		console.log('# ' + line);
}

function show(v) {
	if (Buffer.isBuffer(v))
		return 'Buffer ' + JSON.stringify(v.toString('utf8'));
	return util.inspect(v, { depth: 6, breakLength: 120 });
}

// ok(cond, desc[, details]): details is a string or a function returning
// one, printed only on failure.
function ok(cond, desc, details) {
	count++;
	if (cond) {
		console.log(`ok ${count} - ${desc}`);
		return true;
	}
	failed++;
	console.log(`not ok ${count} - ${desc}`);
	if (details !== undefined)
		diag(typeof details === 'function' ? details() : details);
	return false;
}

function isDeepEqual(a, b) {
	return util.isDeepStrictEqual(a, b);
}

function eq(actual, expected, desc, extra) {
	const same = Buffer.isBuffer(actual) && Buffer.isBuffer(expected)
		? actual.equals(expected) : isDeepEqual(actual, expected);
	return ok(same, desc, () =>
		`expected: ${show(expected)}\n     got: ${show(actual)}` +
		(extra ? '\n' + (typeof extra === 'function' ? extra() : extra) : ''));
}

// check(desc, fn): runs fn; an exception becomes a failed check.
function check(desc, fn) {
	try {
		return fn();
	} catch (e) {
		return ok(false, desc + ' (threw)', e && e.stack ? e.stack : String(e));
	}
}

function tmpDir() {
	if (!tmp)
		tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tillgate-interop-'));
	return tmp;
}

function tmpFile(name) {
	return path.join(tmpDir(), name);
}

function cleanup() {
	if (tmp) {
		fs.rmSync(tmp, { recursive: true, force: true });
		tmp = null;
	}
}

// Runs a program; stdout is a Buffer (payloads and PNGs are bytes).
function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, {
		input: opts.input,
		timeout: opts.timeout || 20000,
		maxBuffer: 16 << 20,
	});
	if (r.error)
		throw new Error(`${cmd}: ${r.error.message}`);
	return {
		status: r.status,
		signal: r.signal,
		stdout: r.stdout,
		out: r.stdout.toString('utf8'),
		err: r.stderr.toString('utf8'),
		cmdline: [cmd, ...args].map((a) => (/^[\w./=:-]+$/.test(a) ? a : JSON.stringify(a))).join(' '),
	};
}

function tillgate(args, opts) {
	return run(TILLGATE, args, opts);
}

// A one-line summary of a command's result for diagnostics.
function explain(r) {
	return `$ ${r.cmdline}\nexit ${r.status}${r.signal ? ' signal ' + r.signal : ''}\n` +
		`stdout: ${JSON.stringify(r.out.slice(0, 600))}\nstderr: ${JSON.stringify(r.err.slice(0, 600))}`;
}

// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of the UTF-8 bytes of s,
// as four upper-case hex digits. Written here as the test's own reference.
function crc16(s) {
	const buf = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
	let crc = 0xffff;
	for (const byte of buf) {
		crc ^= byte << 8;
		for (let i = 0; i < 8; i++)
			crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
	}
	return crc.toString(16).toUpperCase().padStart(4, '0');
}

// Checks a payload's CRC against crc16() over everything before the
// CRC value (the "6304" included).
function crcOk(payload) {
	return /6304[0-9A-F]{4}$/.test(payload) && crc16(payload.slice(0, -4)) === payload.slice(-4);
}

// Top-level TLV IDs in payload order (lengths in code points). Returns
// null if the payload does not walk cleanly.
function rootIds(payload) {
	const cp = Array.from(payload);
	const ids = [];
	let i = 0;
	while (i < cp.length) {
		if (i + 4 > cp.length) return null;
		const id = cp.slice(i, i + 2).join('');
		const len = cp.slice(i + 2, i + 4).join('');
		if (!/^\d\d$/.test(id) || !/^\d\d$/.test(len)) return null;
		i += 4 + Number(len);
		if (i > cp.length) return null;
		ids.push(id);
	}
	return ids;
}

// Top-level keys of a JSON object text, in the order written (JSON.parse
// puts integer-like keys such as "26" before "00"). null if not an object.
function topKeys(text) {
	const keys = [];
	let depth = 0;
	let i = 0;
	const n = text.length;
	while (i < n) {
		const ch = text[i];
		if (ch === '"') {
			let j = i + 1;
			while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
			const str = text.slice(i + 1, j);
			i = j + 1;
			while (i < n && /\s/.test(text[i])) i++;
			if (depth === 1 && text[i] === ':') keys.push(str);
			continue;
		}
		if (ch === '{' || ch === '[') depth++;
		else if (ch === '}' || ch === ']') depth--;
		else if (depth === 0 && !/\s/.test(ch)) return null;
		i++;
	}
	return keys;
}

// IDs whose values Tillgate's --json shows as objects.
function isTemplateId(id) {
	const n = Number(id);
	return (n >= 26 && n <= 51) || n === 62 || n === 64 || n >= 80;
}

function requireBinary() {
	const exists = fs.existsSync(TILLGATE);
	ok(exists, `tillgate binary exists (${TILLGATE})`,
		'build it first (make), or set TILLGATE=/path/to/tillgate');
	if (!exists)
		finish();
}

function finish() {
	cleanup();
	console.log(`1..${count}`);
	if (failed)
		diag(`${failed} of ${count} checks failed`);
	process.exit(failed ? 1 : 0);
}

process.on('uncaughtException', (e) => {
	count++;
	failed++;
	console.log(`not ok ${count} - uncaught exception`);
	diag(e && e.stack ? e.stack : String(e));
	finish();
});
process.on('unhandledRejection', (e) => {
	count++;
	failed++;
	console.log(`not ok ${count} - unhandled rejection`);
	diag(e && e.stack ? e.stack : String(e));
	finish();
});

module.exports = {
	REPO, TILLGATE, ok, eq, check, diag, run, tillgate, explain,
	tmpDir, tmpFile, cleanup, crc16, crcOk, rootIds, topKeys, isTemplateId,
	requireBinary, finish, isDeepEqual,
};
