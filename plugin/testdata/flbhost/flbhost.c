/*
 * flbhost: a stand-in for Fluent Bit's Go output proxy, for boundary tests.
 *
 * It dlopens a Go output plugin (.so) and drives it with the same calls, in
 * the same order and with the same memory layout, as Fluent Bit's
 * src/flb_plugin_proxy.c and src/proxy/go/go.c do:
 *
 *   dlopen(RTLD_LAZY)
 *   FLBPluginPreRegister(hot_reloading=0)        if the plugin exports it
 *   FLBPluginRegister(def)                       once per .so; ret -1 = failure
 *   per instance:
 *     FLBPluginInit(plugin)                      ret <= 0 = failure; the plugin
 *                                                reads its properties through
 *                                                plugin->api->output_get_property
 *                                                and sets
 *                                                plugin->context->remote_context
 *     FLBPluginOutputPreRun(enable_hot_reload=0) if exported
 *     FLBPluginFlushCtx(remote_context, data, size, tag)   (FLBPluginFlush if
 *                                                no FlushCtx); anything but
 *                                                FLB_OK/RETRY/ERROR = ERROR
 *     FLBPluginOutputPreExit(0)                  if exported
 *     FLBPluginExitCtx(remote_context)           (FLBPluginExit if no ExitCtx)
 *   FLBPluginUnregister(def)
 *   dlclose
 *
 * Like Fluent Bit, one flbgo_output_plugin structure is shared by every
 * instance of the .so; its context pointer is pointed at the instance's own
 * flb_plugin_proxy_context just before that instance's init. Properties are
 * served like flb_output_get_property: a case-insensitive lookup in the
 * instance's own list, NULL for an unset key or an empty value, and NULL for
 * the keys Fluent Bit's flb_output_set_property keeps for itself (match,
 * alias, log_level, workers, tls, tls.*, net.*, ...): a plugin never sees
 * those.
 *
 * Usage: flbhost PLUGIN.so SCRIPT
 *
 * SCRIPT has one command a line ('#' starts a comment line):
 *
 *   instance NAME                 declare an instance
 *   set NAME KEY VALUE...         a property; VALUE is the rest of the line
 *                                 (may be empty)
 *   init NAME                     FLBPluginInit (+ PreRun)
 *   flush NAME FILE [TAG]         one flush of FILE's bytes with NAME's context
 *   flush_parallel NAME FILE...   one flush per FILE, all at once, each on its
 *                                 own thread (Fluent Bit output workers)
 *   flush_foreign FILE            a flush whose remote_context the plugin never
 *                                 issued
 *   flush_null FILE               a flush whose remote_context is NULL (never
 *                                 set, as after a failed init)
 *   exit NAME                     FLBPluginExitCtx (+ PreExit)
 *   retry NAME FILE TRIES MS      Fluent Bit's retry loop (retry_limit TRIES-1,
 *                                 MS between attempts): flush FILE until the
 *                                 plugin stops answering FLB_RETRY, at most
 *                                 TRIES times; one "flush" line per attempt
 *   sleep MS                      wait MS milliseconds (Fluent Bit's retry
 *                                 backoff)
 *   sync WORD                     print "sync WORD -" and wait for a line on
 *                                 standard input (the test changes the world,
 *                                 e.g. starts the broker, then answers)
 *
 * Every instance still initialised at the end of the script is exited, then
 * the plugin is unregistered and closed. Each call prints one line on
 * standard output:
 *
 *   register - ret=0 name=kube_audit_kafka type=2 proxy=11
 *   init a ret=1 code=FLB_OK context=set
 *   flush a ret=2 code=FLB_RETRY file=chunk.msgpack
 *   exit a ret=1 code=FLB_OK
 *   unregister - ret=0
 *   done - ret=0
 *
 * Host problems (bad script, missing symbol) go to standard error prefixed
 * "flbhost:" and give exit status 2; the plugin's own logs also go to
 * standard error. Exit status 0 means the script ran to the end, whatever the
 * plugin returned.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FLB_ERROR 0
#define FLB_OK 1
#define FLB_RETRY 2

#define FLB_PROXY_OUTPUT_PLUGIN 2
#define FLB_PROXY_GOLANG 11

/* include/fluent-bit/flb_plugin_proxy.h (calloc'ed by Fluent Bit) */
struct flb_plugin_proxy_def {
    int type;
    int proxy;
    int flags;
    char *name;
    char *description;
};

