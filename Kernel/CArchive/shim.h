#ifndef KERNEL_CARCHIVE_SHIM_H
#define KERNEL_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <locale.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>

// libarchive is opened with dlopen on first use, not linked: linking it maps its compression libraries (lzma,
// zstd, bz2, lz4, xml2, acl…) into every `kernel` process at start-up, though only archive installs use it. The
// headers give the types; these wrappers call through the loaded functions (as Kernel/CCurl does for libcurl).

typedef struct {
    const char *error;  // NULL when loaded
    struct archive *(*read_new)(void);
    int (*read_support_format_zip)(struct archive *);
    int (*read_support_format_tar)(struct archive *);
    int (*read_support_filter_gzip)(struct archive *);
    int (*read_open_filename)(struct archive *, const char *, size_t);
    int (*read_next_header)(struct archive *, struct archive_entry **);
    la_ssize_t (*read_data)(struct archive *, void *, size_t);
    int (*read_free)(struct archive *);
    const char *(*error_string)(struct archive *);
    int (*format)(struct archive *);
    struct archive *(*write_new)(void);
    int (*write_set_format_pax_restricted)(struct archive *);
    int (*write_set_format_zip)(struct archive *);
    int (*write_add_filter_gzip)(struct archive *);
    int (*write_set_options)(struct archive *, const char *);
    int (*write_set_bytes_in_last_block)(struct archive *, int);
    int (*write_open_filename)(struct archive *, const char *);
    int (*write_header)(struct archive *, struct archive_entry *);
    la_ssize_t (*write_data)(struct archive *, const void *, size_t);
    int (*write_close)(struct archive *);
    int (*write_free)(struct archive *);
    struct archive_entry *(*entry_new)(void);
    void (*entry_free)(struct archive_entry *);
    const char *(*entry_pathname)(struct archive_entry *);
    const char *(*entry_pathname_utf8)(struct archive_entry *);
    const char *(*entry_hardlink)(struct archive_entry *);
    const char *(*entry_symlink)(struct archive_entry *);
    __LA_MODE_T (*entry_filetype)(struct archive_entry *);
    __LA_MODE_T (*entry_perm)(struct archive_entry *);
    la_int64_t (*entry_size)(struct archive_entry *);
    int (*entry_size_is_set)(struct archive_entry *);
    void (*entry_set_pathname_utf8)(struct archive_entry *, const char *);
    void (*entry_set_filetype)(struct archive_entry *, unsigned int);
    void (*entry_set_perm)(struct archive_entry *, __LA_MODE_T);
    void (*entry_set_size)(struct archive_entry *, la_int64_t);
    void (*entry_set_mtime)(struct archive_entry *, time_t, long);
    void (*entry_set_uid)(struct archive_entry *, la_int64_t);
    void (*entry_set_gid)(struct archive_entry *, la_int64_t);
} kernel_archive_api_t;

// Function-local statics: Swift's importer emits what functions need, not a header's file-scope variables.
static inline kernel_archive_api_t *kernel_archive_api(void) {
    static kernel_archive_api_t api;
    return &api;
}

