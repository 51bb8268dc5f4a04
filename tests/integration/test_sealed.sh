# SPDX-License-Identifier: GPL-2.0
#
# test_sealed.sh - sealed batches end to end, without BPF: keygen (files,
# modes, key ids, refusing to overwrite), a spool filled by replaying a
# generated capture (every record type), `export --format sealed | decode`
# printing exactly what `export --format jsonl` prints (whole, by range,
# by list, from a cursor), an independent decoder (Python's cryptography,
# following docs/sealed-format.md) agreeing with it, no plaintext in the
# stream, tampered, cut and padded streams (the damaged batch refused and
# named, the others printed), wrong keys (another fleet, an untrusted or
# another device), and the bad configurations: missing, wrong-type,
# private-for-public and malformed key files, named with their option,
# with a non-zero exit and nothing written.
. "$(dirname "$0")/lib.sh"

: "${ET_TOOLS:?set ET_TOOLS to the tools directory}"
PY=/usr/bin/python3
if "$EDGETRACE" keygen --help 2>&1 | grep -q 'not in this build'; then
	echo "SKIP $TEST_NAME: built without CONFIG_UPLINK_SEAL"
	exit 0
fi

# expect NAME RC PATTERN CMD...: exit code RC, stderr matching PATTERN, and
# nothing on stdout
expect() {
	local name=$1 want=$2 pattern=$3 rc=0
	shift 3
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit code $rc, expected $want (stderr: $(head -c 300 "$T/err"))"
	elif ! grep -q -- "$pattern" "$T/err"; then
		fail "$name" "stderr did not match '$pattern': $(head -c 300 "$T/err")"
	elif [ -s "$T/out" ]; then
		fail "$name" "wrote $(stat -c %s "$T/out") bytes to stdout"
	else
		pass "$name"
	fi
}

# ------------------------------------------------------------------ keygen

"$EDGETRACE" keygen --fleet "$T/fleet" >"$T/kg" 2>"$T/err"
check keygen_fleet_exit test $? -eq 0
check keygen_fleet_files test -s "$T/fleet/fleet.key" -a -s "$T/fleet/fleet.pub"
check fleet_key_mode_0600 test "$(stat -c %a "$T/fleet/fleet.key")" = 600
check fleet_pub_mode_0644 test "$(stat -c %a "$T/fleet/fleet.pub")" = 644
check fleet_dir_mode_0700 test "$(stat -c %a "$T/fleet")" = 700
check fleet_key_pem grep -q 'BEGIN EC PRIVATE KEY' "$T/fleet/fleet.key"
check fleet_pub_pem grep -q 'BEGIN PUBLIC KEY' "$T/fleet/fleet.pub"
# the key id printed is the documented fingerprint, as openssl computes it
fp=$(openssl pkey -pubin -in "$T/fleet/fleet.pub" -outform DER | sha256sum | cut -c1-32)
check keygen_prints_key_id grep -q "^fleet key id $fp\$" "$T/kg"
check openssl_reads_private test "$(openssl pkey -in "$T/fleet/fleet.key" -pubout)" = \
	"$(cat "$T/fleet/fleet.pub")"
check openssl_says_p256 grep -q 'prime256v1' <(openssl pkey -in "$T/fleet/fleet.key" -text -noout)
for k in dev dev2 fleet2; do
	case $k in fleet*) kind=fleet ;; *) kind=device ;; esac
	"$EDGETRACE" keygen --$kind "$T/$k" >/dev/null 2>&1 || fail "keygen_$k" "failed"
done
check keygen_device_files test -s "$T/dev/device.key" -a -s "$T/dev/device.pub"
check device_key_mode_0600 test "$(stat -c %a "$T/dev/device.key")" = 600
check keys_differ test "$(cat "$T/dev/device.pub")" != "$(cat "$T/dev2/device.pub")"

cp "$T/fleet/fleet.key" "$T/fleet.key.before"
expect keygen_refuses_overwrite 1 "fleet.key' exists: give --force" \
	"$EDGETRACE" keygen --fleet "$T/fleet"