/* include/fluent-bit/flb_plugin_proxy.h */
struct flb_plugin_proxy_context {
    void *remote_context;
    void *proxy;
};

/* include/fluent-bit/flb_api.h: the plugin only calls the first member. */
struct flb_api {
    const char *(*output_get_property)(const char *, void *);
    const char *(*input_get_property)(const char *, void *);
    void *(*output_get_cmt_instance)(void *);
    void *(*input_get_cmt_instance)(void *);
    void (*log_print)(int, const char *, int, const char *, ...);
    int (*input_log_check)(void *, int);
    int (*output_log_check)(void *, int);
};

/* src/proxy/go/go.h */
struct flbgo_output_plugin {
    char *name;
    void *api;
    void *o_ins;
    struct flb_plugin_proxy_context *context;

    int (*cb_init)(struct flbgo_output_plugin *);
    int (*cb_flush)(const void *, size_t, const char *);
    int (*cb_flush_ctx)(void *, const void *, size_t, char *);
    int (*cb_exit)(void);
    int (*cb_exit_ctx)(void *);
};

struct prop {
    char *key;
    char *val; /* NULL when set to an empty value, like Fluent Bit */
    struct prop *next;
};

/* The host's flb_output_instance: the o_ins handed to output_get_property. */
struct instance {
    char *name;
    struct prop *props;
    struct flb_plugin_proxy_context *ctx;
    int state; /* 0 declared, 1 initialised, 2 init failed, 3 exited */
    struct instance *next;
};

