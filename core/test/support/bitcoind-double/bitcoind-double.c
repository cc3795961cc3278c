/*
 * bitcoind-double — a TEST DOUBLE of Bitcoin Core / Bitcoin Knots `bitcoind` and `bitcoin-cli`.
 *
 * It is NOT Bitcoin: no peers, no blocks, no validation. It imitates what Archipelago's daemon
 * depends on — arguments and bitcoin.conf, the network subdirectory, debug.log banners, the
 * blocks/xor.dat rules, refusals on downgrades and pruned datadirs, the RPC server with rpcauth and
 * cookie auth, clean shutdown — so the daemon's version guard and orchestration can be tested with
 * real containers. See README.md beside this file for what it imitates and what it does not.
 *
 * One static binary serves every version: the version it claims is read from
 * /etc/bitcoind-double/version in the image. Called as `bitcoin-cli` it is the RPC client.
 *
 * The downgrade refusals come from rules.generated.h, which the image builder
 * (core/test/support/bitcoind-double-images.ts) generates from VERSION_CHANGE_RULES in
 * core/src/bitcoin/downgrade-rules.ts, so the double refuses what our table says bitcoind refuses.
 *
 * Build: gcc -static -O2 -o bitcoind bitcoind-double.c   (with rules.generated.h beside it)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* The rules table (generated)                                                                 */

enum direction { DIR_UPGRADE, DIR_SAME, DIR_DOWNGRADE };
enum effect { EFFECT_SAFE = 0, EFFECT_REINDEX_CHAINSTATE = 1, EFFECT_REINDEX = 2, EFFECT_REFUSED = 3 };
enum basis { BASIS_OBSERVED, BASIS_DOCUMENTED, BASIS_ASSUMPTION };
enum xorstate { XOR_ABSENT = 1, XOR_ZERO = 2, XOR_NONZERO = 4, XOR_UNREADABLE = 8 };
#define ANY (-1)

struct rule {
  const char *id;
  int direction;
  int from_major, from_minor; /* fromAtLeast, or ANY */
  int to_major, to_minor;     /* toBelow, or ANY */
  int xor_mask;               /* XOR_* bits, 0 = any */
  int series_change;          /* 0/1, or ANY */
  int coinstats_index;        /* 0/1, or ANY */
  int effect;
  int basis;
};

#include "rules.generated.h"

/* ------------------------------------------------------------------------------------------ */
/* SHA-256 and HMAC-SHA256 (FIPS 180-4 / RFC 2104), so the image needs no OpenSSL              */

struct sha256 {
  uint32_t h[8];
  uint64_t len;
  unsigned char buf[64];
  size_t used;
};

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *s, const unsigned char *p) {
  uint32_t w[64], a, b, c, d, e, f, g, h;
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e, s->h[5] += f, s->h[6] += g,
      s->h[7] += h;
}

static void sha256_init(struct sha256 *s) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, iv, sizeof iv);
  s->len = 0;
  s->used = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n) {
  const unsigned char *p = data;
  s->len += n;
  while (n > 0) {
    size_t take = 64 - s->used < n ? 64 - s->used : n;
    memcpy(s->buf + s->used, p, take);
    s->used += take, p += take, n -= take;
    if (s->used == 64) sha256_block(s, s->buf), s->used = 0;
  }
}

static void sha256_final(struct sha256 *s, unsigned char out[32]) {
  uint64_t bits = s->len * 8;
  unsigned char pad = 0x80, zero = 0, lenbuf[8];
  sha256_update(s, &pad, 1);
  while (s->used != 56) sha256_update(s, &zero, 1);
  for (int i = 0; i < 8; i++) lenbuf[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha256_update(s, lenbuf, 8);
  for (int i = 0; i < 8; i++)
    out[4 * i] = s->h[i] >> 24, out[4 * i + 1] = s->h[i] >> 16, out[4 * i + 2] = s->h[i] >> 8,
            out[4 * i + 3] = s->h[i];
}

static void hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen, unsigned char out[32]) {
  unsigned char k[64] = {0}, ipad[64], opad[64], inner[32];
  struct sha256 s;
  if (keylen > 64) {
    sha256_init(&s), sha256_update(&s, key, keylen), sha256_final(&s, k);
  } else {
    memcpy(k, key, keylen);
  }
  for (int i = 0; i < 64; i++) ipad[i] = k[i] ^ 0x36, opad[i] = k[i] ^ 0x5c;
  sha256_init(&s), sha256_update(&s, ipad, 64), sha256_update(&s, msg, msglen), sha256_final(&s, inner);
  sha256_init(&s), sha256_update(&s, opad, 64), sha256_update(&s, inner, 32), sha256_final(&s, out);
}

static void hex(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) out[2 * i] = digits[in[i] >> 4], out[2 * i + 1] = digits[in[i] & 15];
  out[2 * n] = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */

static void die_oom(void) {
  fputs("bitcoind-double: out of memory\n", stderr);
  exit(1);
}

static char *xstrdup(const char *s) {
  char *d = strdup(s);
  if (!d) die_oom();
  return d;
}

static char *xasprintf(const char *fmt, ...) {
  va_list ap;
  char *out;
  va_start(ap, fmt);
  if (vasprintf(&out, fmt, ap) < 0) die_oom();
  va_end(ap);
  return out;
}

