// Command plugin is the Fluent Bit output plugin, built with
// -buildmode=c-shared into out_kube_audit_kafka.so. It is the only cgo code:
// it reads properties, builds a pipeline per instance, maps results to
// Fluent Bit's return codes, and never lets a panic reach Fluent Bit.
//
// Fluent Bit's Go proxy (src/proxy/go/go.c) calls, per .so:
// FLBPluginRegister once; per output instance FLBPluginInit, then
// FLBPluginFlushCtx any number of times (concurrently with `workers` > 1),
// then FLBPluginExitCtx; finally FLBPluginUnregister. plugin/testdata/flbhost
// replays that sequence for the boundary tests.
package main
