'use strict';
// docs/openapi.yaml against the daemon's route table: the document is a
// valid OpenAPI 3 description (@apidevtools/swagger-parser: schema and
// $refs), and `tillgate routes` (the table `tillgate serve` hands to its
// HTTP server) and the document's paths name the same METHOD PATTERN
// pairs, both ways. Path templates are compared as written: the route
// table and OpenAPI both use {name} segments.

const path = require('path');
const SwaggerParser = require('@apidevtools/swagger-parser');
const { REPO, ok, eq, check, diag, tillgate, explain, requireBinary, finish } = require('./lib');

const DOC = path.join(REPO, 'docs', 'openapi.yaml');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// The FSPIOP callbacks the daemon serves at the root (gateway/switch.h)
// and the requests it answers as payee DFSP (gateway/payee.h): they belong to the Mojaloop FSPIOP API, which the switch defines, not to
// Tillgate's own API, so docs/openapi.yaml does not describe them
// (docs/switch.md does). Skipped by name, so that any other undocumented
// route still fails.
const FSPIOP_ROUTES = [
	'PUT /parties/{Type}/{ID}', 'PUT /parties/{Type}/{ID}/error',
	'PUT /quotes/{ID}', 'PUT /quotes/{ID}/error',
	'PUT /transfers/{ID}', 'PUT /transfers/{ID}/error',
	'GET /parties/{Type}/{ID}', 'POST /quotes', 'POST /transfers',
	'PUT /transactionRequests/{ID}', 'PUT /transactionRequests/{ID}/error',
	'PUT /participants/{Type}/{ID}', 'PUT /participants/{Type}/{ID}/error',
];

// The route table as a sorted list of "METHOD PATTERN" strings (the
// FSPIOP callbacks left out), or null.
function servedRoutes() {
	const r = tillgate(['routes']);
	if (!ok(r.status === 0 && r.err === '', 'tillgate routes exits 0, nothing on stderr', () => explain(r)))
		return null;
	const lines = r.out.split('\n').filter((l) => l !== '');
	const bad = lines.filter((l) => !/^[A-Z]+ \/\S*$/.test(l));
	ok(lines.length > 0 && bad.length === 0, `tillgate routes prints ${lines.length} METHOD PATTERN lines`,
		() => `malformed: ${JSON.stringify(bad)}\n${explain(r)}`);
	const dups = lines.filter((l, i) => lines.indexOf(l) !== i);
	eq(dups, [], 'no route twice in the table');
	const fspiop = FSPIOP_ROUTES.filter((x) => lines.includes(x));
	eq(fspiop, FSPIOP_ROUTES, 'the FSPIOP callback routes are served (left out of the comparison)');
	return lines.filter((l) => !FSPIOP_ROUTES.includes(l)).sort();
}

// Every operation of the document as "METHOD PATTERN".
function documented(api) {
	const ops = [];
	for (const [p, item] of Object.entries(api.paths || {}))
		for (const m of METHODS)
			if (item && item[m])
				ops.push(`${m.toUpperCase()} ${p}`);
	return ops.sort();
}

async function main() {
	requireBinary();
	let api = null;
	try {
		// validate() parses the YAML, resolves every $ref and checks the
		// document against the OpenAPI 3.0 schema and swagger-parser's own
		// rules (path parameters declared and matching the template, unique
		// operationIds, ...). It throws on the first error.
		api = await SwaggerParser.validate(DOC);
		ok(true, 'docs/openapi.yaml is a valid OpenAPI document');
	} catch (e) {
		const lines = String(e && e.message ? e.message : e).split('\n');
		ok(false, 'docs/openapi.yaml is a valid OpenAPI document',
			lines.slice(0, 30).join('\n') + (lines.length > 30 ? `\n... ${lines.length - 30} more lines` : ''));
		// Still compare the routes if the YAML at least parses.
		try {
			api = await SwaggerParser.parse(DOC);
		} catch (e2) {
			api = null;
		}
	}
	if (api) {
		eq(api.openapi, '3.0.3', 'the document is OpenAPI 3.0.3');
		// Every /v1 operation needs the Bearer key; /healthz and /metrics none.
		const schemes = api.components && api.components.securitySchemes || {};
		const bearer = Object.keys(schemes).filter((k) =>
			schemes[k].type === 'http' && String(schemes[k].scheme).toLowerCase() === 'bearer');
		ok(bearer.length === 1, 'one HTTP Bearer security scheme', () => JSON.stringify(schemes));
		const noKey = [];
		const noIdem = [];
		for (const [p, item] of Object.entries(api.paths))
			for (const m of METHODS) {
				const op = item[m];
				if (!op)
					continue;
				const sec = op.security || api.security || [];
				const open = sec.length === 0 || sec.some((s) => Object.keys(s).length === 0);
				if (p.startsWith('/v1/') && (open || !sec.some((s) => bearer.some((b) => b in s))))
					noKey.push(`${m.toUpperCase()} ${p}`);
				// The idempotency rule is the admin API's; POST /ussd answers
				// each aggregator request as one dialogue step instead.
				if (m === 'post' && p.startsWith('/v1/')) {
					const params = [...(item.parameters || []), ...(op.parameters || [])];
					if (!params.some((x) => x.in === 'header' && x.name === 'Idempotency-Key'))
						noIdem.push(`POST ${p}`);
				}
			}
		eq(noKey, [], 'every /v1 operation requires the Bearer scheme');
		eq(noIdem, [], 'every /v1 POST takes the Idempotency-Key header');
	}

	const served = check('read the route table', servedRoutes);
	const doc = api ? documented(api) : null;
	if (served && doc) {
		const missingInDoc = served.filter((r) => !doc.includes(r));
		const notServed = doc.filter((r) => !served.includes(r));
		eq(missingInDoc, [], `every served route (${served.length}) is in docs/openapi.yaml`);
		eq(notServed, [], `every operation of docs/openapi.yaml (${doc.length}) is served`);
		if (missingInDoc.length || notServed.length)
			diag('compare: tillgate routes  vs  the paths of docs/openapi.yaml');
	} else {
		ok(false, 'route table and document compared', 'one of the two could not be read');
	}
	finish();
}

main();