/* A growable string. */
struct buf {
  char *data;
  size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->data = realloc(b->data, b->cap);
    if (!b->data) die_oom();
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

static void buf_puts(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_printf(struct buf *b, const char *fmt, ...) {
  va_list ap;
  char *s;
  va_start(ap, fmt);
  int n = vasprintf(&s, fmt, ap);
  va_end(ap);
  if (n < 0) die_oom();
  buf_add(b, s, (size_t)n);
  free(s);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  struct buf b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_add(&b, chunk, n);
  fclose(f);
  if (!b.data) buf_add(&b, "", 0);
  if (len) *len = b.len;
  return b.data;
}

/* Writes a file whole: to a temporary name, then renamed over the old one. */
static int write_file_atomic(const char *path, const void *data, size_t n, mode_t mode) {
  char *tmp = xasprintf("%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return free(tmp), -1;
  int ok = write(fd, data, n) == (ssize_t)n && fsync(fd) == 0;
  close(fd);
  ok = ok && rename(tmp, path) == 0;
  free(tmp);
  return ok ? 0 : -1;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

static int mkdirs(const char *path) {
  char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) return free(p), -1;
    *s = '/';
  }
  int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
  free(p);
  return rc;
}

static int dir_is_empty(const char *path) {
  DIR *d = opendir(path);
  if (!d) return 1;
  struct dirent *e;
  int empty = 1;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
  closedir(d);
  return empty;
}

static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    unlink(path);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char *child = xasprintf("%s/%s", path, e->d_name);
    remove_tree(child);
    free(child);
  }
  closedir(d);
  rmdir(path);
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------------------------------ */
/* Versions: the grammar of core/src/bitcoin/version.ts                                        */

struct version {
  char raw[64];
  int knots;
  int major, minor, patch;
  int rc;          /* -1: a final release */
  long knots_date; /* 0: Core */
};

static int parse_version(const char *text, struct version *v) {
  const char *p = text;
  memset(v, 0, sizeof *v);
  v->rc = -1;
  snprintf(v->raw, sizeof v->raw, "%s", text);
  if (*p == 'v') p++;
  int *parts[3] = {&v->major, &v->minor, &v->patch};
  for (int i = 0; i < 3; i++) {
    if (i > 0) {
      if (*p != '.' || !isdigit((unsigned char)p[1])) break;
      p++;
    }
    if (!isdigit((unsigned char)*p)) return -1;
    *parts[i] = (int)strtol(p, (char **)&p, 10);
  }
  if (*p == '-' && p[1] == 'r') p++;
  if (p[0] == 'r' && p[1] == 'c') {
    p += 2;
    if (*p == '.') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    v->rc = (int)strtol(p, (char **)&p, 10);
  }
  if (!strncmp(p, ".knots", 6)) {
    p += 6;
    for (int i = 0; i < 8; i++)
      if (!isdigit((unsigned char)p[i])) return -1;
    v->knots = 1;
    v->knots_date = strtol(p, (char **)&p, 10);
  }
  return *p == 0 ? 0 : -1;
}

static int compare_core_base(const struct version *a, const struct version *b) {
  if (a->major != b->major) return a->major - b->major;
  if (a->minor != b->minor) return a->minor - b->minor;
  if (a->patch != b->patch) return a->patch - b->patch;
  int ra = a->rc < 0 ? 1 << 30 : a->rc, rb = b->rc < 0 ? 1 << 30 : b->rc;
  return (ra > rb) - (ra < rb);
}

static int direction_of(const struct version *from, const struct version *to) {
  int order = compare_core_base(to, from);
  if (order == 0 && from->knots && to->knots) order = (to->knots_date > from->knots_date) - (to->knots_date < from->knots_date);
  return order > 0 ? DIR_UPGRADE : order < 0 ? DIR_DOWNGRADE : DIR_SAME;
}

static int series_differ(const struct version *a, const struct version *b) {
  if (a->major == 0 || b->major == 0) return a->major != b->major || a->minor != b->minor;
  return a->major != b->major;
}

/* "v28.4.0" for Core, "v29.3.knots20260508" for Knots: FormatFullVersion of each. */
static void full_version(const struct version *v, char *out, size_t n) {
  char rc[16] = "";
  if (v->rc >= 0) snprintf(rc, sizeof rc, "rc%d", v->rc);
  if (v->knots) {
    char patch[16] = "";
    if (v->patch) snprintf(patch, sizeof patch, ".%d", v->patch);
    snprintf(out, n, "v%d.%d%s%s.knots%08ld", v->major, v->minor, patch, rc, v->knots_date);
  } else {
    snprintf(out, n, "v%d.%d.%d%s", v->major, v->minor, v->patch, rc);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Settings: command line, bitcoin.conf sections and top level, settings.json                 */

enum source { SRC_CMDLINE, SRC_CONF };

struct setting {
  char *section; /* NULL: top level (or the command line without a section prefix) */
  char *name;
  char *value;
  int source;
};

static struct setting *settings;
static size_t nsettings;
static const char *g_section; /* bitcoin.conf section of the active network: main, test, ... */
static int g_is_main;

static void add_setting(int source, const char *section, const char *name, const char *value) {
  settings = realloc(settings, (nsettings + 1) * sizeof *settings);
  if (!settings) die_oom();
  /* -noprune is prune=0, -noprune=0 is prune=1, as in bitcoind. */
  if (!strncmp(name, "no", 2) && strlen(name) > 2 && strcmp(name, "node") != 0) {
    int negated_false = value && !strcmp(value, "0");
    name += 2;
    value = negated_false ? "1" : "0";
  }
  settings[nsettings++] = (struct setting){section ? xstrdup(section) : NULL, xstrdup(name),
                                           xstrdup(value ? value : ""), source};
}

/* Options bitcoind applies from the top of bitcoin.conf on mainnet only (NETWORK_ONLY). */
static int network_only(const char *name) {
  static const char *names[] = {"rpcport", "rpcbind", "port", "bind", "connect", "addnode", "wallet", NULL};
  for (int i = 0; names[i]; i++)
    if (!strcmp(names[i], name)) return 1;
  return 0;
}

/* The value bitcoind would use: the last on the command line, else the first in the network's
 * section of bitcoin.conf, else the first at its top level. */
static const char *get_arg(const char *name) {
  const char *found = NULL;
  for (size_t i = 0; i < nsettings; i++)
    if (settings[i].source == SRC_CMDLINE && !strcmp(settings[i].name, name) &&
        (!settings[i].section || (g_section && !strcmp(settings[i].section, g_section))))
      found = settings[i].value;
  if (found) return found;
  for (size_t i = 0; i < nsettings; i++)
    if (settings[i].source == SRC_CONF && settings[i].section && g_section &&
        !strcmp(settings[i].section, g_section) && !strcmp(settings[i].name, name))
      return settings[i].value;
  for (size_t i = 0; i < nsettings; i++)
    if (settings[i].source == SRC_CONF && !settings[i].section && !strcmp(settings[i].name, name)) {
      if (network_only(name) && !g_is_main) return NULL;
      return settings[i].value;
    }
  return NULL;
}

static int get_bool(const char *name, int fallback) {
  const char *v = get_arg(name);
  if (!v) return fallback;
  return *v == 0 ? 1 : atoi(v) != 0;
}

static long get_int(const char *name, long fallback) {
  const char *v = get_arg(name);
  return v ? strtol(v, NULL, 10) : fallback;
}

/* Every value of a list option (rpcauth, rpcallowip, rpcbind): command line and bitcoin.conf. */
static size_t get_list(const char *name, const char **out, size_t max) {
  size_t n = 0;
  for (int pass = 0; pass < 3; pass++)
    for (size_t i = 0; i < nsettings && n < max; i++) {
      struct setting *s = &settings[i];
      if (strcmp(s->name, name) != 0) continue;
      int match = pass == 0   ? s->source == SRC_CMDLINE
                  : pass == 1 ? s->source == SRC_CONF && s->section && g_section && !strcmp(s->section, g_section)
                              : s->source == SRC_CONF && !s->section && (g_is_main || !network_only(name));
      if (match && *s->value) out[n++] = s->value;
    }
  return n;
}

static void parse_conf(const char *text) {
  char *copy = xstrdup(text), *save = NULL;
  const char *section = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    line = trim(line);
    if (!*line) continue;
    size_t len = strlen(line);
    if (line[0] == '[' && line[len - 1] == ']') {
      line[len - 1] = 0;
      section = xstrdup(trim(line + 1));
      continue;
    }
    char *eq = strchr(line, '=');
    char *value = NULL;
    if (eq) *eq = 0, value = trim(eq + 1);
    char *name = trim(line);
    char *dot = strchr(name, '.');
    if (!section && dot) {
      *dot = 0;
      add_setting(SRC_CONF, name, dot + 1, value);
    } else {
      add_setting(SRC_CONF, section, name, value);
    }
  }
  free(copy);
}

/* ------------------------------------------------------------------------------------------ */
/* A JSON scanner: enough to read JSON-RPC requests, replies and settings.json                 */

static const char *json_ws(const char *p, const char *end) {
  while (p < end && isspace((unsigned char)*p)) p++;
  return p;
}

static const char *json_skip(const char *p, const char *end, int depth) {
  p = json_ws(p, end);
  if (p >= end || depth > 64) return NULL;
  if (*p == '"') {
    for (p++; p < end; p++) {
      if (*p == '\\') p++;
      else if (*p == '"') return p + 1;
    }
    return NULL;
  }
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    p = json_ws(p + 1, end);
    if (p < end && *p == close) return p + 1;
    for (;;) {
      if (close == '}') {
        if (p >= end || *p != '"') return NULL;
        if (!(p = json_skip(p, end, depth + 1))) return NULL;
        p = json_ws(p, end);
        if (p >= end || *p != ':') return NULL;
        p++;
      }
      if (!(p = json_skip(p, end, depth + 1))) return NULL;
      p = json_ws(p, end);
      if (p < end && *p == ',') {
        p = json_ws(p + 1, end);
        continue;
      }
      return p < end && *p == close ? p + 1 : NULL;
    }
  }
  if (!strncmp(p, "true", 4) && end - p >= 4) return p + 4;
  if (!strncmp(p, "false", 5) && end - p >= 5) return p + 5;
  if (!strncmp(p, "null", 4) && end - p >= 4) return p + 4;
  const char *start = p;
  if (p < end && *p == '-') p++;
  while (p < end && (isdigit((unsigned char)*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-')) p++;
  return p > start ? p : NULL;
}

/* Finds `key` in the object at [p, end); sets the value's span. */
static int json_member(const char *p, const char *end, const char *key, const char **vs, const char **ve) {
  p = json_ws(p, end);
  if (p >= end || *p != '{') return 0;
  p = json_ws(p + 1, end);
  size_t klen = strlen(key);
  while (p < end && *p == '"') {
    const char *kend = json_skip(p, end, 0);
    if (!kend) return 0;
    int match = (size_t)(kend - p - 2) == klen && !strncmp(p + 1, key, klen);
    p = json_ws(kend, end);
    if (p >= end || *p != ':') return 0;
    p = json_ws(p + 1, end);
    const char *vend = json_skip(p, end, 0);
    if (!vend) return 0;
    if (match) {
      *vs = p, *ve = vend;
      return 1;
    }
    p = json_ws(vend, end);
    if (p < end && *p == ',') p = json_ws(p + 1, end);
  }
  return 0;
}

/* The n-th element of the array at [p, end). */
static int json_element(const char *p, const char *end, int index, const char **vs, const char **ve) {
  p = json_ws(p, end);
  if (p >= end || *p != '[') return 0;
  p = json_ws(p + 1, end);
  for (int i = 0; p < end && *p != ']'; i++) {
    const char *vend = json_skip(p, end, 0);
    if (!vend) return 0;
    if (i == index) {
      *vs = p, *ve = vend;
      return 1;
    }
    p = json_ws(vend, end);
    if (p < end && *p == ',') p = json_ws(p + 1, end);
  }
  return 0;
}

/* A JSON string's contents (simple escapes decoded), or NULL when the span is not a string. */
static char *json_string(const char *vs, const char *ve) {
  if (ve - vs < 2 || *vs != '"') return NULL;
  struct buf b = {0};
  buf_add(&b, "", 0);
  for (const char *p = vs + 1; p < ve - 1; p++) {
    char c = *p;
    if (c == '\\' && p + 1 < ve - 1) {
      c = *++p;
      c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
    }
    buf_add(&b, &c, 1);
  }
  return b.data;
}

static void json_quote(struct buf *b, const char *s) {
  buf_add(b, "\"", 1);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') buf_printf(b, "\\%c", *s);
    else if ((unsigned char)*s < 0x20) buf_printf(b, "\\u%04x", *s);
    else buf_add(b, s, 1);
  }
  buf_add(b, "\"", 1);
}

/* ------------------------------------------------------------------------------------------ */
/* The node                                                                                    */

#define VERSION_FILE "/etc/bitcoind-double/version"
#define STATE_FILE "bitcoind-double.state"

struct network {
  const char *chain;   /* getblockchaininfo's "chain" and -chain= value */
  const char *section; /* bitcoin.conf section */
  const char *subdir;  /* "" for mainnet */
  int rpcport;
  const char *genesis;
};

static const struct network NETWORKS[] = {
    {"main", "main", "", 8332, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
    {"test", "test", "testnet3", 18332, "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943"},
    {"testnet4", "testnet4", "testnet4", 48332, "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"},
    {"signet", "signet", "signet", 38332, "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6"},
    {"regtest", "regtest", "regtest", 18443, "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"},
};

static struct version g_version;
static const char *g_name;  /* "Bitcoin Core" or "Bitcoin Knots" */
static const struct network *g_net;
static char *g_datadir, *g_netdir;
static FILE *g_log;
static int g_printtoconsole = 1;
static int g_logging; /* bitcoind logs nothing before StartLogging (its early messages are dropped) */
static double g_started;
static double g_warmup_until;
static volatile sig_atomic_t g_shutdown;

/* What the double keeps between starts, standing in for the block index and chainstate databases
 * (which record their format implicitly). bitcoind-double.state in the network directory. */
static struct {
  char writer[64]; /* the version that last started successfully here */
  long blocks;
  int have_pruned;
  char tip[65];
  double tip_time;
} g_state;
static long g_prune;

static void logf_(const char *fmt, ...) {
  char line[8192], stamp[32];
  va_list ap;
  if (!g_logging) return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  time_t t = time(NULL);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  /* Multi-line messages are logged as they are, like bitcoind's LogPrintf. */
  if (g_log) fprintf(g_log, "%s %s\n", stamp, line), fflush(g_log);
  if (g_printtoconsole) fprintf(stdout, "%s %s\n", stamp, line), fflush(stdout);
}

static void shutdown_log_and_exit(int status);

/* InitError: "Error: <message>" on stderr and in debug.log, then bitcoind's shutdown, then exit 1. */
static void init_error(const char *fmt, ...) {
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "Error: %s\n", msg);
  logf_("Error: %s", msg);
  shutdown_log_and_exit(1);
}

static void load_state(void) {
  char *path = xasprintf("%s/%s", g_netdir, STATE_FILE);
  char *text = read_file(path, NULL);
  free(path);
  if (!text) return;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = 0;
    const char *v = eq + 1;
    if (!strcmp(line, "writer")) snprintf(g_state.writer, sizeof g_state.writer, "%s", v);
    else if (!strcmp(line, "blocks")) g_state.blocks = atol(v);
    else if (!strcmp(line, "have_pruned")) g_state.have_pruned = atoi(v);
    else if (!strcmp(line, "tip")) snprintf(g_state.tip, sizeof g_state.tip, "%s", v);
    else if (!strcmp(line, "tip_time")) g_state.tip_time = atof(v);
  }
  free(text);
}

static void save_state(void) {
  char *path = xasprintf("%s/%s", g_netdir, STATE_FILE);
  char *text = xasprintf("# bitcoind-double (a test double of bitcoind) keeps its fake chain here\n"
                         "writer=%s\nblocks=%ld\nhave_pruned=%d\ntip=%s\ntip_time=%.0f\n",
                         g_state.writer, g_state.blocks, g_state.have_pruned, g_state.tip, g_state.tip_time);
  write_file_atomic(path, text, strlen(text), 0600);
  free(text);
  free(path);
}

static void block_hash(long height, char out[65]) {
  unsigned char d[32];
  char *seed = xasprintf("bitcoind-double %s block %ld %.6f", g_net->chain, height, now_seconds());
  struct sha256 s;
  sha256_init(&s), sha256_update(&s, seed, strlen(seed)), sha256_final(&s, d);
  free(seed);
  hex(d, 32, out);
}

/* ---- blocks/xor.dat and the block files ------------------------------------------------- */

static int read_xor_key(const char *path, unsigned char key[8]) {
  size_t n;
  char *data = read_file(path, &n);
  if (!data) return XOR_ABSENT;
  int state = XOR_UNREADABLE;
  if (n == 8) {
    memcpy(key, data, 8);
    state = XOR_ZERO;
    for (int i = 0; i < 8; i++)
      if (key[i]) state = XOR_NONZERO;
  }
  free(data);
  return state;
}

/* Core 28's InitBlocksdirXorKey: a random key on the very first start (empty blocks dir), an
 * all-zero key when blocks exist from an older version; an existing key is kept. */
static void init_xor_key(const char *blocksdir) {
  unsigned char key[8] = {0};
  char *path = xasprintf("%s/xor.dat", blocksdir);
  int state = read_xor_key(path, key);
  if (state == XOR_UNREADABLE) {
    fprintf(stderr, "Error: AutoFile::read: end of file: %s holds no 8-byte key\n", path);
    logf_("Error: AutoFile::read: end of file: %s holds no 8-byte key", path);
    shutdown_log_and_exit(1);
  }
  int use_xor = get_bool("blocksxor", 1);
  if (state == XOR_ABSENT) {
    if (use_xor && dir_is_empty(blocksdir)) {
      if (getrandom(key, 8, 0) != 8) init_error("cannot read random bytes for blocks/xor.dat");
      /* A random key that happens to be zero would look like an old datadir; draw again. */
      while (!memcmp(key, "\0\0\0\0\0\0\0\0", 8)) getrandom(key, 8, 0);
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, key, 8) != 8) init_error("cannot write %s: %s", path, strerror(errno));
    fsync(fd);
    close(fd);
  }
  if (!use_xor && memcmp(key, "\0\0\0\0\0\0\0\0", 8)) {
    char h[17];
    hex(key, 8, h);
    init_error("The blocksdir XOR-key can not be disabled when a random key was already stored! "
               "Stored key: '%s', stored path: '%s'.",
               h, path);
  }
  char h[17];
  hex(key, 8, h);
  logf_("Using obfuscation key for blocksdir *.dat files (%s): '%s'", blocksdir, h);
  free(path);
}

/* A stand-in for blk00000.dat: the network magic and a marker, obfuscated with the key like the
 * real block files are (what makes them unreadable to versions before 28). */
static void ensure_block_files(const char *blocksdir) {
  char *blk = xasprintf("%s/blk00000.dat", blocksdir);
  if (!exists(blk)) {
    unsigned char key[8] = {0}, data[64];
    char *keypath = xasprintf("%s/xor.dat", blocksdir);
    read_xor_key(keypath, key);
    free(keypath);
    memset(data, 0, sizeof data);
    memcpy(data, "\xfa\xbf\xb5\xda", 4);
    snprintf((char *)data + 8, sizeof data - 8, "bitcoind-double genesis %s", g_net->chain);
    for (size_t i = 0; i < sizeof data; i++) data[i] ^= key[i % 8];
    write_file_atomic(blk, data, sizeof data, 0600);
    char *rev = xasprintf("%s/rev00000.dat", blocksdir);
    write_file_atomic(rev, "", 0, 0600);
    free(rev);
  }
  free(blk);
}

/* ---- the downgrade rules ---------------------------------------------------------------- */

static int rule_applies(const struct rule *r, const struct version *from, const struct version *to, int dir,
                        int xor_state, int coinstats) {
  if (r->direction != dir) return 0;
  if (r->from_major != ANY) {
    struct version bound = {.major = r->from_major, .minor = r->from_minor, .rc = -1};
    if (compare_core_base(from, &bound) < 0) return 0;
  }
  if (r->to_major != ANY) {
    struct version bound = {.major = r->to_major, .minor = r->to_minor, .rc = -1};
    if (compare_core_base(to, &bound) >= 0) return 0;
  }
  if (r->xor_mask && !(r->xor_mask & xor_state)) return 0;
  if (r->coinstats_index != ANY && r->coinstats_index != coinstats) return 0;
  if (r->series_change != ANY && r->series_change != series_differ(from, to)) return 0;
  return 1;
}

/* The newest version any evidence says wrote this datadir: the double's own record, and the
 * format clues the daemon also reads (a non-zero xor key ⇒ 28+, indexes/coinstatsindex ⇒ 30+). */
static int datadir_writer(struct version *from, int xor_state, int coinstats) {
  int known = g_state.writer[0] && parse_version(g_state.writer, from) == 0;
  struct version floor28 = {.raw = "28.0", .major = 28, .rc = -1}, floor30 = {.raw = "30.0", .major = 30, .rc = -1};
  if (xor_state == XOR_NONZERO && (!known || compare_core_base(from, &floor28) < 0)) *from = floor28, known = 1;
  if (coinstats && (!known || compare_core_base(from, &floor30) < 0)) *from = floor30, known = 1;
  return known;
}

/* Applies the table to this start. Rows whose basis is an assumption are the daemon's caution,
 * not something bitcoind is known to enforce, so the double only logs them. */
/* Observed with real builds (a 27.99 on a datadir a 29.99 created): a pre-28 -reindex reads the
 * obfuscated block files as garbage, finds no blocks, starts over from genesis and writes its own
 * unobfuscated genesis over blk00000.dat; it comes up at height 0, and afterwards not even a 28+
 * -reindex recovers a single block. The double does the same: the chain is gone for good. */
static void destroy_chain_by_old_reindex(const char *blocksdir) {
  logf_("LoadExternalBlockFile: Deserialize or I/O error - ReadCompactSize(): size too large");
  logf_("Loaded 0 blocks from external file in 0ms");
  char *blk = xasprintf("%s/blk00000.dat", blocksdir);
  unsigned char data[64] = {0};
  memcpy(data, "\xfa\xbf\xb5\xda", 4);
  snprintf((char *)data + 8, sizeof data - 8, "bitcoind-double genesis %s (written unobfuscated)", g_net->chain);
  write_file_atomic(blk, data, sizeof data, 0600);
  free(blk);
  g_state.blocks = 0;
  g_state.tip[0] = 0;
}

static void check_version_rules(const char *blocksdir, int xor_state, int coinstats, int reindex,
                                int reindex_chainstate) {
  struct version from;
  if (!datadir_writer(&from, xor_state, coinstats)) return;
  int dir = direction_of(&from, &g_version);
  int effect = EFFECT_SAFE;
  const char *why = "";
  for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++) {
    const struct rule *r = &RULES[i];
    if (!rule_applies(r, &from, &g_version, dir, xor_state, coinstats)) continue;
    if (dir == DIR_DOWNGRADE)
      logf_("bitcoind-double: rule %s applies to %s -> %s%s", r->id, from.raw, g_version.raw,
          r->basis == BASIS_ASSUMPTION ? " (an assumption of ours; not enforced by the double)" : "");
    if (r->basis != BASIS_ASSUMPTION && r->effect > effect) effect = r->effect, why = r->id;
  }
  if (effect == EFFECT_REFUSED) {
    if (!strcmp(why, "xor-key-from-28") && reindex) {
      destroy_chain_by_old_reindex(blocksdir);
      return;
    }
    if (!strcmp(why, "xor-key-from-28")) {
      /* What a pre-28 bitcoind printed on a datadir a 28+ one created (see ARCHITECTURE.md). */
      logf_("Verifying last %ld blocks at level 3", g_state.blocks < 6 ? g_state.blocks : 6L);
      logf_("Verification error: ReadBlockFromDisk failed at %ld, hash=%s", g_state.blocks, g_state.tip);
      logf_(": Corrupted block database detected.\nPlease restart with -reindex or -reindex-chainstate to recover.");
      fprintf(stderr, ": Corrupted block database detected.\nPlease restart with -reindex or -reindex-chainstate to recover.\n");
      logf_("Aborted block database rebuild. Exiting.");
      shutdown_log_and_exit(1);
    }
    init_error("bitcoind-double refuses this datadir by rule %s (a datadir written by %s)", why, from.raw);
  }
  if (effect == EFFECT_REINDEX && !reindex)
    init_error("Unsupported block database format found. Please restart with -reindex. "
               "This will rebuild the block index and chainstate.");
  if (effect == EFFECT_REINDEX_CHAINSTATE && !reindex && !reindex_chainstate)
    init_error("Unsupported chainstate database format found. Please restart with -reindex-chainstate. "
               "This will rebuild the chainstate database.");
}

