/* ussd_flows.c -- the main menu's entries, in order: one line per flow
 * (ussd/ussd_menu.h says how to write one). Each caller sees the
 * entries whose who matches: an unknown number "Register business" and
 * "Pay merchant", a merchant owner "My business", a customer waiting for
 * activation "Activate my account", an active customer "Pay merchant",
 * everyone "Language", then for customers "Payment requests" and "Change
 * PIN" (after Language, so that the numbers above stay as they were).
 */
#include <stddef.h>

#include "ussd/ussd_menu.h"

const struct ussd_flow *const ussd_main_flows[] = {
	&ussd_flow_reg,
	&ussd_flow_biz,
	&ussd_flow_cust,
	&ussd_flow_pay,
	&ussd_flow_lang,
	&ussd_flow_rtp,
	&ussd_flow_cpin,
	NULL,
};