static inline void kernel_archive_load(void) {
    kernel_archive_api_t *a = kernel_archive_api();
    void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen("libarchive.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) { a->error = "libarchive is not installed (libarchive.so.13 not found; apt-get install libarchive13)"; return; }
#define KERNEL_ARCHIVE_SYM(field, name) \
    *(void **)(&a->field) = dlsym(h, name); \
    if (!a->field) { a->error = "libarchive lacks " name; return; }
    KERNEL_ARCHIVE_SYM(read_new, "archive_read_new")
    KERNEL_ARCHIVE_SYM(read_support_format_zip, "archive_read_support_format_zip")
    KERNEL_ARCHIVE_SYM(read_support_format_tar, "archive_read_support_format_tar")
    KERNEL_ARCHIVE_SYM(read_support_filter_gzip, "archive_read_support_filter_gzip")
    KERNEL_ARCHIVE_SYM(read_open_filename, "archive_read_open_filename")
    KERNEL_ARCHIVE_SYM(read_next_header, "archive_read_next_header")
    KERNEL_ARCHIVE_SYM(read_data, "archive_read_data")
    KERNEL_ARCHIVE_SYM(read_free, "archive_read_free")
    KERNEL_ARCHIVE_SYM(error_string, "archive_error_string")
    KERNEL_ARCHIVE_SYM(format, "archive_format")
    KERNEL_ARCHIVE_SYM(write_new, "archive_write_new")
    KERNEL_ARCHIVE_SYM(write_set_format_pax_restricted, "archive_write_set_format_pax_restricted")
    KERNEL_ARCHIVE_SYM(write_set_format_zip, "archive_write_set_format_zip")
    KERNEL_ARCHIVE_SYM(write_add_filter_gzip, "archive_write_add_filter_gzip")
    KERNEL_ARCHIVE_SYM(write_set_options, "archive_write_set_options")
    KERNEL_ARCHIVE_SYM(write_set_bytes_in_last_block, "archive_write_set_bytes_in_last_block")
    KERNEL_ARCHIVE_SYM(write_open_filename, "archive_write_open_filename")
    KERNEL_ARCHIVE_SYM(write_header, "archive_write_header")
    KERNEL_ARCHIVE_SYM(write_data, "archive_write_data")
    KERNEL_ARCHIVE_SYM(write_close, "archive_write_close")
    KERNEL_ARCHIVE_SYM(write_free, "archive_write_free")
    KERNEL_ARCHIVE_SYM(entry_new, "archive_entry_new")
    KERNEL_ARCHIVE_SYM(entry_free, "archive_entry_free")
    KERNEL_ARCHIVE_SYM(entry_pathname, "archive_entry_pathname")
    KERNEL_ARCHIVE_SYM(entry_pathname_utf8, "archive_entry_pathname_utf8")
    KERNEL_ARCHIVE_SYM(entry_hardlink, "archive_entry_hardlink")
    KERNEL_ARCHIVE_SYM(entry_symlink, "archive_entry_symlink")
    KERNEL_ARCHIVE_SYM(entry_filetype, "archive_entry_filetype")
    KERNEL_ARCHIVE_SYM(entry_perm, "archive_entry_perm")
    KERNEL_ARCHIVE_SYM(entry_size, "archive_entry_size")
    KERNEL_ARCHIVE_SYM(entry_size_is_set, "archive_entry_size_is_set")
    KERNEL_ARCHIVE_SYM(entry_set_pathname_utf8, "archive_entry_set_pathname_utf8")
    KERNEL_ARCHIVE_SYM(entry_set_filetype, "archive_entry_set_filetype")
    KERNEL_ARCHIVE_SYM(entry_set_perm, "archive_entry_set_perm")
    KERNEL_ARCHIVE_SYM(entry_set_size, "archive_entry_set_size")
    KERNEL_ARCHIVE_SYM(entry_set_mtime, "archive_entry_set_mtime")
    KERNEL_ARCHIVE_SYM(entry_set_uid, "archive_entry_set_uid")
    KERNEL_ARCHIVE_SYM(entry_set_gid, "archive_entry_set_gid")
#undef KERNEL_ARCHIVE_SYM
}

/// Loads libarchive once (thread-safe). Returns NULL when ready, else why not.
static inline const char *kernel_archive_load_error(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, kernel_archive_load);
    return kernel_archive_api()->error;
}

