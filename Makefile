# box: build, test, demo and bench. `make demo` and `make test` set up a fresh machine on their own.
PREFIX      ?= /usr/local
SWIFT       ?= swift
STATIC_DIR  := .build-static
BOX         := $(STATIC_DIR)/release/box
DEMO_ROOT   ?= /var/lib/box

# libarchive's own dependencies must be named for a fully static link; only what box uses is pulled in.
STATIC_LIBS := archive acl lzma zstd lz4 bz2 curl ssl crypto z nettle xml2 cap seccomp
STATIC_FLAGS := -Xswiftc -static-executable -Xlinker --start-group $(foreach l,$(STATIC_LIBS),-Xlinker -l$(l)) \
                -Xlinker --end-group -Xlinker -z -Xlinker now

DEB_BUILD := dpkg-dev curl libcap-dev libseccomp-dev libarchive-dev zlib1g-dev libssl-dev libacl1-dev libzstd-dev liblz4-dev libbz2-dev \
             liblzma-dev nettle-dev libxml2-dev libicu-dev pkg-config
DEB_TEST  := busybox-static gcc libc6-dev python3 procps util-linux bsdutils findutils docker-registry skopeo openssl apache2-utils zstd

.PHONY: deps build debug install fixtures demo test unit bench clean

deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_TEST); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@bash scripts/build-curl.sh

build: deps
	$(SWIFT) build -c release --scratch-path $(STATIC_DIR) $(STATIC_FLAGS)

debug: deps
	$(SWIFT) build

install: build
	install -m 0755 $(BOX) $(PREFIX)/bin/box

fixtures: deps
	python3 Fixtures/images/build.py
	python3 Fixtures/hostile/build.py >/dev/null

demo: build fixtures
	$(BOX) --root $(DEMO_ROOT) load -i Fixtures/out/box-demo.oci.tar
	$(BOX) --root $(DEMO_ROOT) run --rm box-demo

# Unit tests need no root; integration tests run the static binary as root (they skip, with a reason, otherwise).
test: build fixtures
	BOX_BIN=$(CURDIR)/$(BOX) $(SWIFT) test

bench: build fixtures
	bash bench/run.sh

clean:
	rm -rf .build $(STATIC_DIR) Fixtures/out bench/out
