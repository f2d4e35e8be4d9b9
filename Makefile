# etrace: the two commands a newcomer runs are `make demo` and `make test`; each installs what
# it needs first (Debian/Ubuntu packages, via apt-get).

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := clang libelf-dev zlib1g-dev pkg-config make gcc binutils strace
CARGO ?= cargo
ETRACE := target/release/etrace

.PHONY: deps build demo test lint check analysis-deps testdata testdata-btf bench compat vm-deps vm-test install install-files

# apt_install PACKAGES [APT-OPTIONS]: install those of the Debian packages that are missing.
define apt_install
@missing=""; for p in $(1); do \
	dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
done; \
if [ -n "$$missing" ]; then \
	echo "installing:$$missing"; \
	$(SUDO) apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(2) $$missing; \
fi
endef

# Install the build prerequisites that are missing (clang builds the BPF program; libelf and
# zlib are for libbpf, which libbpf-sys builds from its bundled source).
deps:
	$(call apt_install,$(APT_PACKAGES))
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 1; }

build: deps
	$(CARGO) build --release

# Install the binary, its man page and its bash, zsh and fish completions under PREFIX
# (`cargo install --path .` installs the binary alone).
PREFIX ?= /usr/local
install: build install-files

install-files:
	$(ETRACE) --generate target/gen > /dev/null
	install -Dm755 $(ETRACE) $(DESTDIR)$(PREFIX)/bin/etrace
	install -Dm644 target/gen/etrace.1 $(DESTDIR)$(PREFIX)/share/man/man1/etrace.1
	install -Dm644 target/gen/etrace.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/etrace
	install -Dm644 target/gen/_etrace $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_etrace
	install -Dm644 target/gen/etrace.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/etrace.fish

# Trace a real command on screen.
demo: build
	$(SUDO) $(ETRACE) --stdout -- cat /etc/hosts

# The whole test suite: unit tests, snapshot tests and live tests that load the BPF program
# (these need root: run as root or with sudo available); then the live tests again with every
# kernel-feature fallback forced (the paths older kernels take), and the VM test on Debian 12's
# stock kernel.
test: deps vm-deps analysis-deps
	$(CARGO) build --release --all-targets
	$(SUDO) env "PATH=$$PATH" $(CARGO) test --release
	$(SUDO) env "PATH=$$PATH" ETRACE_FORCE_FALLBACKS=1 $(CARGO) test --release --test live --test hostile
	$(MAKE) vm-test

# The VM test: Debian 12's stock kernel (6.1) booted under QEMU in software emulation by
# virtme-ng (installed into target/vm/venv). Installing the kernel package does not change how
# this machine boots.
VM_APT := linux-image-amd64 qemu-system-x86 busybox-static python3-venv
vm-deps:
	$(call apt_install,$(VM_APT),--no-install-recommends)
	@[ -x target/vm/venv/bin/vng ] || { python3 -m venv target/vm/venv && \
		target/vm/venv/bin/pip install -q virtme-ng; }

# The analysis tests (tests/analysis.rs, tests/live/parquet.rs) run docs/analysis.md's recipes
# with jq and DuckDB (the duckdb Python package, installed into target/analysis/venv).
ANALYSIS_APT := jq python3-venv
analysis-deps:
	$(call apt_install,$(ANALYSIS_APT),--no-install-recommends)
	@target/analysis/venv/bin/python -c 'import duckdb' 2>/dev/null || { \
		python3 -m venv target/analysis/venv && target/analysis/venv/bin/pip install -q duckdb; }

vm-test: vm-deps
	$(CARGO) build --release --all-targets
	$(SUDO) env "PATH=$$PATH" $(CARGO) test --release --test vm -- --ignored --nocapture

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

check: test lint

# Regenerate the BTF snapshot used by the unit tests from testdata/btf/types.c.
testdata-btf:
	clang -g -O2 -target bpf -c testdata/btf/types.c -o target/types.o
	llvm-objcopy --dump-section .BTF=testdata/btf/types.btf target/types.o

# Regenerate testdata/dumps (root: it traces). See testdata/README.md.
testdata: build
	$(SUDO) scripts/make-testdata.sh

# Benchmarks (root; installs perf and strace): overhead and decode speed, see BENCHMARKS.md.
bench: build
	@command -v perf >/dev/null && command -v strace >/dev/null && command -v bpftrace >/dev/null || \
		{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq linux-perf strace bpftrace; }
	$(CARGO) build --release --examples
	$(SUDO) benches/bench.sh

# Regenerate docs/strace-compat.md: the battery under strace and etrace, compared (root).
compat: deps
	$(CARGO) build --release --all-targets
	$(SUDO) env "PATH=$$PATH" ETRACE_WRITE_COMPAT=1 $(CARGO) test --release --test strace_compat -- --nocapture
