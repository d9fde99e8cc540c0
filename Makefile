# Makefile -- build, test, fuzz and benchmark Tillgate.
#
#   make            build build/tillgate (CC=clang works too)
#   make run        build and start the daemon (data in ./var, HTTP on 127.0.0.1:8080)
#   make demo       make a merchant QR code, draw it and parse it back
#   make test       install what is missing, build with ASan+UBSan into
#                   build/san, run every test; ends with "N passed, N failed"
#   make fuzz       libFuzzer targets (clang) in build/fuzz
#   make bench      benchmark program against its peers (never part of test)
#   make clean
#
# Variables: BUILD (output folder), CC, OPT, SANITIZER (e.g.
# address,undefined), WERROR=0 to drop -Werror, V=1 for full commands.
# Changing CC or flags rebuilds everything (see $(BUILD)/.build-flags).

BUILD ?= build
SANITIZER ?=
WERROR ?= 1
OPT ?= -O2 -g

PKGS := libqrencode zbar libpng jansson sqlite3 libcrypto libmicrohttpd libsmpp34 libsodium libcurl
# Recursive (=) on purpose: evaluated only when a compile runs, so that
# 'make test' can install the packages first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-qual -Wmissing-prototypes \
	-Wstrict-prototypes -Wwrite-strings -Wformat=2 -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifneq ($(SANITIZER),)
SANFLAGS := -fsanitize=$(SANITIZER) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(OPT) \
	$(SANFLAGS) -I. -I$(BUILD)/gen $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Library modules: everything but main.c goes into libtillgate.a, which
