package main

// #include <stdlib.h>
import "C"

import (
	"fmt"
	"log/slog"
	"sync"
	"unsafe"

	"github.com/kube-audit-kafka/kube-audit-kafka/conf"
	"github.com/kube-audit-kafka/kube-audit-kafka/pipeline"
)

// instance is one `[OUTPUT]` of ours in Fluent Bit. It is immutable once
// published; the pipeline is safe for concurrent flushes.
type instance struct {
	id     int    // 1 for the first running instance, 2 for the next…
	name   string // kube_audit_kafka#id, the prefix of its log lines
	handle unsafe.Pointer
	cfg    *conf.Config
	log    *slog.Logger
	p      *pipeline.Pipeline
}

// registry maps the remote_context Fluent Bit hands to every flush and exit
// back to its instance. It is the only package-level mutable state: Fluent
// Bit gives a Go plugin no other place to keep an instance.
type registry struct {
	mu       sync.RWMutex
	next     int                   // number of the next instance
	byHandle map[uintptr]*instance // running instances
}

var instances = &registry{next: 1, byHandle: map[uintptr]*instance{}}

// add numbers a new instance. Fluent Bit initialises outputs in configuration
// order, so #n is the n-th kube_audit_kafka output of the configuration;
// numbering starts again at 1 once every instance has exited (shutdown, hot
// reload).
func (r *registry) add() *instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := r.next
	r.next++
	return &instance{id: id, name: fmt.Sprintf("%s#%d", pluginName, id)}
}

// publish gives the instance its remote_context: one byte of C memory whose
// address Fluent Bit keeps and hands back. It is never freed, so that a stale
// context can never alias a later instance (one byte per instance lifetime).
func (r *registry) publish(inst *instance) {
	inst.handle = C.malloc(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byHandle[uintptr(inst.handle)] = inst
}

// get returns the running instance of a remote_context, or nil.
func (r *registry) get(ctx unsafe.Pointer) *instance {
	if ctx == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byHandle[uintptr(ctx)]
}

// remove unlists an instance that exited or failed to start.
func (r *registry) remove(inst *instance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if inst.handle == nil {
		return
	}
	delete(r.byHandle, uintptr(inst.handle))
	if len(r.byHandle) == 0 {
		r.next = 1
	}
}
