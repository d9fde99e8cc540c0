'use strict';
// loopback.js -- preload for the Testing Toolkit (node -r ./loopback.js,
// or required first by start.js): every net.Server listens on 127.0.0.1
// only, and the admin port TTK hardcodes (5050) becomes TTK_ADMIN_PORT,
// so that tests expose nothing and several instances can run side by side.

const net = require('net');

const ADMIN = Number(process.env.TTK_ADMIN_PORT || 0);
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
	// Forms: listen(port[, host][, backlog][, cb]), listen(options[, cb]),
	// listen(path[, cb]) (a Unix socket: left alone).
	if (args.length && typeof args[0] === 'object' && args[0] !== null) {
		const o = { ...args[0] };
		if (o.path === undefined) {
			o.host = '127.0.0.1';
			if (Number(o.port) === 5050)
				o.port = ADMIN;
		}
		return listen.call(this, o, ...args.slice(1));
	}
	if (typeof args[0] === 'string' && !/^\d+$/.test(args[0]))
		return listen.apply(this, args);
	let port = args.length && typeof args[0] !== 'function' ? Number(args[0]) : 0;
	if (port === 5050)
		port = ADMIN;
	const rest = args.slice(typeof args[0] === 'function' ? 0 : 1);
	if (typeof rest[0] === 'string')
		rest.shift(); // the host asked for: replaced
	return listen.call(this, port, '127.0.0.1', ...rest);
};
