'use strict';
// (b) Payloads made by independent generators (promptpay-qr, pix-utils,
// steplix-emv-qrcps) parse with `tillgate qr parse --json` and yield the
// fields the generator was given; strict mode accepts the strictly valid
// ones and rejects PromptPay credit-transfer codes (no 52, 59, 60).
//
// Run: node tests/interop/peer_encode_parse.test.js   (TILLGATE=... to override)

const T = require('./lib');
const promptpay = require('promptpay-qr');
const pix = require('pix-utils');
const { Merchant } = require('steplix-emv-qrcps');

const PP_GUI = 'A000000677010111';

function steplixCode() {
	const e = Merchant.buildEMVQR();
	e.setPayloadFormatIndicator('01');
	e.setPointOfInitiationMethod('12');
	const a = Merchant.buildMerchantAccountInformation();
	a.setGloballyUniqueIdentifier('org.tillgate');
	a.addPaymentNetworkSpecific('01', 'ALIAS');
	a.addPaymentNetworkSpecific('02', '30000099');
	e.addMerchantAccountInformation('26', a);
	const b = Merchant.buildMerchantAccountInformation();
	b.setGloballyUniqueIdentifier('A0000005240001');
	b.addPaymentNetworkSpecific('01', 'IYABASIRA@BANK');
	e.addMerchantAccountInformation('27', b);
	e.setMerchantCategoryCode('5812');
	e.setTransactionCurrency('566');
	e.setTransactionAmount('3500.00');
	e.setTipOrConvenienceIndicator('02');
	e.setValueOfConvenienceFeeFixed('50.00');
	e.setCountryCode('NG');
	e.setMerchantName('IYA BASIRA FOODS');
	e.setMerchantCity('LAGOS');
	e.setPostalCode('100001');
	const ad = Merchant.buildAdditionalDataFieldTemplate();
	ad.setBillNumber('B-1009');
	ad.setReferenceLabel('LUNCH-42');
	ad.setTerminalLabel('POS2');
	ad.setAdditionalConsumerDataRequest('ME');
	e.setAdditionalDataFieldTemplate(ad);
	const lt = Merchant.buildMerchantInformationLanguageTemplate();
	lt.setLanguagePreference('YO');
	lt.setMerchantName('Oúnjẹ Ìyá Basira');
	lt.setMerchantCity('Èkó');
	e.setMerchantInformationLanguageTemplate(lt);
	const u = Merchant.buildUnreservedTemplate();
	u.setGloballyUniqueIdentifier('org.tillgate.meta');
	u.addContextSpecificData('01', 'v1');
	e.addUnreservedTemplates('80', u);
	e.validate();
	return e.generatePayload();
}

// EMVCo's example accounts: a primitive 02 and a nested 62.50 template.
function steplixNested() {
	const e = Merchant.buildEMVQR();
	e.setPayloadFormatIndicator('01');
	const a = Merchant.buildMerchantAccountInformation();
	a.setGloballyUniqueIdentifier('D15600000000');
	a.addPaymentNetworkSpecific('05', 'A93FO3230Q');
	e.addMerchantAccountInformation('02', a); // 02-25 are primitives: kept as one string
	e.setMerchantCategoryCode('4111');
	e.setTransactionCurrency('156');
	e.setCountryCode('CN');
	e.setMerchantName('BEST TRANSPORT');
	e.setMerchantCity('BEIJING');
	const ad = Merchant.buildAdditionalDataFieldTemplate();
	ad.setStoreLabel('1234');
	const ps = Merchant.buildPaymentSystemSpecific();
	ps.setGloballyUniqueIdentifier('A011223344998877');
	ps.addPaymentSystemSpecific('07', '12345678');
	ad.addPaymentSystemSpecific('50', ps);
	e.setAdditionalDataFieldTemplate(ad);
	e.validate();
	return e.generatePayload();
}