/* ---- RPC server -------------------------------------------------------------------------- */

#define MAX_LISTEN 8
#define MAX_ALLOW 32
#define MAX_AUTH 32

struct subnet {
  int family;
  unsigned char addr[16], mask[16];
};

static int listeners[MAX_LISTEN], nlisteners;
static struct subnet allow[MAX_ALLOW];
static int nallow;
static char *rpcauth_user[MAX_AUTH], *rpcauth_salt[MAX_AUTH], *rpcauth_hash[MAX_AUTH];
static int nrpcauth;
static char *g_userpass; /* rpcuser:rpcpassword, or __cookie__:<hex> */
static char *g_cookiepass;
static char *g_cookiepath;

/* -rpcwhitelist: per user, the methods it may call (bitcoind's g_rpc_whitelist). */
#define MAX_WHITELIST_USERS 32
#define MAX_WHITELIST_METHODS 64
static struct whitelist {
  char *user;
  char *methods[MAX_WHITELIST_METHODS];
  int nmethods;
} g_whitelist[MAX_WHITELIST_USERS];
static int g_nwhitelist;
static int g_whitelist_default; /* users without a whitelist may call nothing */

static int parse_subnet(const char *text, struct subnet *sn) {
  char *copy = xstrdup(text), *slash = strchr(copy, '/');
  if (slash) *slash++ = 0;
  memset(sn, 0, sizeof *sn);
  int len;
  if (inet_pton(AF_INET, copy, sn->addr) == 1) sn->family = AF_INET, len = 4;
  else if (inet_pton(AF_INET6, copy, sn->addr) == 1) sn->family = AF_INET6, len = 16;
  else return free(copy), -1;
  int bits = len * 8;
  if (slash) {
    char *endp;
    long b = strtol(slash, &endp, 10);
    if (*endp == 0 && *slash) {
      if (b < 0 || b > len * 8) return free(copy), -1;
      bits = (int)b;
    } else if (sn->family == AF_INET && inet_pton(AF_INET, slash, sn->mask) == 1) {
      bits = -1;
    } else {
      return free(copy), -1;
    }
  }
  if (bits >= 0)
    for (int i = 0; i < len; i++) sn->mask[i] = bits >= 8 * (i + 1) ? 0xff : bits > 8 * i ? (unsigned char)(0xff << (8 - (bits - 8 * i))) : 0;
  for (int i = 0; i < len; i++) sn->addr[i] &= sn->mask[i];
  free(copy);
  return 0;
}

static int peer_allowed(const struct sockaddr_storage *peer) {
  const unsigned char *a;
  int family = peer->ss_family, len;
  if (family == AF_INET) a = (const unsigned char *)&((const struct sockaddr_in *)peer)->sin_addr, len = 4;
  else a = (const unsigned char *)&((const struct sockaddr_in6 *)peer)->sin6_addr, len = 16;
  for (int i = 0; i < nallow; i++) {
    if (allow[i].family != family) continue;
    int ok = 1;
    for (int j = 0; j < len; j++)
      if ((a[j] & allow[i].mask[j]) != allow[i].addr[j]) ok = 0;
    if (ok) return 1;
  }
  return 0;
}

static int bind_rpc(const char *host, int port) {
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) v4->sin_family = AF_INET, v4->sin_port = htons(port), sl = sizeof *v4;
  else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) v6->sin6_family = AF_INET6, v6->sin6_port = htons(port), sl = sizeof *v6;
  else {
    logf_("Binding RPC on address %s port %d failed: not an IP address (the double resolves no names).", host, port);
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
    logf_("Binding RPC on address %s port %d failed.", host, port);
    close(fd);
    return -1;
  }
  logf_("Binding RPC on address %s port %d", host, port);
  if (nlisteners < MAX_LISTEN) listeners[nlisteners++] = fd;
  return 0;
}

/* "host", "host:port", "[v6]", "[v6]:port" */
static void bind_spec(const char *spec, int default_port) {
  char *copy = xstrdup(spec), *host = copy;
  int port = default_port;
  if (*copy == '[') {
    char *close = strchr(copy, ']');
    if (close) {
      *close = 0, host = copy + 1;
      if (close[1] == ':') port = atoi(close + 2);
    }
  } else {
    char *colon = strchr(copy, ':');
    if (colon && !strchr(colon + 1, ':')) *colon = 0, port = atoi(colon + 1);
  }
  bind_rpc(host, port);
  free(copy);
}

static void write_cookie(void) {
  unsigned char r[32];
  char h[65];
  if (getrandom(r, 32, 0) != 32) init_error("cannot read random bytes for the RPC cookie");
  hex(r, 32, h);
  g_cookiepass = xasprintf("__cookie__:%s", h);
  const char *file = get_arg("rpccookiefile");
  if (!file || !*file) file = ".cookie";
  g_cookiepath = file[0] == '/' ? xstrdup(file) : xasprintf("%s/%s", g_netdir, file);
  if (write_file_atomic(g_cookiepath, g_cookiepass, strlen(g_cookiepass), 0600) != 0) {
    logf_("Unable to open cookie authentication file %s.tmp for writing", g_cookiepath);
    init_error("Unable to start HTTP server. See debug log for details.");
  }
  logf_("Generated RPC authentication cookie %s", g_cookiepath);
}

static struct whitelist *whitelist_of(const char *user) {
  for (int i = 0; i < g_nwhitelist; i++)
    if (!strcmp(g_whitelist[i].user, user)) return &g_whitelist[i];
  return NULL;
}

static int whitelist_allows(const struct whitelist *w, const char *method) {
  for (int i = 0; i < w->nmethods; i++)
    if (!strcmp(w->methods[i], method)) return 1;
  return 0;
}

/* As bitcoind's InitRPCAuthentication: `-rpcwhitelist=user:m1,m2` (methods split at ',' and ' ');
 * a second entry for the same user narrows it to the intersection; `user` alone (no ':') gives a
 * new user an empty list and leaves an existing one as it is. -rpcwhitelistdefault defaults to 1
 * as soon as any -rpcwhitelist is given: then users without an entry may call nothing. */
static void init_whitelist(void) {
  const char *list[MAX_WHITELIST_USERS];
  size_t n = get_list("rpcwhitelist", list, MAX_WHITELIST_USERS);
  g_whitelist_default = get_bool("rpcwhitelistdefault", n > 0);
  for (size_t i = 0; i < n; i++) {
    char *copy = xstrdup(list[i]), *colon = strchr(copy, ':');
    if (colon) *colon = 0;
    struct whitelist *w = whitelist_of(copy);
    int intersect = w != NULL;
    if (!w) {
      if (g_nwhitelist == MAX_WHITELIST_USERS) init_error("bitcoind-double: too many -rpcwhitelist users");
      w = &g_whitelist[g_nwhitelist++];
      w->user = xstrdup(copy);
    }
    if (colon) {
      char *fresh[MAX_WHITELIST_METHODS];
      int nfresh = 0;
      char *save = NULL;
      for (char *m = strtok_r(colon + 1, ", ", &save); m; m = strtok_r(NULL, ", ", &save)) {
        if (nfresh == MAX_WHITELIST_METHODS) break;
        if (intersect && !whitelist_allows(w, m)) continue;
        fresh[nfresh++] = xstrdup(m);
      }
      for (int k = 0; k < w->nmethods; k++) free(w->methods[k]);
      memcpy(w->methods, fresh, sizeof(char *) * (size_t)nfresh);
      w->nmethods = nfresh;
    }
    free(copy);
  }
}

/* Whether `user` may call the method of the request object at [vs, ve) (bitcoind checks this
 * after parsing the request and before running it). */
static int request_allowed(const char *user, const char *vs, const char *ve) {
  const struct whitelist *w = whitelist_of(user);
  if (!w) return 1;
  const char *ms, *me;
  char *method = json_member(vs, ve, "method", &ms, &me) ? json_string(ms, me) : NULL;
  int ok = !method || whitelist_allows(w, method); /* no method: refused as an invalid request later */
  if (!ok) logf_("[warning] RPC User %s not allowed to call method %s", user, method);
  free(method);
  return ok;
}