check keygen_left_key_alone cmp -s "$T/fleet/fleet.key" "$T/fleet.key.before"
"$EDGETRACE" keygen --device "$T/half" >/dev/null
rm "$T/half/device.key"
expect keygen_refuses_half_pair 1 "device.pub' exists" \
	"$EDGETRACE" keygen --device "$T/half"
"$EDGETRACE" keygen --fleet "$T/fleet3" >/dev/null
"$EDGETRACE" keygen --fleet "$T/fleet3" --force >"$T/kg3" 2>&1
check keygen_force_exit test $? -eq 0
check keygen_force_replaced test "$(stat -c %a "$T/fleet3/fleet.key")" = 600 -a \
	-n "$(grep 'fleet key id' "$T/kg3")"
expect keygen_no_dir 2 "give --fleet DIR" "$EDGETRACE" keygen
expect keygen_both 2 "give one of --fleet DIR and --device DIR" \
	"$EDGETRACE" keygen --fleet "$T/a" --device "$T/b"
expect keygen_stray 2 "unexpected argument 'x'" "$EDGETRACE" keygen --fleet "$T/a" x
expect keygen_unknown 2 "unknown option '--rsa'" "$EDGETRACE" keygen --rsa --fleet "$T/a"
check keygen_usage_wrote_nothing test ! -e "$T/a" -a ! -e "$T/b"
touch "$T/plain"
expect keygen_dir_is_file 1 "is not a directory" "$EDGETRACE" keygen --device "$T/plain"
expect keygen_no_parent 1 "cannot create directory" \
	"$EDGETRACE" keygen --device "$T/no/such"
"$EDGETRACE" keygen --help >"$T/h" 2>&1
check keygen_help grep -q -- '--fleet DIR' "$T/h"

# ----------------------------------------------------- export and decode

FP=$T/fleet/fleet.pub
FK=$T/fleet/fleet.key
DK=$T/dev/device.key
DP=$T/dev/device.pub
N=6000
"$ET_TOOLS/capgen" -q -n $N -m every -o "$T/gen.cap"
"$EDGETRACE" run --spool "$T/spool" --replay "$T/gen.cap" 2>/dev/null
"$EDGETRACE" export --spool "$T/spool" --format jsonl >"$T/want.jsonl" 2>/dev/null
check have_records test "$(wc -l <"$T/want.jsonl")" -eq $N

"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$FP" \
	--device-key "$DK" --batch-records 1000 >"$T/s.bin" 2>"$T/err"
check export_exit test $? -eq 0
check export_says_batches grep -q "sealed $N records in 6 batches" "$T/err"
check export_says_resume grep -q "resume with --from-seq $((N + 1))" "$T/err"
check export_smaller_than_records test "$(stat -c %s "$T/s.bin")" -lt \
	$(($(stat -c %s "$T/gen.cap") / 3))
check no_plaintext test "$(grep -ac 'node-red' "$T/gen.cap")" -gt 0 -a \
	"$(grep -ac 'node-red' "$T/s.bin")" -eq 0

"$EDGETRACE" decode --key "$FK" --device-pub "$DP" "$T/s.bin" >"$T/got.jsonl" 2>"$T/err"
check decode_exit test $? -eq 0
check decode_equals_jsonl cmp -s "$T/want.jsonl" "$T/got.jsonl"
check decode_summary grep -q "6 batches, $N records" "$T/err"
check decode_no_warning_when_verified test -z "$(grep -i 'not' "$T/err")"
"$EDGETRACE" decode --key "$FK" --device-pub "$DP" <"$T/s.bin" >"$T/got2.jsonl" 2>/dev/null
check decode_stdin cmp -s "$T/want.jsonl" "$T/got2.jsonl"
"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$FP" \
	--device-key "$DK" 2>/dev/null | "$EDGETRACE" decode --key "$FK" \
	--device-pub "$T/dev2/device.pub" --device-pub "$DP" - >"$T/got3.jsonl" 2>"$T/err"
