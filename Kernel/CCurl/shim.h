#ifndef KERNEL_CCURL_SHIM_H
#define KERNEL_CCURL_SHIM_H
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

// libcurl is opened with dlopen on first use, not linked: linking it maps some thirty libraries (TLS, Kerberos,
// LDAP, SSH…) into every `kernel` process at start-up, most of which never make an HTTP request. The headers
// give the types; these wrappers call through the loaded functions.

typedef struct {
    const char *error;  // NULL when loaded
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} kernel_curl_api_t;

// Function-local statics: Swift's importer emits what functions need, not a header's file-scope variables.
static inline kernel_curl_api_t *kernel_curl_api(void) {
    static kernel_curl_api_t api;
    return &api;
}

static inline void kernel_curl_load(void) {
    kernel_curl_api_t *a = kernel_curl_api();
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) { a->error = "libcurl is not installed (libcurl.so.4 not found; apt-get install libcurl4)"; return; }
#define KERNEL_CURL_SYM(field, name) \
    *(void **)(&a->field) = dlsym(h, name); \
    if (!a->field) { a->error = "libcurl lacks " name; return; }
    KERNEL_CURL_SYM(global_init, "curl_global_init")
    KERNEL_CURL_SYM(easy_init, "curl_easy_init")
    KERNEL_CURL_SYM(easy_cleanup, "curl_easy_cleanup")
    KERNEL_CURL_SYM(easy_perform, "curl_easy_perform")
    KERNEL_CURL_SYM(easy_setopt, "curl_easy_setopt")
    KERNEL_CURL_SYM(easy_getinfo, "curl_easy_getinfo")
    KERNEL_CURL_SYM(easy_strerror, "curl_easy_strerror")
    KERNEL_CURL_SYM(slist_append, "curl_slist_append")
    KERNEL_CURL_SYM(slist_free_all, "curl_slist_free_all")
#undef KERNEL_CURL_SYM
    if (a->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) a->error = "curl_global_init failed";
}

/// Loads libcurl once (thread-safe) and runs curl_global_init. Returns NULL when ready, else why not.
static inline const char *kernel_curl_load_error(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, kernel_curl_load);
    return kernel_curl_api()->error;
}

// Call these only after kernel_curl_load_error() returned NULL.
static inline CURL *kernel_curl_easy_init(void) { return kernel_curl_api()->easy_init(); }
static inline void kernel_curl_easy_cleanup(CURL *h) { kernel_curl_api()->easy_cleanup(h); }
static inline CURLcode kernel_curl_easy_perform(CURL *h) { return kernel_curl_api()->easy_perform(h); }
static inline const char *kernel_curl_easy_strerror(CURLcode c) { return kernel_curl_api()->easy_strerror(c); }
static inline struct curl_slist *kernel_curl_slist_append(struct curl_slist *l, const char *s) { return kernel_curl_api()->slist_append(l, s); }
static inline void kernel_curl_slist_free_all(struct curl_slist *l) { if (l) kernel_curl_api()->slist_free_all(l); }

// curl_easy_setopt is variadic, which Swift cannot call: typed wrappers, one per argument kind.
#define KERNEL_CURL_SETOPT(h, o, v) kernel_curl_api()->easy_setopt((h), (o), (v))
static inline CURLcode kernel_curl_setopt_long(CURL *h, CURLoption o, long v) { return KERNEL_CURL_SETOPT(h, o, v); }
static inline CURLcode kernel_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return KERNEL_CURL_SETOPT(h, o, v); }
static inline CURLcode kernel_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return KERNEL_CURL_SETOPT(h, o, v); }
static inline CURLcode kernel_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return KERNEL_CURL_SETOPT(h, o, v); }
static inline CURLcode kernel_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return KERNEL_CURL_SETOPT(h, o, v); }
typedef size_t (*kernel_curl_write_fn)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode kernel_curl_setopt_write(CURL *h, CURLoption o, kernel_curl_write_fn f) { return KERNEL_CURL_SETOPT(h, o, f); }
// CURLOPT_HEADERFUNCTION takes the same prototype as the write callback (kernel_curl_setopt_write serves both).
static inline CURLcode kernel_curl_setopt_errorbuffer(CURL *h, char *buffer) { return KERNEL_CURL_SETOPT(h, CURLOPT_ERRORBUFFER, buffer); }
typedef int (*kernel_curl_xferinfo_fn)(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode kernel_curl_setopt_xferinfo(CURL *h, kernel_curl_xferinfo_fn f) { return KERNEL_CURL_SETOPT(h, CURLOPT_XFERINFOFUNCTION, f); }
static inline CURLcode kernel_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return kernel_curl_api()->easy_getinfo(h, i, v); }
static inline CURLcode kernel_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return kernel_curl_api()->easy_getinfo(h, i, v); }
#undef KERNEL_CURL_SETOPT
#endif