static void start_rpc_server(void) {
  const char *list[MAX_AUTH];
  size_t n = get_list("rpcauth", list, MAX_AUTH);
  for (size_t i = 0; i < n; i++) {
    char *copy = xstrdup(list[i]), *colon = strchr(copy, ':'), *dollar = colon ? strchr(colon + 1, '$') : NULL;
    if (!colon || !dollar || strchr(dollar + 1, '$')) {
      logf_("Invalid -rpcauth argument.");
      init_error("Unable to start HTTP server. See debug log for details.");
    }
    *colon = 0, *dollar = 0;
    rpcauth_user[nrpcauth] = copy, rpcauth_salt[nrpcauth] = colon + 1, rpcauth_hash[nrpcauth] = dollar + 1;
    nrpcauth++;
  }
  const char *password = get_arg("rpcpassword");
  if (password && *password) {
    const char *user = get_arg("rpcuser");
    g_userpass = xasprintf("%s:%s", user ? user : "", password);
  } else {
    write_cookie();
  }

  parse_subnet("127.0.0.0/8", &allow[nallow++]);
  parse_subnet("::1", &allow[nallow++]);
  const char *allowips[MAX_ALLOW];
  size_t nips = get_list("rpcallowip", allowips, MAX_ALLOW - 2);
  for (size_t i = 0; i < nips; i++)
    if (parse_subnet(allowips[i], &allow[nallow++]) != 0)
      init_error("Invalid -rpcallowip subnet specification: %s. Valid are a single IP (e.g. 1.2.3.4), a "
                 "network/netmask (e.g. 1.2.3.4/255.255.255.0) or a network/CIDR (e.g. 1.2.3.4/24).",
                 allowips[i]);

  int port = (int)get_int("rpcport", g_net->rpcport);
  const char *binds[MAX_LISTEN];
  size_t nbinds = get_list("rpcbind", binds, MAX_LISTEN);
  if (nips == 0 || nbinds == 0) {
    if (nbinds > 0 && nips == 0)
      logf_("WARNING: option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow "
            "everyone to connect");
    bind_rpc("::1", port);
    bind_rpc("127.0.0.1", port);
  } else {
    for (size_t i = 0; i < nbinds; i++) bind_spec(binds[i], port);
  }
  if (nlisteners == 0) {
    logf_("Unable to bind any endpoint for RPC server");
    init_error("Unable to start HTTP server. See debug log for details.");
  }
  init_whitelist();
  logf_("Starting HTTP server with 4 worker threads");
}

static int check_auth(const char *header, const char *peer, char *user, size_t usersize) {
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (strncmp(header, "Basic ", 6) != 0) return 0;
  char decoded[1024];
  size_t n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (const char *p = header + 6; *p && *p != '=' && n < sizeof decoded - 1; p++) {
    const char *q = strchr(b64, *p);
    if (!q || !*p) return 0;
    acc = acc << 6 | (unsigned)(q - b64), bits += 6;
    if (bits >= 8) bits -= 8, decoded[n++] = (char)(acc >> bits & 0xff);
  }
  decoded[n] = 0;
  char *colon = strchr(decoded, ':');
  /* The user name the whitelist is looked up by (jreq.authUser in bitcoind). */
  snprintf(user, usersize, "%.*s", colon ? (int)(colon - decoded) : 0, decoded);
  if ((g_userpass && !strcmp(decoded, g_userpass)) || (g_cookiepass && !strcmp(decoded, g_cookiepass))) return 1;
  if (colon) {
    *colon = 0;
    const char *pass = colon + 1;
    for (int i = 0; i < nrpcauth; i++) {
      if (strcmp(decoded, rpcauth_user[i]) != 0) continue;
      unsigned char mac[32];
      char h[65];
      /* Like bitcoind: the HMAC key is the salt's hex text, not the bytes it encodes. */
      hmac_sha256(rpcauth_salt[i], strlen(rpcauth_salt[i]), pass, strlen(pass), mac);
      hex(mac, 32, h);
      if (!strcmp(h, rpcauth_hash[i])) return 1;
    }
  }
  logf_("ThreadRPCServer incorrect password attempt from %s", peer);
  return 0;
}

/* ---- ZMQ notifications ---------------------------------------------------------------------- */
/*
 * bitcoind's -zmqpub<topic>=<address> notifiers, spoken natively (no libzmq): ZMTP 3.0
 * (rfc.zeromq.org/spec/23) with the NULL mechanism, as a PUB socket. A peer is a SUB (or XSUB):
 * greetings are exchanged, then READY commands (Socket-Type), then the SUB sends subscriptions
 * as messages whose first byte is 1 (subscribe) or 0 (cancel) followed by a topic prefix (ZMTP
 * 3.1's SUBSCRIBE/CANCEL commands are accepted too). Each notification is a three-part message
 * [topic, body, sequence number as a 4-byte little-endian uint32], sent to the peers with a
 * matching prefix; every notifier counts its own messages, sent or not, as bitcoind's do. Several
 * notifiers with the same address share one socket, as in bitcoind.
 */

#define MAX_ZMQ_NOTIFIERS 16
#define MAX_ZMQ_ENDPOINTS 8
#define MAX_ZMQ_PEERS 32
#define MAX_ZMQ_SUBS 16
#define ZMQ_OUT_LIMIT (8u << 20) /* stands in for the send high water mark: beyond it, drop */

static const char *ZMQ_TOPICS[] = {"hashblock", "hashtx", "rawblock", "rawtx", "sequence", NULL};

struct zmq_endpoint {
  char *address;
  int fd;
};
struct zmq_notifier {
  const char *topic;
  int endpoint;
  uint32_t seq;
};
struct zmq_peer {
  int fd, endpoint;
  int state; /* 0: greeting awaited, 1: READY awaited, 2: ready */
  int in_message; /* the last frame had MORE set: the next frame is not a message's first */
  struct buf in, out;
  size_t out_off;
  struct buf subs[MAX_ZMQ_SUBS];
  int nsubs;
};

static struct zmq_endpoint g_zmq_endpoints[MAX_ZMQ_ENDPOINTS];
static int g_nzmq_endpoints;
static struct zmq_notifier g_zmq_notifiers[MAX_ZMQ_NOTIFIERS];
static int g_nzmq_notifiers;
static struct zmq_peer *g_zmq_peers[MAX_ZMQ_PEERS];

/* The 64-byte greeting: signature, version 3.0, mechanism NULL, as-server 0, filler. */
static void zmtp_greeting(unsigned char g[64]) {
  memset(g, 0, 64);
  g[0] = 0xff, g[9] = 0x7f, g[10] = 3, g[11] = 0;
  memcpy(g + 12, "NULL", 4);
}

/* A frame: flags (MORE 1, LONG 2, COMMAND 4), size (1 byte, or 8 bytes big-endian), body. */
static void zmtp_frame(struct buf *b, int flags, const void *body, size_t n) {
  unsigned char head[9];
  size_t hn;
  if (n > 255) {
    head[0] = (unsigned char)(flags | 2);
    for (int i = 0; i < 8; i++) head[1 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
    hn = 9;
  } else {
    head[0] = (unsigned char)flags, head[1] = (unsigned char)n, hn = 2;
  }
  buf_add(b, (const char *)head, hn);
  buf_add(b, body, n);
}

/* READY with one property, Socket-Type (a 4-byte big-endian value length). */
static void zmtp_ready(struct buf *b, const char *socket_type) {
  struct buf body = {0};
  size_t tn = strlen(socket_type);
  unsigned char len[4] = {(unsigned char)(tn >> 24), (unsigned char)(tn >> 16), (unsigned char)(tn >> 8), (unsigned char)tn};
  buf_add(&body, "\5READY\13Socket-Type", 18);
  buf_add(&body, (const char *)len, 4);
  buf_add(&body, socket_type, tn);
  zmtp_frame(b, 4, body.data, body.len);
  free(body.data);
}

/* The value of a property in a READY command's metadata, or NULL. */
static char *zmtp_property(const unsigned char *p, size_t n, const char *name) {
  size_t i = 0;
  while (i < n) {
    size_t nl = p[i++];
    if (i + nl + 4 > n) return NULL;
    const unsigned char *pn = p + i;
    i += nl;
    size_t vl = (size_t)p[i] << 24 | (size_t)p[i + 1] << 16 | (size_t)p[i + 2] << 8 | p[i + 3];
    i += 4;
    if (i + vl > n) return NULL;
    if (nl == strlen(name) && !strncasecmp((const char *)pn, name, nl)) return strndup((const char *)p + i, vl);
    i += vl;
  }
  return NULL;
}

/* tcp://IP:PORT, tcp://[v6]:PORT, or a star for every IPv4 address: a listening socket, or -1. */
static int zmq_bind(const char *address) {
  if (strncmp(address, "tcp://", 6) != 0) return -1;
  char *host = xstrdup(address + 6), *port;
  if (*host == '[') {
    char *close = strchr(host, ']');
    if (!close || close[1] != ':') return free(host), -1;
    *close = 0, port = close + 2;
    memmove(host, host + 1, strlen(host));
  } else {
    port = strrchr(host, ':');
    if (!port) return free(host), -1;
    *port++ = 0;
  }
  int portnum = atoi(port);
  if (portnum <= 0 || portnum > 65535) return free(host), -1;
  const char *ip = strcmp(host, "*") ? host : "0.0.0.0";
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) v4->sin_family = AF_INET, v4->sin_port = htons(portnum), sl = sizeof *v4;
  else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) v6->sin6_family = AF_INET6, v6->sin6_port = htons(portnum), sl = sizeof *v6;
  else return free(host), -1;
  free(host);
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) return close(fd), -1;
  return fd;
}

static void start_zmq(void) {
  for (int t = 0; ZMQ_TOPICS[t]; t++) {
    char *name = xasprintf("zmqpub%s", ZMQ_TOPICS[t]);
    const char *addresses[MAX_ZMQ_NOTIFIERS];
    size_t n = get_list(name, addresses, MAX_ZMQ_NOTIFIERS);
    free(name);
    for (size_t i = 0; i < n && g_nzmq_notifiers < MAX_ZMQ_NOTIFIERS; i++) {
      int e = 0;
      while (e < g_nzmq_endpoints && strcmp(g_zmq_endpoints[e].address, addresses[i]) != 0) e++;
      if (e == g_nzmq_endpoints) {
        if (g_nzmq_endpoints == MAX_ZMQ_ENDPOINTS) break;
        int fd = zmq_bind(addresses[i]);
        if (fd < 0) {
          /* bitcoind: "zmq: Failed to bind address", and this notifier is not started */
          logf_("zmq: Failed to bind address %s (the double binds literal IPs and * only)", addresses[i]);
          continue;
        }
        g_zmq_endpoints[e] = (struct zmq_endpoint){xstrdup(addresses[i]), fd};
        g_nzmq_endpoints++;
      }
      g_zmq_notifiers[g_nzmq_notifiers++] = (struct zmq_notifier){ZMQ_TOPICS[t], e, 0};
      logf_("zmq: Notifier pub%s ready (address = %s)", ZMQ_TOPICS[t], addresses[i]);
    }
  }
}

static void zmq_close_peer(int i) {
  struct zmq_peer *p = g_zmq_peers[i];
  close(p->fd);
  free(p->in.data), free(p->out.data);
  for (int k = 0; k < p->nsubs; k++) free(p->subs[k].data);
  free(p);
  g_zmq_peers[i] = NULL;
}