// Call these only after kernel_archive_load_error() returned NULL.
#define KA kernel_archive_api()
static inline struct archive *kernel_archive_read_new(void) { return KA->read_new(); }
static inline int kernel_archive_read_support_format_zip(struct archive *a) { return KA->read_support_format_zip(a); }
static inline int kernel_archive_read_support_format_tar(struct archive *a) { return KA->read_support_format_tar(a); }
static inline int kernel_archive_read_support_filter_gzip(struct archive *a) { return KA->read_support_filter_gzip(a); }
static inline int kernel_archive_read_open_filename(struct archive *a, const char *f, size_t b) { return KA->read_open_filename(a, f, b); }
static inline int kernel_archive_read_next_header(struct archive *a, struct archive_entry **e) { return KA->read_next_header(a, e); }
static inline la_ssize_t kernel_archive_read_data(struct archive *a, void *b, size_t n) { return KA->read_data(a, b, n); }
static inline int kernel_archive_read_free(struct archive *a) { return KA->read_free(a); }
static inline const char *kernel_archive_error_string(struct archive *a) { return KA->error_string(a); }
static inline int kernel_archive_format(struct archive *a) { return KA->format(a); }
static inline struct archive *kernel_archive_write_new(void) { return KA->write_new(); }
static inline int kernel_archive_write_set_format_pax_restricted(struct archive *a) { return KA->write_set_format_pax_restricted(a); }
static inline int kernel_archive_write_set_format_zip(struct archive *a) { return KA->write_set_format_zip(a); }
static inline int kernel_archive_write_add_filter_gzip(struct archive *a) { return KA->write_add_filter_gzip(a); }
static inline int kernel_archive_write_set_options(struct archive *a, const char *o) { return KA->write_set_options(a, o); }
static inline int kernel_archive_write_set_bytes_in_last_block(struct archive *a, int n) { return KA->write_set_bytes_in_last_block(a, n); }
static inline int kernel_archive_write_open_filename(struct archive *a, const char *f) { return KA->write_open_filename(a, f); }
static inline int kernel_archive_write_header(struct archive *a, struct archive_entry *e) { return KA->write_header(a, e); }
static inline la_ssize_t kernel_archive_write_data(struct archive *a, const void *b, size_t n) { return KA->write_data(a, b, n); }
static inline int kernel_archive_write_close(struct archive *a) { return KA->write_close(a); }
static inline int kernel_archive_write_free(struct archive *a) { return KA->write_free(a); }
static inline struct archive_entry *kernel_archive_entry_new(void) { return KA->entry_new(); }
static inline void kernel_archive_entry_free(struct archive_entry *e) { KA->entry_free(e); }
static inline const char *kernel_archive_entry_pathname(struct archive_entry *e) { return KA->entry_pathname(e); }
static inline const char *kernel_archive_entry_pathname_utf8(struct archive_entry *e) { return KA->entry_pathname_utf8(e); }
static inline const char *kernel_archive_entry_hardlink(struct archive_entry *e) { return KA->entry_hardlink(e); }
static inline const char *kernel_archive_entry_symlink(struct archive_entry *e) { return KA->entry_symlink(e); }
static inline unsigned int kernel_archive_entry_filetype(struct archive_entry *e) { return (unsigned int)KA->entry_filetype(e); }
static inline unsigned int kernel_archive_entry_perm(struct archive_entry *e) { return (unsigned int)KA->entry_perm(e); }
static inline la_int64_t kernel_archive_entry_size(struct archive_entry *e) { return KA->entry_size(e); }
static inline int kernel_archive_entry_size_is_set(struct archive_entry *e) { return KA->entry_size_is_set(e); }
static inline void kernel_archive_entry_set_pathname_utf8(struct archive_entry *e, const char *p) { KA->entry_set_pathname_utf8(e, p); }
static inline void kernel_archive_entry_set_filetype(struct archive_entry *e, unsigned int t) { KA->entry_set_filetype(e, t); }
static inline void kernel_archive_entry_set_perm(struct archive_entry *e, unsigned int p) { KA->entry_set_perm(e, (__LA_MODE_T)p); }
static inline void kernel_archive_entry_set_size(struct archive_entry *e, la_int64_t s) { KA->entry_set_size(e, s); }
static inline void kernel_archive_entry_set_mtime(struct archive_entry *e, long long t) { KA->entry_set_mtime(e, (time_t)t, 0); }
static inline void kernel_archive_entry_set_uid(struct archive_entry *e, la_int64_t u) { KA->entry_set_uid(e, u); }
static inline void kernel_archive_entry_set_gid(struct archive_entry *e, la_int64_t g) { KA->entry_set_gid(e, g); }
#undef KA

// The entry types and result codes as plain constants (the header's macros are casts Swift does not import).
static const unsigned int KERNEL_AE_IFMT = 0170000;
static const unsigned int KERNEL_AE_IFREG = 0100000;
static const unsigned int KERNEL_AE_IFDIR = 0040000;
static const unsigned int KERNEL_AE_IFLNK = 0120000;
// For newlocale: glibc spells the mask as a macro expression Swift does not import.
static const int KERNEL_LC_CTYPE_MASK = LC_CTYPE_MASK;
#endif
