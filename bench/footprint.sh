#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# footprint.sh - MISSION's size and memory goals: the stripped static
# binary of each board in three configurations, and the agent's peak RSS
# on this machine.
#
#	bench/footprint.sh [BOARD...]      (default: every board)
#
#   minimal  the exec probe, the spool, nothing else (no uplink, no other
#            probe, no reduced mode): goal at most 600 KiB
#   default  the board's defconfig, what `make` builds
#   full     every feature: all probes (file and network included), sealed
#            batches and, when built, the HTTPS uplink: goal at most 1 MiB
#            for aarch64
# Variants are built in build/<board>-fp-<variant>/ from the board's
# .config with the options below forced. Peak RSS (VmHWM) is measured for
# the x86_64 agent of each variant while tests/tools/execstorm runs 2,000
# execs, with libbpf parsing the kernel's whole BTF and with the small BTF
# file of `make btf` that a board image ships (docs/footprint.md); needs
# root. Prints a Markdown table.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BOARDS=${*:-$(ls board/*_defconfig | sed 's|board/||; s|_defconfig||')}
PROBES="EXEC FORK EXIT CRED SIGNAL PTRACE MODULE FILE NET"

# variant_config BOARD VARIANT: write build/BOARD-fp-VARIANT/.config
variant_config() {
	local b=$1 v=$2 o=build/$1-fp-$2 p
	mkdir -p "$o"
	[ -f "build/$b/.config" ] || make -s BOARD="$b" "build/$b/.config" >/dev/null 2>&1
	{
		grep -v '^CONFIG_PROBE_\|^CONFIG_UPLINK_\|^# CONFIG_PROBE_\|^# CONFIG_UPLINK_\|CONFIG_REDUCED_MODE' "build/$b/.config"
		case $v in
		minimal)
			for p in $PROBES; do
				[ "$p" = EXEC ] && echo "CONFIG_PROBE_EXEC=y" ||
					echo "# CONFIG_PROBE_$p is not set"
			done
			echo "# CONFIG_UPLINK_SEAL is not set"
			echo "# CONFIG_UPLINK_HTTPS is not set"
			echo "# CONFIG_REDUCED_MODE is not set" ;;
		default)
			grep '^CONFIG_PROBE_\|^CONFIG_UPLINK_\|^# CONFIG_PROBE_\|^# CONFIG_UPLINK_\|CONFIG_REDUCED_MODE' "build/$b/.config" ;;
		full)
			for p in $PROBES; do echo "CONFIG_PROBE_$p=y"; done
			echo "CONFIG_UPLINK_SEAL=y"
			grep -q '^config UPLINK_HTTPS' Kconfig && echo "CONFIG_UPLINK_HTTPS=y" ;;
		esac
	} >"$o/.config"
	KCONFIG_CONFIG=$o/.config /usr/bin/python3 -m olddefconfig Kconfig >/dev/null
}

# peak_rss_kib AGENT [RUN ARGS]: VmHWM after 2,000 execs, and of what
peak_rss_kib() {
	local agent=$1 t pid kib
	shift
	t=$(mktemp -d /tmp/et-footprint-XXXXXX)
	"$agent" run --spool "$t/spool" "$@" >/dev/null 2>"$t/err" &
	pid=$!
	for _ in $(seq 1 100); do grep -q capturing "$t/err" && break; sleep 0.05; done
	build/x86_64/tools/execstorm -n 2000 -d /bin ./true >/dev/null 2>&1
	sleep 0.5
	kib=$(awk '/^VmHWM/ {h = $2} /^RssAnon/ {a = $2} /^RssFile/ {f = $2}
		END {print h " KiB (now: anonymous " a ", file " f ")"}' "/proc/$pid/status")
	kill -INT "$pid"
	wait "$pid" 2>/dev/null
	rm -rf "$t"
	echo "$kib"
}

[ -x build/x86_64/tools/execstorm ] || make -s BOARD=x86_64 tools >/dev/null
echo "| board | variant | stripped bytes | KiB | peak RSS, kernel BTF (x86_64) | peak RSS, board BTF file (x86_64) |"
echo "|---|---|---|---|---|---|"
for b in $BOARDS; do
	for v in minimal default full; do
		variant_config "$b" "$v"
		if ! make -s BOARD="$b-fp-$v" all >"build/$b-fp-$v/build.log" 2>&1; then
			echo "| $b | $v | build failed (build/$b-fp-$v/build.log) | | | |"
			continue
		fi
		size=$(stat -c %s "build/$b-fp-$v/edgetrace.stripped")
		rss=
		rss_file=
		if [ "$b" = x86_64 ] && [ "$(id -u)" = 0 ]; then
			rss=$(peak_rss_kib "build/$b-fp-$v/edgetrace")
			# what a board image ships: make btf of its own kernel
			make -s BOARD="$b-fp-$v" btf >/dev/null 2>&1 &&
				rss_file=$(peak_rss_kib "build/$b-fp-$v/edgetrace" \
					--btf "build/$b-fp-$v/vmlinux.btf")
		fi
		echo "| $b | $v | $size | $((size / 1024)) | $rss | $rss_file |"
	done
done