check pipe_default_batches_two_device_keys cmp -s "$T/want.jsonl" "$T/got3.jsonl"
check default_batch_records grep -q "2 batches, $N records" "$T/err"

# the selection options of export
sel() {
	local name=$1
	shift
	"$EDGETRACE" export --spool "$T/spool" --format jsonl "$@" >"$T/sel.want" 2>/dev/null
	"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$FP" \
		--device-key "$DK" --batch-records 333 "$@" 2>/dev/null |
		"$EDGETRACE" decode --key "$FK" --device-pub "$DP" >"$T/sel.got" 2>/dev/null
	check "$name" eval 'test -s "$T/sel.want" && cmp -s "$T/sel.want" "$T/sel.got"'
}
sel select_range --from-seq 100 --to-seq 2100
sel select_seqs --seqs 1,7-9,500-1400,5999
since=$(sed -n 3000p "$T/want.jsonl" | grep -o '"ts":[0-9]*' | cut -d: -f2)
sel select_since --since "$since"

# a cursor: each pull gets what the last one did not
"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$FP" \
	--device-key "$DK" --cursor sealpull >"$T/c1.bin" 2>"$T/err"
check cursor_moved grep -q "cursor 'sealpull' now at seq $((N + 1))" "$T/err"
"$EDGETRACE" decode --key "$FK" --device-pub "$DP" "$T/c1.bin" >"$T/c1.jsonl" 2>/dev/null
check cursor_first_pull cmp -s "$T/want.jsonl" "$T/c1.jsonl"
"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$FP" \
	--device-key "$DK" --cursor sealpull >"$T/c2.bin" 2>/dev/null
check cursor_second_pull_empty test ! -s "$T/c2.bin"
rc=0; "$EDGETRACE" decode --key "$FK" --device-pub "$DP" "$T/c2.bin" >"$T/c2.jsonl" \
	2>"$T/err" || rc=$?
check decode_empty_stream test "$rc" -eq 0 -a ! -s "$T/c2.jsonl"

# the device id, and decoding without device keys: not verified, and said
"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$FP" \
	--device-key "$DK" --device-id gw-0042 --to-seq 50 >"$T/id.bin" 2>"$T/err"
check device_id_reported grep -q "as device 'gw-0042'" "$T/err"
rc=0; "$EDGETRACE" decode --key "$FK" "$T/id.bin" >"$T/id.jsonl" 2>"$T/err" || rc=$?
check unverified_exit_0 test "$rc" -eq 0
check unverified_prints cmp -s "$T/id.jsonl" <(head -n 50 "$T/want.jsonl")
check unverified_warns grep -q 'no --device-pub given: the signatures are NOT checked' "$T/err"
devid=$(openssl pkey -pubin -in "$DP" -outform DER | sha256sum | cut -c1-32)
check unverified_names_claim grep -q "NOT VERIFIED: 1 batches claim device 'gw-0042', key $devid" "$T/err"
"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$FP" \
	--device-key "$DK" --to-seq 5 >/dev/null 2>"$T/err"
check default_device_id_is_key_id grep -q "as device '$devid'" "$T/err"

# ------------------------------------------------- an independent decoder

# opensealed.py: docs/sealed-format.md in Python (cryptography), to check
# that the page is what the code does. "offsets F": one line per batch,
# "start length batch_seq first last". "decode FLEET_KEY DEVICE_PUB F OUT":
# open every batch, write the records as a capture file.
cat >"$T/opensealed.py" <<'EOF'
import hashlib, struct, sys, zlib
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

def batches(data):
    off = 0
    while off < len(data):
        assert data[off:off + 4] == b'ETSB', 'no magic at %d' % off
        ver, suite, comp, idlen = data[off + 4:off + 8]
        assert (ver, suite) == (1, 1)
        flags, count, bseq, first, last, raw, clen = \
            struct.unpack_from('<IIQQQII', data, off + 8)
        total = 145 + idlen + clen + 16 + 64
        yield off, total, dict(comp=comp, idlen=idlen, flags=flags,
                               count=count, bseq=bseq, first=first,
                               last=last, raw=raw, clen=clen)
        off += total