// Each case: the generator's payload, the objects its inputs imply (63
// excepted), and whether EMVCo's strict rules accept it.
const cases = [
	{
		name: 'promptpay-qr mobile number, static',
		payload: promptpay('081-234-5678', {}),
		want: { '00': '01', '01': '11', '29': { '00': PP_GUI, '01': '0066812345678' }, '58': 'TH', '53': '764' },
		strict: false,
	},
	{
		name: 'promptpay-qr national ID with amount',
		payload: promptpay('1-2345-67890-12-3', { amount: 420.5 }),
		want: { '00': '01', '01': '12', '29': { '00': PP_GUI, '02': '1234567890123' }, '58': 'TH', '53': '764', '54': '420.50' },
		strict: false,
	},
	{
		name: 'promptpay-qr e-wallet ID with amount',
		payload: promptpay('123456789012345', { amount: 1000 }),
		want: { '00': '01', '01': '12', '29': { '00': PP_GUI, '03': '123456789012345' }, '58': 'TH', '53': '764', '54': '1000.00' },
		strict: false,
	},
	{
		name: 'pix-utils static Pix with amount and txid',
		payload: pix.createStaticPix({
			merchantName: 'Padaria Sao Jose', merchantCity: 'Sao Paulo', pixKey: 'caixa@padaria.example',
			infoAdicional: 'Pedido 77', transactionAmount: 12.5, txid: 'PED77',
		}).throwIfError().toBRCode(),
		want: {
			'00': '01', '26': { '00': 'br.gov.bcb.pix', '01': 'caixa@padaria.example', '02': 'Pedido 77' },
			'52': '0000', '53': '986', '54': '12.50', '58': 'BR', '59': 'PADARIA SAO JOSE',
			'60': 'SAO PAULO', '62': { '05': 'PED77' },
		},
		strict: true,
	},
	{
		name: 'pix-utils static Pix without amount',
		payload: pix.createStaticPix({
			merchantName: 'Joao da Silva', merchantCity: 'Recife', pixKey: '+5581999998888',
			transactionAmount: 0,
		}).throwIfError().toBRCode(),
		want: {
			'00': '01', '26': { '00': 'br.gov.bcb.pix', '01': '+5581999998888' },
			'52': '0000', '53': '986', '58': 'BR', '59': 'JOAO DA SILVA', '60': 'RECIFE',
			'62': { '05': '***' },
		},
		strict: true,
	},
	{
		name: 'pix-utils static Pix, non-ASCII key and info, 25-character txid, 0.01',
		payload: pix.createStaticPix({
			merchantName: 'Café São João', merchantCity: 'Goiânia', pixKey: 'chave@café.example',
			infoAdicional: 'Pedido nº 77 – açaí', transactionAmount: 0.01, txid: 'ABCDEFGHIJKLMNOPQRSTUVWXY',
		}).throwIfError().toBRCode(),
		want: {
			'00': '01', '26': { '00': 'br.gov.bcb.pix', '01': 'chave@café.example', '02': 'Pedido nº 77 – açaí' },
			'52': '0000', '53': '986', '54': '0.01', '58': 'BR', '59': 'CAFE SAO JOAO', '60': 'GOIANIA',
			'62': { '05': 'ABCDEFGHIJKLMNOPQRSTUVWXY' },
		},
		strict: true,
	},
	{
		name: 'pix-utils dynamic Pix (payload URL)',
		payload: pix.createDynamicPix({
			merchantName: 'Loja Exemplo', merchantCity: 'Curitiba', url: 'pix.example.com/qr/v2/9d36b84f',
		}).throwIfError().toBRCode(),
		want: {
			'00': '01', '26': { '00': 'br.gov.bcb.pix', '25': 'pix.example.com/qr/v2/9d36b84f' },
			'52': '0000', '53': '986', '58': 'BR', '59': 'LOJA EXEMPLO', '60': 'CURITIBA',
			'62': { '05': '***' },
		},
		strict: true,
	},
	{
		name: 'steplix-emv-qrcps builder: two accounts, tip, 61, 62, 64 (non-ASCII), 80',
		payload: steplixCode(),
		want: {
			'00': '01', '01': '12',
			'26': { '00': 'org.tillgate', '01': 'ALIAS', '02': '30000099' },
			'27': { '00': 'A0000005240001', '01': 'IYABASIRA@BANK' },
			'52': '5812', '53': '566', '54': '3500.00', '55': '02', '56': '50.00', '58': 'NG',
			'59': 'IYA BASIRA FOODS', '60': 'LAGOS', '61': '100001',
			'62': { '01': 'B-1009', '05': 'LUNCH-42', '07': 'POS2', '09': 'ME' },
			'64': { '00': 'YO', '01': 'Oúnjẹ Ìyá Basira', '02': 'Èkó' },
			'80': { '00': 'org.tillgate.meta', '01': 'v1' },
		},
		strict: true,
	},
	{
		name: 'steplix-emv-qrcps builder: primitive 02, 62.03 and nested 62.50',
		payload: steplixNested(),
		want: {
			'00': '01', '02': '0012D156000000000510A93FO3230Q', '52': '4111', '53': '156', '58': 'CN',
			'59': 'BEST TRANSPORT', '60': 'BEIJING',
			'62': { '03': '1234', '50': { '00': 'A011223344998877', '07': '12345678' } },
		},
		strict: true,
	},
];