static void zmq_flush(int i) {
  struct zmq_peer *p = g_zmq_peers[i];
  while (p->out_off < p->out.len) {
    ssize_t w = send(p->fd, p->out.data + p->out_off, p->out.len - p->out_off, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (w <= 0) return zmq_close_peer(i);
    p->out_off += (size_t)w;
  }
  p->out.len = p->out_off = 0;
}

static void zmq_accept(int e) {
  int fd = accept4(g_zmq_endpoints[e].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  int i = 0;
  while (i < MAX_ZMQ_PEERS && g_zmq_peers[i]) i++;
  if (i == MAX_ZMQ_PEERS) return (void)close(fd);
  struct zmq_peer *p = calloc(1, sizeof *p);
  if (!p) die_oom();
  p->fd = fd, p->endpoint = e;
  g_zmq_peers[i] = p;
  /* The whole greeting and READY at once: a ZMTP peer reads them as a stream. */
  unsigned char g[64];
  zmtp_greeting(g);
  buf_add(&p->out, (const char *)g, 64);
  zmtp_ready(&p->out, "PUB");
  zmq_flush(i);
}

static void zmq_subscription(struct zmq_peer *p, int subscribe, const char *prefix, size_t n) {
  if (subscribe) {
    if (p->nsubs == MAX_ZMQ_SUBS) return;
    struct buf *b = &p->subs[p->nsubs++];
    memset(b, 0, sizeof *b);
    buf_add(b, prefix, n);
    return;
  }
  for (int k = 0; k < p->nsubs; k++)
    if (p->subs[k].len == n && !memcmp(p->subs[k].data, prefix, n)) {
      free(p->subs[k].data);
      p->subs[k] = p->subs[--p->nsubs];
      return;
    }
}

/* Reads what a SUB peer sent and acts on it; closes the peer on a protocol error. */
static void zmq_read(int i) {
  struct zmq_peer *p = g_zmq_peers[i];
  char chunk[4096];
  ssize_t r = recv(p->fd, chunk, sizeof chunk, 0);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return zmq_close_peer(i);
  if (r < 0) return;
  buf_add(&p->in, chunk, (size_t)r);
  size_t off = 0;
  for (;;) {
    const unsigned char *d = (const unsigned char *)p->in.data + off;
    size_t left = p->in.len - off;
    if (p->state == 0) {
      if (left < 64) break;
      if (d[0] != 0xff || d[9] != 0x7f || d[10] < 3 || memcmp(d + 12, "NULL\0", 5) != 0) {
        logf_("zmq: a peer spoke no ZMTP 3 NULL greeting; disconnected");
        return zmq_close_peer(i);
      }
      p->state = 1, off += 64;
      continue;
    }
    if (left < 2) break;
    int flags = d[0];
    size_t hn = flags & 2 ? 9 : 2, n = 0;
    if (left < hn) break;
    if (flags & 2)
      for (int k = 0; k < 8; k++) n = n << 8 | d[1 + k];
    else
      n = d[1];
    if (n > (1u << 20)) return zmq_close_peer(i);
    if (left < hn + n) break;
    const unsigned char *body = d + hn;
    off += hn + n;
    if (flags & 4) {
      size_t nl = n ? body[0] : 0;
      if (nl + 1 > n) return zmq_close_peer(i);
      const char *name = (const char *)body + 1;
      const unsigned char *data = body + 1 + nl;
      size_t dn = n - 1 - nl;
      if (nl == 5 && !memcmp(name, "READY", 5)) {
        char *type = zmtp_property(data, dn, "Socket-Type");
        int ok = type && (!strcmp(type, "SUB") || !strcmp(type, "XSUB"));
        free(type);
        if (!ok) {
          /* ZMTP: a PUB only pairs with SUB and XSUB peers */
          struct buf err = {0};
          buf_add(&err, "\5ERROR\23invalid socket type", 26);
          zmtp_frame(&p->out, 4, err.data, err.len);
          free(err.data);
          zmq_flush(i);
          if (g_zmq_peers[i]) zmq_close_peer(i);
          return;
        }
        p->state = 2;
      } else if (nl == 9 && !memcmp(name, "SUBSCRIBE", 9)) {
        zmq_subscription(p, 1, (const char *)data, dn);
      } else if (nl == 6 && !memcmp(name, "CANCEL", 6)) {
        zmq_subscription(p, 0, (const char *)data, dn);
      }
      continue;
    }
    if (p->state != 2) return zmq_close_peer(i);
    if (!p->in_message && n >= 1 && (body[0] == 0 || body[0] == 1))
      zmq_subscription(p, body[0], (const char *)body + 1, n - 1);
    p->in_message = flags & 1;
  }
  memmove(p->in.data, p->in.data + off, p->in.len - off);
  p->in.len -= off;
}

static size_t zmq_pollfds(struct pollfd *fds) {
  size_t n = 0;
  for (int e = 0; e < g_nzmq_endpoints; e++) fds[n++] = (struct pollfd){g_zmq_endpoints[e].fd, POLLIN, 0};
  for (int i = 0; i < MAX_ZMQ_PEERS; i++)
    if (g_zmq_peers[i])
      fds[n++] = (struct pollfd){g_zmq_peers[i]->fd, (short)(POLLIN | (g_zmq_peers[i]->out.len ? POLLOUT : 0)), 0};
  return n;
}

/* Acts on the zmq entries of a poll (in the order zmq_pollfds made them); returns whether any was ready. */
static int zmq_after_poll(const struct pollfd *fds) {
  size_t n = 0;
  int busy = 0;
  for (int e = 0; e < g_nzmq_endpoints; e++, n++)
    if (fds[n].revents & POLLIN) zmq_accept(e), busy = 1;
  for (int i = 0; i < MAX_ZMQ_PEERS; i++) {
    if (!g_zmq_peers[i]) continue;
    int fd = g_zmq_peers[i]->fd;
    /* a peer accepted in this round has no entry yet */
    if (fds[n].fd != fd) continue;
    short re = fds[n++].revents;
    if (re & (POLLIN | POLLHUP | POLLERR)) zmq_read(i), busy = 1;
    if (g_zmq_peers[i] && (re & POLLOUT)) zmq_flush(i), busy = 1;
  }
  return busy;
}

/* Takes in every connection and subscription already sent, so that a notification right after
 * an RPC reaches a subscriber that subscribed before the RPC was made. */
static void zmq_settle(void) {
  for (int round = 0; round < 16; round++) {
    struct pollfd fds[MAX_ZMQ_ENDPOINTS + MAX_ZMQ_PEERS];
    size_t n = zmq_pollfds(fds);
    if (n == 0 || poll(fds, n, 0) <= 0 || !zmq_after_poll(fds)) return;
  }
}

static void zmq_publish(const char *topic, const void *body, size_t n) {
  for (int k = 0; k < g_nzmq_notifiers; k++) {
    struct zmq_notifier *z = &g_zmq_notifiers[k];
    if (strcmp(z->topic, topic) != 0) continue;
    unsigned char seq[4] = {(unsigned char)z->seq, (unsigned char)(z->seq >> 8), (unsigned char)(z->seq >> 16),
                            (unsigned char)(z->seq >> 24)};
    z->seq++;
    size_t tn = strlen(topic);
    for (int i = 0; i < MAX_ZMQ_PEERS; i++) {
      struct zmq_peer *p = g_zmq_peers[i];
      if (!p || p->endpoint != z->endpoint || p->state != 2) continue;
      int match = 0;
      for (int s = 0; s < p->nsubs && !match; s++)
        match = p->subs[s].len <= tn && !memcmp(p->subs[s].data, topic, p->subs[s].len);
      if (!match || p->out.len - p->out_off > ZMQ_OUT_LIMIT) continue;
      zmtp_frame(&p->out, 1, topic, tn);
      zmtp_frame(&p->out, 1, body, n);
      zmtp_frame(&p->out, 0, seq, 4);
      zmq_flush(i);
    }
  }
}

static void stop_zmq(void) {
  for (int i = 0; i < MAX_ZMQ_PEERS; i++)
    if (g_zmq_peers[i]) zmq_close_peer(i);
  for (int e = 0; e < g_nzmq_endpoints; e++) close(g_zmq_endpoints[e].fd);
}

/* ---- RPC methods -------------------------------------------------------------------------- */

enum { RPC_OK = 0 };

struct reply {
  struct buf result; /* JSON text of the result */
  int code;          /* 0, or a JSON-RPC error code */
  char message[256];
};

static void rpc_error(struct reply *r, int code, const char *message) {
  r->code = code;
  snprintf(r->message, sizeof r->message, "%s", message);
}

static void warnings_json(struct buf *b) {
  if (g_version.major >= 28) buf_add(b, "[]", 2);
  else buf_add(b, "\"\"", 2);
}

static void rpc_getblockchaininfo(struct reply *r) {
  struct buf *b = &r->result;
  int regtest = !strcmp(g_net->chain, "regtest");
  int ibd = !(regtest && g_state.blocks > 0 && now_seconds() - g_state.tip_time < 24 * 3600);
  double progress = regtest ? 1.0 : g_state.blocks == 0 ? 1e-9 : 0.5;
  buf_printf(b, "{\"chain\":\"%s\",\"blocks\":%ld,\"headers\":%ld,\"bestblockhash\":\"%s\",", g_net->chain,
             g_state.blocks, g_state.blocks, g_state.tip);
  buf_printf(b, "\"difficulty\":%s,\"time\":%.0f,\"mediantime\":%.0f,\"verificationprogress\":%g,",
             regtest ? "4.656542373906925e-10" : "1", g_state.tip_time, g_state.tip_time, progress);
  buf_printf(b, "\"initialblockdownload\":%s,\"chainwork\":\"%064lx\",\"size_on_disk\":%ld,\"pruned\":%s,",
             ibd ? "true" : "false", (unsigned long)(g_state.blocks + 1) * 2, 293 + 250 * g_state.blocks,
             g_prune ? "true" : "false");
  if (g_prune) {
    buf_printf(b, "\"pruneheight\":0,\"automatic_pruning\":%s,", g_prune > 1 ? "true" : "false");
    if (g_prune > 1) buf_printf(b, "\"prune_target_size\":%ld,", g_prune * 1024 * 1024);
  }
  buf_add(b, "\"warnings\":", 11);
  warnings_json(b);
  buf_add(b, "}", 1);
}

static void rpc_getnetworkinfo(struct reply *r) {
  struct buf *b = &r->result;
  char subversion[128];
  if (g_version.knots)
    snprintf(subversion, sizeof subversion, "/Satoshi:%d.%d.%d/Knots:%08ld/", g_version.major, g_version.minor,
             g_version.patch, g_version.knots_date);
  else
    snprintf(subversion, sizeof subversion, "/Satoshi:%d.%d.%d/", g_version.major, g_version.minor, g_version.patch);
  buf_printf(b, "{\"version\":%d,\"subversion\":\"%s\",\"protocolversion\":70016,",
             g_version.major * 10000 + g_version.minor * 100 + g_version.patch, subversion);
  buf_puts(b,
          "\"localservices\":\"0000000000000c09\",\"localservicesnames\":[\"NETWORK\",\"WITNESS\",\"NETWORK_LIMITED\","
          "\"P2P_V2\"],\"localrelay\":true,\"timeoffset\":0,\"networkactive\":true,\"connections\":0,"
          "\"connections_in\":0,\"connections_out\":0,\"networks\":[],\"relayfee\":0.00001000,"
          "\"incrementalfee\":0.00001000,\"localaddresses\":[],\"warnings\":");
  warnings_json(b);
  buf_add(b, "}", 1);
}

/* ---- Blocks for generatetoaddress ----------------------------------------------------------- */
/* Each generated block is a real serialization: an 80-byte header (version, previous block,
 * merkle root, time, regtest bits, a nonce meeting the regtest target) and one coinbase
 * transaction (BIP34 height, 50 BTC halving every 150 blocks as on regtest, paid to OP_TRUE — the
 * address is not decoded). Its hash is the double SHA-256 of the header, as in Bitcoin, so what
 * rawblock carries hashes to what hashblock and the RPC say. */

static void dsha256(const void *data, size_t n, unsigned char out[32]) {
  struct sha256 s;
  unsigned char once[32];
  sha256_init(&s), sha256_update(&s, data, n), sha256_final(&s, once);
  sha256_init(&s), sha256_update(&s, once, 32), sha256_final(&s, out);
}

static void put_le(struct buf *b, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) {
    char c = (char)(v >> (8 * i));
    buf_add(b, &c, 1);
  }
}

/* Hashes are shown (RPC) and published (ZMQ) in reversed byte order. */
static void hash_to_hex(const unsigned char internal[32], char out[65]) {
  unsigned char shown[32];
  for (int i = 0; i < 32; i++) shown[i] = internal[31 - i];
  hex(shown, 32, out);
}

static void hex_to_hash(const char *text, unsigned char internal[32]) {
  memset(internal, 0, 32);
  for (int i = 0; i < 32 && text[2 * i] && text[2 * i + 1]; i++) {
    unsigned v;
    sscanf(text + 2 * i, "%2x", &v);
    internal[31 - i] = (unsigned char)v;
  }
}

static void reversed(const unsigned char in[32], unsigned char out[32]) {
  for (int i = 0; i < 32; i++) out[i] = in[31 - i];
}

struct block {
  struct buf raw, coinbase;
  unsigned char hash[32], txid[32]; /* internal byte order */
};

static void make_block(long height, const char *prev_hex, uint32_t time, struct block *blk) {
  memset(blk, 0, sizeof *blk);
  struct buf *tx = &blk->coinbase;
  put_le(tx, 2, 4);                   /* version */
  buf_add(tx, "\1", 1);               /* one input */
  buf_add(tx, (const char[32]){0}, 32); /* the null prevout */
  put_le(tx, 0xffffffff, 4);
  unsigned char script[16];
  size_t sn = 0;
  if (height <= 16) {
    script[sn++] = (unsigned char)(0x50 + height); /* OP_1..OP_16 */
    script[sn++] = 0x00;                            /* padding to the two-byte minimum */
  } else {
    unsigned char num[8];
    size_t nn = 0;
    for (long h = height; h; h >>= 8) num[nn++] = (unsigned char)(h & 0xff);
    if (num[nn - 1] & 0x80) num[nn++] = 0;
    script[sn++] = (unsigned char)nn;
    memcpy(script + sn, num, nn), sn += nn;
  }
  char sl = (char)sn;
  buf_add(tx, &sl, 1), buf_add(tx, (const char *)script, sn);
  put_le(tx, 0xffffffff, 4);          /* sequence */
  buf_add(tx, "\1", 1);               /* one output */
  long halvings = height / 150;
  put_le(tx, halvings >= 64 ? 0 : (uint64_t)5000000000ULL >> halvings, 8);
  buf_add(tx, "\1\x51", 2);           /* OP_TRUE */
  put_le(tx, 0, 4);                   /* lock time */
  dsha256(tx->data, tx->len, blk->txid);

  unsigned char prev[32];
  hex_to_hash(prev_hex, prev);
  for (uint32_t nonce = 0;; nonce++) {
    blk->raw.len = 0;
    put_le(&blk->raw, 0x20000000, 4);
    buf_add(&blk->raw, (const char *)prev, 32);
    buf_add(&blk->raw, (const char *)blk->txid, 32); /* one transaction: the merkle root is its id */
    put_le(&blk->raw, time, 4);
    put_le(&blk->raw, 0x207fffff, 4); /* regtest's powLimit bits */
    put_le(&blk->raw, nonce, 4);
    dsha256(blk->raw.data, 80, blk->hash);
    if (blk->hash[31] < 0x7f) break; /* at or below the regtest target */
  }
  buf_add(&blk->raw, "\1", 1);
  buf_add(&blk->raw, tx->data, tx->len);
}

/* What bitcoind's notifiers publish for a connected block, in bitcoind's order: the block's
 * transactions (hashtx, rawtx), the connection (sequence: hash + 'C'), the new tip (hashblock, rawblock). */
static void notify_block(const struct block *blk) {
  unsigned char shown[33];
  reversed(blk->txid, shown);
  zmq_publish("hashtx", shown, 32);
  zmq_publish("rawtx", blk->coinbase.data, blk->coinbase.len);
  reversed(blk->hash, shown);
  shown[32] = 'C';
  zmq_publish("sequence", shown, 33);
  zmq_publish("hashblock", shown, 32);
  zmq_publish("rawblock", blk->raw.data, blk->raw.len);
}

static void rpc_generatetoaddress(struct reply *r, const char *ps, const char *pe) {
  const char *vs, *ve;
  if (!ps || !json_element(ps, pe, 0, &vs, &ve) || !isdigit((unsigned char)*vs)) {
    rpc_error(r, -1, "generatetoaddress nblocks address ( maxtries )");
    return;
  }
  long n = strtol(vs, NULL, 10);
  zmq_settle();
  buf_add(&r->result, "[", 1);
  for (long i = 0; i < n; i++) {
    struct block blk;
    uint32_t t = (uint32_t)now_seconds();
    if (t <= (uint32_t)g_state.tip_time) t = (uint32_t)g_state.tip_time + 1;
    make_block(g_state.blocks + 1, g_state.tip, t, &blk);
    g_state.blocks++;
    hash_to_hex(blk.hash, g_state.tip);
    g_state.tip_time = t;
    notify_block(&blk);
    free(blk.raw.data), free(blk.coinbase.data);
    buf_printf(&r->result, "%s\"%s\"", i ? "," : "", g_state.tip);
  }
  buf_add(&r->result, "]", 1);
  save_state();
}

static void dispatch(const char *method, const char *ps, const char *pe, struct reply *r) {
  if (now_seconds() < g_warmup_until) {
    rpc_error(r, -28, "Loading block index\xe2\x80\xa6");
    return;
  }
  if (!strcmp(method, "getblockchaininfo")) rpc_getblockchaininfo(r);
  else if (!strcmp(method, "getnetworkinfo")) rpc_getnetworkinfo(r);
  else if (!strcmp(method, "uptime")) buf_printf(&r->result, "%ld", (long)(now_seconds() - g_started));
  else if (!strcmp(method, "getblockcount")) buf_printf(&r->result, "%ld", g_state.blocks);
  else if (!strcmp(method, "getbestblockhash")) buf_printf(&r->result, "\"%s\"", g_state.tip);
  else if (!strcmp(method, "generatetoaddress") && !strcmp(g_net->chain, "regtest"))
    rpc_generatetoaddress(r, ps, pe);
  else if (!strcmp(method, "stop")) {
    buf_printf(&r->result, "\"%s stopping\"", g_name);
    g_shutdown = 1;
  } else rpc_error(r, -32601, "Method not found");
}

/* One request object → one reply (appended to out); returns 0 for a JSON-RPC 2.0 notification. */
static int handle_request(const char *vs, const char *ve, struct buf *out, int *legacy_status) {
  const char *ms, *me, *is = "null", *ie = is + 4, *js, *je, *ps = NULL, *pe = NULL;
  int v2 = 0, has_id = json_member(vs, ve, "id", &is, &ie);
  if (json_member(vs, ve, "jsonrpc", &js, &je) && g_version.major >= 28) {
    char *jv = json_string(js, je);
    v2 = jv && !strcmp(jv, "2.0");
    free(jv);
  }
  json_member(vs, ve, "params", &ps, &pe);
  struct reply r = {0};
  buf_add(&r.result, "", 0);
  char *method = json_member(vs, ve, "method", &ms, &me) ? json_string(ms, me) : NULL;
  if (*json_ws(vs, ve) != '{') rpc_error(&r, -32600, "Invalid Request object");
  else if (!method) rpc_error(&r, -32600, "Method must be a string");
  else dispatch(method, ps, pe, &r);
  free(method);
  if (v2 && !has_id) {
    free(r.result.data);
    return 0;
  }
  if (v2) buf_add(out, "{\"jsonrpc\":\"2.0\",", 17);
  else buf_add(out, "{", 1);
  if (r.code == 0) {
    buf_printf(out, "\"result\":%s,", r.result.data);
    if (!v2) buf_add(out, "\"error\":null,", 13);
  } else {
    if (!v2) buf_add(out, "\"result\":null,", 14);
    buf_printf(out, "\"error\":{\"code\":%d,\"message\":", r.code);
    json_quote(out, r.message);
    buf_add(out, "},", 2);
    if (!v2 && legacy_status)
      *legacy_status = r.code == -32601 ? 404 : r.code == -32600 ? 400 : 500;
  }
  buf_add(out, "\"id\":", 5);
  buf_add(out, is, (size_t)(ie - is));
  buf_add(out, "}", 1);
  free(r.result.data);
  return 1;
}

static void send_all(int fd, const char *data, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, data, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    data += w, n -= (size_t)w;
  }
}

