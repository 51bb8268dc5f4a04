/*
 * mbedtls_config.h - edgetrace's Mbed TLS 3.6 configuration.
 *
 * toolchains/build.sh copies this file over include/mbedtls/mbedtls_config.h
 * of the unpacked source before building, so the libraries and the headers
 * installed into the prefix carry the same options (nothing else needs
 * MBEDTLS_CONFIG_FILE). It replaces the default configuration, which
 * enables nearly everything (about 0.5 MiB of a static aarch64 binary).
 *
 * Only what edgetrace uses is on; each group says who needs it:
 *   uplink/seal.c    sealed batches: ECDH + HKDF + AES-GCM, ECDSA
 *                    signatures, SHA-256 key ids, keys as PEM/DER (SEC1,
 *                    PKCS#8 unencrypted, SubjectPublicKeyInfo), keygen
 *   uplink/https.c   the agent's HTTPS client (mutual TLS 1.2/1.3, SNI,
 *                    session tickets), psa_crypto_init
 *   collector/       the fleet's HTTPS server (mutual TLS, session ticket
 *                    keys, the client certificate's CN and DNS names)
 *   core/sealed.c, core/armor.c, core/uplink_cmd.c: through seal.c/https.c
 * The certificates and keys are P-256 ECDSA with SHA-256 (docs/uplink.md,
 * tests/integration/test_uplink.sh and test_collector.sh make them with
 * openssl the same way).
 *
 * Changing this file changes the build stamp (build.sh hashes compat/):
 * the next make rebuilds every target's prefix.
 */
#ifndef EDGETRACE_MBEDTLS_CONFIG_H
#define EDGETRACE_MBEDTLS_CONFIG_H

/* --- platform: everyone ------------------------------------------------ */
#define MBEDTLS_HAVE_ASM
/* X.509 validity periods (https.c, collector) */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
/* mbedtls_pk_parse_keyfile, mbedtls_x509_crt_parse_file (https.c,
 * collector) */
#define MBEDTLS_FS_IO
/* mbedtls_strerror in error messages (https.c, collector) */
#define MBEDTLS_ERROR_C
/* mbedtls_version_* for whoever asks (costs nothing unless called) */
#define MBEDTLS_VERSION_C

/* --- randomness: seal.c (keygen, ECDH, ECDSA), TLS, PSA's own RNG ------- */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* --- symmetric: AES-256-GCM sealing (seal.c), TLS AES-GCM suites, the
 * collector's ticket keys (MBEDTLS_CIPHER_AES_256_GCM). No CBC/CTR/...
 * modes, no other cipher. AES-NI (x86_64) and the Armv8 crypto
 * extension (aarch64) are used when the CPU has them. */
#define MBEDTLS_AES_C
#define MBEDTLS_AESNI_C
#define MBEDTLS_AESCE_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C

/* --- hashes and KDF: SHA-256 (key ids, ECDSA, X.509 and TLS signatures,
 * the TLS 1.2 PRF and the TLS_AES_128_GCM_SHA256 / ECDHE-ECDSA-AES*-GCM-
 * SHA256 suites), HMAC via MD, HKDF (seal.c's key schedule, TLS 1.3) */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_HKDF_C

/* --- public key: P-256 ECDH (seal.c, TLS ECDHE) and ECDSA (seal.c
 * signatures, TLS certificates) */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* Parse-only, for seal.c's refusals: a P-384 key must parse to be named
 * ("... is an EC key on curve secp384r1"), an RSA key to be named
 * ("... is an RSA key"; tests/integration/test_sealed.sh checks both).
 * Neither is used for anything else: no RSA key exchange is enabled. */
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15

/* --- keys and encodings: seal.c (keygen writes PEM, reads PEM or DER),
 * https.c and the collector (key and certificate files) */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C

/* --- PSA crypto: TLS 1.3 needs it; https.c calls psa_crypto_init and
 * seal.c mbedtls_ecdsa_{raw_to_der,der_to_raw} (psa_util). Volatile keys
 * only (no key storage). Its algorithms follow the options above. */
#define MBEDTLS_PSA_CRYPTO_C
#define MBEDTLS_PSA_KEY_STORE_DYNAMIC

/* --- X.509: certificate parsing and chain verification, verify_info
 * messages (https.c, collector: mutual TLS, CN and DNS names) */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C

/* --- TLS: client (https.c) and server (collector), 1.2 with
 * ECDHE-ECDSA-AES-GCM and 1.3 (ephemeral ECDHE, and PSK+ECDHE for
 * resumption from tickets), SNI, session tickets (ssl_ticket.c:
 * collector), the peer certificate kept (mbedtls_ssl_get_peer_cert:
 * collector; TLS 1.3 requires it) */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_PROTO_TLS1_3
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_PSK_EPHEMERAL_ENABLED
#define MBEDTLS_SSL_TLS1_3_COMPATIBILITY_MODE
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_TICKET_C
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES

/*
 * Off (on in the default configuration), because nothing here uses them:
 * RSA key exchanges and RSA-PSS, PKCS#1 v2.1, DHM, PSK key exchanges,
 * every curve but P-256 (P-384: parse only, above), Curve25519/448,
 * deterministic ECDSA and HMAC_DRBG, EC-JPAKE, LMS; DES, ARIA, Camellia,
 * ChaCha20/Poly1305, CCM, CMAC, NIST KW and the CBC/CFB/CTR/OFB/XTS modes
 * and paddings; MD5, RIPEMD-160, SHA-1, SHA-224, SHA-384/512, SHA-3;
 * PKCS#5, PKCS#7, PKCS#12 (encrypted keys are refused by seal.c before
 * mbedtls sees them), X.509 CRL/CSR parsing and all writing; DTLS, TLS
 * renegotiation, ALPN, max fragment length, encrypt-then-MAC (CBC only),
 * connection serialisation, keying material export, the session cache
 * and cookies, mbedtls_net and mbedtls_timing (https.c and the collector
 * own their sockets), the debug module, self tests, version feature
 * strings, PSA key storage.
 */

#endif /* EDGETRACE_MBEDTLS_CONFIG_H */
