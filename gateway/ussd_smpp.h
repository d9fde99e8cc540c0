/* ussd_smpp.h -- the SMPP transport of the gateway: the ESME link
 * (ussd/smpp_link.h) made from [smpp], USSD dialogues carried over it
 * into the session table (ussd/ussd_sess.h), and the SMS drain
 * (gateway/sms.h) on the same bind.
 *
 * A deliver_sm is, in this order:
 *   a delivery receipt (esm_class)          -> gateway/sms.h
 *   ussd_service_op absent                  -> not USSD: acknowledged, dropped
 *   the EOS bit of its_session_info, or an
 *   op other than 0, 1, 18 (a vendor abort) -> USSD_ABORT, nothing sent
 *   op 1 or 0 (PSSR/PSSD indication)        -> USSD_BEGIN
 *   op 18 (USSR confirm)                    -> USSD_CONTINUE
 * and the engine's reply goes back as submit_sm op 2 (asks for input)
 * or op 17 (final screen; 16 when it answers an op-0 PSSD), echoing its_session_info (EOS bit set on the
 * final one) or user_message_reference, from the service code to the
 * subscriber, after the deliver_sm_resp.
 *
 * The dialogue key follows [smpp] session_key: "smpp:MSISDN:N" with N
 * the session number (its_session_info octet 1) or the
 * user_message_reference; "smpp:MSISDN" in msisdn mode, and whenever the
 * configured TLV is missing.
 */
#ifndef GW_USSD_SMPP_H
#define GW_USSD_SMPP_H

#include <stddef.h>
#include <stdio.h>

struct gw;
struct ussd_smpp; /* opaque */
struct smpp_link;
struct sms;

/* Makes the link, the glue and the SMS drain for gw (borrowed: its
 * loop, outbox, session table and [smpp] configuration) and starts
 * connecting. On success *out is owned by the caller
 * (ussd_smpp_free()). Returns 0 or a negative errno with a message in
 * err. */
int ussd_smpp_new(struct ussd_smpp **out, struct gw *gw, char *err, size_t errlen);

/* Pushes the first screen r (borrowed) of a network-initiated dialogue
 * (ussd_sess_push()) to msisdn: submit_sm op 2 from [ussd] service_code,
 * service_type "USSD", no correlation TLV. Returns 0; -ENOTCONN (the link
 * is not bound); -EINVAL (the text does not encode); smpp_link_submit()'s
 * codes. */
struct ussd_reply;
int ussd_smpp_push(struct ussd_smpp *u, const char *msisdn, const struct ussd_reply *r);

/* Graceful stop: no new SMS are claimed, the link drains and unbinds. */
void ussd_smpp_stop(struct ussd_smpp *u);

/* 1 once the link is STOPPED after ussd_smpp_stop(). */
int ussd_smpp_stopped(const struct ussd_smpp *u);

/* Frees the link (closing it if still open), then the drain. NULL ok. */
void ussd_smpp_free(struct ussd_smpp *u);

/* Writes the link's and the drain's counters to f as Prometheus text
 * (tillgate_smpp_*); u NULL (SMPP disabled) writes only
 * tillgate_smpp_up 0. */
void ussd_smpp_metrics(const struct ussd_smpp *u, FILE *f);

/* The parts, borrowed, for metrics. */
const struct smpp_link *ussd_smpp_link(const struct ussd_smpp *u);
const struct sms *ussd_smpp_sms(const struct ussd_smpp *u);

#endif /* GW_USSD_SMPP_H */