static void http_reply(int fd, int status, const char *extra_headers, const char *body) {
  const char *text = status == 200 ? "OK" : status == 204 ? "No Content" : status == 400 ? "Bad Request"
                   : status == 401 ? "Unauthorized" : status == 403 ? "Forbidden" : status == 404 ? "Not Found"
                   : status == 405 ? "Method Not Allowed" : status == 413 ? "Payload Too Large"
                   : "Internal Server Error";
  char date[64];
  time_t t = time(NULL);
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime(&t));
  char *head = xasprintf("HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n%s%sContent-Length: %zu\r\n\r\n", status,
                         text, date, extra_headers ? extra_headers : "",
                         body && *body ? "Content-Type: application/json\r\n" : "", body ? strlen(body) : 0);
  send_all(fd, head, strlen(head));
  if (body) send_all(fd, body, strlen(body));
  free(head);
}

static void serve_connection(int fd, const struct sockaddr_storage *peer) {
  char peername[INET6_ADDRSTRLEN + 8] = "?";
  if (peer->ss_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, peername, sizeof peername);
  else inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, peername, sizeof peername);
  if (!peer_allowed(peer)) {
    logf_("Rejected connection from %s", peername);
    http_reply(fd, 403, NULL, NULL);
    return;
  }
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct buf req = {0};
  char chunk[8192];
  char *body = NULL;
  size_t content_length = 0;
  int continued = 0;
  for (;;) {
    if (!body && req.data && (body = strstr(req.data, "\r\n\r\n"))) {
      body += 4;
      const char *cl = strcasestr(req.data, "\r\ncontent-length:");
      content_length = cl && cl < body ? strtoul(cl + 17, NULL, 10) : 0;
      if (content_length > 1 << 20) {
        http_reply(fd, 413, NULL, NULL);
        goto done;
      }
      const char *expect = strcasestr(req.data, "\r\nexpect: 100-continue");
      if (expect && expect < body && !continued) send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25), continued = 1;
    }
    if (body && req.len - (size_t)(body - req.data) >= content_length) break;
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) goto done;
    size_t offset = body ? (size_t)(body - req.data) : 0;
    buf_add(&req, chunk, (size_t)n);
    if (body) body = req.data + offset;
    if (req.len > (2u << 20)) goto done;
  }
  if (strncmp(req.data, "POST ", 5) != 0) {
    http_reply(fd, 405, NULL, "JSONRPC server handles only POST requests");
    goto done;
  }
  const char *path = req.data + 5;
  if (strncmp(path, "/ ", 2) != 0 && strncmp(path, "/wallet/", 8) != 0) {
    http_reply(fd, 404, NULL, NULL);
    goto done;
  }
  char *authh = strcasestr(req.data, "\r\nauthorization:");
  if (!authh || authh > body) {
    http_reply(fd, 401, "WWW-Authenticate: Basic realm=\"jsonrpc\"\r\n", NULL);
    goto done;
  }
  authh += 16;
  while (*authh == ' ') authh++;
  char *eol = strstr(authh, "\r\n");
  char *auth = strndup(authh, (size_t)(eol - authh));
  char user[256] = "";
  int ok = check_auth(auth, peername, user, sizeof user);
  free(auth);
  if (!ok) {
    usleep(250000); /* bitcoind deters brute-forcing the same way */
    http_reply(fd, 401, "WWW-Authenticate: Basic realm=\"jsonrpc\"\r\n", NULL);
    goto done;
  }
  const char *end = body + content_length, *p = json_ws(body, end);
  struct buf out = {0};
  buf_add(&out, "", 0);
  int status = 200;
  const char *after = json_skip(p, end, 0);
  if (!after || json_ws(after, end) != end) {
    buf_puts(&out, "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},\"id\":null}");
    status = 500;
  }
  /* -rpcwhitelist (bitcoind's HTTPReq_JSONRPC): 403 with no body, after parsing, before running. */
  if (out.len == 0 && g_whitelist_default && !whitelist_of(user)) {
    logf_("[warning] RPC User %s not allowed to call any methods", user);
    http_reply(fd, 403, NULL, NULL);
    free(out.data);
    goto done;
  }
  if (out.len == 0) {
    int allowed = 1;
    const char *vs, *ve;
    if (*p == '[') {
      for (int i = 0; allowed && json_element(p, end, i, &vs, &ve); i++) allowed = request_allowed(user, vs, ve);
    } else {
      allowed = request_allowed(user, p, end);
    }
    if (!allowed) {
      http_reply(fd, 403, NULL, NULL);
      free(out.data);
      goto done;
    }
  }
  if (out.len == 0 && *p == '[') {
    buf_add(&out, "[", 1);
    const char *vs, *ve;
    int first = 1;
    for (int i = 0; json_element(p, end, i, &vs, &ve); i++) {
      struct buf one = {0};
      buf_add(&one, "", 0);
      if (handle_request(vs, ve, &one, NULL)) {
        if (!first) buf_add(&out, ",", 1);
        buf_add(&out, one.data, one.len);
        first = 0;
      }
      free(one.data);
    }
    buf_add(&out, "]", 1);
  } else if (out.len == 0) {
    if (!handle_request(p, end, &out, &status)) status = 204;
  }
  buf_add(&out, "\n", 1);
  http_reply(fd, status, NULL, status == 204 ? NULL : out.data);
  free(out.data);
done:
  free(req.data);
}

/* ---- start and stop ------------------------------------------------------------------------ */

static void stop_zmq(void);

static void shutdown_log_and_exit(int status) {
  logf_("Shutdown: In progress...");
  stop_zmq();
  for (int i = 0; i < nlisteners; i++) close(listeners[i]);
  if (g_cookiepath) unlink(g_cookiepath);
  if (g_netdir) {
    char *pid = xasprintf("%s/bitcoind.pid", g_netdir);
    unlink(pid);
    free(pid);
  }
  logf_("Shutdown: done");
  if (g_log) fclose(g_log);
  exit(status);
}

static void on_signal(int sig) {
  (void)sig;
  g_shutdown = 1;
}

static const char *implementation_word(void) { return g_version.knots ? "Bitcoin Knots" : "Bitcoin Core"; }

/* The image says which version this is; BITCOIND_DOUBLE_VERSION_FILE points elsewhere (to run the
 * binary outside an image). */
static const char *version_file(void) {
  const char *file = getenv("BITCOIND_DOUBLE_VERSION_FILE");
  return file && *file ? file : VERSION_FILE;
}

static void load_version(void) {
  char *text = read_file(version_file(), NULL);
#ifdef BITCOIND_DOUBLE_DEFAULT_VERSION
  /* Built into a release tarball (no version file in its image): the version compiled in. */
  if (!text) text = xstrdup(BITCOIND_DOUBLE_DEFAULT_VERSION);
#endif
  if (!text || parse_version(trim(text), &g_version) != 0) {
    fprintf(stderr, "bitcoind-double: %s is missing or holds no Bitcoin Core/Knots version\n", version_file());
    exit(1);
  }
  snprintf(g_version.raw, sizeof g_version.raw, "%s", trim(text));
  free(text);
  g_name = implementation_word();
}

static void select_network(void) {
  const char *chain = get_arg("chain");
  int picked = 0, index = 0;
  static const char *flags[] = {"main", "testnet", "testnet4", "signet", "regtest"};
  for (int i = 1; i < 5; i++)
    if (get_bool(flags[i], 0)) picked++, index = i;
  if (chain) {
    picked++;
    index = -1;
    for (int i = 0; i < 5; i++)
      if (!strcmp(chain, NETWORKS[i].chain)) index = i;
    if (index < 0) {
      fprintf(stderr, "Error: Invalid chain type '%s'\n", chain);
      exit(1);
    }
  }
  if (picked > 1) {
    fputs("Error: Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.\n", stderr);
    exit(1);
  }
  g_net = &NETWORKS[index];
}