static void *dso;
static struct flb_plugin_proxy_def *def;
static struct flbgo_output_plugin *goplugin;
static struct flb_api api;
static struct instance *instances;
static const char *script_path;
static int lineno;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "flbhost: ");
    if (lineno > 0) {
        fprintf(stderr, "%s:%d: ", script_path, lineno);
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const char *code_name(int ret)
{
    switch (ret) {
    case FLB_OK:
        return "FLB_OK";
    case FLB_RETRY:
        return "FLB_RETRY";
    case FLB_ERROR:
        return "FLB_ERROR";
    }
    return "INVALID";
}

/* proxy_cb_flush: a return value Fluent Bit does not know counts as ERROR. */
static int engine_code(int ret)
{
    if (ret != FLB_OK && ret != FLB_RETRY && ret != FLB_ERROR) {
        return FLB_ERROR;
    }
    return ret;
}

static void *symbol(const char *name)
{
    void *s;
    dlerror();
    s = dlsym(dso, name);
    if (dlerror() != NULL) {
        return NULL;
    }
    return s;
}

/*
 * Keys flb_output_set_property consumes itself: they never reach the
 * instance's property list, so output_get_property returns NULL for them.
 */
static int core_key(const char *k)
{
    static const char *keys[] = {
        "match", "match_regex", "alias", "log_level", "log_suppress_interval",
        "host", "port", "ipv6", "retry_limit", "tls", "tls.verify",
        "tls.verify_hostname", "tls.debug", "tls.vhost", "tls.ca_path",
        "tls.ca_file", "tls.crt_file", "tls.key_file", "tls.key_passwd",
        "tls.min_version", "tls.max_version", "tls.ciphers",
        "storage.total_limit_size", "workers", NULL,
    };
    for (int i = 0; keys[i]; i++) {
        if (strcasecmp(keys[i], k) == 0) {
            return 1;
        }
    }
    return strncasecmp(k, "net.", 4) == 0;
}

/* flb_output_get_property(key, ins) */
static const char *output_get_property(const char *key, void *o_ins)
{
    struct instance *ins = o_ins;
    struct prop *p;

    if (ins == NULL || key == NULL) {
        fprintf(stderr, "flbhost: output_get_property called with a NULL %s\n",
                ins == NULL ? "instance" : "key");
        return NULL;
    }
    for (p = ins->props; p; p = p->next) {
        if (strcasecmp(p->key, key) == 0) {
            return p->val;
        }
    }
    return NULL;
}

static struct instance *find(const char *name, int must)
{
    struct instance *i;
    for (i = instances; i; i = i->next) {
        if (strcmp(i->name, name) == 0) {
            return i;
        }
    }
    if (must) {
        die("unknown instance %s", name);
    }
    return NULL;
}

static char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (!f) {
        die("cannot open %s: %s", path, strerror(errno));
    }
    do {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            if (!buf) {
                die("out of memory");
            }
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    if (ferror(f)) {
        die("cannot read %s", path);
    }
    fclose(f);
    *size = n;
    return buf;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* proxy_go_output_flush: the tag is copied into a NUL-terminated buffer. */
static int go_flush(void *remote_context, const char *data, size_t size,
                    const char *tag)
{
    int ret;
    size_t tag_len = strlen(tag);
    char *buf = malloc(tag_len + 1);

    if (!buf) {
        die("out of memory");
    }
    memcpy(buf, tag, tag_len);
    buf[tag_len] = '\0';
    if (goplugin->cb_flush_ctx) {
        ret = goplugin->cb_flush_ctx(remote_context, data, size, buf);
    }
    else {
        ret = goplugin->cb_flush(data, size, buf);
    }
    free(buf);
    return ret;
}

static int flush_one(const char *what, struct instance *ins,
                     void *remote_context, const char *file, const char *tag)
{
    size_t size;
    char *data = read_file(file, &size);
    int ret = go_flush(remote_context, data, size, tag);

    free(data);
    out("%s %s ret=%d code=%s file=%s bytes=%zu", what,
        ins ? ins->name : "-", ret, code_name(engine_code(ret)), base(file),
        size);
    return engine_code(ret);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct job {
    struct instance *ins;
    const char *file;
    char *data;
    size_t size;
    int ret;
};

static void *flush_thread(void *arg)
{
    struct job *j = arg;
    j->ret = go_flush(j->ins->ctx->remote_context, j->data, j->size,
                      "kube.audit");
    return NULL;
}

static void flush_parallel(struct instance *ins, char **files, int n)
{
    struct job *jobs = calloc(n, sizeof(*jobs));
    pthread_t *th = calloc(n, sizeof(*th));

    if (!jobs || !th) {
        die("out of memory");
    }
    for (int i = 0; i < n; i++) {
        jobs[i].ins = ins;
        jobs[i].file = files[i];
        jobs[i].data = read_file(files[i], &jobs[i].size);
    }
    for (int i = 0; i < n; i++) {
        if (pthread_create(&th[i], NULL, flush_thread, &jobs[i]) != 0) {
            die("pthread_create failed");
        }
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
    }
    for (int i = 0; i < n; i++) {
        out("flush %s ret=%d code=%s file=%s bytes=%zu", ins->name, jobs[i].ret,
            code_name(engine_code(jobs[i].ret)), base(jobs[i].file),
            jobs[i].size);
        free(jobs[i].data);
    }
    free(jobs);
    free(th);
}

/* proxy_go_output_init + flb_proxy_output_cb_pre_run */
static void init(struct instance *ins)
{
    int ret;
    int (*pre_run)(int);

    if (ins->state != 0) {
        die("instance %s initialised twice", ins->name);
    }
    /* flb_output_new: the proxy context, remote_context still NULL */
    ins->ctx = calloc(1, sizeof(*ins->ctx));
    if (!ins->ctx) {
        die("out of memory");
    }
    goplugin->api = &api;
    goplugin->o_ins = ins;
    goplugin->context = ins->ctx;
    ret = goplugin->cb_init(goplugin);
    if (ret <= 0) {
        ins->state = 2;
        out("init %s ret=%d code=%s context=%s", ins->name, ret,
            code_name(ret), ins->ctx->remote_context ? "set" : "unset");
        return;
    }
    ins->state = 1;
    out("init %s ret=%d code=%s context=%s", ins->name, ret, code_name(ret),
        ins->ctx->remote_context ? "set" : "unset");
    pre_run = (int (*)(int)) symbol("FLBPluginOutputPreRun");
    if (pre_run) {
        out("prerun %s ret=%d", ins->name, pre_run(0));
    }
}

/* flb_proxy_output_cb_exit + proxy_go_output_destroy */
static void exit_instance(struct instance *ins)
{
    int ret = 0;
    void (*pre_exit)(int);

    if (ins->state != 1) {
        die("instance %s is not running", ins->name);
    }
    pre_exit = (void (*)(int)) symbol("FLBPluginOutputPreExit");
    if (pre_exit) {
        pre_exit(0);
    }
    if (goplugin->cb_exit_ctx) {
        ret = goplugin->cb_exit_ctx(ins->ctx->remote_context);
    }
    else if (goplugin->cb_exit) {
        ret = goplugin->cb_exit();
    }
    ins->state = 3;
    out("exit %s ret=%d code=%s", ins->name, ret, code_name(ret));
}

static void load(const char *path)
{
    int ret;
    int (*pre_register)(int);
    int (*cb_register)(struct flb_plugin_proxy_def *);

    dso = dlopen(path, RTLD_LAZY);
    if (!dso) {
        die("cannot dlopen %s: %s", path, dlerror());
    }
    def = calloc(1, sizeof(*def));
    if (!def) {
        die("out of memory");
    }
    def->type = FLB_PROXY_OUTPUT_PLUGIN;
    pre_register = (int (*)(int)) symbol("FLBPluginPreRegister");
    if (pre_register && pre_register(0) == -1) {
        die("FLBPluginPreRegister failed");
    }
    cb_register = (int (*)(struct flb_plugin_proxy_def *)) symbol(
        "FLBPluginRegister");
    if (!cb_register) {
        die("no FLBPluginRegister symbol in %s", path);
    }
    ret = cb_register(def);
    out("register - ret=%d name=%s type=%d proxy=%d description=\"%s\"", ret,
        def->name ? def->name : "(null)", def->type, def->proxy,
        def->description ? def->description : "");
    if (ret == -1) {
        die("FLBPluginRegister failed");
    }
    if (def->proxy != FLB_PROXY_GOLANG || def->type != FLB_PROXY_OUTPUT_PLUGIN) {
        die("not a Go output plugin (type %d, proxy %d)", def->type,
            def->proxy);
    }

    /* proxy_go_output_register */
    goplugin = calloc(1, sizeof(*goplugin));
    if (!goplugin) {
        die("out of memory");
    }
    goplugin->cb_init = (int (*)(struct flbgo_output_plugin *)) symbol(
        "FLBPluginInit");
    if (!goplugin->cb_init) {
        die("could not load FLBPluginInit symbol");
    }
    goplugin->cb_flush = (int (*)(const void *, size_t, const char *)) symbol(
        "FLBPluginFlush");
    goplugin->cb_flush_ctx =
        (int (*)(void *, const void *, size_t, char *)) symbol(
            "FLBPluginFlushCtx");
    goplugin->cb_exit = (int (*)(void)) symbol("FLBPluginExit");
    goplugin->cb_exit_ctx = (int (*)(void *)) symbol("FLBPluginExitCtx");
    goplugin->name = strdup(def->name ? def->name : "");
    if (!goplugin->cb_flush && !goplugin->cb_flush_ctx) {
        die("neither FLBPluginFlush nor FLBPluginFlushCtx exported");
    }

    /* flb_api_create */
    api.output_get_property = output_get_property;
}

/* flb_proxy_output_cb_destroy + flb_plugin_proxy_destroy */
static void unload(void)
{
    void (*cb_unregister)(struct flb_plugin_proxy_def *);

    cb_unregister = (void (*)(struct flb_plugin_proxy_def *)) symbol(
        "FLBPluginUnregister");
    if (cb_unregister) {
        cb_unregister(def);
        out("unregister - ret=0");
    }
    free(goplugin->name);
    free(goplugin);
    free(def);
    dlclose(dso);
}

/* Splits line into at most max whitespace-separated words; with rest set,
 * the last word is the remainder of the line, spaces included. */
static int split(char *line, char **w, int max, int rest)
{
    int n = 0;
    char *p = line;

    while (n < max) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        if (rest && n == max - 1) {
            w[n++] = p;
            break;
        }
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t') {
            p++;
        }
        if (*p) {
            *p++ = '\0';
        }
    }
    return n;
}

static void add_prop(struct instance *ins, const char *key, const char *val)
{
    struct prop *p = calloc(1, sizeof(*p));

    if (!p) {
        die("out of memory");
    }
    if (core_key(key)) {
        fprintf(stderr,
                "flbhost: %s: '%s' is a Fluent Bit core property; like Fluent "
                "Bit, the host keeps it from the plugin\n",
                ins->name, key);
        free(p);
        return;
    }
    p->key = strdup(key);
    p->val = (val && *val) ? strdup(val) : NULL;
    /* appended, like flb_kv_item_create: the first of two equal keys wins */
    struct prop **tail = &ins->props;
    while (*tail) {
        tail = &(*tail)->next;
    }
    *tail = p;
}

static void run_line(char *line)
{
    char *w[64];
    int n;
    struct instance *ins;

    n = split(line, w, 64, 0);
    if (n == 0 || w[0][0] == '#') {
        return;
    }
    if (strcmp(w[0], "instance") == 0 && n == 2) {
        if (find(w[1], 0)) {
            die("instance %s declared twice", w[1]);
        }
        ins = calloc(1, sizeof(*ins));
        if (!ins) {
            die("out of memory");
        }
        ins->name = strdup(w[1]);
        struct instance **tail = &instances; /* in declaration order */
        while (*tail) {
            tail = &(*tail)->next;
        }
        *tail = ins;
    }
    else if (strcmp(w[0], "init") == 0 && n == 2) {
        init(find(w[1], 1));
    }
    else if (strcmp(w[0], "flush") == 0 && (n == 3 || n == 4)) {
        ins = find(w[1], 1);
        if (ins->ctx == NULL) {
            die("flush on %s before its init", ins->name);
        }
        flush_one("flush", ins, ins->ctx->remote_context, w[2],
                  n == 4 ? w[3] : "kube.audit");
    }
    else if (strcmp(w[0], "flush_parallel") == 0 && n >= 3) {
        ins = find(w[1], 1);
        if (ins->state != 1) {
            die("flush_parallel on %s, which is not running", ins->name);
        }
        flush_parallel(ins, w + 2, n - 2);
    }
    else if (strcmp(w[0], "flush_foreign") == 0 && n == 2) {
        /* A valid address the plugin never handed out. */
        static char not_ours[16];
        flush_one("flush_foreign", NULL, not_ours, w[1], "kube.audit");
    }
    else if (strcmp(w[0], "flush_null") == 0 && n == 2) {
        flush_one("flush_null", NULL, NULL, w[1], "kube.audit");
    }
    else if (strcmp(w[0], "sleep") == 0 && n == 2) {
        sleep_ms(strtol(w[1], NULL, 10));
    }
    else if (strcmp(w[0], "retry") == 0 && n == 5) {
        long tries = strtol(w[3], NULL, 10);
        long ms = strtol(w[4], NULL, 10);
        ins = find(w[1], 1);
        if (ins->ctx == NULL) {
            die("retry on %s before its init", ins->name);
        }
        for (long i = 0; i < tries; i++) {
            if (i > 0) {
                sleep_ms(ms);
            }
            if (flush_one("flush", ins, ins->ctx->remote_context, w[2],
                          "kube.audit") != FLB_RETRY) {
                break;
            }
        }
    }
    else if (strcmp(w[0], "sync") == 0 && n == 2) {
        char buf[256];
        out("sync %s -", w[1]);
        if (fgets(buf, sizeof(buf), stdin) == NULL) {
            die("standard input closed while waiting at sync %s", w[1]);
        }
    }
    else if (strcmp(w[0], "exit") == 0 && n == 2) {
        exit_instance(find(w[1], 1));
    }
    else {
        die("cannot understand the line (command %s, %d words)", w[0], n);
    }
}

static void run_set(char *line)
{
    char *w[4];
    int n = split(line, w, 4, 1);

    if (n < 3) {
        die("usage: set NAME KEY VALUE");
    }
    /* trim the value's trailing blanks */
    if (n == 4) {
        size_t l = strlen(w[3]);
        while (l > 0 && (w[3][l - 1] == ' ' || w[3][l - 1] == '\t')) {
            w[3][--l] = '\0';
        }
    }
    add_prop(find(w[1], 1), w[2], n == 4 ? w[3] : "");
}

int main(int argc, char **argv)
{
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    struct instance *ins;

    if (argc != 3) {
        fprintf(stderr, "usage: flbhost PLUGIN.so SCRIPT\n");
        return 2;
    }
    script_path = argv[2];
    f = fopen(script_path, "r");
    if (!f) {
        die("cannot open %s: %s", script_path, strerror(errno));
    }
    load(argv[1]);
    while ((len = getline(&line, &cap, f)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (strncmp(line, "set ", 4) == 0) {
            run_set(line);
        }
        else {
            run_line(line);
        }
    }
    free(line);
    fclose(f);
    lineno = 0;

    /* flb_output_exit: every running instance, then the plugin */
    for (ins = instances; ins; ins = ins->next) {
        if (ins->state == 1) {
            exit_instance(ins);
        }
    }
    unload();
    out("done - ret=0");
    return 0;
}