def key_id(pub):
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest()[:16]

def varint(b, p):
    v = shift = 0
    while True:
        c = b[p]
        p += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if not c & 0x80:
            return v, p

def open_batch(data, off, total, h, fleet, dev, out):
    hdr_len = 145 + h['idlen']
    hdr = data[off:off + hdr_len]
    assert hdr[48:64] == key_id(fleet.public_key()), 'fleet key id'
    assert hdr[64:80] == key_id(dev), 'device key id'
    end = off + hdr_len + h['clen'] + 16
    sig = data[end:off + total]
    dev.verify(utils.encode_dss_signature(int.from_bytes(sig[:32], 'big'),
                                          int.from_bytes(sig[32:], 'big')),
               data[off:end], ec.ECDSA(hashes.SHA256()))
    eph = hdr[80:145]
    z = fleet.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), eph))
    fpt = fleet.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    okm = HKDF(algorithm=hashes.SHA256(), length=44,
               salt=b'edgetrace sealed batch v1', info=eph + fpt).derive(z)
    pt = AESGCM(okm[:32]).decrypt(okm[32:], data[off + hdr_len:end], hdr)
    if h['comp'] == 1:
        pt = zlib.decompress(pt)
    assert len(pt) == h['raw']
    p, seq, n = 0, None, 0
    while p < len(pt):
        gap, p = varint(pt, p)
        size, p = varint(pt, p)
        seq = h['first'] if seq is None else seq + 1 + gap
        rec = pt[p:p + size]
        p += size
        n += 1
        fr = struct.pack('<QI', seq, size)
        out += fr + struct.pack('<I', zlib.crc32(fr + rec)) + rec
    assert (n, seq) == (h['count'], h['last'])

data = open(sys.argv[-1] if sys.argv[1] == 'offsets' else sys.argv[4], 'rb').read()
if sys.argv[1] == 'offsets':
    for off, total, h in batches(data):
        print(off, total, h['bseq'], h['first'], h['last'])
    sys.exit(0)
fleet = serialization.load_pem_private_key(open(sys.argv[2], 'rb').read(), None)
dev = serialization.load_pem_public_key(open(sys.argv[3], 'rb').read())
out = bytearray(b'ETCAP\x02\x00\x00')
for off, total, h in batches(data):
    open_batch(data, off, total, h, fleet, dev, out)
open(sys.argv[5], 'wb').write(out)
EOF
if "$PY" -c 'import cryptography' 2>/dev/null; then
	"$PY" "$T/opensealed.py" decode "$FK" "$DP" "$T/s.bin" "$T/py.cap" 2>"$T/err"
	check python_decoder_opens test $? -eq 0
	[ -s "$T/err" ] && sed 's/^/    /' "$T/err"
	"$EDGETRACE" query --file "$T/py.cap" --json >"$T/py.jsonl" 2>/dev/null
	check python_decoder_agrees cmp -s "$T/want.jsonl" "$T/py.jsonl"
else
	fail python_decoder "Python's cryptography is missing: apt-get install python3-cryptography (toolchains/install-deps.sh)"
fi

# -------------------------------------------------------------- tampering

"$PY" "$T/opensealed.py" offsets "$T/s.bin" >"$T/offsets"
check six_batches test "$(wc -l <"$T/offsets")" -eq 6
read -r off3 len3 bseq3 first3 last3 < <(sed -n 3p "$T/offsets")
read -r off5 len5 _ first5 last5 < <(sed -n 5p "$T/offsets")
# the records of every batch but those given (by line of the offsets file)
want_without() {
	local drop=$1
	"$EDGETRACE" export --spool "$T/spool" --format jsonl 2>/dev/null |
		awk -v drop="$drop" -v list="$(awk '{ print $4 "-" $5 }' "$T/offsets" | tr '\n' ' ')" '
		BEGIN { n = split(list, r, " "); m = split(drop, d, ",") }
		{
			match($0, /"seq":[0-9]+/); s = substr($0, RSTART + 6, RLENGTH - 6) + 0
			for (i = 1; i <= m; i++) { split(r[d[i]], b, "-"); if (s >= b[1] && s <= b[2]) next }
			print
		}'
}
# flip BYTE: one bit flipped at BYTE of a copy of s.bin, into flip.bin
flip() {
	cp "$T/s.bin" "$T/flip.bin"
	"$PY" -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2]))
