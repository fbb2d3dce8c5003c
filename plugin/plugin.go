// Command plugin is the Fluent Bit output plugin, built with
// -buildmode=c-shared into out_kube_audit_kafka.so. It is the only cgo code:
// it reads properties, builds a pipeline per instance, maps results to
// Fluent Bit's return codes, and never lets a panic reach Fluent Bit.
package main

import "C"

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync/atomic"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

const pluginName = "kube_audit_kafka"

// instanceSeq numbers instances for their log prefix; it is the only
// package-level state besides fluent-bit-go's context map.
var instanceSeq atomic.Int64

type instance struct {
	name string
	cfg  *conf.Config
	log  *slog.Logger
	p    *pipeline.Pipeline
}

// getter reads properties through Fluent Bit's output_get_property.
type getter struct{ plugin unsafe.Pointer }

func (g getter) Get(key string) string { return output.FLBPluginConfigKey(g.plugin, key) }

// guard turns a panic into a logged error and the given return code.
func guard(where string, log *slog.Logger, ret *int, code int) {
	if r := recover(); r != nil {
		if log == nil {
			log = bootLogger()
		}
		log.Error("recovered from a panic; Fluent Bit keeps running", "in", where, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*ret = code
	}
}

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) (ret int) {
	defer guard("FLBPluginRegister", nil, &ret, output.FLB_ERROR)
	return output.FLBPluginRegister(def, pluginName, "Kubernetes audit events, enriched and redacted, to Kafka")
}

//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) (ret int) {
	defer guard("FLBPluginInit", nil, &ret, output.FLB_ERROR)
	return initInstance(getter{plugin}, func(inst *instance) { output.FLBPluginSetContext(plugin, inst) })
}

func initInstance(g conf.Getter, setContext func(*instance)) int {
	name := fmt.Sprintf("%s.%d", pluginName, instanceSeq.Add(1)-1)
	cfg, err := conf.Load(g)
	if err != nil {
		log := bootLogger().With("instance", name)
		var probs conf.Problems
		if errors.As(err, &probs) {
			for _, p := range probs {
				log.Error("invalid configuration: " + p.Error())
			}
		} else {
			log.Error("invalid configuration: " + err.Error())
		}
		return output.FLB_ERROR
	}
	log := newLogger(cfg.Observe.LogLevel).With("instance", name)
	p, err := pipeline.Open(cfg, log)
	if err != nil {
		log.Error("cannot start: " + err.Error())
		return output.FLB_ERROR
	}
	if addr := cfg.Observe.MetricsListen; addr != "" {
		if err := startMetrics(addr, name, p); err != nil {
			log.Error("cannot serve metrics: " + err.Error())
			_ = p.Close(0)
			return output.FLB_ERROR
		}
		log.Info("serving /metrics and /healthz", "listen", metricsAddr(addr))
	}
	setContext(&instance{name: name, cfg: cfg, log: log, p: p})
	log.Info("started", "brokers", cfg.Output.Brokers, "topic", cfg.Output.Topic, "compression", cfg.Output.Compression.String(), "format", cfg.Enrich.Format.String())
	log.Debug("configuration", "config", cfg.String())
	return output.FLB_OK
}

//export FLBPluginFlush
func FLBPluginFlush(data unsafe.Pointer, length C.int, tag *C.char) int {
	// Only called by Fluent Bit versions without FlushCtx, which cannot hand
	// us an instance: refuse clearly instead of guessing one.
	bootLogger().Error("this Fluent Bit does not call FLBPluginFlushCtx; use Fluent Bit 1.3 or later")
	return output.FLB_ERROR
}

//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.int, tag *C.char) (ret int) {
	inst, _ := output.FLBPluginGetContext(ctx).(*instance)
	if inst == nil {
		bootLogger().Error("flush for an unknown plugin instance (init failed or context lost); chunk rejected")
		return output.FLB_ERROR
	}
	// A panic may come from a bug on a good chunk: let Fluent Bit retry it.
	defer guard("FLBPluginFlushCtx", inst.log, &ret, output.FLB_RETRY)
	if data == nil || length <= 0 {
		return output.FLB_OK
	}
	chunk := C.GoBytes(data, length)
	res := inst.p.Flush(context.Background(), chunk)
	return flushCode(inst, res)
}

func flushCode(inst *instance, res pipeline.FlushResult) int {
	switch res.Status {
	case pipeline.OK:
		inst.log.Debug("flushed", "records", res.Records, "events", res.Events, "shipped", res.Shipped, "dropped", res.Dropped)
		return output.FLB_OK
	case pipeline.Retry:
		inst.log.Warn("delivery failed; Fluent Bit will retry the chunk", "records", res.Records, "error", res.Err)
		return output.FLB_RETRY
	}
	inst.log.Error("chunk cannot be delivered; Fluent Bit drops it", "records", res.Records, "error", res.Err)
	return output.FLB_ERROR
}

//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) (ret int) {
	inst, _ := output.FLBPluginGetContext(ctx).(*instance)
	if inst == nil {
		return output.FLB_OK
	}
	defer guard("FLBPluginExitCtx", inst.log, &ret, output.FLB_ERROR)
	if addr := inst.cfg.Observe.MetricsListen; addr != "" {
		defer stopMetrics(addr, inst.name)
	}
	if err := inst.p.Close(inst.cfg.Output.ShutdownTimeout); err != nil {
		inst.log.Warn("shutdown: " + err.Error())
	}
	s := inst.p.Stats().Snapshot()
	inst.log.Info("stopped", "records", s.Records, "shipped", s.Shipped, "dropped", s.Dropped, "retries", s.Retries)
	return output.FLB_OK
}

//export FLBPluginExit
func FLBPluginExit() int { return output.FLB_OK }

//export FLBPluginUnregister
func FLBPluginUnregister(def unsafe.Pointer) {
	defer func() { _ = recover() }()
	output.FLBPluginUnregister(def)
}

func bootLogger() *slog.Logger { return newLogger(conf.LogInfo) }

func newLogger(level conf.LogLevel) *slog.Logger {
	lv := map[conf.LogLevel]slog.Level{conf.LogError: slog.LevelError, conf.LogWarn: slog.LevelWarn, conf.LogInfo: slog.LevelInfo, conf.LogDebug: slog.LevelDebug}[level]
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv})).With("plugin", pluginName)
}

func main() {}
