/* smpp_pdu.h -- SMPP 3.4 PDUs as Tillgate's ESME sends and receives them:
 * framing of the byte stream, bounds checks of every incoming PDU before
 * libsmpp34 sees it, unpacking of the few PDUs an ESME receives into a
 * flat struct, packing of the PDUs it sends, and a redacting one-line
 * trace for debug logs.
 *
 * No I/O and no state: the link (ussd/smpp_link.h) owns the socket, the
 * sequence numbers and the timers. libsmpp34 is used only from here; its
 * process-global error text (smpp34_strerror) is copied into the
 * caller's err buffer at once, so this module, like the loop, is for one
 * thread.
 *
 * Parsers return bytes consumed, -2 if the input is partial, -1 if it is
 * bad (message in err naming the field and its byte offset in the PDU).
 */
#ifndef USSD_SMPP_PDU_H
#define USSD_SMPP_PDU_H

#include <stddef.h>
#include <stdint.h>

#define SMPP_HDR_LEN 16
/* Largest PDU accepted by default: a deliver_sm with a 254-octet
 * short_message and a few TLVs is far below it. */
#define SMPP_PDU_MAX_DEFAULT 4096u
/* Largest TLV value accepted (libsmpp34 keeps TLV values in 1024 bytes). */
#define SMPP_TLV_MAX 1024u
/* Most TLVs accepted in one PDU. libsmpp34 traces every field it unpacks
 * into its 2048-byte smpp34_strerror, about 54 bytes a TLV after some
 * 570 for the rest of a deliver_sm, and writes past the end of it with
 * 30 or more TLVs (found by fuzz_smpp_pdu under ASan). 16 keeps the
 * trace under 1500 bytes; real PDUs carry a handful. */
#define SMPP_TLV_MAX_COUNT 16

/* Command ids (SMPP 3.4 section 5.1.2.1). */
#define SMPP_GENERIC_NACK 0x80000000u
#define SMPP_BIND_TRANSCEIVER 0x00000009u
#define SMPP_BIND_TRANSCEIVER_RESP 0x80000009u
#define SMPP_SUBMIT_SM 0x00000004u
#define SMPP_SUBMIT_SM_RESP 0x80000004u
#define SMPP_DELIVER_SM 0x00000005u
#define SMPP_DELIVER_SM_RESP 0x80000005u
#define SMPP_UNBIND 0x00000006u
#define SMPP_UNBIND_RESP 0x80000006u
#define SMPP_ENQUIRE_LINK 0x00000015u
#define SMPP_ENQUIRE_LINK_RESP 0x80000015u
#define SMPP_RESP_BIT 0x80000000u

/* command_status values this module and the link answer with or act on. */
#define SMPP_ROK 0x00u
#define SMPP_RINVMSGLEN 0x01u
#define SMPP_RINVCMDLEN 0x02u
#define SMPP_RINVCMDID 0x03u
#define SMPP_RINVBNDSTS 0x04u
#define SMPP_RSYSERR 0x08u
#define SMPP_RTHROTTLED 0x58u
#define SMPP_RX_T_APPN 0x64u
#define SMPP_RX_R_APPN_STATUS 0x66u
#define SMPP_RINVOPTPARSTREAM 0xC0u
#define SMPP_RINVPARLEN 0xC2u

/* TLV tags used. */
#define SMPP_TLV_USER_MESSAGE_REFERENCE 0x0204u
#define SMPP_TLV_MESSAGE_PAYLOAD 0x0424u
#define SMPP_TLV_RECEIPTED_MESSAGE_ID 0x001Eu
#define SMPP_TLV_MESSAGE_STATE 0x0427u
#define SMPP_TLV_USSD_SERVICE_OP 0x0501u
#define SMPP_TLV_ITS_SESSION_INFO 0x1383u

/* ussd_service_op values (SMPP 3.4 section 5.3.2.44). */
#define SMPP_USSD_PSSD_IND 0
#define SMPP_USSD_PSSR_IND 1
#define SMPP_USSD_USSR_REQ 2
#define SMPP_USSD_PSSD_RESP 16
#define SMPP_USSD_PSSR_RESP 17
#define SMPP_USSD_USSR_CONF 18

/* esm_class message type bits of a delivery receipt. */
#define SMPP_ESM_RECEIPT 0x04u

struct smpp_hdr {
	uint32_t len;    /* command_length */
	uint32_t id;     /* command_id */
	uint32_t status; /* command_status */
	uint32_t seq;    /* sequence_number */
};

/* Frames one PDU at the start of buf (n bytes, borrowed). Fills *h from
 * the 16-byte header, read by hand. Returns h->len when a whole PDU is
 * there; -2 if more bytes are needed (fewer than 16, or fewer than
 * command_length); -1 if command_length is below 16 or above max (the
 * stream cannot be trusted from here; *h is still filled). */
int smpp_pdu_frame(const uint8_t *buf, size_t n, size_t max, struct smpp_hdr *h, char *err,
		   size_t errlen);

