# versions.mk - the one place that pins edgetrace's runtime libraries.
#
# Each library is built from one Debian 13 (trixie) source package, at the
# exact Debian version below (epoch:upstream-revision, as `apt-cache showsrc`
# prints it), with Debian's patches applied by dpkg-source.
#
# *_DSC_SHA256 pins the content too: build.sh refuses a .dsc whose SHA-256
# differs, and dpkg-source checks the tarballs against the .dsc. apt itself
# checks every download against the signed Sources index.
#
# Included by the top-level Makefile and parsed by toolchains/build.sh, so
# keep to plain "NAME := value" lines (no make functions, no spaces in values).
#
# To bump: apt-get update; apt-cache showsrc PKG; change both lines; run
# toolchains/build.sh for every target. Note: when trixie gets a point
# release, deb.debian.org drops the superseded version; the copy in
# $EDGETRACE_CACHE/src stays usable, new machines need the new pin.

ZLIB_VERSION := 1:1.3.dfsg+really1.3.1-1
ZLIB_DSC_SHA256 := ede2791e29c1d3b422f9208bdd7edf040c20445ea1e7453a72037576e64fa197

# Only libelf (plus the few lib/ helpers it needs) is built from elfutils.
ELFUTILS_VERSION := 0.192-4
ELFUTILS_DSC_SHA256 := 37d101658c45a25afc15d2053a1378df2381dadbb368e262ede2cea79241779f

LIBBPF_VERSION := 1.5.0-3
LIBBPF_DSC_SHA256 := b8fdd3a9c58a13d13e9da0927062f1237303db3a804207e423ec4335119d3245

LMDB_VERSION := 0.9.31-1
LMDB_DSC_SHA256 := 76262c17115458e3ab423cc7eeb7d16cee46d5ca76a660a8f2bdbab93473457b

# 3.6 is the LTS branch.
MBEDTLS_VERSION := 3.6.6-0.1~deb13u1
MBEDTLS_DSC_SHA256 := eb9ed1adbbddcb0d00276fac6fcee0056c64ce01481c2522a16dca75792eb5eb

# musl: the libc of every LIBC=musl target (x86_64 included), built by
# build.sh with the target's gcc into the target's prefix.
MUSL_VERSION := 1.2.5-3.1~deb13u1
MUSL_DSC_SHA256 := 972970614ed9159b04343b7f85bdf16f565b4a903f05d97e57dc730c7b0b8066
