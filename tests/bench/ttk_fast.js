'use strict';
// ttk_fast.js -- preload for the Testing Toolkit in tests/bench/pay.sh
// (node -r tests/bench/ttk_fast.js tests/ttk/start.js): the "patched"
// Toolkit of /work/shared/notes/ttk.md section 6. Stock, every log line
// is formatted with util.inspect (the whole request context) and
// broadcast to the web UI over socket.io even when no UI is connected,
// and openapi-backend flattens the whole API definition again for every
// request it routes; the Toolkit is then CPU-bound at a few payments a
// second. This preload, for the benchmark only:
//   * logs each message line alone, at the logger's level, without the
//     util.inspect dump and without the UI broadcast (no UI here);
//   * keeps openapi-backend's flattened operation list per definition
//     object instead of rebuilding it on every route match.
// Validation, rules and callbacks are untouched. Loaded before the
// Toolkit, from tests/ttk's node_modules.
const path = require('path');

const ttk = path.join(__dirname, '..', 'ttk');
const from = (m) => require.resolve(m, { paths: [ttk] });
const pkg = path.dirname(from('ml-testing-toolkit/package.json'));

const Logger = require(from('@mojaloop/central-services-logger'));
const reqLog = require(path.join(pkg, 'src', 'lib', 'requestLogger'));
const line = (verbosity, message) => {
	const fn = ['debug', 'warn', 'error'].includes(verbosity) ? verbosity : 'info';
	if (Logger.isLevelEnabled ? Logger.isLevelEnabled(fn) : true)
		Logger[fn](message);
};
reqLog.logMessage = (verbosity, message) => line(verbosity, message);
reqLog.logOutboundRequest = (verbosity, message) => line(verbosity, message);
reqLog.logRequest = async (request) => line('info', `Request: ${request.method} ${request.path}`);
reqLog.logResponse = async (request) => {
	if (request.response)
		line('info', `Response: ${request.method} ${request.path} Status: ${request.response.statusCode}`);
};

const { OpenAPIRouter } = require(path.join(path.dirname(from('openapi-backend/package.json')), 'router'));
const flatten = OpenAPIRouter.prototype.getOperations;
const memo = new WeakMap();
OpenAPIRouter.prototype.getOperations = function () {
	const def = this.definition;
	if (!def || typeof def !== 'object')
		return flatten.call(this);
	let ops = memo.get(def);
	if (!ops) {
		ops = flatten.call(this);
		memo.set(def, ops);
	}
	return ops;
};