/* What the ESME receives, unpacked. Strings are NUL-terminated copies. */
struct smpp_in {
	struct smpp_hdr h;
	/* submit_sm_resp */
	char message_id[65];
	/* deliver_sm */
	char service_type[6];
	char source_addr[21];
	char destination_addr[21];
	uint8_t esm_class;
	uint8_t data_coding;
	uint8_t text[SMPP_TLV_MAX]; /* short_message, or message_payload when sm_length is 0 */
	size_t text_len;
	int ussd_op;          /* ussd_service_op, -1 if absent */
	int has_session;      /* its_session_info present */
	uint16_t session;     /* its_session_info, host order */
	int has_umr;          /* user_message_reference present */
	uint16_t umr;         /* user_message_reference */
	char receipted_id[65];/* receipted_message_id TLV, "" if absent */
	int message_state;    /* message_state TLV, -1 if absent */
};

/* Unpacks the whole PDU pdu (len = its command_length, already framed by
 * smpp_pdu_frame(); borrowed) into *in (zeroed first). Known:
 * bind_transceiver_resp, submit_sm_resp, deliver_sm_resp, deliver_sm,
 * enquire_link(_resp), unbind(_resp), generic_nack. Responses whose
 * status is not 0 are taken from the header alone (many SMSCs send them
 * without a body). Unknown TLVs are skipped.
 * Returns 0; -1 with the message in err and *answer set to the status
 * the peer should get: for an unknown command_id SMPP_RINVCMDID (to send
 * as generic_nack); for a bad body SMPP_RINVMSGLEN, SMPP_RINVPARLEN,
 * SMPP_RINVOPTPARSTREAM or SMPP_RSYSERR (to send in the command's
 * response, or generic_nack for a response). */
int smpp_pdu_decode(const uint8_t *pdu, size_t len, struct smpp_in *in, uint32_t *answer,
		    char *err, size_t errlen);

/* Reads a delivery receipt (a deliver_sm with SMPP_ESM_RECEIPT in
 * esm_class): the message id from the receipted_message_id TLV, else
 * from "id:" in the text; the final state from the message_state TLV,
 * else from "stat:" in the text ("DELIVRD" is delivered; EXPIRED,
 * DELETED, UNDELIV, REJECTD and UNKNOWN are failures; ENROUTE and
 * ACCEPTD are not final). Fills id (65 bytes) and stat (8 bytes, e.g.
 * "DELIVRD"); *final is 1 for a final state, *delivered 1 if delivered.
 * Returns 0, or -1 with err naming the field and its offset in the text. */
int smpp_pdu_receipt(const struct smpp_in *in, char id[65], char stat[8], int *final,
		     int *delivered, char *err, size_t errlen);

/* ---- packing: each writes into buf (cap bytes) and returns the PDU's
 * length, or -1 with the reason in err (a field too long for SMPP, or
 * cap too small). ---- */

/* A header-only PDU: enquire_link, enquire_link_resp, generic_nack,
 * unbind, unbind_resp. */
int smpp_pdu_pack_header(uint8_t *buf, size_t cap, uint32_t id, uint32_t status, uint32_t seq,
			 char *err, size_t errlen);

/* bind_transceiver, interface_version 0x34. system_id <= 15,
 * password <= 8, system_type <= 12 bytes (longer is an error, never cut). */
int smpp_pdu_pack_bind(uint8_t *buf, size_t cap, uint32_t seq, const char *system_id,
		       const char *password, const char *system_type, char *err, size_t errlen);

/* deliver_sm_resp (empty message_id). */
int smpp_pdu_pack_deliver_resp(uint8_t *buf, size_t cap, uint32_t seq, uint32_t status,
			       char *err, size_t errlen);

/* One submit_sm. */
struct smpp_submit {
	const char *service_type;    /* "" or NULL: default */
	const char *source_addr;     /* <= 20 bytes */
	const char *dest_addr;       /* <= 20 bytes */
	uint8_t data_coding;
	uint8_t registered_delivery; /* 1: ask for a delivery receipt (SMS) */
	const uint8_t *text;         /* encoded text, borrowed */
	size_t text_len;             /* <= 253 in short_message; longer goes in
				      * message_payload (<= SMPP_TLV_MAX) */
	int ussd_op;                 /* ussd_service_op, -1 for none (SMS) */
	int has_session;             /* echo its_session_info */
	uint16_t session;
	int has_umr;                 /* echo user_message_reference */
	uint16_t umr;
};

int smpp_pdu_pack_submit(uint8_t *buf, size_t cap, uint32_t seq, const struct smpp_submit *s,
			 char *err, size_t errlen);

/* ---- traces ---- */

/* Name of a command id ("submit_sm", ...), or "unknown". */
const char *smpp_pdu_name(uint32_t id);

/* A one-line logfmt-ready trace of a framed PDU (pdu, len borrowed) in
 * out (cap bytes): "cmd=submit_sm seq=7 status=0x0 src=... dst=...
 * op=2 dcs=15 len=12 text=\"...\"". Never prints a bind password
 * (password=***), nor the text of a deliver_sm with ussd_service_op 18
 * (the subscriber's answer, which may be a PIN) or with any other
 * ussd_service_op unless the text is a bare service code ("*384#"; a
 * dialled string may carry a PIN as a direct answer); when secret is set the
 * text of any submit_sm or deliver_sm prints as text=***. A hidden text
 * hides its length too (len=*** text_len=***). Returns out. */
const char *smpp_pdu_trace(const uint8_t *pdu, size_t len, int secret, char *out, size_t cap);

#endif /* USSD_SMPP_PDU_H */
