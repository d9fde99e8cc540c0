/* kyb_builtin.h -- the KYB data files compiled into the binary:
 * data/kyb-tiers.conf and data/mcc.tsv, byte for byte, so that the gateway
 * runs with no file beside it. The Makefile generates $(BUILD)/gen/kyb_data.h
 * from them (DO NOT EDIT that header; edit the data files).
 */
#ifndef KYB_BUILTIN_H
#define KYB_BUILTIN_H

#include <stddef.h>

/* The text of data/kyb-tiers.conf as built in; sets *len to its length in
 * bytes. Static storage, NUL-terminated; never NULL. */
const char *kyb_builtin_tiers(size_t *len);

/* The same for data/mcc.tsv. */
const char *kyb_builtin_mcc(size_t *len);

#endif
