/* The low-level SHA256_* calls avoid OpenSSL 3 provider loading at start-up. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