static int daemon_main(int argc, char **argv) {
  g_started = now_seconds();
  load_version();
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-') {
      fprintf(stderr, "Error: Command line contains unexpected token '%s', see bitcoind -h for a list of options.\n", a);
      return 1;
    }
    while (*a == '-') a++;
    char *copy = xstrdup(a), *eq = strchr(copy, '='), *dot;
    if (eq) *eq = 0;
    dot = strchr(copy, '.');
    if (dot) *dot = 0;
    add_setting(SRC_CMDLINE, dot ? copy : NULL, dot ? dot + 1 : copy, eq ? eq + 1 : NULL);
    free(copy);
  }
  if (get_bool("version", 0) || get_bool("help", 0) || get_bool("h", 0)) {
    char v[64];
    full_version(&g_version, v, sizeof v);
    printf("%s version %s\n(bitcoind-double: a test double, not Bitcoin)\n", g_name, v);
    return 0;
  }

  const char *datadir = get_arg("datadir");
  if (datadir) {
    if (!is_dir(datadir)) {
      fprintf(stderr, "Error: Specified data directory \"%s\" does not exist.\n", datadir);
      return 1;
    }
    g_datadir = xstrdup(datadir);
  } else {
    const char *home = getenv("HOME");
    g_datadir = xasprintf("%s/.bitcoin", home && *home ? home : "/");
    mkdirs(g_datadir);
  }
  const char *conf = get_arg("conf");
  char *confpath = conf ? (conf[0] == '/' ? xstrdup(conf) : xasprintf("%s/%s", g_datadir, conf))
                        : xasprintf("%s/bitcoin.conf", g_datadir);
  char *conftext = read_file(confpath, NULL);
  if (conf && !conftext) {
    fprintf(stderr, "Error: Error reading configuration file: specified config file \"%s\" could not be opened.\n", confpath);
    return 1;
  }
  if (conftext) parse_conf(conftext), free(conftext);

  select_network();
  g_section = g_net->section;
  g_is_main = !strcmp(g_net->chain, "main");
  g_netdir = *g_net->subdir ? xasprintf("%s/%s", g_datadir, g_net->subdir) : xstrdup(g_datadir);
  g_printtoconsole = get_bool("printtoconsole", 1);
  if (!get_bool("sysperms", 0)) umask(077);

  /* AppInitParameterInteraction: errors before the log file is opened (no banner). */
  g_prune = get_int("prune", 0);
  char *settings_path = xasprintf("%s/settings.json", g_netdir);
  char *settings_text = read_file(settings_path, NULL);
  if (settings_text && !get_arg("prune")) {
    const char *vs, *ve;
    if (json_member(settings_text, settings_text + strlen(settings_text), "prune", &vs, &ve))
      g_prune = strtol(*vs == '"' ? vs + 1 : vs, NULL, 10);
  }
  int reindex = get_bool("reindex", 0), reindex_chainstate = get_bool("reindex-chainstate", 0);
  if (g_prune < 0) init_error("Prune cannot be configured with a negative value.");
  if (g_prune > 1 && g_prune < 550) init_error("Prune configured below the minimum of 550 MiB.  Please use a higher number.");
  if (g_prune && get_bool("txindex", 0)) init_error("Prune mode is incompatible with -txindex.");
  if (g_prune && reindex_chainstate)
    init_error("Prune mode is incompatible with -reindex-chainstate. Use full -reindex instead.");

  /* AppInitLockDirectories */
  if (mkdirs(g_netdir) != 0) {
    fprintf(stderr, "Error: Cannot create data directory %s: %s\n", g_netdir, strerror(errno));
    return 1;
  }
  char *lockpath = xasprintf("%s/.lock", g_netdir);
  int lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
    fprintf(stderr, "Error: Cannot obtain a lock on directory %s. %s is probably already running.\n", g_netdir, g_name);
    return 1;
  }

  /* StartLogging: every start attempt from here on leaves its banner in debug.log. */
  if (get_bool("debuglogfile", 1)) {
    char *logpath = xasprintf("%s/debug.log", g_netdir);
    g_log = fopen(logpath, "a");
    if (!g_log) {
      fprintf(stderr, "Error: Could not open debug log file %s\n", logpath);
      return 1;
    }
    fputs("\n\n\n\n\n", g_log);
    free(logpath);
  }
  g_logging = 1;
  char fullv[64];
  full_version(&g_version, fullv, sizeof fullv);
  logf_("%s version %s", g_name, fullv);
  logf_("bitcoind-double: a test double of bitcoind, not Bitcoin (version from %s)", version_file());
  logf_("Using data directory %s", g_netdir);
  logf_("Config file: %s%s", confpath, exists(confpath) ? "" : " (not found, skipping)");
  /* ArgsManager::LogArgs: every command-line argument, credentials masked — so a test can tell
   * from debug.log which flags (e.g. -reindex-chainstate) each start was given. */
  for (size_t i = 0; i < nsettings; i++) {
    if (settings[i].source != SRC_CMDLINE) continue;
    const char *name = settings[i].name;
    int sensitive = !strcmp(name, "rpcauth") || !strcmp(name, "rpcpassword") || !strcmp(name, "rpcuser");
    logf_("Command-line arg: %s%s%s=%s%s%s", settings[i].section ? settings[i].section : "",
          settings[i].section ? "." : "", name, sensitive ? "" : "\"", sensitive ? "****" : settings[i].value,
          sensitive ? "" : "\"");
  }
  for (size_t i = 0; i < nsettings; i++)
    if (settings[i].source == SRC_CONF && !settings[i].section && network_only(settings[i].name) && !g_is_main) {
      logf_("Warning: Config setting for -%s only applied on %s network when in [%s] section.", settings[i].name,
            g_net->chain, g_net->section);
      fprintf(stderr, "Warning: Config setting for -%s only applied on %s network when in [%s] section.\n",
              settings[i].name, g_net->chain, g_net->section);
    }
  if (!settings_text) write_file_atomic(settings_path, "{\n}\n", 4, 0600);

  char *pidpath = xasprintf("%s/bitcoind.pid", g_netdir);
  char pidtext[32];
  snprintf(pidtext, sizeof pidtext, "%d\n", (int)getpid());
  write_file_atomic(pidpath, pidtext, strlen(pidtext), 0600);

  struct sigaction sa = {0};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, NULL);

  /* AppInitServers: the RPC server comes up in warmup, before the chain is loaded. */
  start_rpc_server();
  start_zmq();
  long warmup_ms = getenv("BITCOIND_DOUBLE_WARMUP_MS") ? atol(getenv("BITCOIND_DOUBLE_WARMUP_MS")) : 0;
  g_warmup_until = now_seconds() + warmup_ms / 1000.0;

  /* Block storage and the chainstate. */
  char *blocksdir = xasprintf("%s/blocks", g_netdir);
  mkdirs(blocksdir);
  load_state();
  /* The rules see the datadir as this start found it; a 28+ version then adds its xor key. */
  unsigned char key[8];
  char *xorpath = xasprintf("%s/xor.dat", blocksdir);
  int xor_state = read_xor_key(xorpath, key);
  char *csipath = xasprintf("%s/indexes/coinstatsindex", g_netdir);
  int coinstats = is_dir(csipath);
  if (g_version.major < 28 && xor_state == XOR_NONZERO)
    logf_("bitcoind-double: this version predates 28 and reads block files without the key in blocks/xor.dat");
  check_version_rules(blocksdir, xor_state, coinstats, reindex, reindex_chainstate);
  if (g_version.major >= 28) init_xor_key(blocksdir);

  if (g_state.have_pruned && !g_prune && !reindex)
    init_error("You need to rebuild the database using -reindex to go back to unpruned mode.  This will redownload "
               "the entire blockchain");
  if (reindex) {
    if (g_prune || g_state.have_pruned) {
      /* The pruned blocks are gone; the only way to rebuild is to download the chain again. */
      logf_("Pruned datadir and -reindex: deleting the block files; the whole chain will be downloaded again");
      DIR *d = opendir(blocksdir);
      struct dirent *e;
      while (d && (e = readdir(d)))
        if ((!strncmp(e->d_name, "blk", 3) || !strncmp(e->d_name, "rev", 3)) && strstr(e->d_name, ".dat")) {
          char *f = xasprintf("%s/%s", blocksdir, e->d_name);
          unlink(f);
          free(f);
        }
      if (d) closedir(d);
      g_state.blocks = 0;
      g_state.tip[0] = 0;
      g_state.have_pruned = 0;
    }
    logf_("Reindexing block file blk00000.dat...");
    logf_("Reindexing finished");
  }
  if (reindex || reindex_chainstate) {
    char *cs = xasprintf("%s/chainstate", g_netdir);
    remove_tree(cs);
    free(cs);
    logf_("Wiping LevelDB in %s/chainstate", g_netdir);
  }
  char *dirs[] = {xasprintf("%s/index", blocksdir), xasprintf("%s/chainstate", g_netdir)};
  for (int i = 0; i < 2; i++) mkdirs(dirs[i]), free(dirs[i]);
  ensure_block_files(blocksdir);
  if (!g_state.tip[0]) {
    snprintf(g_state.tip, sizeof g_state.tip, "%s", g_state.blocks == 0 ? g_net->genesis : "");
    if (!g_state.tip[0]) block_hash(g_state.blocks, g_state.tip);
    g_state.tip_time = !strcmp(g_net->chain, "regtest") ? 1296688602 : 1231006505;
  }
  if (get_bool("coinstatsindex", 0)) {
    char *dir = g_version.major >= 30 ? xasprintf("%s/db", csipath) : xasprintf("%s/indexes/coinstats/db", g_netdir);
    mkdirs(dir);
    free(dir);
  }
  if (g_prune) {
    logf_("Prune configured to target %ld MiB on disk for block and undo files.", g_prune);
    g_state.have_pruned = 1;
  }
  snprintf(g_state.writer, sizeof g_state.writer, "%s", g_version.raw);
  save_state();
  logf_("init message: Done loading");

  sigset_t empty;
  sigemptyset(&empty);
  while (!g_shutdown) {
    struct pollfd fds[MAX_LISTEN + MAX_ZMQ_ENDPOINTS + MAX_ZMQ_PEERS];
    for (int i = 0; i < nlisteners; i++) fds[i] = (struct pollfd){listeners[i], POLLIN, 0};
    size_t nzmq = zmq_pollfds(fds + nlisteners);
    int n = ppoll(fds, (nfds_t)nlisteners + nzmq, NULL, &empty);
    if (n <= 0) continue;
    /* Subscriptions first: a request in the same round may publish. */
    zmq_after_poll(fds + nlisteners);
    for (int i = 0; i < nlisteners && !g_shutdown; i++) {
      if (!(fds[i].revents & POLLIN)) continue;
      struct sockaddr_storage peer;
      socklen_t pl = sizeof peer;
      int fd = accept4(listeners[i], (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
      if (fd < 0) continue;
      serve_connection(fd, &peer);
      close(fd);
    }
  }
  save_state();
  shutdown_log_and_exit(0);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* bitcoin-cli                                                                                 */

static void pretty(struct buf *out, const char *p, const char *end) {
  int depth = 0, in_string = 0;
  for (; p < end; p++) {
    char c = *p;
    if (in_string) {
      buf_add(out, p, 1);
      if (c == '\\' && p + 1 < end) buf_add(out, ++p, 1);
      else if (c == '"') in_string = 0;
      continue;
    }
    if (isspace((unsigned char)c)) continue;
    if (c == '"') in_string = 1, buf_add(out, p, 1);
    else if (c == '{' || c == '[') {
      const char *q = json_ws(p + 1, end);
      if (q < end && (*q == '}' || *q == ']')) {
        buf_add(out, p, 1), buf_add(out, q, 1), p = q;
        continue;
      }
      depth++;
      buf_printf(out, "%c\n%*s", c, depth * 2, "");
    } else if (c == '}' || c == ']') {
      depth--;
      buf_printf(out, "\n%*s%c", depth * 2, "", c);
    } else if (c == ',') buf_printf(out, ",\n%*s", depth * 2, "");
    else if (c == ':') buf_add(out, ": ", 2);
    else buf_add(out, p, 1);
  }
}

static int cli_main(int argc, char **argv) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    while (*a == '-') a++;
    char *copy = xstrdup(a), *eq = strchr(copy, '=');
    if (eq) *eq = 0;
    add_setting(SRC_CMDLINE, NULL, copy, eq ? eq + 1 : NULL);
    free(copy);
  }
  if (i >= argc) {
    fputs("error: too few parameters (need at least command)\n", stderr);
    return 1;
  }
  const char *datadir = get_arg("datadir");
  const char *home = getenv("HOME");
  g_datadir = datadir ? xstrdup(datadir) : xasprintf("%s/.bitcoin", home ? home : "");
  char *conftext = NULL;
  if (g_datadir) {
    char *confpath = xasprintf("%s/bitcoin.conf", g_datadir);
    conftext = read_file(confpath, NULL);
    free(confpath);
  }
  if (conftext) parse_conf(conftext), free(conftext);
  select_network();
  g_section = g_net->section;
  g_is_main = !strcmp(g_net->chain, "main");
  g_netdir = *g_net->subdir ? xasprintf("%s/%s", g_datadir, g_net->subdir) : xstrdup(g_datadir);

  const char *method = argv[i++];
  struct buf body = {0};
  buf_puts(&body, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":");
  json_quote(&body, method);
  buf_add(&body, ",\"params\":[", 11);
  for (int k = i; k < argc; k++) {
    const char *v = argv[k], *e = json_skip(v, v + strlen(v), 0);
    if (k > i) buf_add(&body, ",", 1);
    if (e && *json_ws(e, v + strlen(v)) == 0 && *v != '"') buf_add(&body, v, strlen(v));
    else json_quote(&body, v);
  }
  buf_add(&body, "]}", 2);

  char *userpass = NULL;
  const char *password = get_arg("rpcpassword");
  if (password) {
    const char *user = get_arg("rpcuser");
    userpass = xasprintf("%s:%s", user ? user : "", password);
  } else {
    const char *file = get_arg("rpccookiefile");
    char *path = file ? (file[0] == '/' ? xstrdup(file) : xasprintf("%s/%s", g_netdir, file)) : xasprintf("%s/.cookie", g_netdir);
    userpass = read_file(path, NULL);
    /* Like bitcoin-cli, only the cookie file's first line counts (a trailing newline is fine). */
    if (userpass) userpass[strcspn(userpass, "\r\n")] = 0;
    if (!userpass) {
      fprintf(stderr, "error: Could not locate RPC credentials. No authentication cookie could be found, and RPC "
                      "password is not set.  See -rpcpassword and -stdinrpcpass.  Configuration file: (%s/bitcoin.conf)\n",
              g_datadir);
      return 1;
    }
    free(path);
  }
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  struct buf auth = {0};
  size_t ul = strlen(userpass);
  for (size_t k = 0; k < ul; k += 3) {
    unsigned v = (unsigned char)userpass[k] << 16 | (k + 1 < ul ? (unsigned char)userpass[k + 1] << 8 : 0) |
                 (k + 2 < ul ? (unsigned char)userpass[k + 2] : 0);
    char q[4] = {b64[v >> 18 & 63], b64[v >> 12 & 63], k + 1 < ul ? b64[v >> 6 & 63] : '=', k + 2 < ul ? b64[v & 63] : '='};
    buf_add(&auth, q, 4);
  }

  const char *host = get_arg("rpcconnect");
  if (!host) host = "127.0.0.1";
  int port = (int)get_int("rpcport", g_net->rpcport);
  int wait = get_bool("rpcwait", 0);
  long wait_timeout = get_int("rpcwaittimeout", 0);
  double deadline = now_seconds() + (double)wait_timeout;
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) v4->sin_family = AF_INET, v4->sin_port = htons(port), sl = sizeof *v4;
    else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) v6->sin6_family = AF_INET6, v6->sin6_port = htons(port), sl = sizeof *v6;
    else {
      /* A name (a service on a container network): getaddrinfo, built into the static binary. */
      struct addrinfo hints = {0}, *res = NULL;
      hints.ai_socktype = SOCK_STREAM;
      char portstr[16];
      snprintf(portstr, sizeof portstr, "%d", port);
      if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res) {
        if (wait && (wait_timeout <= 0 || now_seconds() < deadline)) {
          usleep(1000000);
          continue;
        }
        fprintf(stderr, "error: Could not connect to the server %s:%d (the name does not resolve)\n", host, port);
        return 1;
      }
      memcpy(&ss, res->ai_addr, res->ai_addrlen);
      sl = res->ai_addrlen;
      freeaddrinfo(res);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    struct buf resp = {0};
    int status = 0;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, sl) == 0) {
      char *req = xasprintf("POST / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nAuthorization: Basic %s\r\n"
                            "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                            host, auth.data, body.len, body.data);
      send_all(fd, req, strlen(req));
      free(req);
      char chunk[8192];
      ssize_t n;
      while ((n = recv(fd, chunk, sizeof chunk, 0)) > 0) buf_add(&resp, chunk, (size_t)n);
      close(fd);
      if (resp.data && !strncmp(resp.data, "HTTP/1.", 7)) status = atoi(resp.data + 9);
    } else if (fd >= 0) {
      close(fd);
    }
    if (status == 0) {
      if (wait && (wait_timeout <= 0 || now_seconds() < deadline)) {
        usleep(1000000);
        continue;
      }
      fprintf(stderr, "error: Could not connect to the server %s:%d\n\nMake sure the bitcoind server is running and "
                      "that you are connecting to the correct RPC port.\nUse \"bitcoin-cli -help\" for more info.\n",
              host, port);
      return 1;
    }
    if (status == 401) {
      fputs("error: Authorization failed: Incorrect rpcuser or rpcpassword\n", stderr);
      return 1;
    }
    char *jb = resp.data ? strstr(resp.data, "\r\n\r\n") : NULL;
    if (!jb) {
      fprintf(stderr, "error: server returned HTTP error %d\n", status);
      return 1;
    }
    jb += 4;
    const char *end = jb + strlen(jb), *es, *ee, *rs, *re;
    if (json_member(jb, end, "error", &es, &ee) && *es == '{') {
      const char *cs, *ce, *ms, *me;
      long code = json_member(es, ee, "code", &cs, &ce) ? strtol(cs, NULL, 10) : -1;
      if (code == -28 && wait && (wait_timeout <= 0 || now_seconds() < deadline)) {
        usleep(1000000);
        continue;
      }
      char *msg = json_member(es, ee, "message", &ms, &me) ? json_string(ms, me) : xstrdup("");
      fprintf(stderr, "error code: %ld\nerror message:\n%s\n", code, msg);
      return (int)(code < 0 ? -code : code);
    }
    if (!json_member(jb, end, "result", &rs, &re)) {
      fprintf(stderr, "error: server returned HTTP error %d\n", status);
      return 1;
    }
    if (*rs == '"') {
      char *s = json_string(rs, re);
      printf("%s\n", s);
    } else if (strncmp(rs, "null", 4) != 0) {
      struct buf out = {0};
      buf_add(&out, "", 0);
      pretty(&out, rs, re);
      printf("%s\n", out.data);
    }
    return 0;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* zmq-sub: a ZMQ SUB client (ZMTP 3.0, NULL mechanism), for the dependent test double          */
/*
 *   zmq-sub tcp://HOST:PORT TOPIC [COUNT]
 * connects (names resolved with getaddrinfo, which works in the static binary: glibc ≥ 2.34
 * has its files and dns lookups built in), subscribes to TOPIC (a prefix; "" is everything)
 * and prints each message as `topic hex-body sequence` (the sequence: the last part read as a
 * 4-byte little-endian number), one line each, until COUNT messages (0: forever). Like a ZMQ
 * socket it connects again, every 200 ms, while the publisher is not there or went away.
 * "zmq-sub: subscribed to ..." on stderr once the publisher has greeted it and the subscription
 * is sent.
 */

static int connect_to(const char *host, const char *port) {
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
  int fd = -1;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd), fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

static int read_exact(int fd, void *out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = recv(fd, (char *)out + got, n - got, 0);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

/* One frame: its flags, and its body in *body (malloc'd). */
static int read_frame(int fd, int *flags, unsigned char **body, size_t *n) {
  unsigned char h[9];
  if (read_exact(fd, h, 2) != 0) return -1;
  *flags = h[0];
  *n = h[1];
  if (h[0] & 2) {
    if (read_exact(fd, h + 2, 7) != 0) return -1;
    *n = 0;
    for (int k = 0; k < 8; k++) *n = *n << 8 | h[1 + k];
  }
  if (*n > (64u << 20)) return -1;
  *body = malloc(*n ? *n : 1);
  if (!*body) die_oom();
  return read_exact(fd, *body, *n);
}

static int zmq_sub_main(int argc, char **argv) {
  if (argc < 3 || strncmp(argv[1], "tcp://", 6) != 0) {
    fputs("usage: zmq-sub tcp://HOST:PORT TOPIC [COUNT]\n", stderr);
    return 2;
  }
  char *host = xstrdup(argv[1] + 6), *port;
  if (*host == '[') {
    char *close = strchr(host, ']');
    if (!close || close[1] != ':') return fputs("zmq-sub: bad address\n", stderr), 2;
    *close = 0, port = close + 2, host++;
  } else {
    port = strrchr(host, ':');
    if (!port) return fputs("zmq-sub: the address needs a port\n", stderr), 2;
    *port++ = 0;
  }
  const char *topic = argv[2];
  long count = argc > 3 ? atol(argv[3]) : 0, seen = 0;
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  int warned = 0;
  for (;;) {
    int fd = connect_to(host, port);
    if (fd < 0) {
      if (!warned++) fprintf(stderr, "zmq-sub: cannot reach %s yet; trying again every 200 ms\n", argv[1]);
      usleep(200000);
      continue;
    }
    struct buf out = {0};
    unsigned char g[64];
    zmtp_greeting(g);
    buf_add(&out, (const char *)g, 64);
    zmtp_ready(&out, "SUB");
    send_all(fd, out.data, out.len);
    free(out.data);
    unsigned char peer[64];
    if (read_exact(fd, peer, 64) != 0 || peer[0] != 0xff || peer[9] != 0x7f || peer[10] < 3 ||
        memcmp(peer + 12, "NULL\0", 5) != 0) {
      fprintf(stderr, "zmq-sub: %s did not greet as a ZMTP 3 NULL peer\n", argv[1]);
      close(fd);
      usleep(200000);
      continue;
    }
    int ready = 0;
    /* parts of the message being read */
    unsigned char *parts[3] = {0};
    size_t lens[3] = {0};
    int nparts = 0;
    for (;;) {
      int flags;
      unsigned char *body;
      size_t n;
      if (read_frame(fd, &flags, &body, &n) != 0) break;
      if (flags & 4) {
        if (n >= 6 && !memcmp(body, "\5READY", 6)) {
          char *type = zmtp_property(body + 6, n - 6, "Socket-Type");
          if (!type || (strcmp(type, "PUB") && strcmp(type, "XPUB"))) {
            fprintf(stderr, "zmq-sub: %s is a %s socket, not PUB\n", argv[1], type ? type : "(unknown)");
            return 1;
          }
          free(type);
          ready = 1;
          /* The subscription only once the handshake is done: libzmq refuses a message that
           * arrives before its own READY went out (ZMTP_UNEXPECTED_COMMAND). */
          struct buf sub = {0}, frame = {0};
          buf_add(&sub, "\1", 1);
          buf_add(&sub, topic, strlen(topic));
          zmtp_frame(&frame, 0, sub.data, sub.len);
          send_all(fd, frame.data, frame.len);
          free(sub.data), free(frame.data);
          fprintf(stderr, "zmq-sub: subscribed to '%s' at %s\n", topic, argv[1]);
        } else if (n >= 6 && !memcmp(body, "\5ERROR", 6)) {
          fprintf(stderr, "zmq-sub: %s sent ERROR\n", argv[1]);
        }
        free(body);
        continue;
      }
      if (!ready) {
        free(body);
        break;
      }
      if (nparts < 3) parts[nparts] = body, lens[nparts] = n, nparts++;
      else free(body);
      if (flags & 1) continue;
      /* a whole message: topic, body, sequence */
      char *hexbody = malloc(lens[1 < nparts ? 1 : 0] * 2 + 1);
      if (!hexbody) die_oom();
      hexbody[0] = 0;
      if (nparts > 1) hex(parts[1], lens[1], hexbody);
      unsigned long seq = 0;
      if (nparts > 2 && lens[2] == 4) seq = parts[2][0] | parts[2][1] << 8 | parts[2][2] << 16 | (unsigned long)parts[2][3] << 24;
      printf("%.*s %s %lu\n", (int)lens[0], (const char *)parts[0], hexbody, seq);
      free(hexbody);
      for (int k = 0; k < nparts; k++) free(parts[k]);
      nparts = 0;
      if (count > 0 && ++seen >= count) return 0;
    }
    for (int k = 0; k < nparts; k++) free(parts[k]);
    close(fd);
    fprintf(stderr, "zmq-sub: connection to %s lost; connecting again\n", argv[1]);
    usleep(200000);
  }
}

/* resolve-host NAME: its first address, for scripts whose busybox cannot resolve names (the
 * static busybox's wget and nc crash on getaddrinfo in a FROM-scratch image; this binary's does not). */
static int resolve_host_main(int argc, char **argv) {
  if (argc != 2) return fputs("usage: resolve-host NAME\n", stderr), 2;
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(argv[1], NULL, &hints, &res);
  if (rc != 0 || !res) return fprintf(stderr, "resolve-host: %s: %s\n", argv[1], gai_strerror(rc)), 1;
  char text[INET6_ADDRSTRLEN];
  const void *addr = res->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                                                : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
  inet_ntop(res->ai_family, addr, text, sizeof text);
  printf("%s\n", text);
  freeaddrinfo(res);
  return 0;
}

int main(int argc, char **argv) {
  const char *self = strrchr(argv[0], '/');
  self = self ? self + 1 : argv[0];
  if (!strcmp(self, "bitcoin-cli")) return cli_main(argc, argv);
  if (!strcmp(self, "zmq-sub")) return zmq_sub_main(argc, argv);
  if (!strcmp(self, "resolve-host")) return resolve_host_main(argc, argv);
  return daemon_main(argc, argv);
}
