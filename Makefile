# pycontainerd — one non-recursive GNU Makefile.
#
#   make              build build/pycontainerd, build/pcb, build/libpcbcommon.a
#   make check        build and run every test (unit, then integration)
#   make check SAN=1  the same with ASan+UBSan
#   make valgrind     unit tests under valgrind (leaks are errors)
#   make deps         install missing Debian build/test packages (idempotent)
#   make demo         the main job: daemon + build of examples/hello into dist/hello
#   make image        pycontainerd itself as an OCI image (dist/pycontainerd-image), no Docker
#   make install PREFIX=/usr/local [DESTDIR=…]

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
VERSION  := 0.1.0

CC       ?= cc
PKGS     := libmicrohttpd libcurl json-c libuv sqlite3 openssl zlib libdeflate libzstd libsystemd
# pkg-config runs when a recipe needs the flags (recursive variables), so that
# `make deps demo` works on a machine where deps has yet to install the packages.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

WARN     := -Wall -Wextra -Wshadow -Wformat=2 -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -pthread $(WARN) -Icommon $(PKG_CFLAGS) \
            -DPCB_VERSION=\"$(VERSION)\"
LDLIBS   += $(PKG_LIBS) -lpthread -lm
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
BUILD    := build-san
endif

COMMON_SRC := $(sort $(wildcard common/*.c common/*/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
CLIENT_SRC := $(sort $(wildcard client/*.c))
TESTLIB_SRC := $(sort $(wildcard tests/lib/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test-*.c))
ITEST_SRC  := $(sort $(wildcard tests/integration/test-*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/obj/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/obj/%.o)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
ITEST_BIN  := $(ITEST_SRC:tests/integration/%.c=$(BUILD)/tests/%)

LIB      := $(BUILD)/libpcbcommon.a
TESTLIB  := $(BUILD)/libpcbtest.a
DAEMON   := $(BUILD)/pycontainerd
CLIENT   := $(BUILD)/pcb
TOMLDEC  := $(BUILD)/pcb-toml-decode
MKIMAGE  := $(BUILD)/pcb-mkimage

.PHONY: all check unit integration valgrind deps demo install clean bench fuzz image
# Keep intermediate objects of the test chains (make would delete them and rebuild each time).
.SECONDARY:
all: $(LIB) $(DAEMON) $(CLIENT) $(TOMLDEC) $(MKIMAGE)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(TESTLIB): $(TESTLIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DAEMON): $(DAEMON_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(CLIENT): $(CLIENT_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(TOMLDEC): $(BUILD)/obj/tools/pcb-toml-decode.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(MKIMAGE): $(BUILD)/obj/tools/pcb-mkimage.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The daemon serves api/openapi.yaml from its own bytes (.incbin in api-version.c).
$(BUILD)/obj/daemon/api-version.o: api/openapi.yaml

$(BUILD)/obj/tests/%.o: CFLAGS += $(CHECK_CFLAGS) -Itests/lib

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TESTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(BUILD)/tests/itest-%: $(BUILD)/obj/tests/integration/itest-%.o $(TESTLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

# Integration test binaries are named test-*.c in tests/integration; give them an itest- prefix.
ITEST_BIN  := $(ITEST_SRC:tests/integration/test-%.c=$(BUILD)/tests/itest-%)
$(BUILD)/obj/tests/integration/itest-%.o: tests/integration/test-%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# Tests find the binaries under test through these variables.
TEST_ENV := PCB_BUILD_DIR=$(abspath $(BUILD)) PCB_SOURCE_DIR=$(abspath .) CK_DEFAULT_TIMEOUT=120

check: all $(UNIT_BIN) $(ITEST_BIN)
	@tests/run-tests.sh "$(TEST_ENV)" $(UNIT_BIN) $(ITEST_BIN)

unit: all $(UNIT_BIN)
	@tests/run-tests.sh "$(TEST_ENV)" $(UNIT_BIN)

integration: all $(ITEST_BIN)
	@tests/run-tests.sh "$(TEST_ENV)" $(ITEST_BIN)

# Valgrind: CK_FORK=no so leaks in test bodies are seen; --errors-for-leak-kinds=definite,indirect.
valgrind: all $(UNIT_BIN) $(ITEST_BIN)
	@PCB_VALGRIND=1 tests/run-tests.sh "$(TEST_ENV) CK_FORK=no" $(UNIT_BIN) $(ITEST_BIN)

deps:
	@tools/install-deps.sh

# Benchmarks: medians over BENCH_RUNS runs, each beside a baseline measured in the same run.
BENCH_RUNS ?= 5
bench: all
	@tools/bench.sh "$(abspath $(BUILD))" $(BENCH_RUNS)

# Coverage-guided fuzzing of the parsers (libFuzzer via clang) for FUZZ_SECONDS per harness;
# crashes land in tests/fuzz/regressions/, which `make check` replays.
FUZZ_SECONDS ?= 60
fuzz:
	@tools/fuzz.sh "$(abspath $(BUILD))" $(FUZZ_SECONDS)

demo: all
	@tools/demo.sh "$(abspath $(BUILD))"

# pycontainerd itself as an OCI image layout (see "Running it in a container" in README.md).
IMAGE_DIR  ?= dist/pycontainerd-image
IMAGE_USER ?= 0:0
image: all
	@IMAGE_USER="$(IMAGE_USER)" tools/make-image.sh "$(abspath $(BUILD))" "$(abspath $(IMAGE_DIR))"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/lib/systemd/user $(DESTDIR)$(PREFIX)/lib/sysusers.d \
	    $(DESTDIR)$(PREFIX)/lib/tmpfiles.d $(DESTDIR)$(PREFIX)/share/doc/pycontainerd \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(DAEMON) $(CLIENT) $(DESTDIR)$(PREFIX)/bin/
	sed 's|@BINDIR@|$(PREFIX)/bin|g' systemd/pycontainerd.service.in \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/system/pycontainerd.service
	install -m 0644 systemd/pycontainerd.socket $(DESTDIR)$(PREFIX)/lib/systemd/system/
	sed 's|@BINDIR@|$(PREFIX)/bin|g' systemd/user/pycontainerd.service.in \
	    > $(DESTDIR)$(PREFIX)/lib/systemd/user/pycontainerd.service
	install -m 0644 systemd/user/pycontainerd.socket $(DESTDIR)$(PREFIX)/lib/systemd/user/
	install -m 0644 systemd/pycontainerd.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/pycontainerd.conf
	install -m 0644 systemd/pycontainerd.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/pycontainerd.conf
	install -m 0644 systemd/config.toml $(DESTDIR)$(PREFIX)/share/doc/pycontainerd/config.toml
	install -m 0644 man/pcb.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/pycontainerd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	$(CLIENT) completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/pcb
	$(CLIENT) completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_pcb
	$(CLIENT) completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/pcb.fish

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