b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ int(sys.argv[3])]))' \
		"$T/flip.bin" "$1" "${2:-4}"
}
decode_flip() {
	rc=0
	"$EDGETRACE" decode --key "$FK" --device-pub "$DP" "$T/flip.bin" >"$T/flip.jsonl" \
		2>"$T/flip.err" || rc=$?
}
for where in ciphertext tag signature batch_seq device_id ephemeral; do
	case $where in
	ciphertext) at=$((off3 + 145 + 32 + 1000)) ;;
	tag) at=$((off3 + len3 - 64 - 3)) ;;
	signature) at=$((off3 + len3 - 1)) ;;
	batch_seq) at=$((off3 + 16)) ;;
	device_id) at=$((off3 + 150)) ;;
	ephemeral) at=$((off3 + 100)) ;;
	esac
	flip "$at"
	decode_flip
	check "flip_${where}_exit_1" test "$rc" -eq 1
	check "flip_${where}_names_batch" grep -q "batch 3 (.*at byte $off3 of .*): refused: " "$T/flip.err"
	check "flip_${where}_others_printed" cmp -s "$T/flip.jsonl" <(want_without 3)
	check "flip_${where}_counts" grep -q "5 batches, .* records; 1 refused" "$T/flip.err"
done
grep -q 'signature does not verify' "$T/flip.err" || fail flip_reason "$(cat "$T/flip.err")"
# a length in the header: the rest is found again at the next batch
flip $((off3 + 45)) 16
decode_flip
check flip_length_refused test "$rc" -eq 1 -a -n "$(grep "batch 3 .*refused" "$T/flip.err")"
check flip_length_others_printed cmp -s "$T/flip.jsonl" <(want_without 3)
# the magic: not a batch, skipped and said; the batches after it are read
flip $((off5 + 1))
decode_flip
check flip_magic_exit_1 test "$rc" -eq 1
check flip_magic_says_skipped grep -q "bytes $off5-[0-9]* of .* are not a sealed batch: skipped" "$T/flip.err"
check flip_magic_others_printed cmp -s "$T/flip.jsonl" <(want_without 5)
# cut short
head -c $((off5 + 500)) "$T/s.bin" >"$T/flip.bin"
decode_flip
check cut_exit_1 test "$rc" -eq 1
check cut_says_where grep -q "batch 5 .*refused: the input ends [0-9]* bytes before its end" "$T/flip.err"
check cut_rest_printed cmp -s "$T/flip.jsonl" <(want_without 5,6)
# junk around the batches
{ echo "login: root"; cat "$T/s.bin"; echo "# "; } >"$T/flip.bin"
decode_flip
check junk_exit_1 test "$rc" -eq 1
check junk_reported test "$(grep -c 'are not a sealed batch: skipped' "$T/flip.err")" -eq 2
check junk_all_printed cmp -s "$T/flip.jsonl" "$T/want.jsonl"
# a batch replaced by another device's
"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$FP" \
	--device-key "$T/dev2/device.key" --batch-records 1000 >"$T/other.bin" 2>/dev/null
{ head -c "$off3" "$T/s.bin"; "$PY" -c 'import sys
d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d[int(sys.argv[2]):int(sys.argv[2]) + int(sys.argv[3])])' \
	"$T/other.bin" "$off3" "$len3"; tail -c +$((off3 + len3 + 1)) "$T/s.bin"; } >"$T/flip.bin"
