# intaked -- build, test, install, demo, bench, fuzz.
#
# Every library comes through pkg-config except libetpan, whose .pc file
# adds a dpkg link spec and needless libraries on Debian: it is linked as
# plain -letpan.  Objects go to $(BUILD)/; `make asan` builds the same
# sources into build-asan/ with AddressSanitizer and UBSan and runs the
# tests there.

PREFIX	?= /usr/local
DESTDIR	?=
BUILD	?= build
SHARED	?= ../shared

PKGS	 = libcurl libpcre2-8 sqlite3 inih libutf8proc libxml-2.0 libsystemd gnutls
CC	?= cc
WARN	 = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes
OPT	?= -O2 -g
SAN	?=
CPPFLAGS += -D_GNU_SOURCE -iquote parsers -iquote daemon \
	    -DDATADIR='"$(PREFIX)/share/intaked"'
CFLAGS	+= -std=gnu11 -pthread $(OPT) $(WARN) $(SAN) \
	   $(shell pkg-config --cflags $(PKGS))
LDLIBS	+= $(shell pkg-config --libs $(PKGS)) -letpan
LDFLAGS	+= -pthread $(SAN)

TEST_CFLAGS = $(shell pkg-config --cflags cmocka)
TEST_LIBS   = $(shell pkg-config --libs cmocka)

PARSER_SRCS = parsers/buf.c parsers/xmalloc.c parsers/fields.c \
	parsers/text.c parsers/mime.c parsers/html.c parsers/quote.c \
	parsers/validate.c parsers/form.c parsers/extract.c \
	parsers/intake.c parsers/json.c parsers/etconv.c
DAEMON_SRCS = daemon/log.c daemon/config.c daemon/store.c daemon/merge.c \
	daemon/reply.c daemon/smtp.c daemon/tls.c daemon/imap.c \
	daemon/worker.c daemon/process.c daemon/outbox.c \
	daemon/report.c daemon/digest.c
LIB_SRCS    = $(PARSER_SRCS) $(DAEMON_SRCS)

UNIT_TESTS  = buf text mime html quote validate form extract intake \
	config store merge reply worker
INTEGRATION_TESTS = smtp imap

LIB_OBJS    = $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB	    = $(BUILD)/libintake.a
PROGS	    = $(BUILD)/intaked $(BUILD)/intakectl
TEST_BINS   = $(UNIT_TESTS:%=$(BUILD)/tests/test_%)
ITEST_BINS  = $(INTEGRATION_TESTS:%=$(BUILD)/itests/test_%)

Q = @
ifeq ($(V),1)
Q =
endif

.PHONY: all check test asan lint bootstrap install demo bench fuzz clean FORCE

all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# The installed data directory is compiled into config.c and intakectl.c:
# they are built again when PREFIX changes.
$(BUILD)/.prefix: FORCE
	@mkdir -p $(dir $@)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
$(BUILD)/daemon/config.o $(BUILD)/daemon/intakectl.o: $(BUILD)/.prefix
FORCE:

$(BUILD)/intaked: $(BUILD)/daemon/intaked.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/intakectl: $(BUILD)/daemon/intakectl.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

$(BUILD)/itests/%.o: tests/integration/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(TEST_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/itests/test_%: $(BUILD)/itests/test_%.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

bootstrap:
	$(Q)scripts/bootstrap

# The README's test command: every suite, plain and under the sanitizers.
check: bootstrap
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory all tests-build
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan OPT='-O1 -g' \
	    SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	    all tests-build
	$(Q)$(MAKE) --no-print-directory BUILD=build-tsan OPT='-O1 -g' \
	    SAN='-fsanitize=thread' all
	$(Q)TSAN_BUILD=build-tsan tests/run-all build build-asan

tests-build: $(PROGS) $(TEST_BINS) $(ITEST_BINS)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer only.
asan: bootstrap
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan OPT='-O1 -g' \
	    SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	    all tests-build
	$(Q)tests/run-all build-asan

# Functions that invite overflows have no place here (curl's checksrc).
lint:
	$(Q)if grep -nE '\<(sprintf|vsprintf|strcpy|strcat|gets|strtok)[[:space:]]*\(' \
	    parsers/*.c daemon/*.c tests/unit/*.c tests/integration/*.c \
	    tests/fuzz/*.c 2>/dev/null; then \
	    echo "lint: banned function above" >&2; exit 1; fi

# Units and man pages name the installed paths: @SBINDIR@ and the like are
# filled in here.
BINDIR	     = $(PREFIX)/bin
SBINDIR	     = $(PREFIX)/sbin
DATADIR_I    = $(PREFIX)/share/intaked
DOCDIR	     = $(PREFIX)/share/doc/intaked
MANDIR	     = $(PREFIX)/share/man
UNITDIR	    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SUBST	     = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	       -e 's|@DATADIR@|$(DATADIR_I)|g' -e 's|@DOCDIR@|$(DOCDIR)|g'
UNITS	     = intaked.service intaked@.service intaked-digest.service \
	       intaked-digest.timer intaked-digest@.service intaked-digest@.timer
MANPAGES     = intakectl.1 intaked.conf.5 intaked.8

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(DATADIR_I)/forms $(DESTDIR)$(DATADIR_I)/data \
	    $(DESTDIR)$(DATADIR_I)/templates $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BUILD)/intaked $(DESTDIR)$(SBINDIR)/intaked
	install -m 755 $(BUILD)/intakectl $(DESTDIR)$(BINDIR)/intakectl
	install -m 644 forms/*.form $(DESTDIR)$(DATADIR_I)/forms/
	install -m 644 data/parties.tsv data/freemail.txt \
	    $(DESTDIR)$(DATADIR_I)/data/
	install -m 644 templates/* $(DESTDIR)$(DATADIR_I)/templates/
	install -m 644 intaked.conf.example README.md $(DESTDIR)$(DOCDIR)/
	for u in $(UNITS); do \
	    $(SUBST) systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -m 644 systemd/intaked.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/intaked.conf
	for m in $(MANPAGES); do \
	    sec=$${m##*.}; \
	    $(SUBST) man/$$m > $(DESTDIR)$(MANDIR)/man$$sec/$$m && \
	    chmod 644 $(DESTDIR)$(MANDIR)/man$$sec/$$m || exit 1; done

demo: bootstrap all
	$(Q)scripts/demo

$(BUILD)/bench/floor: tests/bench/floor.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/peakrss: tests/bench/peakrss.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -o $@ $<

bench: bootstrap all $(BUILD)/bench/floor $(BUILD)/bench/peakrss
	$(Q)tests/bench/run

# ---- fuzzing (tests/fuzz/README.md) --------------------------------------
# Each target tests/fuzz/fuzz_NAME.c builds into $(BUILD)/fuzz/fuzz_NAME:
# with libFuzzer in build-fuzz/ (clang, `make fuzz`), and with the small
# replay main of tests/fuzz/replay.c in every other build, where
# tests/fuzz/run-regress replays the inputs of tests/fuzz/regress/.
FUZZ_TARGETS = parse form config reply
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all
FUZZ_BINS     = $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_MAIN    ?= $(BUILD)/fuzz/replay.o
FUZZ_LINK    ?=
# fuzz_config watches which password files config.c opens.
FUZZ_LINK_config = -Wl,--wrap=open

.PRECIOUS: $(BUILD)/fuzz/%.o

.PHONY: fuzz-build fuzz-clean

$(BUILD)/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CPPFLAGS) -iquote tests/fuzz $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/common.o \
    $(FUZZ_MAIN) $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) $(FUZZ_LINK) $(FUZZ_LINK_$*) -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# The replay drivers are built with the tests, for tests/fuzz/regress.
tests-build: $(FUZZ_BINS)

# Build the targets with libFuzzer and run each for FUZZ_SECONDS,
# FUZZ_JOBS at a time; non-zero exit on any finding.
fuzz:
	$(Q)if ! echo 'int LLVMFuzzerTestOneInput(void){return 0;}' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer,address,undefined \
	    -o /dev/null - 2>/dev/null; \
	    then echo "fuzz: $(FUZZ_CC) cannot build with libFuzzer and" \
	    "AddressSanitizer (Debian: apt-get install clang" \
	    "libclang-rt-14-dev)" >&2; exit 1; fi
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	    OPT='-O1 -g' SAN='-fsanitize=fuzzer-no-link $(FUZZ_SAN)' \
	    FUZZ_MAIN= FUZZ_LINK=-fsanitize=fuzzer fuzz-build
	$(Q)tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS) \
	    $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

clean:
	rm -rf build build-asan build-tsan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