# the binary, the unit tests, the fuzz replayers and the benchmark link.
MAIN_SRC := gateway/main.c
MOD_SRCS := $(filter-out $(MAIN_SRC),$(sort $(wildcard qr/*.c kyb/*.c merchant/*.c ussd/*.c gateway/*.c)))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

MOD_OBJS := $(MOD_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(MAIN_SRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libtillgate.a
BIN := $(BUILD)/tillgate
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=$(BUILD)/tests/replay_%)
BENCH_BIN := $(BUILD)/bench_qr
FLAGS_FILE := $(BUILD)/.build-flags

DEPS := $(MOD_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BINS:=.d) $(REPLAY_BINS:=.d) $(BENCH_BIN).d \
	$(BUILD)/echo_esme.d $(BUILD)/tests/switch_ttk.d

.PHONY: all run demo test test-build check fuzz bench clean deps FORCE
.DEFAULT_GOAL := all

all: $(BIN)

# Rewritten only when the compiler or the flags differ, so that a change
# of either rebuilds every object.
$(FLAGS_FILE): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LIBS)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/obj/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(MOD_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BIN): $(MAIN_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(MAIN_OBJ) $(LIB) $(LIBS) -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB) $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d $< $(ALL_LDFLAGS) $(LIB) $(LIBS) -lcmocka -o $@

$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB) $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  REPLAY  $@")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d $< tests/fuzz/replay.c $(ALL_LDFLAGS) $(LIB) $(LIBS) -o $@

# The FSPIOP connector against the Testing Toolkit (tests/cli/switch_ttk.sh).
$(BUILD)/tests/switch_ttk: tests/switch/switch_ttk.c $(LIB) $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d $< $(ALL_LDFLAGS) $(LIB) $(LIBS) -o $@

$(BUILD)/echo_esme: tests/bench/echo_esme.c $(LIB) $(FLAGS_FILE)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d $< $(ALL_LDFLAGS) $(LIB) $(LIBS) -o $@

$(BENCH_BIN): tests/bench/bench_qr.c $(LIB) $(FLAGS_FILE)
	@$(if $(Q),echo "  BENCH   $@")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -MF $@.d $< $(ALL_LDFLAGS) $(LIB) $(LIBS) -o $@

# The schema and its migrations, compiled into the binary (DO NOT EDIT
# the generated header; edit data/schema.sql and data/migrations/).
SQL_SRCS := data/schema.sql $(sort $(wildcard data/migrations/*.sql))
$(BUILD)/gen/db_schema.h: data/sql2c.sh $(SQL_SRCS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)sh data/sql2c.sh $(SQL_SRCS) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gateway/db.o: $(BUILD)/gen/db_schema.h

# KYB tier defaults and MCC labels, compiled into the binary (DO NOT EDIT
# the generated header; edit data/kyb-tiers.conf and data/mcc.tsv).
KYB_DATA := data/kyb-tiers.conf data/mcc.tsv
$(BUILD)/gen/kyb_data.h: $(KYB_DATA)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)for f in $(KYB_DATA); do \
		printf '/* %s: DO NOT EDIT, generated by the Makefile */\nstatic const char kyb_data_%s[] =\n' \
			"$$f" "$$(basename "$$f" | tr -c 'a-z0-9\n' '_')"; \
		sed -e 's/[\\"?]/\\&/g' -e 's/\t/\\t/g' -e 's/^/"/' -e 's/$$/\\n"/' "$$f"; \
		echo ';'; \
	done > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/kyb/kyb_builtin.o: $(BUILD)/gen/kyb_data.h

# The USSD menu texts, compiled into the binary ([ussd] locale_dir may
# replace them at run time). DO NOT EDIT the generated header; edit
# data/locale/*.ini.
LOCALE_DATA := data/locale/en.ini data/locale/sw.ini data/locale/fr.ini
$(BUILD)/gen/ussd_locale_data.h: $(LOCALE_DATA)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)for f in $(LOCALE_DATA); do \
		printf '/* %s: DO NOT EDIT, generated by the Makefile */\nstatic const char locale_%s[] =\n' \
			"$$f" "$$(basename "$$f" | tr -c 'a-z0-9\n' '_')"; \
		sed -e 's/[\\"?]/\\&/g' -e 's/\t/\\t/g' -e 's/^/"/' -e 's/$$/\\n"/' "$$f"; \
		echo ';'; \
	done > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/ussd/ussd_locale.o: $(BUILD)/gen/ussd_locale_data.h

-include $(DEPS)

# The daemon with the example configuration: data in ./var, HTTP on
# 127.0.0.1:8080. The first start prints the admin URL and API keys.
run:
	@sh tests/deps.sh build
	@$(MAKE) --no-print-directory $(BIN)
	$(BIN) serve -c data/tillgate.conf.example

# A merchant QR code made, drawn in the terminal and parsed back.
demo:
	@sh tests/deps.sh build
	@$(MAKE) --no-print-directory $(BIN)
	@sh tests/demo.sh $(BIN)

# Everything the test run needs, built in one folder.
test-build: $(BIN) $(UNIT_BINS) $(REPLAY_BINS) $(BUILD)/tests/switch_ttk

deps:
	@sh tests/deps.sh

test: deps
	@$(MAKE) --no-print-directory BUILD=build/san SANITIZER=address,undefined OPT='-O1 -g' test-build
	@echo "  CHECK   clang build, -Werror"
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang test-build
	@sh tests/run.sh build/san

check: test

# libFuzzer targets: build/fuzz/fuzz_NAME, run e.g.
#   build/fuzz/fuzz_qr_emv -max_total_time=600 -dict=tests/fuzz/qr_emv.dict \
#       /tmp/corpus tests/fuzz/corpus/qr_emv
fuzz:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang SANITIZER=address,undefined \
		OPT='-O1 -g -fsanitize=fuzzer-no-link -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION' fuzz-targets

FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/%)
.PHONY: fuzz-targets
fuzz-targets: $(FUZZ_BINS)
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB) $(FLAGS_FILE)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $< $(ALL_LDFLAGS) $(LIB) $(LIBS) -o $@

bench:
	@$(MAKE) --no-print-directory BUILD=build/bench OPT='-O2 -g -DNDEBUG' build/bench/tillgate build/bench/bench_qr build/bench/echo_esme
	@sh tests/bench/run.sh build/bench
	@sh tests/bench/api.sh build/bench
	@sh tests/bench/ussd.sh build/bench
	@sh tests/bench/pay.sh build/bench

clean:
	rm -rf build

FORCE:
