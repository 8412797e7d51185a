#!/usr/bin/env bash
# Builds a minimal static libcurl (HTTP and HTTPS only, OpenSSL, zlib) into .deps/curl from Debian's own
# source package of the curl version apt would install, security patches applied. box links it statically:
# Debian's libcurl.a drags in krb5, ldap, ssh and more, which have no usable static archives.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=$REPO/.deps/curl
[ -f "$PREFIX/lib/libcurl.a" ] && exit 0
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# the source version of the libcurl apt offers, e.g. "curl (7.88.1-10+deb12u15)" or plain "curl"
line=$(apt-cache show --no-all-versions libcurl4-openssl-dev | awk -F': ' '/^Source:/{print $2} /^Version:/{v=$2} END{print "V " v}')
ver=$(echo "$line" | sed -n 's/.*(\(.*\)).*/\1/p' | head -1)
[ -n "$ver" ] || ver=$(echo "$line" | awk '/^V /{print $2}')
upstream=${ver%-*}
upstream=${upstream#*:}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "build-curl: curl $ver from $MIRROR" >&2
for f in "curl_${ver}.dsc" "curl_${upstream}.orig.tar.gz" "curl_${ver}.debian.tar.xz"; do
	curl -fsSL --retry 3 -o "$f" "$MIRROR/pool/main/c/curl/$f"
done
# dpkg-source checks the checksums in the .dsc and applies Debian's patches
dpkg-source --no-check -x "curl_${ver}.dsc" src >/dev/null
cd src
./configure --prefix="$PREFIX" --disable-shared --enable-static --with-pic \
	--with-openssl --with-zlib --without-libpsl --without-brotli --without-zstd --without-nghttp2 \
	--without-nghttp3 --without-ngtcp2 --without-libidn2 --without-librtmp --without-libssh2 --without-libssh \
	--without-gssapi --without-ca-bundle --without-ca-path \
	--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 \
	--disable-imap --disable-smtp --disable-gopher --disable-mqtt --disable-smb --disable-ftp --disable-file \
	--disable-manual --disable-ntlm --disable-alt-svc --disable-hsts --disable-unix-sockets \
	--enable-proxy --enable-ipv6 --enable-threaded-resolver >/dev/null
make -j"$(nproc)" -C lib >/dev/null
make -C lib install >/dev/null
make -C include install >/dev/null
echo "build-curl: installed $PREFIX/lib/libcurl.a" >&2