decode_flip
check other_device_batch_refused grep -q "batch 3 .*refused: it is signed by device key [0-9a-f]*, which is not one of the trusted device keys" "$T/flip.err"
check other_device_rest_printed cmp -s "$T/flip.jsonl" <(want_without 3)

# ------------------------------------------------------------- wrong keys

expect wrong_fleet_key 1 "refused: it is sealed for fleet key [0-9a-f]*, not for this one" \
	"$EDGETRACE" decode --key "$T/fleet2/fleet.key" --device-pub "$DP" "$T/s.bin"
check wrong_fleet_all_refused grep -q '0 batches, 0 records; 6 refused' "$T/err"
expect untrusted_device 1 "not one of the trusted device keys" \
	"$EDGETRACE" decode --key "$FK" --device-pub "$T/dev2/device.pub" "$T/s.bin"
# sealed for another fleet, then its key id forged to ours: still refused
"$EDGETRACE" export --spool "$T/spool" --format sealed --fleet-pub "$T/fleet2/fleet.pub" \
	--device-key "$DK" --to-seq 100 >"$T/f2.bin" 2>/dev/null
"$PY" -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[48:64] = bytes.fromhex(sys.argv[2]); open(sys.argv[1], "wb").write(d)' "$T/f2.bin" "$fp"
expect forged_fleet_id 1 "refused: its signature does not verify" \
	"$EDGETRACE" decode --key "$FK" --device-pub "$DP" "$T/f2.bin"

# ----------------------------------------------------- bad configuration

openssl genrsa -out "$T/rsa.key" 2048 2>/dev/null
openssl rsa -in "$T/rsa.key" -pubout -out "$T/rsa.pub" 2>/dev/null
openssl ecparam -name secp384r1 -genkey -noout -out "$T/p384.key" 2>/dev/null
openssl ec -in "$T/p384.key" -pubout -out "$T/p384.pub" 2>/dev/null
openssl pkey -in "$DK" -aes256 -passout pass:secret -out "$T/enc.key" 2>/dev/null
printf 'not a key\n' >"$T/junk.pem"
head -c 120 "$DK" >"$T/cut.key"
sealed() {
	"$EDGETRACE" export --spool "$T/spool" --format sealed "$@"
}
expect missing_fleet_pub 1 "--fleet-pub '$T/none.pub': cannot read it: No such file" \
	sealed --fleet-pub "$T/none.pub" --device-key "$DK"
expect missing_device_key 1 "--device-key '$T/none.key': cannot read it" \
	sealed --fleet-pub "$FP" --device-key "$T/none.key"
expect fleet_private_for_public 1 "--fleet-pub '$FK' is a private key where a public key is wanted" \
	sealed --fleet-pub "$FK" --device-key "$DK"
expect device_public_for_private 1 "--device-key '$DP' is a public key where a private key is wanted" \
	sealed --fleet-pub "$FP" --device-key "$DP"
expect rsa_fleet_pub 1 "--fleet-pub '$T/rsa.pub' is an RSA key" \
	sealed --fleet-pub "$T/rsa.pub" --device-key "$DK"
expect rsa_device_key 1 "--device-key '$T/rsa.key' is an RSA key" \
	sealed --fleet-pub "$FP" --device-key "$T/rsa.key"
expect p384_device_key 1 "--device-key '$T/p384.key' is an EC key on curve secp384r1" \
	sealed --fleet-pub "$FP" --device-key "$T/p384.key"
expect encrypted_device_key 1 "--device-key '$T/enc.key' is encrypted with a passphrase" \
	sealed --fleet-pub "$FP" --device-key "$T/enc.key"
expect malformed_fleet_pub 1 "--fleet-pub '$T/junk.pem' is not a public key" \
	sealed --fleet-pub "$T/junk.pem" --device-key "$DK"
expect cut_device_key 1 "--device-key '$T/cut.key' is not a private key" \
	sealed --fleet-pub "$FP" --device-key "$T/cut.key"