function parseJsonLine(s) {
	try { return JSON.parse(s); } catch (e) { return undefined; }
}

T.requireBinary();

for (const c of cases) {
	const want = { ...c.want, '63': c.payload.slice(-4) };
	T.diag(`payload: ${c.payload}`);
	T.ok(T.crcOk(c.payload), `${c.name}: the generator's CRC is right (reference CRC)`);

	T.check(`${c.name}: default parse`, () => {
		const r = T.tillgate(['qr', 'parse', '--json', c.payload]);
		const j = parseJsonLine(r.out);
		T.ok(r.status === 0, `${c.name}: qr parse --json exits 0`, () => T.explain(r));
		T.eq(j, want, `${c.name}: qr parse --json yields the generator's fields`, () => T.explain(r));
		T.ok(r.out.endsWith('\n') && r.out.indexOf('\n') === r.out.length - 1,
			`${c.name}: --json prints exactly one line`, () => T.explain(r));
		T.eq(T.topKeys(r.out), T.rootIds(c.payload), `${c.name}: --json keys are in payload order`);
		if (c.strict) {
			T.eq(r.err, '', `${c.name}: no warnings for a strictly valid code`);
		} else {
			const w = r.err.split('\n').filter((l) => /^warning: /.test(l));
			T.ok(['52', '59', '60'].every((id) => w.some((l) => l.startsWith(`warning: ${id} `))),
				`${c.name}: default mode warns that 52, 59 and 60 are missing`, () => T.explain(r));
		}
	});

	T.check(`${c.name}: strict parse`, () => {
		const r = T.tillgate(['qr', 'parse', '--strict', '--json', c.payload]);
		if (c.strict) {
			T.ok(r.status === 0, `${c.name}: qr parse --strict accepts it`, () => T.explain(r));
			T.eq(parseJsonLine(r.out), want, `${c.name}: qr parse --strict --json yields the same fields`,
				() => T.explain(r));
		} else {
			T.ok(r.status === 1 && /^error: .+ at offset \d+$/m.test(r.err) && r.out === '',
				`${c.name}: qr parse --strict rejects it (no 52/59/60), exit 1, "error: ... at offset N"`,
				() => T.explain(r));
		}
	});
}

// Batch mode: one payload per line on stdin, one output line per input.
T.check('batch', () => {
	const input = cases.map((c) => c.payload).join('\n') + '\n';
	const r = T.tillgate(['qr', 'parse', '--json', '-'], { input });
	const lines = r.out.split('\n');
	T.ok(r.status === 0 && lines.length === cases.length + 1 && lines[cases.length] === '',
		`batch: qr parse --json - prints ${cases.length} lines, exit 0`, () => T.explain(r));
	T.eq(lines.slice(0, cases.length).map(parseJsonLine),
		cases.map((c) => ({ ...c.want, '63': c.payload.slice(-4) })),
		'batch: each line yields the fields of its payload');

	const s = T.tillgate(['qr', 'parse', '--strict', '--json', '-'], { input });
	const sl = s.out.split('\n');
	T.ok(s.status === 1 && sl.length === cases.length + 1,
		`batch --strict: ${cases.length} lines, exit 1 (some invalid)`, () => T.explain(s));
	cases.forEach((c, i) => {
		const j = parseJsonLine(sl[i]);
		if (c.strict)
			T.eq(j, { ...c.want, '63': c.payload.slice(-4) }, `batch --strict line ${i + 1} (${c.name}): fields`);
		else
			T.ok(j && typeof j.error === 'string' && j.error.length > 0 && Number.isInteger(j.offset) &&
				Object.keys(j).length === 2,
			`batch --strict line ${i + 1} (${c.name}): {"error":...,"offset":N}`, () => `line: ${sl[i]}`);
	});
});

T.finish();
