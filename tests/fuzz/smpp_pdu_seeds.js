// smpp_pdu_seeds.js -- writes the seed corpus of fuzz_smpp_pdu (real PDUs
// encoded by node-smpp): cd tests/interop && NODE_PATH=$PWD/node_modules
//   node ../fuzz/smpp_pdu_seeds.js ../fuzz/corpus/smpp_pdu
const smpp = require('smpp');
const fs = require('fs');
const dir = process.argv[2];
const pdus = {
  deliver_ussd_begin: new smpp.PDU('deliver_sm', { sequence_number: 1, service_type: 'USSD', source_addr_ton: 1, source_addr_npi: 1, source_addr: '255712345678', destination_addr: '*384#', data_coding: 15, short_message: '*384#', ussd_service_op: 1, its_session_info: Buffer.from([0x11, 0x00]) }),
  deliver_ussd_continue: new smpp.PDU('deliver_sm', { sequence_number: 2, source_addr: '255712345678', destination_addr: '*384#', short_message: '2', ussd_service_op: 18, user_message_reference: 77 }),
  deliver_ussd_abort: new smpp.PDU('deliver_sm', { sequence_number: 3, source_addr: '255712345678', destination_addr: '*384#', short_message: '', ussd_service_op: 0x81, its_session_info: Buffer.from([0x11, 0x01]) }),
  deliver_receipt: new smpp.PDU('deliver_sm', { sequence_number: 4, source_addr: '255712345678', destination_addr: 'Tillgate', esm_class: 4, short_message: 'id:abc123 sub:001 dlvrd:001 submit date:2611280315 done date:2611280316 stat:DELIVRD err:000 text:Your till', receipted_message_id: 'abc123', message_state: 2 }),
  deliver_ucs2: new smpp.PDU('deliver_sm', { sequence_number: 5, source_addr: '255712345678', destination_addr: '*384#', data_coding: 8, short_message: { message: Buffer.from([0, 0x31, 0x20, 0xac]) }, ussd_service_op: 18 }),
  submit_sm_resp: new smpp.PDU('submit_sm_resp', { sequence_number: 6, message_id: 'abc123' }),
  submit_sm_resp_throttled: new smpp.PDU('submit_sm_resp', { sequence_number: 7, command_status: 0x58 }),
  bind_transceiver_resp: new smpp.PDU('bind_transceiver_resp', { sequence_number: 8, system_id: 'SMSC' }),
  bind_transceiver_resp_refused: new smpp.PDU('bind_transceiver_resp', { sequence_number: 9, command_status: 0x0e }),
  enquire_link: new smpp.PDU('enquire_link', { sequence_number: 10 }),
  enquire_link_resp: new smpp.PDU('enquire_link_resp', { sequence_number: 11 }),
  unbind: new smpp.PDU('unbind', { sequence_number: 12 }),
  generic_nack: new smpp.PDU('generic_nack', { sequence_number: 13, command_status: 3 }),
  data_sm: new smpp.PDU('data_sm', { sequence_number: 14, source_addr: '255712345678', destination_addr: '*384#' }),
};
for (const [k, p] of Object.entries(pdus)) { try { fs.writeFileSync(`${dir}/${k}`, p.toBuffer()); } catch (e) { console.log(k, e.message); } }