expect sealed_needs_keys 2 "--format sealed needs --fleet-pub" sealed --fleet-pub "$FP"
expect keys_need_sealed 2 "--device-key is for --format sealed" \
	"$EDGETRACE" export --spool "$T/spool" --format jsonl --device-key "$DK"
expect bad_device_id 2 "--device-id 'gw 1' is not 1 to 64" \
	sealed --fleet-pub "$FP" --device-key "$DK" --device-id 'gw 1'
expect bad_batch_records 2 "--batch-records '0' is not a number" \
	sealed --fleet-pub "$FP" --device-key "$DK" --batch-records 0
expect sealed_bad_spool 1 "cannot use spool directory" \
	sealed --spool "$T/nospool" --fleet-pub "$FP" --device-key "$DK"
check bad_spool_not_created test ! -e "$T/nospool"
expect decode_needs_key 2 "give --key FLEET_KEY" "$EDGETRACE" decode "$T/s.bin"
expect decode_public_as_key 1 "--key '$FP' is a public key where a private key is wanted" \
	"$EDGETRACE" decode --key "$FP" "$T/s.bin"
expect decode_private_as_device_pub 1 "--device-pub '$DK' is a private key where a public key is wanted" \
	"$EDGETRACE" decode --key "$FK" --device-pub "$DK" "$T/s.bin"
expect decode_rsa_key 1 "--key '$T/rsa.key' is an RSA key" \
	"$EDGETRACE" decode --key "$T/rsa.key" "$T/s.bin"
expect decode_missing_device_pub 1 "--device-pub '$T/none.pub': cannot read it" \
	"$EDGETRACE" decode --key "$FK" --device-pub "$T/none.pub" "$T/s.bin"
expect decode_missing_input 1 "cannot open '$T/none.bin'" \
	"$EDGETRACE" decode --key "$FK" "$T/none.bin"
expect decode_not_sealed 1 "are not a sealed batch" \
	"$EDGETRACE" decode --key "$FK" --device-pub "$DP" "$T/gen.cap"
expect decode_two_inputs 2 "unexpected argument" \
	"$EDGETRACE" decode --key "$FK" "$T/s.bin" "$T/s.bin"

# ------------------------------- the device certificate of docs/uplink.md

(
	set -e
	cd "$T"
	openssl ecparam -name prime256v1 -genkey -noout -out ca.key
	chmod 600 ca.key
	openssl req -x509 -new -key ca.key -sha256 -days 3650 \
		-subj "/CN=edgetrace fleet CA" -out ca.crt
	openssl req -new -key dev/device.key -sha256 -subj "/CN=gw-0042" \
		-out gw-0042.csr
	openssl req -in gw-0042.csr -noout -verify
	cat >device.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:gw-0042
EOF
	openssl x509 -req -in gw-0042.csr -CA ca.crt -CAkey ca.key \
		-CAcreateserial -days 825 -sha256 -extfile device.ext \
		-out gw-0042.crt
	openssl verify -CAfile ca.crt -purpose sslclient gw-0042.crt
	openssl x509 -in gw-0042.crt -noout -pubkey >gw-0042.pub
) >"$T/cert.log" 2>&1
check cert_recipe_runs test $? -eq 0
[ -s "$T/gw-0042.pub" ] || sed 's/^/    /' "$T/cert.log"
check cert_holds_device_key cmp -s "$T/gw-0042.pub" "$DP"
"$EDGETRACE" decode --key "$FK" --device-pub "$T/gw-0042.pub" "$T/s.bin" \
	>"$T/cert.jsonl" 2>/dev/null
check decode_with_cert_key cmp -s "$T/want.jsonl" "$T/cert.jsonl"

"$EDGETRACE" export --help >"$T/h" 2>&1
check export_help_sealed grep -q -- '--fleet-pub F' "$T/h"
"$EDGETRACE" decode --help >"$T/h" 2>&1
check decode_help grep -q -- '--device-pub F' "$T/h"
"$EDGETRACE" --help >"$T/h" 2>&1
check help_lists_decode grep -q '^  decode ' "$T/h"
