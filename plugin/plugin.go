package main

/*
#include <stdlib.h>

// The part of Fluent Bit's struct flbgo_output_plugin (src/proxy/go/go.h)
// the plugin reads at init, as fluent-bit-go's output/flb_output.h declares
// it: the instance's proxy context is the fourth pointer.
struct kak_proxy_context {
    void *remote_context;
};

struct kak_output_plugin {
    void *name;
    void *api;
    void *o_ins;
    struct kak_proxy_context *context;
};

static void kak_set_remote_context(void *plugin, void *ctx) {
    ((struct kak_output_plugin *) plugin)->context->remote_context = ctx;
}

static int kak_has_context(void *plugin) {
    return plugin != NULL && ((struct kak_output_plugin *) plugin)->context != NULL;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

const (
	pluginName = "kube_audit_kafka"
	pluginDesc = "Kubernetes audit events, enriched and redacted, to Kafka"
)

// cInt is C.int for the in-process tests, which cannot use cgo.
type cInt = C.int

// Fluent Bit's return codes. They exist only here: the pipeline speaks
// pipeline.Status.
const (
	flbOK    = output.FLB_OK
	flbRetry = output.FLB_RETRY
	flbError = output.FLB_ERROR
	// flbRegisterFailed is what Fluent Bit's flb_plugin_proxy_register takes
	// for a failed FLBPluginRegister (it ignores every other value).
	flbRegisterFailed = -1
)

// getter reads properties through Fluent Bit's output_get_property. Fluent
// Bit answers NULL (here "") for a key that is unset or set empty, and for
// the keys it keeps for itself (alias, log_level, workers, tls, match…).
type getter struct{ plugin unsafe.Pointer }

func (g getter) Get(key string) string { return output.FLBPluginConfigKey(g.plugin, key) }

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) (ret int) {
	defer guard("FLBPluginRegister", nil, &ret, flbRegisterFailed)
	if def == nil {
		bootLogger().Error("FLBPluginRegister called without a definition")
		return flbRegisterFailed
	}
	return output.FLBPluginRegister(def, pluginName, pluginDesc)
}

//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) (ret int) {
	defer guard("FLBPluginInit", nil, &ret, flbError)
	if C.kak_has_context(plugin) == 0 {
		bootLogger().Error("FLBPluginInit called without an instance context; this Fluent Bit is too old or not Fluent Bit")
		return flbError
	}
	inst := initInstance(getter{plugin})
	if inst == nil {
		return flbError
	}
	C.kak_set_remote_context(plugin, inst.handle)
	return flbOK
}

// initInstance loads the configuration and opens the pipeline. It returns
// nil after logging every problem, one line each, naming the property.
func initInstance(g conf.Getter) *instance {
	inst := instances.add()
	cfg, err := conf.Load(g)
	if err != nil {
		log := newLogger(inst.name, conf.LogInfo)
		var probs conf.Problems
		if errors.As(err, &probs) {
			for _, p := range probs {
				log.Error("invalid configuration: " + p.Error())
			}
		} else {
			log.Error("invalid configuration: " + err.Error())
		}
		instances.remove(inst)
		return nil
	}
	log := newLogger(inst.name, cfg.Observe.LogLevel)
	p, err := pipeline.Open(cfg, log)
	if err != nil {
		log.Error("cannot start: " + err.Error())
		instances.remove(inst)
		return nil
	}
	if addr := cfg.Observe.MetricsListen; addr != "" {
		if err := startMetrics(addr, inst.name, metricsName(cfg, inst.id), p); err != nil {
			log.Error("cannot serve metrics: " + err.Error())
			_ = p.Close(0)
			instances.remove(inst)
			return nil
		}
		log.Info("serving /metrics and /healthz", "listen", metricsAddr(addr), "name", metricsName(cfg, inst.id))
	}
	inst.cfg, inst.log, inst.p = cfg, log, p
	instances.publish(inst)
	log.Info("started", "brokers", cfg.Output.Brokers, "topic", cfg.Output.Topic, "compression", cfg.Output.Compression.String(), "format", cfg.Format.String())
	log.Debug("configuration", "config", cfg.String())
	return inst
}

//export FLBPluginFlush
func FLBPluginFlush(data unsafe.Pointer, length C.int, tag *C.char) (ret int) {
	defer guard("FLBPluginFlush", nil, &ret, flbError)
	// Only called by Fluent Bit versions without FlushCtx, which cannot hand
	// us an instance: refuse clearly instead of guessing one.
	bootLogger().Error("this Fluent Bit does not call FLBPluginFlushCtx; use Fluent Bit 1.3 or later")
	return flbError
}

//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.int, tag *C.char) (ret int) {
	var log *slog.Logger
	// A panic may come from a bug on a good chunk: let Fluent Bit retry it
	// (its retry_limit bounds the attempts).
	defer guard("FLBPluginFlushCtx", &log, &ret, flbRetry)
	inst := instances.get(ctx)
	if inst == nil {
		bootLogger().Error("flush for an unknown plugin instance (its init failed, or it already exited); chunk rejected", "bytes", int(length))
		return flbError
	}
	log = inst.log
	if data == nil || length <= 0 {
		return flbOK
	}
	// Fluent Bit's own memory, valid until we return: Flush copies what it
	// keeps of it (each record's document) into a buffer it reuses.
	chunk := unsafe.Slice((*byte)(data), int(length))
	return flushCode(inst, inst.p.Flush(context.Background(), chunk))
}

// flushCode maps a pipeline result to Fluent Bit's return code:
//
//	OK     every event in the chunk was acknowledged by the broker, or counted
//	       as dropped with a reason (not an audit event, filtered stage…)
//	RETRY  the broker could not take it now (down, timeout, leader change…),
//	       or refuses it until an operator fixes a setting (credentials, ACL,
//	       missing topic…); Fluent Bit re-delivers the identical chunk later
//	ERROR  the chunk can never be delivered (undecodable, or a broker that
//	       can never take this plugin's records); Fluent Bit drops it
func flushCode(inst *instance, res pipeline.FlushResult) int {
	switch res.Status {
	case pipeline.OK:
		inst.log.Debug("flushed", "records", res.Records, "events", res.Events, "shipped", res.Shipped, "dropped", res.Dropped)
		return flbOK
	case pipeline.Retry:
		inst.log.Warn("delivery failed; Fluent Bit will retry the chunk", "records", res.Records, "error", res.Err)
		return flbRetry
	}
	inst.log.Error("chunk cannot be delivered; Fluent Bit drops it", "records", res.Records, "dropped", res.Dropped, "error", res.Err)
	return flbError
}

//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) (ret int) {
	var log *slog.Logger
	defer guard("FLBPluginExitCtx", &log, &ret, flbError)
	inst := instances.get(ctx)
	if inst == nil {
		return flbOK
	}
	log = inst.log
	// Unlisted only once closed: a flush arriving during the grace time gets
	// the pipeline's Retry (Fluent Bit keeps the chunk), not an unknown
	// instance's Error (Fluent Bit would drop it).
	defer instances.remove(inst)
	if addr := inst.cfg.Observe.MetricsListen; addr != "" {
		defer stopMetrics(addr, inst.name)
	}
	if err := inst.p.Close(inst.cfg.Output.ShutdownTimeout); err != nil {
		inst.log.Warn("shutdown: " + err.Error())
	}
	s := inst.p.Stats().Snapshot()
	// events: what the records held (an EventList holds many, a record
	// that is no audit event none); shipped and dropped count events, and
	// records dropped whole.
	inst.log.Info("stopped", "records", s.Records, "events", s.Events, "shipped", s.Shipped, "dropped", s.Dropped, "retries", s.Retries)
	return flbOK
}

// FLBPluginExit is only called by Fluent Bit versions without ExitCtx; there
// is no instance to close then.
//
//export FLBPluginExit
func FLBPluginExit() (ret int) {
	defer guard("FLBPluginExit", nil, &ret, flbError)
	return flbOK
}

//export FLBPluginUnregister
func FLBPluginUnregister(def unsafe.Pointer) {
	var ret int
	defer guard("FLBPluginUnregister", nil, &ret, 0)
	if def != nil {
		output.FLBPluginUnregister(def)
	}
}

// guard turns a panic into a logged error and the given return code. log
// points at the instance's logger once known.
func guard(where string, log **slog.Logger, ret *int, code int) {
	r := recover()
	if r == nil {
		return
	}
	l := bootLogger()
	if log != nil && *log != nil {
		l = *log
	}
	l.Error("recovered from a panic; Fluent Bit keeps running", "in", where, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	*ret = code
}

func bootLogger() *slog.Logger { return newLogger("", conf.LogInfo) }

func newLogger(instance string, level conf.LogLevel) *slog.Logger {
	lv := level.Slog()
	return slog.New(newLineHandler(os.Stderr, lv, instance))
}

func main() {}
